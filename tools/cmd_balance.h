/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The balance command of vfwdctl (cmd_balance.c), the CPU load balancer
 * (1.x: vio4wd_core_scheduler), which the 1.x tool
 * virtioforwarder_core_scheduler.py runs too.
 */
#ifndef VFWD_CMD_BALANCE_H
#define VFWD_CMD_BALANCE_H

#include <stdbool.h>

#include "ctl.h"

/* balance, with its command line (argv[0] is the command word): the
 * command line, then the configuration file, give its settings.  Returns
 * the exit status. */
int ctl_cmd_balance(struct ctl *c, int argc, char **argv);

/* How the load balancer runs, whoever parsed its command line. */
struct ctl_balance {
	bool once;                       /* one round, then exit */
	bool dry_run;                    /* say what would move, move nothing */
	bool any_node;                   /* relays may go to any NUMA node */
	bool keep_pins;                  /* leave VIRTIOFWD_CPU_PINS' relays */
	double interval;                 /* seconds between rounds */
	double sensitivity;              /* how much better a plan must be */
	unsigned long log_level;         /* 0-7 */
};

/*
 * Runs the load balancer: one round with 'once', else rounds until SIGINT
 * or SIGTERM.  Returns the exit status.
 */
int ctl_balance_run(struct ctl *c, const struct ctl_balance *opts);

#endif /* VFWD_CMD_BALANCE_H */
