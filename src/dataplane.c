/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane: workers, placement, publishing, counters.
 *
 * Each worker is an EAL lcore running worker_main() over its current poll
 * list.  The control side never changes a list a worker may be reading:
 * it fills the worker's spare list, swaps it in, and waits with DPDK's RCU
 * QSBR until every worker has passed a quiescent point (one per pass
 * over its list).  Only then is the old list reused, and only then may the
 * caller release the vhost device, port or buffer pool it referenced.
 * Both lists are preallocated for every unit a worker can have, so that
 * publishing never allocates and cannot fail.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dataplane.h"
#include "errmsg.h"
#include "fwd.h"
#include "lock.h"
#include "log.h"
#include "placement.h"
#include "sleep.h"

/* Most units a worker can poll: both directions of every relay. */
#define MAX_UNITS (2 * VFWD_MAX_RELAYS)

/*
 * Adaptive mode: a unit that found nothing this many polls in a row is
 * then polled once every few passes only, until it finds packets: every
 * (UNIT_SKIP + 1)th pass, or rarer on a long poll list, so that a pass
 * polls about IDLE_UNITS_PER_PASS idle units however many there are.
 * Idle relays then cost their busy neighbours a bounded share (a quarter
 * of what they would with 31 of them, an eighth with 63), and a packet on
 * an idle unit waits a few passes more at most (list->idle_skip).
 */
#define UNIT_IDLE_POLLS 64
#define UNIT_SKIP 3
#define IDLE_UNITS_PER_PASS 16
/* What a worker polls: a count and the units. */
struct poll_list {
	unsigned int n;
	unsigned int idle_skip;           /* passes an idle unit sits out */
	uint64_t gen;                     /* publication it came from */
	struct vfwd_unit units[MAX_UNITS];
};

/* One direction's counters on one worker, alone in its cache line(s). */
struct dir_slot {
	struct vfwd_dir_counters c;
} __rte_cache_aligned;

/*
 * A worker: its lcore, its poll lists and its counters.  Busy and idle TSC
 * cycles tell how loaded it is (the load balancer reads them).  Only the
 * worker writes its counters (plain stores through relaxed atomics); the
 * stats side sums them without a lock.
 */
struct worker {
	unsigned int idx;
	unsigned int lcore;
	int numa;
	struct poll_list *list;           /* published with release */
	struct poll_list *spare;          /* filled by the control side */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t sleep_cycles;
	uint64_t wakeups;
	uint64_t idle_tsc;                /* adaptive: polling before a sleep */
	uint64_t passes;                  /* the watchdog's sign of life */
	bool asleep;                      /* adaptive mode: in a sleep */
	uint64_t passes_seen;             /* main thread: at the last check */
	bool exited;                      /* worker_main() returned (release) */
	struct vfwd_sleeper sleeper;      /* adaptive mode */
	struct dir_slot ctr[VFWD_MAX_RELAYS][VFWD_N_DIRS];
	/* Per direction first: the two directions of a relay may run on
	 * different workers, and must not share cache lines. */
	struct vfwd_queue_counters
		qctr[VFWD_N_DIRS][VFWD_MAX_RELAYS][VFWD_MAX_QUEUE_PAIRS] __rte_cache_aligned;
} __rte_cache_aligned;

/*
 * Where one relay runs.  'worker' is where each direction should run,
 * 'published' where it runs now: they differ only inside a move, when a
 * direction is withdrawn from its old worker before the new one gets it.
 */
struct placement {
	struct vfwd_dp_relay desc;        /* what the relay layer last told */
	int pin[VFWD_N_DIRS];             /* configured CPU, -1: any */
	int worker[VFWD_N_DIRS];          /* assigned worker, -1: none */
	int published[VFWD_N_DIRS];       /* worker polling it now, -1: none */
};

static struct worker *workers;         /* written at init only */
static unsigned int n_workers;
static struct rte_rcu_qsbr *qsbr;
/* Set by vfwd_dp_stop(), read by the workers once per pass: through
 * stopping() and request_stop() only, atomic. */
