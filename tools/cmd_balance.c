/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The balance command, the CPU load balancer (1.x: vio4wd_core_scheduler).
 * Every round it reads each relay direction's packet rate from the stats
 * service, plans a placement on the worker CPUs (balance.c) and, when the
 * plan spreads the load clearly better than what runs now, moves the
 * relays that change through the core scheduling service.  It runs as a
 * service of its own (virtio-forwarder-balancer.service), or once by hand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balance.h"
#include "cmd_balance.h"
#include "ctl.h"
#include "ctl_client.h"
#include "ctl_query.h"
#include "journal.h"
#include "virtioforwarder.pb-c.h"

enum {
	OPT_ONCE = OPT_CMD_BASE,
	OPT_DRY_RUN,
	OPT_INTERVAL,
	OPT_SENSITIVITY,
	OPT_ANY_NODE,
	OPT_KEEP_PINS,
	OPT_LOG_LEVEL,
};

/* Ceiling of --sensitivity, as of VIO4WD_CORE_SCHED_SENSITIVITY; the
 * spread of N workers never exceeds sqrt(N - 1). */
#define MAX_SENSITIVITY 10.0
/* The stats service keeps 10 s of samples: the longest rate window. */
#define MAX_WINDOW_MS 10000
/* Below this many packets per second in all, load is noise: no moves. */
#define MIN_TOTAL_PPS 1000.0

/* What the command line gave, before the file's values fill the rest. */
struct balance_args {
	struct ctl_balance b;
	bool interval_set;
	bool sensitivity_set;
	bool log_level_set;
};

static const struct option balance_options[] = {
	{ "once",        no_argument,       NULL, OPT_ONCE },
	{ "dry-run",     no_argument,       NULL, OPT_DRY_RUN },
	{ "interval",    required_argument, NULL, OPT_INTERVAL },
	{ "sensitivity", required_argument, NULL, OPT_SENSITIVITY },
	{ "any-node",    no_argument,       NULL, OPT_ANY_NODE },
	{ "keep-pins",   no_argument,       NULL, OPT_KEEP_PINS },
	{ "log-level",   required_argument, NULL, OPT_LOG_LEVEL },
	{ NULL, 0, NULL, 0 },
};

static void
balance_help(const struct ctl *c)
{
	printf(
"Usage: %s balance [--once] [--dry-run] [OPTIONS]\n"
"\n"
"The CPU load balancer: moves relays between worker CPUs so that the\n"
"packet load spreads evenly.  Runs until SIGTERM or Ctrl-C, a round every\n"
"--interval seconds; the daemon must serve core scheduling\n"
"(VIO4WD_CORE_SCHED_ENABLE=true).  It may move relays pinned by hand.\n"
"Messages on stdout; under systemd with journald's level prefix.\n"
"  --once             one round, then exit: 0 done (moved or not), 1 the\n"
"                     daemon could not be asked or refused the moves\n"
"  --dry-run          say what would move, move nothing\n"
"  --interval=S       seconds between rounds, 0.1 to 3600\n"
"                     [VIO4WD_CORE_SCHED_POLL_INTERVAL, 5]\n"
"  --sensitivity=X    0 to 10: how much a new placement must lower the\n"
"                     spread of the worker loads (their coefficient of\n"
"                     variation) to be applied [VIO4WD_CORE_SCHED_SENSITIVITY, 0.25]\n"
"  --any-node         place relays on workers of any NUMA node, not only\n"
"                     their own [VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT]\n"
"  --keep-pins        leave the relays of VIRTIOFWD_CPU_PINS (in the file\n"
"                     read) where they are\n"
"  --log-level=N      0-7, 7 the most verbose [VIO4WD_CORE_SCHED_LOG_LEVEL, 6]\n"
"  --stats-ep=EP, --core-sched-ep=EP, --config=FILE, --timeout=MS: see\n"
"                     '%s --help'\n",
	       c->prog, c->prog);
}

