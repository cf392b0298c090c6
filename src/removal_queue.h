/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The handover of device removals from DPDK's interrupt thread to the
 * control thread (devwatch.c): the interrupt thread pushes the name of a
 * device that is going away, the control thread takes everything pushed
 * so far in one batch.  A mutex guards it, held for a copy only; no
 * worker ever takes it.  Free of DPDK, so that it is unit-tested.
 *
 * A device already waiting is not queued twice: one removal often comes
 * as two events (vfio's device request and the driver's own removal
 * interrupt), and vfio repeats its request every 10 s while the device
 * is held.  Beyond the capacity, pushes are counted as dropped and the
 * count is handed over with the next batch.
 */
#ifndef VFWD_REMOVAL_QUEUE_H
#define VFWD_REMOVAL_QUEUE_H

#include <stdbool.h>

#include "lock.h"
#include "parse.h"

/* Removals noted and not yet handled: each relay has one device, and
 * bond members count too. */
#define VFWD_REMOVAL_QUEUE_MAX (2 * VFWD_MAX_RELAYS)

struct vfwd_removal {
	char name[VFWD_DEVSPEC_MAX];
	const char *why;        /* a string constant */
	double noted;           /* when it was pushed (the caller's clock) */
};

struct vfwd_removal_queue {
	struct vfwd_mutex lock;
	/* lock: each function below holds it throughout. */
	struct vfwd_removal items[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int n, dropped;
};

#define VFWD_REMOVAL_QUEUE_INIT { .lock = VFWD_MUTEX_INITIALIZER }

/*
 * Notes that device 'name' goes away, because of 'why' (kept as a
 * pointer: a constant), at time 'now'.  Returns false when it was
 * waiting already (not queued again) or the queue is full (dropped).
 */
bool vfwd_removal_push(struct vfwd_removal_queue *q, const char *name,
		       const char *why, double now);

/*
 * Takes every removal waiting, in the order pushed, into 'out' (room for
 * VFWD_REMOVAL_QUEUE_MAX), and the number dropped since the last take
 * into '*dropped'; empties the queue.  Returns how many were taken.
 */
unsigned int vfwd_removal_take(struct vfwd_removal_queue *q, struct vfwd_removal *out,
			       unsigned int *dropped);

#endif /* VFWD_REMOVAL_QUEUE_H */
