/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet path: forwarding engines, one per direction, behind a
 * small ops table (as testpmd does with its forwarding modes), and the
 * poll unit they work on.  Only the data plane (dataplane.c) builds units
 * and calls the engines.
 *
 * Rules of this path: burst APIs only; no locks, system calls, allocation
 * or logging; counters are the polling worker's own.
 */
#ifndef VFWD_FWD_H
#define VFWD_FWD_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane.h"

/* Packets per burst. */
#define VFWD_BURST 32
/*
 * Extra attempts to hand over what the other side did not take at once.
 * Bounded: an unbounded retry would stall every other relay of the worker
 * behind one slow guest or full device.  What is left is dropped and
 * counted as "queue full".
 */
#define VFWD_RETRIES 4

/*
 * One direction of one relay, as a worker polls it.  Everything above
 * 'cached_mask' is fixed for the life of the poll list it sits in; the
 * rest is the worker's own scratch.
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
	/* The guest's negotiated features (dirty logging), written by the
	 * vhost thread; read only before sleeping. */
	const uint64_t *features;
	struct vfwd_ofl_dev ofl;     /* what the device does itself */
	bool gro;                    /* coalesce TCP toward the guest */
	bool rx_inspect;             /* VF to VM: the device gives no checksum
				      * verdicts; look at every burst */
	struct vfwd_dir_counters *ctr;    /* this worker's counters */
	struct vfwd_queue_counters *qctr; /* ... per guest queue */

	/* Worker scratch: idle bookkeeping of the adaptive poll mode. */
	uint16_t empty_polls;        /* polls in a row that found nothing */
	uint8_t skip;                /* passes left before the next poll */
	uint8_t no_intr;             /* the device raised no RX interrupt */
	/* Worker scratch: the enabled-queue list derived from the mask. */
	uint32_t cached_mask;
	uint8_t n_q;
	uint8_t q[VFWD_MAX_QUEUE_PAIRS];      /* enabled guest queues */
	uint8_t dev_q[VFWD_MAX_QUEUE_PAIRS];  /* device TX queue of each (VM to VF) */
};

/*
 * Adds to a counter only this worker writes.  The relaxed atomic load and
 * store compile to plain moves, and make the concurrent reads of the stats
 * side well defined.
 */
static inline void
vfwd_ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/*
 * The guests' MACs learned for VF port profiles with mac=learn
 * (profile.h), one slot per relay: VFWD_LEARN_ON, set and cleared by the
 * control side, asks the worker of the relay's VM-to-VF direction to
 * look at the source MAC of the first frame of each burst; when it
 * differs from bits 0-47, the worker stores it there with VFWD_LEARN_SEEN
 * (one compare-and-swap, so that a slot just turned off stays off).  The
 * control thread reads the slots on its tick.  One load and branch per
 * burst when off.
 */
/* A MAC address as the slots below hold it: bits 0-47, its first byte
 * highest. */
static inline uint64_t
vfwd_mac_pack(const uint8_t mac[6])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v;
}

/* The MAC address of bits 0-47 of 'v' (vfwd_mac_pack() undone). */
static inline void
vfwd_mac_unpack(uint64_t v, uint8_t mac[6])
{
	int i;

	for (i = 5; i >= 0; i--, v >>= 8)
		mac[i] = (uint8_t)v;
}

#define VFWD_LEARN_ON   (1ULL << 63)
#define VFWD_LEARN_SEEN (1ULL << 62)
#define VFWD_LEARN_MAC  ((1ULL << 48) - 1)
extern uint64_t vfwd_learned_mac[];

/*
 * The relay's own anti-spoofing, one slot per relay: with VFWD_SPOOF_ON
 * (a profile with spoofchk=on and an explicit MAC, set by the control
 * side), frames from the guest whose source MAC is not bits 0-47 are
 * dropped and counted as "spoofed", whatever the PF enforces.  One load
 * and branch per burst when off.
 */
#define VFWD_SPOOF_ON (1ULL << 63)
extern uint64_t vfwd_spoof_mac[];

/* A forwarding engine. */
struct vfwd_fwd_engine {
	const char *name;
	/* Polls 'u' once; returns the number of packets taken in, so that
	 * the worker can tell busy passes from idle ones. */
	unsigned int (*poll)(struct vfwd_unit *u);
};

/* The engines, indexed by enum vfwd_dir. */
extern const struct vfwd_fwd_engine vfwd_fwd_engines[VFWD_N_DIRS];

#endif /* VFWD_FWD_H */