static bool stop_requested;
static bool running;
static bool same_numa;                 /* VIRTIOFWD_CPU_NIC_SAME_NUMA */
static enum vfwd_poll_mode poll_mode;

/* Guards 'relays' and the spare lists: callers come from the control
 * thread and the vhost library's thread. */
static struct vfwd_mutex dp_lock = VFWD_MUTEX_INITIALIZER;
static struct placement relays[VFWD_MAX_RELAYS] VFWD_GUARDED_BY(dp_lock);
static uint64_t publications VFWD_GUARDED_BY(dp_lock);
/* Also guards the placements' 'worker' and 'pin', written with dp_lock
 * held too: so vfwd_dp_relay_cpus() (stats) reads them without waiting
 * for dp_lock, whose holder may be waiting for the workers to sync.  A
 * leaf: held only to read or write them. */
static struct vfwd_mutex place_lock = VFWD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

static struct poll_list *
list_alloc(int numa)
{
	struct poll_list *l;

	l = rte_zmalloc_socket("vfwd_poll_list", sizeof(*l), RTE_CACHE_LINE_SIZE,
			       numa);
	if (l == NULL)
		l = rte_zmalloc("vfwd_poll_list", sizeof(*l), RTE_CACHE_LINE_SIZE);
	return l;
}

/* Frees the workers' lists, the workers and the QSBR variable. */
/* Has vfwd_dp_stop() asked the workers to end?  Acquire: pairs with
 * request_stop(). */
static inline bool
stopping(void)
{
	return __atomic_load_n(&stop_requested, __ATOMIC_ACQUIRE);
}

/* Asks the workers to end (true), or lets them run (false). */
static void
request_stop(bool stop)
{
	__atomic_store_n(&stop_requested, stop, __ATOMIC_RELEASE);
}

static void
free_workers(unsigned int n)
{
	unsigned int i;

	for (i = 0; workers != NULL && i < n; i++) {
		rte_free(workers[i].list);
		rte_free(workers[i].spare);
		vfwd_sleep_fini(&workers[i].sleeper);
	}
	rte_free(workers);
	rte_free(qsbr);
	workers = NULL;
	qsbr = NULL;
	n_workers = 0;
}

/* Adds a pass's cycles to the worker's busy or idle time.  Only this
 * worker writes these; the stats side reads them relaxed. */
static inline void
account(struct worker *w, unsigned int got, uint64_t cycles)
{
	__atomic_store_n(&w->passes, w->passes + 1, __ATOMIC_RELAXED);
	if (got != 0)
		__atomic_store_n(&w->busy_cycles, w->busy_cycles + cycles,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&w->idle_cycles, w->idle_cycles + cycles,
				 __ATOMIC_RELAXED);
}

/*
 * The polling loop of busy mode, as 1.x polled.  One quiescent-state
 * report per pass over the list: between two reports the worker may hold
 * pointers from the list it loaded, never across one.
 */
static void
loop_busy(struct worker *w)
{
	uint64_t prev = rte_rdtsc(), now;

	while (!stopping()) {
		struct poll_list *list = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		unsigned int i, got = 0;

		for (i = 0; i < list->n; i++) {
			struct vfwd_unit *u = &list->units[i];

			got += vfwd_fwd_engines[u->dir].poll(u);
		}
		rte_rcu_qsbr_quiescent(qsbr, w->idx);
		now = rte_rdtsc();
		account(w, got, now - prev);
		prev = now;
	}
}

/*
 * One pass of adaptive mode: units that have long been idle are polled
 * every list->idle_skip + 1 passes only, unless 'all'.
 */
