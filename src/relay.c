/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relay table and its state changes.
 *
 * The rule that keeps the data path safe: every change that removes
 * something a worker may use (a vhost device, a port, a buffer pool) is
 * first unpublished with vfwd_workers_publish(), which returns only when
 * no worker can still see it; only then is the thing released.  Additions
 * are the reverse: set up first, then published.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "device.h"
#include "log.h"
#include "placement.h"
#include "relay.h"
#include "vhost.h"

#include "errmsg.h"

/* Buffers per relay: device rings, packets in flight, per-lcore caches. */
#define POOL_MBUFS 8191
#define POOL_CACHE 256
/* Buffers beyond the device rings: packets in flight, spare. */
#define POOL_HEADROOM 2048
/* Jumbo frames fit one buffer, so devices without scattered receive work. */
#define JUMBO_BUF_SIZE (RTE_PKTMBUF_HEADROOM + 9000 + 18)

struct relay {
	unsigned int id;

	/* vhost side */
	bool has_socket;
	bool socket_busy;            /* being opened or closed */
	char path[PATH_MAX];
	int vid;                     /* -1: no guest */
	int mask_vid;                /* the guest the masks below belong to */
	uint32_t rxq_enabled;        /* guest RX queues: VF-to-VM targets */
	uint32_t txq_enabled;        /* guest TX queues: VM-to-VF sources */
	uint64_t features;
	int vm_numa;

	/* device side */
	bool has_dev;
	char spec[VFWD_DEVSPEC_MAX];          /* device, or bond name */
	char members[VFWD_BOND_MAX_MEMBERS][VFWD_DEVSPEC_MAX];
	unsigned int n_members;               /* 0: not a bond */
	struct vfwd_device dev;
	char ident[VFWD_NAME_MAX];            /* external label, e.g. a port id */

	/* buffers, shared by both directions */
	struct rte_mempool *pool;
	int pool_numa;

	/* placement */
	int pin[VFWD_N_DIRS];        /* configured CPU, -1: any */
	int worker[VFWD_N_DIRS];     /* assigned worker, -1: none */
	int published[VFWD_N_DIRS];  /* worker that polls it now, -1: none */
};

static struct relay relays[VFWD_MAX_RELAYS];
static pthread_mutex_t relay_lock = PTHREAD_MUTEX_INITIALIZER;
/*
 * The vhost library calls vring_state_changed and features_changed with
 * all of the device's queue locks held, and a worker in
 * rte_vhost_enqueue_burst() spins on such a lock.  Those callbacks must
 * therefore never wait for relay_lock, whose holder may be waiting for
 * that very worker (publish).  They take this lock instead: it guards the
 * socket path lookup (path, has_socket, socket_busy), the guest (vid,
 * features) and its queue masks, and its holder never waits for anything.
 * Order: relay_lock, then vring_lock.
 */
static pthread_mutex_t vring_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfwd_device_opts dev_opts;
static bool same_numa;          /* VIRTIOFWD_CPU_NIC_SAME_NUMA */
static uint16_t buf_size = RTE_MBUF_DEFAULT_BUF_SIZE;
static unsigned int pool_generation;     /* keeps pool names unique */

/* ------------------------------------------------------------------ */
/* Publishing to the workers                                           */
/* ------------------------------------------------------------------ */

/* Does direction 'dir' of 'r' have anything to poll? */
static bool
unit_needed(const struct relay *r, enum vfwd_dir dir)
{
	if (dir == VFWD_DIR_VF_TO_VM)
		return r->has_dev;
	return r->vid >= 0;
}

