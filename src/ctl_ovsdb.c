/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OVSDB monitor: one JSON-RPC session with ovsdb-server.
 *
 * We mirror the Interface table's name and external_ids, and after every
 * change work out the relays the table asks for ("desired") and bring the
 * relays we own in line, through the same port control operations as the
 * other sources.
 *
 * Nothing here blocks the control thread: the socket is non-blocking from
 * the connect on, what we send is queued and flushed when the socket is
 * writable, a message is parsed only once all of it arrived (json_frame.h
 * finds its end, however the stream was split), and the session is a
 * small state machine in the manner of Open vSwitch's reconnect module:
 *
 *     BACKOFF --(delay over)--> CONNECTING --(connected)--> ACTIVE
 *        ^                          |                          |
 *        +---- failure, timeout ----+---- error, EOF, silence --+
 *
 * A server that stops answering is probed with an echo after
 * OVSDB_PROBE_MS of silence and dropped after twice that; one that does
 * not read what we send is dropped once OVSDB_MAX_OUTPUT bytes wait.
 * Reconciling after a change is done a few relays per loop pass
 * (ctl_slice.h), like the input, so the other control sources keep
 * answering during a large resynchronisation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "backoff.h"
#include "config.h"
#include "ctl_ovsdb.h"
#include "ctl_ops.h"
#include "ctl_slice.h"
#include "errmsg.h"
#include "ifmap.h"
#include "json_frame.h"
#include "log.h"
#include "portctl.h"
#include "relay.h"
#include "vfio_bind.h"

/* Limits on what the server can make us hold. */
#define OVSDB_MAX_ROWS 4096
#define OVSDB_MAX_INPUT (16 * 1024 * 1024)
/* What we queue for a server that does not read, at most. */
#define OVSDB_MAX_OUTPUT (1024 * 1024)
/* Bytes read per loop pass at most, and messages handled. */
#define OVSDB_READ_PER_PASS (256 * 1024)
#define OVSDB_MSGS_PER_PASS 16
/* Relay changes made per loop pass at most, while reconciling. */
#define OVSDB_CHANGES_PER_PASS 4
/* Reconnection delays: a restarted server is seen within 16 s. */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 16000
/* A connect that has not completed by then has failed. */
#define OVSDB_CONNECT_TIMEOUT_MS 5000
/* Silence after which the server is probed; twice that, it is dropped. */
#define OVSDB_PROBE_MS 5000
#define MONITOR_ID 1

/* One row of the Interface table, as far as we care. */
struct row {
	char uuid[40];
	char name[64];
	char relay[16];                    /* external_ids:virtio_forwarder */
	char device[VFWD_DEVSPEC_MAX];     /* ...:virtio_forwarder_device */
	char iface_id[VFWD_NAME_MAX];      /* ...:iface-id (cloud port id) */
	/* The VF port profile its keys ask for, in text form (attached-mac
	 * and virtio_forwarder_<setting>), parsed when reconciling; "" when
	 * it has none of those keys. */
	char profile[VFWD_VF_PROFILE_TEXT_MAX];
	bool profile_long;                 /* the keys did not fit */
	char logged[VFWD_ERR_MAX];         /* last reason logged for it */
	int t_relay;                       /* what it asks for, -1: nothing */
	char t_dev[VFWD_DEVSPEC_MAX];
};

/* Where the session is (see the diagram at the top). */
enum session_state {
	S_BACKOFF,          /* waiting until next_try_ms to connect */
	S_CONNECTING,       /* a non-blocking connect is under way */
	S_ACTIVE,           /* connected; monitoring once 'synced' */
};

/* Where a reconciling round is: removals first, then additions. */
enum reconcile_phase {
	R_IDLE,
	R_REMOVE,
	R_ADD,
};

