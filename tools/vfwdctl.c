/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfwdctl: the operator's command-line client of virtio-forwarder.
 *
 *   vfwdctl [global options] COMMAND [options]
 *
 * It also stands in for the six Python tools of 1.x, which scripts and
 * runbooks call by name: installed as symlinks to this program, the name
 * it is run under picks the 1.x tool, with 1.x's own command line
 * (cmd_1x.c).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vfwdctl.h"

#ifndef VFWD_VERSION
#define VFWD_VERSION "unknown"
#endif

volatile sig_atomic_t ctl_stop;

/*
 * The configuration parser warns about variables it does not know (of the
 * load balancer, say) and notes values read differently from 1.x.  Those
 * are the daemon's business; the client reads the file only for its
 * endpoints and should not repeat them on every run.  These definitions
 * replace the library's weak ones.
 */
void
vfwd_config_warn(const char *fmt, ...)
{
	(void)fmt;
}

void
vfwd_config_notice(const char *fmt, ...)
{
	(void)fmt;
}

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

static void
vmessage(const struct ctl *c, const char *fmt, va_list ap)
{
	char msg[VFWD_ERR_MAX * 2];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	/* One write, so that the line is not split by other output. */
	if (c->cmd != NULL)
		fprintf(stderr, "%s: %s: %s\n", c->prog, c->cmd, msg);
	else
		fprintf(stderr, "%s: %s\n", c->prog, msg);
}

void
ctl_error(const struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(c, fmt, ap);
	va_end(ap);
}

int
ctl_usage_error(const struct ctl *c, const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->cmd != NULL && !c->legacy)
		ctl_error(c, "%s (see '%s %s --help')", msg, c->prog, c->cmd);
	else
		ctl_error(c, "%s (see '%s --help')", msg, c->prog);
	return CTL_EXIT_USAGE;
}

/* ------------------------------------------------------------------ */
/* Options                                                             */
/* ------------------------------------------------------------------ */

/* Accepted by every command.  The zmq-* spellings are the daemon's own
 * option names (and 1.x's), so a command line can be pasted across. */
static const struct option global_options[] = {
	{ "config",              required_argument, NULL, OPT_CONFIG },
	{ "timeout",             required_argument, NULL, OPT_TIMEOUT },
	{ "port-control-ep",     required_argument, NULL, OPT_PORT_CONTROL_EP },
	{ "zmq-port-control-ep", required_argument, NULL, OPT_PORT_CONTROL_EP },
	{ "stats-ep",            required_argument, NULL, OPT_STATS_EP },
	{ "zmq-stats-ep",        required_argument, NULL, OPT_STATS_EP },
	{ "core-sched-ep",       required_argument, NULL, OPT_CORE_SCHED_EP },
	{ "zmq-core-sched-ep",   required_argument, NULL, OPT_CORE_SCHED_EP },
	{ "config-ep",           required_argument, NULL, OPT_CONFIG_EP },
	{ "zmq-config-ep",       required_argument, NULL, OPT_CONFIG_EP },
	{ "quiet",               no_argument,       NULL, OPT_QUIET },
	{ "help",                no_argument,       NULL, OPT_HELP },
	{ "version",             no_argument,       NULL, OPT_VERSION },
};
#define N_GLOBAL (sizeof(global_options) / sizeof(global_options[0]))

static const char *const svc_vars[CTL_N_SVC] = {
	[CTL_SVC_PORT_CONTROL] = "VIRTIOFWD_ZMQ_PORT_CONTROL_EP",
	[CTL_SVC_STATS] = "VIRTIOFWD_ZMQ_STATS_EP",
	[CTL_SVC_CORE_SCHED] = "VIRTIOFWD_ZMQ_CORE_SCHED_EP",
	[CTL_SVC_CONFIG] = "VIRTIOFWD_ZMQ_CONFIG_EP",
};

/* Checks an endpoint given on the command line with the daemon's own
 * rules, so that both refuse the same things in the same words. */
