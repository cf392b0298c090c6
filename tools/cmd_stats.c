/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats and load commands: StatsRequest to the stats service, shown
 * once or every interval until Ctrl-C.
 *
 * Rates come from the daemon, which samples its counters every 100 ms and
 * answers each request from those samples over the window the request
 * asks for ('delay').  Unlike 1.x, a request neither sleeps in the daemon
 * nor resets anything, so several viewers do not disturb each other.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd_stats.h"
#include "ctl.h"
#include "ctl_output.h"
#include "ctl_query.h"
#include "virtioforwarder.pb-c.h"

/* The daemon keeps 10 s of samples; a longer window would be cut. */
#define MAX_DELAY_MS 10000

/* Formats of the stats command (ctl_output.h prints each). */
enum ctl_format {
	CTL_FMT_TABLE = 0,
	CTL_FMT_JSON,
	CTL_FMT_FLAT,
};

enum {
	OPT_RELAY = OPT_CMD_BASE,
	OPT_DELAY,
	OPT_INCLUDE_INACTIVE,
	OPT_ACTIVE_ONLY,
	OPT_QUEUES,
	OPT_JSON,
	OPT_FLAT,
	OPT_WATCH,
	OPT_INTERVAL,
	OPT_ONCE,
	OPT_EP,
};

struct view_args {
	uint32_t relays[VFWD_MAX_RELAYS];
	bool want[VFWD_MAX_RELAYS];
	size_t n_relays;
	unsigned long delay_ms;
	bool delay_set;
	bool active_only;
	bool queues;
	enum ctl_format format;
	bool format_set;
	bool watch;
	double interval;
	bool interval_set;
	bool once;
};

static const struct option stats_options[] = {
	{ "relay",            required_argument, NULL, OPT_RELAY },
	{ "delay",            required_argument, NULL, OPT_DELAY },
	{ "include-inactive", no_argument,       NULL, OPT_INCLUDE_INACTIVE },
	{ "active-only",      no_argument,       NULL, OPT_ACTIVE_ONLY },
	{ "queues",           no_argument,       NULL, OPT_QUEUES },
	{ "json",             no_argument,       NULL, OPT_JSON },
	{ "flat",             no_argument,       NULL, OPT_FLAT },
	{ "watch",            no_argument,       NULL, OPT_WATCH },
	{ "interval",         required_argument, NULL, OPT_INTERVAL },
	{ "ep",               required_argument, NULL, OPT_STATS_EP },
	{ NULL, 0, NULL, 0 },
};

static const struct option load_options[] = {
	{ "interval",         required_argument, NULL, OPT_INTERVAL },
	{ "poll-interval",    required_argument, NULL, OPT_INTERVAL },
	{ "once",             no_argument,       NULL, OPT_ONCE },
	{ "ep",               required_argument, NULL, OPT_STATS_EP },
	{ NULL, 0, NULL, 0 },
};

static void
stats_help(const struct ctl *c)
{
	printf(
"Usage: %s%s [--relay=N]... [--delay=MS] [--include-inactive | --active-only]\n"
"       [--queues] [--json | --flat] [--watch [--interval=S]]\n"
"\n"
"Prints the counters and rates of the relays and the load of the workers,\n"
"from the stats service.\n"
"  -r, --relay=N[,N...]  only these relays, 0-63 (repeatable; default all)\n"
"  --delay=MS            measure rates over the last MS milliseconds, 0-%d\n"
"                        (default 1000; with --watch the interval)\n"
"  --include-inactive    also relays without both device and guest (default)\n"
"  --active-only         only relays with a device and a connected guest\n"
"  --queues              add the counters of each guest queue pair\n"
"  --json                one JSON document with every field of the answer\n"
"  --flat                one key=value per line: relay.ID.vf_to_vm.pkts_rx_from_vf=N\n"
"  --watch               repeat until Ctrl-C (clears the screen on a terminal;\n"
"                        with --json one document per line)\n"
"  --interval=S          seconds between --watch frames (default 1)\n"
"  --stats-ep=EP, --ep=EP, --zmq-stats-ep=EP\n"
"                        the stats endpoint [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  --config=FILE, --timeout=MS, -h/--help: see '%s --help'\n"
"The table folds relays with no device, no guest and no traffic into one line.\n",
	       c->prog, " stats", MAX_DELAY_MS, c->prog);
}

