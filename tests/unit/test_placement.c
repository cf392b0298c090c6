/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the data plane's placement decisions (src/placement.h),
 * as dataplane.c's place() makes them for each relay that starts needing
 * workers: relays one after another spread evenly over the workers, a
 * relay's unpinned directions share one worker, pins win over load and
 * NUMA, the device's NUMA node is preferred while it has workers (and the
 * caller is told when it has none), ties go to the lowest index, and the
 * bounds: one worker, and the most workers there can be.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "parse.h"
#include "placement.h"

/* A relay's two directions, as dataplane.c places them. */
#define DIRS 2

/* No pin on either direction. */
static const int unpinned[DIRS] = { -1, -1 };

/*
 * Places one relay as place() does and counts its directions into
 * 'load', as worker_loads() would count them at the next placement.
 * Returns what vfwd_place_relay() returned.
 */
static bool
place_one(unsigned int *load, const int *numa, unsigned int n, int dev_numa,
	  const int *pinned, int out[DIRS])
{
	bool elsewhere;
	unsigned int d;

	out[0] = out[1] = -2;
	elsewhere = vfwd_place_relay(load, numa, n, dev_numa, pinned, DIRS, out);
	for (d = 0; d < DIRS; d++) {
		assert_true(out[d] >= 0 && (unsigned int)out[d] < n);
		load[out[d]]++;
	}
	return elsewhere;
}

static void
test_least_loaded(void **state)
{
	const unsigned int loads[] = { 4, 2, 7, 2, 3 };
	const unsigned int zero[] = { 0, 0, 0 };

	(void)state;
	assert_int_equal(vfwd_place_least_loaded(loads, 5), 1);
	/* Only the workers counted are looked at. */
	assert_int_equal(vfwd_place_least_loaded(loads, 1), 0);
	assert_int_equal(vfwd_place_least_loaded(loads, 3), 1);
	assert_int_equal(vfwd_place_least_loaded(zero, 3), 0);
}

static void
test_balanced(void **state)
{
	unsigned int load[4] = { 0 };
	const int numa[4] = { 0, 0, 0, 0 };
	unsigned int r, w, lo, hi;
	int out[DIRS];

	(void)state;
	for (r = 0; r < 32; r++) {
		assert_false(place_one(load, numa, 4, -1, unpinned, out));
		/* Both directions on one worker: the relay's state stays in
		 * one CPU's cache. */
		assert_int_equal(out[0], out[1]);
		/* Round after round, in index order. */
		assert_int_equal(out[0], (int)(r % 4));
		lo = hi = load[0];
		for (w = 1; w < 4; w++) {
			lo = load[w] < lo ? load[w] : lo;
			hi = load[w] > hi ? load[w] : hi;
		}
		assert_true(hi - lo <= DIRS);
	}
	for (w = 0; w < 4; w++)
		assert_int_equal(load[w], 16);
}

static void
test_fills_the_gap(void **state)
{
	/* Relays that went leave a worker short: the next ones go there
	 * until it catches up. */
	unsigned int load[3] = { 6, 2, 6 };
	const int numa[3] = { 0, 0, 0 };
	int out[DIRS];

	(void)state;
	place_one(load, numa, 3, -1, unpinned, out);
	assert_int_equal(out[0], 1);
	place_one(load, numa, 3, -1, unpinned, out);
	assert_int_equal(out[0], 1);
	place_one(load, numa, 3, -1, unpinned, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(load[0], 8);
	assert_int_equal(load[1], 6);
}

static void
test_pins(void **state)
{
	unsigned int load[3] = { 0, 5, 9 };
	const int numa[3] = { 0, 0, 1 };
	const int one[DIRS] = { 2, -1 };
	const int other[DIRS] = { -1, 1 };
	const int both[DIRS] = { 2, 1 };
	int out[DIRS];

	(void)state;
	/* A pinned direction goes to its worker however loaded; the other
	 * one to the least loaded. */
	place_one(load, numa, 3, -1, one, out);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 0);
	place_one(load, numa, 3, -1, other, out);
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 1);
	place_one(load, numa, 3, -1, both, out);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 1);
	/* Pins win over the device's node too. */
	place_one(load, numa, 3, 0, one, out);
	assert_int_equal(out[0], 2);
	assert_int_equal(out[1], 0);
	/* And they count towards the loads of the next placements. */
	assert_int_equal(load[0], 3);
	assert_int_equal(load[1], 7);
	assert_int_equal(load[2], 12);
}

