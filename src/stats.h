/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: the dump printed on SIGUSR1, and the rates served by the
 * stats service.  Rates come from the daemon's own samples of the
 * counters, taken every VFWD_STATS_SAMPLE_MS by the main loop, so that
 * any number of clients can ask for rates over any window without
 * waiting and without disturbing each other (1.x slept in the service
 * and reset a shared baseline).
 */
#ifndef VFWD_STATS_H
#define VFWD_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "dataplane.h"

/* Sampling period, and how far back samples reach. */
#define VFWD_STATS_SAMPLE_MS 100
#define VFWD_STATS_SAMPLES 101     /* 10 s of history */
/* Window of the rates when a client asks for none (delay = 0). */
#define VFWD_STATS_DEFAULT_WINDOW_MS 1000

/* Packet and byte rates of one direction: what came in, what went out. */
struct vfwd_dir_rates {
	float rx_pps, rx_bps;       /* bytes per second, despite the name */
	float tx_pps, tx_bps;
};

/* Takes a sample of every relay's and worker's counters. */
void vfwd_stats_sample(void);

/*
 * Rates of relay 'id' over about 'window_ms' (clamped to the history
 * kept; 0 picks the default window).  Zero before two samples exist.
 */
void vfwd_stats_rates(unsigned int id, unsigned int window_ms,
		      struct vfwd_dir_rates out[VFWD_N_DIRS]);

/* Busy share (0-1) of worker 'w' over about 'window_ms'. */
float vfwd_stats_worker_load(unsigned int w, unsigned int window_ms);

/* Share (0-1) of that time worker 'w' spent asleep (adaptive mode). */
float vfwd_stats_worker_sleep(unsigned int w, unsigned int window_ms);

/* Writes the state and counters of every relay in use to 'f', and the
 * packet buffers all relays hold ("buffers pools= mbufs= in_use="). */
void vfwd_stats_dump(FILE *f);

#endif /* VFWD_STATS_H */
