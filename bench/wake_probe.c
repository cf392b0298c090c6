/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * wake-probe: what waking a sleeping thread costs on this machine, the
 * floor under what adaptive polling can add to a packet's latency.
 *
 * A sleeper thread on one CPU waits in epoll_wait() on an eventfd, as an
 * adaptive worker waits on its kick eventfds.  The main thread, on
 * another CPU, takes the time, writes the eventfd (the guest's kick) and
 * spins until the sleeper has taken the time again on its return.  The
 * difference is one wake-up: the write, the scheduler, and an idle CPU
 * coming back (on a virtual machine, its exit from HLT).  One wake every
 * --interval microseconds, --count of them.  Like an adaptive worker, the
 * sleeper wakes on its own every --timeout microseconds (the daemon's
 * VIRTIOFWD_POLL_SLEEP_MAX_US, 1000 by default; rounded up to whole
 * milliseconds): how long a CPU has been idle changes how fast it wakes.
 *
 * Output: "wake n=N p50=.. p99=.. p999=.. max=.." in microseconds, then
 * with --raw a "samples wake us..." line.  Used by bench/latency.sh.
 *
 *   wake-probe --cpu MAIN --sleeper-cpu CPU --interval US --count N
 *              [--timeout US] [--raw]
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_COUNT 1000000

static int efd, epfd;
static int timeout_ms = 1;
static _Atomic uint64_t woke_at;   /* the sleeper's time on return, 0: not yet */
static atomic_bool done;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *
sleeper(void *arg)
{
	struct epoll_event ev;
	uint64_t v, t;

	if (pin(*(int *)arg) != 0) {
		fprintf(stderr, "wake-probe: cannot pin the sleeper to CPU %d\n", *(int *)arg);
		exit(1);
	}
	while (!atomic_load(&done)) {
		int n = epoll_wait(epfd, &ev, 1, timeout_ms);

		if (n < 0 && errno != EINTR) {
			perror("wake-probe: epoll_wait");
			exit(1);
		}
		if (n <= 0)
			continue;
		/* The time first, published after the read: the next write
		 * cannot come before the counter is back to 0, so every write
		 * raises its own event. */
		t = now_ns();
		if (read(efd, &v, sizeof(v)) != sizeof(v) && errno != EAGAIN) {
			perror("wake-probe: read");
			exit(1);
		}
		atomic_store(&woke_at, t);
	}
	return NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, unsigned int n, double p)
{
	unsigned int i = (unsigned int)(p / 100.0 * (n - 1) + 0.5);

	return v[i < n ? i : n - 1] / 1000.0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cpu", required_argument, NULL, 'c' },
		{ "sleeper-cpu", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "raw", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct epoll_event ev = { .events = EPOLLIN };
	int cpu = 0, sleeper_cpu = 1, opt;
	long interval_us = 1000, count = 1000, timeout_us = 1000;
	bool raw = false;
	uint64_t *lat;
	pthread_t th;
	long k;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': cpu = atoi(optarg); break;
		case 's': sleeper_cpu = atoi(optarg); break;
		case 'i': interval_us = atol(optarg); break;
		case 'n': count = atol(optarg); break;
		case 't':
			timeout_us = strtol(optarg, NULL, 10);
			break;
		case 'r': raw = true; break;
		default:
			fprintf(stderr, "usage: wake-probe --cpu CPU --sleeper-cpu CPU "
				"--interval US --count N [--timeout US] [--raw]\n");
			return 2;
		}
	}
	if (count < 1 || count > MAX_COUNT || interval_us < 1 || timeout_us < 1 ||
	    timeout_us > 100000000 || cpu == sleeper_cpu) {
		fprintf(stderr, "wake-probe: need --count 1-%d, --interval > 0, --timeout "
			"1-100000000 and two different CPUs\n", MAX_COUNT);
		return 2;
	}
	timeout_ms = (int)((timeout_us + 999) / 1000);
	lat = calloc((size_t)count, sizeof(*lat));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (lat == NULL || efd < 0 || epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, efd, &ev) != 0) {
		perror("wake-probe: setup");
		return 1;
	}
	if (pin(cpu) != 0) {
		fprintf(stderr, "wake-probe: cannot pin to CPU %d\n", cpu);
		return 1;
	}
	if (pthread_create(&th, NULL, sleeper, &sleeper_cpu) != 0) {
		fprintf(stderr, "wake-probe: cannot start the sleeper\n");
		return 1;
	}
	usleep(100000);
	for (k = 0; k < count; k++) {
		uint64_t one = 1, t0, next = now_ns() + (uint64_t)interval_us * 1000u, w;

		/* Sleep most of the gap, spin the rest: the main CPU stays
		 * awake for the send, as a busy-polling guest's would. */
		if (interval_us > 200)
			usleep((useconds_t)(interval_us - 100));
		while (now_ns() < next)
			;
		atomic_store(&woke_at, 0);
		t0 = now_ns();
		if (write(efd, &one, sizeof(one)) != sizeof(one)) {
			perror("wake-probe: write");
			return 1;
		}
		while ((w = atomic_load(&woke_at)) == 0)
			;
		lat[k] = w - t0;
	}
	atomic_store(&done, true);
	pthread_join(th, NULL);
	if (raw) {
		printf("samples wake");
		for (k = 0; k < count; k++)
			printf(" %.1f", lat[k] / 1000.0);
		printf("\n");
	}
	qsort(lat, (size_t)count, sizeof(*lat), cmp_u64);
	printf("wake n=%ld p50=%.1f p99=%.1f p999=%.1f max=%.1f\n", count,
	       pct(lat, (unsigned int)count, 50), pct(lat, (unsigned int)count, 99),
	       pct(lat, (unsigned int)count, 99.9), lat[count - 1] / 1000.0);
	free(lat);
	return 0;
}
