/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor's reconciler (see ovsdb_reconcile.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_ops.h"
#include "ctl_slice.h"
#include "ifmap.h"
#include "log.h"
#include "ovsdb_reconcile.h"
#include "portctl.h"
#include "relay.h"
#include "vfio_bind.h"

/* Relay changes made per loop pass at most, while reconciling. */
#define OVSDB_CHANGES_PER_PASS 4

/* Logs a row's problem once, until the problem changes: limited by
 * itself, and each row's line matters, so no rate limit. */
static void
row_problem(struct vfwd_ovsdb_row *r, const char *why)
{
	if (strcmp(r->logged, why) == 0)
		return;
	size_t n = strlen(r->name);

	snprintf(r->logged, sizeof(r->logged), "%s", why);
	/* Reasons from the interface mapping start with the name already. */
	if (strncmp(why, r->name, n) == 0 && why[n] == ':')
		VLOG_WARN("ovsdb: interface %s; left alone", why);
	else
		VLOG_WARN("ovsdb: interface %s: %s; left alone", r->name, why);
}

/* Is PCI device 'addr' there and bound to vfio-pci? */
static bool
on_vfio_pci(const char *addr)
{
	char path[128], drv[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", addr);
	return vfwd_sysfs_link_name(path, drv, sizeof(drv)) == 0 &&
	       strcmp(drv, "vfio-pci") == 0;
}

/*
 * The VF that interface 'name' was, into 'dev', when the daemon bound it
 * to vfio-pci (VIRTIOFWD_BIND_VFIO_PCI, at start or in change_run()),
 * which took its netdev away: only while that VF is still there and on
 * vfio-pci.  A VF that was removed (sriov_numvfs=0) no longer maps, and
 * its row is left alone with the reason until its netdev is back.
 */
static bool
bound_mapping(const char *name, char *dev, size_t devlen)
{
	return vfwd_vfio_bound_netdev(name, dev, devlen) && on_vfio_pci(dev);
}

/* Logs what binding to vfio-pci did to a device. */
static void
vfio_note(const char *line)
{
	VLOG_INFO("ovsdb: VIRTIOFWD_BIND_VFIO_PCI: %s", line);
}

/*
 * The VF port profile row 'r' asks for: into 'p', or false with the
 * reason logged for the row.  A row without profile keys asks for none.
 */
static bool
row_profile(struct vfwd_ovsdb_row *r, struct vfwd_vf_profile *p)
{
	char inner[VFWD_ERR_MAX], why[VFWD_ERR_MAX];

	if (r->profile_long) {
		row_problem(r, "external_ids: the VF port profile keys are longer "
			    "than the daemon takes; the relay keeps its profile");
		return false;
	}
	if (vfwd_vf_profile_parse(r->profile, p, inner, sizeof(inner)) != 0) {
		snprintf(why, sizeof(why), "external_ids: VF port profile: %s (keys: "
			 "attached-mac, virtio_forwarder_<setting>); the relay keeps "
			 "its profile", inner);
		row_problem(r, why);
		return false;
	}
	return true;
}

/* The relay and device a marked row asks for; false when it cannot. */
static bool
row_target(struct vfwd_ovsdb_row *r, unsigned int *relay, char *dev, size_t devlen)
{
	char why[VFWD_ERR_MAX], *end;
	unsigned long v;
	int rc;

	errno = 0;
	v = strtoul(r->relay, &end, 10);
	if (r->relay[0] < '0' || r->relay[0] > '9' || *end != '\0' || errno != 0 ||
	    v >= VFWD_MAX_RELAYS) {
		snprintf(why, sizeof(why), "external_ids:virtio_forwarder=\"%s\" is not "
			 "a relay number from 0 to %d", r->relay, VFWD_MAX_RELAYS - 1);
		row_problem(r, why);
		return false;
	}
	*relay = (unsigned int)v;
	if (r->device[0] != '\0') {
		if (vfwd_parse_devspec(r->device, dev, devlen, why, sizeof(why)) != 0) {
			row_problem(r, why);
			return false;
		}
		return true;
	}
	rc = vfwd_ifmap("/sys", r->name, dev, devlen, why, sizeof(why));
	if (rc == -ENODEV && bound_mapping(r->name, dev, devlen))
		return true;
	if (rc != 0) {
		row_problem(r, why);
		return false;
	}
	return true;
}

/*
 * Which of two rows asking for the same relay gets it: the one the relay
 * already serves, else the smaller interface name, so that the answer
 * does not depend on the order rows arrive or leave in.
 */
static bool
row_beats(const struct vfwd_ovsdb_reconciler *rc, const struct vfwd_ovsdb_row *a,
	  const struct vfwd_ovsdb_row *b, unsigned int relay)
{
	bool a_owns = rc->owned[relay] && strcmp(a->t_dev, rc->owned_dev[relay]) == 0;
	bool b_owns = rc->owned[relay] && strcmp(b->t_dev, rc->owned_dev[relay]) == 0;

	if (a_owns != b_owns)
		return a_owns;
	return strcmp(a->name, b->name) < 0;
}

/* The stats label of an OVSDB relay: the cloud's port id when the
 * interface carries one (OpenStack sets iface-id), else its name. */
static void
set_ident(unsigned int relay, const struct vfwd_ovsdb_row *r)
{
	vfwd_relay_set_ident(relay, r->iface_id[0] ? r->iface_id : r->name);
}

/* Works out which row gets each relay, and logs the rows that cannot
 * have theirs. */
void
vfwd_ovsdb_reconcile_start(struct vfwd_ovsdb_reconciler *rc,
			   struct vfwd_ovsdb_mirror *m)
{
	struct vfwd_ovsdb_row **want = rc->want;
	unsigned int i, relay;

	rc->mirror = m;
	memset(rc->want, 0, sizeof(rc->want));
	for (i = 0; i < m->n_rows; i++) {
		struct vfwd_ovsdb_row *r = &m->rows[i];

		r->t_relay = -1;
		if (r->relay[0] == '\0') {
			r->logged[0] = '\0';
			continue;
		}
		if (!row_target(r, &relay, r->t_dev, sizeof(r->t_dev)))
			continue;
		r->t_relay = (int)relay;
		if (want[relay] == NULL || row_beats(rc, r, want[relay], relay))
			want[relay] = r;
	}
	for (i = 0; i < m->n_rows; i++) {
		struct vfwd_ovsdb_row *r = &m->rows[i];
		char why[VFWD_ERR_MAX];

		if (r->t_relay < 0 || want[r->t_relay] == r)
			continue;
		snprintf(why, sizeof(why), "relay %d is already asked for by "
			 "interface %s", r->t_relay, want[r->t_relay]->name);
		row_problem(r, why);
	}

	rc->phase = VFWD_OVSDB_R_REMOVE;
	rc->next_relay = 0;
}

/*
 * A relay change of the reconciling round.  It runs on the operations
 * thread (ctl_ops.h): attaching or removing a device takes as long as its
 * driver, and the control loop must not wait that long.  The round waits
 * for it ('pending'); rows may move or go meanwhile, so it carries
 * copies of what it needs.
 */
struct change_op {
	struct vfwd_op op;
	struct vfwd_ovsdb_reconciler *owner;
	unsigned int relay;
	bool add;
	char dev[VFWD_DEVSPEC_MAX];        /* add: the row's; remove: ours */
	char uuid[40], name[64];           /* add: the row's */
	char ident[VFWD_NAME_MAX];
	/* add: the profile to set, in text form; NULL-like when 'keep'. */
	bool keep_profile;
	char profile[VFWD_VF_PROFILE_TEXT_MAX];
	bool update;                       /* add: the device is ours already */
	int rc;
	char err[VFWD_ERR_MAX];
};

static void
change_run(struct vfwd_op *op)
{
	struct change_op *c = (struct change_op *)op;
	const struct vfwd_ovsdb_reconciler *rc = c->owner;
	struct vfwd_portctl_dev d = { .n = 1, .devs = { c->dev } };
	struct vfwd_vf_profile prof;
	struct vfwd_relay_info ri;
	char *err = c->err;
	size_t errlen = sizeof(c->err);

	if (!c->add) {
		/* Not conditional: a device that went with its VF is worth a
		 * line. */
		c->rc = vfwd_portctl_remove((int)c->relay, c->dev, false, err, errlen);
		return;
	}
	/* A VF of VIRTIOFWD_BIND_VFIO_PCI that still has its kernel driver
	 * (its netdev is how the row named it) goes to vfio-pci first, as a
	 * static VF that appears late does: DPDK drives it only there.  Not
	 * for a relay that has a device already: the add is refused, and the
	 * VF would lose its netdev for nothing. */
	if (rc->binds != NULL && vfwd_vfio_bind_lists(rc->binds, rc->n_binds, c->dev) &&
	    !(vfwd_relay_info(c->relay, &ri) == 0 && ri.has_device)) {
		c->rc = vfwd_vfio_bind_device("/sys", c->dev, vfio_note, err, errlen);
		if (c->rc != 0)
			return;
	}
	/* Checked when the row was read: it parses. */
	if (!c->keep_profile &&
	    vfwd_vf_profile_parse(c->profile, &prof, err, errlen) == 0)
		d.profile = &prof;
	/* Not conditional: a relay whose device came from elsewhere (a
	 * static device) is not ours to take over, even when it is the
	 * same device.  Except for a new profile of our own device. */
	c->rc = vfwd_portctl_add(c->relay, &d, c->update, err, errlen);
}

static void
change_done(struct vfwd_op *op)
{
	struct change_op *c = (struct change_op *)op;
	struct vfwd_ovsdb_reconciler *rc = c->owner;
	unsigned int relay = c->relay;
	struct vfwd_ovsdb_row *r;

	rc->pending = false;
	if (!c->add) {
		if (c->rc == -ENOENT)
			/* Gone already: removed with its VF (devwatch.c). */
			VLOG_INFO("ovsdb: relay %u: %s was detached already", relay, c->dev);
		else if (c->rc != 0)
			VLOG_WARN_RL("ovsdb: relay %u: cannot remove %s: %s", relay,
				     c->dev, c->err);
		else
			VLOG_INFO("ovsdb: relay %u: %s removed", relay, c->dev);
		rc->owned[relay] = false;
		rc->owned_profile[relay][0] = '\0';
		free(c);
		return;
	}
	r = vfwd_ovsdb_mirror_find(rc->mirror, c->uuid);
	if (c->rc != 0) {
		if (r != NULL)
			row_problem(r, c->err);
		free(c);
		return;
	}
	rc->owned[relay] = true;
	snprintf(rc->owned_dev[relay], sizeof(rc->owned_dev[relay]), "%s", c->dev);
	if (!c->keep_profile)
		snprintf(rc->owned_profile[relay], sizeof(rc->owned_profile[relay]),
			 "%s", c->profile);
	if (r != NULL)
		r->logged[0] = '\0';     /* a problem coming back is news again */
	vfwd_relay_set_ident(relay, c->ident);
	if (c->update)
		VLOG_INFO("ovsdb: relay %u: VF port profile of %s (interface %s): %s",
			  relay, c->dev, c->name, c->profile[0] ? c->profile : "none");
	else
		VLOG_INFO("ovsdb: relay %u: %s (interface %s) added", relay, c->dev,
			  c->name);
	free(c);
}

/* Starts change 'c' of relay 'relay'; false when out of memory.  An add
 * carries the row's profile when it parses ('prof_ok'). */
static bool
change(struct vfwd_ovsdb_reconciler *rc, unsigned int relay, bool add,
       const char *dev, const struct vfwd_ovsdb_row *r, bool prof_ok, bool update)
{
	struct change_op *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		VLOG_WARN_RL("ovsdb: relay %u: out of memory", relay);
		return false;
	}
	c->op.run = change_run;
	c->op.done = change_done;
	c->owner = rc;
	c->relay = relay;
	c->add = add;
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
	if (r != NULL) {
		snprintf(c->uuid, sizeof(c->uuid), "%s", r->uuid);
		snprintf(c->name, sizeof(c->name), "%s", r->name);
		snprintf(c->ident, sizeof(c->ident), "%s",
			 r->iface_id[0] ? r->iface_id : r->name);
		/* No profile keys, and none set by us before: the relay keeps
		 * its own (the configuration's, say). */
		c->keep_profile = !prof_ok || (r->profile[0] == '\0' &&
					       rc->owned_profile[relay][0] == '\0');
		snprintf(c->profile, sizeof(c->profile), "%s", r->profile);
		c->update = update;
	}
	rc->pending = vfwd_ops_do(&c->op);
	return true;
}

