/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The six 1.x tool names (cmd_1x.c): vfwdctl run under one of them takes
 * that tool's 1.x command line and prints its 1.x output.
 */
#ifndef VFWD_CMD_1X_H
#define VFWD_CMD_1X_H

#include "ctl.h"

/* Which 1.x tool is 'base' (a program name, with or without ".py")?
 * Its index, or -1. */
int ctl_1x_index(const char *base);

/* Runs 1.x tool 'index' with its 1.x command line; returns the exit
 * status. */
int ctl_1x_run(struct ctl *c, int index, int argc, char **argv);

#endif /* VFWD_CMD_1X_H */