static struct {
	char target[256];
	int fd;
	enum session_state state;
	bool synced;                       /* initial table received */
	uint64_t next_try_ms;              /* S_BACKOFF: when to connect */
	uint64_t connect_start_ms;         /* S_CONNECTING: since when */
	uint64_t last_rx_ms;               /* S_ACTIVE: last bytes received */
	bool probe_sent;                   /* an echo asks whether it is alive */
	struct vfwd_backoff backoff;
	bool down_logged;
	char *in;                          /* bytes not parsed yet */
	size_t in_len, in_cap;
	struct vfwd_json_frame frame;      /* the end of the next message */
	bool in_ready;                     /* a whole message may be waiting */
	char *out;                         /* bytes not sent yet, from out_off */
	size_t out_off, out_len, out_cap;
	bool started;                      /* vfwd_ovsdb_start() succeeded */
	struct row *rows;                  /* grows as the table does */
	unsigned int n_rows, rows_cap;
	/* uuid -> index in 'rows' (a JSON object is a hash table): a
	 * 5000-row table is found row by row in time linear, not square. */
	json_t *index;
	/* The reconciling round under way: what each relay should have. */
	enum reconcile_phase phase;
	bool pending;                      /* a change runs (struct change_op) */
	unsigned int next_relay;
	struct row *want[VFWD_MAX_RELAYS];
	/* Relays this source attached, and with what. */
	bool owned[VFWD_MAX_RELAYS];
	char owned_dev[VFWD_MAX_RELAYS][VFWD_DEVSPEC_MAX];
	char owned_profile[VFWD_MAX_RELAYS][VFWD_VF_PROFILE_TEXT_MAX];
	/* VIRTIOFWD_BIND_VFIO_PCI (the caller's; NULL: bind nothing). */
	const struct vfwd_vfio_bind *binds;
	unsigned int n_binds;
} mon = { .fd = -1 };

/* ------------------------------------------------------------------ */
/* Reconciling relays with the table                                   */
/* ------------------------------------------------------------------ */

/* Logs a row's problem once, until the problem changes: limited by
 * itself, and each row's line matters, so no rate limit. */
static void
row_problem(struct row *r, const char *why)
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
 * to vfio-pci (VIRTIOFWD_BIND_VFIO_PCI, at start or in reconcile_add()),
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
row_profile(struct row *r, struct vfwd_vf_profile *p)
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
row_target(struct row *r, unsigned int *relay, char *dev, size_t devlen)
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
row_beats(const struct row *a, const struct row *b, unsigned int relay)
{
	bool a_owns = mon.owned[relay] && strcmp(a->t_dev, mon.owned_dev[relay]) == 0;
	bool b_owns = mon.owned[relay] && strcmp(b->t_dev, mon.owned_dev[relay]) == 0;

	if (a_owns != b_owns)
		return a_owns;
	return strcmp(a->name, b->name) < 0;
}

/* The stats label of an OVSDB relay: the cloud's port id when the
 * interface carries one (OpenStack sets iface-id), else its name. */
static void
set_ident(unsigned int relay, const struct row *r)
{
	vfwd_relay_set_ident(relay, r->iface_id[0] ? r->iface_id : r->name);
}

/*
 * Starts a reconciling round: works out which row gets each relay (and
 * logs the rows that cannot have theirs); reconcile_step() then makes
 * the changes, a few per loop pass.  A change of the table starts a new
 * round, since rows move in the mirror; rows do not change during one.
 */
static void
reconcile_start(void)
{
	struct row **want = mon.want;
	unsigned int i, relay;

	memset(mon.want, 0, sizeof(mon.want));
	for (i = 0; i < mon.n_rows; i++) {
		struct row *r = &mon.rows[i];

		r->t_relay = -1;
		if (r->relay[0] == '\0') {
			r->logged[0] = '\0';
			continue;
		}
		if (!row_target(r, &relay, r->t_dev, sizeof(r->t_dev)))
			continue;
		r->t_relay = (int)relay;
		if (want[relay] == NULL || row_beats(r, want[relay], relay))
			want[relay] = r;
	}
	for (i = 0; i < mon.n_rows; i++) {
		struct row *r = &mon.rows[i];
		char why[VFWD_ERR_MAX];

		if (r->t_relay < 0 || want[r->t_relay] == r)
			continue;
		snprintf(why, sizeof(why), "relay %d is already asked for by "
			 "interface %s", r->t_relay, want[r->t_relay]->name);
		row_problem(r, why);
	}

	mon.phase = R_REMOVE;
	mon.next_relay = 0;
}

static struct row *find_row(const char *uuid);

