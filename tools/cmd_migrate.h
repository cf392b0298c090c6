/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The migrate-check command of vfwdctl (cmd_migrate.c).
 */
#ifndef VFWD_CMD_MIGRATE_H
#define VFWD_CMD_MIGRATE_H

#include "ctl.h"

/* migrate-check: does the destination (a relay of a running daemon, a
 * vhost-user socket or a configuration file) offer what the guest
 * negotiated on the source relay?  argv[0] is the command word; returns
 * the exit status. */
int ctl_cmd_migrate_check(struct ctl *c, int argc, char **argv);

#endif /* VFWD_CMD_MIGRATE_H */
