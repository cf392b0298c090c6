/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay table, each relay's state changes, and the vhost library's
 * callbacks.
 *
 * A relay's state (relay_state.h) changes only through vfwd_relay_step(),
 * whose table of transitions is in relay_state.c.  What the workers poll
 * follows from the state and is handed to the data plane by
 * sync_dataplane(), which returns only when no worker can see the old
 * picture.  The rule that keeps the data path safe: whatever removes
 * something a worker may use (a vhost device, a port, a buffer pool)
 * changes the state and syncs first, and releases the thing only after;
 * additions are set up first, then synced.
 *
 * Locks.  relay_lock serialises every change of a relay; the vhost
 * library's new_device and destroy_device callbacks take it too.  The
 * library calls vring_state_changed and features_changed with all of the
 * device's queue locks held, and a worker inside rte_vhost_enqueue_burst()
 * spins on such a lock; those two callbacks must therefore never wait for
 * relay_lock, whose holder may be waiting for that very worker (a sync).
 * They take vring_lock instead, whose holder never waits for anything.
 * Order: relay_lock, then vring_lock.  Each field of struct relay says
 * which lock guards it, in a form clang checks (lock.h).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "dataplane.h"
#include "device.h"
#include "errmsg.h"
#include "lock.h"
#include "log.h"
#include "parse.h"
#include "profile.h"
#include "relay.h"
#include "relay_state.h"
#include "vhost.h"

/* Buffers per relay: device rings, packets in flight, per-lcore caches. */
#define POOL_MBUFS 8191
#define POOL_CACHE 256
/* Buffers beyond the device rings: packets in flight, spare. */
#define POOL_HEADROOM 2048
/* Jumbo frames fit one buffer, so devices without scattered receive work. */
#define JUMBO_BUF_SIZE (RTE_PKTMBUF_HEADROOM + 9000 + 18)

/* Serialises every change of a relay (see the top of the file). */
static struct vfwd_mutex relay_lock = VFWD_MUTEX_INITIALIZER;
/* Guards the guest's queue masks; its holder never waits for anything. */
static struct vfwd_mutex vring_lock VFWD_ACQUIRED_AFTER(relay_lock) =
	VFWD_MUTEX_INITIALIZER;

/*
 * One relay.  "both": written with relay_lock and vring_lock held, so
 * either lock is enough to read it.  The analysis knows them as
 * relay_lock's; the vhost callbacks that hold vring_lock alone read them
 * through by_path_vring() and guest_vid_vring().
 */
struct relay {
	unsigned int id;                       /* constant */

	/* both */
	struct vfwd_relay_state st VFWD_GUARDED_BY(relay_lock);
	char path[PATH_MAX] VFWD_GUARDED_BY(relay_lock); /* the socket while
							  * st.sock != NONE */
	int vid VFWD_GUARDED_BY(relay_lock);   /* the guest, -1: none */

	/* The library reports the guest's queues before and after
	 * new_device, so the masks carry the vhost device they belong to.
	 * Workers read the masks and the features without a lock: both are
	 * written only with atomic stores, under vring_lock (set_masks(),
	 * on_features_changed()), and read with atomic loads. */
	uint64_t features;                     /* negotiated by the guest */
	int mask_vid VFWD_GUARDED_BY(vring_lock);
	uint32_t q_enabled[VFWD_N_DIRS];       /* bit q: queue pair q */

	int vm_numa VFWD_GUARDED_BY(relay_lock);   /* the guest memory's node */
	struct vfwd_device dev VFWD_GUARDED_BY(relay_lock); /* while st.device */
	char members[VFWD_BOND_MAX_MEMBERS][VFWD_DEVSPEC_MAX] VFWD_GUARDED_BY(relay_lock);
	unsigned int n_members VFWD_GUARDED_BY(relay_lock); /* 0: not a bond */
	/* External label, e.g. a port id. */
	char ident[VFWD_NAME_MAX] VFWD_GUARDED_BY(relay_lock);
	/* Shared by both directions. */
	struct rte_mempool *pool VFWD_GUARDED_BY(relay_lock);
	int pool_numa VFWD_GUARDED_BY(relay_lock);
};

static struct relay relays[VFWD_MAX_RELAYS];
/*
 * What each relay was when the last change of it ended, for readers that
 * find relay_lock taken (vfwd_relay_info()): a change may hold it for as
 * long as a device takes to probe or close, or a guest's buffers to be
 * made, and the stats service must not wait that long.  shown_lock is a
 * leaf: held only to copy.
 */