static void
fill_unit(struct vfwd_unit *u, struct relay *r, enum vfwd_dir dir,
	  unsigned int w)
{
	memset(u, 0, sizeof(*u));
	u->dir = (uint8_t)dir;
	u->relay_id = (uint16_t)r->id;
	u->vid = r->vid;
	u->port_id = r->has_dev ? r->dev.port_id : -1;
	if (r->has_dev)
		u->nb_dev_q = (uint8_t)(dir == VFWD_DIR_VF_TO_VM ? r->dev.nb_rxq
							   : r->dev.nb_txq);
	u->pool = r->pool;
	u->q_enabled = dir == VFWD_DIR_VF_TO_VM ? &r->rxq_enabled : &r->txq_enabled;
	u->ctr = &vfwd_workers[w].ctr[r->id][dir];
	u->qctr = vfwd_workers[w].qctr[dir][r->id];
}

/*
 * Builds every worker's poll list from the relay table and publishes it.
 * 'skip_moving': leave out units that would change worker, so that the
 * old worker lets go of them before the new one starts.
 */
static void
publish_pass(bool skip_moving)
{
	struct vfwd_poll_list *lists[VFWD_MAX_CPUS];
	unsigned int w, i;
	int d;

	for (w = 0; w < vfwd_n_workers; w++) {
		lists[w] = vfwd_worker_spare_list(w);
		lists[w]->n = 0;
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		struct relay *r = &relays[i];

		for (d = 0; d < VFWD_N_DIRS; d++) {
			int target = unit_needed(r, d) ? r->worker[d] : -1;

			if (target < 0)
				continue;
			if (skip_moving && r->published[d] >= 0 &&
			    r->published[d] != target)
				continue;
			fill_unit(&lists[target]->units[lists[target]->n++], r, d,
				  (unsigned int)target);
		}
	}
	vfwd_workers_publish();
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			struct relay *r = &relays[i];
			int target = unit_needed(r, d) ? r->worker[d] : -1;

			if (skip_moving && r->published[d] >= 0 &&
			    r->published[d] != target)
				r->published[d] = -1;
			else
				r->published[d] = target;
		}
}

/* Loads of the workers: relay directions placed on each. */
static void
worker_loads(unsigned int *load)
{
	unsigned int i;
	int d;

	memset(load, 0, vfwd_n_workers * sizeof(*load));
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			if (relays[i].worker[d] >= 0)
				load[relays[i].worker[d]]++;
}

/* Gives 'r' workers when it starts needing them, takes them back after. */
static void
place(struct relay *r)
{
	unsigned int load[VFWD_MAX_CPUS];
	bool needed = unit_needed(r, VFWD_DIR_VF_TO_VM) ||
		unit_needed(r, VFWD_DIR_VM_TO_VF);
	int d, w;

	if (!needed) {
		r->worker[0] = r->worker[1] = -1;
		return;
	}
	if (r->worker[0] >= 0 && r->worker[1] >= 0)
		return;
	/* Unpinned directions of a relay share the least loaded worker: the
	 * relay's state stays in one CPU's cache. */
	worker_loads(load);
	if (same_numa && r->has_dev && r->dev.numa >= 0) {
		unsigned int i, local = 0;

		for (i = 0; i < vfwd_n_workers; i++)
			local += vfwd_workers[i].numa == r->dev.numa;
		/* Other nodes' workers only when the NIC's node has none. */
		if (local > 0) {
			for (i = 0; i < vfwd_n_workers; i++)
				if (vfwd_workers[i].numa != r->dev.numa)
					load[i] = UINT_MAX;
		} else {
			VLOG_WARN("relay %u: no worker on NUMA node %d of %s; using "
				  "any worker", r->id, r->dev.numa, r->spec);
		}
	}
	w = (int)vfwd_place_least_loaded(load, vfwd_n_workers);
	for (d = 0; d < VFWD_N_DIRS; d++) {
		int pinned = r->pin[d] >= 0 ? vfwd_worker_by_cpu(r->pin[d]) : -1;

		r->worker[d] = pinned >= 0 ? pinned : w;
	}
}

/*
 * Publishes the table after a change to 'r'.  A unit that changes worker
 * is withdrawn from the old one first: two workers never serve the same
 * queue, even for one pass.
 */
