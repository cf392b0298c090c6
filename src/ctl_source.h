/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The shape every control source has for the control loop (main.c):
 * signals, the sampling timer, device events, finished operations, IPC
 * files, the OVSDB monitor and the ZeroMQ services.  Like the forwarding
 * engines' table (fwd.h), each source is a small table of operations that
 * its own file defines; main_loop() polls the sources it started and runs
 * each of them after every poll, in the order it lists them (main.c has
 * the pass itself, the only caller of zmq_poll()).
 *
 * Each pass, a source adds what it waits for to a poll set (file
 * descriptors or ZeroMQ sockets, which zmq_poll() mixes), says how long
 * the poll may wait for it, and then runs, reading what happened to the
 * items it added.  A source with more work than one pass may do
 * (ctl_slice.h) asks for a zero timeout, so the others are served in
 * between.
 */
#ifndef VFWD_CTL_SOURCE_H
#define VFWD_CTL_SOURCE_H

#include <stdbool.h>

#include <zmq.h>

/* Items one pass polls at most, all sources together. */
#define VFWD_POLLSET_MAX 32

/*
 * One pass's poll set.  The sources see only the items they added
 * themselves, numbered from 0 in the order they added them.
 */
struct vfwd_pollset {
	zmq_pollitem_t items[VFWD_POLLSET_MAX];
	int n;              /* items added this pass */
	int base;           /* the current source's first item */
	int end;            /* ... and one past its last, while it runs */
	int timeout_ms;     /* -1: wait for an event */
	bool stop;          /* a source asked the daemon to stop */
	bool overflow;      /* an item did not fit */
};

/* The operations of one control source. */
struct vfwd_ctl_source {
	/* For messages. */
	const char *name;
	/* Adds the items the source waits for this pass to 'ps' (with
	 * vfwd_pollset_add_fd() or vfwd_pollset_add_zmq()).  May be NULL. */
	void (*fill)(struct vfwd_pollset *ps);
	/* Milliseconds the poll may wait before the source must run even
	 * without an event: 0 when it has more work, -1 for as long as it
	 * takes.  May be NULL (-1). */
	int (*timeout_ms)(void);
	/* Runs the source after the poll; vfwd_pollset_revents() tells what
	 * happened to its items.  Runs every pass, events or not; sets
	 * 'ps->stop' to end the control loop (the sources after it in the
	 * list are then not run). */
	void (*run)(struct vfwd_pollset *ps);
};

/*
 * Adds file descriptor 'fd' to 'ps' for 'events' (POLLIN, POLLOUT).
 * Returns the item's number among the current source's, or -ENOSPC when
 * the set is full (the source is then served without that item).
 */
int vfwd_pollset_add_fd(struct vfwd_pollset *ps, int fd, short events);

/* Adds ZeroMQ socket 'sock' to 'ps' for 'events' (POLLIN, POLLOUT); as
 * vfwd_pollset_add_fd(). */
int vfwd_pollset_add_zmq(struct vfwd_pollset *ps, void *sock, short events);

/* How many items the current source added. */
int vfwd_pollset_count(const struct vfwd_pollset *ps);

/* What happened to the current source's item 'i', as poll(2) bits
 * (POLLIN, POLLOUT, POLLERR); 0 for an item it did not add. */
short vfwd_pollset_revents(const struct vfwd_pollset *ps, int i);

/* The ZeroMQ socket of the current source's item 'i' (NULL for a file
 * descriptor). */
void *vfwd_pollset_socket(const struct vfwd_pollset *ps, int i);

#endif /* VFWD_CTL_SOURCE_H */
