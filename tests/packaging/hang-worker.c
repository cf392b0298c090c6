/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hang-worker PID [TIMEOUT_S]: makes one worker thread of the daemon PID
 * hang, and only it, the way tests/integration/test_service.py does:
 * seize the thread with ptrace and stop it (PTRACE_INTERRUPT).  The
 * daemon's other threads keep running, so only its watchdog logic can
 * tell systemd that something is wrong.
 *
 * Built statically by the package test and run in the systemd guest,
 * which has no compiler and no Python.  It keeps the thread stopped
 * until the process dies (killed by systemd's watchdog): it reaps the
 * thread's exit, without which the dying process could not finish.
 * After TIMEOUT_S seconds (default 120) it lets go and exits 1.
 *
 * Prints "stopped TID" once the thread is stopped, "gone" when it died.
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t tid = -1;

static void
on_alarm(int sig)
{
	(void)sig;
	ptrace(PTRACE_DETACH, tid, NULL, NULL);
	fprintf(stderr, "hang-worker: timeout: the process did not die\n");
	_exit(1);
}

/* The first thread of 'pid' whose name is DPDK's worker name. */
static pid_t
worker_tid(pid_t pid)
{
	char path[320], comm[64];
	struct dirent *e;
	pid_t found = -1;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (d == NULL)
		return -1;
	while (found < 0 && (e = readdir(d)) != NULL) {
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/comm", (int)pid, e->d_name);
		f = fopen(path, "r");
		if (f == NULL)
			continue;
		if (fgets(comm, sizeof(comm), f) != NULL &&
		    (strncmp(comm, "rte-worker", 10) == 0 ||
		     strncmp(comm, "lcore-worker", 12) == 0))
			found = (pid_t)atoi(e->d_name);
		fclose(f);
	}
	closedir(d);
	return found;
}

int
main(int argc, char **argv)
{
	int status, timeout = argc > 2 ? atoi(argv[2]) : 120;
	pid_t pid;

	if (argc < 2 || (pid = (pid_t)atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: hang-worker PID [TIMEOUT_S]\n");
		return 2;
	}
	tid = worker_tid(pid);
	if (tid < 0) {
		fprintf(stderr, "hang-worker: no worker thread in process %d\n", (int)pid);
		return 1;
	}
	if (ptrace(PTRACE_SEIZE, tid, NULL, NULL) != 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, NULL, NULL) != 0) {
		fprintf(stderr, "hang-worker: ptrace %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	if (waitpid(tid, &status, __WALL) != tid) {
		fprintf(stderr, "hang-worker: waitpid %d: %s\n", (int)tid, strerror(errno));
		return 1;
	}
	printf("stopped %d\n", (int)tid);
	fflush(stdout);
	signal(SIGALRM, on_alarm);
	alarm((unsigned int)timeout);
	/* Stops are left stopped (never PTRACE_CONT); only the exit ends it. */
	for (;;) {
		if (waitpid(tid, &status, __WALL) < 0) {
			if (errno == EINTR)
				continue;
			break;          /* ECHILD: already reaped */
		}
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
	}
	printf("gone\n");
	return 0;
}
