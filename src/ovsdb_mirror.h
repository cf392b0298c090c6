/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor's copy of the Interface table: the rows marked for a
 * relay (external_ids:virtio_forwarder), kept up to date from the
 * server's monitor replies and updates (RFC 7047 table-updates).  Rows of
 * other interfaces are not kept, so a host's thousands of other
 * interfaces cost one look at their external_ids each.
 *
 * What the server sends is bounded here: at most VFWD_OVSDB_MAX_ROWS
 * marked rows, each value cut to its field's size.
 */
#ifndef VFWD_OVSDB_MIRROR_H
#define VFWD_OVSDB_MIRROR_H

#include <jansson.h>
#include <stdbool.h>

#include "config.h"

/* Marked rows kept at most; the rest are ignored, with a warning. */
#define VFWD_OVSDB_MAX_ROWS 4096

/* One marked row of the Interface table, as far as the daemon cares. */
struct vfwd_ovsdb_row {
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
	/* The reconciler's, kept with the row across table changes
	 * (ovsdb_reconcile.h): */
	char logged[VFWD_ERR_MAX];         /* last reason logged for it */
	int t_relay;                       /* what it asks for, -1: nothing */
	char t_dev[VFWD_DEVSPEC_MAX];
};

/* The mirrored table.  Rows move when others go or the array grows: hold
 * no pointer to one across vfwd_ovsdb_mirror_apply(). */
struct vfwd_ovsdb_mirror {
	struct vfwd_ovsdb_row *rows;       /* grows as the table does */
	unsigned int n_rows, rows_cap;
	/* uuid -> index in 'rows' (a JSON object is a hash table): a
	 * 5000-row table is found row by row in time linear, not square. */
	json_t *index;
};

/* Sets up an empty mirror; -ENOMEM. */
int vfwd_ovsdb_mirror_init(struct vfwd_ovsdb_mirror *m);

/* Frees what 'm' holds; it may be set up again. */
void vfwd_ovsdb_mirror_destroy(struct vfwd_ovsdb_mirror *m);

/* Forgets every row (a new session's initial table replaces them). */
void vfwd_ovsdb_mirror_clear(struct vfwd_ovsdb_mirror *m);

/* The row of UUID 'uuid', or NULL. */
struct vfwd_ovsdb_row *vfwd_ovsdb_mirror_find(const struct vfwd_ovsdb_mirror *m,
					      const char *uuid);

/*
 * Applies one table-updates object, {"Interface": {uuid: {old, new}}}, as
 * a monitor reply's result or an update notification's second parameter
 * carries it.  Returns whether a marked row came, changed or went.
 */
bool vfwd_ovsdb_mirror_apply(struct vfwd_ovsdb_mirror *m, json_t *updates);

#endif /* VFWD_OVSDB_MIRROR_H */
