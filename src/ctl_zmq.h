/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ZeroMQ control source: the four 1.x services (port control, stats,
 * config, core scheduling), each a REP socket carrying one protobuf message
 * per frame (proto/virtioforwarder.proto).  Served from the main thread's
 * poll loop; every request gets a reply, garbage included.
 */
#ifndef VFWD_CTL_ZMQ_H
#define VFWD_CTL_ZMQ_H

#include <stddef.h>

#include <zmq.h>

#include "config.h"

/* Most poll items vfwd_ctl_zmq_pollitems() fills. */
#define VFWD_CTL_ZMQ_MAX_ITEMS 4
/* Largest request served; larger ones get an error reply. */
#define VFWD_CTL_MAX_REQUEST (64 * 1024)

/*
 * Binds the configured endpoints: stats always (unless empty), port
 * control when 'port_control' (ZeroMQ is the port control source), core
 * scheduling when VIO4WD_CORE_SCHED_ENABLE, config when its endpoint is
 * set.  ipc:// directories are created root-only (plus the socket group).
 */
int vfwd_ctl_zmq_open(const struct vfwd_config *cfg, bool port_control,
		      char *err, size_t errlen);

/* Fills 'items' with the services' sockets; returns how many. */
int vfwd_ctl_zmq_pollitems(zmq_pollitem_t *items, int max);

/* Serves every request waiting on the sockets 'items' marks readable. */
void vfwd_ctl_zmq_serve(const zmq_pollitem_t *items, int n);

/* Closes the sockets and removes the ipc socket files. */
void vfwd_ctl_zmq_close(void);

#endif /* VFWD_CTL_ZMQ_H */
