/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "journal.h"
#include "log.h"

static enum vfwd_log_target log_target = VFWD_LOG_STDERR;
static int log_level = LOG_INFO;
static bool journal;   /* stderr is systemd's journal */

static const char *const level_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug",
};

void
vfwd_log_init(enum vfwd_log_target target, int level)
{
	log_target = target;
	log_level = level;
	/* Under systemd: each line with its priority (see journal.h). */
	journal = target == VFWD_LOG_STDERR && vfwd_journal_stream(STDERR_FILENO);
	if (target == VFWD_LOG_SYSLOG)
		openlog("virtio-forwarder", LOG_PID, LOG_DAEMON);
}

static void
log_write(int level, const char *msg, size_t len)
{
	/* Trailing newlines come with DPDK's lines; ours have none. */
	while (len > 0 && msg[len - 1] == '\n')
		len--;
	if (log_target == VFWD_LOG_SYSLOG) {
		syslog(level, "%.*s", (int)len, msg);
		return;
	}
	/* One fprintf per line keeps lines from different threads whole. */
	if (journal) {
		fprintf(stderr, "<%d>%.*s\n", level & 7, (int)len, msg);
		return;
	}
	fprintf(stderr, "virtio-forwarder[%s]: %.*s\n", level_names[level & 7],
		(int)len, msg);
}

void
vfwd_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	log_write(level, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/* DPDK levels are syslog levels plus one. */
static ssize_t
dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	int level = (int)rte_log_cur_msg_loglevel() - 1;

	(void)cookie;
	if (level < 0 || level > LOG_DEBUG)
		level = LOG_INFO;
	log_write(level, buf, size);
	return (ssize_t)size;
}

void
vfwd_log_take_over_dpdk(void)
{
	static const cookie_io_functions_t fns = { .write = dpdk_log_write };
	FILE *f = fopencookie(NULL, "w", fns);

	if (f == NULL)
		return;
	setvbuf(f, NULL, _IOLBF, 0);
	rte_openlog_stream(f);
}
