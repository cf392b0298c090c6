/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin command of vfwdctl (cmd_pin.c): the relay-to-CPU map.
 */
#ifndef VFWD_CMD_PIN_H
#define VFWD_CMD_PIN_H

#include "ctl.h"

/* Shows or changes the relay-to-CPU map, or lists the worker CPUs, as
 * its command line (argv[0] is the command word) says; returns the exit
 * status. */
int ctl_cmd_pin(struct ctl *c, int argc, char **argv);

#endif /* VFWD_CMD_PIN_H */
