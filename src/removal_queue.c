/* SPDX-License-Identifier: BSD-3-Clause */
/* The removal handover queue; see removal_queue.h. */
#include <stdio.h>
#include <string.h>

#include "removal_queue.h"

bool
vfwd_removal_push(struct vfwd_removal_queue *q, const char *name, const char *why,
		  double now)
{
	bool queued = false;
	unsigned int i;

	vfwd_mutex_lock(&q->lock);
	for (i = 0; i < q->n; i++)
		if (strncmp(q->items[i].name, name, sizeof(q->items[i].name) - 1) == 0)
			goto out;
	if (q->n == VFWD_REMOVAL_QUEUE_MAX) {
		q->dropped++;
		goto out;
	}
	snprintf(q->items[q->n].name, sizeof(q->items[q->n].name), "%s", name);
	q->items[q->n].why = why;
	q->items[q->n].noted = now;
	q->n++;
	queued = true;
out:
	vfwd_mutex_unlock(&q->lock);
	return queued;
}

unsigned int
vfwd_removal_take(struct vfwd_removal_queue *q, struct vfwd_removal *out,
		  unsigned int *dropped)
{
	unsigned int n;

	vfwd_mutex_lock(&q->lock);
	n = q->n;
	memcpy(out, q->items, n * sizeof(out[0]));
	*dropped = q->dropped;
	q->n = q->dropped = 0;
	vfwd_mutex_unlock(&q->lock);
	return n;
}
