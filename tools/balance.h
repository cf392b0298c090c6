/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CPU load balancer's plan: which worker CPU should serve each relay
 * direction so that the packet load spreads evenly.  Pure computation, no
 * I/O, so the unit tests can drive it with made-up loads and NUMA nodes;
 * cmd_balance.c feeds it from the daemon's stats and applies its answer.
 */
#ifndef VFWD_BALANCE_H
#define VFWD_BALANCE_H

#include <stdbool.h>

/* At most this many worker CPUs and tasks (64 relays, two directions). */
#define BAL_MAX_CPUS 128
#define BAL_MAX_TASKS 128

/* A worker CPU and its NUMA node. */
struct bal_cpu {
	int cpu;
	int node;
};

/*
 * One relay direction: its load (packets per second received), the NUMA
 * node of its relay (-1: any) and the worker CPU serving it now (-1: none,
 * or not a worker).  'fixed' keeps it where it is (pinned by the operator
 * and the balancer told to respect pins).
 */
struct bal_task {
	unsigned int relay;
	unsigned int dir;
	double load;
	int node;
	int cpu;
	bool fixed;
};

/*
 * Computes a new worker for every task into 'plan' (a CPU number per
 * task): heaviest first, each on the least-loaded allowed worker, the
 * current one winning ties so that nothing moves without a gain.  Allowed
 * are the workers on the task's node, or all when 'any_node' or when its
 * node has none.  Fixed tasks stay where they are; idle ones (load 0)
 * too if that is a worker.  Returns 0, or -EINVAL when there is no worker or
 * too many of anything.
 */
int bal_plan(const struct bal_cpu *cpus, unsigned int n_cpus,
	     const struct bal_task *tasks, unsigned int n_tasks, bool any_node,
	     int *plan);

/*
 * The spread of the load when task i runs on CPU assign[i]: the
 * coefficient of variation (standard deviation over mean) of the
 * per-worker loads, computed per NUMA node and the worst node's returned
 * (over all workers when 'any_node'); 0 when there is no load.  Tasks on
 * a CPU that is not a worker count for nobody.
 */
double bal_cv(const struct bal_cpu *cpus, unsigned int n_cpus,
	      const struct bal_task *tasks, unsigned int n_tasks, const int *assign,
	      bool any_node);

/*
 * Whether moving from 'cv_now' to 'cv_plan' is worth it: the plan must
 * lower the coefficient of variation by at least 'sensitivity'
 * (VIO4WD_CORE_SCHED_SENSITIVITY), and by something when that is 0.
 */
bool bal_worth_it(double cv_now, double cv_plan, double sensitivity);

#endif /* VFWD_BALANCE_H */
