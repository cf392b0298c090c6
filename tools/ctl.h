/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of one run of vfwdctl and what every command does with it:
 * messages on stderr, the command line (the global options and each
 * command's own), and stopping on Ctrl-C.  Part of the tools' client
 * library (tools/meson.build), which calls no command.
 */
#ifndef VFWD_CTL_H
#define VFWD_CTL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>

#include "config.h"

/* Exit statuses: usage errors are told apart from failures, so that a
 * script can tell "I called it wrong" from "the daemon said no". */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

/* Default answer timeout of a service, and the most --timeout takes. */
#define CTL_DEFAULT_TIMEOUT_MS 5000
#define CTL_MAX_TIMEOUT_MS 3600000
/* The file 1.x installs; read for the endpoints when it is readable. */
#define CTL_DEFAULT_CONFIG "/etc/default/virtioforwarder"

/* The daemon's ZeroMQ services a run may ask (ctl_client.h). */
enum ctl_service {
	CTL_SVC_PORT_CONTROL = 0,
	CTL_SVC_STATS,
	CTL_SVC_CORE_SCHED,
	CTL_SVC_CONFIG,
	CTL_N_SVC,
};

/* Service names, for messages ("stats"), and their endpoint option and
 * configuration variable. */
const char *ctl_service_name(enum ctl_service s);
const char *ctl_service_option(enum ctl_service s);
const char *ctl_service_variable(enum ctl_service s);

/* Option values of the options every command accepts (ctl_parse()).  A
 * command may give its own long option one of them, to be an alias of
 * that global option ("--ep"). */
enum {
	OPT_CONFIG = 1000,
	OPT_TIMEOUT,
	OPT_PORT_CONTROL_EP,
	OPT_STATS_EP,
	OPT_CORE_SCHED_EP,
	OPT_CONFIG_EP,
	OPT_QUIET,
	OPT_HELP,
	OPT_VERSION,
	/* Commands number their own options from here. */
	OPT_CMD_BASE = 1100,
};

/* The state of one run: global options and the configuration they lead to. */
struct ctl {
	const char *prog;                /* the name run, for messages */
	const char *cmd;                 /* the command, for messages; may be NULL */
	const char *config_path;         /* NULL: the default file if readable */
	char ep_override[CTL_N_SVC][VFWD_EP_MAX];
	int timeout_ms;
	bool quiet;
	bool legacy;                     /* run under a 1.x script name */
	/* The endpoint options named in messages, when not vfwdctl's. */
	const char *ep_option[CTL_N_SVC];
	bool loaded;                     /* 'cfg' holds the configuration */
	int load_rc;                     /* 0, or why the file was not read */
	char load_err[VFWD_ERR_MAX];
	struct vfwd_config cfg;
};

/* Set by the SIGINT/SIGTERM handler of ctl_catch_signals(): the repeating
 * views and the waits for a reply end when they see it. */
extern volatile sig_atomic_t ctl_stop;

/* Prints "PROG: CMD: message" on stderr. */
void ctl_error(const struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints a usage error with a pointer to --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* What ctl_parse() and ctl_parse_global() return when --help was asked
 * (the caller prints its help) or the version was printed. */
#define CTL_PARSE_HELP (-1)
#define CTL_PARSE_VERSION (-2)

/* Called by ctl_parse() for each option of the command's own: 0 to go
 * on, anything else ends parsing with that exit status. */
typedef int (*ctl_opt_fn)(struct ctl *c, void *ctx, int opt, const char *arg);

/*
 * Runs getopt_long over argv with the command's 'opts' plus the global
 * options.  For each command option calls 'fn'; a return other than 0
 * ends parsing with that exit status.  Returns 0, an exit status,
 * CTL_PARSE_HELP or CTL_PARSE_VERSION.  optind is left at the first word
 * that is not an option.
 */
int ctl_parse(struct ctl *c, int argc, char **argv, const struct option *opts,
	      const char *shortopts, ctl_opt_fn fn, void *ctx);

/*
 * Parses the global options that come before the command word, and stops
 * there: returns what ctl_parse() does, with optind at the command word
 * (or argc when there is none).
 */
int ctl_parse_global(struct ctl *c, int argc, char **argv);

/* The exit status of a ctl_parse() result other than 0: help and version
 * end the command successfully, anything else is already a status. */
static inline int
ctl_parse_status(int rc)
{
	return rc == CTL_PARSE_HELP || rc == CTL_PARSE_VERSION ? CTL_EXIT_OK : rc;
}

/* Value parsers of the commands' options: 0, or a usage error printed
 * with the option's name ('opt'). */
int ctl_parse_uint(const struct ctl *c, const char *opt, const char *arg,
		   unsigned long min, unsigned long max, unsigned long *out);
int ctl_parse_seconds(const struct ctl *c, const char *opt, const char *arg,
		      double *out);
/* A file name that must name a readable file (configuration files). */
int ctl_parse_file(const struct ctl *c, const char *opt, const char *arg,
		   const char **out);

/* Installs the SIGINT/SIGTERM handler that sets ctl_stop. */
void ctl_catch_signals(void);

/* Sleeps 'secs' seconds or until ctl_stop. */
void ctl_sleep(double secs);

#endif /* VFWD_CTL_H */