/*
 * A relay change of the reconciling round.  It runs on the operations
 * thread (ctl_ops.h): attaching or removing a device takes as long as its
 * driver, and the control loop must not wait that long.  The round waits
 * for it ('mon.pending'); rows may move or go meanwhile, so it carries
 * copies of what it needs.
 */
struct change_op {
	struct vfwd_op op;
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
	if (mon.binds != NULL && vfwd_vfio_bind_lists(mon.binds, mon.n_binds, c->dev) &&
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
	unsigned int relay = c->relay;
	struct row *r;

	mon.pending = false;
	if (!c->add) {
		if (c->rc == -ENOENT)
			/* Gone already: removed with its VF (devwatch.c). */
			VLOG_INFO("ovsdb: relay %u: %s was detached already", relay, c->dev);
		else if (c->rc != 0)
			VLOG_WARN_RL("ovsdb: relay %u: cannot remove %s: %s", relay,
				     c->dev, c->err);
		else
			VLOG_INFO("ovsdb: relay %u: %s removed", relay, c->dev);
		mon.owned[relay] = false;
		mon.owned_profile[relay][0] = '\0';
		free(c);
		return;
	}
	r = find_row(c->uuid);
	if (c->rc != 0) {
		if (r != NULL)
			row_problem(r, c->err);
		free(c);
		return;
	}
	mon.owned[relay] = true;
	snprintf(mon.owned_dev[relay], sizeof(mon.owned_dev[relay]), "%s", c->dev);
	if (!c->keep_profile)
		snprintf(mon.owned_profile[relay], sizeof(mon.owned_profile[relay]),
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
change(unsigned int relay, bool add, const char *dev, const struct row *r,
       bool prof_ok, bool update)
{
	struct change_op *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		VLOG_WARN_RL("ovsdb: relay %u: out of memory", relay);
		return false;
	}
	c->op.run = change_run;
	c->op.done = change_done;
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
					       mon.owned_profile[relay][0] == '\0');
		snprintf(c->profile, sizeof(c->profile), "%s", r->profile);
		c->update = update;
	}
	mon.pending = vfwd_ops_do(&c->op);
	return true;
}

/* Removes what relay 'relay' has that the table no longer asks for. */
static bool
reconcile_remove(unsigned int relay)
{
	struct row **want = mon.want;

	if (!mon.owned[relay])
		return false;
	if (want[relay] != NULL && strcmp(want[relay]->t_dev, mon.owned_dev[relay]) == 0) {
		set_ident(relay, want[relay]);
		return false;
	}
	return change(relay, false, mon.owned_dev[relay], NULL, false, false);
}

/* Gives relay 'relay' the device the table asks for, if it has none of ours. */
static bool
reconcile_add(unsigned int relay)
{
	struct row *r = mon.want[relay];
	struct vfwd_vf_profile prof;
	bool prof_ok;

	if (r == NULL)
		return false;
	prof_ok = row_profile(r, &prof);
	if (!mon.owned[relay])
		return change(relay, true, r->t_dev, r, prof_ok, false);
	/* Ours already (reconcile_remove() kept it): only a new profile. */
	if (prof_ok)
		r->logged[0] = '\0';
	if (!prof_ok || strcmp(r->profile, mon.owned_profile[relay]) == 0)
		return false;
	return change(relay, true, r->t_dev, r, true, true);
}

/*
 * Makes the changes of the round under way, a slice's worth.  Removals
 * come first: a device may move to another relay.
 */
static void
reconcile_step(void)
{
	struct vfwd_slice sl;

	vfwd_slice_start(&sl, OVSDB_CHANGES_PER_PASS);
	/* One change at a time: the round goes on when it is done. */
	while (mon.phase != R_IDLE && !mon.pending && vfwd_slice_more(&sl)) {
		unsigned int relay = mon.next_relay;
		bool changed;

		changed = mon.phase == R_REMOVE ? reconcile_remove(relay)
						: reconcile_add(relay);
		if (changed)
			sl.done++;
		if (++mon.next_relay == VFWD_MAX_RELAYS) {
			mon.next_relay = 0;
			mon.phase = mon.phase == R_REMOVE ? R_ADD : R_IDLE;
		}
	}
}

/* ------------------------------------------------------------------ */
/* The Interface table mirror                                          */
/* ------------------------------------------------------------------ */