static struct vfwd_mutex shown_lock = VFWD_MUTEX_INITIALIZER;
static struct vfwd_relay_info shown[VFWD_MAX_RELAYS] VFWD_GUARDED_BY(shown_lock);
static bool shown_valid[VFWD_MAX_RELAYS] VFWD_GUARDED_BY(shown_lock);
static struct vfwd_device_opts dev_opts;
static bool gro;                         /* VIRTIOFWD_GRO (with TSO) */
static uint16_t buf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
static unsigned int pool_generation;     /* keeps pool names unique */
static const struct rte_vhost_device_ops vhost_ops;

/* ------------------------------------------------------------------ */
/* State, and what the workers see of it                               */
/* ------------------------------------------------------------------ */

static void relay_done(struct relay *r) VFWD_RELEASES(relay_lock);

/*
 * Sets 'r''s guest queue masks, which workers read without a lock: the
 * only writer of them, atomic stores under vring_lock (so that a store
 * computed from the old value loses nothing).  Relaxed order is enough:
 * a mask publishes nothing but itself, and the vhost library guards the
 * rings it names.
 */
static void
set_masks(struct relay *r, uint32_t vf_to_vm, uint32_t vm_to_vf)
	VFWD_REQUIRES(vring_lock)
{
	__atomic_store_n(&r->q_enabled[VFWD_DIR_VF_TO_VM], vf_to_vm, __ATOMIC_RELAXED);
	__atomic_store_n(&r->q_enabled[VFWD_DIR_VM_TO_VF], vm_to_vf, __ATOMIC_RELAXED);
}

/* Sets the features the guest of 'r' negotiated, which workers read
 * without a lock: the only writer of them, an atomic store. */
static void
set_features(struct relay *r, uint64_t features)
	VFWD_REQUIRES(vring_lock)
{
	__atomic_store_n(&r->features, features, __ATOMIC_RELAXED);
}

/*
 * Applies 'ev' to 'r''s state: the only caller of vfwd_relay_step().  The
 * caller holds relay_lock and vring_lock (the state is a "both" field),
 * and changes the other "both" fields that go with the event before it
 * lets go of vring_lock.
 *
 * 'valid' says that the caller's own bookkeeping makes the event valid, so
 * that a refusal means the relay's state is wrong: that is logged as an
 * error (the relay keeps the state it had) rather than passed over.  Other
 * refusals are the callers' to report, and are logged at debug level.
 */
static int
step_locked(struct relay *r, enum vfwd_relay_event ev, bool valid)
	VFWD_REQUIRES(relay_lock, vring_lock)
{
	int rc = vfwd_relay_step(&r->st, ev);

	if (rc != 0)
		vfwd_log(valid ? LOG_ERR : LOG_DEBUG, "relay %u: %s refused in socket "
		     "state %s%s: %s", r->id, vfwd_relay_event_name(ev),
		     vfwd_sock_state_name(r->st.sock),
		     r->st.guest ? " with a guest" : "", strerror(-rc));
	return rc;
}

/* step_locked(), taking vring_lock; the caller holds relay_lock. */
static int
step(struct relay *r, enum vfwd_relay_event ev, bool valid)
	VFWD_REQUIRES(relay_lock) VFWD_EXCLUDES(vring_lock)
{
	int rc;

	vfwd_mutex_lock(&vring_lock);
	rc = step_locked(r, ev, valid);
	vfwd_mutex_unlock(&vring_lock);
	return rc;
}

/*
 * Tells the data plane what relay 'r' has now; returns once no worker
 * uses what it had before.  The pool goes with the guest: only vhost
 * dequeue (VM to VF) takes buffers from it in the data path.
 */
static void
sync_dataplane(const struct relay *r)
	VFWD_REQUIRES(relay_lock)
{
	const struct vfwd_dp_relay d = {
		.vid = r->st.guest ? r->vid : -1,
		.port_id = r->st.device ? r->dev.port_id : -1,
		.nb_rxq = r->st.device ? r->dev.nb_rxq : 0,
		.nb_txq = r->st.device ? r->dev.nb_txq : 0,
		.dev_numa = r->st.device ? r->dev.numa : -1,
		.pool = r->st.guest ? r->pool : NULL,
		.q_enabled = {
			[VFWD_DIR_VF_TO_VM] = &r->q_enabled[VFWD_DIR_VF_TO_VM],
			[VFWD_DIR_VM_TO_VF] = &r->q_enabled[VFWD_DIR_VM_TO_VF],
		},
		.features = &r->features,
		.ofl = {
			.ofl = r->st.device ? r->dev.ofl : 0,
			.mtu = r->st.device ? r->dev.mtu : RTE_ETHER_MTU,
		},
		.gro = gro,
	};

	vfwd_dp_set_relay(r->id, &d);
}

