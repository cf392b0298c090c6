/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The state of a relay, and the only place its transitions are decided.
 *
 * A relay has two sides that come and go independently: the vhost-user
 * side (a socket, and on it at most one guest) and the device side.  Its
 * state is the socket's state, whether a guest is up, and whether a
 * device is attached; vfwd_relay_step() is the transition function (the
 * table is in relay_state.c and doc/architecture.md).  It is pure code,
 * so that the unit tests check every transition.
 */
#ifndef VFWD_RELAY_STATE_H
#define VFWD_RELAY_STATE_H

#include <stdbool.h>

/* The vhost-user socket of a relay. */
enum vfwd_sock_state {
	VFWD_SOCK_NONE = 0,   /* no socket */
	VFWD_SOCK_OPENING,    /* being registered; a guest may already come */
	VFWD_SOCK_OPEN,       /* registered: a guest may connect */
	VFWD_SOCK_CLOSING,    /* being unregistered; the guest's end may come */
	VFWD_SOCK_N_STATES
};

/* What happens to a relay. */
enum vfwd_relay_event {
	VFWD_EV_SOCKET_ADD = 0,   /* an operator asks for a socket */
	VFWD_EV_SOCKET_OPENED,    /* the vhost library took it */
	VFWD_EV_SOCKET_FAILED,    /* ... refused it */
	VFWD_EV_SOCKET_REMOVE,    /* an operator asks to close it */
	VFWD_EV_SOCKET_CLOSED,    /* the library let go of it */
	VFWD_EV_GUEST_UP,         /* a guest finished negotiating */
	VFWD_EV_GUEST_DOWN,       /* the guest went away */
	VFWD_EV_DEVICE_ATTACH,    /* a device was probed and started */
	VFWD_EV_DEVICE_DETACH,    /* an operator removes the device */
	VFWD_EV_N_EVENTS
};

/*
 * The state of one relay.  Invariant: a guest is up only while the socket
 * is not VFWD_SOCK_NONE.
 */
struct vfwd_relay_state {
	enum vfwd_sock_state sock;
	bool guest;
	bool device;
};

/*
 * Applies 'ev' to '*s'.  Returns 0 with '*s' updated, or, leaving '*s' as
 * it was, -EEXIST (the relay already has what the event adds), -ENOENT
 * (it lacks what the event needs or removes), -EBUSY (a guest is still up
 * on a socket whose end is reported), -EINVAL (an event out of order).
 */
int vfwd_relay_step(struct vfwd_relay_state *s, enum vfwd_relay_event ev);

/* Does the relay hold nothing (no socket, guest or device), so that its
 * counters start again? */
bool vfwd_relay_state_idle(const struct vfwd_relay_state *s);

/* Does the relay need packet buffers: a guest (vhost dequeue) or a device
 * (its RX rings)?  A socket alone needs none. */
bool vfwd_relay_state_needs_buffers(const struct vfwd_relay_state *s);

/* Does the relay own its socket path, i.e. is a socket open or on its
 * way in or out? */
bool vfwd_relay_state_has_path(const struct vfwd_relay_state *s);

/* Names for messages and tests. */
const char *vfwd_sock_state_name(enum vfwd_sock_state st);
const char *vfwd_relay_event_name(enum vfwd_relay_event ev);

#endif /* VFWD_RELAY_STATE_H */
