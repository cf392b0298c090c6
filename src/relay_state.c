/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relay state transitions.
 *
 * Socket side (the guest can only be up on a socket that exists):
 *
 *   event           from                      to        refused with
 *   SOCKET_ADD      NONE                      OPENING   -EEXIST otherwise
 *   SOCKET_OPENED   OPENING                   OPEN      -EINVAL otherwise
 *   SOCKET_FAILED   OPENING, no guest         NONE      -EBUSY guest up,
 *                                                       -EINVAL otherwise
 *   SOCKET_REMOVE   OPEN                      CLOSING   -ENOENT otherwise
 *   SOCKET_CLOSED   CLOSING, no guest         NONE      -EBUSY guest up,
 *                                                       -EINVAL otherwise
 *   GUEST_UP        OPENING or OPEN, no guest guest up  -ENOENT no socket
 *                                                       or closing, else
 *                                                       -EEXIST guest up
 *   GUEST_DOWN      guest up                  no guest  -ENOENT otherwise
 *
 * Device side, independent of the socket:
 *
 *   DEVICE_ATTACH   no device                 device    -EEXIST otherwise
 *   DEVICE_DETACH   device                    no device -ENOENT otherwise
 *
 * OPENING and CLOSING exist because the vhost library is called without
 * the relay lock: in client mode it may connect a guest before
 * registration returns (GUEST_UP in OPENING), and unregistering a socket
 * calls the guest's destroy callback (GUEST_DOWN in CLOSING).  No other
 * socket operation may start meanwhile, and no new guest is taken on a
 * socket being closed.  Whoever reports the end of a socket takes its
 * guest down first, so a guest never outlives its socket.
 */
#include <errno.h>

#include "relay_state.h"

int
vfwd_relay_step(struct vfwd_relay_state *s, enum vfwd_relay_event ev)
{
	switch (ev) {
	case VFWD_EV_SOCKET_ADD:
		if (s->sock != VFWD_SOCK_NONE)
			return -EEXIST;
		s->sock = VFWD_SOCK_OPENING;
		return 0;
	case VFWD_EV_SOCKET_OPENED:
		if (s->sock != VFWD_SOCK_OPENING)
			return -EINVAL;
		s->sock = VFWD_SOCK_OPEN;
		return 0;
	case VFWD_EV_SOCKET_FAILED:
	case VFWD_EV_SOCKET_CLOSED:
		if (s->sock != (ev == VFWD_EV_SOCKET_FAILED ? VFWD_SOCK_OPENING
							  : VFWD_SOCK_CLOSING))
			return -EINVAL;
		if (s->guest)
			return -EBUSY;
		s->sock = VFWD_SOCK_NONE;
		return 0;
	case VFWD_EV_SOCKET_REMOVE:
		if (s->sock != VFWD_SOCK_OPEN)
			return -ENOENT;
		s->sock = VFWD_SOCK_CLOSING;
		return 0;
	case VFWD_EV_GUEST_UP:
		if (s->sock != VFWD_SOCK_OPENING && s->sock != VFWD_SOCK_OPEN)
			return -ENOENT;
		if (s->guest)
			return -EEXIST;
		s->guest = true;
		return 0;
	case VFWD_EV_GUEST_DOWN:
		if (!s->guest)
			return -ENOENT;
		s->guest = false;
		return 0;
	case VFWD_EV_DEVICE_ATTACH:
		if (s->device)
			return -EEXIST;
		s->device = true;
		return 0;
	case VFWD_EV_DEVICE_DETACH:
		if (!s->device)
			return -ENOENT;
		s->device = false;
		return 0;
	case VFWD_EV_N_EVENTS:
		break;
	}
	return -EINVAL;
}

bool
vfwd_relay_state_idle(const struct vfwd_relay_state *s)
{
	return s->sock == VFWD_SOCK_NONE && !s->guest && !s->device;
}

bool
vfwd_relay_state_needs_buffers(const struct vfwd_relay_state *s)
{
	return s->guest || s->device;
}

bool
vfwd_relay_state_has_path(const struct vfwd_relay_state *s)
{
	return s->sock != VFWD_SOCK_NONE;
}

const char *
vfwd_sock_state_name(enum vfwd_sock_state st)
{
	static const char *const names[VFWD_SOCK_N_STATES] = {
		[VFWD_SOCK_NONE] = "none",
		[VFWD_SOCK_OPENING] = "opening",
		[VFWD_SOCK_OPEN] = "open",
		[VFWD_SOCK_CLOSING] = "closing",
	};

	return (unsigned int)st < VFWD_SOCK_N_STATES ? names[st] : "?";
}

const char *
vfwd_relay_event_name(enum vfwd_relay_event ev)
{
	static const char *const names[VFWD_EV_N_EVENTS] = {
		[VFWD_EV_SOCKET_ADD] = "socket-add",
		[VFWD_EV_SOCKET_OPENED] = "socket-opened",
		[VFWD_EV_SOCKET_FAILED] = "socket-failed",
		[VFWD_EV_SOCKET_REMOVE] = "socket-remove",
		[VFWD_EV_SOCKET_CLOSED] = "socket-closed",
		[VFWD_EV_GUEST_UP] = "guest-up",
		[VFWD_EV_GUEST_DOWN] = "guest-down",
		[VFWD_EV_DEVICE_ATTACH] = "device-attach",
		[VFWD_EV_DEVICE_DETACH] = "device-detach",
	};

	return (unsigned int)ev < VFWD_EV_N_EVENTS ? names[ev] : "?";
}