/*
 * Gives back what 'r' no longer needs; call after sync_dataplane().
 *
 * The buffer pool goes as soon as the relay has neither a guest nor a
 * device, whatever its socket: only vhost dequeue (published with the
 * guest) and the device's RX rings (gone with the device) take buffers
 * from it, so once both are gone and the workers have synced, every
 * buffer is back in it.  Keeping it for a socket alone would pin about
 * 65 MB per relay ever used, and with a socket on each of the 64 relays
 * the hugepages run out after a handful.  An idle relay (no socket
 * either) also starts its counters again at zero.
 */
static void
release_unused(struct relay *r)
	VFWD_REQUIRES(relay_lock)
{
	if (r->pool != NULL && !vfwd_relay_state_needs_buffers(&r->st)) {
		VLOG_DBG("relay %u: buffer pool %s freed (%u buffers)", r->id,
			 r->pool->name, r->pool->size);
		rte_mempool_free(r->pool);
		r->pool = NULL;
		r->pool_numa = -1;
	}
	if (vfwd_relay_state_idle(&r->st))
		vfwd_dp_reset_counters(r->id);
}

/* Forgets the guest of 'r' (whose socket still exists), then its queue
 * masks once no worker polls it. */
static void
drop_guest(struct relay *r)
	VFWD_REQUIRES(relay_lock) VFWD_EXCLUDES(vring_lock)
{
	int vid = r->vid;

	vfwd_mutex_lock(&vring_lock);
	if (step_locked(r, VFWD_EV_GUEST_DOWN, true) != 0) {
		vfwd_mutex_unlock(&vring_lock);
		return;
	}
	r->vid = -1;
	vfwd_mutex_unlock(&vring_lock);
	sync_dataplane(r);
	/* Now no worker uses 'vid': the library may free it. */
	vfwd_mutex_lock(&vring_lock);
	if (r->mask_vid == vid) {
		set_masks(r, 0, 0);
		r->mask_vid = -1;
	}
	vfwd_mutex_unlock(&vring_lock);
}

/* ------------------------------------------------------------------ */
/* Buffers                                                             */
/* ------------------------------------------------------------------ */

/*
 * The relay's buffer pool, created or grown so that 'ring_mbufs' buffers
 * can sit in a device's rings on top of the packets in flight and the
 * per-lcore caches.  Growing swaps the pool under the workers and frees
 * the old one once none uses it; the callers grow it only while the relay
 * has no device, so no ring holds old buffers.
 */
static struct rte_mempool *
relay_pool(struct relay *r, int numa, unsigned int ring_mbufs)
	VFWD_REQUIRES(relay_lock)
{
	unsigned int need = ring_mbufs + POOL_HEADROOM +
		POOL_CACHE * 3 / 2 * (vfwd_dp_n_workers() + 1), size = POOL_MBUFS;
	char name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *pool, *old = r->pool;

	if (old != NULL && old->size >= need)
		return old;
	while (size < need)
		size = size * 2 + 1;
	snprintf(name, sizeof(name), "vfwd_relay%u_%u", r->id, ++pool_generation);
	pool = rte_pktmbuf_pool_create(name, size, POOL_CACHE, 0, buf_size,
				       numa >= 0 ? numa : (int)SOCKET_ID_ANY);
	if (pool == NULL && numa >= 0) {
		VLOG_WARN("relay %u: no buffer memory on NUMA node %d, using any node",
			  r->id, numa);
		pool = rte_pktmbuf_pool_create(name, size, POOL_CACHE, 0, buf_size,
					       SOCKET_ID_ANY);
	}
	if (pool == NULL) {
		VLOG_ERR("relay %u: cannot create %u packet buffers: %s", r->id,
			 size, rte_strerror(rte_errno));
		return NULL;
	}
	r->pool = pool;
	r->pool_numa = pool->socket_id;
	if (old != NULL) {
		sync_dataplane(r);
		rte_mempool_free(old);
		VLOG_INFO("relay %u: buffer pool grown to %u", r->id, size);
	}
	return pool;
}

/* ------------------------------------------------------------------ */
/* The table                                                           */
/* ------------------------------------------------------------------ */

/* The relay whose socket is 'path'; under either lock (the callers
 * below say which). */
static struct relay *
find_path(const char *path) VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (vfwd_relay_state_has_path(&relays[i].st) &&
		    strcmp(relays[i].path, path) == 0)
			return &relays[i];
	return NULL;
}

/* find_path() under relay_lock. */
static struct relay *
by_path(const char *path)
	VFWD_REQUIRES(relay_lock)
{
	return find_path(path);
}

/* find_path() under vring_lock alone: 'st' and 'path' are "both"
 * fields, which a holder of either lock may read. */
static struct relay *
by_path_vring(const char *path)
	VFWD_REQUIRES(vring_lock)
{
	return find_path(path);
}

/* The vhost device of 'r''s guest, or -1; under vring_lock alone, like
 * by_path_vring(). */