static struct row *
find_row(const char *uuid)
{
	json_t *i = json_object_get(mon.index, uuid);

	return i != NULL ? &mon.rows[json_integer_value(i)] : NULL;
}

/* Forgets every row. */
static void
clear_rows(void)
{
	mon.n_rows = 0;
	json_object_clear(mon.index);
}

/* Forgets row 'uuid'; whether there was one. */
static bool
delete_row(const char *uuid)
{
	struct row *r = find_row(uuid);

	if (r == NULL)
		return false;
	json_object_del(mon.index, uuid);
	/* The last row takes its place. */
	if (r != &mon.rows[--mon.n_rows]) {
		*r = mon.rows[mon.n_rows];
		json_object_set_new(mon.index, r->uuid, json_integer(r - mon.rows));
	}
	return true;
}

/* external_ids is ["map", [[key, value], ...]]. */
static void
read_external_ids(json_t *ids, struct row *r)
{
	json_t *pairs, *pair;
	size_t i;

	char mac[32] = "", rest[VFWD_VF_PROFILE_TEXT_MAX] = "";
	size_t used = 0;
	bool own_mac = false;

	r->relay[0] = r->device[0] = r->iface_id[0] = r->profile[0] = '\0';
	r->profile_long = false;
	if (!json_is_array(ids) || json_array_size(ids) != 2 ||
	    !json_is_string(json_array_get(ids, 0)) ||
	    strcmp(json_string_value(json_array_get(ids, 0)), "map") != 0)
		return;
	pairs = json_array_get(ids, 1);
	json_array_foreach(pairs, i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		const char *v = json_string_value(json_array_get(pair, 1));

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "virtio_forwarder") == 0)
			snprintf(r->relay, sizeof(r->relay), "%s", v);
		else if (strcmp(k, "virtio_forwarder_device") == 0)
			snprintf(r->device, sizeof(r->device), "%s", v);
		else if (strcmp(k, "iface-id") == 0)
			snprintf(r->iface_id, sizeof(r->iface_id), "%s", v);
		else if (strcmp(k, "attached-mac") == 0 && !own_mac)
			/* What Nova and os-vif write: the guest's MAC. */
			snprintf(mac, sizeof(mac), "mac=%.20s", v);
		else if (strncmp(k, "virtio_forwarder_", 17) == 0) {
			/* One key per setting of the profile; an unknown one
			 * is refused by the parser, with the names allowed. */
			if (strcmp(k + 17, "mac") == 0) {
				snprintf(mac, sizeof(mac), "mac=%.20s", v);
				own_mac = true;
				continue;
			}
			used += (size_t)snprintf(rest + used, used < sizeof(rest) ?
						 sizeof(rest) - used : 0, "%s%s=%s",
						 used ? "," : "", k + 17, v);
		}
	}
	if (used >= sizeof(rest) ||
	    (size_t)snprintf(r->profile, sizeof(r->profile), "%s%s%s", mac,
			     mac[0] && rest[0] ? "," : "", rest) >= sizeof(r->profile)) {
		r->profile[0] = '\0';
		r->profile_long = true;
	}
}

/* Makes room for more rows, up to OVSDB_MAX_ROWS.  Rows move: callers
 * start a new reconciling round after a change of the table anyway. */
static bool
grow_rows(void)
{
	unsigned int cap = mon.rows_cap ? mon.rows_cap * 2 : 64;
	struct row *p;

	if (mon.rows_cap >= OVSDB_MAX_ROWS)
		return false;
	if (cap > OVSDB_MAX_ROWS)
		cap = OVSDB_MAX_ROWS;
	p = realloc(mon.rows, cap * sizeof(*p));
	if (p == NULL)
		return false;
	mon.rows = p;
	mon.rows_cap = cap;
	return true;
}

/*
 * Applies one table-updates object: {"Interface": {uuid: {old, new}}}.
 * Only rows marked for a relay (external_ids:virtio_forwarder) are kept:
 * a host's thousands of other interfaces then cost a look at their
 * external_ids, and none of the reconciling.  Returns whether a marked
 * row came, changed or went.
 */
