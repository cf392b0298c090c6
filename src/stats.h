/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: a dump of every relay's state and counters, printed on
 * SIGUSR1 (and at exit) until the ZeroMQ stats service exists.  One relay
 * per block, "key=value" fields, so that scripts can read it.
 */
#ifndef VFWD_STATS_H
#define VFWD_STATS_H

#include <stdio.h>

/* Writes the state and counters of every relay in use to 'f'. */
void vfwd_stats_dump(FILE *f);

#endif /* VFWD_STATS_H */
