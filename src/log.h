/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon's log: syslog levels 0-7 (VIRTIOFWD_LOG_LEVEL), written to
 * stderr (the journal picks it up when run by systemd, each line with its
 * priority) or to syslog (--nodaemon=log_syslog).  DPDK's own messages are routed the same way.
 *
 * Never call these on the per-packet path.
 */
#ifndef VFWD_LOG_H
#define VFWD_LOG_H

#include <syslog.h>

#include "config.h"
#include "ratelimit.h"

/* Sets where lines go and the most verbose level written. */
void vfwd_log_init(enum vfwd_log_target target, int level);

/* Routes DPDK's log through ours; call once EAL is up. */
void vfwd_log_take_over_dpdk(void);

/* Writes one line at syslog 'level' (LOG_ERR, LOG_INFO, ...). */
void vfwd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Writes one line at 'level' unless the limiter 'rl' holds it back; the
 * first line let through after some were held back says how many.  For
 * lines a guest, a peer or a remote client can trigger over and over.
 */
void vfwd_log_rl(struct vfwd_ratelimit *rl, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* What each call site of the VLOG_*_RL macros lets through: a burst of
 * this many lines per window, then only a count until the window ends. */
#define VFWD_LOG_RL_BURST 10
#define VFWD_LOG_RL_WINDOW_MS 5000

/* Rate-limited logging, each call site with its own limiter. */
#define VLOG_RL(level, ...) do {                                            \
		static struct vfwd_ratelimit vlog_rl_ =                     \
			VFWD_RATELIMIT_INIT(VFWD_LOG_RL_BURST,              \
					    VFWD_LOG_RL_WINDOW_MS);         \
		vfwd_log_rl(&vlog_rl_, (level), __VA_ARGS__);               \
	} while (0)
#define VLOG_ERR_RL(...)  VLOG_RL(LOG_ERR, __VA_ARGS__)
#define VLOG_WARN_RL(...) VLOG_RL(LOG_WARNING, __VA_ARGS__)
#define VLOG_INFO_RL(...) VLOG_RL(LOG_INFO, __VA_ARGS__)

#define VLOG_ERR(...)   vfwd_log(LOG_ERR, __VA_ARGS__)
#define VLOG_WARN(...)  vfwd_log(LOG_WARNING, __VA_ARGS__)
#define VLOG_NOTICE(...) vfwd_log(LOG_NOTICE, __VA_ARGS__)
#define VLOG_INFO(...)  vfwd_log(LOG_INFO, __VA_ARGS__)
#define VLOG_DBG(...)   vfwd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* VFWD_LOG_H */
