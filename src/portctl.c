/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "errmsg.h"
#include "log.h"
#include "portctl.h"
#include "profile.h"
#include "relay.h"
#include "vhost.h"

static bool dynamic_sockets;

void
vfwd_portctl_init(const struct vfwd_config *cfg)
{
	dynamic_sockets = cfg->dynamic_sockets;
}

/* The name a device request is known by: the device, or the bond. */
static const char *
dev_name(const struct vfwd_portctl_dev *d)
{
	return d->n > 1 ? d->bond_name : d->devs[0];
}

static int
check_dev(const struct vfwd_portctl_dev *d, char *err, size_t errlen)
{
	unsigned int i;

	if (d->n == 0) {
		ERR("no device given (a PCI address or DPDK devargs; several for a bond)");
		return -EINVAL;
	}
	if (d->n > VFWD_BOND_MAX_MEMBERS) {
		ERR("%u devices: a bond has at most %d members", d->n,
		    VFWD_BOND_MAX_MEMBERS);
		return -E2BIG;
	}
	if (d->n > 1 && (d->bond_name == NULL || d->bond_name[0] == '\0')) {
		ERR("%u devices make a bond, and a bond needs a name "
		    "(starting with net_bonding)", d->n);
		return -EINVAL;
	}
	for (i = 0; i < d->n; i++)
		if (d->devs[i] == NULL || d->devs[i][0] == '\0' ||
		    strlen(d->devs[i]) >= VFWD_DEVSPEC_MAX) {
			ERR("device %u: empty or longer than %d characters", i + 1,
			    VFWD_DEVSPEC_MAX - 1);
			return -EINVAL;
		}
	return 0;
}

/* Does relay 'id' already have the device (or bond) 'd'? */
static bool
has_device(unsigned int id, const struct vfwd_portctl_dev *d)
{
	return vfwd_relay_find_device(dev_name(d)) == (int)id;
}

static int
attach(unsigned int relay, const struct vfwd_portctl_dev *d, char *err, size_t errlen)
{
	if (d->n > 1)
		return vfwd_relay_attach_bond(relay, d->bond_name, d->bond_mode,
					      d->devs, d->n, err, errlen);
	return vfwd_relay_attach(relay, d->devs[0], err, errlen);
}

int
vfwd_portctl_add(unsigned int relay, const struct vfwd_portctl_dev *d,
		 bool conditional, char *err, size_t errlen)
{
	int rc = check_dev(d, err, errlen);

	if (rc != 0)
		return rc;
	if (relay >= VFWD_MAX_RELAYS) {
		ERR("relay %u: out of range (0 to %u)", relay, VFWD_MAX_RELAYS - 1);
		return -ERANGE;
	}
	if (!(conditional && has_device(relay, d)))
		rc = attach(relay, d, err, errlen);
	if (rc == 0 && d->profile != NULL)
		vfwd_profile_set(relay, d->profile);
	return rc;
}

int
vfwd_portctl_set_profile(unsigned int relay, const struct vfwd_vf_profile *p,
			 char *err, size_t errlen)
{
	if (relay >= VFWD_MAX_RELAYS) {
		ERR("relay %u: out of range (0 to %u)", relay, VFWD_MAX_RELAYS - 1);
		return -ERANGE;
	}
	vfwd_profile_set(relay, p);
	return 0;
}

int
vfwd_portctl_remove(int relay, const char *dev, bool conditional,
		    char *err, size_t errlen)
{
	int id;

	if (dev == NULL || dev[0] == '\0') {
		ERR("no device or bond name given");
		return -EINVAL;
	}
	id = vfwd_relay_find_device(dev);
	if (id < 0) {
		/* The protocol's conditional request succeeds when it would
		 * change nothing; any other is 1.x's -2, not attached. */
		if (conditional)
			return 0;
		ERR("%s: not attached to any relay", dev);
		return -ENOENT;
	}
	if (relay >= 0 && relay != id) {
		ERR("%s: attached to relay %d, not to relay %d", dev, id, relay);
		return -EINVAL;
	}
	return vfwd_relay_detach((unsigned int)id, err, errlen);
}

static int
first_free_relay(void)
{
	struct vfwd_relay_info ri;
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (vfwd_relay_info(i, &ri) == -ENOENT)
			return (int)i;
	return -ENOSPC;
}

