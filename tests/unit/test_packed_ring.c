/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of vfwd_packed_ring_position() (src/packed_ring.h): a packed
 * ring is driven here as a driver and a device drive it (the flags each
 * writes, lap after lap), and the position read off the ring must be the
 * device's, whatever the driver did since: a fresh ring, part of a lap,
 * exactly a lap, several laps, a driver that made descriptors available
 * again past the device (into its next lap), and chained descriptors,
 * which the ring cannot tell and which must be refused; and the choice
 * between that position and QEMU's (vfwd_packed_ring_resume()).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "packed_ring.h"

#define AVAIL (1u << VRING_PACKED_DESC_F_AVAIL)
#define USED (1u << VRING_PACKED_DESC_F_USED)
#define N 8

/* A ring with both sides' positions and wrap counters. */
struct ring {
	struct vring_packed_desc desc[N];
	unsigned int drv, dev;       /* next slot of each side */
	bool drv_wrap, dev_wrap;     /* their lap, as virtio counts it */
	unsigned int outstanding;    /* available, not used yet */
};

static void
ring_init(struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->drv_wrap = r->dev_wrap = true;   /* both start in lap 1 */
}

/* The driver makes 'n' single-descriptor buffers available (chain: one
 * buffer of 'n' chained descriptors). */
static void
driver_add(struct ring *r, unsigned int n, bool chain)
{
	unsigned int i;

	assert_true(r->outstanding + n <= N);
	for (i = 0; i < n; i++) {
		uint16_t f = r->drv_wrap ? AVAIL : USED;

		if (chain && i + 1 < n)
			f |= VRING_DESC_F_NEXT;
		r->desc[r->drv].flags = htole16(f);
		if (++r->drv == N) {
			r->drv = 0;
			r->drv_wrap = !r->drv_wrap;
		}
	}
	r->outstanding += n;
}

/* The device uses 'n' descriptors as one buffer ('n' > 1: a chain, of
 * which it writes only the first slot), or 'n' buffers of one. */
static void
device_use(struct ring *r, unsigned int n, bool chain)
{
	unsigned int i;

	assert_true(n <= r->outstanding);
	for (i = 0; i < n; i++) {
		if (!chain || i == 0)
			r->desc[r->dev].flags = htole16(r->dev_wrap ? AVAIL | USED : 0);
		if (++r->dev == N) {
			r->dev = 0;
			r->dev_wrap = !r->dev_wrap;
		}
	}
	r->outstanding -= n;
}

/* What the device's position is in VRING_BASE terms. */
static int
device_base(const struct ring *r)
{
	return (int)(r->dev | (r->dev_wrap ? VFWD_PACKED_WRAP : 0));
}

static void
test_fresh_ring(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 0x8000);
	/* The driver filled it; the device used nothing yet. */
	driver_add(&r, N, false);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 0x8000);
}

static void
test_every_position_over_laps(void **state)
{
	struct ring r;
	unsigned int step;

	(void)state;
	/* One descriptor at a time over four laps, with the driver keeping
	 * 0 to N descriptors ahead: every position of both wrap values. */
	ring_init(&r);
	for (step = 0; step < 4 * N; step++) {
		unsigned int ahead = step % (N + 1);

		while (r.outstanding < ahead)
			driver_add(&r, 1, false);
		assert_int_equal(vfwd_packed_ring_position(r.desc, N), device_base(&r));
		if (r.outstanding == 0)
			driver_add(&r, 1, false);
		device_use(&r, 1, false);
	}
}

static void
test_exactly_one_lap(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r);
	driver_add(&r, N, false);
	device_use(&r, N, false);
	/* Index 0 of lap 0, whether the driver refilled or not. */
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 0);
	driver_add(&r, N, false);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 0);
	device_use(&r, 3, false);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 3);
}

static void
test_driver_in_next_lap(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r);
	driver_add(&r, N, false);
	device_use(&r, 5, false);
	/* The driver refills the 5 used slots: it is now in lap 0 at slot
	 * 5, the device still in lap 1 at slot 5. */
	driver_add(&r, 5, false);
	assert_true(!r.drv_wrap && r.drv == 5);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), 0x8000 | 5);
}

static void
test_chains_refused(void **state)
{
	struct ring r;

	(void)state;
	ring_init(&r);
	/* A used chain of 3 in the middle of single ones: its two unwritten
	 * slots make a second change. */
	driver_add(&r, 2, false);
	driver_add(&r, 3, true);
	driver_add(&r, 2, false);
	device_use(&r, 2, false);
	device_use(&r, 3, true);
	device_use(&r, 1, false);
	assert_int_equal(vfwd_packed_ring_position(r.desc, N), -1);
}

static void
test_resume_choice(void **state)
{
	(void)state;
	/* The ring could not tell: QEMU's. */
	assert_int_equal(vfwd_packed_ring_resume(-1, 0x8003, N), 0x8003);
	/* QEMU sent a fresh ring's position: the ring's, wherever it is. */
	assert_int_equal(vfwd_packed_ring_resume(0x8005, 0x8000, N), 0x8005);
	assert_int_equal(vfwd_packed_ring_resume(2, 0x8000, N), 2);
	/* The ring ahead of QEMU by up to a lap: the ring's. */
	assert_int_equal(vfwd_packed_ring_resume(0x8006, 0x8002, N), 0x8006);
	assert_int_equal(vfwd_packed_ring_resume(1, 0x8006, N), 1);
	assert_int_equal(vfwd_packed_ring_resume(0x8002, 0x8002 ^ 0x8000, N), 0x8002);
	/* Behind by less than a lap (a migration's lost last writes):
	 * QEMU's, also across the wrap. */
	assert_int_equal(vfwd_packed_ring_resume(0x8004, 0x8006, N), 0x8006);
	assert_int_equal(vfwd_packed_ring_resume(0x8007, 1, N), 1);
	assert_int_equal(vfwd_packed_ring_resume(6, 0x8001, N), 0x8001);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_ring),
		cmocka_unit_test(test_every_position_over_laps),
		cmocka_unit_test(test_exactly_one_lap),
		cmocka_unit_test(test_driver_in_next_lap),
		cmocka_unit_test(test_chains_refused),
		cmocka_unit_test(test_resume_choice),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
