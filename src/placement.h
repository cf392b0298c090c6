/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placement of relay directions on workers, kept free of DPDK so that the
 * unit tests can check it.
 */
#ifndef VFWD_PLACEMENT_H
#define VFWD_PLACEMENT_H

/*
 * Picks the least loaded of 'n' workers (n > 0) whose loads (directions
 * assigned) are in 'load'; the lowest index wins ties, so placement is
 * predictable for operators reading the stats.
 */
static inline unsigned int
vfwd_place_least_loaded(const unsigned int *load, unsigned int n)
{
	unsigned int i, best = 0;

	for (i = 1; i < n; i++)
		if (load[i] < load[best])
			best = i;
	return best;
}

#endif /* VFWD_PLACEMENT_H */
