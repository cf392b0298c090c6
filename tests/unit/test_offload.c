/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the offload path (src/offload.c) on real DPDK packet
 * buffers: what a guest's offloaded packets become for devices with and
 * without the offloads, and what a device's packets become for guests with
 * and without them.  Every checksum is checked with a plain one's
 * complement sum written here, not with the code under test.
 *
 * EAL runs in memory, without hugepages or devices (root is not needed
 * for that, but EAL wants a writable /var/run or $XDG_RUNTIME_DIR).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/virtio_net.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "offload.h"

static struct rte_mempool *pool;
static struct vfwd_dir_counters ctr;

/* ------------------------------------------------------------------ */
/* Packets                                                             */
/* ------------------------------------------------------------------ */

/* How test packets are built. */
struct spec {
	bool v6;
	bool udp;
	uint32_t payload;
	uint32_t seq;
	uint8_t flags;            /* TCP flags */
	bool partial;             /* checksum field: pseudo-header sum only */
	bool bad;                 /* a complete checksum, off by one */
	uint16_t src_port;
};

/* The one's complement sum of 'len' bytes, added to 'sum'. */
static uint32_t
sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)(p[len - 1] << 8);
	return sum;
}

static uint16_t
fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The pseudo-header sum of a frame's L3 header 'l3' for 'l4_len' bytes. */
static uint32_t
pseudo(const uint8_t *l3, bool v6, uint8_t proto, uint32_t l4_len)
{
	uint32_t sum = v6 ? sum16(l3 + 8, 32, 0) : sum16(l3 + 12, 8, 0);

	return sum + proto + (l4_len >> 16) + (l4_len & 0xffff);
}

/* The frame's bytes, copied out of its (possibly chained) buffer. */
static uint32_t
flatten(const struct rte_mbuf *m, uint8_t *out, size_t size)
{
	uint32_t len = rte_pktmbuf_pkt_len(m);

	assert_true(len <= size);
	assert_non_null(rte_pktmbuf_read(m, 0, len, out));
	if (rte_pktmbuf_read(m, 0, len, out) != out)
		memcpy(out, rte_pktmbuf_read(m, 0, len, out), len);
	return len;
}

/* Checks that frame 'f' (len bytes) has valid IPv4 and TCP/UDP checksums;
 * returns its L4 payload length. */
static uint32_t
check_frame(const uint8_t *f, uint32_t len, bool v6, bool udp)
{
	const uint8_t *l3 = f + RTE_ETHER_HDR_LEN;
	uint32_t l3_len = v6 ? 40 : (uint32_t)(l3[0] & 0xf) * 4, l4_len;
	const uint8_t *l4 = l3 + l3_len;

	if (v6) {
		l4_len = (uint32_t)(l3[4] << 8 | l3[5]);
	} else {
		assert_int_equal(fold(sum16(l3, l3_len, 0)), 0xffff);
		l4_len = (uint32_t)(l3[2] << 8 | l3[3]) - l3_len;
	}
	assert_int_equal(RTE_ETHER_HDR_LEN + l3_len + l4_len, len);
	assert_int_equal(fold(sum16(l4, l4_len, pseudo(l3, v6, udp ? 17 : 6, l4_len))),
			 0xffff);
	return l4_len - (udp ? 8 : (uint32_t)(l4[12] >> 4) * 4);
}

/* Writes the frame of 's' into 'f' (payload bytes count up from 0);
 * returns its length. */
