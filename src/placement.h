/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Placement of relay directions on workers, kept free of DPDK so that the
 * unit tests can check it (tests/unit/test_placement.c).  dataplane.c
 * keeps the placements and the workers; the decisions are here.
 */
#ifndef VFWD_PLACEMENT_H
#define VFWD_PLACEMENT_H

#include <stdbool.h>

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

/*
 * Decides the workers of the 'n_dirs' directions of a relay that starts
 * needing them, among 'n_workers' workers (n_workers > 0) with loads
 * 'load' and NUMA nodes 'numa'.  A direction pinned to a worker
 * (pinned[d] >= 0, an index below n_workers) goes there; the unpinned
 * ones share the least loaded worker, so the relay's state stays in one
 * CPU's cache.  With 'dev_numa' >= 0 (VIRTIOFWD_CPU_NIC_SAME_NUMA and a
 * device on that node), only that node's workers are considered, unless
 * it has none.  Writes 'out'; returns true when the device's node had no
 * worker and another node's was taken, which the caller reports.
 */
static inline bool
vfwd_place_relay(const unsigned int *load, const int *numa, unsigned int n_workers,
		 int dev_numa, const int *pinned, unsigned int n_dirs, int *out)
{
	unsigned int i, best = n_workers;
	bool elsewhere = false;

	if (dev_numa >= 0) {
		for (i = 0; i < n_workers; i++)
			if (numa[i] == dev_numa && (best == n_workers || load[i] < load[best]))
				best = i;
		elsewhere = best == n_workers;
	}
	if (best == n_workers)
		best = vfwd_place_least_loaded(load, n_workers);
	for (i = 0; i < n_dirs; i++)
		out[i] = pinned[i] >= 0 ? pinned[i] : (int)best;
	return elsewhere;
}

#endif /* VFWD_PLACEMENT_H */
