/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The virtio features a relay's vhost-user socket offers, as a function of
 * the configuration alone.  The daemon applies the mask to every socket it
 * registers, and vfwdctl migrate-check computes what a daemon started from a
 * given configuration file would offer: both go through here, so that the
 * tool can never predict something the daemon does not do.
 *
 * This header needs no DPDK; virtio_features.c does.  (It is not called
 * features.h, which would hide glibc's <features.h> on our include path.)
 */
#ifndef VFWD_VIRTIO_FEATURES_H
#define VFWD_VIRTIO_FEATURES_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/*
 * The flags of every rte_vhost_driver_register() call for a relay, apart
 * from RTE_VHOST_USER_CLIENT, which changes how the socket connects but
 * not what it offers.  It expands to DPDK names, so only files that
 * include <rte_vhost.h> can use it.
 */
#define VFWD_VHOST_REGISTER_FLAGS RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS

/*
 * The virtio-net feature bits the daemon removes from the vhost library's
 * defaults for 'cfg': MRG_RXBUF unless VIRTIOFWD_MRGBUF, the checksum and
 * TCP segmentation offloads unless VIRTIOFWD_TSO (on by default), and
 * always UFO, ECN and the legacy GSO bit, which the relay does not
 * honour.  Nothing else in the configuration changes the features
 * (VIRTIOFWD_JUMBO only sizes packet buffers and the device's MTU,
 * VIRTIOFWD_GRO only what the relay does with offered features).
 */
uint64_t vfwd_features_disabled(const struct vfwd_config *cfg);

/*
 * Stores in '*features' what a relay socket of a daemon configured with
 * 'cfg' offers (the answer to VHOST_USER_GET_FEATURES), by asking the
 * vhost library for its defaults and removing vfwd_features_disabled().
 * Needs no rte_eal_init(); meant for tools, since it lowers the library's
 * log level while it runs so that its notices do not reach the output.
 * Returns 0, or a negative errno with a message in 'err'.
 */
int vfwd_features_offered(const struct vfwd_config *cfg, uint64_t *features,
			  char *err, size_t errlen);

#endif /* VFWD_VIRTIO_FEATURES_H */
