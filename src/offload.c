/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Offloads on the per-packet path (see offload.h).  Same rules as fwd.c:
 * no locks, no system calls, no logging; the only allocations are packet
 * buffers from the relay's pool and the indirect pool made at start.
 *
 * What the vhost library hands us (RTE_VHOST_USER_NET_COMPLIANT_OL_FLAGS):
 * a guest packet with VIRTIO_NET_HDR_F_NEEDS_CSUM has RX_L4_CKSUM_NONE (its
 * TCP/UDP checksum field holds only the pseudo-header sum), one with a GSO
 * type has RX_LRO and tso_segsz (the MSS).  The header lengths are not
 * set.  Toward the guest the library reads TX flags only: TX_TCP_SEG with
 * tso_segsz becomes a GSO header, TX_{TCP,UDP}_CKSUM NEEDS_CSUM (it writes
 * the pseudo-header sum itself), TX_IP_CKSUM a software IPv4 header
 * checksum.  It never sets DATA_VALID; NEEDS_CSUM is how a verdict the
 * relay trusts reaches the guest (the guest does not check such a packet).
 */
#include <errno.h>
#include <linux/virtio_net.h>
#include <netinet/in.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_gro.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_net.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "fwd.h"
#include "offload.h"

/* Software segmentation points into the packets it cuts with these. */
static struct rte_mempool *indirect_pool;

int
vfwd_ofl_init(unsigned int n, int socket)
{
	indirect_pool = rte_pktmbuf_pool_create("vfwd_gso_indirect", n, 256, 0, 0,
						socket);
	if (indirect_pool == NULL)
		indirect_pool = rte_pktmbuf_pool_create("vfwd_gso_indirect", n, 256,
							0, 0, SOCKET_ID_ANY);
	return indirect_pool != NULL ? 0 : -ENOMEM;
}

void
vfwd_ofl_fini(void)
{
	rte_mempool_free(indirect_pool);
	indirect_pool = NULL;
}

/* ------------------------------------------------------------------ */
/* Headers                                                             */
/* ------------------------------------------------------------------ */

/* A TCP or UDP packet over IPv4 or IPv6, as parse() found it. */
struct pkt {
	uint16_t l2, l3, l4;     /* header lengths */
	uint32_t l4_len;         /* L4 header and payload, by the IP header */
	uint8_t proto;           /* IPPROTO_TCP or IPPROTO_UDP */
	bool v4;
	bool v6_ext;             /* IPv6 with extension headers */
};

/*
 * Finds the headers of 'm' and sets its packet type and header lengths
 * (GRO, GSO, the vhost library and the drivers' TX preparation read
 * them).  False unless it is TCP or UDP over IPv4 or IPv6 with all its
 * headers in the first buffer; 'p' is then valid.
 */
static bool
parse(struct rte_mbuf *m, struct pkt *p)
{
	struct rte_net_hdr_lens hl;
	uint32_t pt = rte_net_get_ptype(m, &hl, RTE_PTYPE_L2_MASK |
					RTE_PTYPE_L3_MASK | RTE_PTYPE_L4_MASK);
	uint32_t l4t = pt & RTE_PTYPE_L4_MASK;
	uint32_t ip_len;

	m->packet_type = pt;
	if ((!RTE_ETH_IS_IPV4_HDR(pt) && !RTE_ETH_IS_IPV6_HDR(pt)) ||
	    (l4t != RTE_PTYPE_L4_TCP && l4t != RTE_PTYPE_L4_UDP))
		return false;
	p->v4 = RTE_ETH_IS_IPV4_HDR(pt);
	p->proto = l4t == RTE_PTYPE_L4_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	p->l2 = hl.l2_len;
	p->l3 = hl.l3_len;
	p->l4 = hl.l4_len;
	if (rte_pktmbuf_data_len(m) < (uint32_t)p->l2 + p->l3 + p->l4)
		return false;
	if (p->v4) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, p->l2);

		ip_len = rte_be_to_cpu_16(ip->total_length);
		p->v6_ext = false;
	} else {
		const struct rte_ipv6_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, p->l2);

		ip_len = rte_be_to_cpu_16(ip->payload_len) + sizeof(*ip);
		p->v6_ext = p->l3 != sizeof(*ip);
	}
	if (ip_len < (uint32_t)p->l3 + p->l4)
		return false;
	p->l4_len = ip_len - p->l3;
	m->l2_len = p->l2;
	m->l3_len = p->l3;
	m->l4_len = p->l4;
	return true;
}

