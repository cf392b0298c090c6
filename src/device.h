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

#include "parse.h"      /* VFWD_BOND_MAX_MEMBERS, VFWD_DEVSPEC_MAX */

/* Only pointers here: the header stays DPDK-free for the control code
 * (and its fuzz targets) that asks about ports. */
struct rte_mempool;

/* Device queues used at most per direction (RSS spreads over them). */
#define VFWD_DEV_MAX_QUEUES 4
/* Descriptors per device queue, adjusted to what the device allows. */
#define VFWD_DEV_RING_SIZE 1024

/* Port settings derived from the configuration. */
struct vfwd_device_opts {
	bool jumbo;        /* MTU 9000 */
	bool tso;          /* TSO and checksum offloads toward the device */
	bool lro;          /* LRO, where the device has it */
	bool rx_intr;      /* RX interrupts, where the driver has them
			    * (adaptive polling sleeps on them) */
};

/* A device attached to a relay: one port, or a bond of member ports. */
struct vfwd_device {
	uint16_t port_id;                /* the port the relay polls */
	uint16_t nb_rxq;
	uint16_t nb_txq;
	uint16_t nb_rxd;                 /* descriptors per RX queue */
	uint16_t nb_txd;                 /* ... per TX queue */
	int numa;                        /* -1 when unknown */
	char name[VFWD_DEVSPEC_MAX];     /* the spec, or the bond's name */
	uint32_t ofl;                    /* VFWD_DEV_OFL_* configured */
	uint16_t mtu;                    /* what it runs at, once started */
	bool bond;
	uint8_t n_members;
	uint16_t member_port[VFWD_BOND_MAX_MEMBERS];
};

/*
 * Probes the device named by 'spec' (PCI address or devargs) and
 * configures its port: queues and offloads from what it can do.  The
 * device is not started: the caller gets buffers for its rings
 * (vfwd_device_ring_mbufs()) and calls vfwd_device_start(), or
 * vfwd_device_detach().  On failure nothing stays probed and 'err' says
 * which step failed.
 */
int vfwd_device_probe(const char *spec, const struct vfwd_device_opts *opts,
		      struct vfwd_device *dev, char *err, size_t errlen);

/*
 * Probes the 'n_members' member devices (2 to VFWD_BOND_MAX_MEMBERS),
 * binds them into a DPDK bonding port called 'name' (which starts with
 * "net_bonding") in mode 'mode' (0-6), and configures it as
 * vfwd_device_probe() does.  On failure everything is undone.
 */
int vfwd_device_probe_bond(const char *name, unsigned int mode,
			   const char *const *members, unsigned int n_members,
			   const struct vfwd_device_opts *opts,
			   struct vfwd_device *dev, char *err, size_t errlen);

/* Buffers the rings of a probed device can hold at once. */
unsigned int vfwd_device_ring_mbufs(const struct vfwd_device *dev);

/*
 * Sets up the queues of a probed device with buffers from 'pool' and
 * starts it.  On failure the caller detaches it.
 */
int vfwd_device_start(struct vfwd_device *dev, struct rte_mempool *pool,
		      char *err, size_t errlen);

/* Stops, closes and removes a probed device (and a bond's members). */
void vfwd_device_detach(struct vfwd_device *dev);

/*
 * The DPDK ports this daemon's DPDK build allows (RTE_MAX_ETHPORTS): a
 * device takes one, a bond one per member and one for itself.
 */
unsigned int vfwd_device_max_ports(void);

/* The DPDK ports in use now: relays' devices, bond members, and any
 * device EAL probed at start (VIRTIOFWD_EAL_ARGS). */
unsigned int vfwd_device_ports_in_use(void);

#endif /* VFWD_DEVICE_H */