static bool
apply_updates(json_t *updates)
{
	json_t *table = json_object_get(updates, "Interface"), *change;
	bool changed = false;
	const char *uuid;

	if (!json_is_object(table))
		return false;
	json_object_foreach(table, uuid, change) {
		json_t *new = json_object_get(change, "new");
		const char *name;
		struct row ids, *r;

		if (json_is_object(new))
			read_external_ids(json_object_get(new, "external_ids"), &ids);
		if (!json_is_object(new) || ids.relay[0] == '\0') {
			changed |= delete_row(uuid);
			continue;
		}
		r = find_row(uuid);
		if (r == NULL) {
			if (mon.n_rows == mon.rows_cap && !grow_rows()) {
				VLOG_WARN_RL("ovsdb: more than %u interfaces marked for "
					     "relays; ignoring the rest", mon.rows_cap);
				continue;
			}
			if (strlen(uuid) >= sizeof(r->uuid))
				continue;       /* not a UUID: OVSDB sends none such */
			r = &mon.rows[mon.n_rows];
			memset(r, 0, sizeof(*r));
			snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
			if (json_object_set_new(mon.index, r->uuid,
						json_integer(mon.n_rows)) != 0) {
				VLOG_WARN_RL("ovsdb: out of memory for the table");
				continue;
			}
			mon.n_rows++;
		}
		name = json_string_value(json_object_get(new, "name"));
		snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
		memcpy(r->relay, ids.relay, sizeof(r->relay));
		memcpy(r->device, ids.device, sizeof(r->device));
		memcpy(r->iface_id, ids.iface_id, sizeof(r->iface_id));
		memcpy(r->profile, ids.profile, sizeof(r->profile));
		r->profile_long = ids.profile_long;
		changed = true;
	}
	return changed;
}


/* ------------------------------------------------------------------ */
/* The session                                                         */
/* ------------------------------------------------------------------ */

static void disconnect(const char *why);

/* Sends what is queued, as far as the socket takes it now. */
static int
flush_output(void)
{
	while (mon.out_off < mon.out_len) {
		ssize_t n = send(mon.fd, mon.out + mon.out_off, mon.out_len - mon.out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;       /* the rest when the socket is writable */
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		mon.out_off += (size_t)n;
	}
	mon.out_off = mon.out_len = 0;
	return 0;
}

/* Queues 'msg' and sends what the socket takes; -errno when the session
 * cannot go on (the caller disconnects). */
static int
send_json(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	if (mon.out_off > 0) {
		memmove(mon.out, mon.out + mon.out_off, mon.out_len - mon.out_off);
		mon.out_len -= mon.out_off;
		mon.out_off = 0;
	}
	if (mon.out_len + len > OVSDB_MAX_OUTPUT) {
		free(text);
		return -ENOBUFS;
	}
	if (mon.out_len + len > mon.out_cap) {
		size_t cap = mon.out_len + len + 4096;
		char *p = realloc(mon.out, cap);

		if (p == NULL) {
			free(text);
			return -ENOMEM;
		}
		mon.out = p;
		mon.out_cap = cap;
	}
	memcpy(mon.out + mon.out_len, text, len);
	mon.out_len += len;
	free(text);
	return flush_output();
}

/* Says why the session could not send, in words for the log. */
static const char *
send_error(int rc)
{
	return rc == -ENOBUFS ? "the server does not read what we send" : strerror(-rc);
}

static void
enter_backoff(void)
{
	mon.state = S_BACKOFF;
	mon.next_try_ms = vfwd_mono_ms() + vfwd_backoff_next(&mon.backoff);
}

static void
disconnect(const char *why)
{
	if (mon.fd >= 0) {
		close(mon.fd);
		if (mon.state == S_ACTIVE)
			VLOG_WARN_RL("ovsdb: connection to %s lost (%s); relays keep "
				     "their devices, will resynchronise", mon.target, why);
		else if (!mon.down_logged)
			VLOG_WARN("ovsdb: cannot connect to %s: %s; retrying in the "
				  "background", mon.target, why);
		mon.down_logged = mon.state != S_ACTIVE;
	}
	mon.fd = -1;
	mon.synced = false;
	mon.in_len = 0;
	mon.in_ready = false;
	vfwd_json_frame_reset(&mon.frame);
	mon.out_off = mon.out_len = 0;
	enter_backoff();
}

/*
 * Starts a non-blocking connect to 'sa'.  Returns the socket with
 * '*done' telling whether it connected already, or -errno.
 */
static int
connect_to(int family, const struct sockaddr *sa, socklen_t len, bool *done)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), e;

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) == 0) {
		*done = true;
		return fd;
	}
	/* A unix socket whose backlog is full says EAGAIN: a failed try. */
	if (errno == EINPROGRESS) {
		*done = false;
		return fd;
	}
	e = -errno;
	close(fd);
	return e;
}

