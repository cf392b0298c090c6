/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The delay before the next attempt of something that reconnects on its
 * own (a control source whose server went away): it doubles after each
 * failure, up to a ceiling, and starts small again once a session works.
 * Doubling keeps a dead server from being hammered; the ceiling bounds
 * how long a server that came back waits to be noticed.
 */
#ifndef VFWD_BACKOFF_H
#define VFWD_BACKOFF_H

/* The state of one reconnecting source, in milliseconds. */
struct vfwd_backoff {
	unsigned int min_ms;
	unsigned int max_ms;
	unsigned int next_ms;    /* the delay vfwd_backoff_next() returns next */
};

/* Starts 'b' at 'min_ms', doubling up to 'max_ms' (at least 'min_ms'). */
void vfwd_backoff_init(struct vfwd_backoff *b, unsigned int min_ms,
		       unsigned int max_ms);

/*
 * Returns the delay to wait before the next attempt, after a failure, and
 * doubles the one after it (up to the ceiling).
 */
unsigned int vfwd_backoff_next(struct vfwd_backoff *b);

/* Goes back to the shortest delay, after a success. */
void vfwd_backoff_reset(struct vfwd_backoff *b);

#endif /* VFWD_BACKOFF_H */
