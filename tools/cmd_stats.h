/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stats and load commands of vfwdctl (cmd_stats.c), and the live load
 * view that the 1.x tool virtioforwarder_monitor_load.py shows too.
 */
#ifndef VFWD_CMD_STATS_H
#define VFWD_CMD_STATS_H

#include <stdbool.h>

#include "config.h"
#include "ctl.h"

/* The stats and load commands, with their command lines (argv[0] is the
 * command word); they return the exit status. */
int ctl_cmd_stats(struct ctl *c, int argc, char **argv);
int ctl_cmd_load(struct ctl *c, int argc, char **argv);

/*
 * The live load view: a frame every 'interval' seconds until Ctrl-C, or
 * one with 'once'; only the workers in 'only', unless it is NULL.
 * Returns the exit status.
 */
int ctl_load_run(struct ctl *c, double interval, bool once,
		 const struct vfwd_cpuset *only);

#endif /* VFWD_CMD_STATS_H */