static int
open_socket(bool *done)
{
	struct vfwd_ovsdb_target t;

	/* The configuration checked it with the same parser. */
	if (vfwd_parse_ovsdb_target(mon.target, &t) != 0)
		return -EINVAL;
	if (t.tcp) {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		sa.sin_addr.s_addr = t.addr;
		sa.sin_port = htons(t.port);
		return connect_to(AF_INET, (struct sockaddr *)&sa, sizeof(sa), done);
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(t.path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, t.path, strlen(t.path) + 1);
		return connect_to(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa), done);
	}
}

/* The connection is up: ask for the table and its changes. */
static void
connected(void)
{
	json_t *req;
	int rc;

	mon.state = S_ACTIVE;
	mon.last_rx_ms = vfwd_mono_ms();
	mon.probe_sent = false;
	mon.in_len = 0;
	vfwd_json_frame_reset(&mon.frame);
	req = json_pack("{s:i, s:s, s:[s, n, {s:{s:[s, s]}}]}", "id", MONITOR_ID,
			"method", "monitor", "params", "Open_vSwitch", "Interface",
			"columns", "name", "external_ids");
	rc = req != NULL ? send_json(req) : -ENOMEM;
	json_decref(req);
	if (rc != 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot send the monitor request: %s",
			 send_error(rc));
		disconnect(why);
		return;
	}
	VLOG_INFO("ovsdb: connected to %s, monitoring the Interface table", mon.target);
	mon.down_logged = false;
}

static void
try_connect(void)
{
	bool done = false;
	int fd = open_socket(&done);

	if (fd < 0) {
		if (!mon.down_logged)
			VLOG_WARN("ovsdb: cannot connect to %s: %s; retrying in the "
				  "background", mon.target, strerror(-fd));
		mon.down_logged = true;
		enter_backoff();
		return;
	}
	mon.fd = fd;
	if (done) {
		connected();
		return;
	}
	mon.state = S_CONNECTING;
	mon.connect_start_ms = vfwd_mono_ms();
}

/* The non-blocking connect under way finished (the socket is writable). */
static void
finish_connect(void)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(mon.fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0) {
		disconnect(strerror(e));
		return;
	}
	connected();
}

static void
handle_message(json_t *msg)
{
	json_t *id = json_object_get(msg, "id");
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");

	if (method != NULL && strcmp(method, "echo") == 0) {
		/* The server's keepalive: answer or be dropped. */
		json_t *reply = json_pack("{s:O, s:O, s:n}", "id", id ? id : json_null(),
					  "result", params ? params : json_null(), "error");
		int rc = reply != NULL ? send_json(reply) : -ENOMEM;

		json_decref(reply);
		/* The server drops a client that does not answer: go first. */
		if (rc != 0) {
			char why[128];

			snprintf(why, sizeof(why), "cannot answer the server's echo: %s",
				 send_error(rc));
			disconnect(why);
		}
		return;
	}
	if (method != NULL && strcmp(method, "update") == 0) {
		if (mon.synced && apply_updates(json_array_get(params, 1)))
			reconcile_start();
		return;
	}
	if (json_is_integer(id) && json_integer_value(id) == MONITOR_ID) {
		json_t *error = json_object_get(msg, "error");

		if (error != NULL && !json_is_null(error)) {
			char *e = json_dumps(error, JSON_COMPACT);

			VLOG_ERR_RL("ovsdb: monitor refused: %.200s", e ? e : "?");
			free(e);
			disconnect("monitor refused");
			return;
		}
		/* The whole table: rows that are gone since the last session
		 * disappear with the old mirror. */
		clear_rows();
		apply_updates(json_object_get(msg, "result"));
		mon.synced = true;
		vfwd_backoff_reset(&mon.backoff);
		VLOG_INFO("ovsdb: %zu interfaces in the table, %u marked for relays",
			  json_object_size(json_object_get(json_object_get(msg, "result"),
							   "Interface")), mon.n_rows);
		reconcile_start();
	}
	/* Anything else (the answer to our probe, say) only shows the
	 * server is alive. */
}