static void
test_numa(void **state)
{
	unsigned int load[4] = { 0, 0, 3, 1 };
	const int numa[4] = { 0, 0, 1, 1 };
	int out[DIRS];

	(void)state;
	/* The device's node, although node 0's workers are idle. */
	assert_false(place_one(load, numa, 4, 1, unpinned, out));
	assert_int_equal(out[0], 3);
	assert_int_equal(out[1], 3);
	/* Now 3 against 3: the lower index. */
	assert_false(place_one(load, numa, 4, 1, unpinned, out));
	assert_int_equal(out[0], 2);
	/* Node 0 stays balanced on its own. */
	assert_false(place_one(load, numa, 4, 0, unpinned, out));
	assert_int_equal(out[0], 0);
	assert_false(place_one(load, numa, 4, 0, unpinned, out));
	assert_int_equal(out[0], 1);
	/* Without a node (no same-NUMA rule, or a device of none): any
	 * worker, the least loaded. */
	load[3] = 0;
	assert_false(place_one(load, numa, 4, -1, unpinned, out));
	assert_int_equal(out[0], 3);
	/* A node without workers: any worker, and the caller is told. */
	assert_true(place_one(load, numa, 4, 2, unpinned, out));
	assert_int_equal(out[0], 0);
	assert_int_equal(out[1], 0);
}

static void
test_limits(void **state)
{
	static unsigned int load[VFWD_MAX_CPUS];
	static int numa[VFWD_MAX_CPUS];
	const int pin_last[DIRS] = { VFWD_MAX_CPUS - 1, -1 };
	unsigned int one = 7;
	const int node0 = 0;
	unsigned int w;
	int out[DIRS];

	(void)state;
	/* One worker takes everything, on its node or not. */
	assert_false(place_one(&one, &node0, 1, -1, unpinned, out));
	assert_int_equal(out[0], 0);
	assert_true(place_one(&one, &node0, 1, 1, unpinned, out));
	assert_int_equal(out[1], 0);
	assert_int_equal(one, 11);

	/* The most workers there can be: the last one is reached. */
	for (w = 0; w < VFWD_MAX_CPUS; w++) {
		load[w] = 4;
		numa[w] = w < VFWD_MAX_CPUS / 2 ? 0 : 1;
	}
	load[VFWD_MAX_CPUS - 1] = 0;
	assert_false(place_one(load, numa, VFWD_MAX_CPUS, -1, unpinned, out));
	assert_int_equal(out[0], VFWD_MAX_CPUS - 1);
	/* ... and as a pin. */
	assert_false(place_one(load, numa, VFWD_MAX_CPUS, 0, pin_last, out));
	assert_int_equal(out[0], VFWD_MAX_CPUS - 1);
	assert_int_equal(out[1], 0);
	/* The last node, its first worker once the last one is busier. */
	assert_false(place_one(load, numa, VFWD_MAX_CPUS, 1, unpinned, out));
	assert_int_equal(out[0], VFWD_MAX_CPUS - 1);
	load[VFWD_MAX_CPUS - 1] = 9;
	assert_false(place_one(load, numa, VFWD_MAX_CPUS, 1, unpinned, out));
	assert_int_equal(out[0], VFWD_MAX_CPUS / 2);

	/* No direction: nothing written. */
	out[0] = -2;
	assert_false(vfwd_place_relay(load, numa, VFWD_MAX_CPUS, -1, unpinned, 0, out));
	assert_int_equal(out[0], -2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_least_loaded),
		cmocka_unit_test(test_balanced),
		cmocka_unit_test(test_fills_the_gap),
		cmocka_unit_test(test_pins),
		cmocka_unit_test(test_numa),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
