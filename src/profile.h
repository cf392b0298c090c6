/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relays' VF port profiles (vfprofile.h) applied to their devices: through
 * the VF's PF over rtnetlink (vfport.h) when the PF is in this host's
 * kernel, else the MAC alone through the device's own DPDK driver.  A
 * profile belongs to its relay and outlives its devices: it is applied
 * whenever a device attaches (port control, a static device, one that
 * reappears), again after the driver reports a reset, and for a learned
 * MAC whenever the guest's source MAC changes; at detach, what the daemon
 * changed on a VF is put back as it found it.
 *
 * Called by relay.c (attach and detach, with its lock held), the port
 * control sources (setting a profile) and the control thread (the tick).
 * profile_lock, below relay_lock, guards the table; a netlink exchange is
 * made with it held, each bounded by vfport.c's timeout.  The stats read
 * what the last change published, under a leaf lock of their own, and
 * never wait for a PF.
 */
#ifndef VFWD_PROFILE_H
#define VFWD_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "vfprofile.h"

/* Takes the profiles of the configuration (VIRTIOFWD_VF_PROFILES). */
void vfwd_profile_init(const struct vfwd_config *cfg);

/* Puts back what the daemon changed on every VF still attached. */
void vfwd_profile_fini(void);

/*
 * Replaces relay 'id''s profile with 'p' (an empty one: none) and
 * applies it to the relay's devices, if any.  Refusals of the PF are not
 * errors of the call: they are logged, and shown in the relay's stats.
 */
void vfwd_profile_set(unsigned int id, const struct vfwd_vf_profile *p);

/*
 * Relay 'id' got devices: 'names' (the device's spec, or each member of a
 * bond) on DPDK ports 'ports'.  Applies the relay's profile to each.
 */
void vfwd_profile_attached(unsigned int id, const char *const *names,
			   const uint16_t *ports, unsigned int n);

/* Relay 'id' lost its devices: puts back what was changed on them. */
void vfwd_profile_detached(unsigned int id);

/*
 * Called every VFWD_STATS_SAMPLE_MS by the control thread: applies MACs
 * the data path learned since, and the profiles of devices whose driver
 * reported a reset.
 */
void vfwd_profile_tick(void);

/* What stats show of relay 'id''s profile: the profile as text, the
 * MAC learned ("" when none) and what became of each setting. */
struct vfwd_profile_info {
	char profile[VFWD_VF_PROFILE_TEXT_MAX];
	char learned_mac[18];
	char status[512];
};
void vfwd_profile_info(unsigned int id, struct vfwd_profile_info *info);

#endif /* VFWD_PROFILE_H */
