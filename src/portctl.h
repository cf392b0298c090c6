/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port control operations, shared by every port control source (ZeroMQ,
 * OVSDB monitor, IPC files): add or remove a device or bond on a relay,
 * add or remove a dynamic socket with its device, and ask which device
 * serves a socket.  The 1.x "conditional" rule lives here: with it, a
 * request that would change nothing succeeds.
 *
 * Every operation either completes or leaves the relays as they were.
 */
#ifndef VFWD_PORTCTL_H
#define VFWD_PORTCTL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "vfprofile.h"

/* A device request: one device, or a bond when n > 1. */
struct vfwd_portctl_dev {
	const char *devs[VFWD_BOND_MAX_MEMBERS];   /* PCI addresses or devargs */
	unsigned int n;
	const char *bond_name;       /* required when n > 1 */
	unsigned int bond_mode;      /* 0-6 */
	/* The relay's new VF port profile (profile.h), set once the devices
	 * are attached; NULL: the relay keeps the one it has. */
	const struct vfwd_vf_profile *profile;
};

/* Reads what the operations need from the configuration. */
void vfwd_portctl_init(const struct vfwd_config *cfg);

/* Attaches the device (or bond) 'd' to relay 'relay' (a conditional
 * request for what is attached already only sets d->profile). */
int vfwd_portctl_add(unsigned int relay, const struct vfwd_portctl_dev *d,
		     bool conditional, char *err, size_t errlen);

/*
 * Detaches a device: by 'dev' (a device, a bond member or a bond name).
 * When 'relay' >= 0 it must be the relay serving it.  A device attached
 * to no relay is -ENOENT ("not attached", 1.x's -2), or success when
 * 'conditional' (the protocol's idempotent request).
 */
int vfwd_portctl_remove(int relay, const char *dev, bool conditional,
			char *err, size_t errlen);

/*
 * Opens dynamic socket 'path' on the first free relay and attaches 'd'
 * to it; '*relay' receives the relay.  Needs VIRTIOFWD_DYNAMIC_SOCKETS.
 */
int vfwd_portctl_add_sock(const char *path, const struct vfwd_portctl_dev *d,
			  bool conditional, unsigned int *relay,
			  char *err, size_t errlen);

/*
 * Closes a dynamic socket and detaches its device, found by 'path', by
 * 'dev', or both (then they must name the same relay).
 */
int vfwd_portctl_remove_sock(const char *path, const char *dev,
			     bool conditional, char *err, size_t errlen);

/*
 * Replaces relay 'relay''s VF port profile with 'p' (empty: none) and
 * applies it to the relay's devices, if any.  What the PF refuses is not
 * an error here: it is logged and shown in the relay's stats.
 */
int vfwd_portctl_set_profile(unsigned int relay, const struct vfwd_vf_profile *p,
			     char *err, size_t errlen);

/* Writes the device of the relay serving socket 'path' into 'out'. */
int vfwd_portctl_query(const char *path, char *out, size_t outlen,
		       char *err, size_t errlen);

#endif /* VFWD_PORTCTL_H */
