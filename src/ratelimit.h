/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Rate limits for log lines that someone outside the daemon can trigger
 * over and over: a guest, a ZeroMQ client, the OVSDB server, an IPC
 * command file.  Each call site has its own limiter; it lets a burst of
 * lines through per window, counts the lines it holds back, and hands the
 * count to the next line it lets through, so the log says how much was
 * left out ("1234 more like this suppressed").  The idea is Open vSwitch's
 * VLOG_RATE_LIMIT; the code is ours.
 *
 * DPDK-free and clock-free (the caller passes the time), so it is unit
 * tested on its own; log.h wraps it for the daemon.
 */
#ifndef VFWD_RATELIMIT_H
#define VFWD_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "lock.h"

/* The state of one call site.  Callers on different threads share it:
 * the mutex keeps the counts exact (never on the per-packet path). */
struct vfwd_ratelimit {
	struct vfwd_mutex lock;
	unsigned int burst;          /* lines let through per window */
	unsigned int window_ms;      /* length of a window */
	/* lock: vfwd_ratelimit_allow() holds it throughout. */
	uint64_t window_start_ms;    /* start of the current window */
	unsigned int used;           /* lines let through in it */
	unsigned long suppressed;    /* held back since the last line let through */
	bool started;
};

/* A limiter letting 'burst' lines through every 'window_ms'. */
#define VFWD_RATELIMIT_INIT(burst_, window_ms_) {                          \
		.lock = VFWD_MUTEX_INITIALIZER,                             \
		.burst = (burst_), .window_ms = (window_ms_),               \
	}

/*
 * Decides whether a line may be written at time 'now_ms' (any monotonic
 * clock).  Returns true when it may; '*suppressed' then receives how many
 * lines were held back since the last one let through (and the count
 * starts again).  Returns false, and counts the line, when it may not.
 */
bool vfwd_ratelimit_allow(struct vfwd_ratelimit *rl, uint64_t now_ms,
			  unsigned long *suppressed);

#endif /* VFWD_RATELIMIT_H */
