/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the load balancer's plan (tools/balance.c): made-up
 * workers, NUMA nodes and relay loads, the placement it proposes, and
 * when a proposal is worth moving relays for.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "balance.h"

static const struct bal_cpu two[] = { { 1, 0 }, { 2, 0 } };

#define TASK(r, d, l, c) { .relay = (r), .dir = (d), .load = (l), .node = 0, .cpu = (c) }

static void
cpus_of(const struct bal_task *t, unsigned int n, int *out)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		out[i] = t[i].cpu;
}

/* Everything on one of two workers: the plan splits it evenly. */
static void
test_spreads_crowded_worker(void **state)
{
	struct bal_task t[] = {
		TASK(1, 0, 1000, 1), TASK(1, 1, 1000, 1),
		TASK(2, 0, 1000, 1), TASK(2, 1, 1000, 1),
	};
	int now[4], plan[4], on1 = 0, i;

	(void)state;
	assert_int_equal(bal_plan(two, 2, t, 4, false, plan), 0);
	for (i = 0; i < 4; i++) {
		assert_true(plan[i] == 1 || plan[i] == 2);
		on1 += plan[i] == 1;
	}
	assert_int_equal(on1, 2);
	cpus_of(t, 4, now);
	assert_float_equal(bal_cv(two, 2, t, 4, now, false), 1.0, 1e-9);
	assert_float_equal(bal_cv(two, 2, t, 4, plan, false), 0.0, 1e-9);
	assert_true(bal_worth_it(1.0, 0.0, 0.25));
}

/* A balanced placement is left exactly as it is: ties go to the
 * current worker, so nothing moves for nothing. */