/* Does 'm' hold less than its IP header says? */
static inline bool
truncated(const struct rte_mbuf *m, const struct pkt *p)
{
	return rte_pktmbuf_pkt_len(m) < (uint32_t)p->l2 + p->l3 + p->l4_len;
}

static inline uint16_t *
csum_field(struct rte_mbuf *m, const struct pkt *p)
{
	return rte_pktmbuf_mtod_offset(m, uint16_t *, p->l2 + p->l3 +
		(p->proto == IPPROTO_TCP ? offsetof(struct rte_tcp_hdr, cksum)
					 : offsetof(struct rte_udp_hdr, dgram_cksum)));
}

/*
 * The pseudo-header sum of 'p' (not folded).  Ours rather than
 * rte_ipv6_phdr_cksum(), which takes the length and protocol from the
 * IPv6 header and so is wrong when extension headers follow it.
 */
static uint32_t
pseudo_sum(const struct rte_mbuf *m, const struct pkt *p)
{
	if (p->v4) {
		const struct rte_ipv4_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, p->l2);
		struct {
			rte_be32_t src, dst;
			uint8_t zero, proto;
			rte_be16_t len;
		} __rte_packed ph = {
			ip->src_addr, ip->dst_addr, 0, p->proto,
			rte_cpu_to_be_16((uint16_t)p->l4_len),
		};

		return __rte_raw_cksum(&ph, sizeof(ph), 0);
	} else {
		const struct rte_ipv6_hdr *ip =
			rte_pktmbuf_mtod_offset(m, const struct rte_ipv6_hdr *, p->l2);
		struct {
			uint8_t addr[32];
			rte_be32_t len;
			uint8_t zero[3], proto;
		} __rte_packed ph = { .len = rte_cpu_to_be_32(p->l4_len), .proto = p->proto };

		/* Source and destination follow each other in the header. */
		memcpy(ph.addr, ip->src_addr, sizeof(ph.addr));
		return __rte_raw_cksum(&ph, sizeof(ph), 0);
	}
}

/*
 * Does the checksum field hold only the pseudo-header sum?  That is what a
 * sender that left the checksum to the "hardware" put there (Linux's
 * CHECKSUM_PARTIAL, as a veth or a kernel interface hands it to a packet
 * socket).  A complete checksum has the same value once in 65536
 * packets; taking it for a partial one is harmless (see to_guest_csum()).
 */
static bool
is_partial(struct rte_mbuf *m, const struct pkt *p)
{
	uint16_t f = *csum_field(m, p);
	uint16_t ps = __rte_raw_cksum_reduce(pseudo_sum(m, p));

	return f == ps || (f == 0 && ps == 0xffff) || (f == 0xffff && ps == 0);
}

/* Writes the complete TCP/UDP checksum of 'm'. */
static void
csum_in_software(struct rte_mbuf *m, const struct pkt *p, struct vfwd_dir_counters *c)
{
	uint16_t *f = csum_field(m, p), raw = 0, sum;

	*f = 0;
	if (rte_raw_cksum_mbuf(m, p->l2 + p->l3, p->l4_len, &raw) != 0)
		return;
	sum = (uint16_t)~__rte_raw_cksum_reduce(pseudo_sum(m, p) + raw);
	/* UDP sends "no checksum" as 0: a computed 0 goes as its other form. */
	if (sum == 0 && p->proto == IPPROTO_UDP)
		sum = 0xffff;
	*f = sum;
	vfwd_ctr_add(&c->csum_software_pkts, 1);
}

