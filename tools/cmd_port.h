/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port control commands of vfwdctl (cmd_port.c): add, remove,
 * add_sock, remove_sock, query and profile.
 */
#ifndef VFWD_CMD_PORT_H
#define VFWD_CMD_PORT_H

#include "ctl.h"

/* The port control command to run; CTL_PORT_NONE marks the commands of
 * vfwdctl's table that are not port control. */
enum ctl_port_op {
	CTL_PORT_NONE = -1,
	CTL_PORT_ADD = 0,
	CTL_PORT_REMOVE,
	CTL_PORT_ADD_SOCK,
	CTL_PORT_REMOVE_SOCK,
	CTL_PORT_QUERY,
	CTL_PORT_PROFILE,            /* SET_PROFILE */
};

/* Runs port control command 'op' with its command line (argv[0] is the
 * command word); returns the exit status. */
int ctl_cmd_port(struct ctl *c, enum ctl_port_op op, int argc, char **argv);

#endif /* VFWD_CMD_PORT_H */