static int
guest_vid_vring(const struct relay *r)
	VFWD_REQUIRES(vring_lock) VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	return r->st.guest ? r->vid : -1;
}

/* The relay serving device 'spec' (a bond or a member); under relay_lock. */
static struct relay *
by_device(const char *spec)
	VFWD_REQUIRES(relay_lock)
{
	unsigned int i, m;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (!relays[i].st.device)
			continue;
		if (vfwd_devspec_same(relays[i].dev.name, spec))
			return &relays[i];
		for (m = 0; m < relays[i].n_members; m++)
			if (vfwd_devspec_same(relays[i].members[m], spec))
				return &relays[i];
	}
	return NULL;
}

static int
check_id(unsigned int id, char *err, size_t errlen)
{
	if (id >= VFWD_MAX_RELAYS) {
		ERR("relay %u: out of range (0 to %u)", id, VFWD_MAX_RELAYS - 1);
		return -ERANGE;
	}
	return 0;
}

int
vfwd_relays_init(const struct vfwd_config *cfg)
{
	unsigned int i;

	buf_size = cfg->jumbo ? JUMBO_BUF_SIZE : RTE_MBUF_DEFAULT_BUF_SIZE;
	dev_opts.jumbo = cfg->jumbo;
	dev_opts.tso = cfg->tso;
	dev_opts.lro = cfg->gro;
	gro = cfg->tso && cfg->gro;
	dev_opts.rx_intr = cfg->poll_mode == VFWD_POLL_ADAPTIVE;
	/* Before any other thread: the locks cost nothing, and keep the
	 * rules without exceptions. */
	vfwd_mutex_lock(&relay_lock);
	vfwd_mutex_lock(&vring_lock);
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		struct relay *r = &relays[i];

		memset(r, 0, sizeof(*r));
		r->id = i;
		r->vid = r->mask_vid = -1;
		r->vm_numa = r->pool_numa = -1;
	}
	vfwd_mutex_unlock(&vring_lock);
	vfwd_mutex_unlock(&relay_lock);
	return 0;
}

void
vfwd_relays_fini(void)
{
	char err[VFWD_ERR_MAX];
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		struct vfwd_relay_state st;

		vfwd_mutex_lock(&relay_lock);
		st = relays[i].st;
		vfwd_mutex_unlock(&relay_lock);
		if (st.sock == VFWD_SOCK_OPEN)
			vfwd_relay_remove_socket(i, err, sizeof(err));
		if (st.device)
			vfwd_relay_detach(i, err, sizeof(err));
	}
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

int
vfwd_relay_add_socket(unsigned int id, const char *path, char *err, size_t errlen)
{
	struct relay *r, *other;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	if (strlen(path) >= sizeof(r->path)) {
		ERR("%s: socket path too long", path);
		return -ENAMETOOLONG;
	}
	vfwd_mutex_lock(&relay_lock);
	r = &relays[id];
	other = by_path(path);
	vfwd_mutex_lock(&vring_lock);
	if (other != NULL && other != r) {
		ERR("%s: already the socket of relay %u", path, other->id);
		rc = -EEXIST;
	} else if (step_locked(r, VFWD_EV_SOCKET_ADD, false) != 0) {
		ERR("relay %u: already has socket %s", id, r->path);
		rc = -EEXIST;
	} else {
		snprintf(r->path, sizeof(r->path), "%s", path);
	}
	vfwd_mutex_unlock(&vring_lock);
	relay_done(r);
	if (rc != 0)
		return rc;

	/* Unlocked: in client mode the library may connect and call us back
	 * before this returns. */
	rc = vfwd_vhost_open(path, &vhost_ops, err, errlen);

	vfwd_mutex_lock(&relay_lock);
	if (rc == 0) {
		step(r, VFWD_EV_SOCKET_OPENED, true);
	} else {
		if (r->st.guest)
			drop_guest(r);
		step(r, VFWD_EV_SOCKET_FAILED, true);
		release_unused(r);
	}
	relay_done(r);
	return rc;
}