static inline unsigned int
pass_adaptive(struct poll_list *list, bool all)
{
	unsigned int i, n, got = 0;

	for (i = 0; i < list->n; i++) {
		struct vfwd_unit *u = &list->units[i];

		if (u->skip != 0 && !all) {
			u->skip--;
			continue;
		}
		n = vfwd_fwd_engines[u->dir].poll(u);
		got += n;
		if (n != 0) {
			u->empty_polls = 0;
			u->skip = 0;
			u->no_intr = 0;       /* it may have interrupts now */
		} else if (u->empty_polls < UNIT_IDLE_POLLS) {
			u->empty_polls++;
		} else {
			u->skip = list->idle_skip;
		}
	}
	return got;
}

/*
 * The polling loop of adaptive mode.  After VIRTIOFWD_POLL_IDLE_US without
 * a packet, the worker arms an event on every unit, polls once more (what
 * came before the arming raised no event), and sleeps offline for RCU, so
 * that the control side never waits for it.  The first pass after a wake
 * polls every unit.  Events stay armed while nothing comes and the poll
 * list stays the same: a sleep that ended on its timeout is followed by
 * one pass and the next sleep, nothing else.  Traffic, or a new list,
 * turns the events off.
 */
static void
loop_adaptive(struct worker *w)
{
	const uint64_t idle_tsc = w->idle_tsc;
	uint64_t prev = rte_rdtsc(), now, idle_since = 0, armed_gen = 0;
	bool armed = false, evented = false, woke = false;

	/* Timer sleeps of a few microseconds, not the default 50 us slack. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!stopping()) {
		struct poll_list *list;
		unsigned int got;

		/* Quiescent here, where the worker holds nothing of the last
		 * list: the sleep path below still uses 'list' (arming its
		 * units' events, one more pass) after the pass, so a report
		 * after the pass would let the control side free what it
		 * arms.  ThreadSanitizer found it: a closed device's event
		 * descriptor added to the worker's epoll set. */
		rte_rcu_qsbr_quiescent(qsbr, w->idx);
		list = __atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		got = pass_adaptive(list, woke);
		woke = false;
		if (unlikely(armed) && (got != 0 || list->gen != armed_gen)) {
			vfwd_sleep_disarm(list->units, list->n);
			armed = false;
		}
		now = rte_rdtsc();
		account(w, got, now - prev);
		prev = now;
		if (got != 0) {
			idle_since = 0;
			vfwd_sleep_reset(&w->sleeper);
			continue;
		}
		if (idle_since == 0)
			idle_since = now;
		if (now - idle_since < idle_tsc ||
		    !vfwd_sleep_allowed(list->units, list->n))
			continue;

		if (!armed) {
			evented = vfwd_sleep_arm(&w->sleeper, list->units, list->n);
			armed = true;
			armed_gen = list->gen;
			if (pass_adaptive(list, true) != 0) {
				vfwd_sleep_disarm(list->units, list->n);
				armed = false;
				idle_since = 0;
				continue;
			}
		}
		rte_rcu_qsbr_thread_offline(qsbr, w->idx);
		__atomic_store_n(&w->asleep, true, __ATOMIC_RELAXED);
		woke = !stopping() && vfwd_sleep_wait(&w->sleeper, evented);
		__atomic_store_n(&w->asleep, false, __ATOMIC_RELAXED);
		rte_rcu_qsbr_thread_online(qsbr, w->idx);
		now = rte_rdtsc();
		__atomic_store_n(&w->sleep_cycles, w->sleep_cycles + (now - prev),
				 __ATOMIC_RELAXED);
		__atomic_store_n(&w->wakeups, w->wakeups + 1, __ATOMIC_RELAXED);
		account(w, 0, now - prev);
		prev = now;
		/* Woken by an event: stay awake a while for what follows.  By
		 * the timeout: one pass, then back to sleep. */
		idle_since = woke ? 0 : now - idle_tsc;
		woke = true;
	}
}

