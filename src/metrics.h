/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics: an HTTP endpoint (libmicrohttpd, its own thread)
 * serving the relays' and workers' counters in Prometheus' text format,
 * when VIRTIOFWD_METRICS_EP is set.
 *
 * A scrape reads counters the way the stats service does (lock-free sums
 * of the workers' counters, and the relay table under its lock); it never
 * runs on the control thread, so a slow or hostile client cannot stall the
 * control sources, and connections are bounded in number, memory and time.
 */
#ifndef VFWD_METRICS_H
#define VFWD_METRICS_H

#include <stddef.h>

/*
 * Starts serving on 'ep' ("PORT", "IPV4:PORT" or "[IPV6]:PORT"; see
 * vfwd_parse_listen()).  -errno with the reason in 'err' when the address
 * cannot be bound.
 */
int vfwd_metrics_start(const char *ep, char *err, size_t errlen);

/* Stops serving; nothing when not started. */
void vfwd_metrics_stop(void);

#endif /* VFWD_METRICS_H */
