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
#include "lock.h"
#include "log.h"

STAILQ_HEAD(op_list, vfwd_op);

/* Guards the queues of the operations thread and its stop flag. */
static struct vfwd_mutex ops_lock = VFWD_MUTEX_INITIALIZER;

static struct {
	pthread_cond_t cond;        /* 'todo' got an operation, or 'stop' */
	/* Waiting to run. */
	struct op_list todo VFWD_GUARDED_BY(ops_lock);
	/* Run, waiting for done(). */
	struct op_list finished VFWD_GUARDED_BY(ops_lock);
	bool stop VFWD_GUARDED_BY(ops_lock);
	bool started;               /* control thread only */
	pthread_t thread;
	int efd;
} ops = {
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
	vfwd_mutex_lock(&ops_lock);
	for (;;) {
		struct vfwd_op *op = STAILQ_FIRST(&ops.todo);
		uint64_t one = 1;

		if (op == NULL) {
			if (ops.stop)
				break;
			vfwd_mutex_cond_wait(&ops_lock, &ops.cond);
			continue;
		}
		STAILQ_REMOVE_HEAD(&ops.todo, link);
		vfwd_mutex_unlock(&ops_lock);
		op->run(op);
		vfwd_mutex_lock(&ops_lock);
		STAILQ_INSERT_TAIL(&ops.finished, op, link);
		/* Cannot fail short of 2^64 - 1 unread completions. */
		if (write(ops.efd, &one, sizeof(one)) < 0)
			VLOG_ERR_RL("operations thread: cannot signal the control "
				    "loop: %s", strerror(errno));
	}
	vfwd_mutex_unlock(&ops_lock);
	return NULL;
}

int
vfwd_ops_start(void)
{
	int rc;

	ops.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ops.efd < 0)
		return -errno;
	vfwd_mutex_lock(&ops_lock);
	ops.stop = false;
	vfwd_mutex_unlock(&ops_lock);
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
	vfwd_mutex_lock(&ops_lock);
	STAILQ_INSERT_TAIL(&ops.todo, op, link);
	pthread_cond_signal(&ops.cond);
	vfwd_mutex_unlock(&ops_lock);
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
	vfwd_mutex_lock(&ops_lock);
	STAILQ_CONCAT(&done, &ops.finished);
	vfwd_mutex_unlock(&ops_lock);
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
	vfwd_mutex_lock(&ops_lock);
	ops.stop = true;
	pthread_cond_signal(&ops.cond);
	vfwd_mutex_unlock(&ops_lock);
	pthread_join(ops.thread, NULL);
	ops.started = false;
	vfwd_ops_complete();
	close(ops.efd);
	ops.efd = -1;
}