static int
worker_main(void *arg)
{
	struct worker *w = arg;

	rte_rcu_qsbr_thread_online(qsbr, w->idx);
	if (poll_mode == VFWD_POLL_ADAPTIVE)
		loop_adaptive(w);
	else
		loop_busy(w);
	rte_rcu_qsbr_thread_offline(qsbr, w->idx);
	/* The worker's last write: see vfwd_dp_stop(). */
	__atomic_store_n(&w->exited, true, __ATOMIC_RELEASE);
	return 0;
}

int
vfwd_dp_init(const struct vfwd_config *cfg)
{
	unsigned int n = vfwd_cpuset_count(&cfg->workers), i = 0, id;
	int cpu, rc = -ENOMEM;

	workers = rte_zmalloc("vfwd_workers", n * sizeof(*workers),
			      RTE_CACHE_LINE_SIZE);
	qsbr = rte_zmalloc("vfwd_qsbr", rte_rcu_qsbr_get_memsize(n),
			   RTE_CACHE_LINE_SIZE);
	if (workers == NULL || qsbr == NULL || rte_rcu_qsbr_init(qsbr, n) != 0)
		goto fail;
	for (cpu = 0; cpu < VFWD_MAX_CPUS; cpu++) {
		struct worker *w;

		if (!vfwd_cpuset_has(&cfg->workers, cpu))
			continue;
		w = &workers[i];
		w->idx = i;
		w->lcore = (unsigned int)cpu;
		w->numa = (int)rte_lcore_to_socket_id((unsigned int)cpu);
		w->sleeper.epfd = w->sleeper.wake_fd = -1;
		w->list = list_alloc(w->numa);
		w->spare = list_alloc(w->numa);
		if (w->list == NULL || w->spare == NULL)
			goto fail;
		if (cfg->poll_mode == VFWD_POLL_ADAPTIVE) {
			w->idle_tsc = rte_get_tsc_hz() / 1000000 * cfg->poll_idle_us;
			rc = vfwd_sleep_init(&w->sleeper, cfg->poll_sleep_max_us);
			if (rc != 0) {
				VLOG_ERR("worker on CPU %d: cannot set up sleeping: %s",
					 cpu, strerror(-rc));
				goto fail;
			}
			rc = -ENOMEM;
		}
		if (rte_rcu_qsbr_thread_register(qsbr, i) != 0) {
			VLOG_ERR("worker on CPU %d: RCU registration refused: %s", cpu,
				 rte_strerror(rte_errno));
			rc = -EINVAL;
			goto fail;
		}
		i++;
	}
	n_workers = n;

	same_numa = cfg->same_numa;
	poll_mode = cfg->poll_mode;
	/* Before the workers start: the lock costs nothing, and keeps the
	 * rules without exceptions. */
	vfwd_mutex_lock(&dp_lock);
	for (id = 0; id < VFWD_MAX_RELAYS; id++) {
		struct placement *p = &relays[id];

		memset(p, 0, sizeof(*p));
		p->desc.vid = p->desc.port_id = p->desc.dev_numa = -1;
		p->pin[0] = p->pin[1] = -1;
		p->worker[0] = p->worker[1] = -1;
		p->published[0] = p->published[1] = -1;
	}
	for (i = 0; i < cfg->n_pins; i++) {
		const struct vfwd_pin *pin = &cfg->pins[i];

		relays[pin->relay].pin[VFWD_DIR_VF_TO_VM] = pin->cpu_vf_to_vm;
		relays[pin->relay].pin[VFWD_DIR_VM_TO_VF] = pin->cpu_vm_to_vf;
	}
	vfwd_mutex_unlock(&dp_lock);
	return 0;
fail:
	free_workers(n);
	return rc;
}