static void
publish(struct relay *r)
{
	unsigned int i;
	bool moving = false;
	int d;

	if (r != NULL)
		place(r);
	for (i = 0; i < VFWD_MAX_RELAYS && !moving; i++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			const struct relay *x = &relays[i];
			int target = unit_needed(x, d) ? x->worker[d] : -1;

			if (x->published[d] >= 0 && target >= 0 &&
			    x->published[d] != target)
				moving = true;
		}
	if (moving)
		publish_pass(true);
	publish_pass(false);
}

/* ------------------------------------------------------------------ */
/* Buffers and relay lifetime                                          */
/* ------------------------------------------------------------------ */

/*
 * The relay's buffer pool, grown when a device's rings need more than it
 * has: 'ring_mbufs' buffers can sit in the device's rings, on top of the
 * packets in flight and the per-lcore caches.  Growing swaps the pool
 * under the workers (publish) and frees the old one once none uses it; it
 * happens only while the relay has no device, so no ring holds old buffers.
 */
static struct rte_mempool *
relay_pool(struct relay *r, int numa, unsigned int ring_mbufs)
{
	unsigned int need = ring_mbufs + POOL_HEADROOM +
		POOL_CACHE * 3 / 2 * (vfwd_n_workers + 1), size = POOL_MBUFS;
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
		publish(r);
		rte_mempool_free(old);
		VLOG_INFO("relay %u: buffer pool grown to %u", r->id, size);
	}
	return pool;
}

static struct rte_mempool *
device_pool_cb(void *ctx, int numa, unsigned int ring_mbufs)
{
	struct relay *r = ctx;

	/* The VM's node wins when the guest is already there. */
	return relay_pool(r, r->vid >= 0 && r->vm_numa >= 0 ? r->vm_numa : numa,
			  ring_mbufs);
}

/* Sets the relay's guest (-1: none); the caller holds relay_lock. */
static void
set_guest(struct relay *r, int vid)
{
	pthread_mutex_lock(&vring_lock);
	r->vid = vid;
	pthread_mutex_unlock(&vring_lock);
}

/* Frees what an unused relay still holds; counters start again at 0. */
static void
relay_release_if_unused(struct relay *r)
{
	unsigned int w;

	if (r->has_socket || r->socket_busy || r->has_dev || r->vid >= 0)
		return;
	/* Units are unpublished already (publish() ran), so no worker holds
	 * the pool or the counters. */
	if (r->pool != NULL) {
		rte_mempool_free(r->pool);
		r->pool = NULL;
	}
	for (w = 0; w < vfwd_n_workers; w++) {
		struct vfwd_worker *wk = &vfwd_workers[w];

		memset(wk->ctr[r->id], 0, sizeof(wk->ctr[r->id]));
		memset(wk->qctr[VFWD_DIR_VF_TO_VM][r->id], 0,
		       sizeof(wk->qctr[VFWD_DIR_VF_TO_VM][r->id]));
		memset(wk->qctr[VFWD_DIR_VM_TO_VF][r->id], 0,
		       sizeof(wk->qctr[VFWD_DIR_VM_TO_VF][r->id]));
	}
}

static struct relay *
by_path(const char *path)
{
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if ((relays[i].has_socket || relays[i].socket_busy) &&
		    strcmp(relays[i].path, path) == 0)
			return &relays[i];
	return NULL;
}

/*
 * Do two device specs name the same device?  Either the same string, or
 * the same EAL device (the devargs name before the first ','): EAL knows a
 * device by that name alone, whatever its arguments.
 */
static bool
same_device(const char *a, const char *b)
{
	size_t na = strcspn(a, ","), nb = strcspn(b, ",");

	return strcmp(a, b) == 0 || (na == nb && strncmp(a, b, na) == 0);
}

