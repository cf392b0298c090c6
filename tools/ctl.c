/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every command of vfwdctl shares: its messages, the global options
 * and the parsing of each command's command line around them, and the
 * Ctrl-C handling of the views that repeat.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

#ifndef VFWD_VERSION
#define VFWD_VERSION "unknown"
#endif

volatile sig_atomic_t ctl_stop;

/*
 * The configuration parser warns about variables it does not know (of the
 * load balancer, say) and notes values read differently from 1.x.  Those
 * are the daemon's business; the tools read a configuration file only for
 * the endpoints and their own settings and should not repeat them on
 * every run.  These definitions replace the library's weak ones in every
 * program of the tools: each links this file, for its messages.
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
 * option names (and 1.x's), so a command line can be pasted across.  No
 * terminating entry: getopt gets these only through parse_options(),
 * which appends them to the command's and ends the list.  (Given to
 * getopt as they are, an unknown option before the command word made it
 * read past the end.) */
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

/* The services' names for messages, their endpoint options and the
 * configuration variables of their endpoints. */
static const struct {
	const char *name;
	const char *option;
	const char *variable;
} services[CTL_N_SVC] = {
	[CTL_SVC_PORT_CONTROL] = { "port control", "--port-control-ep",
				   "VIRTIOFWD_ZMQ_PORT_CONTROL_EP" },
	[CTL_SVC_STATS] = { "stats", "--stats-ep", "VIRTIOFWD_ZMQ_STATS_EP" },
	[CTL_SVC_CORE_SCHED] = { "core scheduling", "--core-sched-ep",
				 "VIRTIOFWD_ZMQ_CORE_SCHED_EP" },
	[CTL_SVC_CONFIG] = { "config", "--config-ep", "VIRTIOFWD_ZMQ_CONFIG_EP" },
};

const char *
ctl_service_name(enum ctl_service s)
{
	return services[s].name;
}

const char *
ctl_service_option(enum ctl_service s)
{
	return services[s].option;
}

const char *
ctl_service_variable(enum ctl_service s)
{
	return services[s].variable;
}

/* Checks an endpoint given on the command line with the daemon's own
 * rules, so that both refuse the same things in the same words. */
static int
set_endpoint(struct ctl *c, enum ctl_service s, const char *arg)
{
	const char *opt = services[s].option;
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
	rc = vfwd_config_set(scratch, services[s].variable, &arg, 1, false, err,
			     sizeof(err));
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

/* Handles the option getopt returned when it is a global one.  Returns 1
 * when it was not global, 0 when applied, CTL_EXIT_USAGE (after the
 * message) for a bad value, CTL_PARSE_HELP when help was asked,
 * CTL_PARSE_VERSION when the version was printed. */
static int
global_option(struct ctl *c, int opt, const char *arg)
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
		return set_endpoint(c, CTL_SVC_PORT_CONTROL, arg);
	case OPT_STATS_EP:
		return set_endpoint(c, CTL_SVC_STATS, arg);
	case OPT_CORE_SCHED_EP:
		return set_endpoint(c, CTL_SVC_CORE_SCHED, arg);
	case OPT_CONFIG_EP:
		return set_endpoint(c, CTL_SVC_CONFIG, arg);
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

/* ctl_parse(), or with 'stop' ctl_parse_global(): getopt stops at the
 * first word that is not an option instead of moving the options after
 * it to the front (the command's options are its own). */
static int
parse_options(struct ctl *c, int argc, char **argv, const struct option *opts,
	      const char *shortopts, bool stop, ctl_opt_fn fn, void *ctx)
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
	/* ':' first (after '+'): a missing value is reported as ':', not as '?'. */
	snprintf(optstring, sizeof(optstring), "%s:%shq", stop ? "+" : "",
		 shortopts ? shortopts : "");

	optind = 0;             /* glibc: start over, also for a second parse */
	opterr = 0;             /* our messages, not getopt's */
	while ((opt = getopt_long(argc, argv, optstring, all, NULL)) != -1) {
		if (opt == '?')
			return bad_option(c, all, argc, argv);
		if (opt == ':')
			return ctl_usage_error(c, "option '%s' needs a value",
					       argv[optind - 1]);
		rc = global_option(c, opt, optarg);
		if (rc == 1)
			rc = fn(c, ctx, opt, optarg);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
ctl_parse(struct ctl *c, int argc, char **argv, const struct option *opts,
	  const char *shortopts, ctl_opt_fn fn, void *ctx)
{
	return parse_options(c, argc, argv, opts, shortopts, false, fn, ctx);
}

/* Before the command word every option getopt knows is a global one. */
static int
no_command_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	(void)ctx;
	(void)opt;
	(void)arg;
	return ctl_usage_error(c, "unexpected option");
}

int
ctl_parse_global(struct ctl *c, int argc, char **argv)
{
	return parse_options(c, argc, argv, NULL, NULL, true, no_command_option, NULL);
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