int
vfwd_relay_remove_socket(unsigned int id, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct relay *r;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	vfwd_mutex_lock(&relay_lock);
	r = &relays[id];
	if (step(r, VFWD_EV_SOCKET_REMOVE, false) != 0) {
		ERR("relay %u: has no socket", id);
		vfwd_mutex_unlock(&relay_lock);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s", r->path);
	relay_done(r);

	/* Unlocked: a connected guest's destroy_device runs from here. */
	vfwd_vhost_close(path);

	vfwd_mutex_lock(&relay_lock);
	if (r->st.guest) {
		/* The library said nothing; make sure no worker keeps it. */
		drop_guest(r);
	}
	vfwd_mutex_lock(&vring_lock);
	if (step_locked(r, VFWD_EV_SOCKET_CLOSED, true) == 0) {
		set_masks(r, 0, 0);
		r->mask_vid = -1;
	}
	vfwd_mutex_unlock(&vring_lock);
	release_unused(r);
	relay_done(r);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/* What to attach: one device, or a bond of several. */
struct attach_req {
	const char *name;               /* the spec, or the bond's name */
	bool bond;
	unsigned int mode;
	const char *const *members;
	unsigned int n_members;
};

/*
 * Probes the device, gives it buffers, starts it, then publishes it.  The
 * pool is sized from the device's rings before its queues exist, so
 * nothing is called back in the middle of the device's set-up.
 */
static int
attach(unsigned int id, const struct attach_req *req, char *err, size_t errlen)
{
	struct vfwd_device dev;
	struct rte_mempool *pool;
	struct relay *r, *other = NULL;
	unsigned int i;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	if (strlen(req->name) >= sizeof(dev.name)) {
		ERR("device spec too long (at most %zu characters)", sizeof(dev.name) - 1);
		return -ENAMETOOLONG;
	}
	vfwd_mutex_lock(&relay_lock);
	r = &relays[id];
	other = by_device(req->name);
	for (i = 0; req->bond && other == NULL && i < req->n_members; i++)
		other = by_device(req->members[i]);
	/* Asked before the probe, which takes long and which a refusal
	 * would have to undo; step() below confirms it. */
	if (r->st.device) {
		ERR("relay %u: already has device %s", id, r->dev.name);
		rc = -EEXIST;
		goto out;
	}
	if (other != NULL) {
		ERR("%s: already in use by relay %u (%s)", req->name, other->id,
		    other->dev.name);
		rc = -EBUSY;
		goto out;
	}
	if (req->bond)
		rc = vfwd_device_probe_bond(req->name, req->mode, req->members,
					    req->n_members, &dev_opts, &dev, err, errlen);
	else
		rc = vfwd_device_probe(req->name, &dev_opts, &dev, err, errlen);
	if (rc != 0) {
		release_unused(r);
		goto out;
	}
	/* The VM's node wins when the guest is already there. */
	pool = relay_pool(r, r->st.guest && r->vm_numa >= 0 ? r->vm_numa : dev.numa,
			  vfwd_device_ring_mbufs(&dev));
	if (pool == NULL) {
		ERR("%s: no packet buffers (out of hugepage memory?)", dev.name);
		rc = -ENOMEM;
		goto fail_dev;
	}
	rc = vfwd_device_start(&dev, pool, err, errlen);
	if (rc != 0)
		goto fail_dev;
	/* Checked above, under the same hold of relay_lock. */
	if (step(r, VFWD_EV_DEVICE_ATTACH, true) != 0) {
		rc = -EEXIST;
		goto fail_dev;
	}
	r->dev = dev;
	r->n_members = req->bond ? req->n_members : 0;
	for (i = 0; i < r->n_members; i++)
		snprintf(r->members[i], sizeof(r->members[i]), "%s", req->members[i]);
	sync_dataplane(r);
	VLOG_INFO("relay %u: device %s attached (port %u)", id, req->name, dev.port_id);
	/* The VF port profile, on the device or on each member of a bond. */
	if (req->bond)
		vfwd_profile_attached(id, req->members, dev.member_port, dev.n_members);
	else
		vfwd_profile_attached(id, &req->name, &dev.port_id, 1);
	goto out;

fail_dev:
	vfwd_device_detach(&dev);
	release_unused(r);
out:
	relay_done(r);
	return rc;
}

int
vfwd_relay_attach(unsigned int id, const char *spec, char *err, size_t errlen)
{
	const struct attach_req req = { .name = spec };

	return attach(id, &req, err, errlen);
}

int
vfwd_relay_attach_bond(unsigned int id, const char *name, unsigned int mode,
		       const char *const *members, unsigned int n_members,
		       char *err, size_t errlen)
{
	const struct attach_req req = {
		.name = name, .bond = true, .mode = mode,
		.members = members, .n_members = n_members,
	};

	return attach(id, &req, err, errlen);
}

int
vfwd_relay_detach(unsigned int id, char *err, size_t errlen)
{
	struct relay *r;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	vfwd_mutex_lock(&relay_lock);
	r = &relays[id];
	if (step(r, VFWD_EV_DEVICE_DETACH, false) != 0) {
		ERR("relay %u: has no device", id);
		rc = -ENOENT;
		goto out;
	}
	sync_dataplane(r);
	/* No worker polls the port any more. */
	vfwd_device_detach(&r->dev);
	VLOG_INFO("relay %u: device %s detached", id, r->dev.name);
	vfwd_profile_detached(id);
	r->ident[0] = '\0';
	r->n_members = 0;
	release_unused(r);
out:
	relay_done(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Queries and moves                                                   */
/* ------------------------------------------------------------------ */

int
vfwd_relay_set_ident(unsigned int id, const char *ident)
{
	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	vfwd_mutex_lock(&relay_lock);
	/* Escaped: it comes from OVSDB rows, and goes out in stats. */
	vfwd_text_escape(ident ? ident : "", ident ? strlen(ident) : 0, relays[id].ident,
			 sizeof(relays[id].ident), NULL);
	relay_done(&relays[id]);
	return 0;
}

/* Looks a relay up under the lock; its id or -ENOENT. */
static int
find_locked(struct relay *(*lookup)(const char *key), const char *key)
{
	struct relay *r;
	int id;

	vfwd_mutex_lock(&relay_lock);
	r = lookup(key);
	id = r != NULL ? (int)r->id : -ENOENT;
	vfwd_mutex_unlock(&relay_lock);
	return id;
}

int
vfwd_relay_find_device(const char *spec)
{
	return find_locked(by_device, spec);
}

int
vfwd_relay_find_socket(const char *path)
{
	return find_locked(by_path, path);
}

int
vfwd_relay_move(unsigned int id, int cpu_vf_to_vm, int cpu_vm_to_vf,
		char *err, size_t errlen)
{
	const int cpus[VFWD_N_DIRS] = { cpu_vf_to_vm, cpu_vm_to_vf };
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	return vfwd_dp_move(id, cpus, err, errlen);
}

/* Fills the guest's queues and features of 'info' from 'r'.  They change
 * under vring_lock alone, whose holder never waits: any reader may. */
static void
guest_info(struct relay *r, struct vfwd_relay_info *info)
	VFWD_EXCLUDES(vring_lock)
{
	vfwd_mutex_lock(&vring_lock);
	info->rxq_enabled = __atomic_load_n(&r->q_enabled[VFWD_DIR_VF_TO_VM],
					    __ATOMIC_RELAXED);
	info->txq_enabled = __atomic_load_n(&r->q_enabled[VFWD_DIR_VM_TO_VF],
					    __ATOMIC_RELAXED);
	info->features = __atomic_load_n(&r->features, __ATOMIC_RELAXED);
	info->dirty_logging = RTE_VHOST_NEED_LOG(r->features);
	vfwd_mutex_unlock(&vring_lock);
}

/* Fills 'info' from 'r'; under relay_lock.  -ENOENT for a relay with
 * neither socket nor device. */
static int
fill_info(struct relay *r, struct vfwd_relay_info *info)
	VFWD_REQUIRES(relay_lock)
{
	unsigned int id = r->id;
	bool guest;

	if (r->st.sock != VFWD_SOCK_OPEN && !r->st.device)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	guest = r->st.guest;
	info->id = id;
	info->has_socket = r->st.sock == VFWD_SOCK_OPEN;
	info->has_device = r->st.device;
	info->guest_connected = guest;
	snprintf(info->socket, sizeof(info->socket), "%s", info->has_socket ? r->path : "");
	snprintf(info->device, sizeof(info->device), "%s", r->st.device ? r->dev.name : "");
	info->port_id = r->st.device ? r->dev.port_id : -1;
	snprintf(info->ident, sizeof(info->ident), "%s", r->ident);
	info->numa = r->pool != NULL ? r->pool_numa : -1;
	/* The pool cannot go while we hold relay_lock; the count sums the
	 * workers' caches without stopping them, so it is a snapshot. */
	info->pool_size = r->pool != NULL ? r->pool->size : 0;
	info->pool_in_use = r->pool != NULL ? rte_mempool_in_use_count(r->pool) : 0;
	vfwd_dp_relay_cpus(id, info->cpu, info->pin);
	info->dev_rxq = r->st.device ? r->dev.nb_rxq : 0;
	info->dev_txq = r->st.device ? r->dev.nb_txq : 0;
	info->dev_ofl = r->st.device ? r->dev.ofl : 0;
	info->dev_mtu = r->st.device ? r->dev.mtu : 0;
	info->gro = gro;
	if (r->st.device) {
		struct rte_eth_stats es;

		/* What the driver refused to send: with the relay's own
		 * counters, what it handed over adds up. */
		if (rte_eth_stats_get(r->dev.port_id, &es) == 0)
			info->dev_oerrors = es.oerrors;
	}
	if (guest)
		guest_info(r, info);
	vfwd_dp_relay_counters(id, info->dir);
	return 0;
}

/* Records what 'r' is now for readers that find relay_lock taken; under
 * relay_lock, at the end of each change (relay_done()). */
static void
show(struct relay *r)
	VFWD_REQUIRES(relay_lock)
{
	static struct vfwd_relay_info info;     /* relay_lock: big for a stack */
	int rc = fill_info(r, &info);

	vfwd_mutex_lock(&shown_lock);
	shown_valid[r->id] = rc == 0;
	if (rc == 0)
		shown[r->id] = info;
	vfwd_mutex_unlock(&shown_lock);
}

/* Ends a change of 'r': shows it, and lets go of relay_lock. */
static void
relay_done(struct relay *r)
	VFWD_RELEASES(relay_lock)
{
	show(r);
	vfwd_mutex_unlock(&relay_lock);
}

int
vfwd_relay_info(unsigned int id, struct vfwd_relay_info *info)
{
	int rc;

	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	if (vfwd_mutex_trylock(&relay_lock)) {
		rc = fill_info(&relays[id], info);
		vfwd_mutex_unlock(&relay_lock);
	} else {
		/* A change is under way: the relay as the last change left
		 * it, with live placement and counters, rather than a wait. */
		vfwd_mutex_lock(&shown_lock);
		rc = shown_valid[id] ? 0 : -ENOENT;
		if (rc == 0)
			*info = shown[id];
		vfwd_mutex_unlock(&shown_lock);
		if (rc == 0) {
			vfwd_dp_relay_cpus(id, info->cpu, info->pin);
			vfwd_dp_relay_counters(id, info->dir);
			if (info->guest_connected)
				guest_info(&relays[id], info);
		}
	}
	if (rc != 0)
		return rc;
	/* Asked outside our lock: the library takes its own. */
	if (info->has_socket &&
	    rte_vhost_driver_get_features(info->socket, &info->offered) != 0)
		info->offered = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* vhost library callbacks, on its own thread                          */
/* ------------------------------------------------------------------ */

/* The socket path of vhost device 'vid'. */
static int
vid_path(int vid, char *buf, size_t len)
{
	if (rte_vhost_get_ifname(vid, buf, len) != 0) {
		VLOG_ERR_RL("vhost device %d: cannot read its socket path", vid);
		return -1;
	}
	return 0;
}

/*
 * We poll: the guest need not kick us after every burst it sends (each
 * kick is a system call in the guest, a VM exit under KVM).  The library
 * keeps the setting per vring and applies it again when the guest enables
 * a vring later, so once per connection is enough.  Skipped while dirty
 * logging is on: the flag lives in guest memory.
 */
static void
guest_notifications_off(const struct relay *r, int vid, uint64_t features)
{
	uint16_t q, n = rte_vhost_get_vring_num(vid);

	if (RTE_VHOST_NEED_LOG(features))
		return;
	for (q = 0; q < n; q++)
		if (rte_vhost_enable_guest_notification(vid, q, 0) != 0)
			VLOG_DBG("relay %u: vring %u: notifications stay on", r->id, q);
}

/*
 * A guest finished negotiating: give it buffers, then publish it.  Its
 * state changes first, so that the table alone decides whether it may
 * come; a guest that then gets no buffers is taken down again before any
 * worker saw it.
 */
static int
on_new_device(int vid)
{
	char path[PATH_MAX];
	uint64_t features = 0;
	struct relay *r;
	int rc = -1;

	if (vid_path(vid, path, sizeof(path)) != 0)
		return -1;
	if (rte_vhost_get_negotiated_features(vid, &features) != 0) {
		VLOG_ERR_RL("%s: cannot read the features the guest negotiated; "
			    "refusing it", path);
		return -1;
	}
	vfwd_mutex_lock(&relay_lock);
	r = by_path(path);
	if (r == NULL) {
		VLOG_WARN_RL("%s: guest connected to a socket no relay owns", path);
		goto out;
	}
	vfwd_mutex_lock(&vring_lock);
	switch (step_locked(r, VFWD_EV_GUEST_UP, false)) {
	case 0:
		r->vid = vid;
		set_features(r, features);
		if (r->mask_vid != vid) {
			set_masks(r, 0, 0);
			r->mask_vid = vid;
		}
		vfwd_mutex_unlock(&vring_lock);
		break;
	case -EEXIST:
		vfwd_mutex_unlock(&vring_lock);
		VLOG_ERR_RL("relay %u: a second guest connected to %s while the first "
			 "is still there; refusing it", r->id, path);
		goto out;
	default:
		vfwd_mutex_unlock(&vring_lock);
		VLOG_WARN_RL("relay %u: guest connected to %s while the socket is "
			  "closing; refusing it", r->id, path);
		goto out;
	}
	r->vm_numa = rte_vhost_get_numa_node(vid);
	if (relay_pool(r, r->vm_numa, 0) == NULL) {
		drop_guest(r);
		release_unused(r);
		goto out;
	}
	vfwd_vhost_resume_packed(vid, features, r->id);
	guest_notifications_off(r, vid, features);
	sync_dataplane(r);
	VLOG_INFO("relay %u: guest connected on %s (vhost device %d, %u queue "
		  "pair(s), features 0x%" PRIx64 ", NUMA node %d)", r->id, path, vid,
		  rte_vhost_get_vring_num(vid) / 2, features, r->vm_numa);
	rc = 0;
out:
	if (r != NULL)
		relay_done(r);
	else
		vfwd_mutex_unlock(&relay_lock);
	return rc;
}

/* The guest went away; returns once no worker uses 'vid'. */
static void
on_destroy_device(int vid)
{
	char path[PATH_MAX];
	struct relay *r;

	if (vid_path(vid, path, sizeof(path)) != 0)
		return;
	vfwd_mutex_lock(&relay_lock);
	r = by_path(path);
	if (r != NULL && r->st.guest && r->vid == vid) {
		drop_guest(r);
		/* No worker writes to the rings any more, and QEMU has not
		 * read the log for the last time yet (vhost.h). */
		vfwd_vhost_log_packed_rings(vid);
		VLOG_INFO("relay %u: guest disconnected from %s", r->id, path);
		release_unused(r);
		relay_done(r);
		return;
	}
	vfwd_mutex_unlock(&relay_lock);
}

/* The guest enabled or disabled a vring.  Under the library's queue
 * locks: takes vring_lock only (see the top of the file). */
static int
on_vring_state_changed(int vid, uint16_t vring, int enable)
{
	unsigned int q = vring / 2;
	char path[PATH_MAX];
	uint32_t masks[VFWD_N_DIRS];
	struct relay *r;
	int dir;

	if (vid_path(vid, path, sizeof(path)) != 0)
		return -1;
	if (q >= VFWD_MAX_QUEUE_PAIRS) {
		VLOG_WARN_RL("%s: vring %u is beyond the %u queue pairs a relay serves",
			  path, vring, VFWD_MAX_QUEUE_PAIRS);
		return 0;
	}
	vfwd_mutex_lock(&vring_lock);
	r = by_path_vring(path);
	if (r == NULL)
		goto out;
	if (r->mask_vid != vid) {
		/* A new connection: the old guest's queues mean nothing. */
		if (guest_vid_vring(r) >= 0 && guest_vid_vring(r) != vid)
			goto out;
		set_masks(r, 0, 0);
		r->mask_vid = vid;
	}
	/* Even vrings are guest RX queues, fed by the VF-to-VM direction. */
	dir = vring % 2 == 0 ? VFWD_DIR_VF_TO_VM : VFWD_DIR_VM_TO_VF;
	masks[VFWD_DIR_VF_TO_VM] = __atomic_load_n(&r->q_enabled[VFWD_DIR_VF_TO_VM],
						   __ATOMIC_RELAXED);
	masks[VFWD_DIR_VM_TO_VF] = __atomic_load_n(&r->q_enabled[VFWD_DIR_VM_TO_VF],
						   __ATOMIC_RELAXED);
	masks[dir] = enable ? (masks[dir] | 1u << q) : (masks[dir] & ~(1u << q));
	/* Workers pick the new mask up on their next poll; the library
	 * itself refuses work on a disabled ring, so no wait is needed. */
	set_masks(r, masks[VFWD_DIR_VF_TO_VM], masks[VFWD_DIR_VM_TO_VF]);
	VLOG_DBG("relay %u: guest %s queue %u %s", r->id,
		 vring % 2 == 0 ? "RX" : "TX", q, enable ? "enabled" : "disabled");
out:
	vfwd_mutex_unlock(&vring_lock);
	/* A sleeping worker waits on the queues it knew: let it arm this one. */
	if (enable && vring % 2 == 1)
		vfwd_dp_wake_all();
	return 0;
}

/* The negotiated features changed: dirty page logging on or off.  Under
 * the library's queue locks: takes vring_lock only. */
static int
on_features_changed(int vid, uint64_t features)
{
	char path[PATH_MAX];
	struct relay *r;

	if (vid_path(vid, path, sizeof(path)) != 0)
		return 0;
	vfwd_mutex_lock(&vring_lock);
	r = by_path_vring(path);
	if (r != NULL && guest_vid_vring(r) == vid) {
		if (RTE_VHOST_NEED_LOG(features) != RTE_VHOST_NEED_LOG(r->features))
			VLOG_NOTICE("relay %u: dirty page logging %s", r->id,
				    RTE_VHOST_NEED_LOG(features)
				    ? "on: live migration in progress"
				    : "off");
		set_features(r, features);
	}
	vfwd_mutex_unlock(&vring_lock);
	return 0;
}

/* The callbacks every relay socket registers (vfwd_vhost_open()). */
static const struct rte_vhost_device_ops vhost_ops = {
	.new_device = on_new_device,
	.destroy_device = on_destroy_device,
	.vring_state_changed = on_vring_state_changed,
	.features_changed = on_features_changed,
};
