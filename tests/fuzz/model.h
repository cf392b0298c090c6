/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A model of the relay table for the fuzz targets: the functions of
 * relay.h (and the few of dataplane.h and stats.h the control sources
 * read), keeping the table in memory without DPDK, sockets or devices.
 * The real control sources and port control operations are linked on top
 * of it, so every request the fuzzer makes up goes through the daemon's
 * own parsing and checks, and reaches a table whose rules the model
 * enforces: an argument the real relay layer would trust (a relay id out
 * of range, an unterminated or overlong string) aborts, and
 * vfwd_model_check() aborts when two relays share a device, a bond
 * member or a socket.  Interface names are mapped by the real ifmap.c on
 * this host's /sys, as the daemon does.
 */
#ifndef VFWD_FUZZ_MODEL_H
#define VFWD_FUZZ_MODEL_H

#include <stdbool.h>

/* Empties the table; 'dynamic' is VIRTIOFWD_DYNAMIC_SOCKETS for port
 * control (sockets of relays otherwise exist from the start). */
void vfwd_model_reset(bool dynamic);

/* Aborts when the table breaks one of its rules. */
void vfwd_model_check(void);

/* Relays with a device, for the targets' own checks. */
unsigned int vfwd_model_n_devices(void);

#endif /* VFWD_FUZZ_MODEL_H */
