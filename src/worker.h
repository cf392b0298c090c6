/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workers: one polling EAL lcore per worker CPU.  Each worker runs the poll
 * units of its current poll list.  A poll list is an immutable snapshot
 * built by the control side; to change anything a worker may touch (a
 * guest connecting or leaving, a device added or removed, a relay moved)
 * the control side publishes new lists and waits, through DPDK's RCU QSBR
 * library, until every worker has passed a quiescent point.  Only then is
 * the old list freed and the vhost device or port it referenced released.
 */
#ifndef VFWD_WORKER_H
#define VFWD_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mempool.h>

#include "config.h"

/* The two directions of a relay. */
enum vfwd_dir {
	VFWD_DIR_VF_TO_VM = 0,
	VFWD_DIR_VM_TO_VF = 1,
	VFWD_N_DIRS
};

/*
 * Counters of one direction of one relay, kept by one worker.  Only that
 * worker writes them (plain stores, no atomics); readers sum all workers.
 * "rx" is what the direction took in, "tx" what the other side accepted;
 * "full" drops are packets the other side refused after the bounded retry,
 * "nc" drops are packets taken in while the other side was not connected.
 */
struct vfwd_dir_counters {
	uint64_t rx_pkts;
	uint64_t rx_bytes;
	uint64_t tx_pkts;
	uint64_t tx_bytes;
	uint64_t drop_full_pkts;
	uint64_t drop_full_bytes;
	uint64_t drop_nc_pkts;
	uint64_t drop_nc_bytes;
} __rte_cache_aligned;

/*
 * Counters of one guest queue in one direction, kept by one worker: what
 * was enqueued on a guest RX queue (VF to VM) or dequeued from a guest TX
 * queue (VM to VF).
 */
struct vfwd_queue_counters {
	uint64_t pkts;
	uint64_t bytes;
};

/*
 * One direction of one relay, as a worker polls it.  Everything above
 * 'cached_rxq_mask' is fixed for the life of the snapshot; the rest is the
 * worker's own scratch.
 */
struct vfwd_unit {
	uint8_t dir;                 /* enum vfwd_dir */
	uint8_t nb_dev_q;            /* device queues this direction uses */
	uint16_t relay_id;
	int vid;                     /* vhost device, -1 when no guest */
	int port_id;                 /* ethdev port, -1 when no device */
	struct rte_mempool *pool;    /* buffers for vhost dequeue */
	/* Guest queues enabled by the guest: bit q = queue pair q.  Written
	 * by the vhost thread at any time; read once per poll. */
	const uint32_t *q_enabled;
	struct vfwd_dir_counters *ctr;   /* this worker's counters */
	struct vfwd_queue_counters *qctr; /* ... per guest queue */

	/* Worker scratch: the enabled-queue list derived from the mask. */
	uint32_t cached_mask;
	uint8_t n_q;
	uint8_t q[VFWD_MAX_QUEUE_PAIRS];      /* enabled guest queues */
	uint8_t dev_q[VFWD_MAX_QUEUE_PAIRS];  /* device TX queue of each (VM to VF) */
};

/* What a worker polls: a count and the units. */
struct vfwd_poll_list {
	unsigned int n;
	struct vfwd_unit units[];
};

/*
 * A worker: its lcore, its current poll list and its counters.  Busy and
 * idle TSC cycles tell how loaded it is (the load balancer reads them).
 */
struct vfwd_worker {
	unsigned int idx;
	unsigned int lcore;
	int numa;
	struct vfwd_poll_list *list;           /* published with release */
	struct vfwd_poll_list *spare;          /* filled by the control side */
	uint64_t busy_cycles;
	uint64_t idle_cycles;
	uint64_t loops;
	struct vfwd_dir_counters ctr[VFWD_MAX_RELAYS][VFWD_N_DIRS];
	/* Per direction first: the two directions of a relay may run on
	 * different workers, and must not share cache lines. */
	struct vfwd_queue_counters
		qctr[VFWD_N_DIRS][VFWD_MAX_RELAYS][VFWD_MAX_QUEUE_PAIRS] __rte_cache_aligned;
} __rte_cache_aligned;

/* The workers, created by vfwd_workers_init(). */
extern struct vfwd_worker *vfwd_workers;
extern unsigned int vfwd_n_workers;

/* Creates one worker per CPU in 'cpus' (all must be EAL lcores). */
int vfwd_workers_init(const struct vfwd_cpuset *cpus);

/* Launches the polling loops on their lcores. */
int vfwd_workers_start(void);

/* Stops the loops and waits for them; idempotent. */
void vfwd_workers_stop(void);

/* Releases what vfwd_workers_init() allocated. */
void vfwd_workers_fini(void);

/* Index of the worker running on 'cpu', or -1. */
int vfwd_worker_by_cpu(int cpu);

/* Most units a worker can poll: both directions of every relay. */
#define VFWD_MAX_UNITS (2 * VFWD_MAX_RELAYS)

/*
 * The spare poll list of worker 'w', for the control side to fill before
 * vfwd_workers_publish().  Each worker has two preallocated lists, so that
 * publishing never allocates and cannot fail.
 */
struct vfwd_poll_list *vfwd_worker_spare_list(unsigned int w);

/*
 * Makes every worker's spare list its current one, then waits until no
 * worker can still be using an old list.  On return nothing the old lists
 * referenced is in use, and the old lists are the new spares.
 */
void vfwd_workers_publish(void);

#endif /* VFWD_WORKER_H */