static void
load_help(const struct ctl *c)
{
	printf(
"Usage: %s%s [--interval=S] [--once]\n"
"\n"
"Shows a bar per worker CPU with its busy share, refreshed every interval\n"
"until Ctrl-C, and the relays each worker polls.\n"
"  --interval=S, --poll-interval=S\n"
"                        seconds between frames, and the window the load is\n"
"                        measured over (default 1)\n"
"  --once                print one frame and exit\n"
"  --stats-ep=EP, --ep=EP, --zmq-stats-ep=EP\n"
"                        the stats endpoint [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  --config=FILE, --timeout=MS, -h/--help: see '%s --help'\n",
	       c->prog, " load", c->prog);
}

/* "--relay=1", "-r 1,3": adds to the list, each relay once. */
static int
add_relays(struct ctl *c, struct view_args *a, const char *arg)
{
	char buf[256], *tok, *save = NULL;
	unsigned long id;
	int rc;

	if (strlen(arg) >= sizeof(buf) || arg[0] == '\0')
		return ctl_usage_error(c, "--relay=%s: must be relay ids 0-%d, "
				       "comma-separated", arg, VFWD_MAX_RELAYS - 1);
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		rc = ctl_parse_uint(c, "--relay", tok, 0, VFWD_MAX_RELAYS - 1, &id);
		if (rc != 0)
			return rc;
		if (!a->want[id]) {
			a->want[id] = true;
			a->relays[a->n_relays++] = (uint32_t)id;
		}
	}
	return 0;
}

static int
set_format(struct ctl *c, struct view_args *a, enum ctl_format f)
{
	if (a->format_set && a->format != f)
		return ctl_usage_error(c, "--json and --flat exclude each other");
	a->format = f;
	a->format_set = true;
	return 0;
}

static int
view_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	struct view_args *a = ctx;
	int rc;

	switch (opt) {
	case OPT_RELAY:
	case 'r':
		return add_relays(c, a, arg);
	case OPT_DELAY:
		rc = ctl_parse_uint(c, "--delay", arg, 0, MAX_DELAY_MS, &a->delay_ms);
		a->delay_set = true;
		return rc;
	case OPT_INCLUDE_INACTIVE:
		a->active_only = false;
		return 0;
	case OPT_ACTIVE_ONLY:
		a->active_only = true;
		return 0;
	case OPT_QUEUES:
		a->queues = true;
		return 0;
	case OPT_JSON:
		return set_format(c, a, CTL_FMT_JSON);
	case OPT_FLAT:
		return set_format(c, a, CTL_FMT_FLAT);
	case OPT_WATCH:
		a->watch = true;
		return 0;
	case OPT_INTERVAL:
		a->interval_set = true;
		return ctl_parse_seconds(c, "--interval", arg, &a->interval);
	case OPT_ONCE:
		a->once = true;
		return 0;
	default:
		return ctl_usage_error(c, "unexpected option");
	}
}

/* Asks for the StatsResponse the view 'a' shows. */
static Virtioforwarder__StatsResponse *
fetch(struct ctl *c, const struct view_args *a, unsigned int delay_ms, int *status)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;

	q.n_relay = a->n_relays;
	q.relay = a->n_relays ? (uint32_t *)a->relays : NULL;
	q.has_include_inactive = true;
	q.include_inactive = !a->active_only;
	q.has_delay = true;
	q.delay = delay_ms;
	q.has_include_queues = a->queues;
	q.include_queues = a->queues;
	return ctl_stats_query(c, &q, status);
}

