/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor's copy of the Interface table (see ovsdb_mirror.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "ovsdb_mirror.h"

int
vfwd_ovsdb_mirror_init(struct vfwd_ovsdb_mirror *m)
{
	memset(m, 0, sizeof(*m));
	m->index = json_object();
	return m->index != NULL ? 0 : -ENOMEM;
}

void
vfwd_ovsdb_mirror_destroy(struct vfwd_ovsdb_mirror *m)
{
	free(m->rows);
	json_decref(m->index);
	memset(m, 0, sizeof(*m));
}

struct vfwd_ovsdb_row *
vfwd_ovsdb_mirror_find(const struct vfwd_ovsdb_mirror *m, const char *uuid)
{
	json_t *i = json_object_get(m->index, uuid);

	return i != NULL ? &m->rows[json_integer_value(i)] : NULL;
}

void
vfwd_ovsdb_mirror_clear(struct vfwd_ovsdb_mirror *m)
{
	m->n_rows = 0;
	json_object_clear(m->index);
}

/* Forgets row 'uuid'; whether there was one. */
static bool
delete_row(struct vfwd_ovsdb_mirror *m, const char *uuid)
{
	struct vfwd_ovsdb_row *r = vfwd_ovsdb_mirror_find(m, uuid);

	if (r == NULL)
		return false;
	json_object_del(m->index, uuid);
	/* The last row takes its place. */
	if (r != &m->rows[--m->n_rows]) {
		*r = m->rows[m->n_rows];
		json_object_set_new(m->index, r->uuid, json_integer(r - m->rows));
	}
	return true;
}

/* external_ids is ["map", [[key, value], ...]]. */
static void
read_external_ids(json_t *ids, struct vfwd_ovsdb_row *r)
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
			/* Past the end already: the row is refused as too
			 * long below, and 'rest + used' may not be formed. */
			if (used >= sizeof(rest))
				continue;
			used += (size_t)snprintf(rest + used, sizeof(rest) - used, "%s%s=%s",
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

/* Makes room for more rows, up to VFWD_OVSDB_MAX_ROWS.  Rows move: callers
 * start a new reconciling round after a change of the table anyway. */
static bool
grow_rows(struct vfwd_ovsdb_mirror *m)
{
	unsigned int cap = m->rows_cap ? m->rows_cap * 2 : 64;
	struct vfwd_ovsdb_row *p;

	if (m->rows_cap >= VFWD_OVSDB_MAX_ROWS)
		return false;
	if (cap > VFWD_OVSDB_MAX_ROWS)
		cap = VFWD_OVSDB_MAX_ROWS;
	p = realloc(m->rows, cap * sizeof(*p));
	if (p == NULL)
		return false;
	m->rows = p;
	m->rows_cap = cap;
	return true;
}

/*
 * Only rows marked for a relay (external_ids:virtio_forwarder) are kept:
 * a host's thousands of other interfaces then cost a look at their
 * external_ids, and none of the reconciling.
 */
bool
vfwd_ovsdb_mirror_apply(struct vfwd_ovsdb_mirror *m, json_t *updates)
{
	json_t *table = json_object_get(updates, "Interface"), *change;
	bool changed = false;
	const char *uuid;

	if (!json_is_object(table))
		return false;
	json_object_foreach(table, uuid, change) {
		json_t *new = json_object_get(change, "new");
		const char *name;
		struct vfwd_ovsdb_row ids, *r;

		if (json_is_object(new))
			read_external_ids(json_object_get(new, "external_ids"), &ids);
		if (!json_is_object(new) || ids.relay[0] == '\0') {
			changed |= delete_row(m, uuid);
			continue;
		}
		r = vfwd_ovsdb_mirror_find(m, uuid);
		if (r == NULL) {
			if (m->n_rows == m->rows_cap && !grow_rows(m)) {
				VLOG_WARN_RL("ovsdb: more than %u interfaces marked for "
					     "relays; ignoring the rest", m->rows_cap);
				continue;
			}
			if (strlen(uuid) >= sizeof(r->uuid))
				continue;       /* not a UUID: OVSDB sends none such */
			r = &m->rows[m->n_rows];
			memset(r, 0, sizeof(*r));
			snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
			if (json_object_set_new(m->index, r->uuid,
						json_integer(m->n_rows)) != 0) {
				VLOG_WARN_RL("ovsdb: out of memory for the table");
				continue;
			}
			m->n_rows++;
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
