/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow hash for spreading VF-to-VM traffic over the guest's RX queues.
 *
 * A flow (addresses, protocol and ports) must always land on the same
 * queue, or the guest sees reordering; different flows should spread
 * evenly.  When the device computed an RSS hash we use that; otherwise this
 * software hash over the 5-tuple.  It reads only the frame bytes, so it is
 * header-only and free of DPDK, and the unit tests exercise it directly.
 */
#ifndef VFWD_FLOWHASH_H
#define VFWD_FLOWHASH_H

#include <stdint.h>
#include <string.h>

/* Mixes 'v' into 'h' (the murmur3 32-bit block step). */
static inline uint32_t
vfwd_hash_mix(uint32_t h, uint32_t v)
{
	v *= 0xcc9e2d51u;
	v = (v << 15) | (v >> 17);
	v *= 0x1b873593u;
	h ^= v;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

/* Final avalanche, so that low and high bits both depend on every input. */
static inline uint32_t
vfwd_hash_final(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

static inline uint32_t
vfwd_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Hashes the 5-tuple of an Ethernet frame (up to two VLAN tags, IPv4 or
 * IPv6, ports of TCP, UDP and SCTP).  Fragments after the first and other
 * protocols hash on addresses only, so all pieces of a flow stay together;
 * non-IP frames hash on the MAC addresses.
 */
static inline uint32_t
vfwd_flow_hash(const uint8_t *f, uint32_t len)
{
	uint32_t off = 12, h = 0x9747b28cu, l4 = 0;
	uint16_t type;
	uint8_t proto;

	if (len < 14)
		return 0;
	type = (uint16_t)(f[12] << 8 | f[13]);
	while ((type == 0x8100 || type == 0x88a8) && off + 6 <= len) {
		off += 4;
		type = (uint16_t)(f[off] << 8 | f[off + 1]);
	}
	off += 2;
	if (type == 0x0800 && off + 20 <= len) {
		const uint8_t *ip = f + off;
		uint32_t ihl = (uint32_t)(ip[0] & 0xf) * 4;
		uint16_t frag = (uint16_t)((ip[6] & 0x1f) << 8 | ip[7]);

		proto = ip[9];
		h = vfwd_hash_mix(h, vfwd_load32(ip + 12));
		h = vfwd_hash_mix(h, vfwd_load32(ip + 16));
		/* Every fragment of a datagram must hash alike: ports only
		 * when the datagram is not fragmented at all. */
		if (frag == 0 && !(ip[6] & 0x20) && ihl >= 20)
			l4 = off + ihl;
	} else if (type == 0x86dd && off + 40 <= len) {
		const uint8_t *ip = f + off;
		int i;

		proto = ip[6];
		for (i = 8; i < 40; i += 4)
			h = vfwd_hash_mix(h, vfwd_load32(ip + i));
		/* Extension headers: take ports only from a plain L4 header. */
		l4 = off + 40;
	} else {
		h = vfwd_hash_mix(h, vfwd_load32(f));
		h = vfwd_hash_mix(h, vfwd_load32(f + 4));
		h = vfwd_hash_mix(h, vfwd_load32(f + 8));
		return vfwd_hash_final(h);
	}
	h = vfwd_hash_mix(h, proto);
	if (l4 != 0 && l4 + 4 <= len &&
	    (proto == 6 || proto == 17 || proto == 132))
		h = vfwd_hash_mix(h, vfwd_load32(f + l4));
	return vfwd_hash_final(h);
}

/*
 * Maps a 32-bit hash onto 0..n-1 with a multiply and a shift: no division
 * on the packet path, and as even as the hash.
 */
static inline uint32_t
vfwd_hash_to_queue(uint32_t h, uint32_t n)
{
	return (uint32_t)(((uint64_t)h * n) >> 32);
}

#endif /* VFWD_FLOWHASH_H */