static int
balance_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	struct balance_args *args = ctx;
	struct ctl_balance *a = &args->b;
	int rc;

	switch (opt) {
	case OPT_ONCE:
		a->once = true;
		return 0;
	case OPT_DRY_RUN:
		a->dry_run = true;
		return 0;
	case OPT_INTERVAL:
		args->interval_set = true;
		return ctl_parse_seconds(c, "--interval", arg, &a->interval);
	case OPT_SENSITIVITY: {
		char *end;

		errno = 0;
		a->sensitivity = strtod(arg, &end);
		if (errno != 0 || end == arg || *end != '\0' || !(a->sensitivity >= 0) ||
		    a->sensitivity > MAX_SENSITIVITY)
			return ctl_usage_error(c, "--sensitivity=%s: not a number from 0 "
					       "to %g", arg, MAX_SENSITIVITY);
		args->sensitivity_set = true;
		return 0;
	}
	case OPT_ANY_NODE:
		a->any_node = true;
		return 0;
	case OPT_KEEP_PINS:
		a->keep_pins = true;
		return 0;
	case OPT_LOG_LEVEL:
		rc = ctl_parse_uint(c, "--log-level", arg, 0, 7, &a->log_level);
		args->log_level_set = rc == 0;
		return rc;
	}
	return ctl_usage_error(c, "unknown option");
}

/* ------------------------------------------------------------------ */
/* Messages                                                           */
/* ------------------------------------------------------------------ */

static unsigned long log_level = 6;
static bool journal;

/* One line on stdout at syslog level 'level'; with journald's level
 * prefix when stdout is the journal, so that `journalctl -p` filters. */
