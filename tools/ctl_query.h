/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requests of the stats and core scheduling services that several tools
 * make, their answers unpacked and checked.  Part of the tools' client
 * library.
 */
#ifndef VFWD_CTL_QUERY_H
#define VFWD_CTL_QUERY_H

#include <stddef.h>

#include "config.h"
#include "ctl.h"
#include "virtioforwarder.pb-c.h"

/*
 * Asks the stats service of 'c' for 'q': 0 with the answer in '*out' (the
 * caller frees it), or a negative errno with one line in 'err' (-EINTR:
 * Ctrl-C cut the wait short; the line is then empty).  An answer whose
 * status is not OK is an error too.
 */
int ctl_stats_fetch(struct ctl *c, const Virtioforwarder__StatsRequest *q,
		    Virtioforwarder__StatsResponse **out, char *err, size_t errlen);

/*
 * ctl_stats_fetch() that prints the error line itself: the answer, or
 * NULL with the exit status in '*status' (CTL_EXIT_OK, quietly, when
 * Ctrl-C cut the wait short).
 */
Virtioforwarder__StatsResponse *ctl_stats_query(struct ctl *c,
						const Virtioforwarder__StatsRequest *q,
						int *status);

/* One request to the core scheduling service: 0 with the answer in
 * '*out', or a negative errno with one line in 'err'.  The answer's
 * status is the caller's to look at. */
int ctl_core_sched_fetch(struct ctl *c, const Virtioforwarder__CoreSchedRequest *q,
			 Virtioforwarder__CoreSchedResponse **out, char *err,
			 size_t errlen);

/* ctl_core_sched_fetch() that prints the error line itself (not after
 * Ctrl-C) and returns NULL then. */
Virtioforwarder__CoreSchedResponse *ctl_core_sched_query(struct ctl *c,
		const Virtioforwarder__CoreSchedRequest *q);

/* Writes the worker CPUs of answer 'r' into 'buf' as "1,2,5" ("" when it
 * lists none). */
void ctl_format_cores(const Virtioforwarder__CoreSchedResponse *r, char *buf,
		      size_t len);

/* Moves the relays of 'pins' (UPDATE): 0, or a negative errno with one
 * line in 'err' (-EPERM: the daemon refused; the line then lists the
 * worker CPUs). */
int ctl_core_sched_update(struct ctl *c, const struct vfwd_pin *pins, unsigned int n,
			  char *err, size_t errlen);

#endif /* VFWD_CTL_QUERY_H */
