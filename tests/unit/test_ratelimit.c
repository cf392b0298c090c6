/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/ratelimit.c: log lines a peer can trigger over and
 * over are let through in bursts, and the count of those held back comes
 * with the next line let through.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ratelimit.h"

static void
test_burst_then_count(void **state)
{
	struct vfwd_ratelimit rl = VFWD_RATELIMIT_INIT(2, 1000);
	unsigned long sup = 99;
	int i;

	(void)state;
	assert_true(vfwd_ratelimit_allow(&rl, 5000, &sup));
	assert_int_equal(sup, 0);
	assert_true(vfwd_ratelimit_allow(&rl, 5001, &sup));
	for (i = 0; i < 1000; i++)
		assert_false(vfwd_ratelimit_allow(&rl, 5002 + (uint64_t)i / 2, &sup));
	/* The next window: one line, carrying the count of the others. */
	assert_true(vfwd_ratelimit_allow(&rl, 6000, &sup));
	assert_int_equal(sup, 1000);
	assert_true(vfwd_ratelimit_allow(&rl, 6001, &sup));
	assert_int_equal(sup, 0);
	assert_false(vfwd_ratelimit_allow(&rl, 6002, &sup));
}

/* A quiet call site is never held back, however long it runs. */
static void
test_quiet_never_limited(void **state)
{
	struct vfwd_ratelimit rl = VFWD_RATELIMIT_INIT(1, 5000);
	unsigned long sup;
	uint64_t t;

	(void)state;
	for (t = 0; t < 100000; t += 5000) {
		assert_true(vfwd_ratelimit_allow(&rl, t, &sup));
		assert_int_equal(sup, 0);
	}
}

/* Time going back (a caller mixing clocks) starts a window, not a stall. */
static void
test_clock_back(void **state)
{
	struct vfwd_ratelimit rl = VFWD_RATELIMIT_INIT(1, 5000);
	unsigned long sup;

	(void)state;
	assert_true(vfwd_ratelimit_allow(&rl, 100000, &sup));
	assert_false(vfwd_ratelimit_allow(&rl, 100001, &sup));
	assert_true(vfwd_ratelimit_allow(&rl, 10, &sup));
	assert_int_equal(sup, 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_count),
		cmocka_unit_test(test_quiet_never_limited),
		cmocka_unit_test(test_clock_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
