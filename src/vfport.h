/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VF as its PF sees it: which PF and which VF index a PCI address is
 * (sysfs: the VF's physfn link, the PF's virtfnN links and net/), and the
 * PF-side settings of that VF, read and written over rtnetlink
 * (IFLA_VFINFO_LIST on the PF's netdev) the way `ip link set PF vf N ...`
 * does it.  The kernel's PF driver then programs the NIC's embedded
 * switch: which MAC reaches the VF, its VLAN, anti-spoofing, trust and
 * TX rate.
 *
 * Control code only (the control and operations threads): system calls,
 * no DPDK.  Every request is answered by the kernel before a call
 * returns, and a refusal comes back as a negative errno with a message
 * naming the VF, its PF and the setting.
 */
#ifndef VFWD_VFPORT_H
#define VFWD_VFPORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The groups of VF settings, as the kernel takes them: one netlink
 * attribute each (VLAN and QoS go together, so do the two rates). */
#define VFWD_VFS_MAC      (1u << 0)   /* IFLA_VF_MAC */
#define VFWD_VFS_VLAN     (1u << 1)   /* IFLA_VF_VLAN: vlan and qos */
#define VFWD_VFS_SPOOFCHK (1u << 2)   /* IFLA_VF_SPOOFCHK */
#define VFWD_VFS_TRUST    (1u << 3)   /* IFLA_VF_TRUST */
#define VFWD_VFS_RATE     (1u << 4)   /* IFLA_VF_RATE: min and max */

/* What a VF is set to, or is to be set to; 'set' says which groups of
 * fields mean something. */
struct vfwd_vf_settings {
	uint32_t set;                  /* VFWD_VFS_* */
	uint8_t mac[6];
	uint16_t vlan;                 /* 0-4095, 0: none */
	uint8_t qos;                   /* 0-7 */
	bool spoofchk;
	bool trust;
	uint32_t min_tx_rate;          /* Mb/s, 0: no minimum */
	uint32_t max_tx_rate;          /* Mb/s, 0: no limit */
};

/* Which VF of which PF a PCI device is. */
struct vfwd_vf_id {
	char vf_pci[16];               /* DDDD:BB:SS.F, as given */
	char pf_pci[16];
	char pf_ifname[IF_NAMESIZE];
	int pf_ifindex;
	unsigned int vf_index;
};

/*
 * Finds the PF of the PCI device 'pci' (DDDD:BB:SS.F) under the sysfs
 * root 'sysfs' ("/sys", or a test's tree): the PF from the device's
 * physfn link, the VF's index from the PF's virtfnN link that points back
 * to it, the PF's netdev (net/) and its ifindex.  Returns 0, or:
 * -ENOENT when the device does not exist or is not a VF of a PF in this
 * kernel (no physfn: a PF, a VF passed through to this guest, or not a
 * PCI device at all); -ENODEV when the PF has no netdev (bound to a
 * userspace driver), with 'err' saying which.
 */
int vfwd_vf_find(const char *sysfs, const char *pci, struct vfwd_vf_id *id,
		 char *err, size_t errlen);

/*
 * Reads the VF's current settings from its PF (RTM_GETLINK on the PF
 * with RTEXT_FILTER_VF), every group the kernel reports marked in
 * 'out->set'.  0, or a negative errno with 'err' naming VF and PF.
 */
int vfwd_vf_read(const struct vfwd_vf_id *id, struct vfwd_vf_settings *out,
		 char *err, size_t errlen);

/*
 * Sets one group 'what' (a single VFWD_VFS_* bit) of the VF's settings
 * to the values in 's', with one RTM_SETLINK on the PF, so that each
 * refusal is reported on its own.  0, or the kernel's negative errno,
 * with 'err' naming the VF, the PF and the setting, e.g.
 * "VF 0000:01:10.0 (VF 0 of PF 0000:01:00.0, eth1): trust: Operation not
 * supported".
 */
int vfwd_vf_set(const struct vfwd_vf_id *id, uint32_t what,
		const struct vfwd_vf_settings *s, char *err, size_t errlen);

/*
 * The netlink exchange, replaceable for unit tests: 'talk' sends the
 * request 'req' of 'len' bytes and stores the kernel's answer (all of its
 * messages, up to NLMSG_DONE or the acknowledgement) in 'reply' of
 * 'reply_max' bytes, its length in '*reply_len'.  Returns 0 or a negative
 * errno of the exchange itself (not the kernel's verdict, which is in
 * the reply).  NULL restores the real rtnetlink socket.
 */
typedef int vfwd_vf_talk_fn(void *ctx, const void *req, size_t len, void *reply,
			    size_t reply_max, size_t *reply_len);
void vfwd_vf_set_talk(vfwd_vf_talk_fn *talk, void *ctx);

#endif /* VFWD_VFPORT_H */