static inline void
ipv4_csum_in_software(struct rte_mbuf *m, const struct pkt *p)
{
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, p->l2);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

static inline uint64_t
family_flag(const struct pkt *p)
{
	return p->v4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
}

static inline uint64_t
l4_csum_flag(const struct pkt *p)
{
	return p->proto == IPPROTO_TCP ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
}

/* Drops 'm' for reason 'pkts'/'bytes' (counters of 'c'). */
static inline unsigned int
drop(struct rte_mbuf *m, uint64_t *pkts, uint64_t *bytes)
{
	vfwd_ctr_add(pkts, 1);
	vfwd_ctr_add(bytes, rte_pktmbuf_pkt_len(m));
	rte_pktmbuf_free(m);
	return 0;
}

#define DROP(m, c, why) drop((m), &(c)->drop_##why##_pkts, &(c)->drop_##why##_bytes)

/* ------------------------------------------------------------------ */
/* Segmentation                                                        */
/* ------------------------------------------------------------------ */

/*
 * Cuts TCP/IPv6 packet 'm' into 'nseg' frames of 'mss' bytes of payload
 * (the last one shorter), each a copy in one buffer of 'pool', and frees
 * 'm'.  DPDK 22.11's GSO library does not segment IPv6.  0 or -ENOMEM
 * ('m' is then kept).
 */
static int
segment_tcp6(struct rte_mbuf *m, const struct pkt *p, uint16_t mss,
	     unsigned int nseg, struct rte_mempool *pool, struct rte_mbuf **out)
{
	uint32_t hdr = (uint32_t)p->l2 + p->l3 + p->l4;
	uint32_t payload = rte_pktmbuf_pkt_len(m) - hdr, off = 0;
	const uint8_t *h = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t seq = rte_be_to_cpu_32(((const struct rte_tcp_hdr *)(h + p->l2 + p->l3))->sent_seq);
	unsigned int i;

	for (i = 0; i < nseg; i++, off += mss) {
		uint32_t len = RTE_MIN((uint32_t)mss, payload - off);
		struct rte_mbuf *s = rte_pktmbuf_alloc(pool);
		struct rte_ipv6_hdr *ip;
		struct rte_tcp_hdr *th;
		const void *src;
		uint8_t *d;

		d = s != NULL ? (uint8_t *)rte_pktmbuf_append(s, (uint16_t)(hdr + len)) : NULL;
		if (d == NULL) {
			rte_pktmbuf_free(s);
			rte_pktmbuf_free_bulk(out, i);
			return -ENOMEM;
		}
		memcpy(d, h, hdr);
		src = rte_pktmbuf_read(m, hdr + off, len, d + hdr);
		if (src != d + hdr)
			memcpy(d + hdr, src, len);
		ip = (struct rte_ipv6_hdr *)(d + p->l2);
		ip->payload_len = rte_cpu_to_be_16((uint16_t)(p->l3 - sizeof(*ip) + p->l4 + len));
		th = (struct rte_tcp_hdr *)(d + p->l2 + p->l3);
		th->sent_seq = rte_cpu_to_be_32(seq + off);
		/* As a NIC's TSO does: FIN and PSH on the last frame only,
		 * CWR on the first only. */
		if (i + 1 < nseg)
			th->tcp_flags &= (uint8_t)~(RTE_TCP_FIN_FLAG | RTE_TCP_PSH_FLAG);
		if (i > 0)
			th->tcp_flags &= (uint8_t)~RTE_TCP_CWR_FLAG;
		s->packet_type = m->packet_type;
		s->l2_len = p->l2;
		s->l3_len = p->l3;
		s->l4_len = p->l4;
		out[i] = s;
	}
	rte_pktmbuf_free(m);
	return 0;
}

