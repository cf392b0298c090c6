/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The balancer's plan.  Spreading relay directions over workers is a
 * multiprocessor scheduling problem; the greedy "largest first, onto the
 * least-loaded worker" rule is within 4/3 of the optimum and, with ties
 * broken towards the current worker, leaves a balanced host alone, which
 * matters more here than the last few percent: every move costs the
 * relay a grace period of the worker handover.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "balance.h"

static int
cpu_index(const struct bal_cpu *cpus, unsigned int n_cpus, int cpu)
{
	unsigned int i;

	for (i = 0; i < n_cpus; i++)
		if (cpus[i].cpu == cpu)
			return (int)i;
	return -1;
}

/* Sort order of the plan: heaviest first, then by relay and direction so
 * that equal loads give the same plan on every round. */
static const struct bal_task *sort_tasks;

static int
by_load_desc(const void *a, const void *b)
{
	const struct bal_task *x = &sort_tasks[*(const unsigned int *)a];
	const struct bal_task *y = &sort_tasks[*(const unsigned int *)b];

	if (x->load != y->load)
		return x->load > y->load ? -1 : 1;
	if (x->relay != y->relay)
		return x->relay < y->relay ? -1 : 1;
	return x->dir < y->dir ? -1 : x->dir > y->dir;
}

static bool
allowed(const struct bal_cpu *c, const struct bal_task *t, bool any_node,
	bool node_has_cpu)
{
	return any_node || t->node < 0 || !node_has_cpu || c->node == t->node;
}

int
bal_plan(const struct bal_cpu *cpus, unsigned int n_cpus,
	 const struct bal_task *tasks, unsigned int n_tasks, bool any_node,
	 int *plan)
{
	double sum[BAL_MAX_CPUS] = { 0 };
	unsigned int order[BAL_MAX_TASKS];
	unsigned int i, k;

	if (n_cpus == 0 || n_cpus > BAL_MAX_CPUS || n_tasks > BAL_MAX_TASKS)
		return -EINVAL;

	/* What does not move is placed first: the others balance around it. */
	for (i = 0; i < n_tasks; i++) {
		int at = cpu_index(cpus, n_cpus, tasks[i].cpu);

		plan[i] = -1;
		/* A fixed task stays even off the workers: the operator's pin
		 * is not ours to change, and the daemon refuses bad CPUs. */
		if (tasks[i].fixed || (at >= 0 && !(tasks[i].load > 0))) {
			plan[i] = tasks[i].cpu;
			if (at >= 0)
				sum[at] += tasks[i].load > 0 ? tasks[i].load : 0;
		}
		order[i] = i;
	}
	sort_tasks = tasks;
	qsort(order, n_tasks, sizeof(order[0]), by_load_desc);

	for (k = 0; k < n_tasks; k++) {
		const struct bal_task *t = &tasks[order[k]];
		bool node_has_cpu = false;
		int best = -1;

		if (plan[order[k]] >= 0)
			continue;
		for (i = 0; i < n_cpus; i++)
			if (cpus[i].node == t->node)
				node_has_cpu = true;
		for (i = 0; i < n_cpus; i++) {
			if (!allowed(&cpus[i], t, any_node, node_has_cpu))
				continue;
			if (best < 0 || sum[i] < sum[best] ||
			    (sum[i] == sum[best] && cpus[i].cpu == t->cpu))
				best = (int)i;
		}
		/* allowed() admits every worker when the node has none. */
		plan[order[k]] = cpus[best].cpu;
		sum[best] += t->load > 0 ? t->load : 0;
	}
	return 0;
}

/* The coefficient of variation of the loads of the workers for which
 * in_group[] is true. */
static double
group_cv(const double *sum, const bool *in_group, unsigned int n_cpus)
{
	double mean = 0, var = 0;
	unsigned int i, n = 0;

	for (i = 0; i < n_cpus; i++)
		if (in_group[i]) {
			mean += sum[i];
			n++;
		}
	if (n == 0)
		return 0;
	mean /= n;
	if (!(mean > 0))
		return 0;
	for (i = 0; i < n_cpus; i++)
		if (in_group[i])
			var += (sum[i] - mean) * (sum[i] - mean);
	return sqrt(var / n) / mean;
}

double
bal_cv(const struct bal_cpu *cpus, unsigned int n_cpus,
       const struct bal_task *tasks, unsigned int n_tasks, const int *assign,
       bool any_node)
{
	double sum[BAL_MAX_CPUS] = { 0 }, worst = 0;
	bool in_group[BAL_MAX_CPUS], done[BAL_MAX_CPUS] = { false };
	unsigned int i, j;

	if (n_cpus == 0 || n_cpus > BAL_MAX_CPUS)
		return 0;
	for (i = 0; i < n_tasks; i++) {
		int at = cpu_index(cpus, n_cpus, assign[i]);

		if (at >= 0 && tasks[i].load > 0)
			sum[at] += tasks[i].load;
	}
	/* One group per node (relays stay on theirs: idle workers of another
	 * node must not make a crowded node look balanced), or one in all. */
	for (i = 0; i < n_cpus; i++) {
		double cv;

		if (done[i])
			continue;
		for (j = 0; j < n_cpus; j++) {
			in_group[j] = any_node || cpus[j].node == cpus[i].node;
			done[j] = done[j] || in_group[j];
		}
		cv = group_cv(sum, in_group, n_cpus);
		if (cv > worst)
			worst = cv;
	}
	return worst;
}

bool
bal_worth_it(double cv_now, double cv_plan, double sensitivity)
{
	return cv_plan < cv_now && cv_now - cv_plan >= sensitivity;
}
