/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfwdctl, the operator's client of virtio-forwarder's ZeroMQ control
 * services.  Shared declarations of its parts:
 *
 *   vfwdctl.c     program name handling, global options, dispatch, help
 *   ctl_client.c  endpoints, one request and one reply per REQ socket
 *   cmd_port.c    port control: add, remove, add_sock, remove_sock, query
 *   cmd_stats.c   stats and load, one-shot or repeated
 *   cmd_pin.c     relay-to-CPU map and core scheduling
 *   cmd_migrate.c migrate-check: a migration destination's virtio features
 *   cmd_balance.c balance: the CPU load balancer's rounds (plan: balance.c)
 *   cmd_1x.c      the six 1.x tool names, with 1.x's flags and formats
 *   ctl_output.c  printing: tables, JSON, flat key=value, load bars
 */
#ifndef VFWDCTL_H
#define VFWDCTL_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "config.h"
#include "virtioforwarder.pb-c.h"

/* Exit statuses: usage errors are told apart from failures, so that a
 * script can tell "I called it wrong" from "the daemon said no". */
#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2

/* Default answer timeout of a service. */
#define CTL_DEFAULT_TIMEOUT_MS 5000
#define CTL_MAX_TIMEOUT_MS 3600000
/* The file 1.x installs; read for the endpoints when it is readable. */
#define CTL_DEFAULT_CONFIG "/etc/default/virtioforwarder"
enum ctl_service {
	CTL_SVC_PORT_CONTROL = 0,
	CTL_SVC_STATS,
	CTL_SVC_CORE_SCHED,
	CTL_SVC_CONFIG,
	CTL_N_SVC,
};

/* Option values of the options every command accepts (see ctl_global_options). */
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

/* Set by the SIGINT/SIGTERM handler of the repeating views. */
extern volatile sig_atomic_t ctl_stop;

/* ---- vfwdctl.c ---- */

