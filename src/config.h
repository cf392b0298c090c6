/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration of the daemon: the 1.x /etc/default/virtioforwarder file
 * and the 1.x command-line options, on top of the 1.x defaults.
 *
 * config.c holds the table of settings (each one's file variable, option,
 * help text and how a value is applied) and the checks of relations
 * between values; config_file.c reads the file, config_args.c the command
 * line.  The value parsers that the control sources and the tools share
 * are in parse.h, included here so that users of the configuration get
 * them too.
 *
 * Nothing in here touches DPDK, so all of it is unit-tested on its own.
 * Every function that can fail returns 0 or a negative errno and, on
 * error, writes one line into the caller's buffer naming what was wrong
 * and what is allowed.
 */
#ifndef VFWD_CONFIG_H
#define VFWD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "vfprofile.h"

/* Virtio queue pairs a relay serves at most (the 1.x limit). */
#define VFWD_MAX_QUEUE_PAIRS 32
/* Longest ZeroMQ endpoint, user or group name, or EAL argument string. */
#define VFWD_EP_MAX 256
#define VFWD_NAME_MAX 64
#define VFWD_EAL_ARGS_MAX 1024
/* Directories besides the socket directory where dynamic sockets may be,
 * at most; each short enough to leave room in a unix socket path for a
 * '/' and a name. */
#define VFWD_SOCKET_DIRS_MAX 16
#define VFWD_SOCKET_DIR_SIZE 106

/* Where the daemon's own log lines go. */
enum vfwd_log_target {
	VFWD_LOG_STDERR = 0,
	VFWD_LOG_SYSLOG,
};

/* How workers poll: always (1.x), or sleeping when idle. */
enum vfwd_poll_mode {
	VFWD_POLL_BUSY = 0,
	VFWD_POLL_ADAPTIVE,
};

/*
 * The whole configuration, after defaults, file and command line.  Flags
 * named *_set record that the operator gave the value explicitly; some
 * checks (a missing socket owner, say) are errors only then.
 */
struct vfwd_config {
	/* Workers and EAL. */
	struct vfwd_cpuset workers;
	int main_lcore;
	enum vfwd_poll_mode poll_mode;
	unsigned int poll_sleep_max_us;      /* longest sleep of an idle worker */
	unsigned int poll_idle_us;           /* polling without packets before a sleep */
	int log_level;                       /* 0-7, syslog levels */
	enum vfwd_log_target log_target;
	char huge_dir[PATH_MAX];
	char pid_path[PATH_MAX];             /* full path of the pid file */
	char eal_args[VFWD_EAL_ARGS_MAX];    /* extra EAL args, space separated */
	char file_prefix[VFWD_NAME_MAX];
	char vfio_vf_token[VFWD_NAME_MAX];
	/* Devices bound to vfio-pci before EAL starts (1.x's start script). */
	struct vfwd_vfio_bind vfio_bind[VFWD_VFIO_BIND_MAX];
	unsigned int n_vfio_bind;

	/* vhost-user sockets. */
	char socket_dir[PATH_MAX];
	char socket_pattern[VFWD_SOCKET_PATTERN_MAX];   /* one %u */
	char socket_owner[VFWD_NAME_MAX];
	bool socket_owner_set;
	char socket_group[VFWD_NAME_MAX];
	bool socket_group_set;
	bool vhost_client;
	bool dynamic_sockets;
	/* Where else port control may put dynamic sockets. */
	char socket_dirs[VFWD_SOCKET_DIRS_MAX][VFWD_SOCKET_DIR_SIZE];
	unsigned int n_socket_dirs;

	/* Virtio features offered to guests. */
	bool jumbo;
	bool mrgbuf;
	bool tso;                            /* offloads (TSO, checksums) */
	bool gro;                            /* coalescing toward guests */
	bool same_numa;
	bool zero_copy;                      /* 1.x; accepted, no effect */
	bool postcopy;                       /* vhost-user postcopy migration */

	/* Devices and pins. */
	struct vfwd_static_dev static_devs[VFWD_MAX_RELAYS];
	unsigned int n_static_devs;
	struct vfwd_pin pins[VFWD_MAX_RELAYS];
	unsigned int n_pins;
	/* VF port profiles (VIRTIOFWD_VF_PROFILES), one per relay at most. */
	struct vfwd_relay_profile {
		unsigned int relay;
		struct vfwd_vf_profile p;
	} vf_profiles[VFWD_MAX_RELAYS];
	unsigned int n_vf_profiles;

