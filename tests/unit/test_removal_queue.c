/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/removal_queue.c: the handover of device removals from
 * DPDK's interrupt thread to the control thread (devwatch.c).  Order,
 * one entry per device while it waits, the drop count at capacity, an
 * empty queue after a take, and pushes from another thread racing takes
 * (nothing lost, nothing twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "removal_queue.h"

static const char *const vfio = "vfio request";
static const char *const rmv = "driver says removed";

static void
test_order_and_empty(void **state)
{
	struct vfwd_removal_queue q = VFWD_REMOVAL_QUEUE_INIT;
	struct vfwd_removal out[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int dropped = 99;

	(void)state;
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 0);
	assert_int_equal(dropped, 0);
	assert_true(vfwd_removal_push(&q, "0000:01:10.0", vfio, 1.5));
	assert_true(vfwd_removal_push(&q, "0000:01:10.1", rmv, 2.5));
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 2);
	assert_string_equal(out[0].name, "0000:01:10.0");
	assert_ptr_equal(out[0].why, vfio);
	assert_true(out[0].noted == 1.5);
	assert_string_equal(out[1].name, "0000:01:10.1");
	assert_ptr_equal(out[1].why, rmv);
	assert_int_equal(dropped, 0);
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 0);
}

/* The same device twice while it waits (vfio's request and the driver's
 * interrupt, or vfio's repeated request) is one removal, with the first
 * event's reason and time; once taken, it can come again. */
static void
test_once_while_waiting(void **state)
{
	struct vfwd_removal_queue q = VFWD_REMOVAL_QUEUE_INIT;
	struct vfwd_removal out[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int dropped;

	(void)state;
	assert_true(vfwd_removal_push(&q, "0000:01:10.0", vfio, 1.0));
	assert_false(vfwd_removal_push(&q, "0000:01:10.0", rmv, 2.0));
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 1);
	assert_ptr_equal(out[0].why, vfio);
	assert_true(out[0].noted == 1.0);
	assert_int_equal(dropped, 0);
	assert_true(vfwd_removal_push(&q, "0000:01:10.0", rmv, 3.0));
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 1);
	assert_ptr_equal(out[0].why, rmv);
}

/* Beyond the capacity pushes are dropped and counted; the count goes
 * with the next take only. */
static void
test_full(void **state)
{
	struct vfwd_removal_queue q = VFWD_REMOVAL_QUEUE_INIT;
	struct vfwd_removal out[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int i, dropped;
	char name[32];

	(void)state;
	for (i = 0; i < VFWD_REMOVAL_QUEUE_MAX + 3; i++) {
		snprintf(name, sizeof(name), "net_null%u", i);
		assert_int_equal(vfwd_removal_push(&q, name, vfio, i), i < VFWD_REMOVAL_QUEUE_MAX);
	}
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), VFWD_REMOVAL_QUEUE_MAX);
	assert_int_equal(dropped, 3);
	assert_string_equal(out[VFWD_REMOVAL_QUEUE_MAX - 1].name, "net_null127");
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 0);
	assert_int_equal(dropped, 0);
}

/* A name longer than a device spec is kept cut, and still recognised
 * while it waits. */
static void
test_long_name(void **state)
{
	struct vfwd_removal_queue q = VFWD_REMOVAL_QUEUE_INIT;
	struct vfwd_removal out[VFWD_REMOVAL_QUEUE_MAX];
	char name[VFWD_DEVSPEC_MAX + 40];
	unsigned int dropped;

	(void)state;
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_true(vfwd_removal_push(&q, name, vfio, 0));
	assert_false(vfwd_removal_push(&q, name, vfio, 0));
	assert_int_equal(vfwd_removal_take(&q, out, &dropped), 1);
	assert_int_equal(strlen(out[0].name), VFWD_DEVSPEC_MAX - 1);
}

/* The interrupt thread pushes while the control thread takes: every
 * device arrives exactly once. */
#define RACE_N 20000
static struct vfwd_removal_queue race_q = VFWD_REMOVAL_QUEUE_INIT;

static void *
pusher(void *arg)
{
	char name[32];
	unsigned int i;

	(void)arg;
	for (i = 0; i < RACE_N; i++) {
		snprintf(name, sizeof(name), "dev%u", i);
		/* Full: wait for the taker, as the eventfd would make it run. */
		while (!vfwd_removal_push(&race_q, name, vfio, i))
			sched_yield();
	}
	return NULL;
}

static void
test_race(void **state)
{
	static unsigned char seen[RACE_N];
	static struct vfwd_removal out[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int i, n, dropped, total = 0, dropped_total = 0;
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, pusher, NULL), 0);
	while (total < RACE_N) {
		n = vfwd_removal_take(&race_q, out, &dropped);
		dropped_total += dropped;
		for (i = 0; i < n; i++) {
			unsigned int id;

			assert_int_equal(sscanf(out[i].name, "dev%u", &id), 1);
			assert_true(id < RACE_N);
			assert_int_equal(seen[id], 0);
			seen[id] = 1;
			/* In order: the time is the push's index. */
			assert_true(out[i].noted == (double)id);
		}
		total += n;
	}
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(total, RACE_N);
	/* The pusher retried what did not fit: counted, never lost. */
	(void)dropped_total;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_and_empty),
		cmocka_unit_test(test_once_while_waiting),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_race),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
