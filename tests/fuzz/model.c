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
#include "relay.h"
#include "stats.h"
#include "vhost.h"

/* Each relay's VF port profile, as text (profile.h below). */
static char profile_text[VFWD_MAX_RELAYS][VFWD_VF_PROFILE_TEXT_MAX];

/* The CPUs of the model's two workers. */
static const unsigned int worker_cpu[] = { 1, 3 };
#define N_WORKERS (sizeof(worker_cpu) / sizeof(worker_cpu[0]))

struct mrelay {
	bool socket;
	char path[PATH_MAX];
	bool device;
	char dev[VFWD_DEVSPEC_MAX];          /* the device, or the bond's name */
	char members[VFWD_BOND_MAX_MEMBERS][VFWD_DEVSPEC_MAX];
	unsigned int n_members;              /* 0: not a bond */
	char ident[VFWD_NAME_MAX];
	int cpu[VFWD_N_DIRS];
};

static struct mrelay table[VFWD_MAX_RELAYS];

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

/* Empties one entry.  Only the strings' first bytes: the table is 64
 * entries of over 5 KiB, and clearing all of it for every input was half
 * of what an input of the OVSDB target cost. */
static void
reset_entry(struct mrelay *r)
{
	unsigned int m;

	r->socket = false;
	r->path[0] = '\0';
	r->device = false;
	r->dev[0] = '\0';
	for (m = 0; m < VFWD_BOND_MAX_MEMBERS; m++)
		r->members[m][0] = '\0';
	r->n_members = 0;
	r->ident[0] = '\0';
	memset(r->cpu, 0, sizeof(r->cpu));
}

void
vfwd_model_reset(bool dynamic)
{
	struct vfwd_config cfg;
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		reset_entry(&table[i]);
	memset(profile_text, 0, sizeof(profile_text));
	memset(&cfg, 0, sizeof(cfg));
	cfg.dynamic_sockets = dynamic;
	vfwd_portctl_init(&cfg);
	if (!dynamic) {
		/* Static sockets: formatted once, copied for every input. */
		static char paths[VFWD_MAX_RELAYS][40];

		if (paths[0][0] == '\0')
			for (i = 0; i < VFWD_MAX_RELAYS; i++)
				snprintf(paths[i], sizeof(paths[i]),
					 "/tmp/virtio-forwarder%u.sock", i);
		for (i = 0; i < VFWD_MAX_RELAYS; i++) {
			table[i].socket = true;
			strcpy(table[i].path, paths[i]);
		}
	}
}