/* Removes what relay 'relay' has that the table no longer asks for. */
static bool
reconcile_remove(struct vfwd_ovsdb_reconciler *rc, unsigned int relay)
{
	struct vfwd_ovsdb_row **want = rc->want;

	if (!rc->owned[relay])
		return false;
	if (want[relay] != NULL && strcmp(want[relay]->t_dev, rc->owned_dev[relay]) == 0) {
		set_ident(relay, want[relay]);
		return false;
	}
	return change(rc, relay, false, rc->owned_dev[relay], NULL, false, false);
}

/* Gives relay 'relay' the device the table asks for, if it has none of ours. */
static bool
reconcile_add(struct vfwd_ovsdb_reconciler *rc, unsigned int relay)
{
	struct vfwd_ovsdb_row *r = rc->want[relay];
	struct vfwd_vf_profile prof;
	bool prof_ok;

	if (r == NULL)
		return false;
	prof_ok = row_profile(r, &prof);
	if (!rc->owned[relay])
		return change(rc, relay, true, r->t_dev, r, prof_ok, false);
	/* Ours already (reconcile_remove() kept it): only a new profile. */
	if (prof_ok)
		r->logged[0] = '\0';
	if (!prof_ok || strcmp(r->profile, rc->owned_profile[relay]) == 0)
		return false;
	return change(rc, relay, true, r->t_dev, r, true, true);
}

