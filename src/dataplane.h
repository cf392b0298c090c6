/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The data plane: the polling workers, where each relay direction runs
 * (placement), the poll lists published to the workers, and the workers'
 * counters.  It is the only code that touches the workers' arrays; the
 * relay layer tells it what each relay has, the stats side reads counters
 * and worker loads through the accessors below.
 *
 * Publishing: a worker polls an immutable snapshot of its units.  Every
 * vfwd_dp_set_relay() or vfwd_dp_move() builds new snapshots and returns
 * only when no worker can still use the old ones (DPDK's RCU QSBR), so the
 * caller may then release whatever the old state referenced.
 *
 * Threads: the setters are called from the control thread and the vhost
 * library's thread; a lock inside serialises them.  The readers of
 * counters and worker loads take no lock.
 */
#ifndef VFWD_DATAPLANE_H
#define VFWD_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "offload_info.h"

struct rte_mempool;

/* The two directions of a relay. */
enum vfwd_dir {
	VFWD_DIR_VF_TO_VM = 0,
	VFWD_DIR_VM_TO_VF = 1,
	VFWD_N_DIRS
};

/*
 * Counters of one direction of one relay: kept per worker by the data
 * path, summed over the workers by vfwd_dp_relay_counters().  "rx" is
 * what the direction took in, "tx" what the other side accepted (frames:
 * a packet segmented in software leaves as several, coalesced ones as
 * one); "full" drops are frames the other side refused after the bounded
 * retry, "nc" drops packets taken in while the other side was not
 * connected.  The other drops are the offload path's (offload.c), each
 * with its reason: "too_big" a frame larger than the device's MTU that
 * cannot be segmented, "bad_offload" an offload request the relay cannot
 * honour (headers it cannot parse, an unsupported segmentation, more
 * segments than VFWD_OFL_SEGS_MAX, refused by the driver's TX
 * preparation), "no_buffers" a segmentation that found no packet buffers,
 * "truncated" a frame shorter than its IP header says (a kernel interface
 * that hands a packet socket more than its frame size), "spoofed" a frame
 * from the guest whose source MAC is not the one its VF port profile
 * gives it (spoofchk=on with an explicit MAC: profile.h).  The last four
 * count work, not drops: large packets handed to the device's TSO or LRO
 * result, segmented in software, checksums completed in software, and
 * packets coalesced into others (GRO).
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
	uint64_t drop_too_big_pkts;
	uint64_t drop_too_big_bytes;
	uint64_t drop_bad_offload_pkts;
	uint64_t drop_bad_offload_bytes;
	uint64_t drop_no_buffers_pkts;
	uint64_t drop_no_buffers_bytes;
	uint64_t drop_truncated_pkts;
	uint64_t drop_truncated_bytes;
	uint64_t drop_spoofed_pkts;
	uint64_t drop_spoofed_bytes;
	uint64_t tso_device_pkts;
	uint64_t tso_software_pkts;
	uint64_t csum_software_pkts;
	uint64_t coalesced_pkts;
};

/* The name of each counter of struct vfwd_dir_counters, in its order
 * ("rx_pkts", ..., "coalesced_pkts"): what the stats dump prints. */
extern const char *const vfwd_dir_counter_names[];

/* The number of counters in struct vfwd_dir_counters (all uint64_t). */
#define VFWD_N_DIR_COUNTERS (sizeof(struct vfwd_dir_counters) / sizeof(uint64_t))

/* A reason to drop packets, with its two counters (offsets into struct
 * vfwd_dir_counters), as every report names it. */
struct vfwd_drop_reason {
	const char *name;                  /* "queue_full", "too_big", ... */
	size_t pkts, bytes;
};

/* Every reason, the first two as 1.x had them. */
extern const struct vfwd_drop_reason vfwd_drop_reasons[];
#define VFWD_N_DROP_REASONS 7

/* A counter of 'c' by its offset. */
static inline uint64_t
vfwd_dir_counter(const struct vfwd_dir_counters *c, size_t off)
{
	return *(const uint64_t *)((const char *)c + off);
}

/*
 * Counters of one guest queue in one direction: what was enqueued on a
 * guest RX queue (VF to VM) or dequeued from a guest TX queue (VM to VF).
 */
struct vfwd_queue_counters {
	uint64_t pkts;
	uint64_t bytes;
};

/* What the stats side may know of one worker. */
struct vfwd_worker_info {
	unsigned int lcore;          /* the CPU it polls on */
	int numa;                    /* that CPU's NUMA node */
	uint64_t busy_cycles;        /* TSC cycles of passes that moved packets */
	uint64_t idle_cycles;        /* ... of passes that moved none, and
				      * of sleeps */
	uint64_t sleep_cycles;       /* the part of idle_cycles asleep */
	uint64_t wakeups;            /* sleeps ended */
};

/*
 * What the relay layer tells the data plane about one relay.  A direction
 * is polled only when it has a source: VF to VM needs a device (port_id),
 * VM to VF a guest (vid).  Everything referenced must stay valid until
 * the next vfwd_dp_set_relay() for the relay has returned.
 */
struct vfwd_dp_relay {
	int vid;                           /* vhost device, -1: no guest */
	int port_id;                       /* ethdev port, -1: no device */
	uint16_t nb_rxq, nb_txq;           /* device queues in use */
	int dev_numa;                      /* the device's node, -1: unknown */
	struct rte_mempool *pool;          /* buffers for vhost dequeue */
	/* Guest queues the guest enabled, per direction (bit q = queue pair
	 * q); written by the vhost thread at any time, read once per poll. */
	const uint32_t *q_enabled[VFWD_N_DIRS];
	/* The guest's negotiated features, written by the vhost thread:
	 * an idle worker keeps polling while dirty pages are logged, and
	 * the offloads toward the guest follow them. */
	const uint64_t *features;
	struct vfwd_ofl_dev ofl;           /* the device's offloads */
	bool gro;                          /* coalesce TCP toward the guest */
};

/*
 * Creates one worker per CPU of 'cfg->workers' (all EAL lcores) and takes
 * the configured pins, NUMA rule and poll mode.  -ENOMEM, or -EINVAL when DPDK's RCU
 * refuses a worker.
 */
int vfwd_dp_init(const struct vfwd_config *cfg);

/* Launches the polling loops on their lcores. */
int vfwd_dp_start(void);

/* Stops the loops and waits for them; idempotent. */
void vfwd_dp_stop(void);

/* Stops the loops and releases what vfwd_dp_init() allocated. */
void vfwd_dp_fini(void);

/*
 * Wakes every sleeping worker (adaptive poll mode), e.g. because a guest
 * enabled a queue it should wait on.  Takes no lock; callable from any
 * thread, including the vhost library's callbacks.
 */
void vfwd_dp_wake_all(void);

/*
 * The index of a worker that has made no pass over its poll list since
 * the previous call (and is not asleep), or -1 when all have: the
 * watchdog's check.  Main thread only.
 */
int vfwd_dp_stalled_worker(void);

/* Number of workers. */
unsigned int vfwd_dp_n_workers(void);

/* Fills 'out' for worker 'w' (0 <= w < vfwd_dp_n_workers()). */
void vfwd_dp_worker_info(unsigned int w, struct vfwd_worker_info *out);

/* Index of the worker polling on 'cpu', or -1. */
int vfwd_dp_worker_by_cpu(int cpu);

/*
 * Makes 'desc' what relay 'id' polls, placing its directions on workers
 * when it starts needing them and freeing them when it needs none.  On
 * return no worker uses the relay's previous description.
 */
void vfwd_dp_set_relay(unsigned int id, const struct vfwd_dp_relay *desc);

/*
 * Pins relay 'id''s directions to the workers of the given CPUs (-1:
 * leave that direction as it is) and moves them there.  -EINVAL, with
 * the reason in 'err', when a CPU is not a worker.
 */
int vfwd_dp_move(unsigned int id, const int cpu[VFWD_N_DIRS],
		 char *err, size_t errlen);

/* CPU serving each direction of relay 'id' (-1: none), and its pins. */
void vfwd_dp_relay_cpus(unsigned int id, int cpu[VFWD_N_DIRS],
			int pin[VFWD_N_DIRS]);

/* Sums relay 'id''s counters of both directions over all workers. */
void vfwd_dp_relay_counters(unsigned int id,
			    struct vfwd_dir_counters out[VFWD_N_DIRS]);

/* Sums relay 'id''s per guest queue counters of direction 'dir' into
 * out[VFWD_MAX_QUEUE_PAIRS]. */
void vfwd_dp_queue_counters(unsigned int id, enum vfwd_dir dir,
			    struct vfwd_queue_counters *out);

/*
 * Zeroes relay 'id''s counters.  Only for a relay with nothing published
 * (no worker writes them); a reused relay starts again at 0.
 */
void vfwd_dp_reset_counters(unsigned int id);

#endif /* VFWD_DATAPLANE_H */
