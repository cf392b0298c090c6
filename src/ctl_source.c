/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The poll set of the control loop's sources (ctl_source.h).  Free of
 * calls into ZeroMQ and of logging, so that the fuzz targets and unit
 * tests that drive a source link it alone.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>

#include "ctl_source.h"

/* poll(2) events to zmq_poll()'s, and back: the two differ. */
static short
to_zmq_events(short ev)
{
	return (short)(((ev & POLLIN) ? ZMQ_POLLIN : 0) | ((ev & POLLOUT) ? ZMQ_POLLOUT : 0));
}

static short
from_zmq(short ev)
{
	return (short)(((ev & ZMQ_POLLIN) ? POLLIN : 0) | ((ev & ZMQ_POLLOUT) ? POLLOUT : 0) |
		       ((ev & ZMQ_POLLERR) ? POLLERR : 0));
}

static int
add(struct vfwd_pollset *ps, int fd, void *sock, short events)
{
	if (ps->n >= VFWD_POLLSET_MAX) {
		ps->overflow = true;
		return -ENOSPC;
	}
	ps->items[ps->n] = (zmq_pollitem_t){
		.socket = sock, .fd = fd, .events = to_zmq_events(events),
	};
	return ps->n++ - ps->base;
}

int
vfwd_pollset_add_fd(struct vfwd_pollset *ps, int fd, short events)
{
	return add(ps, fd, NULL, events);
}

int
vfwd_pollset_add_zmq(struct vfwd_pollset *ps, void *sock, short events)
{
	return add(ps, 0, sock, events);
}

int
vfwd_pollset_count(const struct vfwd_pollset *ps)
{
	return ps->end - ps->base;
}

short
vfwd_pollset_revents(const struct vfwd_pollset *ps, int i)
{
	if (i < 0 || i >= ps->end - ps->base)
		return 0;
	return from_zmq(ps->items[ps->base + i].revents);
}

void *
vfwd_pollset_socket(const struct vfwd_pollset *ps, int i)
{
	if (i < 0 || i >= ps->end - ps->base)
		return NULL;
	return ps->items[ps->base + i].socket;
}