/* Removals come first: a device may move to another relay. */
void
vfwd_ovsdb_reconcile_step(struct vfwd_ovsdb_reconciler *rc)
{
	struct vfwd_slice sl;

	vfwd_slice_start(&sl, OVSDB_CHANGES_PER_PASS);
	/* One change at a time: the round goes on when it is done. */
	while (rc->phase != VFWD_OVSDB_R_IDLE && !rc->pending && vfwd_slice_more(&sl)) {
		unsigned int relay = rc->next_relay;
		bool changed;

		changed = rc->phase == VFWD_OVSDB_R_REMOVE ? reconcile_remove(rc, relay)
							   : reconcile_add(rc, relay);
		if (changed)
			sl.done++;
		if (++rc->next_relay == VFWD_MAX_RELAYS) {
			rc->next_relay = 0;
			rc->phase = rc->phase == VFWD_OVSDB_R_REMOVE ? VFWD_OVSDB_R_ADD
								     : VFWD_OVSDB_R_IDLE;
		}
	}
}


void
vfwd_ovsdb_reconcile_set_vfio_bind(struct vfwd_ovsdb_reconciler *rc,
				   const struct vfwd_vfio_bind *binds, unsigned int n)
{
	rc->binds = binds;
	rc->n_binds = n;
}

bool
vfwd_ovsdb_reconcile_has_work(const struct vfwd_ovsdb_reconciler *rc)
{
	return rc->phase != VFWD_OVSDB_R_IDLE && !rc->pending;
}

bool
vfwd_ovsdb_reconcile_busy(const struct vfwd_ovsdb_reconciler *rc)
{
	return rc->phase != VFWD_OVSDB_R_IDLE;
}

void
vfwd_ovsdb_reconcile_reset(struct vfwd_ovsdb_reconciler *rc)
{
	rc->phase = VFWD_OVSDB_R_IDLE;
	memset(rc->owned, 0, sizeof(rc->owned));
}
