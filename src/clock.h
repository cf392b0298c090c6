/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The monotonic clock, in the units its users count in.  One clock for the
 * whole daemon: CLOCK_MONOTONIC, close to the kernel log's stamps, so that
 * times the daemon logs (a device removal's handover, say) can be read
 * beside the kernel's.  Control code only: the per-packet path counts TSC
 * cycles.
 */
#ifndef VFWD_CLOCK_H
#define VFWD_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds of CLOCK_MONOTONIC. */
static inline uint64_t
vfwd_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Microseconds of CLOCK_MONOTONIC. */
static inline uint64_t
vfwd_mono_us(void)
{
	return vfwd_mono_ns() / 1000u;
}

/* Milliseconds of CLOCK_MONOTONIC. */
static inline uint64_t
vfwd_mono_ms(void)
{
	return vfwd_mono_ns() / 1000000u;
}

/* Seconds of CLOCK_MONOTONIC, with their fraction. */
static inline double
vfwd_mono_s(void)
{
	return (double)vfwd_mono_ns() / 1e9;
}

#endif /* VFWD_CLOCK_H */