/* Starts a frame of a repeating view: on a terminal, a clean screen with
 * a title line, as watch(1) does; in a pipe, a blank line between frames. */
static void
frame_start(const char *title, double interval, bool first)
{
	char when[64];
	time_t now = time(NULL);
	struct tm tm;

	if (isatty(STDOUT_FILENO)) {
		localtime_r(&now, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("\033[H\033[2J%s, every %g s (Ctrl-C to quit)   %s\n\n", title,
		       interval, when);
	} else if (!first) {
		printf("\n");
	}
}

static int
print_stats(const struct view_args *a, const Virtioforwarder__StatsResponse *r)
{
	switch (a->format) {
	case CTL_FMT_JSON:
		return ctl_print_json(stdout, &r->base, a->watch);
	case CTL_FMT_FLAT:
		ctl_print_flat(stdout, &r->base);
		return 0;
	default:
		ctl_print_stats_table(stdout, r, a->queues);
		return 0;
	}
}

int
ctl_cmd_stats(struct ctl *c, int argc, char **argv)
{
	Virtioforwarder__StatsResponse *r;
	struct view_args a;
	unsigned int delay;
	bool first = true;
	int rc;

	memset(&a, 0, sizeof(a));
	a.interval = 1.0;
	rc = ctl_parse(c, argc, argv, stats_options, "r:", view_option, &a);
	if (rc == CTL_PARSE_HELP)
		stats_help(c);
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (a.interval_set && !a.watch)
		return ctl_usage_error(c, "--interval applies to --watch");

	/* Watching: rates over the interval, so each frame shows what
	 * happened since the one before. */
	delay = a.delay_set ? (unsigned int)a.delay_ms :
		a.watch ? (unsigned int)(a.interval * 1000 + 0.5) : 0;
	if (delay > MAX_DELAY_MS)
		delay = MAX_DELAY_MS;
	if (a.watch)
		ctl_catch_signals();
	do {
		r = fetch(c, &a, delay, &rc);
		if (r == NULL)
			return rc;
		if (a.watch && a.format == CTL_FMT_TABLE)
			frame_start("vfwdctl stats", a.interval, first);
		else if (a.watch && a.format == CTL_FMT_FLAT && !first)
			printf("\n");
		rc = print_stats(&a, r);
		virtioforwarder__stats_response__free_unpacked(r, NULL);
		if (rc != 0) {
			ctl_error(c, "out of memory");
			return CTL_EXIT_FAIL;
		}
		fflush(stdout);
		first = false;
		if (a.watch)
			ctl_sleep(a.interval);
	} while (a.watch && !ctl_stop);
	return CTL_EXIT_OK;
}

int
ctl_cmd_load(struct ctl *c, int argc, char **argv)
{
	struct view_args a;
	int rc;

	memset(&a, 0, sizeof(a));
	a.interval = 1.0;
	rc = ctl_parse(c, argc, argv, load_options, "", view_option, &a);
	if (rc == CTL_PARSE_HELP)
		load_help(c);
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	return ctl_load_run(c, a.interval, a.once, NULL);
}

int
ctl_load_run(struct ctl *c, double interval, bool once,
	     const struct vfwd_cpuset *only)
{
	Virtioforwarder__StatsResponse *r;
	struct view_args a;
	bool first = true;
	int rc;

	memset(&a, 0, sizeof(a));
	if (!once)
		ctl_catch_signals();
	for (;;) {
		/* The load over the interval between two frames. */
		r = fetch(c, &a, (unsigned int)(interval * 1000 + 0.5), &rc);
		if (r == NULL)
			return rc;
		if (!once)
			frame_start("worker load", interval, first);
		ctl_print_load(stdout, r, only);
		virtioforwarder__stats_response__free_unpacked(r, NULL);
		fflush(stdout);
		first = false;
		if (once)
			break;
		ctl_sleep(interval);
		if (ctl_stop)
			break;
	}
	return CTL_EXIT_OK;
}
