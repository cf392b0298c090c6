/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The share of one main loop pass that a control source may take.  The
 * control thread serves every source (signals, the stats timer, each
 * ZeroMQ service, the OVSDB monitor, IPC command files) in one loop; a
 * source with much to do (a flood of requests, a 64 KiB command file, a
 * large OVSDB update) does one unit of work, then more only while its
 * slice lasts, and says it has work left so that the loop comes back at
 * once, after serving the others.  So no source can hold up another's
 * answer by more than about one slice.
 */
#ifndef VFWD_CTL_SLICE_H
#define VFWD_CTL_SLICE_H

#include <stdbool.h>
#include <stdint.h>

#include "clock.h"

/* Time one source may use per loop pass, after its first unit of work. */
#define VFWD_CTL_SLICE_US 5000

/* One source's slice in the current loop pass. */
struct vfwd_slice {
	uint64_t end_us;          /* the slice ends then (CLOCK_MONOTONIC) */
	unsigned int max;         /* units of work at most */
	unsigned int done;        /* units done */
};

/* Starts a slice of at most 'max' units of work. */
static inline void
vfwd_slice_start(struct vfwd_slice *s, unsigned int max)
{
	s->end_us = vfwd_mono_us() + VFWD_CTL_SLICE_US;
	s->max = max;
	s->done = 0;
}

/*
 * Runs between two units of any source's work, when set (main.c sets it
 * to serve waiting stats requests): so a stats client waits for at most
 * one unit of other work, not for a whole slice.  It must leave the
 * relays as it found them, and is never entered twice at once.
 */
void vfwd_slice_set_between(void (*fn)(void));

/* Runs the between-units hook (see vfwd_slice_set_between()). */
void vfwd_slice_between(void);

/* May the source do one more unit of work?  The first always may. */
static inline bool
vfwd_slice_more(const struct vfwd_slice *s)
{
	if (s->done == 0)
		return true;
	if (s->done >= s->max || vfwd_mono_us() >= s->end_us)
		return false;
	vfwd_slice_between();
	return true;
}

#endif /* VFWD_CTL_SLICE_H */