static int
set_endpoint(struct ctl *c, enum ctl_service s, const char *opt, const char *arg)
{
	struct vfwd_config *scratch;
	char err[VFWD_ERR_MAX];
	int rc;

	if (arg[0] == '\0')
		return ctl_usage_error(c, "%s: an endpoint is required "
				       "(ipc://PATH or tcp://HOST:PORT)", opt);
	if (strncmp(arg, "inproc://", 9) == 0)
		return ctl_usage_error(c, "%s=%s: inproc endpoints live inside the "
				       "daemon's process; use ipc://PATH or "
				       "tcp://HOST:PORT", opt, arg);
	scratch = malloc(sizeof(*scratch));
	if (scratch == NULL) {
		ctl_error(c, "out of memory");
		return CTL_EXIT_FAIL;
	}
	vfwd_config_defaults(scratch);
	rc = vfwd_config_set(scratch, svc_vars[s], &arg, 1, false, err, sizeof(err));
	free(scratch);
	if (rc != 0) {
		/* The parser's message names the variable; say the option. */
		const char *why = strstr(err, ": ");

		return ctl_usage_error(c, "%s=%s%s", opt, arg, why ? why : ": invalid");
	}
	snprintf(c->ep_override[s], sizeof(c->ep_override[s]), "%s", arg);
	return 0;
}

int
ctl_parse_uint(const struct ctl *c, const char *opt, const char *arg,
	       unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;
	const char *p;

	/* Decimal digits only: strtoul would take "-1", " 7" and "0x10". */
	for (p = arg; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > max)
			break;
	}
	if (p == arg || *p != '\0' || v < min || v > max)
		return ctl_usage_error(c, "%s=%s: must be an integer from %lu to %lu",
				       opt, arg, min, max);
	*out = v;
	return 0;
}

int
ctl_parse_file(const struct ctl *c, const char *opt, const char *arg, const char **out)
{
	if (arg[0] == '\0')
		return ctl_usage_error(c, "%s: a file name is required", opt);
	if (access(arg, R_OK) != 0)
		return ctl_usage_error(c, "%s=%s: %s", opt, arg, strerror(errno));
	*out = arg;
	return 0;
}

int
ctl_parse_seconds(const struct ctl *c, const char *opt, const char *arg,
		  double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (end == arg || *end != '\0' || errno != 0 || !isfinite(v) ||
	    v < 0.1 || v > 3600)
		return ctl_usage_error(c, "%s=%s: must be a number of seconds from "
				       "0.1 to 3600", opt, arg);
	*out = v;
	return 0;
}

static void
print_version(void)
{
	printf("vfwdctl (virtio-forwarder) %s\n", VFWD_VERSION);
}

int
ctl_global_option(struct ctl *c, int opt, const char *arg)
{
	unsigned long v;
	int rc;

	switch (opt) {
	case OPT_CONFIG:
		c->loaded = false;
		return ctl_parse_file(c, "--config", arg, &c->config_path);
	case OPT_TIMEOUT:
		rc = ctl_parse_uint(c, "--timeout", arg, 1, CTL_MAX_TIMEOUT_MS, &v);
		if (rc == 0)
			c->timeout_ms = (int)v;
		return rc;
	case OPT_PORT_CONTROL_EP:
		return set_endpoint(c, CTL_SVC_PORT_CONTROL, "--port-control-ep", arg);
	case OPT_STATS_EP:
		return set_endpoint(c, CTL_SVC_STATS, "--stats-ep", arg);
	case OPT_CORE_SCHED_EP:
		return set_endpoint(c, CTL_SVC_CORE_SCHED, "--core-sched-ep", arg);
	case OPT_CONFIG_EP:
		return set_endpoint(c, CTL_SVC_CONFIG, "--config-ep", arg);
	case OPT_QUIET:
	case 'q':
		c->quiet = true;
		return 0;
	case OPT_HELP:
	case 'h':
		return CTL_PARSE_HELP;
	case OPT_VERSION:
		print_version();
		return CTL_PARSE_VERSION;
	default:
		return 1;
	}
}

/* Names the long options 'given' (as typed, "--conf") is a prefix of, to
 * tell an ambiguous abbreviation from an unknown option. */
static void
prefix_matches(const struct option *opts, const char *given, char *buf, size_t len)
{
	size_t n = strcspn(given + 2, "="), used = 0;
	const struct option *o;

	buf[0] = '\0';
	for (o = opts; o->name != NULL; o++) {
		if (strncmp(o->name, given + 2, n) != 0)
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0,
					 "%s--%s", used ? ", " : "", o->name);
	}
}

