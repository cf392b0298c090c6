/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The ZeroMQ control source: the four 1.x services (port control, stats,
 * config, core scheduling), each answering REQ clients through a ROUTER
 * socket, one protobuf message per frame (proto/virtioforwarder.proto).  Served from the main thread's
 * poll loop; every request gets a reply, garbage included.
 */
#ifndef VFWD_CTL_ZMQ_H
#define VFWD_CTL_ZMQ_H

#include <stddef.h>

#include "config.h"
#include "ctl_source.h"

/* Largest request served; larger ones get an error reply. */
#define VFWD_CTL_MAX_REQUEST (64 * 1024)
/* Requests one service answers per main loop pass at most (within its
 * slice, ctl_slice.h); the others are served before it gets more. */
#define VFWD_CTL_ZMQ_PER_PASS 8

/* The services, for vfwd_ctl_zmq_handle(). */
enum vfwd_ctl_service {
	VFWD_CTL_PORT_CONTROL,
	VFWD_CTL_STATS,
	VFWD_CTL_CONFIG,
	VFWD_CTL_CORE_SCHED,
	VFWD_CTL_N_SERVICES,
};

/*
 * Binds the configured endpoints: stats always (unless empty), port
 * control when 'port_control' (ZeroMQ is the port control source), core
 * scheduling when VIO4WD_CORE_SCHED_ENABLE, config when its endpoint is
 * set.  ipc:// directories are created root-only (plus the socket group).
 */
int vfwd_ctl_zmq_open(const struct vfwd_config *cfg, bool port_control,
		      char *err, size_t errlen);

/*
 * The control loop's ZeroMQ source (ctl_source.h): polls the services'
 * sockets (not one whose request is on the operations thread: its next
 * ones wait in ZeroMQ's queue), and serves those readable, a bounded
 * share per service (VFWD_CTL_ZMQ_PER_PASS).
 */
extern const struct vfwd_ctl_source vfwd_ctl_zmq_source;

/*
 * Answers one request of 'len' bytes to service 'svc' as the daemon does,
 * without a socket: '*reply' receives the packed reply (malloc'd, the
 * caller frees it) and '*reply_len' its size.  A request longer than
 * VFWD_CTL_MAX_REQUEST gets the size error.  For the fuzz targets and
 * tests; -ENOMEM when no reply could be built.
 */
int vfwd_ctl_zmq_handle(enum vfwd_ctl_service svc, const void *req, size_t len,
			void **reply, size_t *reply_len);

/*
 * Answers the stats requests waiting, without polling: main.c runs it
 * between two units of other control work (ctl_slice.h), so that a
 * stats client never waits for a whole slice of port control, OVSDB or
 * IPC work.  Stats only read the relays, so this is safe between units.
 */
void vfwd_ctl_zmq_serve_stats(void);

/* Closes the sockets and removes the ipc socket files. */
void vfwd_ctl_zmq_close(void);

#endif /* VFWD_CTL_ZMQ_H */