/* Prints "PROG: CMD: message" on stderr. */
void ctl_error(const struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints a usage error with a pointer to --help; returns CTL_EXIT_USAGE. */
int ctl_usage_error(const struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Handles the option getopt returned when it is a global one.  Returns 1
 * when it was not global, 0 when applied, CTL_EXIT_USAGE (after the
 * message) for a bad value, -1 when help was asked, -2 when the version
 * was printed. */
int ctl_global_option(struct ctl *c, int opt, const char *arg);

/*
 * Runs getopt_long over argv with the command's 'opts' plus the global
 * options.  For each command option calls 'fn'; a return other than 0
 * ends parsing with that exit status.  Returns 0, an exit status, -1
 * when --help was asked (the caller prints its help) or -2 when the
 * version was printed (the caller exits 0).  optind is left at the first
 * word that is not an option.
 */
typedef int (*ctl_opt_fn)(struct ctl *c, void *ctx, int opt, const char *arg);
int ctl_parse(struct ctl *c, int argc, char **argv, const struct option *opts,
	      const char *shortopts, ctl_opt_fn fn, void *ctx);
#define CTL_PARSE_HELP (-1)
#define CTL_PARSE_VERSION (-2)

/* The exit status of a ctl_parse() result other than 0: help and version
 * end the command successfully, anything else is already a status. */
static inline int
ctl_parse_status(int rc)
{
	return rc == CTL_PARSE_HELP || rc == CTL_PARSE_VERSION ? CTL_EXIT_OK : rc;
}

/* Value parsers: 0, or a usage error printed with the option's name. */
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

/* ---- ctl_client.c ---- */

/* The configuration (the file, or the defaults without one); NULL when
 * the file cannot be read, the reason in c->load_err. */
const struct vfwd_config *ctl_config(struct ctl *c);

/* CLOCK_MONOTONIC in milliseconds: deadlines of the waits on the daemon's
 * services and on a vhost-user socket. */
int64_t ctl_now_ms(void);

/* Service names, for messages ("stats"), and their option and variable. */
const char *ctl_service_name(enum ctl_service s);
const char *ctl_service_option(enum ctl_service s);
const char *ctl_service_variable(enum ctl_service s);

/*
 * The endpoint of service 's': the override, else the configuration file
 * (loaded on first use), else the default.  NULL when the file cannot be
 * read (the reason is in c->load_err); "" when the service is off.
 */
const char *ctl_endpoint(struct ctl *c, enum ctl_service s);

/*
 * Sends 'req' to service 's' and returns its reply in '*reply' (malloc'd,
 * '*len' bytes).  On failure returns a negative errno and writes one line
 * into 'err' ("no answer from ..."): the caller decides whether that is
 * fatal.  -EINTR (no message) when ctl_stop was set while waiting.
 */
int ctl_request(struct ctl *c, enum ctl_service s, const ProtobufCMessage *req,
		uint8_t **reply, size_t *len, char *err, size_t errlen);

/*
 * ctl_request() for a request already serialized, or any bytes at all (the
 * 1.x tools' --send-garbage).  With 'send_only' it returns once the bytes
 * are sent, without waiting for the reply (--crash-after-send); the bytes
 * still go out before ctl_client_close() returns.
 */
int ctl_request_raw(struct ctl *c, enum ctl_service s, const uint8_t *buf,
		    size_t n, bool send_only, uint8_t **reply, size_t *len,
		    char *err, size_t errlen);

/* Closes the ZeroMQ context, if one was made. */
void ctl_client_close(void);

/* ---- commands ---- */

enum ctl_port_op {
	CTL_PORT_NONE = -1,
	CTL_PORT_ADD = 0,
	CTL_PORT_REMOVE,
	CTL_PORT_ADD_SOCK,
	CTL_PORT_REMOVE_SOCK,
	CTL_PORT_QUERY,
	CTL_PORT_PROFILE,            /* SET_PROFILE */
};

int ctl_cmd_port(struct ctl *c, enum ctl_port_op op, int argc, char **argv);
int ctl_cmd_stats(struct ctl *c, int argc, char **argv);
int ctl_cmd_load(struct ctl *c, int argc, char **argv);
/*
 * The live load view: a frame every 'interval' seconds until Ctrl-C, or
 * one with 'once'; only the workers in 'only', unless it is NULL.
 */
int ctl_load_run(struct ctl *c, double interval, bool once,
		 const struct vfwd_cpuset *only);
/*
 * Asks the stats service of 'c' for 'q'; NULL after printing why (or,
 * quietly, when Ctrl-C cut the wait short: then '*status' is CTL_EXIT_OK).
 */
/* The same without printing: 0, or a negative errno with one line in
 * 'err' (-EINTR: Ctrl-C cut the wait short). */
int ctl_stats_fetch(struct ctl *c, const Virtioforwarder__StatsRequest *q,
		    Virtioforwarder__StatsResponse **out, char *err, size_t errlen);
Virtioforwarder__StatsResponse *ctl_stats_query(struct ctl *c,
						const Virtioforwarder__StatsRequest *q,
						int *status);

/* migrate-check: does the destination (a relay of a running daemon, a
 * vhost-user socket or a configuration file) offer what the guest
 * negotiated on the source relay? */
int ctl_cmd_migrate_check(struct ctl *c, int argc, char **argv);
int ctl_cmd_pin(struct ctl *c, int argc, char **argv);

/* One request to the core scheduling service: 0, or a negative errno with
 * one line in 'err'.  ctl_core_sched_query() prints that line instead and
 * returns NULL. */
int ctl_core_sched_fetch(struct ctl *c, const Virtioforwarder__CoreSchedRequest *q,
			 Virtioforwarder__CoreSchedResponse **out, char *err,
			 size_t errlen);
Virtioforwarder__CoreSchedResponse *ctl_core_sched_query(struct ctl *c,
		const Virtioforwarder__CoreSchedRequest *q);

/* Moves the relays of 'pins' (UPDATE): 0, or a negative errno with one
 * line in 'err' (-EPERM: the daemon refused; the line then lists the
 * worker CPUs). */
int ctl_core_sched_update(struct ctl *c, const struct vfwd_pin *pins, unsigned int n,
			  char *err, size_t errlen);

/* balance: the CPU load balancer (1.x: vio4wd_core_scheduler). */
int ctl_cmd_balance(struct ctl *c, int argc, char **argv);

/* How the load balancer runs, whoever parsed its command line. */
struct ctl_balance {
	bool once;                       /* one round, then exit */
	bool dry_run;                    /* say what would move, move nothing */
	bool any_node;                   /* relays may go to any NUMA node */
	bool keep_pins;                  /* leave VIRTIOFWD_CPU_PINS' relays */
	double interval;                 /* seconds between rounds */
	double sensitivity;              /* how much better a plan must be */
	unsigned long log_level;         /* 0-7 */
};

/*
 * Runs the load balancer: one round with 'once', else rounds until SIGINT
 * or SIGTERM.  Returns the exit status.
 */
int ctl_balance_run(struct ctl *c, const struct ctl_balance *opts);

/* ---- cmd_1x.c: the six 1.x tool names ---- */

/* Which 1.x tool is 'base' (a program name, with or without ".py")?
 * Its index, or -1. */
int ctl_1x_index(const char *base);

/* Runs 1.x tool 'index' with its 1.x command line; returns the exit
 * status. */
int ctl_1x_run(struct ctl *c, int index, int argc, char **argv);

/* ---- ctl_output.c ---- */

/* Formats of the stats command. */
enum ctl_format {
	CTL_FMT_TABLE = 0,
	CTL_FMT_JSON,
	CTL_FMT_FLAT,
};

/* Prints a StatsResponse as a table; 'queues' adds the per-queue lines. */
void ctl_print_stats_table(FILE *f, const Virtioforwarder__StatsResponse *r,
			   bool queues);

/* Prints any message as JSON ('compact': one line) or as flat key=value
 * lines.  Returns 0 or -ENOMEM. */
int ctl_print_json(FILE *f, const ProtobufCMessage *m, bool compact);
void ctl_print_flat(FILE *f, const ProtobufCMessage *m);

/* Prints one bar per worker of 'r' (only those in 'only', unless NULL). */
void ctl_print_load(FILE *f, const Virtioforwarder__StatsResponse *r,
		    const struct vfwd_cpuset *only);

/*
 * Prints a message in the protobuf text format, as 1.x's Python tools
 * printed replies ("status: ERROR", nested "relay {" blocks, strings
 * quoted and escaped, floats as Python writes them), with only the
 * fields 1.x knew: its tools skipped the new ones.
 */
void ctl_print_text(FILE *f, const ProtobufCMessage *m);

/*
 * Prints a StatsResponse in 1.x's flat format: "relay_1.active=True",
 * "relay_1.vf_to_vm.cpu_1.pkts_rx_from_vf=N"..., relays in id order, an
 * inactive one with all its fields as 1.x did (its counters under
 * "cpu_-1" when it has no worker); 'suppress_zero' leaves out the
 * statistics that are zero (-z).
 */
void ctl_print_flat_1x(FILE *f, const Virtioforwarder__StatsResponse *r,
		       bool suppress_zero);

/* Writes 'v' as Python's repr() of a float does ("0.0", "1e+16"). */
void ctl_python_float(double v, char *buf, size_t len);

#endif /* VFWDCTL_H */
