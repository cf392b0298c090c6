/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VF port profiles applied (profile.h).
 *
 * A relay's profile is a wish; what happened to each setting on each of
 * its devices is its status.  The PF refusing a setting (trust on a PF
 * that has no such knob, a rate out of range) is logged with the VF, the
 * PF and the setting, recorded in the status, and leaves the rest
 * applied: the relay stays attached.
 *
 * Detach puts back what the daemon changed, from what it read before the
 * first change (the MAC and VLAN above all: the VF may next serve another
 * VM, which must not receive this one's traffic).  A VF that is gone is
 * not put back; neither is a MAC set through the DPDK driver, whose port
 * is closed at detach anyway.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include "fwd.h"
#include "lock.h"
#include "log.h"
#include "profile.h"
#include "vfport.h"

/* One device a profile is applied to: a VF, or a bond member. */
struct prof_dev {
	char name[VFWD_DEVSPEC_MAX];
	uint16_t port;
	bool has_vf;                      /* its PF is in this kernel */
	struct vfwd_vf_id vf;
	struct vfwd_vf_settings saved;    /* as found; 'set': what was read */
	uint32_t changed;                 /* VFWD_VFS_* the daemon set */
};

/* A relay's profile and what became of it. */
struct relay_prof {
	struct vfwd_vf_profile p;
	struct prof_dev devs[VFWD_BOND_MAX_MEMBERS];
	unsigned int n_devs;              /* 0: no device attached */
	uint64_t learned;                 /* the slot's value last applied */
	char status[512];
};

static struct vfwd_mutex profile_lock = VFWD_MUTEX_INITIALIZER;
static struct relay_prof profs[VFWD_MAX_RELAYS] VFWD_GUARDED_BY(profile_lock);
/*
 * What stats show of each relay's profile, as its last change left it:
 * profile_lock is held across netlink exchanges, and the stats service
 * must not wait for a PF.  shown_lock is a leaf, held to copy.
 */
static struct vfwd_mutex shown_lock = VFWD_MUTEX_INITIALIZER;
static struct vfwd_profile_info shown[VFWD_MAX_RELAYS] VFWD_GUARDED_BY(shown_lock);
/* Ports whose driver reported a reset: set by DPDK's interrupt thread. */
static bool reset_seen[RTE_MAX_ETHPORTS];

/* ------------------------------------------------------------------ */
/* Applying                                                            */
/* ------------------------------------------------------------------ */

static void
mac_text(const uint8_t mac[6], char buf[18])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

/* Appends one line of what happened to the relay's status. */
static void
note(struct relay_prof *rp, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
note(struct relay_prof *rp, const char *fmt, ...)
{
	size_t used = strlen(rp->status);
	va_list ap;

	if (used + 2 >= sizeof(rp->status))
		return;
	if (used != 0)
		rp->status[used++] = ';', rp->status[used++] = ' ';
	rp->status[used] = '\0';
	va_start(ap, fmt);
	vsnprintf(rp->status + used, sizeof(rp->status) - used, fmt, ap);
	va_end(ap);
}

/* The MAC the profile wants now: explicit, or learned (false: none yet). */
static bool
wanted_mac(unsigned int id, const struct relay_prof *rp, uint8_t mac[6])
{
	uint64_t slot;

	if (!(rp->p.given & VFWD_VFP_MAC))
		return false;
	if (!rp->p.mac_learn) {
		memcpy(mac, rp->p.mac, 6);
		return true;
	}
	slot = __atomic_load_n(&vfwd_learned_mac[id], __ATOMIC_ACQUIRE);
	if (!(slot & VFWD_LEARN_SEEN))
		return false;
	vfwd_mac_unpack(slot, mac);
	return true;
}

/* The groups of VF settings 'rp' asks for, now that 'have_mac' says
 * whether a MAC is known. */
static uint32_t
wanted_groups(const struct relay_prof *rp, bool have_mac)
{
	uint32_t g = 0, given = rp->p.given;

	if (have_mac)
		g |= VFWD_VFS_MAC;
	if (given & (VFWD_VFP_VLAN | VFWD_VFP_QOS))
		g |= VFWD_VFS_VLAN;
	/* Anti-spoofing before the guest's MAC is known would drop the
	 * very frames it is learned from. */
	if ((given & VFWD_VFP_SPOOFCHK) && (have_mac || !rp->p.spoofchk))
		g |= VFWD_VFS_SPOOFCHK;
	if (given & VFWD_VFP_TRUST)
		g |= VFWD_VFS_TRUST;
	if (given & (VFWD_VFP_MAX_TX_RATE | VFWD_VFP_MIN_TX_RATE))
		g |= VFWD_VFS_RATE;
	return g;
}

static const char *
group_name(uint32_t g)
{
	switch (g) {
	case VFWD_VFS_MAC: return "mac";
	case VFWD_VFS_VLAN: return "vlan";
	case VFWD_VFS_SPOOFCHK: return "spoofchk";
	case VFWD_VFS_TRUST: return "trust";
	default: return "rate";
	}
}

/*
 * Sets the groups 'groups' of relay 'id''s profile on device 'd'; the
 * VF's settings are read first, once, to be put back at detach.
 */
static void
apply_dev(unsigned int id, struct relay_prof *rp, struct prof_dev *d,
	  uint32_t groups, const uint8_t mac[6])
{
	struct vfwd_vf_settings s;
	char err[VFWD_ERR_MAX], m[18];
	uint32_t g;
	int rc;

	if (!d->has_vf) {
		/* No PF here: the MAC through the VF's own driver; the rest
		 * only a PF can set. */
		if (groups & VFWD_VFS_MAC) {
			struct rte_ether_addr a;

			memcpy(a.addr_bytes, mac, 6);
			mac_text(mac, m);
			rc = rte_eth_dev_default_mac_addr_set(d->port, &a);
			if (rc == 0)
				note(rp, "%s: mac %s set through its driver (no PF in "
				     "this host)", d->name, m);
			else
				note(rp, "%s: mac %s refused by its driver: %s", d->name,
				     m, strerror(-rc));
			if (rc != 0)
				VLOG_WARN("relay %u: %s: cannot set MAC %s through its "
					  "driver: %s", id, d->name, m, strerror(-rc));
		}
		if (groups & ~VFWD_VFS_MAC) {
			note(rp, "%s: vlan, spoofchk, trust and rates need the VF's "
			     "PF in this host's kernel: not set", d->name);
			VLOG_WARN("relay %u: %s: its PF is not in this host's kernel: "
				  "only the MAC of the profile can be set", id, d->name);
		}
		return;
	}
	if (d->saved.set == 0 && vfwd_vf_read(&d->vf, &d->saved, err, sizeof(err)) != 0) {
		VLOG_WARN("relay %u: %s (cannot put it back at detach)", id, err);
		d->saved.set = 0;
	}
	memset(&s, 0, sizeof(s));
	if (mac != NULL)
		memcpy(s.mac, mac, 6);
	s.vlan = rp->p.vlan;
	s.qos = rp->p.qos;
	s.spoofchk = rp->p.spoofchk;
	s.trust = rp->p.trust;
	s.max_tx_rate = rp->p.max_tx_rate;
	s.min_tx_rate = rp->p.min_tx_rate;
	for (g = VFWD_VFS_MAC; g <= VFWD_VFS_RATE; g <<= 1) {
		if (!(groups & g))
			continue;
		s.set = g;
		rc = vfwd_vf_set(&d->vf, g, &s, err, sizeof(err));
		if (rc == 0) {
			d->changed |= g;
			note(rp, "%s: %s set", d->name, group_name(g));
			VLOG_INFO("relay %u: %s: %s set on VF %u of %s", id, d->name,
				  group_name(g), d->vf.vf_index, d->vf.pf_ifname);
		} else {
			note(rp, "%s: %s refused: %s", d->name, group_name(g),
			     strerror(-rc));
			VLOG_WARN("relay %u: %s", id, err);
		}
	}
}

/* Applies relay 'id''s whole profile to its devices, anew. */
static void
apply(unsigned int id, struct relay_prof *rp)
{
	uint8_t mac[6];
	bool have_mac = wanted_mac(id, rp, mac);
	uint32_t groups = wanted_groups(rp, have_mac);
	unsigned int i;

	rp->status[0] = '\0';
	rp->learned = __atomic_load_n(&vfwd_learned_mac[id], __ATOMIC_ACQUIRE);
	if (rp->n_devs == 0 || groups == 0)
		return;
	for (i = 0; i < rp->n_devs; i++)
		apply_dev(id, rp, &rp->devs[i], groups, have_mac ? mac : NULL);
}

/* Puts back on 'd' what the daemon changed of 'groups', from what it
 * read. */
static void
restore_groups(unsigned int id, struct prof_dev *d, uint32_t groups)
{
	char err[VFWD_ERR_MAX];
	uint32_t g, todo = d->changed & d->saved.set & groups;

	for (g = VFWD_VFS_MAC; g <= VFWD_VFS_RATE; g <<= 1) {
		if (!(todo & g))
			continue;
		if (vfwd_vf_set(&d->vf, g, &d->saved, err, sizeof(err)) != 0)
			VLOG_DBG("relay %u: putting back: %s", id, err);
	}
	if (todo)
		VLOG_INFO("relay %u: %s: VF %u of %s put back as it was found", id,
			  d->name, d->vf.vf_index, d->vf.pf_ifname);
	d->changed &= ~groups;
}

static void
restore_dev(unsigned int id, struct prof_dev *d)
{
	restore_groups(id, d, ~0u);
}

/*
 * The relay's own anti-spoofing (vfwd_spoof_mac), for spoofchk=on with an
 * explicit MAC: it works whatever the PF enforces (QEMU's igb enforces
 * nothing; a VF without a PF here has no PF to ask).  Not with a learned
 * MAC: the guest's frames are what its MAC is learned from, the announce
 * after a migration first, and must not be dropped for teaching it.
 */
static void
set_spoof(unsigned int id, const struct vfwd_vf_profile *p)
{
	uint64_t slot = 0;

	if ((p->given & VFWD_VFP_MAC) && !p->mac_learn &&
	    (p->given & VFWD_VFP_SPOOFCHK) && p->spoofchk)
		slot = VFWD_SPOOF_ON | vfwd_mac_pack(p->mac);
	__atomic_store_n(&vfwd_spoof_mac[id], slot, __ATOMIC_RELEASE);
}

/* Turns the data path's learning for relay 'id' on or off. */
static void
set_learning(unsigned int id, bool on)
{
	__atomic_store_n(&vfwd_learned_mac[id], on ? VFWD_LEARN_ON : 0,
			 __ATOMIC_RELEASE);
}

/* Publishes relay 'id''s profile and status for the stats (shown[]);
 * called with profile_lock held, at the end of every change. */
static void
publish(unsigned int id)
{
	struct vfwd_profile_info info;

	memset(&info, 0, sizeof(info));
	vfwd_vf_profile_format(&profs[id].p, info.profile, sizeof(info.profile));
	snprintf(info.status, sizeof(info.status), "%s", profs[id].status);
	vfwd_mutex_lock(&shown_lock);
	shown[id] = info;
	vfwd_mutex_unlock(&shown_lock);
}

/* ------------------------------------------------------------------ */
/* API                                                                 */
/* ------------------------------------------------------------------ */

static int
on_reset(uint16_t port, enum rte_eth_event_type type, void *arg, void *out)
{
	(void)type;
	(void)arg;
	(void)out;
	if (port < RTE_MAX_ETHPORTS)
		__atomic_store_n(&reset_seen[port], true, __ATOMIC_RELEASE);
	return 0;
}

void
vfwd_profile_init(const struct vfwd_config *cfg)
{
	unsigned int i;

	vfwd_mutex_lock(&profile_lock);
	memset(profs, 0, sizeof(profs));
	for (i = 0; i < cfg->n_vf_profiles; i++) {
		unsigned int id = cfg->vf_profiles[i].relay;

		profs[id].p = cfg->vf_profiles[i].p;
		set_learning(id, profs[id].p.mac_learn);
		set_spoof(id, &profs[id].p);
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		publish(i);
	vfwd_mutex_unlock(&profile_lock);
	if (rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RESET,
					  on_reset, NULL) != 0)
		VLOG_WARN("VF port profiles: cannot watch for device resets; a "
			  "profile is applied again only when a device reattaches");
}

void
vfwd_profile_fini(void)
{
	unsigned int id, i;

	rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RESET,
					on_reset, NULL);
	vfwd_mutex_lock(&profile_lock);
	for (id = 0; id < VFWD_MAX_RELAYS; id++) {
		for (i = 0; i < profs[id].n_devs; i++)
			restore_dev(id, &profs[id].devs[i]);
		profs[id].n_devs = 0;
	}
	vfwd_mutex_unlock(&profile_lock);
}

void
vfwd_profile_set(unsigned int id, const struct vfwd_vf_profile *p)
{
	char text[VFWD_VF_PROFILE_TEXT_MAX];
	struct relay_prof *rp;
	unsigned int i;

	if (id >= VFWD_MAX_RELAYS)
		return;
	vfwd_vf_profile_format(p, text, sizeof(text));
	vfwd_mutex_lock(&profile_lock);
	rp = &profs[id];
	/* A learned MAC is kept when the profile still learns. */
	if (!(p->given & VFWD_VFP_MAC) || !p->mac_learn || !rp->p.mac_learn)
		set_learning(id, (p->given & VFWD_VFP_MAC) && p->mac_learn);
	rp->p = *p;
	set_spoof(id, p);
	/* What the old profile set and the new one does not ask for goes
	 * back first; the rest is overwritten, without a moment back at the
	 * old value (a client may send the same profile again and again). */
	{
		uint8_t mac[6];
		uint32_t keep = wanted_groups(rp, wanted_mac(id, rp, mac));

		for (i = 0; i < rp->n_devs; i++)
			restore_groups(id, &rp->devs[i], ~keep);
	}
	VLOG_INFO("relay %u: VF port profile %s", id, text[0] ? text : "(none)");
	apply(id, rp);
	publish(id);
	vfwd_mutex_unlock(&profile_lock);
}

void
vfwd_profile_attached(unsigned int id, const char *const *names,
		      const uint16_t *ports, unsigned int n)
{
	char err[VFWD_ERR_MAX], ename[RTE_ETH_NAME_MAX_LEN];
	struct relay_prof *rp;
	unsigned int i;
	int rc;

	if (id >= VFWD_MAX_RELAYS)
		return;
	vfwd_mutex_lock(&profile_lock);
	rp = &profs[id];
	rp->n_devs = 0;
	for (i = 0; i < n && i < VFWD_BOND_MAX_MEMBERS; i++) {
		struct prof_dev *d = &rp->devs[rp->n_devs++];

		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		d->port = ports[i];
		if (ports[i] < RTE_MAX_ETHPORTS)
			__atomic_store_n(&reset_seen[ports[i]], false, __ATOMIC_RELAXED);
		/* The port's name is the PCI address in its one spelling
		 * (DDDD:BB:SS.F) for a PCI device. */
		if (rte_eth_dev_get_name_by_port(ports[i], ename) != 0)
			snprintf(ename, sizeof(ename), "%s", names[i]);
		rc = vfwd_vf_find("/sys", ename, &d->vf, err, sizeof(err));
		d->has_vf = rc == 0;
		if (rc != 0 && rc != -ENOENT && rp->p.given)
			VLOG_WARN("relay %u: %s", id, err);
	}
	if (rp->p.given)
		apply(id, rp);
	publish(id);
	vfwd_mutex_unlock(&profile_lock);
}

void
vfwd_profile_detached(unsigned int id)
{
	struct relay_prof *rp;
	unsigned int i;

	if (id >= VFWD_MAX_RELAYS)
		return;
	vfwd_mutex_lock(&profile_lock);
	rp = &profs[id];
	for (i = 0; i < rp->n_devs; i++)
		restore_dev(id, &rp->devs[i]);
	rp->n_devs = 0;
	rp->status[0] = '\0';
	publish(id);
	vfwd_mutex_unlock(&profile_lock);
}

void
vfwd_profile_tick(void)
{
	unsigned int id, i;
	char m[18];

	vfwd_mutex_lock(&profile_lock);
	for (id = 0; id < VFWD_MAX_RELAYS; id++) {
		struct relay_prof *rp = &profs[id];
		uint64_t slot = __atomic_load_n(&vfwd_learned_mac[id], __ATOMIC_ACQUIRE);
		bool again = false;

		if ((slot & VFWD_LEARN_SEEN) && slot != rp->learned) {
			uint8_t mac[6];

			if (wanted_mac(id, rp, mac)) {
				mac_text(mac, m);
				VLOG_NOTICE("relay %u: the guest's MAC is %s (learned from "
					    "its frames)%s", id, m, rp->n_devs ?
					    ": setting it on the VF" : "");
			}
			again = true;
		}
		for (i = 0; i < rp->n_devs; i++)
			if (__atomic_exchange_n(&reset_seen[rp->devs[i].port], false,
						__ATOMIC_ACQ_REL)) {
				VLOG_NOTICE("relay %u: %s was reset: applying its VF port "
					    "profile again", id, rp->devs[i].name);
				again = true;
			}
		if (again) {
			if (rp->p.given)
				apply(id, rp);
			else
				rp->learned = slot;
			publish(id);
		}
	}
	vfwd_mutex_unlock(&profile_lock);
}

void
vfwd_profile_info(unsigned int id, struct vfwd_profile_info *info)
{
	uint64_t slot;
	uint8_t mac[6];

	memset(info, 0, sizeof(*info));
	if (id >= VFWD_MAX_RELAYS)
		return;
	vfwd_mutex_lock(&shown_lock);
	*info = shown[id];
	vfwd_mutex_unlock(&shown_lock);
	slot = __atomic_load_n(&vfwd_learned_mac[id], __ATOMIC_ACQUIRE);
	if (slot & VFWD_LEARN_SEEN) {
		vfwd_mac_unpack(slot, mac);
		mac_text(mac, info->learned_mac);
	}
}
