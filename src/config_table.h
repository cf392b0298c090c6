/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The table of settings behind struct vfwd_config, shared by the three
 * parts of the configuration code: config.c (the table, applying a value,
 * defaults, checks of relations), config_file.c (the file reader) and
 * config_args.c (the command line).  The unit tests read it too, to check
 * that every option is documented and accepted.  Nothing else should:
 * the public interface is config.h.
 */
#ifndef VFWD_CONFIG_TABLE_H
#define VFWD_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* How a setting's value is read, and what it is stored as. */
enum vfwd_value_kind {
	VFWD_V_CPUSET,       /* CPU list or mask */
	VFWD_V_INT,          /* integer in [min, max] */
	VFWD_V_DOUBLE,       /* number in (0, max] */
	VFWD_V_PATH,         /* absolute path */
	VFWD_V_OVSDB,        /* ovsdb-server: path, unix:PATH or tcp:IP:PORT */
	VFWD_V_PID_DIR,      /* directory of the pid file */
	VFWD_V_PID_PATH,     /* -p: the pid file, or its directory as in 1.x */
	VFWD_V_PATTERN,      /* socket file name pattern */
	VFWD_V_USER,         /* user or group name; empty: do not chown */
	VFWD_V_EP,           /* ZeroMQ endpoint; empty: off */
	VFWD_V_FLAG,         /* 1.x "non-empty enables" */
	VFWD_V_TRUE_ONLY,    /* 1.x "only 'true' enables" */
	VFWD_V_UUID,         /* a UUID; 1.x's "0" is the default token */
	VFWD_V_IGNORED,      /* accepted for 1.x, no effect */
	VFWD_V_FILE_PREFIX,
	VFWD_V_LOG_TARGET,   /* --nodaemon's "log_syslog" */
	VFWD_V_POLL_MODE,    /* "busy" or "adaptive" */
	VFWD_V_LISTEN,       /* TCP listening address; empty: off */
	VFWD_V_STATIC_VFS,   /* list: <device>=<relay> */
	VFWD_V_PINS,         /* list: RELAY:CPU[,CPU] */
	VFWD_V_EAL_ARGS,     /* list: EAL arguments */
	VFWD_V_VFIO_BIND,    /* list: devices to bind to vfio-pci */
	VFWD_V_DIRS,         /* list: directories (absolute paths) */
	VFWD_V_VF_PROFILES,  /* list: RELAY:PROFILE (vfprofile.h) */
};

/*
 * One setting: the file variable and the command-line option that set one
 * field of struct vfwd_config, the checks its values pass, and its --help
 * text.  A setting has a variable, an option or both; both accept exactly
 * the same values, since both go through vfwd_setting_apply().
 */
struct vfwd_setting {
	/* The file variable; NULL for an option that has none. */
	const char *name;
	enum vfwd_value_kind kind;
	size_t off;                /* of the field in struct vfwd_config */
	size_t size;               /* of that field (strings) */
	long min;                  /* VFWD_V_INT */
	long max;                  /* VFWD_V_INT, VFWD_V_DOUBLE */
	/*
	 * The default, which vfwd_config_defaults() applies; NULL: zero,
	 * false, empty.  It is also what an empty value means, unless
	 * 'empty_means_off': 1.x start scripts passed an option only for a
	 * non-empty variable, and shipped files carry "NAME=" lines.
	 */
	const char *def;
	/* An empty value turns the thing off ("do not chown", "no endpoint"). */
	bool empty_means_off;
	/*
	 * A bool recording that the value was given explicitly, as its offset
	 * plus one (0: none; offset 0 is the CPU set, never a flag).
	 */
	size_t set_off;

	/* The option; none when 'long_opt' is NULL (file only). */
	const char *long_opt;
	int short_opt;             /* its letter, 0 when it has none */
	int has_arg;               /* getopt's no_, required_, optional_argument */
	const char *metavar;       /* "LIST" of "--cpus=LIST" */
	/*
	 * The value of the option given without one (always, for
	 * no_argument); NULL: the bare option changes nothing.
	 */
	const char *bare;
	/*
	 * A bool the option also sets, to whether the value is not empty,
	 * as its offset plus one (0: none).  1.x was given -s exactly when
	 * core scheduling was on.
	 */
	size_t enable_off;
	/*
	 * VFWD_V_FLAG: a notice given when the flag is turned on, for a 1.x
	 * setting that has no effect any more; NULL: none.
	 */
	const char *on_notice;
	/* The --help section that starts with this option, or NULL. */
	const char *heading;
	/* The --help text; each '\n' starts a line in the text column. */
	const char *help;
};

/* Every setting, in the order of --help; file-only ones come last. */
extern const struct vfwd_setting vfwd_settings[];
/* The number of entries of vfwd_settings[]. */
extern const size_t vfwd_n_settings;

/* The setting of file variable 'name', or NULL. */
const struct vfwd_setting *vfwd_setting_find(const char *name);

/* Does 's' hold a list (static devices, pins, EAL arguments, devices to
 * bind to vfio-pci, directories)? */
bool vfwd_setting_is_list(const struct vfwd_setting *s);

/* Empties the list of 's' in 'cfg'. */
void vfwd_setting_clear_list(struct vfwd_config *cfg,
			     const struct vfwd_setting *s);

/*
 * Applies one value 'v' (not NULL) of 's' to 'cfg', list entries being
 * added to the list.  On error, 'why' says what is allowed and nothing is
 * changed (list entries already added stay; callers that need
 * all-or-nothing save the list).
 */
int vfwd_setting_apply(struct vfwd_config *cfg, const struct vfwd_setting *s,
		       const char *v, char *why, size_t len);

/*
 * vfwd_config_set() with 'where' ("file:line", or NULL) to prefix the
 * warning about an unknown variable; for the file reader.
 */
int vfwd_config_set_at(struct vfwd_config *cfg, const char *where,
		       const char *name, const char *const *values,
		       unsigned int n_values, bool is_array,
		       char *err, size_t errlen);

/* Composes "<what>=<value>: <why>" into 'err' and returns -EINVAL. */
int vfwd_config_fail_value(char *err, size_t errlen, const char *what,
			   const char *value, const char *why);

#endif /* VFWD_CONFIG_TABLE_H */
