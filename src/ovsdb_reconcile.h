/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor's reconciler: after every change of the mirrored
 * Interface table (ovsdb_mirror.h) it works out the relays the table asks
 * for and brings the relays this source attached in line, through the
 * same port control operations as the other sources: removals first (a
 * device may move to another relay), then additions and new VF port
 * profiles.  A VF of VIRTIOFWD_BIND_VFIO_PCI goes to vfio-pci before it
 * is attached.
 *
 * The changes run on the operations thread (ctl_ops.h), one at a time,
 * a few per call of vfwd_ovsdb_reconcile_step() (ctl_slice.h), so the
 * control loop never waits for a driver.  It only ever touches relays it
 * attached itself.
 */
#ifndef VFWD_OVSDB_RECONCILE_H
#define VFWD_OVSDB_RECONCILE_H

#include <stdbool.h>

#include "config.h"
#include "ovsdb_mirror.h"

struct vfwd_vfio_bind;

/* Where a reconciling round is: removals first, then additions. */
enum vfwd_ovsdb_reconcile_phase {
	VFWD_OVSDB_R_IDLE,
	VFWD_OVSDB_R_REMOVE,
	VFWD_OVSDB_R_ADD,
};

/* The reconciler's state.  Its fields are the module's. */
struct vfwd_ovsdb_reconciler {
	struct vfwd_ovsdb_mirror *mirror;  /* the table it follows */
	/* The round under way: what each relay should have. */
	enum vfwd_ovsdb_reconcile_phase phase;
	bool pending;                      /* a change runs on the ops thread */
	unsigned int next_relay;
	struct vfwd_ovsdb_row *want[VFWD_MAX_RELAYS];
	/* Relays this source attached, and with what. */
	bool owned[VFWD_MAX_RELAYS];
	char owned_dev[VFWD_MAX_RELAYS][VFWD_DEVSPEC_MAX];
	char owned_profile[VFWD_MAX_RELAYS][VFWD_VF_PROFILE_TEXT_MAX];
	/* VIRTIOFWD_BIND_VFIO_PCI (the caller's; NULL: bind nothing). */
	const struct vfwd_vfio_bind *binds;
	unsigned int n_binds;
};

/*
 * The devices of VIRTIOFWD_BIND_VFIO_PCI ('n' entries 'binds', which must
 * outlive the reconciler): a PCI device named there is bound to vfio-pci
 * before it is attached.
 */
void vfwd_ovsdb_reconcile_set_vfio_bind(struct vfwd_ovsdb_reconciler *rc,
					const struct vfwd_vfio_bind *binds,
					unsigned int n);

/*
 * Starts a round for the rows of 'm' as they are now (logging the rows
 * that cannot have their relay); vfwd_ovsdb_reconcile_step() makes the
 * changes.  A change of the table starts a new round: rows move in the
 * mirror, and they must not change during one.
 */
void vfwd_ovsdb_reconcile_start(struct vfwd_ovsdb_reconciler *rc,
				struct vfwd_ovsdb_mirror *m);

/* Makes the changes of the round under way, a slice's worth. */
void vfwd_ovsdb_reconcile_step(struct vfwd_ovsdb_reconciler *rc);

/* Whether a round has a change to make now (none is running). */
bool vfwd_ovsdb_reconcile_has_work(const struct vfwd_ovsdb_reconciler *rc);

/* Whether a round is under way, a change running or not. */
bool vfwd_ovsdb_reconcile_busy(const struct vfwd_ovsdb_reconciler *rc);

/* Ends the round under way and forgets the relays it attached: a monitor
 * started again (the fuzz target does) owns nothing yet. */
void vfwd_ovsdb_reconcile_reset(struct vfwd_ovsdb_reconciler *rc);

#endif /* VFWD_OVSDB_RECONCILE_H */