/* Does relay 'r' serve device or bond 'spec'? */
static bool
serves(const struct mrelay *r, const char *spec)
{
	unsigned int i;

	if (!r->device)
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
		hash[i] = table[i].socket ? path_hash(table[i].path) : 0;
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		const struct mrelay *r = &table[i];

		check_str(r->path, sizeof(r->path));
		check_str(r->dev, sizeof(r->dev));
		check_str(r->ident, sizeof(r->ident));
		if (r->n_members > VFWD_BOND_MAX_MEMBERS || r->n_members == 1 ||
		    (!r->device && (r->n_members > 0 || r->dev[0] != '\0')))
			abort();
		for (j = i + 1; j < VFWD_MAX_RELAYS; j++) {
			const struct mrelay *o = &table[j];

			if (r->socket && o->socket && hash[i] == hash[j] &&
			    strcmp(r->path, o->path) == 0)
				abort();
			if (r->device && serves(o, r->dev))
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
		n += table[i].device;
	return n;
}

/* ---- relay.h ---- */

int
vfwd_relay_add_socket(unsigned int id, const char *path, char *err, size_t errlen)
{
	check_id(id);
	check_str(path, PATH_MAX);
	if (table[id].socket || vfwd_relay_find_socket(path) >= 0) {
		snprintf(err, errlen, "%s: in use", path);
		return -EEXIST;
	}
	table[id].socket = true;
	snprintf(table[id].path, sizeof(table[id].path), "%s", path);
	return 0;
}

int
vfwd_relay_remove_socket(unsigned int id, char *err, size_t errlen)
{
	check_id(id);
	if (!table[id].socket) {
		snprintf(err, errlen, "relay %u: no socket", id);
		return -ENOENT;
	}
	table[id].socket = false;
	table[id].path[0] = '\0';
	return 0;
}

int
vfwd_relay_attach(unsigned int id, const char *spec, char *err, size_t errlen)
{
	check_id(id);
	check_str(spec, VFWD_DEVSPEC_MAX);
	if (table[id].device) {
		snprintf(err, errlen, "relay %u: has a device", id);
		return -EEXIST;
	}
	if (vfwd_relay_find_device(spec) >= 0) {
		snprintf(err, errlen, "%s: serves another relay", spec);
		return -EBUSY;
	}
	table[id].device = true;
	snprintf(table[id].dev, sizeof(table[id].dev), "%s", spec);
	return 0;
}

int
vfwd_relay_attach_bond(unsigned int id, const char *name, unsigned int mode,
		       const char *const *members, unsigned int n_members,
		       char *err, size_t errlen)
{
	unsigned int i, j;

	check_id(id);
	check_str(name, VFWD_DEVSPEC_MAX);
	if (n_members < 2 || n_members > VFWD_BOND_MAX_MEMBERS)
		abort();        /* port control checks the count */
	if (mode > 6) {
		snprintf(err, errlen, "bond mode %u", mode);
		return -EINVAL;
	}
	if (table[id].device) {
		snprintf(err, errlen, "relay %u: has a device", id);
		return -EEXIST;
	}
	if (vfwd_relay_find_device(name) >= 0) {
		snprintf(err, errlen, "%s: in use", name);
		return -EBUSY;
	}
	for (i = 0; i < n_members; i++) {
		check_str(members[i], VFWD_DEVSPEC_MAX);
		if (vfwd_relay_find_device(members[i]) >= 0 ||
		    strcmp(members[i], name) == 0) {
			snprintf(err, errlen, "%s: in use", members[i]);
			return -EBUSY;
		}
		for (j = 0; j < i; j++)
			if (strcmp(members[i], members[j]) == 0) {
				snprintf(err, errlen, "%s: twice", members[i]);
				return -EINVAL;
			}
	}
	table[id].device = true;
	snprintf(table[id].dev, sizeof(table[id].dev), "%s", name);
	for (i = 0; i < n_members; i++)
		snprintf(table[id].members[i], VFWD_DEVSPEC_MAX, "%s", members[i]);
	table[id].n_members = n_members;
	return 0;
}

int
vfwd_relay_detach(unsigned int id, char *err, size_t errlen)
{
	check_id(id);
	if (!table[id].device) {
		snprintf(err, errlen, "relay %u: no device", id);
		return -ENOENT;
	}
	table[id].device = false;
	table[id].dev[0] = '\0';
	table[id].n_members = 0;
	table[id].ident[0] = '\0';
	return 0;
}

int
vfwd_relay_set_ident(unsigned int id, const char *ident)
{
	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	check_str(ident, 1 << 20);
	snprintf(table[id].ident, sizeof(table[id].ident), "%s", ident);
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
		if (table[i].socket && strcmp(table[i].path, path) == 0)
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

int
vfwd_relay_info(unsigned int id, struct vfwd_relay_info *info)
{
	const struct mrelay *r;

	if (id >= VFWD_MAX_RELAYS)
		return -ERANGE;
	r = &table[id];
	if (!r->socket && !r->device)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->id = id;
	info->has_socket = r->socket;
	info->has_device = r->device;
	/* Odd relays have a guest: both kinds of reply get built. */
	info->guest_connected = r->socket && (id & 1);
	info->rxq_enabled = info->txq_enabled = info->guest_connected ? 3 : 0;
	snprintf(info->socket, sizeof(info->socket), "%s", r->path);
	snprintf(info->device, sizeof(info->device), "%s", r->dev);
	snprintf(info->ident, sizeof(info->ident), "%s", r->ident);
	info->port_id = r->device ? (int)id : -1;
	info->numa = r->device ? 0 : -1;
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

/* ---- vhost.h: the socket path check, without the file system ---- */

int
vfwd_vhost_check_path(const char *path, char *err, size_t errlen)
{
	check_str(path, PATH_MAX);
	if (path[0] != '/') {
		snprintf(err, errlen, "%s: not an absolute path", path);
		return -EINVAL;
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
