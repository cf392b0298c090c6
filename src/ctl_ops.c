/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The operations thread (see ctl_ops.h): a queue in, a queue out, and an
 * eventfd that tells the control loop something came out.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "ctl_ops.h"
#include "log.h"

STAILQ_HEAD(op_list, vfwd_op);

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;        /* 'todo' got an operation, or 'stop' */
	struct op_list todo;        /* lock: waiting to run */
	struct op_list finished;    /* lock: run, waiting for done() */
	bool stop;                  /* lock */
	bool started;               /* control thread only */
	pthread_t thread;
	int efd;
} ops = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.todo = STAILQ_HEAD_INITIALIZER(ops.todo),
	.finished = STAILQ_HEAD_INITIALIZER(ops.finished),
	.efd = -1,
};

static void *
ops_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "vfwd-ops");
	pthread_mutex_lock(&ops.lock);
	for (;;) {
		struct vfwd_op *op = STAILQ_FIRST(&ops.todo);
		uint64_t one = 1;

		if (op == NULL) {
			if (ops.stop)
				break;
			pthread_cond_wait(&ops.cond, &ops.lock);
			continue;
		}
		STAILQ_REMOVE_HEAD(&ops.todo, link);
		pthread_mutex_unlock(&ops.lock);
		op->run(op);
		pthread_mutex_lock(&ops.lock);
		STAILQ_INSERT_TAIL(&ops.finished, op, link);
		/* Cannot fail short of 2^64 - 1 unread completions. */
		if (write(ops.efd, &one, sizeof(one)) < 0)
			VLOG_ERR_RL("operations thread: cannot signal the control "
				    "loop: %s", strerror(errno));
	}
	pthread_mutex_unlock(&ops.lock);
	return NULL;
}

int
vfwd_ops_start(void)
{
	int rc;

	ops.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ops.efd < 0)
		return -errno;
	ops.stop = false;
	rc = pthread_create(&ops.thread, NULL, ops_main, NULL);
	if (rc != 0) {
		close(ops.efd);
		ops.efd = -1;
		return -rc;
	}
	ops.started = true;
	return 0;
}

bool
vfwd_ops_started(void)
{
	return ops.started;
}

void
vfwd_ops_submit(struct vfwd_op *op)
{
	pthread_mutex_lock(&ops.lock);
	STAILQ_INSERT_TAIL(&ops.todo, op, link);
	pthread_cond_signal(&ops.cond);
	pthread_mutex_unlock(&ops.lock);
}

bool
vfwd_ops_do(struct vfwd_op *op)
{
	if (ops.started) {
		vfwd_ops_submit(op);
		return true;
	}
	op->run(op);
	op->done(op);
	return false;
}

void
vfwd_ops_complete(void)
{
	struct op_list done = STAILQ_HEAD_INITIALIZER(done);
	struct vfwd_op *op;
	uint64_t n;

	if (ops.efd >= 0 && read(ops.efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		VLOG_ERR_RL("operations thread: %s", strerror(errno));
	pthread_mutex_lock(&ops.lock);
	STAILQ_CONCAT(&done, &ops.finished);
	pthread_mutex_unlock(&ops.lock);
	/* done() may submit again: the lock is not held. */
	while ((op = STAILQ_FIRST(&done)) != NULL) {
		STAILQ_REMOVE_HEAD(&done, link);
		op->done(op);
	}
}

static void
ops_fill(struct vfwd_pollset *ps)
{
	if (ops.efd >= 0)
		vfwd_pollset_add_fd(ps, ops.efd, POLLIN);
}

static void
ops_run(struct vfwd_pollset *ps)
{
	if (vfwd_pollset_revents(ps, 0) & POLLIN)
		vfwd_ops_complete();
}

const struct vfwd_ctl_source vfwd_ops_source = {
	.name = "finished operations",
	.fill = ops_fill,
	.run = ops_run,
};

void
vfwd_ops_stop(void)
{
	if (!ops.started)
		return;
	pthread_mutex_lock(&ops.lock);
	ops.stop = true;
	pthread_cond_signal(&ops.cond);
	pthread_mutex_unlock(&ops.lock);
	pthread_join(ops.thread, NULL);
	ops.started = false;
	vfwd_ops_complete();
	close(ops.efd);
	ops.efd = -1;
}
