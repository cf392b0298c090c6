/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where each offload of a relay runs: in the device or in the relay's
 * software fallback (offload.c), as a function of what the guest
 * negotiated, what the device does and the configuration.  The daemon
 * reports it (stats dump, stats service, metrics) and vfwdctl prints it
 * from the stats service's fields; both go through here, so that they
 * always tell the same story.
 *
 * DPDK-free: the tools link it.
 */
#ifndef VFWD_OFFLOAD_INFO_H
#define VFWD_OFFLOAD_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * What a device does itself, as configured on its port (struct
 * vfwd_device, the stats service's device_offloads field).  Only the
 * offloads the relay uses: what the port's driver can do and was asked to.
 */
#define VFWD_DEV_OFL_TX_IPV4_CSUM  (1u << 0)  /* IPv4 header checksum */
#define VFWD_DEV_OFL_TX_TCP_CSUM   (1u << 1)
#define VFWD_DEV_OFL_TX_UDP_CSUM   (1u << 2)
#define VFWD_DEV_OFL_TX_TSO4       (1u << 3)  /* TCP segmentation, IPv4 */
#define VFWD_DEV_OFL_TX_TSO6       (1u << 4)  /* ... IPv6 */
#define VFWD_DEV_OFL_TX_MULTI_SEGS (1u << 5)  /* sends chained buffers */
#define VFWD_DEV_OFL_RX_CSUM       (1u << 6)  /* TCP/UDP checksum verdicts */
#define VFWD_DEV_OFL_RX_LRO        (1u << 7)  /* coalesces TCP segments */
/* Its TSO counts the Ethernet header into the MTU: it refuses segments
 * whose frame is longer than the MTU (DPDK 22.11's tap driver), which the
 * relay then cuts itself.  Not a capability: never reported. */
#define VFWD_DEV_OFL_TSO_L2_IN_MTU (1u << 8)
/* It fronts a kernel interface (af_packet, af_xdp, pcap), which hands
 * over the partial checksums of local senders (a veth's peer): without
 * verdicts, every packet is looked at.  Not reported either. */
#define VFWD_DEV_OFL_RX_PARTIAL    (1u << 9)

/*
 * What the per-packet path needs to know of a relay's device; fixed while
 * the device is attached.
 */
struct vfwd_ofl_dev {
	uint32_t ofl;          /* VFWD_DEV_OFL_*: what the device does */
	uint16_t mtu;          /* the device's MTU (vfwd_ofl_max_frame()) */
};

/* The offloads a relay reports, each with where it runs. */
enum vfwd_ofl_kind {
	/* Guest to device. */
	VFWD_OFL_CSUM,        /* partial checksums of the guest's packets */
	VFWD_OFL_TSO4,        /* the guest's large TCP/IPv4 packets */
	VFWD_OFL_TSO6,        /* ... TCP/IPv6 */
	/* Device to guest. */
	VFWD_OFL_GUEST_CSUM,  /* checksum verdicts handed to the guest */
	VFWD_OFL_GUEST_TSO,   /* TCP segments coalesced for the guest */
	VFWD_OFL_N_KINDS
};

/* Where an offload runs. */
enum vfwd_ofl_where {
	VFWD_OFL_OFF,         /* not negotiated, or switched off */
	VFWD_OFL_DEVICE,
	VFWD_OFL_SOFTWARE,
};

/* The name of an offload kind ("csum", "tso4", ...), as the stats show it. */
const char *vfwd_ofl_kind_name(enum vfwd_ofl_kind k);

/* "off", "device" or "software". */
const char *vfwd_ofl_where_name(enum vfwd_ofl_where w);

/*
 * Where each offload of a relay runs (out[VFWD_OFL_N_KINDS]), given the
 * virtio features its guest negotiated (0: no guest), what its device does
 * (VFWD_DEV_OFL_*; with 'has_device' false everything the guest
 * negotiated counts as software, which is what a device attached later
 * without the offload gets) and whether software coalescing (VIRTIOFWD_GRO)
 * is on.
 */
void vfwd_ofl_where(uint64_t guest_features, bool has_device, uint32_t dev_ofl,
		    bool gro, enum vfwd_ofl_where out[VFWD_OFL_N_KINDS]);

/*
 * Writes "csum=device tso4=software ..." for vfwd_ofl_where()'s answer
 * into 'buf' ('sep' between the items); returns 'buf'.
 */
char *vfwd_ofl_format(const enum vfwd_ofl_where w[VFWD_OFL_N_KINDS],
		      const char *sep, char *buf, size_t len);

/*
 * Writes the offloads a device does itself, e.g. "TSO4 TSO6 TCP-checksum
 * RX-checksum" ('sep' between them), or "none", into 'buf'; returns 'buf'.
 */
char *vfwd_dev_ofl_format(uint32_t dev_ofl, const char *sep, char *buf, size_t len);

#endif /* VFWD_OFFLOAD_INFO_H */