/* Handles the whole messages in the input buffer, a slice's worth. */
static void
parse_input(void)
{
	struct vfwd_slice sl;
	size_t off = 0;

	vfwd_slice_start(&sl, OVSDB_MSGS_PER_PASS);
	mon.in_ready = false;
	while (vfwd_slice_more(&sl)) {
		json_error_t je;
		size_t start, end;
		json_t *msg;
		int rc;

		rc = vfwd_json_frame_next(&mon.frame, mon.in + off, mon.in_len - off,
					  &start, &end);
		if (rc == 0)
			break;          /* the rest is still on its way */
		if (rc < 0) {
			VLOG_ERR_RL("ovsdb: bad JSON-RPC from the server: not a JSON "
				    "object, or nested deeper than %d",
				    VFWD_JSON_FRAME_MAX_DEPTH);
			disconnect("protocol error");
			return;
		}
		msg = json_loadb(mon.in + off + start, end - start, 0, &je);
		off += end;
		vfwd_json_frame_reset(&mon.frame);
		sl.done++;
		if (msg == NULL) {
			VLOG_ERR_RL("ovsdb: bad JSON from the server: %s (line %d, "
				    "column %d)", je.text, je.line, je.column);
			disconnect("protocol error");
			return;
		}
		if (json_is_object(msg))
			handle_message(msg);
		json_decref(msg);
		if (mon.state != S_ACTIVE)
			return;
	}
	/* Stopped by the slice: whole messages may wait, come back. */
	if (off < mon.in_len && mon.frame.scanned == 0)
		mon.in_ready = true;
	memmove(mon.in, mon.in + off, mon.in_len - off);
	mon.in_len -= off;
}

