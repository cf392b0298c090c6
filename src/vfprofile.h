/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A relay's VF port profile: what the daemon sets on the VF through its PF
 * so that the NIC's switch treats the VF as the VM's port (the guest's
 * MAC, a VLAN, anti-spoofing, trust, TX rates).  This file is the one
 * declaration of those settings: their names, values and limits, read the
 * same way from every source (the configuration file, ZeroMQ port
 * control, OVSDB, vfwdctl) and written back the same way for stats.
 * Free of DPDK and of netlink: applying a profile is relay.c's and
 * vfport.c's business.
 *
 * Text form: "mac=52:54:00:12:34:56,vlan=100,qos=3,spoofchk=on,trust=off,
 * max_tx_rate=1000,min_tx_rate=100"; any subset, each setting once.
 */
#ifndef VFWD_VFPROFILE_H
#define VFWD_VFPROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The settings of a profile, as bits of 'given'. */
#define VFWD_VFP_MAC         (1u << 0)
#define VFWD_VFP_VLAN        (1u << 1)
#define VFWD_VFP_QOS         (1u << 2)
#define VFWD_VFP_SPOOFCHK    (1u << 3)
#define VFWD_VFP_TRUST       (1u << 4)
#define VFWD_VFP_MAX_TX_RATE (1u << 5)
#define VFWD_VFP_MIN_TX_RATE (1u << 6)

/* The longest text form of a profile, NUL included. */
#define VFWD_VF_PROFILE_TEXT_MAX 160

/* A port profile: the settings given ('given'), with their values. */
struct vfwd_vf_profile {
	uint32_t given;          /* VFWD_VFP_* */
	bool mac_learn;          /* mac=learn: the guest's own, from its frames */
	uint8_t mac[6];          /* mac=XX:XX:XX:XX:XX:XX */
	uint16_t vlan;           /* 0-4095; 0: no VLAN */
	uint8_t qos;             /* 0-7, the VLAN's priority; needs a VLAN */
	bool spoofchk;           /* the PF drops frames with another source MAC */
	bool trust;              /* the VF may change its MAC, go promiscuous */
	uint32_t max_tx_rate;    /* Mb/s; 0: no limit */
	uint32_t min_tx_rate;    /* Mb/s; 0: no guarantee */
};

/* The number of settings, and the name of setting 'i' ("mac", "vlan"...),
 * in the order of the text form. */
size_t vfwd_vf_profile_n_settings(void);
const char *vfwd_vf_profile_setting_name(size_t i);

/* The VFWD_VFP_* bit of setting 'i'. */
uint32_t vfwd_vf_profile_setting_bit(size_t i);

/*
 * Applies one setting, 'name'=' value', to 'p' (unknown names and bad
 * values refused with what is allowed, in 'err'; 'p' then unchanged).
 * A setting given twice is refused.  Then the relations between settings
 * are not checked yet: see vfwd_vf_profile_check().
 */
int vfwd_vf_profile_set(struct vfwd_vf_profile *p, const char *name,
			const char *value, char *err, size_t errlen);

/*
 * Checks the relations between the settings of 'p': a QoS needs a VLAN;
 * a minimum rate cannot exceed a maximum.  0 or -EINVAL with 'err'.
 */
int vfwd_vf_profile_check(const struct vfwd_vf_profile *p, char *err,
			  size_t errlen);

/*
 * Parses the text form 'text' into 'p' (emptied first): settings
 * separated by ',', each NAME=VALUE, then checked as a whole.  An empty
 * text is an empty profile.  0, or -EINVAL with the setting and what is
 * allowed in 'err'.
 */
int vfwd_vf_profile_parse(const char *text, struct vfwd_vf_profile *p,
			  char *err, size_t errlen);

/* Writes the text form of 'p' (settings in table order, "" when empty). */
void vfwd_vf_profile_format(const struct vfwd_vf_profile *p, char *buf,
			    size_t len);

/* Writes one setting's value as vfwd_vf_profile_format() would (the
 * setting of index 'i' must be given). */
void vfwd_vf_profile_format_value(const struct vfwd_vf_profile *p, size_t i,
				  char *buf, size_t len);

#endif /* VFWD_VFPROFILE_H */
