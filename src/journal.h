/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Whether an output goes to systemd's journal, for the daemon's log and
 * the load balancer's messages: lines written there may start with their
 * syslog priority ("<3>"), which journald takes as the message's priority
 * (journalctl -p) instead of "info" for all.
 */
#ifndef VFWD_JOURNAL_H
#define VFWD_JOURNAL_H

#include <stdbool.h>

/* Whether 'fd' is the stream systemd connected to the journal: it sets
 * JOURNAL_STREAM to that stream's "device:inode" (systemd.exec(5)), which
 * a program started from a service but writing into a pipe does not
 * have. */
bool vfwd_journal_stream(int fd);

#endif /* VFWD_JOURNAL_H */
