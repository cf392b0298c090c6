/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdlib.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "fwd.h"
#include "log.h"
#include "worker.h"

struct vfwd_worker *vfwd_workers;
unsigned int vfwd_n_workers;

static struct rte_rcu_qsbr *qsbr;
static volatile bool stop_requested;
static bool running;

static struct vfwd_poll_list *
list_alloc(int numa)
{
	size_t sz = sizeof(struct vfwd_poll_list) +
		VFWD_MAX_UNITS * sizeof(struct vfwd_unit);
	struct vfwd_poll_list *l;

	l = rte_zmalloc_socket("vfwd_poll_list", sz, RTE_CACHE_LINE_SIZE, numa);
	if (l == NULL)
		l = rte_zmalloc("vfwd_poll_list", sz, RTE_CACHE_LINE_SIZE);
	return l;
}

/* Frees 'n' workers' lists, the workers and the QSBR variable. */
static void
free_workers(unsigned int n)
{
	unsigned int i;

	for (i = 0; vfwd_workers != NULL && i < n; i++) {
		rte_free(vfwd_workers[i].list);
		rte_free(vfwd_workers[i].spare);
	}
	rte_free(vfwd_workers);
	rte_free(qsbr);
	vfwd_workers = NULL;
	qsbr = NULL;
	vfwd_n_workers = 0;
}

int
vfwd_workers_init(const struct vfwd_cpuset *cpus)
{
	unsigned int n = vfwd_cpuset_count(cpus), i = 0;
	size_t sz;
	int cpu;

	vfwd_workers = rte_zmalloc("vfwd_workers", n * sizeof(*vfwd_workers),
				   RTE_CACHE_LINE_SIZE);
	sz = rte_rcu_qsbr_get_memsize(n);
	qsbr = rte_zmalloc("vfwd_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (vfwd_workers == NULL || qsbr == NULL)
		goto nomem;
	if (rte_rcu_qsbr_init(qsbr, n) != 0)
		goto nomem;
	for (cpu = 0; cpu < VFWD_MAX_CPUS; cpu++) {
		struct vfwd_worker *w;

		if (!vfwd_cpuset_has(cpus, cpu))
			continue;
		w = &vfwd_workers[i];
		w->idx = i;
		w->lcore = (unsigned int)cpu;
		w->numa = (int)rte_lcore_to_socket_id((unsigned int)cpu);
		w->list = list_alloc(w->numa);
		w->spare = list_alloc(w->numa);
		if (w->list == NULL || w->spare == NULL)
			goto nomem;
		rte_rcu_qsbr_thread_register(qsbr, i);
		i++;
	}
	vfwd_n_workers = n;
	return 0;
nomem:
	free_workers(n);
	return -ENOMEM;
}

int
vfwd_worker_by_cpu(int cpu)
{
	unsigned int i;

	for (i = 0; i < vfwd_n_workers; i++)
		if ((int)vfwd_workers[i].lcore == cpu)
			return (int)i;
	return -1;
}

/*
 * The polling loop.  One quiescent-state report per pass over the list:
 * between two reports the worker may hold pointers from the list it
 * loaded, never across one.
 */
static int
worker_main(void *arg)
{
	struct vfwd_worker *w = arg;
	uint64_t prev = rte_rdtsc(), now;

	rte_rcu_qsbr_thread_online(qsbr, w->idx);
	while (!stop_requested) {
		struct vfwd_poll_list *list =
			__atomic_load_n(&w->list, __ATOMIC_ACQUIRE);
		unsigned int i, got = 0;

		for (i = 0; i < list->n; i++) {
			struct vfwd_unit *u = &list->units[i];

			got += vfwd_fwd_engines[u->dir].poll(u);
		}
		rte_rcu_qsbr_quiescent(qsbr, w->idx);
		now = rte_rdtsc();
		/* Only this worker writes these; stats read them relaxed. */
		if (got != 0)
			__atomic_store_n(&w->busy_cycles, w->busy_cycles + (now - prev),
					 __ATOMIC_RELAXED);
		else
			__atomic_store_n(&w->idle_cycles, w->idle_cycles + (now - prev),
					 __ATOMIC_RELAXED);
		prev = now;
	}
	rte_rcu_qsbr_thread_offline(qsbr, w->idx);
	return 0;
}

int
vfwd_workers_start(void)
{
	unsigned int i;
	int rc;

	stop_requested = false;
	for (i = 0; i < vfwd_n_workers; i++) {
		rc = rte_eal_remote_launch(worker_main, &vfwd_workers[i],
					   vfwd_workers[i].lcore);
		if (rc != 0) {
			VLOG_ERR("cannot start worker on CPU %u: %s",
				 vfwd_workers[i].lcore, rte_strerror(-rc));
			vfwd_workers_stop();
			return rc;
		}
		running = true;
	}
	VLOG_INFO("%u worker(s) polling", vfwd_n_workers);
	return 0;
}

void
vfwd_workers_stop(void)
{
	unsigned int i;

	if (!running)
		return;
	stop_requested = true;
	for (i = 0; i < vfwd_n_workers; i++)
		rte_eal_wait_lcore(vfwd_workers[i].lcore);
	running = false;
}

struct vfwd_poll_list *
vfwd_worker_spare_list(unsigned int w)
{
	return vfwd_workers[w].spare;
}

void
vfwd_workers_publish(void)
{
	unsigned int i;

	for (i = 0; i < vfwd_n_workers; i++) {
		struct vfwd_worker *w = &vfwd_workers[i];

		w->spare = __atomic_exchange_n(&w->list, w->spare, __ATOMIC_ACQ_REL);
	}
	/* Workers report quiescence once per pass; stopped ones are
	 * offline and not waited for. */
	rte_rcu_qsbr_synchronize(qsbr, RTE_QSBR_THRID_INVALID);
}

void
vfwd_workers_fini(void)
{
	vfwd_workers_stop();
	free_workers(vfwd_n_workers);
}
