/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the DPDK-free parts of the data path: the flow hash that
 * spreads VF-to-VM traffic over guest queues, and worker placement.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "flowhash.h"
#include "placement.h"

/* Writes an Ethernet + IPv4 + UDP/TCP frame into 'f'; returns its length. */
static uint32_t
ipv4_frame(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto,
	   uint16_t sport, uint16_t dport, uint16_t frag, int vlan)
{
	uint32_t off = 12;

	memset(f, 0, 128);
	memcpy(f, "\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02", 12);
	if (vlan) {
		f[off++] = 0x81;
		f[off++] = 0x00;
		f[off++] = 0x00;
		f[off++] = 0x05;
	}
	f[off++] = 0x08;
	f[off++] = 0x00;
	f[off] = 0x45;
	f[off + 6] = (uint8_t)(frag >> 8);
	f[off + 7] = (uint8_t)frag;
	f[off + 9] = proto;
	f[off + 12] = (uint8_t)(src >> 24);
	f[off + 13] = (uint8_t)(src >> 16);
	f[off + 14] = (uint8_t)(src >> 8);
	f[off + 15] = (uint8_t)src;
	f[off + 16] = (uint8_t)(dst >> 24);
	f[off + 17] = (uint8_t)(dst >> 16);
	f[off + 18] = (uint8_t)(dst >> 8);
	f[off + 19] = (uint8_t)dst;
	f[off + 20] = (uint8_t)(sport >> 8);
	f[off + 21] = (uint8_t)sport;
	f[off + 22] = (uint8_t)(dport >> 8);
	f[off + 23] = (uint8_t)dport;
	return off + 28;
}

static void
test_same_flow_same_hash(void **state)
{
	uint8_t a[128], b[128];
	uint32_t la, lb;

	(void)state;
	la = ipv4_frame(a, 0x0a000001, 0x0a000002, 17, 1000, 2000, 0, 0);
	lb = ipv4_frame(b, 0x0a000001, 0x0a000002, 17, 1000, 2000, 0, 0);
	/* Payload and TTL differences do not matter. */
	b[14 + 8] = 7;
	b[lb - 1] = 0x55;
	assert_int_equal(vfwd_flow_hash(a, la), vfwd_flow_hash(b, lb));
	/* Another port is another flow. */
	lb = ipv4_frame(b, 0x0a000001, 0x0a000002, 17, 1001, 2000, 0, 0);
	assert_int_not_equal(vfwd_flow_hash(a, la), vfwd_flow_hash(b, lb));
	/* Another protocol too. */
	lb = ipv4_frame(b, 0x0a000001, 0x0a000002, 6, 1000, 2000, 0, 0);
	assert_int_not_equal(vfwd_flow_hash(a, la), vfwd_flow_hash(b, lb));
}

static void
test_fragments_stay_together(void **state)
{
	uint8_t first[128], later[128];
	uint32_t lf, ll;

	(void)state;
	/* First fragment: MF set, offset 0, ports present. */
	lf = ipv4_frame(first, 0x0a000001, 0x0a000002, 17, 1000, 2000, 0x2000, 0);
	/* A later fragment: no ports (bytes there are payload). */
	ll = ipv4_frame(later, 0x0a000001, 0x0a000002, 17, 4242, 4343, 0x00b9, 0);
	assert_int_equal(vfwd_flow_hash(first, lf), vfwd_flow_hash(later, ll));
}

static void
test_spread_over_queues(void **state)
{
	const uint32_t nq = 4, flows = 4000;
	uint32_t hits[4] = { 0 }, i;
	uint8_t f[128];

	(void)state;
	for (i = 0; i < flows; i++) {
		uint32_t l = ipv4_frame(f, 0xc6120000 + (i & 0xff), 0xc6120101, 17,
					(uint16_t)(1024 + i), 9, 0, 0);

		hits[vfwd_hash_to_queue(vfwd_flow_hash(f, l), nq)]++;
	}
	/* Even within 15% of the fair share. */
	for (i = 0; i < nq; i++) {
		assert_true(hits[i] > flows / nq * 85 / 100);
		assert_true(hits[i] < flows / nq * 115 / 100);
	}
}

static void
test_vlan_and_ipv6_and_other(void **state)
{
	uint8_t f[128], g[128];
	uint32_t l, i, q0 = 0;

	(void)state;
	/* VLAN-tagged flows spread as well and stay stable. */
	for (i = 0; i < 400; i++) {
		l = ipv4_frame(f, 0x0a000001, 0x0a000002, 6, (uint16_t)i, 80, 0, 1);
		assert_int_equal(vfwd_flow_hash(f, l), vfwd_flow_hash(f, l));
		q0 += vfwd_hash_to_queue(vfwd_flow_hash(f, l), 2) == 0;
	}
	assert_true(q0 > 150 && q0 < 250);

	/* IPv6: addresses and ports count. */
	memset(f, 0, sizeof(f));
	f[12] = 0x86;
	f[13] = 0xdd;
	f[14] = 0x60;
	f[14 + 6] = 17;
	f[14 + 23] = 1;          /* src ...::1 */
	f[14 + 39] = 2;          /* dst ...::2 */
	f[54] = 0x10;            /* sport 0x1000 */
	memcpy(g, f, sizeof(f));
	g[54] = 0x11;
	assert_int_not_equal(vfwd_flow_hash(f, 62), vfwd_flow_hash(g, 62));

	/* Non-IP: by MAC addresses. */
	memset(f, 0, sizeof(f));
	f[12] = 0x88;
	f[13] = 0xcc;
	memcpy(g, f, sizeof(f));
	g[5] = 9;
	assert_int_not_equal(vfwd_flow_hash(f, 60), vfwd_flow_hash(g, 60));

	/* Truncated frames never read past their end. */
	for (l = 0; l < 14; l++)
		assert_int_equal(vfwd_flow_hash(f, l), 0);
	l = ipv4_frame(f, 1, 2, 17, 3, 4, 0, 0);
	for (i = 14; i < l; i++)
		(void)vfwd_flow_hash(f, i);
}

static void
test_hash_to_queue_range(void **state)
{
	uint32_t n, h;

	(void)state;
	for (n = 1; n <= 32; n++) {
		assert_int_equal(vfwd_hash_to_queue(0, n), 0);
		assert_int_equal(vfwd_hash_to_queue(UINT32_MAX, n), n - 1);
		for (h = 1; h != 0 && h < 0xf0000000u; h = h * 3 + 7)
			assert_true(vfwd_hash_to_queue(h, n) < n);
	}
}

static void
test_placement(void **state)
{
	unsigned int load[4] = { 2, 1, 1, 3 };

	(void)state;
	assert_int_equal(vfwd_place_least_loaded(load, 4), 1);   /* lowest of ties */
	load[1] = 5;
	assert_int_equal(vfwd_place_least_loaded(load, 4), 2);
	assert_int_equal(vfwd_place_least_loaded(load, 1), 0);
	load[0] = 0;
	assert_int_equal(vfwd_place_least_loaded(load, 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_flow_same_hash),
		cmocka_unit_test(test_fragments_stay_together),
		cmocka_unit_test(test_spread_over_queues),
		cmocka_unit_test(test_vlan_and_ipv6_and_other),
		cmocka_unit_test(test_hash_to_queue_range),
		cmocka_unit_test(test_placement),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