static struct relay *
by_device(const char *spec)
{
	unsigned int i;

	unsigned int m;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (!relays[i].has_dev)
			continue;
		if (same_device(relays[i].spec, spec))
			return &relays[i];
		for (m = 0; m < relays[i].n_members; m++)
			if (same_device(relays[i].members[m], spec))
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

	same_numa = cfg->same_numa;
	buf_size = cfg->jumbo ? JUMBO_BUF_SIZE : RTE_MBUF_DEFAULT_BUF_SIZE;
	dev_opts.jumbo = cfg->jumbo;
	dev_opts.tso = cfg->tso;
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		struct relay *r = &relays[i];

		memset(r, 0, sizeof(*r));
		r->id = i;
		r->vid = r->mask_vid = -1;
		r->vm_numa = r->pool_numa = -1;
		r->pin[0] = r->pin[1] = -1;
		r->worker[0] = r->worker[1] = -1;
		r->published[0] = r->published[1] = -1;
	}
	for (i = 0; i < cfg->n_pins; i++) {
		const struct vfwd_pin *p = &cfg->pins[i];

		relays[p->relay].pin[VFWD_DIR_VF_TO_VM] = p->cpu_vf_to_vm;
		relays[p->relay].pin[VFWD_DIR_VM_TO_VF] = p->cpu_vm_to_vf;
	}
	return 0;
}

