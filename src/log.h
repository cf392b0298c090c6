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

/* Sets where lines go and the most verbose level written. */
void vfwd_log_init(enum vfwd_log_target target, int level);

/* Routes DPDK's log through ours; call once EAL is up. */
void vfwd_log_take_over_dpdk(void);

/* Writes one line at syslog 'level' (LOG_ERR, LOG_INFO, ...). */
void vfwd_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define VLOG_ERR(...)   vfwd_log(LOG_ERR, __VA_ARGS__)
#define VLOG_WARN(...)  vfwd_log(LOG_WARNING, __VA_ARGS__)
#define VLOG_NOTICE(...) vfwd_log(LOG_NOTICE, __VA_ARGS__)
#define VLOG_INFO(...)  vfwd_log(LOG_INFO, __VA_ARGS__)
#define VLOG_DBG(...)   vfwd_log(LOG_DEBUG, __VA_ARGS__)

#endif /* VFWD_LOG_H */
