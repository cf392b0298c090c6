/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/backoff.c: the delays of a reconnecting source.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>

#include "backoff.h"

static void
test_doubles_to_ceiling(void **state)
{
	static const unsigned int expected[] = {
		500, 1000, 2000, 4000, 8000, 16000, 16000, 16000,
	};
	struct vfwd_backoff b;
	size_t i;

	(void)state;
	vfwd_backoff_init(&b, 500, 16000);
	for (i = 0; i < sizeof expected / sizeof expected[0]; i++)
		assert_int_equal(vfwd_backoff_next(&b), expected[i]);
}

static void
test_reset(void **state)
{
	struct vfwd_backoff b;

	(void)state;
	vfwd_backoff_init(&b, 500, 16000);
	vfwd_backoff_next(&b);
	vfwd_backoff_next(&b);
	assert_int_equal(vfwd_backoff_next(&b), 2000);
	vfwd_backoff_reset(&b);
	assert_int_equal(vfwd_backoff_next(&b), 500);
	assert_int_equal(vfwd_backoff_next(&b), 1000);
}

/* A ceiling that is no power-of-two multiple of the start is reached. */
static void
test_odd_ceiling(void **state)
{
	struct vfwd_backoff b;

	(void)state;
	vfwd_backoff_init(&b, 4, 15);
	assert_int_equal(vfwd_backoff_next(&b), 4);
	assert_int_equal(vfwd_backoff_next(&b), 8);
	assert_int_equal(vfwd_backoff_next(&b), 15);
	assert_int_equal(vfwd_backoff_next(&b), 15);
}

/* Doubling near UINT_MAX does not wrap; a ceiling below the start is
 * raised to it. */
static void
test_limits(void **state)
{
	struct vfwd_backoff b;

	(void)state;
	vfwd_backoff_init(&b, UINT_MAX / 2 + 1, UINT_MAX);
	assert_int_equal(vfwd_backoff_next(&b), UINT_MAX / 2 + 1);
	assert_int_equal(vfwd_backoff_next(&b), UINT_MAX);
	assert_int_equal(vfwd_backoff_next(&b), UINT_MAX);

	vfwd_backoff_init(&b, 1000, 10);
	assert_int_equal(vfwd_backoff_next(&b), 1000);
	assert_int_equal(vfwd_backoff_next(&b), 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_to_ceiling),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_odd_ceiling),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
