/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offloads on the per-packet path: what turns a guest's offloaded packet
 * into frames a device can send, and a device's frames into what a guest
 * can take.  Where the device has an offload, packets are prepared for it;
 * where it has not, the relay does the work in software (DPDK's GSO and
 * GRO libraries, checksums with rte_net/rte_ip helpers), so that the
 * offloads a guest negotiated never depend on the device behind it.
 *
 * The engines of fwd.c call in here only for bursts that need it (a packet
 * with offload flags, a frame larger than the device takes, a device that
 * gives no checksum verdicts); every other burst takes fwd.c's plain path.
 * Same rules as fwd.c: no locks, system calls, allocation beyond packet
 * buffers, or logging; counters are the calling worker's.
 */
#ifndef VFWD_OFFLOAD_H
#define VFWD_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dataplane.h"
#include "offload_info.h"

/* RX flags of a packet that needs offload work (vhost dequeue in
 * RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS mode, or a device's verdicts). */
#define VFWD_OFL_RX_FLAGS (RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_MASK)

/*
 * The longest frame a device sends: its MTU, an Ethernet header and one
 * VLAN tag, as DPDK's drivers size a frame (1518 bytes at MTU 1500).
 */
static inline uint32_t
vfwd_ofl_max_frame(const struct vfwd_ofl_dev *dev)
{
	return (uint32_t)dev->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
}

/*
 * The most frames one packet may be segmented into.  A 64 KiB packet at
 * the smallest usual MSS (536) makes 123; one that would make more is
 * dropped as a bad offload rather than let a guest tie a worker up.
 */
#define VFWD_OFL_SEGS_MAX 128

/* Room for the frames of one burst's offload work before it is flushed. */
#define VFWD_OFL_STAGE (2 * VFWD_OFL_SEGS_MAX)

/* Indirect buffers for the whole daemon: 32767 take about 6 MB. */
#define VFWD_OFL_INDIRECT_MBUFS 32767

/*
 * Creates the pool of indirect buffers software segmentation points into
 * packets with ('n' of them, on NUMA node 'socket' or any).  0 or -ENOMEM.
 */
int vfwd_ofl_init(unsigned int n, int socket);

/* Frees it; the workers must be stopped. */
void vfwd_ofl_fini(void);

/*
 * Guest to device.  Makes of packet 'm', dequeued from a guest, the
 * frames 'dev' can send, and stores them in out[] (at most 'room', which
 * is at least VFWD_OFL_SEGS_MAX): 'm' itself, marked for the device's
 * offloads, or the segments it was cut into ('m' is then freed).  Returns
 * the number of frames; 0 when 'm' was dropped (freed, and counted in
 * 'c' with its reason).  Segment headers come from 'pool'.
 */
unsigned int vfwd_ofl_to_device(struct rte_mbuf *m, const struct vfwd_ofl_dev *dev,
				struct rte_mempool *pool, struct rte_mbuf **out,
				unsigned int room, struct vfwd_dir_counters *c);

/*
 * Device to guest.  Prepares the packets pkts[0..n), received from 'dev',
 * for a guest that negotiated 'features': checksum verdicts and partial
 * checksums become VIRTIO_NET_HDR_F_NEEDS_CSUM for a guest with
 * GUEST_CSUM (partial ones are finished in software for any other),
 * TCP/IPv4 segments are coalesced ('gro', for a guest with GUEST_TSO4),
 * and frames the device coalesced (LRO) go to the guest whole or cut to
 * size.  Stores what to deliver in out[] (at most 'room', at least
 * VFWD_OFL_SEGS_MAX), in order within each flow, and returns how many;
 * '*used' is set to the number of input packets consumed (the caller
 * calls again for the rest).  Dropped packets are freed and counted in 'c'.
 */
unsigned int vfwd_ofl_to_guest(struct rte_mbuf **pkts, unsigned int n,
			       const struct vfwd_ofl_dev *dev, uint64_t features,
			       bool gro, struct rte_mempool *pool,
			       struct rte_mbuf **out, unsigned int room,
			       unsigned int *used, struct vfwd_dir_counters *c);

#endif /* VFWD_OFFLOAD_H */