/*
 * Cuts TCP packet 'm' into frames of at most 'mss' bytes of payload in
 * out[] (at most 'room'), with checksums for 'dev' (in it, or done here),
 * and frees 'm'.  Returns the number of frames, or 0 when 'm' was dropped.
 * 'single' devices send only unchained buffers.
 */
static unsigned int
segment(struct rte_mbuf *m, const struct pkt *p, uint16_t mss,
	const struct vfwd_ofl_dev *dev, struct rte_mempool *pool,
	struct rte_mbuf **out, unsigned int room, struct vfwd_dir_counters *c)
{
	uint32_t hdr = (uint32_t)p->l2 + p->l3 + p->l4;
	uint32_t payload = rte_pktmbuf_pkt_len(m) - hdr;
	unsigned int nseg = (payload + mss - 1) / mss, i, k = 0;
	int n;

	if (p->proto != IPPROTO_TCP || mss == 0 ||
	    nseg > RTE_MIN(room, (unsigned int)VFWD_OFL_SEGS_MAX))
		return DROP(m, c, bad_offload);
	if (p->v4) {
		struct rte_gso_ctx ctx = {
			.direct_pool = pool,
			.indirect_pool = indirect_pool,
			.gso_types = RTE_ETH_TX_OFFLOAD_TCP_TSO,
			.gso_size = (uint16_t)(hdr + mss),
			.flag = 0,        /* IP IDs count up, as a NIC's TSO */
		};

		m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4;
		n = rte_gso_segment(m, &ctx, out, (uint16_t)room);
		if (n == 0) {
			/* It fitted after all (or is a fragment): one frame. */
			out[0] = m;
			n = 1;
		} else if (n < 0) {
			return n == -ENOMEM ? DROP(m, c, no_buffers) : DROP(m, c, bad_offload);
		} else {
			/* The segments hold their own references to it. */
			rte_pktmbuf_free(m);
		}
	} else {
		if (segment_tcp6(m, p, mss, nseg, pool, out) != 0)
			return DROP(m, c, no_buffers);
		n = (int)nseg;
	}
	vfwd_ctr_add(&c->tso_software_pkts, 1);

	/* Every frame's IP header changed (lengths, IDs), so its checksums
	 * are redone: by the device where it can, here otherwise. */
	for (i = 0; i < (unsigned int)n; i++) {
		struct rte_mbuf *s = out[i];
		struct pkt sp = *p;
		uint64_t fl = family_flag(p);

		if (!(dev->ofl & VFWD_DEV_OFL_TX_MULTI_SEGS) && s->nb_segs > 1 &&
		    rte_pktmbuf_linearize(s) != 0) {
			DROP(s, c, no_buffers);
			continue;
		}
		sp.l4_len = rte_pktmbuf_pkt_len(s) - p->l2 - p->l3;
		if (p->v4) {
			if (dev->ofl & VFWD_DEV_OFL_TX_IPV4_CSUM)
				fl |= RTE_MBUF_F_TX_IP_CKSUM;
			else
				ipv4_csum_in_software(s, &sp);
		}
		if ((dev->ofl & VFWD_DEV_OFL_TX_TCP_CSUM) && !p->v6_ext)
			fl |= RTE_MBUF_F_TX_TCP_CKSUM;
		else
			csum_in_software(s, &sp, c);
		s->ol_flags = fl;
		out[k++] = s;
	}
	return k;
}

/* ------------------------------------------------------------------ */
/* Guest to device                                                     */
/* ------------------------------------------------------------------ */

/* Does frame 'm' fit the device (vfwd_ofl_max_frame())? */
static inline bool
frame_fits(const struct rte_mbuf *m, const struct vfwd_ofl_dev *dev)
{
	return rte_pktmbuf_pkt_len(m) <= vfwd_ofl_max_frame(dev);
}

