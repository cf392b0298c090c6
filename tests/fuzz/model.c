/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dataplane.h"
#include "device.h"
#include "log.h"
#include "model.h"
#include "portctl.h"
#include "profile.h"
#include "parse.h"
#include "relay.h"
#include "relay_state.h"
#include "sockpath.h"
#include "stats.h"
#include "vhost.h"

/* Each relay's VF port profile, as text (profile.h below). */
static char profile_text[VFWD_MAX_RELAYS][VFWD_VF_PROFILE_TEXT_MAX];

/* The CPUs of the model's two workers. */
static const unsigned int worker_cpu[] = { 1, 3 };
#define N_WORKERS (sizeof(worker_cpu) / sizeof(worker_cpu[0]))

/*
 * One relay.  Its state is the daemon's own (relay_state.h), changed only
 * through vfwd_relay_step(), with the events relay.c sends in the order it
 * sends them; what the model keeps beside it are the strings relay.c keeps.
 */
struct mrelay {
	struct vfwd_relay_state st;
	char path[PATH_MAX];                 /* while st.sock != NONE */
	char dev[VFWD_DEVSPEC_MAX];          /* while st.device: the device,
					      * or the bond's name */
	char members[VFWD_BOND_MAX_MEMBERS][VFWD_DEVSPEC_MAX];
	unsigned int n_members;              /* 0: not a bond */
	char ident[VFWD_NAME_MAX];
	int cpu[VFWD_N_DIRS];
};

static struct mrelay table[VFWD_MAX_RELAYS];

/* The daemon's defaults (config.c): the socket directory a dynamic
 * socket must lie in, and the paths of static sockets.  Read once. */
static struct vfwd_config defaults;
static char static_path[VFWD_MAX_RELAYS][PATH_MAX];

/* A string the caller passes the relay layer must be terminated within
 * 'max' bytes; anything else is a bug of the caller. */
static void
check_str(const char *s, size_t max)
{
	if (s == NULL || strnlen(s, max) >= max)
		abort();
}

static void
check_id(unsigned int id)
{
	if (id >= VFWD_MAX_RELAYS)
		abort();
}

/*
 * Sends 'ev' to relay 'r' where relay.c sends it without looking at the
 * answer: there relay.c has already checked what the table would refuse,
 * or the event is one the vhost library's callbacks bring in a fixed
 * order.  A refusal here is a sequence the daemon does not make.
 */
static void
step(struct mrelay *r, enum vfwd_relay_event ev)
{
	if (vfwd_relay_step(&r->st, ev) != 0)
		abort();
}

/* Empties one entry.  Only the strings' first bytes: the table is 64
 * entries of over 5 KiB, and clearing all of it for every input was half
 * of what an input of the OVSDB target cost. */
static void
reset_entry(struct mrelay *r)
{
	unsigned int m;

	memset(&r->st, 0, sizeof(r->st));
	r->path[0] = '\0';
	r->dev[0] = '\0';
	for (m = 0; m < VFWD_BOND_MAX_MEMBERS; m++)
		r->members[m][0] = '\0';
	r->n_members = 0;
	r->ident[0] = '\0';
	memset(r->cpu, 0, sizeof(r->cpu));
}

static int open_socket(unsigned int id, const char *path, char *err, size_t errlen);

