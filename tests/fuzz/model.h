/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A model of the relay table for the fuzz targets: the functions of
 * relay.h (and the few of dataplane.h and stats.h the control sources
 * read), keeping the table in memory without DPDK, sockets or devices.
 * The real control sources and port control operations are linked on top
 * of it, so every request the fuzzer makes up goes through the daemon's
 * own parsing and checks.  Below it, the model applies the daemon's own
 * rules rather than copies of them: each relay's state is changed only by
 * the relay state machine (relay_state.c), with the events relay.c sends,
 * sockets going through their opening and closing states and guests
 * coming and going; devices are told apart by their EAL names
 * (vfwd_devspec_same()); dynamic socket paths pass sockpath.c's rules.
 * What it keeps of its own (which relays get a guest, which socket finds
 * a file in the way, what a bond probe refuses) is commented in model.c.
 * An argument the real relay layer would trust (a relay id out of range,
 * an unterminated or overlong string) aborts, as does an event the state
 * machine refuses where relay.c relies on it being taken;
 * vfwd_model_check() aborts when two relays share a device, a bond
 * member or a socket, or a socket is left half open or closed.
 * Interface names are mapped by the real ifmap.c on this host's /sys, as
 * the daemon does.
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
