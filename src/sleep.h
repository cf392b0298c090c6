/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sleeping when idle (VIRTIOFWD_POLL_MODE=adaptive): how a worker with
 * nothing to do waits without burning its CPU, and wakes as soon as work
 * arrives.
 *
 * Before sleeping, the worker arms an event on everything it polls: guest
 * notifications on the enabled guest TX queues (the guest then kicks the
 * vring's eventfd when it sends) and RX interrupts on the devices that
 * have them.  It waits in epoll on those file descriptors, and on its own
 * wake-up eventfd (written when the control side publishes new poll
 * lists, when a guest enables a queue, and at stop), with a timeout: the
 * configured maximum when every unit can raise an event, else a timer
 * that grows from 1 us to the maximum over successive sleeps.  Woken, it
 * disarms everything again, so that a busy guest never kicks.
 *
 * None of this runs per packet: only when a worker has seen nothing for
 * a while.
 */
#ifndef VFWD_SLEEP_H
#define VFWD_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "fwd.h"

/* File descriptors a worker may wait on: every guest TX queue and device
 * RX queue of every unit, and its wake-up eventfd. */
#define VFWD_SLEEP_MAX_FDS \
	(VFWD_MAX_RELAYS * (VFWD_MAX_QUEUE_PAIRS + VFWD_DEV_MAX_QUEUES) + 1)

/* One worker's means to sleep. */
struct vfwd_sleeper {
	int epfd;                      /* the worker's epoll set */
	int wake_fd;                   /* eventfd: wake the worker up */
	unsigned int n_fds;            /* fds registered besides wake_fd */
	int fds[VFWD_SLEEP_MAX_FDS];
	unsigned int n_want;           /* fds the last arming collected */
	int want[VFWD_SLEEP_MAX_FDS];
	uint64_t max_ns;               /* longest sleep */
	uint64_t step_ns;              /* next timer sleep (no event) */
};

/* Sets up 's' with sleeps of at most 'max_us'; -errno on failure. */
int vfwd_sleep_init(struct vfwd_sleeper *s, unsigned int max_us);

/* Closes what vfwd_sleep_init() opened. */
void vfwd_sleep_fini(struct vfwd_sleeper *s);

/*
 * May a worker polling 'units' sleep?  Not while a guest's dirty pages
 * are being logged (a live migration): the vhost library logs and injects
 * the post-migration RARP only inside our calls, so they keep coming.
 */
bool vfwd_sleep_allowed(const struct vfwd_unit *units, unsigned int n);

/*
 * Arms an event on every unit and collects their file descriptors.
 * Returns true when every unit can wake the worker by an event, false
 * when some must be polled on a timer.  The caller polls every unit once
 * more before sleeping: what arrived before the arming raised no event.
 */
bool vfwd_sleep_arm(struct vfwd_sleeper *s, struct vfwd_unit *units,
		    unsigned int n);

/*
 * Sleeps until an event, or the timeout that 'evented' (the result of
 * vfwd_sleep_arm()) calls for; true when an event ended it.  The worker
 * is offline for RCU meanwhile: it holds nothing of its poll list.
 */
bool vfwd_sleep_wait(struct vfwd_sleeper *s, bool evented);

/* Turns events off again on every unit of the worker's current list. */
void vfwd_sleep_disarm(struct vfwd_unit *units, unsigned int n);

/* A sleep found work: the next timer sleep starts short again. */
void vfwd_sleep_reset(struct vfwd_sleeper *s);

/* Wakes the worker of 's' if it sleeps; callable from any thread. */
void vfwd_sleep_wake(const struct vfwd_sleeper *s);

#endif /* VFWD_SLEEP_H */
