/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device side of a relay: an SR-IOV VF or any DPDK port, named by a
 * PCI address or a DPDK devargs string, hot-plugged with rte_dev_probe()
 * and released with rte_dev_remove().  Nothing is probed at start that
 * was not asked for.
 */
#ifndef VFWD_DEVICE_H
#define VFWD_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "parse.h"      /* VFWD_BOND_MAX_MEMBERS */

/* Device queues used at most per direction (RSS spreads over them). */
#define VFWD_DEV_MAX_QUEUES 4
/* Descriptors per device queue, adjusted to what the device allows. */
#define VFWD_DEV_RING_SIZE 1024

/* Port settings derived from the configuration. */
struct vfwd_device_opts {
	bool jumbo;        /* MTU 9000 */
	bool tso;          /* TSO and checksum offloads toward the device */
};

/* A device attached to a relay: one port, or a bond of member ports. */
struct vfwd_device {
	uint16_t port_id;                /* the port the relay polls */
	uint16_t nb_rxq;
	uint16_t nb_txq;
	int numa;                        /* -1 when unknown */
	char name[128];                  /* the spec, or the bond's name */
	bool bond;
	uint8_t n_members;
	uint16_t member_port[VFWD_BOND_MAX_MEMBERS];
};

/*
 * Returns a buffer pool for a device on NUMA node 'numa' whose rings hold
 * up to 'ring_mbufs' buffers.
 */
typedef struct rte_mempool *(*vfwd_get_pool_fn)(void *ctx, int numa,
						unsigned int ring_mbufs);

/*
 * Probes the device named by 'spec' (PCI address or devargs), configures
 * nb_rxq/nb_txq queues with buffers from the pool that 'get_pool' returns
 * for the device's NUMA node, and starts it.  On failure nothing stays
 * probed and 'err' says which step failed.
 */
int vfwd_device_attach(const char *spec, const struct vfwd_device_opts *opts,
		       vfwd_get_pool_fn get_pool, void *ctx,
		       struct vfwd_device *dev, char *err, size_t errlen);

/*
 * Probes the 'n_members' member devices (2 to VFWD_BOND_MAX_MEMBERS) and
 * binds them into a DPDK bonding port called 'name' (which starts with
 * "net_bonding") in mode 'mode' (0-6), then sets it up as
 * vfwd_device_attach() does.  On failure everything is undone.
 */
int vfwd_device_attach_bond(const char *name, unsigned int mode,
			    const char *const *members, unsigned int n_members,
			    const struct vfwd_device_opts *opts,
			    vfwd_get_pool_fn get_pool, void *ctx,
			    struct vfwd_device *dev,
			    char *err, size_t errlen);

/* Stops, closes and removes a device (and a bond's members). */
void vfwd_device_detach(struct vfwd_device *dev);

#endif /* VFWD_DEVICE_H */
