/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tools' printing of the daemon's answers: tables, JSON, flat
 * key=value lines, load bars, and 1.x's formats.  Part of the tools'
 * client library; no I/O but the FILE given, so the unit tests drive it.
 */
#ifndef VFWD_CTL_OUTPUT_H
#define VFWD_CTL_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

#include "config.h"
#include "virtioforwarder.pb-c.h"

/* Prints a StatsResponse as a table; 'queues' adds the per-queue lines. */
void ctl_print_stats_table(FILE *f, const Virtioforwarder__StatsResponse *r,
			   bool queues);

/* Prints any message as JSON ('compact': one line) or as flat key=value
 * lines.  Returns 0 or -ENOMEM. */
int ctl_print_json(FILE *f, const ProtobufCMessage *m, bool compact);
void ctl_print_flat(FILE *f, const ProtobufCMessage *m);

/* Prints one bar per worker of 'r' (only those in 'only', unless NULL). */
void ctl_print_load(FILE *f, const Virtioforwarder__StatsResponse *r,
		    const struct vfwd_cpuset *only);

/*
 * Prints a message in the protobuf text format, as 1.x's Python tools
 * printed replies ("status: ERROR", nested "relay {" blocks, strings
 * quoted and escaped, floats as Python writes them), with only the
 * fields 1.x knew: its tools skipped the new ones.
 */
void ctl_print_text(FILE *f, const ProtobufCMessage *m);

/*
 * Prints a StatsResponse in 1.x's flat format: "relay_1.active=True",
 * "relay_1.vf_to_vm.cpu_1.pkts_rx_from_vf=N"..., relays in id order, an
 * inactive one with all its fields as 1.x did (its counters under
 * "cpu_-1" when it has no worker); 'suppress_zero' leaves out the
 * statistics that are zero (-z).
 */
void ctl_print_flat_1x(FILE *f, const Virtioforwarder__StatsResponse *r,
		       bool suppress_zero);

/* Writes 'v' as Python's repr() of a float does ("0.0", "1e+16"). */
void ctl_python_float(double v, char *buf, size_t len);

#endif /* VFWD_CTL_OUTPUT_H */