int
vfwd_portctl_add_sock(const char *path, const struct vfwd_portctl_dev *d,
		      bool conditional, unsigned int *relay,
		      char *err, size_t errlen)
{
	int rc, id;

	if (!dynamic_sockets) {
		ERR("socket operations need dynamic sockets "
		    "(VIRTIOFWD_DYNAMIC_SOCKETS=true, or -d)");
		return -EPERM;
	}
	if (path == NULL || path[0] != '/') {
		ERR("vhost_path: an absolute socket path is required");
		return -EINVAL;
	}
	rc = check_dev(d, err, errlen);
	if (rc != 0)
		return rc;
	/*
	 * The daemon runs as root and the client may be any member of the
	 * socket group: where it may create (and, for a stale socket,
	 * remove) a file is the operator's choice, not the client's.
	 */
	rc = vfwd_vhost_check_path(path, err, errlen);
	if (rc != 0) {
		VLOG_WARN("port control: refused socket path: %s", err);
		return rc;
	}
	id = vfwd_relay_find_socket(path);
	if (id >= 0) {
		if (conditional && has_device((unsigned int)id, d)) {
			*relay = (unsigned int)id;
			if (d->profile != NULL)
				vfwd_profile_set((unsigned int)id, d->profile);
			return 0;
		}
		ERR("%s: already the socket of relay %d", path, id);
		return -EEXIST;
	}
	id = first_free_relay();
	if (id < 0) {
		ERR("no free relay: all %d are in use", VFWD_MAX_RELAYS);
		return id;
	}
	rc = vfwd_relay_add_socket((unsigned int)id, path, err, errlen);
	if (rc == -EEXIST && vfwd_relay_find_socket(path) < 0) {
		/* Not another relay's: something in the way we leave alone. */
		VLOG_WARN("port control: refused socket path: %s", err);
		return rc;
	}
	if (rc != 0)
		return rc;
	rc = attach((unsigned int)id, d, err, errlen);
	if (rc != 0) {
		char err2[VFWD_ERR_MAX];

		/* Undo: the socket without its device is not what was asked. */
		if (vfwd_relay_remove_socket((unsigned int)id, err2, sizeof(err2)) != 0)
			VLOG_WARN("relay %d: dynamic socket %s stays without a device: "
				  "%s", id, path, err2);
		return rc;
	}
	*relay = (unsigned int)id;
	VLOG_INFO("relay %d: dynamic socket %s with %s", id, path, dev_name(d));
	if (d->profile != NULL)
		vfwd_profile_set((unsigned int)id, d->profile);
	return 0;
}

int
vfwd_portctl_remove_sock(const char *path, const char *dev, bool conditional,
			 char *err, size_t errlen)
{
	bool by_path = path != NULL && path[0] != '\0';
	bool by_dev = dev != NULL && dev[0] != '\0';
	struct vfwd_relay_info ri;
	int id = -ENOENT, id_dev, rc;

	if (!dynamic_sockets) {
		ERR("socket operations need dynamic sockets "
		    "(VIRTIOFWD_DYNAMIC_SOCKETS=true, or -d)");
		return -EPERM;
	}
	if (!by_path && !by_dev) {
		ERR("give the socket path, the device, or both");
		return -EINVAL;
	}
	if (by_path)
		id = vfwd_relay_find_socket(path);
	if (by_dev) {
		id_dev = vfwd_relay_find_device(dev);
		if (by_path && id >= 0 && id_dev >= 0 && id != id_dev) {
			ERR("%s serves relay %d but %s relay %d", path, id, dev, id_dev);
			return -EINVAL;
		}
		if (!by_path || id < 0)
			id = id_dev;
	}
	if (id < 0) {
		if (conditional)
			return 0;
		ERR("%s: no such socket or device", by_path ? path : dev);
		return -ENOENT;
	}
	if (vfwd_relay_info((unsigned int)id, &ri) != 0)
		return 0;
	if (ri.has_device) {
		rc = vfwd_relay_detach((unsigned int)id, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (ri.has_socket)
		return vfwd_relay_remove_socket((unsigned int)id, err, errlen);
	return 0;
}

int
vfwd_portctl_query(const char *path, char *out, size_t outlen,
		   char *err, size_t errlen)
{
	struct vfwd_relay_info ri;
	int id;

	if (path == NULL || path[0] == '\0') {
		ERR("vhost_path: the socket path is required");
		return -EINVAL;
	}
	id = vfwd_relay_find_socket(path);
	if (id < 0) {
		ERR("%s: not a socket of this daemon", path);
		return -ENOENT;
	}
	if (vfwd_relay_info((unsigned int)id, &ri) != 0 || !ri.has_device) {
		ERR("%s: relay %d has no device", path, id);
		return -ENOENT;
	}
	snprintf(out, outlen, "%s", ri.device);
	return 0;
}