static int
bad_option(struct ctl *c, const struct option *all, int argc, char **argv)
{
	const char *arg = optind >= 1 && optind <= argc ? argv[optind - 1] : "?";
	char matches[VFWD_ERR_MAX / 2];
	const struct option *o;

	if (optopt > 0 && optopt < 256)
		return ctl_usage_error(c, "unknown option '-%c'", optopt);
	if (optopt >= 256) {
		/* A known long option given a value it does not take. */
		for (o = all; o->name != NULL; o++)
			if (o->val == optopt && o->has_arg == no_argument)
				return ctl_usage_error(c, "option '%.*s' takes no value",
						       (int)strcspn(arg, "="), arg);
	}
	if (strncmp(arg, "--", 2) == 0) {
		prefix_matches(all, arg, matches, sizeof(matches));
		if (strchr(matches, ',') != NULL)
			return ctl_usage_error(c, "option '%.*s' is ambiguous (%s)",
					       (int)strcspn(arg, "="), arg, matches);
	}
	return ctl_usage_error(c, "unknown option '%.*s'", (int)strcspn(arg, "="), arg);
}

int
ctl_parse(struct ctl *c, int argc, char **argv, const struct option *opts,
	  const char *shortopts, ctl_opt_fn fn, void *ctx)
{
	struct option all[64];
	char optstring[64];
	size_t n = 0, i;
	int opt, rc;

	for (; opts != NULL && opts[n].name != NULL && n < 64 - N_GLOBAL - 1; n++)
		all[n] = opts[n];
	for (i = 0; i < N_GLOBAL; i++)
		all[n++] = global_options[i];
	memset(&all[n], 0, sizeof(all[n]));
	/* ':' first: a missing value is reported as ':', not as '?'. */
	snprintf(optstring, sizeof(optstring), ":%shq", shortopts ? shortopts : "");

	optind = 0;             /* glibc: start over, also for a second parse */
	opterr = 0;             /* our messages, not getopt's */
	while ((opt = getopt_long(argc, argv, optstring, all, NULL)) != -1) {
		if (opt == '?')
			return bad_option(c, all, argc, argv);
		if (opt == ':')
			return ctl_usage_error(c, "option '%s' needs a value",
					       argv[optind - 1]);
		rc = ctl_global_option(c, opt, optarg);
		if (rc == 1)
			rc = fn(c, ctx, opt, optarg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Signals and sleeping, for the views that repeat                     */
/* ------------------------------------------------------------------ */

static void
on_signal(int sig)
{
	(void)sig;
	ctl_stop = 1;
}

void
ctl_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a sleep or a wait for a reply ends at once. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void
ctl_sleep(double secs)
{
	struct timespec end, now;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += (time_t)secs;
	end.tv_nsec += (long)((secs - floor(secs)) * 1e9);
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	/* An absolute deadline: a signal that is not ours does not stretch it. */
	while (!ctl_stop &&
	       clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &end, NULL) == EINTR) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			break;
	}
}

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

struct command {
	const char *name;
	enum ctl_port_op port_op;        /* CTL_PORT_NONE: not port control */
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *summary;
};

static int cmd_help(struct ctl *c, int argc, char **argv);

static const struct command commands[] = {
	{ "add", CTL_PORT_ADD, NULL, "attach a device or a bond to a relay" },
	{ "remove", CTL_PORT_REMOVE, NULL, "detach a device or a bond" },
	{ "add_sock", CTL_PORT_ADD_SOCK, NULL,
	  "open a vhost-user socket with its device (dynamic sockets)" },
	{ "remove_sock", CTL_PORT_REMOVE_SOCK, NULL,
	  "close a vhost-user socket and detach its device" },
	{ "query", CTL_PORT_QUERY, NULL, "print the device serving a socket" },
	{ "profile", CTL_PORT_PROFILE, NULL, "set or clear a relay's VF port profile" },
	{ "stats", CTL_PORT_NONE, ctl_cmd_stats,
	  "relay counters, rates and worker load" },
	{ "pin", CTL_PORT_NONE, ctl_cmd_pin,
	  "show or change the relay-to-CPU map" },
	{ "load", CTL_PORT_NONE, ctl_cmd_load, "live bars of the workers' load" },
	{ "balance", CTL_PORT_NONE, ctl_cmd_balance,
	  "the CPU load balancer: spread the relays over the workers" },
	{ "migrate-check", CTL_PORT_NONE, ctl_cmd_migrate_check,
	  "before a live migration: does the destination offer the guest's features?" },
	{ "help", CTL_PORT_NONE, cmd_help, "help on a command" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f, const char *prog)
{
	size_t i;

	fprintf(f,
"Usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
"Controls a running virtio-forwarder through its ZeroMQ services.\n"
"\n"
"Commands:\n", prog);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"Global options (also accepted after the command):\n"
"  --config=FILE           read the endpoints from FILE (default\n"
"                          " CTL_DEFAULT_CONFIG " when readable)\n"
"  --port-control-ep=EP    port control service [VIRTIOFWD_ZMQ_PORT_CONTROL_EP]\n"
"  --stats-ep=EP           stats service [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  --core-sched-ep=EP      core scheduling service [VIRTIOFWD_ZMQ_CORE_SCHED_EP]\n"
"  --config-ep=EP          config service [VIRTIOFWD_ZMQ_CONFIG_EP]\n"
"                          (also --zmq-port-control-ep, --zmq-stats-ep, ...)\n"
"  --timeout=MS            wait at most MS for an answer (default %d)\n"
"  -q, --quiet             no confirmation line after a change\n"
"  -h, --help              this help; '%s COMMAND --help' for a command\n"
"  --version               print the version\n"
"\n"
"Exit status: 0 done, 1 the daemon refused or did not answer, 2 usage error.\n"
"Run as one of the six 1.x tool names (virtioforwarder_port_control.py,\n"
"virtioforwarder_stats.py, virtioforwarder_core_pinner.py,\n"
"virtioforwarder_monitor_load.py, virtioforwarder_core_scheduler.py,\n"
"virtioforwarder_config.py) it takes that tool's 1.x flags and prints its\n"
"1.x output.  See vfwdctl(1).\n", CTL_DEFAULT_TIMEOUT_MS, prog);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
run_command(struct ctl *c, const struct command *cmd, int argc, char **argv)
{
	c->cmd = cmd->name;
	if (cmd->run == NULL)
		return ctl_cmd_port(c, cmd->port_op, argc, argv);
	return cmd->run(c, argc, argv);
}

/* "help COMMAND" is "COMMAND --help". */
static int
cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd;
	char *args[3];

	if (argc < 2) {
		usage(stdout, c->prog);
		return CTL_EXIT_OK;
	}
	if (argc > 2)
		return ctl_usage_error(c, "give one command name");
	cmd = find_command(argv[1]);
	if (cmd == NULL || cmd->run == cmd_help)
		return ctl_usage_error(c, "'%s': no such command", argv[1]);
	args[0] = argv[1];
	args[1] = (char *)"--help";
	args[2] = NULL;
	return run_command(c, cmd, 2, args);
}

static int
run_vfwdctl(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd;
	int opt, rc;

	/* Global options up to the command word ('+': stop there). */
	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:hq", global_options, NULL)) != -1) {
		if (opt == '?') {
			struct option all[N_GLOBAL + 1];

			memcpy(all, global_options, sizeof(global_options));
			memset(&all[N_GLOBAL], 0, sizeof(all[N_GLOBAL]));
			return bad_option(c, all, argc, argv);
		}
		if (opt == ':')
			return ctl_usage_error(c, "option '%s' needs a value",
					       argv[optind - 1]);
		rc = ctl_global_option(c, opt, optarg);
		if (rc == CTL_PARSE_HELP) {
			usage(stdout, c->prog);
			return CTL_EXIT_OK;
		}
		if (rc == CTL_PARSE_VERSION)
			return CTL_EXIT_OK;
		if (rc != 0)
			return rc;
	}
	if (optind >= argc)
		return ctl_usage_error(c, "no command given (commands: add, remove, "
				       "add_sock, remove_sock, query, stats, pin, "
				       "load, help)");
	cmd = find_command(argv[optind]);
	if (cmd == NULL)
		return ctl_usage_error(c, "'%s': no such command (allowed: add, remove, "
				       "add_sock, remove_sock, query, stats, pin, "
				       "load, help)", argv[optind]);
	return run_command(c, cmd, argc - optind, argv + optind);
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const char *base;
	int idx, rc;

	memset(&c, 0, sizeof(c));
	base = argc > 0 && argv[0] != NULL ? argv[0] : "vfwdctl";
	if (strrchr(base, '/') != NULL)
		base = strrchr(base, '/') + 1;
	c.prog = base;
	c.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	/* Output of a pipe is read line by line (watch mode, tests). */
	setvbuf(stdout, NULL, _IOLBF, 0);

	idx = ctl_1x_index(base);
	if (argc < 1)
		rc = ctl_usage_error(&c, "no arguments at all");
	else if (idx >= 0)
		rc = ctl_1x_run(&c, idx, argc, argv);
	else
		rc = run_vfwdctl(&c, argc, argv);
	ctl_client_close();
	if (fflush(stdout) != 0 && rc == CTL_EXIT_OK) {
		/* A full disk or a closed pipe must not look like success. */
		fprintf(stderr, "%s: writing the output: %s\n", c.prog, strerror(errno));
		rc = CTL_EXIT_FAIL;
	}
	return rc;
}
