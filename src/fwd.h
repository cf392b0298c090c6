/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Forwarding engines, one per direction, behind a small ops table (as
 * testpmd does with its forwarding modes).  An engine polls one unit once
 * and returns how many packets it took in, so the worker can tell busy
 * polls from idle ones.
 */
#ifndef VFWD_FWD_H
#define VFWD_FWD_H

#include "worker.h"

/* Packets per burst. */
#define VFWD_BURST 32
/*
 * Extra attempts to hand over what the other side did not take at once.
 * Bounded: an unbounded retry would stall every other relay of the worker
 * behind one slow guest or full device.  What is left is dropped and
 * counted as "queue full".
 */
#define VFWD_RETRIES 4

/* A forwarding engine. */
struct vfwd_fwd_engine {
	const char *name;
	/* Polls 'u' once; returns the number of packets taken in. */
	unsigned int (*poll)(struct vfwd_unit *u);
};

/* The engines, indexed by enum vfwd_dir. */
extern const struct vfwd_fwd_engine vfwd_fwd_engines[VFWD_N_DIRS];

#endif /* VFWD_FWD_H */