unsigned int
vfwd_ofl_to_device(struct rte_mbuf *m, const struct vfwd_ofl_dev *dev,
		   struct rte_mempool *pool, struct rte_mbuf **out,
		   unsigned int room, struct vfwd_dir_counters *c)
{
	uint64_t rx = m->ol_flags;
	bool gso = (rx & RTE_MBUF_F_RX_LRO) && m->tso_segsz != 0;
	bool partial = (rx & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_NONE;
	struct pkt p;

	if (!gso && !partial) {
		/* Nothing asked of us: only its size may be wrong. */
		if (!frame_fits(m, dev))
			return DROP(m, c, too_big);
		m->ol_flags = 0;
		out[0] = m;
		return 1;
	}
	if (!parse(m, &p) || truncated(m, &p))
		return DROP(m, c, bad_offload);

	if (gso) {
		uint32_t hdr = (uint32_t)p.l2 + p.l3 + p.l4;
		uint16_t mss = m->tso_segsz;
		uint32_t need = p.v4 ? VFWD_DEV_OFL_TX_TSO4 : VFWD_DEV_OFL_TX_TSO6;

		if (p.proto != IPPROTO_TCP)
			return DROP(m, c, bad_offload);
		if (rte_pktmbuf_pkt_len(m) > hdr + mss) {
			uint32_t max = (uint32_t)dev->mtu + p.l2;

			/* The frames it becomes must fit the device. */
			if (hdr + mss > max)
				return DROP(m, c, too_big);
			if (dev->ofl & VFWD_DEV_OFL_TSO_L2_IN_MTU)
				max = dev->mtu;
			if ((dev->ofl & need) && !p.v6_ext && hdr + mss <= max) {
				m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | family_flag(&p) |
					(p.v4 ? RTE_MBUF_F_TX_IP_CKSUM : 0);
				vfwd_ctr_add(&c->tso_device_pkts, 1);
				out[0] = m;
				return 1;
			}
			return segment(m, &p, mss, dev, pool, out, room, c);
		}
		/* No larger than one segment: a single frame after all. */
	}
	if (!frame_fits(m, dev))
		return DROP(m, c, too_big);
	/* One frame whose checksum the guest left to us. */
	if ((dev->ofl & (p.proto == IPPROTO_TCP ? VFWD_DEV_OFL_TX_TCP_CSUM
						: VFWD_DEV_OFL_TX_UDP_CSUM)) && !p.v6_ext) {
		m->ol_flags = family_flag(&p) | l4_csum_flag(&p);
	} else {
		csum_in_software(m, &p, c);
		m->ol_flags = 0;
	}
	out[0] = m;
	return 1;
}

/* ------------------------------------------------------------------ */
/* Device to guest                                                     */
/* ------------------------------------------------------------------ */

/* What the guest negotiated, as the offload work needs it. */
struct guest {
	bool csum;       /* GUEST_CSUM: takes NEEDS_CSUM */
	bool tso4, tso6; /* GUEST_TSO4/6 (with GUEST_CSUM): takes GSO packets */
	bool gro;        /* coalesce TCP/IPv4 for it */
};

/* What the relay knows of a received packet's checksum. */
enum verdict {
	V_UNKNOWN,       /* the guest checks it */
	V_GOOD,          /* the device checked it */
	V_PARTIAL,       /* the sender left it to the "hardware" */
};

/*
 * Marks 'm' for the guest: a checksum the relay trusts (good or partial)
 * as NEEDS_CSUM, which the guest does not check; a partial one is
 * finished here for a guest without GUEST_CSUM.  A packet taken for
 * partial that was in fact complete (once in 65536) has a pseudo-header
 * sum for its checksum: as NEEDS_CSUM the guest takes it as it is, and
 * finished here it comes out as the same complete checksum.
 */
static void
to_guest_csum(struct rte_mbuf *m, const struct pkt *p, enum verdict v,
	      const struct guest *g, struct vfwd_dir_counters *c)
{
	m->ol_flags = 0;
	if (v == V_UNKNOWN)
		return;
	/* The vhost library writes the pseudo-header sum from the IPv6
	 * header alone, wrong with extension headers: those get a full one. */
	if (g->csum && !p->v6_ext)
		m->ol_flags = family_flag(p) | l4_csum_flag(p);
	else if (v == V_PARTIAL)
		csum_in_software(m, p, c);
}

/*
 * What the relay knows of the checksum of 'm' (parsed into 'p') from a
 * device that gives verdicts ('verdicts') or not, and may hand over
 * partial checksums ('partials') or not.
 */
static enum verdict
checksum_verdict(struct rte_mbuf *m, struct pkt *p, bool verdicts, bool partials)
{
	uint64_t l4 = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (verdicts) {
		/* Some drivers (igbvf) say GOOD of every packet without an
		 * error, TCP/UDP or not: we ask only of TCP and UDP. */
		if ((m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) == RTE_MBUF_F_RX_IP_CKSUM_BAD)
			return V_UNKNOWN;
		if (l4 == RTE_MBUF_F_RX_L4_CKSUM_GOOD)
			return V_GOOD;
		if (l4 == RTE_MBUF_F_RX_L4_CKSUM_NONE)
			return V_PARTIAL;
		return V_UNKNOWN;
	}
	return partials && is_partial(m, p) ? V_PARTIAL : V_UNKNOWN;
}

/* Can 'm' be coalesced?  A TCP/IPv4 segment with data, a checksum the
 * relay trusts and no flag but ACK (DPDK's GRO merges nothing else, and
 * passing a PSH segment behind the later ones of its flow would reorder
 * it); records its payload length in tso_segsz for mark_coalesced(). */
static inline bool
gro_candidate(struct rte_mbuf *m, const struct pkt *p, enum verdict v)
{
	const struct rte_tcp_hdr *th;
	uint32_t payload;

	if (!p->v4 || p->proto != IPPROTO_TCP || v == V_UNKNOWN ||
	    (m->ol_flags & RTE_MBUF_F_RX_LRO))
		return false;
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, p->l2 + p->l3);
	payload = p->l4_len - p->l4;
	if (th->tcp_flags != RTE_TCP_ACK_FLAG || payload == 0 || truncated(m, p))
		return false;
	m->tso_segsz = (uint16_t)payload;
	return true;
}