void
vfwd_relays_fini(void)
{
	char err[VFWD_ERR_MAX];
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (relays[i].has_socket)
			vfwd_relay_remove_socket(i, err, sizeof(err));
		if (relays[i].has_dev)
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
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	other = by_path(path);
	if (r->has_socket || r->socket_busy) {
		ERR("relay %u: already has socket %s", id, r->path);
		rc = -EEXIST;
	} else if (other != NULL) {
		ERR("%s: already the socket of relay %u", path, other->id);
		rc = -EEXIST;
	} else {
		pthread_mutex_lock(&vring_lock);
		snprintf(r->path, sizeof(r->path), "%s", path);
		r->socket_busy = true;
		pthread_mutex_unlock(&vring_lock);
	}
	pthread_mutex_unlock(&relay_lock);
	if (rc != 0)
		return rc;

	/* Unlocked: in client mode the library may connect and call us back
	 * before this returns. */
	rc = vfwd_vhost_open(path, err, errlen);

	pthread_mutex_lock(&relay_lock);
	pthread_mutex_lock(&vring_lock);
	r->socket_busy = false;
	r->has_socket = rc == 0;
	pthread_mutex_unlock(&vring_lock);
	if (rc != 0)
		relay_release_if_unused(r);
	pthread_mutex_unlock(&relay_lock);
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
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	if (!r->has_socket || r->socket_busy) {
		ERR("relay %u: has no socket", id);
		pthread_mutex_unlock(&relay_lock);
		return -ENOENT;
	}
	pthread_mutex_lock(&vring_lock);
	r->socket_busy = true;
	pthread_mutex_unlock(&vring_lock);
	snprintf(path, sizeof(path), "%s", r->path);
	pthread_mutex_unlock(&relay_lock);

	/* Unlocked: a connected guest's destroy_device runs from here. */
	vfwd_vhost_close(path);

	pthread_mutex_lock(&relay_lock);
	if (r->vid >= 0) {
		/* The library said nothing; make sure no worker keeps it. */
		set_guest(r, -1);
		publish(r);
	}
	pthread_mutex_lock(&vring_lock);
	r->socket_busy = false;
	r->has_socket = false;
	r->rxq_enabled = r->txq_enabled = 0;
	r->mask_vid = -1;
	pthread_mutex_unlock(&vring_lock);
	relay_release_if_unused(r);
	pthread_mutex_unlock(&relay_lock);
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

static int
attach(unsigned int id, const struct attach_req *req, char *err, size_t errlen)
{
	struct vfwd_device dev;
	struct relay *r, *other = NULL;
	unsigned int i;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	if (strlen(req->name) >= sizeof(r->spec)) {
		ERR("device spec too long (at most %zu characters)", sizeof(r->spec) - 1);
		return -ENAMETOOLONG;
	}
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	other = by_device(req->name);
	for (i = 0; req->bond && other == NULL && i < req->n_members; i++)
		other = by_device(req->members[i]);
	if (r->has_dev) {
		ERR("relay %u: already has device %s", id, r->spec);
		rc = -EEXIST;
		goto out;
	}
	if (other != NULL) {
		ERR("%s: already in use by relay %u (%s)", req->name, other->id,
		    other->spec);
		rc = -EBUSY;
		goto out;
	}
	if (req->bond)
		rc = vfwd_device_attach_bond(req->name, req->mode, req->members,
					     req->n_members, &dev_opts, device_pool_cb,
					     r, &dev, err, errlen);
	else
		rc = vfwd_device_attach(req->name, &dev_opts, device_pool_cb, r, &dev,
					err, errlen);
	if (rc != 0) {
		relay_release_if_unused(r);
		goto out;
	}
	r->dev = dev;
	r->has_dev = true;
	snprintf(r->spec, sizeof(r->spec), "%s", req->name);
	r->n_members = req->bond ? req->n_members : 0;
	for (i = 0; i < r->n_members; i++)
		snprintf(r->members[i], sizeof(r->members[i]), "%s", req->members[i]);
	publish(r);
	VLOG_INFO("relay %u: device %s attached (port %u)", id, req->name, dev.port_id);
out:
	pthread_mutex_unlock(&relay_lock);
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
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	if (!r->has_dev) {
		ERR("relay %u: has no device", id);
		rc = -ENOENT;
		goto out;
	}
	r->has_dev = false;
	publish(r);
	/* No worker polls the port any more. */
	vfwd_device_detach(&r->dev);
	VLOG_INFO("relay %u: device %s detached", id, r->spec);
	r->spec[0] = '\0';
	r->ident[0] = '\0';
	r->n_members = 0;
	relay_release_if_unused(r);
out:
	pthread_mutex_unlock(&relay_lock);
	return rc;
}

int
vfwd_relay_set_ident(unsigned int id, const char *ident)
{
	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	pthread_mutex_lock(&relay_lock);
	snprintf(relays[id].ident, sizeof(relays[id].ident), "%s", ident ? ident : "");
	pthread_mutex_unlock(&relay_lock);
	return 0;
}

/* Looks a relay up under the lock; its id or -ENOENT. */
static int
find_locked(struct relay *(*lookup)(const char *key), const char *key)
{
	struct relay *r;
	int id;

	pthread_mutex_lock(&relay_lock);
	r = lookup(key);
	id = r != NULL ? (int)r->id : -ENOENT;
	pthread_mutex_unlock(&relay_lock);
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
	int cpus[VFWD_N_DIRS] = { cpu_vf_to_vm, cpu_vm_to_vf };
	int w[VFWD_N_DIRS];
	struct relay *r;
	int rc, d;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	for (d = 0; d < VFWD_N_DIRS; d++) {
		w[d] = cpus[d] < 0 ? -1 : vfwd_worker_by_cpu(cpus[d]);
		if (cpus[d] >= 0 && w[d] < 0) {
			ERR("CPU %d is not a worker CPU", cpus[d]);
			return -EINVAL;
		}
	}
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	for (d = 0; d < VFWD_N_DIRS; d++)
		if (w[d] >= 0) {
			r->pin[d] = cpus[d];
			if (r->worker[d] >= 0)
				r->worker[d] = w[d];
		}
	publish(r);
	pthread_mutex_unlock(&relay_lock);
	return 0;
}

void
vfwd_relay_counters(unsigned int id, struct vfwd_dir_stats *out)
{
	unsigned int w;
	int d;

	memset(out, 0, VFWD_N_DIRS * sizeof(*out));
	for (w = 0; w < vfwd_n_workers; w++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			const struct vfwd_dir_counters *c = &vfwd_workers[w].ctr[id][d];
			struct vfwd_dir_stats *s = &out[d];

#define SUM(f, g) s->f += __atomic_load_n(&c->g, __ATOMIC_RELAXED)
			SUM(rx_pkts, rx_pkts);
			SUM(rx_bytes, rx_bytes);
			SUM(tx_pkts, tx_pkts);
			SUM(tx_bytes, tx_bytes);
			SUM(drop_full_pkts, drop_full_pkts);
			SUM(drop_full_bytes, drop_full_bytes);
			SUM(drop_nc_pkts, drop_nc_pkts);
			SUM(drop_nc_bytes, drop_nc_bytes);
#undef SUM
		}
}

void
vfwd_relay_queue_counters(unsigned int id, enum vfwd_dir dir,
			  struct vfwd_queue_counters *out)
{
	unsigned int w, q;

	memset(out, 0, VFWD_MAX_QUEUE_PAIRS * sizeof(*out));
	for (w = 0; w < vfwd_n_workers; w++)
		for (q = 0; q < VFWD_MAX_QUEUE_PAIRS; q++) {
			const struct vfwd_queue_counters *c =
				&vfwd_workers[w].qctr[dir][id][q];

			out[q].pkts += __atomic_load_n(&c->pkts, __ATOMIC_RELAXED);
			out[q].bytes += __atomic_load_n(&c->bytes, __ATOMIC_RELAXED);
		}
}

int
vfwd_relay_info(unsigned int id, struct vfwd_relay_info *info)
{
	struct relay *r;
	int d;

	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	pthread_mutex_lock(&relay_lock);
	r = &relays[id];
	if (!r->has_socket && !r->has_dev) {
		pthread_mutex_unlock(&relay_lock);
		return -ENOENT;
	}
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->has_socket = r->has_socket;
	info->has_device = r->has_dev;
	info->guest_connected = r->vid >= 0;
	snprintf(info->socket, sizeof(info->socket), "%s", r->has_socket ? r->path : "");
	snprintf(info->device, sizeof(info->device), "%s", r->has_dev ? r->spec : "");
	info->port_id = r->has_dev ? r->dev.port_id : -1;
	snprintf(info->ident, sizeof(info->ident), "%s", r->ident);
	info->numa = r->pool != NULL ? r->pool_numa : -1;
	for (d = 0; d < VFWD_N_DIRS; d++) {
		info->cpu[d] = r->worker[d] >= 0 ? (int)vfwd_workers[r->worker[d]].lcore : -1;
		info->pin[d] = r->pin[d];
	}
	pthread_mutex_lock(&vring_lock);
	info->rxq_enabled = r->vid >= 0 ? r->rxq_enabled : 0;
	info->txq_enabled = r->vid >= 0 ? r->txq_enabled : 0;
	info->dev_rxq = r->has_dev ? r->dev.nb_rxq : 0;
	info->dev_txq = r->has_dev ? r->dev.nb_txq : 0;
	info->features = r->vid >= 0 ? r->features : 0;
	info->dirty_logging = r->vid >= 0 && RTE_VHOST_NEED_LOG(r->features);
	pthread_mutex_unlock(&vring_lock);
	vfwd_relay_counters(id, info->dir);
	pthread_mutex_unlock(&relay_lock);
	/* Asked outside our lock: the library takes its own. */
	if (info->has_socket &&
	    rte_vhost_driver_get_features(info->socket, &info->offered) != 0)
		info->offered = 0;
	return 0;
}

/* ------------------------------------------------------------------ */
/* vhost callbacks                                                     */
/* ------------------------------------------------------------------ */

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

int
vfwd_relay_guest_up(const char *path, int vid)
{
	struct relay *r;
	uint64_t features = 0;
	int rc = 0;

	pthread_mutex_lock(&relay_lock);
	r = by_path(path);
	if (r == NULL) {
		VLOG_WARN("%s: guest connected to a socket no relay owns", path);
		rc = -1;
		goto out;
	}
	if (r->vid >= 0) {
		VLOG_ERR("relay %u: a second guest connected to %s while the first "
			 "is still there; refusing it", r->id, path);
		rc = -1;
		goto out;
	}
	rte_vhost_get_negotiated_features(vid, &features);
	r->vm_numa = rte_vhost_get_numa_node(vid);
	if (relay_pool(r, r->vm_numa, 0) == NULL) {
		rc = -1;
		goto out;
	}
	pthread_mutex_lock(&vring_lock);
	r->features = features;
	if (r->mask_vid != vid) {
		r->rxq_enabled = r->txq_enabled = 0;
		r->mask_vid = vid;
	}
	r->vid = vid;
	pthread_mutex_unlock(&vring_lock);
	guest_notifications_off(r, vid, features);
	publish(r);
	VLOG_INFO("relay %u: guest connected on %s (vhost device %d, %u queue "
		  "pair(s), features 0x%" PRIx64 ", NUMA node %d)", r->id, path, vid,
		  rte_vhost_get_vring_num(vid) / 2, features, r->vm_numa);
out:
	pthread_mutex_unlock(&relay_lock);
	return rc;
}

void
vfwd_relay_guest_down(const char *path, int vid)
{
	struct relay *r;

	pthread_mutex_lock(&relay_lock);
	r = by_path(path);
	if (r != NULL && r->vid == vid) {
		set_guest(r, -1);
		publish(r);
		/* Now no worker uses 'vid': the library may free it. */
		pthread_mutex_lock(&vring_lock);
		if (r->mask_vid == vid) {
			__atomic_store_n(&r->rxq_enabled, 0, __ATOMIC_RELAXED);
			__atomic_store_n(&r->txq_enabled, 0, __ATOMIC_RELAXED);
			r->mask_vid = -1;
		}
		pthread_mutex_unlock(&vring_lock);
		VLOG_INFO("relay %u: guest disconnected from %s", r->id, path);
		relay_release_if_unused(r);
	}
	pthread_mutex_unlock(&relay_lock);
}

void
vfwd_relay_vring_state(const char *path, int vid, uint16_t vring, bool enable)
{
	unsigned int q = vring / 2;
	struct relay *r;
	uint32_t *mask;

	if (q >= VFWD_MAX_QUEUE_PAIRS) {
		VLOG_WARN("%s: vring %u is beyond the %u queue pairs a relay serves",
			  path, vring, VFWD_MAX_QUEUE_PAIRS);
		return;
	}
	pthread_mutex_lock(&vring_lock);
	r = by_path(path);
	if (r == NULL)
		goto out;
	if (r->mask_vid != vid) {
		/* A new connection: the old guest's queues mean nothing. */
		if (r->vid >= 0 && r->vid != vid)
			goto out;
		r->rxq_enabled = r->txq_enabled = 0;
		r->mask_vid = vid;
	}
	mask = vring % 2 == 0 ? &r->rxq_enabled : &r->txq_enabled;
	/* Workers pick the new mask up on their next poll; the library
	 * itself refuses work on a disabled ring, so no wait is needed. */
	__atomic_store_n(mask, enable ? (*mask | 1u << q) : (*mask & ~(1u << q)),
			 __ATOMIC_RELAXED);
	VLOG_DBG("relay %u: guest %s queue %u %s", r->id,
		 vring % 2 == 0 ? "RX" : "TX", q, enable ? "enabled" : "disabled");
out:
	pthread_mutex_unlock(&vring_lock);
}

void
vfwd_relay_features(const char *path, int vid, uint64_t features)
{
	struct relay *r;

	pthread_mutex_lock(&vring_lock);
	r = by_path(path);
	if (r != NULL && r->vid == vid) {
		if (RTE_VHOST_NEED_LOG(features) != RTE_VHOST_NEED_LOG(r->features))
			VLOG_NOTICE("relay %u: dirty page logging %s", r->id,
				    RTE_VHOST_NEED_LOG(features)
				    ? "on: live migration in progress"
				    : "off");
		r->features = features;
	}
	pthread_mutex_unlock(&vring_lock);
}
