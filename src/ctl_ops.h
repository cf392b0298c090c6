/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control operations off the control thread.
 *
 * Attaching or removing a device takes as long as its driver does: 50 to
 * 70 ms for af_packet here, more for a VF behind vfio, hundreds for a
 * bond.  On the control thread, every other request (stats above all)
 * would wait that long.  So the ZeroMQ port control service hands each
 * request to one operations thread and answers when it is done: one
 * operation at a time, in the order they came, and the relay layer's
 * locks keep it apart from the control thread's own changes.  The IPC
 * source and the OVSDB monitor run their device changes there too, and
 * wait for each before the next.
 */
#ifndef VFWD_CTL_OPS_H
#define VFWD_CTL_OPS_H

#include <stdbool.h>
#include <sys/queue.h>

#include "ctl_source.h"

/* One operation; embed it in what the operation needs. */
struct vfwd_op {
	void (*run)(struct vfwd_op *op);    /* on the operations thread */
	void (*done)(struct vfwd_op *op);   /* then on the control thread */
	STAILQ_ENTRY(vfwd_op) link;
};

/* Starts the operations thread; returns 0 or -errno.  The control loop
 * then serves vfwd_ops_source, which runs the done() of each finished
 * operation. */
int vfwd_ops_start(void);

/* Whether the thread runs (operations can be submitted). */
bool vfwd_ops_started(void);

/* Queues 'op' to run after those queued before it. */
void vfwd_ops_submit(struct vfwd_op *op);

/*
 * Runs 'op' on the operations thread when it runs, and returns true (its
 * done() comes later, from vfwd_ops_complete()); else runs it and its
 * done() here, and returns false.  What has no operations thread (the
 * fuzz targets) takes the second way.
 */
bool vfwd_ops_do(struct vfwd_op *op);

/* Runs done() of every finished operation, in order; control thread. */
void vfwd_ops_complete(void);

/* The control loop's source of finished operations (ctl_source.h). */
extern const struct vfwd_ctl_source vfwd_ops_source;

/* Waits for the queued operations to run, runs their done(), and ends
 * the thread.  Control thread, before what the operations use goes. */
void vfwd_ops_stop(void);

#endif /* VFWD_CTL_OPS_H */