/* Reads what arrived, up to a slice's worth of bytes. */
static void
read_input(void)
{
	size_t got = 0;

	while (got < OVSDB_READ_PER_PASS) {
		ssize_t n;

		if (mon.in_cap - mon.in_len < 65536) {
			size_t cap = mon.in_cap ? mon.in_cap * 2 : 262144;
			char *p;

			if (cap > OVSDB_MAX_INPUT) {
				disconnect("a message larger than 16 MiB");
				return;
			}
			p = realloc(mon.in, cap);
			if (p == NULL) {
				disconnect("out of memory");
				return;
			}
			mon.in = p;
			mon.in_cap = cap;
		}
		n = recv(mon.fd, mon.in + mon.in_len, mon.in_cap - mon.in_len, MSG_DONTWAIT);
		if (n > 0) {
			mon.in_len += (size_t)n;
			got += (size_t)n;
			mon.last_rx_ms = vfwd_mono_ms();
			mon.probe_sent = false;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		disconnect(n == 0 ? "closed by the server" : strerror(errno));
		return;
	}
	parse_input();
}

/* Probes a silent server, and gives up on one that stays silent. */
static void
check_alive(uint64_t now)
{
	json_t *req;
	int rc;

	if (now - mon.last_rx_ms >= 2 * OVSDB_PROBE_MS) {
		char why[96];

		snprintf(why, sizeof(why), "no answer for %d s", 2 * OVSDB_PROBE_MS / 1000);
		disconnect(why);
		return;
	}
	if (now - mon.last_rx_ms < OVSDB_PROBE_MS || mon.probe_sent)
		return;
	mon.probe_sent = true;
	req = json_pack("{s:s, s:s, s:[]}", "id", "echo", "method", "echo", "params");
	rc = req != NULL ? send_json(req) : -ENOMEM;
	json_decref(req);
	if (rc != 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot probe the server: %s", send_error(rc));
		disconnect(why);
	}
}

void
vfwd_ovsdb_set_vfio_bind(const struct vfwd_vfio_bind *binds, unsigned int n)
{
	mon.binds = binds;
	mon.n_binds = n;
}

int
vfwd_ovsdb_start(const char *target, char *err, size_t errlen)
{
	if (target == NULL || target[0] == '\0' || strlen(target) >= sizeof(mon.target)) {
		ERR("VIRTIOFWD_OVSDB_SOCK_PATH: a socket path (or tcp:IP:PORT) is required");
		return -EINVAL;
	}
	mon.index = json_object();
	if (mon.index == NULL) {
		ERR("ovsdb: out of memory");
		return -ENOMEM;
	}
	mon.started = true;
	snprintf(mon.target, sizeof(mon.target), "%s", target);
	vfwd_backoff_init(&mon.backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	mon.down_logged = false;
	mon.phase = R_IDLE;
	try_connect();
	return 0;
}

int
vfwd_ovsdb_fd(short *events)
{
	*events = 0;
	if (mon.fd < 0)
		return -1;
	if (mon.state == S_CONNECTING)
		*events = POLLOUT;
	else
		*events = POLLIN | (mon.out_len > mon.out_off ? POLLOUT : 0);
	return mon.fd;
}

int
vfwd_ovsdb_timeout_ms(void)
{
	uint64_t now, due;

	if (!mon.started)
		return -1;
	if (mon.in_ready || (mon.phase != R_IDLE && !mon.pending))
		return 0;
	now = vfwd_mono_ms();
	switch (mon.state) {
	case S_BACKOFF:
		due = mon.next_try_ms;
		break;
	case S_CONNECTING:
		due = mon.connect_start_ms + OVSDB_CONNECT_TIMEOUT_MS;
		break;
	default:
		due = mon.last_rx_ms + (mon.probe_sent ? 2 : 1) * OVSDB_PROBE_MS;
		break;
	}
	return due > now ? (int)(due - now) : 0;
}

void
vfwd_ovsdb_run(short revents)
{
	uint64_t now;

	if (!mon.started)
		return;
	now = vfwd_mono_ms();
	switch (mon.state) {
	case S_BACKOFF:
		if (now >= mon.next_try_ms)
			try_connect();
		break;
	case S_CONNECTING:
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			finish_connect();
		else if (now - mon.connect_start_ms >= OVSDB_CONNECT_TIMEOUT_MS)
			disconnect("connect timed out");
		break;
	case S_ACTIVE:
		if (revents & POLLOUT) {
			int rc = flush_output();

			if (rc != 0) {
				disconnect(send_error(rc));
				break;
			}
		}
		if (revents & (POLLIN | POLLERR | POLLHUP))
			read_input();
		else if (mon.in_ready)
			parse_input();
		if (mon.state == S_ACTIVE)
			check_alive(vfwd_mono_ms());
		break;
	}
	if (mon.phase != R_IDLE)
		reconcile_step();
}

void
vfwd_ovsdb_stop(void)
{
	if (mon.fd >= 0)
		close(mon.fd);
	mon.fd = -1;
	mon.state = S_BACKOFF;
	mon.synced = false;
	mon.phase = R_IDLE;
	mon.n_rows = 0;
	/* A monitor started again (the fuzz target does) owns nothing yet. */
	memset(mon.owned, 0, sizeof(mon.owned));
	vfwd_json_frame_reset(&mon.frame);
	mon.in_ready = false;
	free(mon.in);
	free(mon.out);
	free(mon.rows);
	json_decref(mon.index);
	mon.index = NULL;
	mon.in = mon.out = NULL;
	mon.rows = NULL;
	mon.rows_cap = 0;
	mon.started = false;
	mon.in_len = mon.in_cap = 0;
	mon.out_off = mon.out_len = mon.out_cap = 0;
}

/* ------------------------------------------------------------------ */
/* The control loop's source                                           */
/* ------------------------------------------------------------------ */

static void
ovsdb_fill(struct vfwd_pollset *ps)
{
	short events;
	int fd = vfwd_ovsdb_fd(&events);

	if (fd >= 0)
		vfwd_pollset_add_fd(ps, fd, events);
}

static void
ovsdb_run(struct vfwd_pollset *ps)
{
	/* Run without an event too: timeouts, reconnection, a slice left. */
	vfwd_ovsdb_run(vfwd_pollset_revents(ps, 0));
}

const struct vfwd_ctl_source vfwd_ovsdb_source = {
	.name = "OVSDB monitor",
	.fill = ovsdb_fill,
	.timeout_ms = vfwd_ovsdb_timeout_ms,
	.run = ovsdb_run,
};