void
vfwd_model_reset(bool dynamic)
{
	struct vfwd_config cfg;
	char err[VFWD_ERR_MAX];
	unsigned int i;

	if (defaults.socket_dir[0] == '\0') {
		vfwd_config_defaults(&defaults);
		for (i = 0; i < VFWD_MAX_RELAYS; i++)
			if (vfwd_socket_path(&defaults, i, static_path[i],
					     sizeof(static_path[i])) != 0)
				abort();
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		reset_entry(&table[i]);
	memset(profile_text, 0, sizeof(profile_text));
	memset(&cfg, 0, sizeof(cfg));
	cfg.dynamic_sockets = dynamic;
	vfwd_portctl_init(&cfg);
	/* Static sockets: main.c opens every relay's at start. */
	if (!dynamic)
		for (i = 0; i < VFWD_MAX_RELAYS; i++)
			if (open_socket(i, static_path[i], err, sizeof(err)) != 0)
				abort();
}

/* Does relay 'r' serve device or bond 'spec'? */
static bool
serves(const struct mrelay *r, const char *spec)
{
	unsigned int i;

	if (!r->st.device)
		return false;
	/* The daemon's rule (relay.c), not a string comparison. */
	if (vfwd_devspec_same(r->dev, spec))
		return true;
	for (i = 0; i < r->n_members; i++)
		if (vfwd_devspec_same(r->members[i], spec))
			return true;
	return false;
}

/* FNV-1a: compare socket paths by hash first.  With 64 static sockets the
 * pairwise strcmp() was most of what an OVSDB input cost, because the
 * fuzzer's hook on strcmp() records every call. */
static uint64_t
path_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

void
vfwd_model_check(void)
{
	uint64_t hash[VFWD_MAX_RELAYS];
	unsigned int i, j, m;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		hash[i] = vfwd_relay_state_has_path(&table[i].st) ? path_hash(table[i].path) : 0;
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		const struct mrelay *r = &table[i];
		bool has_path = vfwd_relay_state_has_path(&r->st);

		check_str(r->path, sizeof(r->path));
		check_str(r->dev, sizeof(r->dev));
		check_str(r->ident, sizeof(r->ident));
		/* Between two operations no socket is on its way in or out:
		 * each operation ends what it started. */
		if (r->st.sock != VFWD_SOCK_NONE && r->st.sock != VFWD_SOCK_OPEN)
			abort();
		if (r->st.guest && !has_path)
			abort();
		if (r->n_members > VFWD_BOND_MAX_MEMBERS || r->n_members == 1 ||
		    (!r->st.device && (r->n_members > 0 || r->dev[0] != '\0')))
			abort();
		for (j = i + 1; j < VFWD_MAX_RELAYS; j++) {
			const struct mrelay *o = &table[j];

			if (has_path && vfwd_relay_state_has_path(&o->st) &&
			    hash[i] == hash[j] && strcmp(r->path, o->path) == 0)
				abort();
			if (r->st.device && serves(o, r->dev))
				abort();
			for (m = 0; m < r->n_members; m++)
				if (serves(o, r->members[m]))
					abort();
		}
	}
}

unsigned int
vfwd_model_n_devices(void)
{
	unsigned int i, n = 0;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		n += table[i].st.device;
	return n;
}

/* ---- the vhost library, as relay.c sees it ---- */

/*
 * Which relays a guest connects to, and when: odd relays get one, so that
 * both kinds of stats reply are built and every socket state with a guest
 * is reached.  Relays 1, 5, 9... get it while the socket is being
 * registered, as a client-mode guest can; relays 3, 7, 11... once it is
 * open, as in server mode.
 */
static bool
guest_while_opening(unsigned int id)
{
	return (id & 3) == 1;
}

static bool
guest_once_open(unsigned int id)
{
	return (id & 3) == 3;
}

/*
 * vfwd_vhost_open() of the model: fails with -EEXIST, as the daemon's does
 * when a file that is not a stale socket of its own is in the way, for a
 * socket file whose name starts with "busy"; that failure is the one that
 * reaches port control's own handling ("something in the way").
 */
static int
vhost_open(const char *path, char *err, size_t errlen)
{
	const char *name = strrchr(path, '/');

	if (strncmp(name != NULL ? name + 1 : path, "busy", 4) == 0) {
		snprintf(err, errlen, "%s: a file is in the way", path);
		return -EEXIST;
	}
	return 0;
}

/* ---- relay.h ---- */

/*
 * The part of relay.c's vfwd_relay_add_socket() after its checks: the
 * socket is registered, a guest may come, and the library takes the
 * socket or refuses it.  Static sockets start here, their paths being
 * distinct by construction: looking each up among the others was most of
 * what an OVSDB input cost.
 */