int
vfwd_dp_start(void)
{
	unsigned int i;
	int rc;

	request_stop(false);
	/* Only a launched worker is waited for (vfwd_dp_stop()). */
	for (i = 0; i < n_workers; i++)
		__atomic_store_n(&workers[i].exited, true, __ATOMIC_RELAXED);
	for (i = 0; i < n_workers; i++) {
		__atomic_store_n(&workers[i].exited, false, __ATOMIC_RELAXED);
		rc = rte_eal_remote_launch(worker_main, &workers[i], workers[i].lcore);
		if (rc != 0) {
			__atomic_store_n(&workers[i].exited, true, __ATOMIC_RELAXED);
			VLOG_ERR("cannot start worker on CPU %u: %s", workers[i].lcore,
				 rte_strerror(-rc));
			vfwd_dp_stop();
			return rc;
		}
		running = true;
	}
	VLOG_INFO("%u worker(s) polling", n_workers);
	return 0;
}

void
vfwd_dp_stop(void)
{
	unsigned int i;

	if (!running)
		return;
	request_stop(true);
	vfwd_dp_wake_all();
	for (i = 0; i < n_workers; i++) {
		rte_eal_wait_lcore(workers[i].lcore);
		/* EAL's wait already orders the worker's last writes before
		 * what follows (the free), but inside DPDK, where a race
		 * detector does not see it: this load says it again. */
		while (!__atomic_load_n(&workers[i].exited, __ATOMIC_ACQUIRE))
			rte_pause();
	}
	running = false;
}

void
vfwd_dp_fini(void)
{
	vfwd_dp_stop();
	free_workers(n_workers);
}

unsigned int
vfwd_dp_n_workers(void)
{
	return n_workers;
}

void
vfwd_dp_worker_info(unsigned int w, struct vfwd_worker_info *out)
{
	const struct worker *wk = &workers[w];

	out->lcore = wk->lcore;
	out->numa = wk->numa;
	out->busy_cycles = __atomic_load_n(&wk->busy_cycles, __ATOMIC_RELAXED);
	out->idle_cycles = __atomic_load_n(&wk->idle_cycles, __ATOMIC_RELAXED);
	out->sleep_cycles = __atomic_load_n(&wk->sleep_cycles, __ATOMIC_RELAXED);
	out->wakeups = __atomic_load_n(&wk->wakeups, __ATOMIC_RELAXED);
}

int
vfwd_dp_stalled_worker(void)
{
	unsigned int i;
	int stalled = -1;

	for (i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];
		uint64_t passes = __atomic_load_n(&w->passes, __ATOMIC_RELAXED);

		if (passes == w->passes_seen && running &&
		    !__atomic_load_n(&w->asleep, __ATOMIC_RELAXED) && stalled < 0)
			stalled = (int)i;
		w->passes_seen = passes;
	}
	return stalled;
}

void
vfwd_dp_wake_all(void)
{
	unsigned int i;

	if (poll_mode != VFWD_POLL_ADAPTIVE)
		return;
	for (i = 0; i < n_workers; i++)
		vfwd_sleep_wake(&workers[i].sleeper);
}

