/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <rte_log.h>
#include <rte_vhost.h>

#include "virtio_features.h"

/* The checksum and TCP segmentation offloads, which the relay honours on
 * any device (offload.c), unless VIRTIOFWD_TSO turns them off. */
#define OFFLOAD_FEATURES \
	((1ULL << VIRTIO_NET_F_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_CSUM) | \
	 (1ULL << VIRTIO_NET_F_HOST_TSO4) | (1ULL << VIRTIO_NET_F_HOST_TSO6) | \
	 (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6))

/*
 * What the vhost library offers and the relay never does: UDP
 * fragmentation offload (a guest's UFO packet would have to be cut into
 * IP fragments; Linux guests have not sent any since 4.14), TCP
 * segmentation with ECN's CWR rules, and the legacy "any GSO" bit.
 */
#define NEVER_FEATURES \
	((1ULL << VIRTIO_NET_F_GSO) | (1ULL << VIRTIO_NET_F_HOST_UFO) | \
	 (1ULL << VIRTIO_NET_F_GUEST_UFO) | (1ULL << VIRTIO_NET_F_HOST_ECN) | \
	 (1ULL << VIRTIO_NET_F_GUEST_ECN))

uint64_t
vfwd_features_disabled(const struct vfwd_config *cfg)
{
	uint64_t disabled = NEVER_FEATURES;

	if (!cfg->mrgbuf)
		disabled |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (!cfg->tso)
		disabled |= OFFLOAD_FEATURES;
	return disabled;
}

int
vfwd_features_offered(const struct vfwd_config *cfg, uint64_t *features,
		      char *err, size_t errlen)
{
	char path[64];
	uint32_t old_level;
	int rc = 0;

	/*
	 * The library keeps its defaults per registered socket, so we register
	 * one that is never started.  In server mode registration only makes
	 * an unbound socket descriptor: the path is never created.  It must
	 * still name nothing real, because unregistering a server socket
	 * unlink()s its path: nothing can be created under /proc/PID, and the
	 * pid keeps the name apart from any other registration.
	 */
	snprintf(path, sizeof(path), "/proc/%ld/vfwd-features-probe", (long)getpid());

	/* Registration logs at INFO level; a tool's output should show only
	 * its own answer, and warnings or errors if any. */
	old_level = rte_log_get_global_level();
	rte_log_set_global_level(RTE_LOG_WARNING);
	if (rte_vhost_driver_register(path, VFWD_VHOST_REGISTER_FLAGS) != 0) {
		snprintf(err, errlen, "the vhost library refused to register a "
			 "probe socket (%s), so it cannot say what it offers", path);
		rc = -EIO;
		goto out;
	}
	if (rte_vhost_driver_disable_features(path, vfwd_features_disabled(cfg)) != 0 ||
	    rte_vhost_driver_get_features(path, features) != 0) {
		snprintf(err, errlen, "the vhost library could not compute the "
			 "features of a probe socket (%s)", path);
		rc = -EIO;
	}
	rte_vhost_driver_unregister(path);
out:
	rte_log_set_global_level(old_level);
	return rc;
}