/*
 * Coalesces the run of candidates in run[0..n) and stores the result in
 * out[]; returns how many.  A merged packet goes to the guest as one GSO
 * packet: its IPv4 length changed (the vhost library redoes the header
 * checksum for TX_IP_CKSUM) and its TCP checksum is left to the guest
 * (NEEDS_CSUM), which the merged segments' trusted checksums allow.
 */
static unsigned int
gro_flush(struct rte_mbuf **run, unsigned int n, struct rte_mbuf **out,
	  struct vfwd_dir_counters *c)
{
	const struct rte_gro_param param = {
		.gro_types = RTE_GRO_TCP_IPV4,
		.max_flow_num = VFWD_BURST,
		.max_item_per_flow = VFWD_BURST,
	};
	unsigned int k, i;

	if (n == 0)
		return 0;
	k = n > 1 ? rte_gro_reassemble_burst(run, (uint16_t)n, &param) : n;
	for (i = 0; i < k; i++) {
		struct rte_mbuf *m = run[i];
		uint64_t fl = RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;

		if (rte_pktmbuf_pkt_len(m) > (uint32_t)m->l2_len + m->l3_len +
		    m->l4_len + m->tso_segsz)
			fl |= RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM;
		m->ol_flags = fl;
		out[i] = m;
	}
	if (k < n)
		vfwd_ctr_add(&c->coalesced_pkts, n - k);
	return k;
}

/*
 * One packet for the guest, not coalesced here: out[0], or the frames a
 * large packet (LRO) is cut into for a guest that takes no GSO packet.
 */