static void
test_balanced_stays(void **state)
{
	struct bal_task t[] = {
		TASK(1, 0, 500, 2), TASK(1, 1, 500, 1),
		TASK(2, 0, 500, 1), TASK(2, 1, 500, 2),
	};
	int plan[4], i;

	(void)state;
	assert_int_equal(bal_plan(two, 2, t, 4, false, plan), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(plan[i], t[i].cpu);
}

/* The heaviest task goes first and alone; the light ones share. */
static void
test_largest_first(void **state)
{
	struct bal_task t[] = {
		TASK(1, 0, 100, 1), TASK(1, 1, 100, 1),
		TASK(2, 0, 200, 1), TASK(2, 1, 0, 1),
	};
	int plan[4];

	(void)state;
	assert_int_equal(bal_plan(two, 2, t, 4, false, plan), 0);
	/* Relay 2's VF-to-VM direction takes CPU 1 (it is there: the tie
	 * goes to it), relay 1 shares CPU 2, the idle direction stays. */
	assert_int_equal(plan[2], 1);
	assert_int_equal(plan[0], 2);
	assert_int_equal(plan[1], 2);
	assert_int_equal(plan[3], 1);
}

/* Idle directions and fixed (pinned) ones stay; the others balance
 * around the fixed load. */
static void
test_idle_and_fixed_stay(void **state)
{
	struct bal_task t[] = {
		TASK(1, 0, 0, 2), TASK(1, 1, 0, 2),
		TASK(2, 0, 3000, 1), TASK(2, 1, 3000, 1),
		TASK(3, 0, 1000, 1), TASK(3, 1, 1000, 1),
	};
	int plan[6];

	(void)state;
	t[2].fixed = t[3].fixed = true;
	assert_int_equal(bal_plan(two, 2, t, 6, false, plan), 0);
	assert_int_equal(plan[0], 2);
	assert_int_equal(plan[1], 2);
	assert_int_equal(plan[2], 1);
	assert_int_equal(plan[3], 1);
	assert_int_equal(plan[4], 2);
	assert_int_equal(plan[5], 2);
}

/* A relay stays on its NUMA node's workers unless any node is allowed,
 * or its node has no worker at all. */
static void
test_numa(void **state)
{
	static const struct bal_cpu four[] = { { 1, 0 }, { 2, 0 }, { 3, 1 }, { 4, 1 } };
	struct bal_task t[] = {
		TASK(1, 0, 1000, 3), TASK(1, 1, 1000, 3),
		TASK(2, 0, 1000, 3), TASK(2, 1, 1000, 3),
		TASK(3, 0, 10, 1), TASK(3, 1, 10, 1),
	};
	int plan[6], i, off_node = 0;

	(void)state;
	for (i = 0; i < 4; i++)
		t[i].node = 1;
	t[4].node = t[5].node = 7;    /* a node without workers */
	assert_int_equal(bal_plan(four, 4, t, 6, false, plan), 0);
	for (i = 0; i < 4; i++)
		assert_true(plan[i] == 3 || plan[i] == 4);
	assert_int_not_equal(plan[0], plan[1]);
	/* The stranded relay may go anywhere: to the empty node-0 workers. */
	assert_true(plan[4] == 1 || plan[4] == 2);

	assert_int_equal(bal_plan(four, 4, t, 6, true, plan), 0);
	for (i = 0; i < 4; i++)
		off_node += plan[i] == 1 || plan[i] == 2;
	assert_int_equal(off_node, 2);
}

/* A direction on a CPU that is not (or no longer) a worker is placed. */
static void
test_not_on_a_worker(void **state)
{
	struct bal_task t[] = { TASK(5, 0, 0, 9), TASK(5, 1, 10, -1) };
	int plan[2];

	(void)state;
	assert_int_equal(bal_plan(two, 2, t, 2, false, plan), 0);
	assert_true(plan[0] == 1 || plan[0] == 2);
	assert_true(plan[1] == 1 || plan[1] == 2);
}

static void
test_cv_and_threshold(void **state)
{
	struct bal_task t[] = { TASK(1, 0, 300, 1), TASK(1, 1, 100, 2) };
	int on[2] = { 1, 2 };

	(void)state;
	/* Loads 300 and 100: mean 200, deviation 100. */
	assert_float_equal(bal_cv(two, 2, t, 2, on, false), 0.5, 1e-9);
	t[0].load = t[1].load = 0;
	assert_float_equal(bal_cv(two, 2, t, 2, on, false), 0.0, 1e-9);
	/* Four workers, all the load on one: sqrt(3). */
	{
		static const struct bal_cpu four[] = { { 1, 0 }, { 2, 0 }, { 3, 0 }, { 4, 0 } };
		struct bal_task one = TASK(1, 0, 50, 3);
		int at = 3;

		assert_float_equal(bal_cv(four, 4, &one, 1, &at, false), sqrt(3), 1e-9);
	}
	assert_true(bal_worth_it(0.5, 0.2, 0.25));
	assert_false(bal_worth_it(0.4, 0.2, 0.25));
	assert_true(bal_worth_it(0.4, 0.39, 0));
	assert_false(bal_worth_it(0.4, 0.4, 0));
	assert_false(bal_worth_it(0.2, 0.3, 0));
}

/* The spread is per node: idle workers of another node, which the
 * node's relays may not use, do not water down a crowded node. */
static void
test_cv_per_node(void **state)
{
	static const struct bal_cpu four[] = { { 1, 0 }, { 2, 0 }, { 3, 1 }, { 4, 1 } };
	struct bal_task t[] = { TASK(1, 0, 300, 1), TASK(2, 0, 100, 2) };
	int on[2] = { 1, 2 };

	(void)state;
	assert_float_equal(bal_cv(four, 4, t, 2, on, false), 0.5, 1e-9);
	/* Over all four workers: loads 300, 100, 0, 0, mean 100. */
	assert_float_equal(bal_cv(four, 4, t, 2, on, true),
			   sqrt((200.0 * 200 + 0 + 100 * 100 + 100 * 100) / 4) / 100, 1e-9);
}

/* A fixed task stays even on a CPU that is not a worker. */
static void
test_fixed_never_moves(void **state)
{
	struct bal_task t[] = { TASK(1, 0, 500, 7), TASK(1, 1, 500, 1) };
	int plan[2];

	(void)state;
	t[0].fixed = true;
	assert_int_equal(bal_plan(two, 2, t, 2, false, plan), 0);
	assert_int_equal(plan[0], 7);
	assert_int_equal(plan[1], 1);
}

static void
test_bad_input(void **state)
{
	struct bal_task t[] = { TASK(1, 0, 1, 1) };
	int plan[1];

	(void)state;
	assert_int_equal(bal_plan(two, 0, t, 1, false, plan), -EINVAL);
	assert_int_equal(bal_plan(two, 2, t, BAL_MAX_TASKS + 1, false, plan), -EINVAL);
	assert_int_equal(bal_plan(two, 2, t, 0, false, plan), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spreads_crowded_worker),
		cmocka_unit_test(test_balanced_stays),
		cmocka_unit_test(test_largest_first),
		cmocka_unit_test(test_idle_and_fixed_stay),
		cmocka_unit_test(test_numa),
		cmocka_unit_test(test_not_on_a_worker),
		cmocka_unit_test(test_cv_and_threshold),
		cmocka_unit_test(test_cv_per_node),
		cmocka_unit_test(test_fixed_never_moves),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