static uint32_t
frame(const struct spec *s, uint8_t *f)
{
	uint32_t l3_len = s->v6 ? 40 : 20, l4_hdr = s->udp ? 8 : 20;
	uint32_t l4_len = l4_hdr + s->payload, i;
	uint8_t *l3, *l4;
	uint16_t c;

	memset(f, 0, RTE_ETHER_HDR_LEN + l3_len + l4_hdr);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	f[12] = s->v6 ? 0x86 : 0x08;
	f[13] = s->v6 ? 0xdd : 0x00;
	l3 = f + RTE_ETHER_HDR_LEN;
	if (s->v6) {
		l3[0] = 0x60;
		l3[4] = (uint8_t)(l4_len >> 8);
		l3[5] = (uint8_t)l4_len;
		l3[6] = s->udp ? 17 : 6;
		l3[7] = 64;
		l3[8] = 0xfd;
		l3[23] = 1;
		l3[24] = 0xfd;
		l3[39] = 2;
	} else {
		l3[0] = 0x45;
		l3[2] = (uint8_t)((l3_len + l4_len) >> 8);
		l3[3] = (uint8_t)(l3_len + l4_len);
		l3[4] = 0x12;
		l3[6] = 0x40;     /* DF */
		l3[8] = 64;
		l3[9] = s->udp ? 17 : 6;
		memcpy(l3 + 12, "\x0a\x4d\x00\x01\x0a\x4d\x00\x02", 8);
		c = (uint16_t)~fold(sum16(l3, 20, 0));
		l3[10] = (uint8_t)(c >> 8);
		l3[11] = (uint8_t)c;
	}
	l4 = l3 + l3_len;
	l4[0] = (uint8_t)((s->src_port ? s->src_port : 40000) >> 8);
	l4[1] = (uint8_t)(s->src_port ? s->src_port : 40000);
	l4[2] = 0x14;
	l4[3] = 0x51;
	if (s->udp) {
		l4[4] = (uint8_t)(l4_len >> 8);
		l4[5] = (uint8_t)l4_len;
	} else {
		l4[4] = (uint8_t)(s->seq >> 24);
		l4[5] = (uint8_t)(s->seq >> 16);
		l4[6] = (uint8_t)(s->seq >> 8);
		l4[7] = (uint8_t)s->seq;
		l4[11] = 1;                            /* ack */
		l4[12] = 0x50;
		l4[13] = s->flags ? s->flags : RTE_TCP_ACK_FLAG;
		l4[14] = 0xff;
	}
	for (i = 0; i < s->payload; i++)
		l4[l4_hdr + i] = (uint8_t)i;
	if (s->partial)
		c = fold(pseudo(l3, s->v6, s->udp ? 17 : 6, l4_len));
	else
		c = (uint16_t)(~fold(sum16(l4, l4_len, pseudo(l3, s->v6, s->udp ? 17 : 6,
							   l4_len))) + (s->bad ? 1 : 0));
	l4[s->udp ? 6 : 16] = (uint8_t)(c >> 8);
	l4[s->udp ? 7 : 17] = (uint8_t)c;
	return RTE_ETHER_HDR_LEN + l3_len + l4_len;
}

/* The frame of 's' in buffers of 2 KiB, chained as vhost dequeue and
 * scattered receive chain a long packet. */
static struct rte_mbuf *
build(const struct spec *s)
{
	static uint8_t f[70000];
	uint32_t len = frame(s, f), off = 0;
	struct rte_mbuf *head = NULL;

	while (off < len) {
		uint32_t n = RTE_MIN(len - off, 2048u);
		struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
		char *d;

		assert_non_null(m);
		d = rte_pktmbuf_append(m, (uint16_t)n);
		assert_non_null(d);
		memcpy(d, f + off, n);
		if (head == NULL)
			head = m;
		else
			assert_int_equal(rte_pktmbuf_chain(head, m), 0);
		off += n;
	}
	return head;
}

/* A guest's packet as vhost dequeue hands it over, with the RX flags of
 * its virtio-net header (a GSO type when 'gso_size'). */
static struct rte_mbuf *
from_guest(const struct spec *s, uint16_t gso_size)
{
	struct rte_mbuf *m = build(s);

	if (s->partial)
		m->ol_flags |= RTE_MBUF_F_RX_L4_CKSUM_NONE;
	if (gso_size) {
		m->ol_flags |= RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_NONE;
		m->tso_segsz = gso_size;
	}
	return m;
}

static uint8_t buf[70000];

/* ------------------------------------------------------------------ */
/* Guest to device                                                     */
/* ------------------------------------------------------------------ */

/* A device that does nothing itself, in front of a kernel interface. */
static const struct vfwd_ofl_dev bare = {
	.ofl = VFWD_DEV_OFL_TX_MULTI_SEGS | VFWD_DEV_OFL_RX_PARTIAL, .mtu = 1500,
};
static const struct vfwd_ofl_dev full = {
	.ofl = VFWD_DEV_OFL_TX_MULTI_SEGS | VFWD_DEV_OFL_TX_IPV4_CSUM |
		VFWD_DEV_OFL_TX_TCP_CSUM | VFWD_DEV_OFL_TX_UDP_CSUM |
		VFWD_DEV_OFL_TX_TSO4 | VFWD_DEV_OFL_TX_TSO6 | VFWD_DEV_OFL_RX_CSUM,
	.mtu = 1500,
};

