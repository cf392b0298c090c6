/* SPDX-License-Identifier: BSD-3-Clause */
#include "backoff.h"

void
vfwd_backoff_init(struct vfwd_backoff *b, unsigned int min_ms,
		  unsigned int max_ms)
{
	b->min_ms = min_ms;
	b->max_ms = max_ms < min_ms ? min_ms : max_ms;
	b->next_ms = min_ms;
}

unsigned int
vfwd_backoff_next(struct vfwd_backoff *b)
{
	unsigned int delay = b->next_ms;

	/* Compared as "more than half" so that doubling cannot overflow. */
	b->next_ms = delay > b->max_ms / 2 ? b->max_ms : delay * 2;
	return delay;
}

void
vfwd_backoff_reset(struct vfwd_backoff *b)
{
	b->next_ms = b->min_ms;
}