	/* Control sources; an empty endpoint means off. */
	char zmq_port_control_ep[VFWD_EP_MAX];
	bool zmq_port_control_set;
	char zmq_stats_ep[VFWD_EP_MAX];
	char zmq_core_sched_ep[VFWD_EP_MAX];
	char zmq_config_ep[VFWD_EP_MAX];
	bool core_sched_enable;
	char ovsdb_sock[PATH_MAX];
	bool ovsdb_sock_set;
	bool ipc_port_control;
	char ipc_dir[PATH_MAX];              /* where IPC command files go */
	char metrics_ep[VFWD_EP_MAX];        /* Prometheus endpoint, "": off */

	/* Load balancer (read here so that both programs share one parser). */
	double sched_sensitivity;
	unsigned int sched_poll_interval;
	int sched_log_level;
	bool sched_global_numa;
};

/* What vfwd_config_from_args() asks the caller to do. */
enum vfwd_config_action {
	VFWD_CONFIG_RUN = 0,
	VFWD_CONFIG_HELP,
	VFWD_CONFIG_VERSION,
};

/* Fills 'cfg' with the 1.x defaults. */
void vfwd_config_defaults(struct vfwd_config *cfg);

/*
 * Applies the NAME=value lines of the file at 'path' on top of 'cfg'.
 * Unknown variables are reported through vfwd_config_warn() and skipped;
 * a bad value fails the whole load with -EINVAL and a message in 'err'
 * ("VIRTIOFWD_LOG_LEVEL=9: must be an integer from 0 to 7", with the file
 * name and line).  A missing or unreadable file is -errno.
 */
int vfwd_config_load_file(struct vfwd_config *cfg, const char *path,
			  char *err, size_t errlen);

/*
 * Same as vfwd_config_load_file(), for the text of a file already in
 * memory; 'name' is used in messages.
 */
int vfwd_config_load_string(struct vfwd_config *cfg, const char *text,
			    const char *name, char *err, size_t errlen);

/*
 * Sets one variable as if it had been read from a file; for the file
 * loader and for tests.  Returns 1 when the variable is unknown (after
 * warning), 0 when applied, -EINVAL on a bad value.
 */
int vfwd_config_set(struct vfwd_config *cfg, const char *name,
		    const char *const *values, unsigned int n_values,
		    bool is_array, char *err, size_t errlen);

/*
 * Parses the command line: defaults, then the file named by --config (if
 * any), then every option on top.  Fills '*action' with what to do next.
 * Errors name the option, the value and what is allowed.
 */
int vfwd_config_from_args(struct vfwd_config *cfg, int argc, char **argv,
			  enum vfwd_config_action *action,
			  char *err, size_t errlen);

/*
 * Checks the relations between values that no single value shows: the main
 * lcore is not a worker, pins name workers, static devices use distinct
 * relays, the socket pattern fits.  Warns when two port control sources
 * are enabled (see vfwd_config_port_control()).  Call once, after
 * everything is applied.
 */
int vfwd_config_validate(const struct vfwd_config *cfg,
			 char *err, size_t errlen);

/* Prints the option summary for --help to 'fp' (a FILE *). */
void vfwd_config_usage(void *fp, const char *prog);

/* The port control sources; exactly one serves a daemon. */
enum vfwd_port_control {
	VFWD_PORT_CONTROL_NONE = 0,   /* ZeroMQ endpoint set empty, nothing else */
	VFWD_PORT_CONTROL_ZMQ,
	VFWD_PORT_CONTROL_IPC,
	VFWD_PORT_CONTROL_OVSDB,
};

/*
 * The port control source 'cfg' selects, in 1.x's order of precedence:
 * ZeroMQ when VIRTIOFWD_ZMQ_PORT_CONTROL_EP (-Z) was given a non-empty
 * endpoint, else IPC when VIRTIOFWD_IPC_PORT_CONTROL is on, else OVSDB when
 * VIRTIOFWD_OVSDB_SOCK_PATH (-O) was given, else ZeroMQ on the default
 * endpoint unless that is empty.  vfwd_config_validate() warns, once, when
 * more than one was enabled.
 */
enum vfwd_port_control vfwd_config_port_control(const struct vfwd_config *cfg);

/* Reports a warning about the configuration (stderr; replaceable in tests). */
void vfwd_config_warn(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/*
 * Reports a notice: a value accepted as it is, but read differently from
 * 1.x or without effect (stderr; replaceable in tests and tools).
 */
void vfwd_config_notice(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Builds the socket path of relay 'id' from 'cfg'. -ENAMETOOLONG on overflow. */
int vfwd_socket_path(const struct vfwd_config *cfg, unsigned int id,
		     char *buf, size_t len);

#endif /* VFWD_CONFIG_H */