/* Segments a guest's large TCP packet in software: every frame fits the
 * MTU, has valid checksums and the right sequence number, only the last
 * has PSH, and the payloads add up to the original. */
static void
segment_in_software(bool v6, const struct vfwd_ofl_dev *dev)
{
	const struct spec s = { .v6 = v6, .payload = 20000, .seq = 1000, .partial = true,
				.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG };
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	uint32_t total = 0, hdr = RTE_ETHER_HDR_LEN + (v6 ? 40 : 20) + 20;
	/* The largest MSS at MTU 1500 (no TCP options here). */
	uint16_t mss = v6 ? 1440 : 1460;
	unsigned int n, i, j;

	memset(&ctr, 0, sizeof(ctr));
	n = vfwd_ofl_to_device(from_guest(&s, mss), dev, pool, out, VFWD_OFL_STAGE, &ctr);
	assert_int_equal(n, (20000 + mss - 1) / mss);
	assert_int_equal(ctr.tso_software_pkts, 1);
	for (i = 0; i < n; i++) {
		uint32_t len, payload, seq;
		const uint8_t *l4 = buf + hdr - 20;

		/* A device that does checksums gets them to do: do them here
		 * as it would, to check the rest. */
		if (out[i]->ol_flags & (RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_IP_CKSUM)) {
			assert_int_not_equal(dev->ofl & VFWD_DEV_OFL_TX_TCP_CSUM, 0);
			rte_pktmbuf_free(out[i]);
			continue;
		}
		len = flatten(out[i], buf, sizeof(buf));
		assert_true(len <= 1514);
		payload = check_frame(buf, len, v6, false);
		assert_int_equal(payload, i + 1 < n ? mss : 20000 - mss * (n - 1));
		seq = (uint32_t)l4[4] << 24 | l4[5] << 16 | l4[6] << 8 | l4[7];
		assert_int_equal(seq, 1000 + total);
		assert_int_equal(!!(l4[13] & RTE_TCP_PSH_FLAG), i + 1 == n);
		for (j = 0; j < payload; j++)
			assert_int_equal(buf[hdr + j], (uint8_t)(total + j));
		total += payload;
		rte_pktmbuf_free(out[i]);
	}
	if (!(dev->ofl & VFWD_DEV_OFL_TX_TCP_CSUM))
		assert_int_equal(total, 20000);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

static void
test_tso4_software(void **state)
{
	(void)state;
	segment_in_software(false, &bare);
}

static void
test_tso6_software(void **state)
{
	(void)state;
	segment_in_software(true, &bare);
}

/* A device with TCP checksums but no TSO: cut here, summed there. */
static void
test_tso4_software_device_checksums(void **state)
{
	struct vfwd_ofl_dev d = full;

	(void)state;
	d.ofl &= ~(VFWD_DEV_OFL_TX_TSO4 | VFWD_DEV_OFL_TX_TSO6);
	segment_in_software(false, &d);
}

/* A device with TSO gets the packet whole, marked for it. */
static void
test_tso_device(void **state)
{
	const struct spec s = { .payload = 20000, .partial = true };
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	unsigned int n;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	n = vfwd_ofl_to_device(from_guest(&s, 1448), &full, pool, out, VFWD_OFL_STAGE, &ctr);
	assert_int_equal(n, 1);
	assert_int_equal(out[0]->ol_flags, RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 |
			 RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(out[0]->tso_segsz, 1448);
	assert_int_equal(out[0]->l2_len, 14);
	assert_int_equal(out[0]->l3_len, 20);
	assert_int_equal(out[0]->l4_len, 20);
	assert_int_equal(ctr.tso_device_pkts, 1);
	rte_pktmbuf_free(out[0]);
}

/* The tap driver of DPDK 22.11 takes no segment whose frame exceeds its
 * MTU: such a guest's packets are cut here, smaller ones left to it. */
static void
test_tso_device_l2_in_mtu(void **state)
{
	struct vfwd_ofl_dev tap = full;
	const struct spec s = { .payload = 5000, .partial = true };
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	unsigned int n;

	(void)state;
	tap.ofl |= VFWD_DEV_OFL_TSO_L2_IN_MTU;
	memset(&ctr, 0, sizeof(ctr));
	n = vfwd_ofl_to_device(from_guest(&s, 1460), &tap, pool, out, VFWD_OFL_STAGE, &ctr);
	assert_int_equal(n, 4);
	assert_int_equal(ctr.tso_software_pkts, 1);
	rte_pktmbuf_free_bulk(out, n);
	n = vfwd_ofl_to_device(from_guest(&s, 1446), &tap, pool, out, VFWD_OFL_STAGE, &ctr);
	assert_int_equal(n, 1);
	assert_int_equal(ctr.tso_device_pkts, 1);
	rte_pktmbuf_free(out[0]);
}

/* A partial checksum: finished here for a device without the offload,
 * left to one with it. */
static void
test_partial_checksum_to_device(void **state)
{
	const struct spec tcp = { .payload = 100, .partial = true };
	const struct spec udp = { .v6 = true, .udp = true, .payload = 301, .partial = true };
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	uint32_t len;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	assert_int_equal(vfwd_ofl_to_device(from_guest(&tcp, 0), &bare, pool, out,
					    VFWD_OFL_STAGE, &ctr), 1);
	assert_int_equal(out[0]->ol_flags, 0);
	len = flatten(out[0], buf, sizeof(buf));
	assert_int_equal(check_frame(buf, len, false, false), 100);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(vfwd_ofl_to_device(from_guest(&udp, 0), &bare, pool, out,
					    VFWD_OFL_STAGE, &ctr), 1);
	len = flatten(out[0], buf, sizeof(buf));
	assert_int_equal(check_frame(buf, len, true, true), 301);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(ctr.csum_software_pkts, 2);

	assert_int_equal(vfwd_ofl_to_device(from_guest(&tcp, 0), &full, pool, out,
					    VFWD_OFL_STAGE, &ctr), 1);
	assert_int_equal(out[0]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(out[0]->l2_len + out[0]->l3_len, 34);
	rte_pktmbuf_free(out[0]);
	assert_int_equal(ctr.csum_software_pkts, 2);
}

/* What cannot leave is dropped and counted by its reason. */
static void
test_drops_to_device(void **state)
{
	const struct spec big = { .payload = 1500 - 20 - 20 + 5 };
	const struct spec fits = { .payload = 1500 - 20 - 20 + 4 };
	const struct spec udp = { .udp = true, .payload = 4000, .partial = true };
	const struct spec tcp = { .payload = 4000, .partial = true };
	struct rte_mbuf *out[VFWD_OFL_STAGE];

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	/* Frames: MTU, Ethernet header and a VLAN tag's room. */
	assert_int_equal(vfwd_ofl_to_device(from_guest(&big, 0), &full, pool, out,
					    VFWD_OFL_STAGE, &ctr), 0);
	assert_int_equal(ctr.drop_too_big_pkts, 1);
	assert_int_equal(ctr.drop_too_big_bytes, 1519);
	assert_int_equal(vfwd_ofl_to_device(from_guest(&fits, 0), &full, pool, out,
					    VFWD_OFL_STAGE, &ctr), 1);
	rte_pktmbuf_free(out[0]);
	/* Segments larger than the device takes. */
	assert_int_equal(vfwd_ofl_to_device(from_guest(&tcp, 1800), &full, pool, out,
					    VFWD_OFL_STAGE, &ctr), 0);
	assert_int_equal(ctr.drop_too_big_pkts, 2);
	/* UDP segmentation is not offered. */
	assert_int_equal(vfwd_ofl_to_device(from_guest(&udp, 1000), &full, pool, out,
					    VFWD_OFL_STAGE, &ctr), 0);
	assert_int_equal(ctr.drop_bad_offload_pkts, 1);
	/* More segments than a packet may make. */
	assert_int_equal(vfwd_ofl_to_device(from_guest(&tcp, 16), &bare, pool, out,
					    VFWD_OFL_STAGE, &ctr), 0);
	assert_int_equal(ctr.drop_bad_offload_pkts, 2);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* ------------------------------------------------------------------ */
/* Device to guest                                                     */
/* ------------------------------------------------------------------ */

#define CSUM (1ULL << VIRTIO_NET_F_GUEST_CSUM)
#define TSO4 (1ULL << VIRTIO_NET_F_GUEST_TSO4)

static unsigned int
to_guest(struct rte_mbuf **pkts, unsigned int n, const struct vfwd_ofl_dev *dev,
	 uint64_t features, bool gro, struct rte_mbuf **out)
{
	unsigned int used, k;

	k = vfwd_ofl_to_guest(pkts, n, dev, features, gro, pool, out, VFWD_OFL_STAGE,
			      &used, &ctr);
	assert_int_equal(used, n);
	return k;
}

/* From a device without verdicts (a kernel interface): a partial checksum
 * is recognised, and a complete one left alone. */
static void
test_partial_checksum_to_guest(void **state)
{
	const struct spec partial = { .payload = 500, .partial = true };
	const struct spec complete = { .payload = 500 };
	struct rte_mbuf *in[2], *out[VFWD_OFL_STAGE];
	uint32_t len;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	in[0] = build(&partial);
	in[1] = build(&complete);
	assert_int_equal(to_guest(in, 2, &bare, CSUM, false, out), 2);
	assert_int_equal(out[0]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(out[0]->l2_len + out[0]->l3_len, 34);
	assert_int_equal(out[1]->ol_flags, 0);
	rte_pktmbuf_free_bulk(out, 2);

	/* A guest without GUEST_CSUM gets it finished. */
	in[0] = build(&partial);
	assert_int_equal(to_guest(in, 1, &bare, 0, false, out), 1);
	assert_int_equal(out[0]->ol_flags, 0);
	len = flatten(out[0], buf, sizeof(buf));
	assert_int_equal(check_frame(buf, len, false, false), 500);
	assert_int_equal(ctr.csum_software_pkts, 1);
	rte_pktmbuf_free(out[0]);
}

/* A device's verdicts: good ones reach a guest with GUEST_CSUM as
 * NEEDS_CSUM, bad ones untouched. */
static void
test_verdicts_to_guest(void **state)
{
	const struct spec good = { .payload = 500 };
	const struct spec bad = { .payload = 500, .bad = true };
	struct rte_mbuf *in[2], *out[VFWD_OFL_STAGE];

	(void)state;
	in[0] = build(&good);
	in[0]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_GOOD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	in[1] = build(&bad);
	in[1]->ol_flags = RTE_MBUF_F_RX_L4_CKSUM_BAD | RTE_MBUF_F_RX_IP_CKSUM_GOOD;
	assert_int_equal(to_guest(in, 2, &full, CSUM, false, out), 2);
	assert_int_equal(out[0]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(out[1]->ol_flags, 0);
	rte_pktmbuf_free_bulk(out, 2);
}

/* Segments of a flow are coalesced into one GSO packet; a PSH segment
 * ends a run without passing it, and other flows keep their order. */
static void
test_gro(void **state)
{
	struct rte_mbuf *in[12], *out[VFWD_OFL_STAGE];
	unsigned int i, n;
	uint32_t len;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	for (i = 0; i < 12; i++) {
		struct spec s = { .payload = 1448, .seq = 1448 * i, .partial = true };

		if (i == 5)
			s.flags = RTE_TCP_ACK_FLAG | RTE_TCP_PSH_FLAG;
		in[i] = build(&s);
	}
	n = to_guest(in, 12, &bare, CSUM | TSO4, true, out);
	/* 0-4 merged, 5 alone (PSH), 6-11 merged. */
	assert_int_equal(n, 3);
	assert_int_equal(ctr.coalesced_pkts, 9);
	assert_int_equal(rte_pktmbuf_pkt_len(out[0]), 54 + 5 * 1448);
	assert_int_equal(out[0]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM |
			 RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IP_CKSUM);
	assert_int_equal(out[0]->tso_segsz, 1448);
	assert_int_equal(rte_pktmbuf_pkt_len(out[1]), 54 + 1448);
	assert_int_equal(out[1]->ol_flags, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM);
	assert_int_equal(rte_pktmbuf_pkt_len(out[2]), 54 + 6 * 1448);
	/* The merged payload is the segments' in order. */
	len = flatten(out[2], buf, sizeof(buf));
	for (i = 0; i < 6 * 1448; i++)
		assert_int_equal(buf[54 + i], (uint8_t)(i % 1448));
	(void)len;
	rte_pktmbuf_free_bulk(out, n);

	/* Without GUEST_TSO4, or with GRO off, nothing is merged. */
	for (i = 0; i < 4; i++) {
		struct spec s = { .payload = 1448, .seq = 1448 * i, .partial = true };

		in[i] = build(&s);
	}
	assert_int_equal(to_guest(in, 4, &bare, CSUM, true, out), 4);
	rte_pktmbuf_free_bulk(out, 4);
	for (i = 0; i < 4; i++) {
		struct spec s = { .payload = 1448, .seq = 1448 * i, .partial = true };

		in[i] = build(&s);
	}
	assert_int_equal(to_guest(in, 4, &bare, CSUM | TSO4, false, out), 4);
	rte_pktmbuf_free_bulk(out, 4);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

/* A frame shorter than its IP header says is dropped as truncated. */
static void
test_truncated(void **state)
{
	const struct spec s = { .payload = 1000 };
	struct rte_mbuf *in[1], *out[VFWD_OFL_STAGE];

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	in[0] = build(&s);
	rte_pktmbuf_trim(in[0], 200);
	assert_int_equal(to_guest(in, 1, &bare, CSUM, true, out), 0);
	assert_int_equal(ctr.drop_truncated_pkts, 1);
	assert_int_equal(ctr.drop_truncated_bytes, 54 + 800);
}

/* What a device coalesced (LRO) goes to a guest with TSO whole, and is
 * cut for one without. */
static void
test_lro_to_guest(void **state)
{
	const struct spec s = { .payload = 8000, .seq = 7 };
	struct rte_mbuf *in[1], *out[VFWD_OFL_STAGE];
	struct vfwd_ofl_dev lro = full;
	unsigned int n, i;

	(void)state;
	memset(&ctr, 0, sizeof(ctr));
	lro.ofl |= VFWD_DEV_OFL_RX_LRO;
	in[0] = from_guest(&s, 0);
	in[0]->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	in[0]->tso_segsz = 1448;
	assert_int_equal(to_guest(in, 1, &lro, CSUM | TSO4, true, out), 1);
	assert_int_equal(out[0]->ol_flags & RTE_MBUF_F_TX_TCP_SEG, RTE_MBUF_F_TX_TCP_SEG);
	assert_int_equal(out[0]->tso_segsz, 1448);
	rte_pktmbuf_free(out[0]);

	in[0] = from_guest(&s, 0);
	in[0]->ol_flags = RTE_MBUF_F_RX_LRO | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	in[0]->tso_segsz = 0;        /* the driver did not say: fits the MTU */
	n = to_guest(in, 1, &lro, 0, true, out);
	assert_int_equal(n, (8000 + 1459) / 1460);
	for (i = 0; i < n; i++) {
		uint32_t len = flatten(out[i], buf, sizeof(buf));

		assert_true(len <= 1514);
		check_frame(buf, len, false, false);
	}
	rte_pktmbuf_free_bulk(out, n);
	assert_int_equal(rte_mempool_in_use_count(pool), 0);
}

int
main(void)
{
	char prefix[64], rundir[4096];
	char *eal[] = { "test_offload", "--no-huge", "-m", "64", "--no-pci",
			"--no-shconf", "--no-telemetry", "--log-level=lib.eal:error",
			prefix };
	int rc;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tso4_software),
		cmocka_unit_test(test_tso6_software),
		cmocka_unit_test(test_tso4_software_device_checksums),
		cmocka_unit_test(test_tso_device),
		cmocka_unit_test(test_tso_device_l2_in_mtu),
		cmocka_unit_test(test_partial_checksum_to_device),
		cmocka_unit_test(test_drops_to_device),
		cmocka_unit_test(test_partial_checksum_to_guest),
		cmocka_unit_test(test_verdicts_to_guest),
		cmocka_unit_test(test_gro),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_lro_to_guest),
	};

	snprintf(prefix, sizeof(prefix), "--file-prefix=test_offload%ld", (long)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), eal) < 0) {
		fprintf(stderr, "test_offload: EAL initialisation failed\n");
		return 1;
	}
	pool = rte_pktmbuf_pool_create("test_pool", 4095, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL || vfwd_ofl_init(4095, SOCKET_ID_ANY) != 0) {
		fprintf(stderr, "test_offload: no packet buffers\n");
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	/* EAL leaves its runtime directory behind. */
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(rundir);
	return rc;
}