static int
open_socket(unsigned int id, const char *path, char *err, size_t errlen)
{
	struct mrelay *r = &table[id];
	int rc;

	step(r, VFWD_EV_SOCKET_ADD);
	snprintf(r->path, sizeof(r->path), "%s", path);
	if (guest_while_opening(id))
		step(r, VFWD_EV_GUEST_UP);
	rc = vhost_open(path, err, errlen);
	if (rc != 0) {
		/* relay.c drops a guest that came meanwhile first. */
		if (r->st.guest)
			step(r, VFWD_EV_GUEST_DOWN);
		step(r, VFWD_EV_SOCKET_FAILED);
		r->path[0] = '\0';
		return rc;
	}
	step(r, VFWD_EV_SOCKET_OPENED);
	if (guest_once_open(id))
		step(r, VFWD_EV_GUEST_UP);
	return 0;
}

int
vfwd_relay_add_socket(unsigned int id, const char *path, char *err, size_t errlen)
{
	check_id(id);
	check_str(path, PATH_MAX);
	if (table[id].st.sock != VFWD_SOCK_NONE || vfwd_relay_find_socket(path) >= 0) {
		snprintf(err, errlen, "%s: in use", path);
		return -EEXIST;
	}
	return open_socket(id, path, err, errlen);
}

int
vfwd_relay_remove_socket(unsigned int id, char *err, size_t errlen)
{
	struct mrelay *r;

	check_id(id);
	r = &table[id];
	if (vfwd_relay_step(&r->st, VFWD_EV_SOCKET_REMOVE) != 0) {
		snprintf(err, errlen, "relay %u: has no socket", id);
		return -ENOENT;
	}
	/* Closing the socket ends the guest's connection: the library's
	 * destroy callback comes before the close returns. */
	if (r->st.guest)
		step(r, VFWD_EV_GUEST_DOWN);
	step(r, VFWD_EV_SOCKET_CLOSED);
	r->path[0] = '\0';
	return 0;
}

/*
 * What device.c's probe refuses of a bond that the model can tell without
 * DPDK: a name that is no bonding driver's, a mode out of range, and a
 * member given twice or named as the bond, which EAL knows as one device
 * (vfwd_devspec_same()) and cannot bond with itself.
 */
