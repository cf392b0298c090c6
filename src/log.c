/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_log.h>

#include "ctl_slice.h"
#include "journal.h"
#include "log.h"
#include "parse.h"

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
log_write(int level, const char *raw, size_t rawlen)
{
	/* Every byte escaped, and the rest of a 1024-byte line. */
	char msg[4 * 1024 + 1];
	size_t len;

	/* Trailing newlines come with DPDK's lines; ours have none. */
	while (rawlen > 0 && raw[rawlen - 1] == '\n')
		rawlen--;
	/* A line is UTF-8 and one line, whatever an outsider put in it (a
	 * device name, a path, a command file's bytes). */
	len = vfwd_text_escape(raw, rawlen, msg, sizeof(msg), NULL);
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

void
vfwd_log_rl(struct vfwd_ratelimit *rl, int level, const char *fmt, ...)
{
	char buf[1024];
	unsigned long suppressed;
	va_list ap;
	int n;

	/* Lines below the log level are neither written nor counted. */
	if (level > log_level || !vfwd_ratelimit_allow(rl, vfwd_mono_ms(), &suppressed))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	if (suppressed > 0)
		n += snprintf(buf + n, sizeof(buf) - (size_t)n, " [%lu more like this "
			      "suppressed in the last %u s]", suppressed,
			      rl->window_ms / 1000);
	log_write(level, buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
}

/*
 * DPDK's warnings and errors, one limiter per log type: a guest that sends
 * the vhost library bad messages over and over must not fill the journal
 * (OVS limits these the same way).  Types beyond the array share the last.
 */
#define DPDK_RL_TYPES 128
static struct vfwd_ratelimit dpdk_rl[DPDK_RL_TYPES] = {
	[0 ... DPDK_RL_TYPES - 1] = VFWD_RATELIMIT_INIT(20, 10000),
};

/* DPDK levels are syslog levels plus one. */
static ssize_t
dpdk_log_write(void *cookie, const char *buf, size_t size)
{
	int level = (int)rte_log_cur_msg_loglevel() - 1;
	int type = rte_log_cur_msg_logtype();
	unsigned long suppressed = 0;
	char note[96];

	(void)cookie;
	if (level < 0 || level > LOG_DEBUG)
		level = LOG_INFO;
	if (level <= LOG_WARNING) {
		if (type < 0 || type >= DPDK_RL_TYPES)
			type = DPDK_RL_TYPES - 1;
		if (!vfwd_ratelimit_allow(&dpdk_rl[type], vfwd_mono_ms(), &suppressed))
			return (ssize_t)size;
	}
	log_write(level, buf, size);
	if (suppressed > 0) {
		snprintf(note, sizeof(note), "[%lu more DPDK warnings of this kind "
			 "suppressed in the last 10 s]", suppressed);
		log_write(level, note, strlen(note));
	}
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