int
vfwd_dp_worker_by_cpu(int cpu)
{
	unsigned int i;

	for (i = 0; i < n_workers; i++)
		if ((int)workers[i].lcore == cpu)
			return (int)i;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Placement                                                           */
/* ------------------------------------------------------------------ */

/* Does direction 'dir' of a relay described by 'd' have a source to poll? */
static bool
unit_needed(const struct vfwd_dp_relay *d, enum vfwd_dir dir)
{
	return dir == VFWD_DIR_VF_TO_VM ? d->port_id >= 0 : d->vid >= 0;
}

/* Relay directions assigned to each worker. */
static void
worker_loads(unsigned int *load)
	VFWD_REQUIRES(dp_lock)
{
	unsigned int i;
	int d;

	memset(load, 0, n_workers * sizeof(*load));
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			if (relays[i].worker[d] >= 0)
				load[relays[i].worker[d]]++;
}

/* Gives relay 'id' workers when it starts needing them, takes them back
 * after. */
static void
place(unsigned int id)
	VFWD_REQUIRES(dp_lock)
{
	struct placement *p = &relays[id];
	unsigned int load[VFWD_MAX_CPUS], i;
	int numa[VFWD_MAX_CPUS], pinned[VFWD_N_DIRS], d;
	bool elsewhere;

	if (!unit_needed(&p->desc, VFWD_DIR_VF_TO_VM) &&
	    !unit_needed(&p->desc, VFWD_DIR_VM_TO_VF)) {
		vfwd_mutex_lock(&place_lock);
		p->worker[0] = p->worker[1] = -1;
		vfwd_mutex_unlock(&place_lock);
		return;
	}
	if (p->worker[0] >= 0 && p->worker[1] >= 0)
		return;
	worker_loads(load);
	for (i = 0; i < n_workers; i++)
		numa[i] = workers[i].numa;
	for (d = 0; d < VFWD_N_DIRS; d++)
		pinned[d] = p->pin[d] >= 0 ? vfwd_dp_worker_by_cpu(p->pin[d]) : -1;
	vfwd_mutex_lock(&place_lock);
	elsewhere = vfwd_place_relay(load, numa, n_workers,
				     same_numa ? p->desc.dev_numa : -1, pinned,
				     VFWD_N_DIRS, p->worker);
	vfwd_mutex_unlock(&place_lock);
	if (elsewhere)
		VLOG_WARN("relay %u: no worker on NUMA node %d of its device; "
			  "using any worker", id, p->desc.dev_numa);
}

/* ------------------------------------------------------------------ */
/* Publishing                                                          */
/* ------------------------------------------------------------------ */

/* The worker direction 'dir' of relay 'id' should be polled by, or -1. */
static int
target_of(unsigned int id, enum vfwd_dir dir)
	VFWD_REQUIRES(dp_lock)
{
	const struct placement *p = &relays[id];

	return unit_needed(&p->desc, dir) ? p->worker[dir] : -1;
}

/* Is the direction moving, i.e. polled now by another worker than its
 * target? */
static bool
is_moving(unsigned int id, enum vfwd_dir dir)
	VFWD_REQUIRES(dp_lock)
{
	int target = target_of(id, dir), now = relays[id].published[dir];

	return now >= 0 && target >= 0 && now != target;
}

static void
fill_unit(struct vfwd_unit *u, unsigned int id, enum vfwd_dir dir,
	  unsigned int w)
{
	const struct vfwd_dp_relay *d = &relays[id].desc;

	memset(u, 0, sizeof(*u));
	u->dir = (uint8_t)dir;
	u->relay_id = (uint16_t)id;
	u->vid = d->vid;
	u->port_id = d->port_id;
	if (d->port_id >= 0)
		u->nb_dev_q = (uint8_t)(dir == VFWD_DIR_VF_TO_VM ? d->nb_rxq : d->nb_txq);
	u->pool = d->pool;
	u->q_enabled = d->q_enabled[dir];
	u->features = d->features;
	u->ofl = d->ofl;
	u->gro = d->gro;
	/* A kernel interface without checksum verdicts may hand over
	 * partial checksums: every burst it receives is looked at. */
	u->rx_inspect = d->port_id >= 0 && (d->ofl.ofl & VFWD_DEV_OFL_RX_PARTIAL) &&
		!(d->ofl.ofl & VFWD_DEV_OFL_RX_CSUM);
	u->ctr = &workers[w].ctr[id][dir].c;
	u->qctr = workers[w].qctr[dir][id];
}

/* Swaps every worker's spare list in and waits until no worker can still
 * be using an old one; the old lists become the spares. */
static void
swap_lists(void)
{
	unsigned int i;

	for (i = 0; i < n_workers; i++) {
		struct worker *w = &workers[i];

		w->spare = __atomic_exchange_n(&w->list, w->spare, __ATOMIC_ACQ_REL);
	}
	/* Workers report quiescence once per pass; stopped and sleeping
	 * ones are offline and not waited for.  A sleeping one is woken to
	 * wait on its new units' events. */
	/* What rte_rcu_qsbr_synchronize() does, with the header's inline
	 * calls, so that a race detector sees the workers' release. */
	rte_rcu_qsbr_check(qsbr, rte_rcu_qsbr_start(qsbr), true);
	vfwd_dp_wake_all();
}

/*
 * Builds every worker's poll list from the placements and publishes it.
 * 'skip_moving': leave out units that change worker, so that the old
 * worker lets go of them before the new one starts.
 */
static void
publish_pass(bool skip_moving)
	VFWD_REQUIRES(dp_lock)
{
	struct poll_list *lists[VFWD_MAX_CPUS];
	unsigned int w, i;
	int d;

	publications++;
	for (w = 0; w < n_workers; w++) {
		lists[w] = workers[w].spare;
		lists[w]->n = 0;
		lists[w]->gen = publications;
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			int target = target_of(i, d);

			if (target < 0 || (skip_moving && is_moving(i, d)))
				continue;
			fill_unit(&lists[target]->units[lists[target]->n++], i, d,
				  (unsigned int)target);
		}
	for (w = 0; w < n_workers; w++)
		lists[w]->idle_skip = RTE_MAX((unsigned int)UNIT_SKIP,
					      lists[w]->n / IDLE_UNITS_PER_PASS);
	swap_lists();
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			relays[i].published[d] = skip_moving && is_moving(i, d)
				? -1 : target_of(i, d);
}

/*
 * Publishes all placements.  A unit that changes worker is withdrawn from
 * the old one first: two workers never serve the same queue, even for
 * one pass.  Called with dp_lock held.
 */
static void
publish(void)
	VFWD_REQUIRES(dp_lock)
{
	unsigned int i;
	bool moving = false;
	int d;

	for (i = 0; i < VFWD_MAX_RELAYS && !moving; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			moving |= is_moving(i, d);
	if (moving)
		publish_pass(true);
	publish_pass(false);
}

void
vfwd_dp_set_relay(unsigned int id, const struct vfwd_dp_relay *desc)
{
	vfwd_mutex_lock(&dp_lock);
	relays[id].desc = *desc;
	place(id);
	publish();
	vfwd_mutex_unlock(&dp_lock);
}

int
vfwd_dp_move(unsigned int id, const int cpu[VFWD_N_DIRS], char *err,
	     size_t errlen)
{
	struct placement *p = &relays[id];
	int w[VFWD_N_DIRS], d;

	for (d = 0; d < VFWD_N_DIRS; d++) {
		w[d] = cpu[d] < 0 ? -1 : vfwd_dp_worker_by_cpu(cpu[d]);
		if (cpu[d] >= 0 && w[d] < 0) {
			ERR("CPU %d is not a worker CPU", cpu[d]);
			return -EINVAL;
		}
	}
	vfwd_mutex_lock(&dp_lock);
	vfwd_mutex_lock(&place_lock);
	for (d = 0; d < VFWD_N_DIRS; d++)
		if (w[d] >= 0) {
			p->pin[d] = cpu[d];
			if (p->worker[d] >= 0)
				p->worker[d] = w[d];
		}
	vfwd_mutex_unlock(&place_lock);
	place(id);
	publish();
	vfwd_mutex_unlock(&dp_lock);
	return 0;
}

void
vfwd_dp_relay_cpus(unsigned int id, int cpu[VFWD_N_DIRS], int pin[VFWD_N_DIRS])
{
	const struct placement *p = &relays[id];
	int d;

	vfwd_mutex_lock(&place_lock);
	for (d = 0; d < VFWD_N_DIRS; d++) {
		cpu[d] = p->worker[d] >= 0 ? (int)workers[p->worker[d]].lcore : -1;
		pin[d] = p->pin[d];
	}
	vfwd_mutex_unlock(&place_lock);
}

/* ------------------------------------------------------------------ */
/* Counters                                                            */
/* ------------------------------------------------------------------ */

/* Reads a counter a worker writes concurrently. */
static inline uint64_t
ctr_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* The counters are all uint64_t, summed field by field. */
_Static_assert(sizeof(struct vfwd_dir_counters) % sizeof(uint64_t) == 0,
	       "struct vfwd_dir_counters holds uint64_t counters only");

#define NAME(field) [offsetof(struct vfwd_dir_counters, field) / sizeof(uint64_t)] = #field

const char *const vfwd_dir_counter_names[VFWD_N_DIR_COUNTERS] = {
	NAME(rx_pkts), NAME(rx_bytes), NAME(tx_pkts), NAME(tx_bytes),
	NAME(drop_full_pkts), NAME(drop_full_bytes),
	NAME(drop_nc_pkts), NAME(drop_nc_bytes),
	NAME(drop_too_big_pkts), NAME(drop_too_big_bytes),
	NAME(drop_bad_offload_pkts), NAME(drop_bad_offload_bytes),
	NAME(drop_no_buffers_pkts), NAME(drop_no_buffers_bytes),
	NAME(drop_truncated_pkts), NAME(drop_truncated_bytes),
	NAME(drop_spoofed_pkts), NAME(drop_spoofed_bytes),
	NAME(tso_device_pkts), NAME(tso_software_pkts),
	NAME(csum_software_pkts), NAME(coalesced_pkts),
};
_Static_assert(sizeof(vfwd_dir_counter_names) / sizeof(vfwd_dir_counter_names[0]) ==
	       VFWD_N_DIR_COUNTERS, "a name for every counter");

#define REASON(name) { #name, offsetof(struct vfwd_dir_counters, drop_##name##_pkts), \
		       offsetof(struct vfwd_dir_counters, drop_##name##_bytes) }

const struct vfwd_drop_reason vfwd_drop_reasons[VFWD_N_DROP_REASONS] = {
	{ "queue_full", offsetof(struct vfwd_dir_counters, drop_full_pkts),
	  offsetof(struct vfwd_dir_counters, drop_full_bytes) },
	{ "not_connected", offsetof(struct vfwd_dir_counters, drop_nc_pkts),
	  offsetof(struct vfwd_dir_counters, drop_nc_bytes) },
	REASON(too_big), REASON(bad_offload), REASON(no_buffers), REASON(truncated),
	REASON(spoofed),
};

void
vfwd_dp_relay_counters(unsigned int id, struct vfwd_dir_counters out[VFWD_N_DIRS])
{
	unsigned int w, i;
	int d;

	memset(out, 0, VFWD_N_DIRS * sizeof(*out));
	for (w = 0; w < n_workers; w++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			const uint64_t *c = (const uint64_t *)&workers[w].ctr[id][d].c;
			uint64_t *s = (uint64_t *)&out[d];

			for (i = 0; i < VFWD_N_DIR_COUNTERS; i++)
				s[i] += ctr_read(&c[i]);
		}
}

void
vfwd_dp_queue_counters(unsigned int id, enum vfwd_dir dir,
		       struct vfwd_queue_counters *out)
{
	unsigned int w, q;

	memset(out, 0, VFWD_MAX_QUEUE_PAIRS * sizeof(*out));
	for (w = 0; w < n_workers; w++)
		for (q = 0; q < VFWD_MAX_QUEUE_PAIRS; q++) {
			const struct vfwd_queue_counters *c = &workers[w].qctr[dir][id][q];

			out[q].pkts += ctr_read(&c->pkts);
			out[q].bytes += ctr_read(&c->bytes);
		}
}

void
vfwd_dp_reset_counters(unsigned int id)
{
	unsigned int w;
	int d;

	for (w = 0; w < n_workers; w++) {
		struct worker *wk = &workers[w];

		memset(wk->ctr[id], 0, sizeof(wk->ctr[id]));
		for (d = 0; d < VFWD_N_DIRS; d++)
			memset(wk->qctr[d][id], 0, sizeof(wk->qctr[d][id]));
	}
}
