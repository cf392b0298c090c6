/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/ctl_ops.c: operations run on a thread of their own,
 * one at a time and in order; their done() runs on the caller's thread,
 * in order, when it asks; stopping finishes what was queued; without the
 * thread, an operation runs on the spot.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl_ops.h"

#define N_OPS 64

struct test_op {
	struct vfwd_op op;
	int seq;
	pthread_t ran_on;
};

static pthread_t control;
static int ran[N_OPS], n_ran;       /* written by the operations thread */
static int done[N_OPS], n_done;     /* written by done(), control thread */
static int running, most_running;   /* operations at once */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void
op_run(struct vfwd_op *op)
{
	struct test_op *t = (struct test_op *)op;

	pthread_mutex_lock(&lock);
	if (++running > most_running)
		most_running = running;
	pthread_mutex_unlock(&lock);
	t->ran_on = pthread_self();
	usleep(100);
	pthread_mutex_lock(&lock);
	running--;
	ran[n_ran++] = t->seq;
	pthread_mutex_unlock(&lock);
}

static void
op_done(struct vfwd_op *op)
{
	struct test_op *t = (struct test_op *)op;

	/* done() comes on the control thread, after run() on the other. */
	assert_true(pthread_equal(pthread_self(), control));
	assert_false(pthread_equal(t->ran_on, control));
	done[n_done++] = t->seq;
	free(t);
}

static struct test_op *
new_op(int seq)
{
	struct test_op *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	t->op.run = op_run;
	t->op.done = op_done;
	t->seq = seq;
	return t;
}

static void
reset(void)
{
	n_ran = n_done = running = most_running = 0;
	control = pthread_self();
}

static void
test_in_order_one_at_a_time(void **state)
{
	struct vfwd_pollset ps;
	struct pollfd pfd;
	int fd = -1, i;

	(void)state;
	reset();
	assert_int_equal(vfwd_ops_start(), 0);
	assert_true(vfwd_ops_started());
	for (i = 0; i < N_OPS; i++)
		vfwd_ops_submit(&new_op(i)->op);
	/* As the control loop does: the source's one item, then its run. */
	while (n_done < N_OPS) {
		memset(&ps, 0, sizeof(ps));
		ps.timeout_ms = -1;
		vfwd_ops_source.fill(&ps);
		assert_int_equal(ps.n, 1);
		assert_null(ps.items[0].socket);
		fd = ps.items[0].fd;
		pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
		assert_int_equal(poll(&pfd, 1, 5000), 1);
		ps.items[0].revents = ZMQ_POLLIN;
		ps.end = ps.n;
		vfwd_ops_source.run(&ps);
	}
	for (i = 0; i < N_OPS; i++) {
		assert_int_equal(ran[i], i);
		assert_int_equal(done[i], i);
	}
	assert_int_equal(most_running, 1);
	/* Nothing more to complete: the descriptor is quiet again. */
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&pfd, 1, 0), 0);
	vfwd_ops_stop();
	assert_false(vfwd_ops_started());
}

static void
test_stop_finishes_what_was_queued(void **state)
{
	int i;

	(void)state;
	reset();
	assert_int_equal(vfwd_ops_start(), 0);
	for (i = 0; i < 8; i++)
		vfwd_ops_submit(&new_op(i)->op);
	/* No vfwd_ops_complete(): stop runs them all, and their done(). */
	vfwd_ops_stop();
	assert_int_equal(n_ran, 8);
	assert_int_equal(n_done, 8);
	for (i = 0; i < 8; i++)
		assert_int_equal(done[i], i);
	vfwd_ops_stop();          /* a second stop does nothing */
}

static void
inline_run(struct vfwd_op *op)
{
	((struct test_op *)op)->ran_on = pthread_self();
}

static void
inline_done(struct vfwd_op *op)
{
	struct test_op *t = (struct test_op *)op;

	assert_true(pthread_equal(t->ran_on, pthread_self()));
	done[n_done++] = t->seq;
	free(t);
}

static void
test_without_the_thread_runs_on_the_spot(void **state)
{
	struct test_op *t;

	(void)state;
	reset();
	assert_false(vfwd_ops_started());
	t = new_op(7);
	t->op.run = inline_run;
	t->op.done = inline_done;
	assert_false(vfwd_ops_do(&t->op));
	assert_int_equal(n_done, 1);
	assert_int_equal(done[0], 7);
	/* With it, vfwd_ops_do() queues and says so. */
	assert_int_equal(vfwd_ops_start(), 0);
	assert_true(vfwd_ops_do(&new_op(8)->op));
	vfwd_ops_stop();
	assert_int_equal(n_done, 2);
	assert_int_equal(done[1], 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order_one_at_a_time),
		cmocka_unit_test(test_stop_finishes_what_was_queued),
		cmocka_unit_test(test_without_the_thread_runs_on_the_spot),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