static void __attribute__((format(printf, 2, 3)))
note(int level, const char *fmt, ...)
{
	va_list ap;

	if ((unsigned long)level > log_level)
		return;
	if (journal)
		printf("<%d>", level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* An error: to the journal at level 3, else on stderr as every command
 * says its errors. */
static void
complain(const struct ctl *c, const char *msg)
{
	if (journal)
		note(3, "%s", msg);
	else
		ctl_error(c, "%s", msg);
}

/* ------------------------------------------------------------------ */
/* One round                                                          */
/* ------------------------------------------------------------------ */

/* What a round saw: the workers, and one task per relay direction. */
struct round {
	struct bal_cpu cpus[BAL_MAX_CPUS];
	unsigned int n_cpus;
	struct bal_task tasks[BAL_MAX_TASKS];
	unsigned int n_tasks;
	double total;
};

/* Asks the core scheduling service for the worker CPUs, only to know it
 * answers before planning moves it would refuse to hear.  Returns 0, or a
 * negative errno with 'err' filled. */
static int
check_core_sched(struct ctl *c, char *err, size_t errlen)
{
	Virtioforwarder__CoreSchedRequest q = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedResponse *r;
	int rc;

	q.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	rc = ctl_core_sched_fetch(c, &q, &r, err, errlen);
	if (rc == 0)
		virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return rc;
}

static bool
pinned(const struct vfwd_config *cfg, unsigned int relay)
{
	unsigned int i;

	for (i = 0; cfg != NULL && i < cfg->n_pins; i++)
		if (cfg->pins[i].relay == relay)
			return true;
	return false;
}

/* The workers and the relay directions that run on them, with their
 * packet rates over 'window_ms', from one answer of the stats service (one
 * snapshot: the daemon cannot change its workers in between).  Returns 0,
 * or a negative errno with 'err' filled. */
static int
read_tasks(struct ctl *c, const struct ctl_balance *a, unsigned int window_ms,
	   struct round *rd, char *err, size_t errlen)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	const struct vfwd_config *cfg = a->keep_pins ? ctl_config(c) : NULL;
	Virtioforwarder__StatsResponse *r;
	size_t i;
	int rc;

	q.has_delay = true;
	q.delay = window_ms;
	rc = ctl_stats_fetch(c, &q, &r, err, errlen);
	if (rc != 0)
		return rc;
	rd->n_cpus = 0;
	for (i = 0; i < r->n_worker && rd->n_cpus < BAL_MAX_CPUS; i++) {
		const Virtioforwarder__WorkerLoad *w = r->worker[i];

		rd->cpus[rd->n_cpus].cpu = (int)w->cpu;
		/* A daemon that does not say: one node for all. */
		rd->cpus[rd->n_cpus].node = w->has_socket_id && w->socket_id >= 0 ?
					    w->socket_id : 0;
		rd->n_cpus++;
	}
	rd->n_tasks = 0;
	rd->total = 0;
	for (i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		const Virtioforwarder__RelayState__CPU *cpu = rs->cpu;
		int at[2] = {
			cpu && cpu->has_vf_to_vm ? cpu->vf_to_vm : -1,
			cpu && cpu->has_vm_to_vf ? cpu->vm_to_vf : -1,
		};
		double load[2] = {
			rs->vf_to_vm ? rs->vf_to_vm->pkt_rate_rx_from_vf : 0,
			rs->vm_to_vf ? rs->vm_to_vf->pkt_rate_rx_from_vm : 0,
		};
		unsigned int d;

		/* A relay runs both directions or neither. */
		if (at[0] < 0 || at[1] < 0 || rd->n_tasks + 2 > BAL_MAX_TASKS)
			continue;
		for (d = 0; d < 2; d++) {
			struct bal_task *t = &rd->tasks[rd->n_tasks++];

			t->relay = rs->id;
			t->dir = d;
			t->load = load[d] > 0 ? load[d] : 0;
			/* SOCKET_ID_ANY (-1) and nonsense alike: any node. */
			t->node = rs->socket_id < 1024 ? (int)rs->socket_id : -1;
			t->cpu = at[d];
			t->fixed = pinned(cfg, rs->id);
			rd->total += t->load;
		}
	}
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	return 0;
}

/* The moves of 'plan': one pin per relay whose CPUs change. */
static unsigned int
moves(const struct round *rd, const int *plan, struct vfwd_pin *pins)
{
	unsigned int i, n = 0;

	/* read_tasks() stores a relay's two directions next to each other. */
	for (i = 0; i + 1 < rd->n_tasks; i += 2) {
		if (plan[i] == rd->tasks[i].cpu && plan[i + 1] == rd->tasks[i + 1].cpu)
			continue;
		pins[n].relay = rd->tasks[i].relay;
		pins[n].cpu_vf_to_vm = plan[i];
		pins[n].cpu_vm_to_vf = plan[i + 1];
		n++;
	}
	return n;
}

/* What carries over from one round to the next. */
struct balance_state {
	bool reachable;                  /* the last round reached the daemon */
	struct vfwd_pin refused[VFWD_MAX_RELAYS];
	unsigned int n_refused;          /* the moves the daemon last refused */
};

static bool
same_moves(const struct balance_state *st, const struct vfwd_pin *pins, unsigned int n)
{
	return n == st->n_refused && memcmp(pins, st->refused, n * sizeof(*pins)) == 0;
}

/* One round: CTL_EXIT_OK whether or not anything moved, CTL_EXIT_FAIL
 * when the daemon could not be asked or refused the moves. */
static int
round_once(struct ctl *c, const struct ctl_balance *a, unsigned int window_ms,
	   struct balance_state *st)
{
	struct round *rd = calloc(1, sizeof(*rd));
	struct vfwd_pin pins[VFWD_MAX_RELAYS];
	int plan[BAL_MAX_TASKS], now[BAL_MAX_TASKS];
	char err[VFWD_ERR_MAX] = "";
	double cv_now, cv_plan;
	unsigned int i, n;
	int rc;

	if (rd == NULL) {
		complain(c, "out of memory");
		return CTL_EXIT_FAIL;
	}
	rc = check_core_sched(c, err, sizeof(err));
	if (rc == 0)
		rc = read_tasks(c, a, window_ms, rd, err, sizeof(err));
	if (rc != 0) {
		/* While the daemon is away, say so once, not every round. */
		if (rc != -EINTR && (st->reachable || a->once)) {
			if (!a->once)
				strncat(err, "; trying again every round",
					sizeof(err) - strlen(err) - 1);
			complain(c, err);
		}
		st->reachable = false;
		rc = rc == -EINTR ? CTL_EXIT_OK : CTL_EXIT_FAIL;
		goto out;
	}
	if (!st->reachable)
		note(5, "the daemon answers again");
	st->reachable = true;
	rc = CTL_EXIT_OK;
	if (rd->n_cpus < 2 || rd->n_tasks == 0 || rd->total < MIN_TOTAL_PPS) {
		note(a->once ? 6 : 7, "nothing to balance: %u workers, %u relay "
		     "directions, %.0f packets/s in all", rd->n_cpus, rd->n_tasks,
		     rd->total);
		goto out;
	}
	for (i = 0; i < rd->n_tasks; i++)
		now[i] = rd->tasks[i].cpu;
	if (bal_plan(rd->cpus, rd->n_cpus, rd->tasks, rd->n_tasks, a->any_node, plan) != 0)
		goto out;
	cv_now = bal_cv(rd->cpus, rd->n_cpus, rd->tasks, rd->n_tasks, now, a->any_node);
	cv_plan = bal_cv(rd->cpus, rd->n_cpus, rd->tasks, rd->n_tasks, plan, a->any_node);
	n = moves(rd, plan, pins);
	if (n == 0 || !bal_worth_it(cv_now, cv_plan, a->sensitivity)) {
		note(a->once ? 6 : 7, "balanced enough: load spread %.3f, best plan %.3f "
		     "(%.0f packets/s on %u workers)", cv_now, cv_plan, rd->total, rd->n_cpus);
		goto out;
	}
	if (!a->dry_run && !a->once && same_moves(st, pins, n)) {
		/* Said when it was refused; asking again every round would only
		 * fill the log.  A different plan is tried. */
		note(7, "the plan the daemon refused last time is unchanged");
		goto out;
	}
	if (!a->dry_run) {
		rc = ctl_core_sched_update(c, pins, n, err, sizeof(err));
		if (rc == -EINTR) {
			rc = CTL_EXIT_OK;
			goto out;
		}
		if (rc != 0) {
			complain(c, err);
			memcpy(st->refused, pins, n * sizeof(*pins));
			st->n_refused = n;
			rc = CTL_EXIT_FAIL;
			goto out;
		}
		st->n_refused = 0;
	}
	note(6, "%s %u relay%s: load spread %.3f -> %.3f", a->dry_run ? "would move" :
	     "moved", n, n == 1 ? "" : "s", cv_now, cv_plan);
	for (i = 0; i < n; i++)
		note(6, "  relay %u: VF to VM on CPU %d, VM to VF on CPU %d",
		     pins[i].relay, pins[i].cpu_vf_to_vm, pins[i].cpu_vm_to_vf);
out:
	free(rd);
	return rc;
}

int
ctl_cmd_balance(struct ctl *c, int argc, char **argv)
{
	struct balance_args args = { 0 };
	struct ctl_balance *a = &args.b;
	const struct vfwd_config *cfg;
	int rc;

	rc = ctl_parse(c, argc, argv, balance_options, "", balance_option, &args);
	if (rc == CTL_PARSE_HELP)
		balance_help(c);
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);

	/* The options win over the file's VIO4WD_CORE_SCHED_* values. */
	cfg = ctl_config(c);
	if (cfg == NULL) {
		/* Usage, not failure: a service restart cannot mend the file. */
		ctl_error(c, "%s", c->load_err);
		return CTL_EXIT_USAGE;
	}
	if (!args.interval_set)
		a->interval = cfg->sched_poll_interval;
	if (!args.sensitivity_set)
		a->sensitivity = cfg->sched_sensitivity;
	if (!args.log_level_set)
		a->log_level = (unsigned long)cfg->sched_log_level;
	if (cfg->sched_global_numa)
		a->any_node = true;
	return ctl_balance_run(c, a);
}

