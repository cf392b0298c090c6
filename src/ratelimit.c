/* SPDX-License-Identifier: BSD-3-Clause */
#include "ratelimit.h"

bool
vfwd_ratelimit_allow(struct vfwd_ratelimit *rl, uint64_t now_ms,
		     unsigned long *suppressed)
{
	bool ok;

	vfwd_mutex_lock(&rl->lock);
	/* A clock that went back (another clock's values) opens a window too. */
	if (!rl->started || now_ms < rl->window_start_ms ||
	    now_ms - rl->window_start_ms >= rl->window_ms) {
		rl->started = true;
		rl->window_start_ms = now_ms;
		rl->used = 0;
	}
	ok = rl->used < rl->burst;
	if (ok) {
		rl->used++;
		*suppressed = rl->suppressed;
		rl->suppressed = 0;
	} else {
		rl->suppressed++;
	}
	vfwd_mutex_unlock(&rl->lock);
	return ok;
}