static int
bond_probe(const char *name, unsigned int mode, const char *const *members,
	   unsigned int n_members, char *err, size_t errlen)
{
	unsigned int i, j;

	if (strncmp(name, "net_bonding", 11) != 0) {
		snprintf(err, errlen, "%s: not a bond name", name);
		return -EINVAL;
	}
	if (mode > 6) {
		snprintf(err, errlen, "bond mode %u", mode);
		return -EINVAL;
	}
	for (i = 0; i < n_members; i++) {
		if (vfwd_devspec_same(members[i], name)) {
			snprintf(err, errlen, "%s: the bond itself", members[i]);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (vfwd_devspec_same(members[i], members[j])) {
				snprintf(err, errlen, "%s: twice", members[i]);
				return -EINVAL;
			}
	}
	return 0;
}

/* relay.c's attach(): the relay's own device first, then every name the
 * request uses against the other relays, then the probe. */
static int
attach(unsigned int id, const char *name, unsigned int mode, const char *const *members,
       unsigned int n_members, char *err, size_t errlen)
{
	struct mrelay *r;
	unsigned int i;
	int rc;

	check_id(id);
	check_str(name, VFWD_DEVSPEC_MAX);
	for (i = 0; i < n_members; i++)
		check_str(members[i], VFWD_DEVSPEC_MAX);
	r = &table[id];
	if (r->st.device) {
		snprintf(err, errlen, "relay %u: has a device", id);
		return -EEXIST;
	}
	if (vfwd_relay_find_device(name) >= 0) {
		snprintf(err, errlen, "%s: serves another relay", name);
		return -EBUSY;
	}
	for (i = 0; i < n_members; i++)
		if (vfwd_relay_find_device(members[i]) >= 0) {
			snprintf(err, errlen, "%s: serves another relay", members[i]);
			return -EBUSY;
		}
	if (n_members > 0) {
		rc = bond_probe(name, mode, members, n_members, err, errlen);
		if (rc != 0)
			return rc;
	}
	step(r, VFWD_EV_DEVICE_ATTACH);
	snprintf(r->dev, sizeof(r->dev), "%s", name);
	for (i = 0; i < n_members; i++)
		snprintf(r->members[i], VFWD_DEVSPEC_MAX, "%s", members[i]);
	r->n_members = n_members;
	return 0;
}

int
vfwd_relay_attach(unsigned int id, const char *spec, char *err, size_t errlen)
{
	return attach(id, spec, 0, NULL, 0, err, errlen);
}

int
vfwd_relay_attach_bond(unsigned int id, const char *name, unsigned int mode,
		       const char *const *members, unsigned int n_members,
		       char *err, size_t errlen)
{
	if (n_members < 2 || n_members > VFWD_BOND_MAX_MEMBERS)
		abort();        /* port control checks the count */
	return attach(id, name, mode, members, n_members, err, errlen);
}

int
vfwd_relay_detach(unsigned int id, char *err, size_t errlen)
{
	struct mrelay *r;

	check_id(id);
	r = &table[id];
	if (vfwd_relay_step(&r->st, VFWD_EV_DEVICE_DETACH) != 0) {
		snprintf(err, errlen, "relay %u: has no device", id);
		return -ENOENT;
	}
	r->dev[0] = '\0';
	r->n_members = 0;
	r->ident[0] = '\0';
	return 0;
}

int
vfwd_relay_set_ident(unsigned int id, const char *ident)
{
	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	check_str(ident, 1 << 20);
	/* Escaped as relay.c does: it goes out in stats. */
	vfwd_text_escape(ident, strlen(ident), table[id].ident, sizeof(table[id].ident), NULL);
	return 0;
}

int
vfwd_relay_find_device(const char *spec)
{
	unsigned int i;

	check_str(spec, 1 << 20);
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (serves(&table[i], spec))
			return (int)i;
	return -ENOENT;
}

int
vfwd_relay_find_socket(const char *path)
{
	unsigned int i;

	check_str(path, 1 << 20);
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (vfwd_relay_state_has_path(&table[i].st) && strcmp(table[i].path, path) == 0)
			return (int)i;
	return -ENOENT;
}

int
vfwd_relay_move(unsigned int id, int cpu_vf_to_vm, int cpu_vm_to_vf,
		char *err, size_t errlen)
{
	if (id >= VFWD_MAX_RELAYS) {
		snprintf(err, errlen, "relay %u: out of range", id);
		return -ERANGE;
	}
	if (vfwd_dp_worker_by_cpu(cpu_vf_to_vm) < 0 || vfwd_dp_worker_by_cpu(cpu_vm_to_vf) < 0)
		abort();        /* the service checks every CPU first */
	table[id].cpu[VFWD_DIR_VF_TO_VM] = cpu_vf_to_vm;
	table[id].cpu[VFWD_DIR_VM_TO_VF] = cpu_vm_to_vf;
	return 0;
}

/* relay.c's fill_info(): a relay shows its socket only once it is open. */
int
vfwd_relay_info(unsigned int id, struct vfwd_relay_info *info)
{
	const struct mrelay *r;

	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	r = &table[id];
	if (r->st.sock != VFWD_SOCK_OPEN && !r->st.device)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->has_socket = r->st.sock == VFWD_SOCK_OPEN;
	info->has_device = r->st.device;
	info->guest_connected = r->st.guest;
	info->rxq_enabled = info->txq_enabled = r->st.guest ? 3 : 0;
	snprintf(info->socket, sizeof(info->socket), "%s", info->has_socket ? r->path : "");
	snprintf(info->device, sizeof(info->device), "%s", r->st.device ? r->dev : "");
	snprintf(info->ident, sizeof(info->ident), "%s", r->ident);
	info->port_id = r->st.device ? (int)id : -1;
	info->numa = vfwd_relay_state_needs_buffers(&r->st) ? 0 : -1;
	info->cpu[0] = r->cpu[0] ? r->cpu[0] : -1;
	info->cpu[1] = r->cpu[1] ? r->cpu[1] : -1;
	info->pin[0] = info->pin[1] = -1;
	info->dir[0].rx_pkts = id;
	return 0;
}

/* ---- profile.h: profiles kept as text, checked to read back ---- */

void
vfwd_profile_set(unsigned int id, const struct vfwd_vf_profile *p)
{
	struct vfwd_vf_profile back;
	char err[VFWD_ERR_MAX];

	if (id >= VFWD_MAX_RELAYS)
		abort();
	vfwd_vf_profile_format(p, profile_text[id], sizeof(profile_text[id]));
	/* What a source accepted, stats write, and the text form reads
	 * back as the same profile. */
	if (vfwd_vf_profile_parse(profile_text[id], &back, err, sizeof(err)) != 0 ||
	    back.given != p->given)
		abort();
}

void
vfwd_profile_info(unsigned int id, struct vfwd_profile_info *info)
{
	memset(info, 0, sizeof(*info));
	if (id < VFWD_MAX_RELAYS)
		snprintf(info->profile, sizeof(info->profile), "%s", profile_text[id]);
}

/* ---- vhost.h: the daemon's socket path rule, without the file system ---- */

/*
 * vhost.c's check of a dynamic socket path: sockpath.c's rules of its
 * form and of its directory, the default socket directory.  What they
 * find on disk (links, the directory's owner) is not the model's.
 */
int
vfwd_vhost_check_path(const char *path, char *err, size_t errlen)
{
	const char *dir = defaults.socket_dir;
	int rc;

	check_str(path, PATH_MAX);
	rc = vfwd_sockpath_check_form(path, err, errlen);
	if (rc != 0)
		return rc;
	if (vfwd_sockpath_dir_index(path, &dir, 1) != 0) {
		snprintf(err, errlen, "%s: not in %s", path, dir);
		return -EPERM;
	}
	return 0;
}

/* ---- dataplane.h and stats.h: two workers, counters of zero ---- */

unsigned int
vfwd_dp_n_workers(void)
{
	return N_WORKERS;
}

void
vfwd_dp_worker_info(unsigned int w, struct vfwd_worker_info *out)
{
	if (w >= N_WORKERS)
		abort();
	memset(out, 0, sizeof(*out));
	out->lcore = worker_cpu[w];
}

int
vfwd_dp_worker_by_cpu(int cpu)
{
	unsigned int w;

	for (w = 0; w < N_WORKERS; w++)
		if ((int)worker_cpu[w] == cpu)
			return (int)w;
	return -ENOENT;
}

void
vfwd_dp_queue_counters(unsigned int id, enum vfwd_dir dir, struct vfwd_queue_counters *out)
{
	if (id >= VFWD_MAX_RELAYS || (unsigned int)dir >= VFWD_N_DIRS)
		abort();
	memset(out, 0, VFWD_MAX_QUEUE_PAIRS * sizeof(*out));
	out[0].pkts = 1;
}

void
vfwd_stats_rates(unsigned int id, unsigned int window_ms,
		 struct vfwd_dir_rates out[VFWD_N_DIRS])
{
	if (id >= VFWD_MAX_RELAYS)
		abort();
	memset(out, 0, VFWD_N_DIRS * sizeof(*out));
	out[0].rx_pps = (float)window_ms;
}

float
vfwd_stats_worker_load(unsigned int w, unsigned int window_ms)
{
	if (w >= N_WORKERS)
		abort();
	return window_ms ? 0.5f : 0.0f;
}

float
vfwd_stats_worker_sleep(unsigned int w, unsigned int window_ms)
{
	if (w >= N_WORKERS)
		abort();
	return window_ms ? 0.25f : 0.0f;
}

/* ---- log.h: nothing is written, but every format is expanded ---- */

void
vfwd_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

void
vfwd_log_rl(struct vfwd_ratelimit *rl, int level, const char *fmt, ...)
{
	char buf[1024];
	unsigned long suppressed;
	va_list ap;

	(void)level;
	vfwd_ratelimit_allow(rl, 0, &suppressed);
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

/* ---- device.h ---- */

/* The port counts of the stats reply: a fixed build limit, and one port
 * per attached device of the model. */
unsigned int
vfwd_device_max_ports(void)
{
	return 32;
}

unsigned int
vfwd_device_ports_in_use(void)
{
	return vfwd_model_n_devices();
}