int
ctl_balance_run(struct ctl *c, const struct ctl_balance *opts)
{
	struct balance_state st = { .reachable = true };
	struct ctl_balance o = *opts, *a = &o;
	unsigned int window_ms;

	if (a->interval < 0.1)
		a->interval = 0.1;
	log_level = a->log_level;
	journal = vfwd_journal_stream(STDOUT_FILENO);

	/* Rates over the time since the last round, as far as the daemon's
	 * history reaches; --once looks at the last second. */
	window_ms = a->once ? 1000 : (unsigned int)(a->interval * 1000);
	if (window_ms > MAX_WINDOW_MS)
		window_ms = MAX_WINDOW_MS;
	if (window_ms < 100)
		window_ms = 100;

	if (a->once)
		return round_once(c, a, window_ms, &st);

	ctl_catch_signals();
	note(6, "balancing every %g s, sensitivity %g, %s, %s", a->interval,
	     a->sensitivity, a->any_node ? "any NUMA node" : "NUMA-local",
	     a->keep_pins ? "keeping pinned relays" : "pinned relays too");
	while (!ctl_stop) {
		double left = a->interval;

		round_once(c, a, window_ms, &st);
		/* In steps of at most a second: a SIGTERM that lands just before
		 * a sleep starts is then seen within a second, not an interval. */
		while (left > 0 && !ctl_stop) {
			ctl_sleep(left < 1 ? left : 1);
			left -= 1;
		}
	}
	note(6, "stopped");
	return CTL_EXIT_OK;
}