static unsigned int
to_guest_one(struct rte_mbuf *m, struct pkt *p, bool parsed, enum verdict v,
	     const struct vfwd_ofl_dev *dev, const struct guest *g,
	     struct rte_mempool *pool, struct rte_mbuf **out, unsigned int room,
	     struct vfwd_dir_counters *c)
{
	if (parsed && (m->ol_flags & RTE_MBUF_F_RX_LRO) && p->proto == IPPROTO_TCP) {
		uint32_t hdr = (uint32_t)p->l2 + p->l3 + p->l4;
		uint16_t mss = m->tso_segsz;

		/* Drivers need not say the MSS of what they coalesced: the
		 * largest that fits the MTU is what the wire carried. */
		if (mss == 0)
			mss = (uint16_t)(dev->mtu - p->l3 - p->l4);
		if (rte_pktmbuf_pkt_len(m) > hdr + mss) {
			if (p->v4 ? g->tso4 : g->tso6) {
				m->ol_flags = RTE_MBUF_F_TX_TCP_SEG | family_flag(p) |
					(p->v4 ? RTE_MBUF_F_TX_IP_CKSUM : 0);
				m->tso_segsz = mss;
				vfwd_ctr_add(&c->tso_device_pkts, 1);
				out[0] = m;
				return 1;
			} else {
				/* Checksummed as for a device without offloads,
				 * then marked as any trusted packet. */
				const struct vfwd_ofl_dev none = {
					.ofl = VFWD_DEV_OFL_TX_MULTI_SEGS, .mtu = dev->mtu,
				};
				unsigned int i, n = segment(m, p, mss, &none, pool, out,
							    room, c);

				for (i = 0; i < n; i++)
					out[i]->ol_flags = 0;
				return n;
			}
		}
	}
	if (parsed)
		to_guest_csum(m, p, v, g, c);
	else
		m->ol_flags = 0;
	out[0] = m;
	return 1;
}

unsigned int
vfwd_ofl_to_guest(struct rte_mbuf **pkts, unsigned int n,
		  const struct vfwd_ofl_dev *dev, uint64_t features, bool gro,
		  struct rte_mempool *pool, struct rte_mbuf **out,
		  unsigned int room, unsigned int *used,
		  struct vfwd_dir_counters *c)
{
	const bool verdicts = dev->ofl & VFWD_DEV_OFL_RX_CSUM;
	/* Only a kernel interface hands over partial checksums. */
	const bool partials = dev->ofl & VFWD_DEV_OFL_RX_PARTIAL;
	struct guest g = { .csum = (features >> VIRTIO_NET_F_GUEST_CSUM) & 1 };
	struct rte_mbuf *run[VFWD_BURST];
	unsigned int i, k = 0, nrun = 0;

	g.tso4 = g.csum && ((features >> VIRTIO_NET_F_GUEST_TSO4) & 1);
	g.tso6 = g.csum && ((features >> VIRTIO_NET_F_GUEST_TSO6) & 1);
	g.gro = gro && g.tso4;
	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		enum verdict v = V_UNKNOWN;
		bool parsed;
		struct pkt p;

		/* Room for what is held back and for a packet cut in pieces. */
		if (room - k < nrun + VFWD_OFL_SEGS_MAX || nrun == VFWD_BURST)
			break;
		parsed = parse(m, &p);
		if (parsed) {
			if (truncated(m, &p)) {
				DROP(m, c, truncated);
				continue;
			}
			v = checksum_verdict(m, &p, verdicts, partials);
			if (g.gro && gro_candidate(m, &p, v)) {
				run[nrun++] = m;
				continue;
			}
		}
		/* Anything else of a flow must not pass what is held back. */
		k += gro_flush(run, nrun, out + k, c);
		nrun = 0;
		k += to_guest_one(m, &p, parsed, v, dev, &g, pool, out + k, room - k, c);
	}
	k += gro_flush(run, nrun, out + k, c);
	*used = i;
	return k;
}
