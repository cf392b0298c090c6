/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The relay layer (src/relay.c) against stand-ins of what it drives: the
 * data plane, the device side, the vhost side and the buffer pools are
 * small recorders defined here (the linker takes them before DPDK's), and
 * the vhost library's callbacks are called as the library would, from
 * what vfwd_vhost_open() was given.  What is checked is relay.c's own
 * logic: which changes its state takes and refuses, and its rule that
 * whatever a worker may use is withdrawn from the data plane before it is
 * released.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_vhost.h>

#include "config.h"
#include "dataplane.h"
#include "device.h"
#include "profile.h"
#include "relay.h"
#include "vhost.h"

#define VERSION_1 (1ULL << 32)

/* ------------------------------------------------------------------ */
/* Stand-ins                                                           */
/* ------------------------------------------------------------------ */

/* What the data plane was last told of each relay, and how often. */
static struct vfwd_dp_relay published[VFWD_MAX_RELAYS];
static unsigned int n_published[VFWD_MAX_RELAYS];
static unsigned int n_resets[VFWD_MAX_RELAYS];

/* The device side: the next probe's answer, the ports handed out. */
static int probe_rc, start_rc;
static uint16_t next_port;
static unsigned int n_detached;
/* Broken rules, counted where relay.c holds its lock (a failed assertion
 * there would leave it held) and checked by each test's teardown. */
static unsigned int detached_while_published, started_without_pool;

/* The vhost side: the callbacks, the socket of each vhost device, and
 * what a socket's open or close does. */
static const struct rte_vhost_device_ops *ops;
static char vid_path[8][PATH_MAX];
static int open_rc;
static int guest_during_open = -1;    /* client mode: connects at once */
static int guest_during_close = -1;   /* tries to connect while closing */
static int guest_during_close_rc;

/* Buffer pools made and freed, and whether the next one fails. */
static unsigned int pools_live;
static bool pool_fails;

void
vfwd_dp_set_relay(unsigned int id, const struct vfwd_dp_relay *desc)
{
	published[id] = *desc;
	n_published[id]++;
}

unsigned int
vfwd_dp_n_workers(void)
{
	return 1;
}

void
vfwd_dp_reset_counters(unsigned int id)
{
	n_resets[id]++;
}

int
vfwd_dp_move(unsigned int id, const int cpu[VFWD_N_DIRS], char *err, size_t errlen)
{
	(void)id, (void)cpu, (void)err, (void)errlen;
	return 0;
}

void
vfwd_dp_relay_cpus(unsigned int id, int cpu[VFWD_N_DIRS], int pin[VFWD_N_DIRS])
{
	(void)id;
	cpu[0] = cpu[1] = pin[0] = pin[1] = -1;
}

void
vfwd_dp_relay_counters(unsigned int id, struct vfwd_dir_counters out[VFWD_N_DIRS])
{
	(void)id;
	memset(out, 0, VFWD_N_DIRS * sizeof(*out));
}

void
vfwd_dp_wake_all(void)
{
}

int
vfwd_device_probe(const char *spec, const struct vfwd_device_opts *opts,
		  struct vfwd_device *dev, char *err, size_t errlen)
{
	(void)opts;
	if (probe_rc != 0) {
		snprintf(err, errlen, "%s: probe refused", spec);
		return probe_rc;
	}
	memset(dev, 0, sizeof(*dev));
	dev->port_id = next_port++;
	dev->nb_rxq = dev->nb_txq = 1;
	dev->nb_rxd = dev->nb_txd = 512;
	dev->numa = -1;
	dev->mtu = 1500;
	snprintf(dev->name, sizeof(dev->name), "%s", spec);
	return 0;
}

int
vfwd_device_probe_bond(const char *name, unsigned int mode, const char *const *members,
		       unsigned int n_members, const struct vfwd_device_opts *opts,
		       struct vfwd_device *dev, char *err, size_t errlen)
{
	(void)mode, (void)members, (void)n_members, (void)opts, (void)dev;
	snprintf(err, errlen, "%s: no bonds here", name);
	return -ENOTSUP;
}

unsigned int
vfwd_device_ring_mbufs(const struct vfwd_device *dev)
{
	return dev->nb_rxd;
}

int
vfwd_device_start(struct vfwd_device *dev, struct rte_mempool *pool, char *err, size_t errlen)
{
	if (pool == NULL)
		started_without_pool++;
	if (start_rc != 0)
		snprintf(err, errlen, "%s: start refused", dev->name);
	return start_rc;
}

/* The rule: no relay still publishes the port when it goes. */
void
vfwd_device_detach(struct vfwd_device *dev)
{
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (published[i].port_id == dev->port_id && n_published[i] > 0)
			detached_while_published++;
	n_detached++;
}

void
vfwd_profile_attached(unsigned int id, const char *const *names, const uint16_t *ports,
		      unsigned int n)
{
	(void)id, (void)names, (void)ports, (void)n;
}

void
vfwd_profile_detached(unsigned int id)
{
	(void)id;
}

/* Which vhost device is connected on 'path' (the one whose callbacks
 * ran last), or -1. */
static int
guest_on(const char *path)
{
	int vid;

	for (vid = 0; vid < 8; vid++)
		if (strcmp(vid_path[vid], path) == 0)
			return vid;
	return -1;
}

int
vfwd_vhost_open(const char *path, const struct rte_vhost_device_ops *o,
		char *err, size_t errlen)
{
	ops = o;
	if (guest_during_open >= 0) {
		snprintf(vid_path[guest_during_open], PATH_MAX, "%s", path);
		assert_int_equal(ops->new_device(guest_during_open), 0);
	}
	if (open_rc != 0)
		snprintf(err, errlen, "%s: refused", path);
	return open_rc;
}

/* The stand-in guests have no rings. */
void
vfwd_vhost_resume_packed(int vid, uint64_t features, unsigned int relay)
{
	(void)vid;
	(void)features;
	(void)relay;
}

void
vfwd_vhost_log_packed_rings(int vid)
{
	(void)vid;
}

/* As the library: a connected guest's destroy_device runs from here. */
void
vfwd_vhost_close(const char *path)
{
	int vid;

	if (guest_during_close >= 0) {
		snprintf(vid_path[guest_during_close], PATH_MAX, "%s", path);
		guest_during_close_rc = ops->new_device(guest_during_close);
		vid_path[guest_during_close][0] = '\0';
	}
	while ((vid = guest_on(path)) >= 0) {
		ops->destroy_device(vid);
		vid_path[vid][0] = '\0';
	}
}

int
rte_vhost_get_ifname(int vid, char *buf, size_t len)
{
	if (vid < 0 || vid >= 8 || vid_path[vid][0] == '\0')
		return -1;
	snprintf(buf, len, "%s", vid_path[vid]);
	return 0;
}

int
rte_vhost_get_negotiated_features(int vid, uint64_t *features)
{
	(void)vid;
	*features = VERSION_1;
	return 0;
}

int
rte_vhost_get_numa_node(int vid)
{
	(void)vid;
	return 0;
}

uint16_t
rte_vhost_get_vring_num(int vid)
{
	(void)vid;
	return 2;
}

int
rte_vhost_enable_guest_notification(int vid, uint16_t queue_id, int enable)
{
	(void)vid, (void)queue_id, (void)enable;
	return 0;
}

int
rte_vhost_driver_get_features(const char *path, uint64_t *features)
{
	(void)path;
	*features = VERSION_1;
	return 0;
}

struct rte_mempool *
rte_pktmbuf_pool_create(const char *name, unsigned int n, unsigned int cache_size,
			uint16_t priv_size, uint16_t data_room_size, int socket_id)
{
	struct rte_mempool *mp;

	(void)cache_size, (void)priv_size, (void)data_room_size;
	if (pool_fails) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mp = calloc(1, sizeof(*mp));
	if (mp == NULL)
		return NULL;
	snprintf(mp->name, sizeof(mp->name), "%s", name);
	mp->size = n;
	mp->socket_id = socket_id < 0 ? 0 : socket_id;
	pools_live++;
	return mp;
}

void
rte_mempool_free(struct rte_mempool *mp)
{
	if (mp == NULL)
		return;
	free(mp);
	pools_live--;
}

unsigned int
rte_mempool_in_use_count(const struct rte_mempool *mp)
{
	(void)mp;
	return 0;
}

int
rte_eth_stats_get(uint16_t port_id, struct rte_eth_stats *stats)
{
	(void)port_id;
	memset(stats, 0, sizeof(*stats));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Helpers                                                             */
/* ------------------------------------------------------------------ */

static char err[VFWD_ERR_MAX];

static int
setup(void **state)
{
	static struct vfwd_config cfg;

	(void)state;
	memset(published, 0, sizeof(published));
	memset(n_published, 0, sizeof(n_published));
	memset(n_resets, 0, sizeof(n_resets));
	memset(vid_path, 0, sizeof(vid_path));
	probe_rc = start_rc = open_rc = 0;
	guest_during_open = guest_during_close = -1;
	pool_fails = false;
	n_detached = detached_while_published = started_without_pool = 0;
	err[0] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(vfwd_relays_init(&cfg), 0);
	return 0;
}

/* Tears down what a test left, and checks no buffer pool outlived it. */
static int
teardown(void **state)
{
	(void)state;
	vfwd_relays_fini();
	assert_int_equal(pools_live, 0);
	assert_int_equal(detached_while_published, 0);
	assert_int_equal(started_without_pool, 0);
	return 0;
}

static struct vfwd_relay_info
info_of(unsigned int id)
{
	struct vfwd_relay_info info;

	assert_int_equal(vfwd_relay_info(id, &info), 0);
	return info;
}

/* A guest 'vid' connects on 'path', as the library reports it. */
static int
connect_guest(int vid, const char *path)
{
	snprintf(vid_path[vid], PATH_MAX, "%s", path);
	return ops->new_device(vid);
}

static void
disconnect_guest(int vid)
{
	ops->destroy_device(vid);
	vid_path[vid][0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

static void
test_socket_add_and_refusals(void **state)
{
	struct vfwd_relay_info info;

	(void)state;
	assert_int_equal(vfwd_relay_add_socket(1, "/s/one", err, sizeof(err)), 0);
	info = info_of(1);
	assert_true(info.has_socket);
	assert_string_equal(info.socket, "/s/one");
	assert_false(info.guest_connected);
	/* A socket alone needs no buffers. */
	assert_int_equal(pools_live, 0);

	/* The table refuses a second socket on the relay... */
	assert_int_equal(vfwd_relay_add_socket(1, "/s/other", err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "relay 1: already has socket /s/one"));
	/* ... and the same path on another relay. */
	assert_int_equal(vfwd_relay_add_socket(2, "/s/one", err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "/s/one: already the socket of relay 1"));
	assert_int_equal(vfwd_relay_find_socket("/s/one"), 1);
	assert_int_equal(vfwd_relay_info(2, &info), -ENOENT);

	assert_int_equal(vfwd_relay_remove_socket(1, err, sizeof(err)), 0);
	assert_int_equal(vfwd_relay_info(1, &info), -ENOENT);
	assert_int_equal(vfwd_relay_remove_socket(1, err, sizeof(err)), -ENOENT);
	assert_int_equal(vfwd_relay_find_socket("/s/one"), -ENOENT);
	/* Free again: the path can be taken by another relay. */
	assert_int_equal(vfwd_relay_add_socket(2, "/s/one", err, sizeof(err)), 0);
	assert_int_equal(vfwd_relay_add_socket(VFWD_MAX_RELAYS, "/s/x", err, sizeof(err)),
			 -ERANGE);
}

static void
test_open_failure_frees_the_path(void **state)
{
	struct vfwd_relay_info info;

	(void)state;
	open_rc = -EADDRINUSE;
	assert_int_equal(vfwd_relay_add_socket(3, "/s/busy", err, sizeof(err)), -EADDRINUSE);
	assert_int_equal(vfwd_relay_info(3, &info), -ENOENT);
	assert_int_equal(vfwd_relay_find_socket("/s/busy"), -ENOENT);
	open_rc = 0;
	assert_int_equal(vfwd_relay_add_socket(3, "/s/busy", err, sizeof(err)), 0);
}

/* Client mode: the library may connect the guest before registration
 * returns; if registration then fails, the guest goes first. */
static void
test_client_guest_during_open(void **state)
{
	(void)state;
	guest_during_open = 4;
	assert_int_equal(vfwd_relay_add_socket(5, "/s/client", err, sizeof(err)), 0);
	assert_true(info_of(5).guest_connected);
	assert_int_equal(published[5].vid, 4);
	assert_int_equal(pools_live, 1);

	guest_during_open = 5;
	open_rc = -EIO;
	assert_int_equal(vfwd_relay_add_socket(6, "/s/failing", err, sizeof(err)), -EIO);
	assert_int_equal(published[6].vid, -1);
	assert_int_equal(vfwd_relay_find_socket("/s/failing"), -ENOENT);
	vid_path[5][0] = '\0';
	/* Its pool went with it: only relay 5's is left. */
	assert_int_equal(pools_live, 1);
}

/* ------------------------------------------------------------------ */
/* Guests                                                              */
/* ------------------------------------------------------------------ */

static void
test_guest_lifecycle(void **state)
{
	struct vfwd_relay_info info;

	(void)state;
	assert_int_equal(vfwd_relay_add_socket(1, "/s/g", err, sizeof(err)), 0);
	/* A guest on a socket no relay owns is refused. */
	assert_int_equal(connect_guest(0, "/s/nobody"), -1);
	vid_path[0][0] = '\0';

	assert_int_equal(connect_guest(1, "/s/g"), 0);
	info = info_of(1);
	assert_true(info.guest_connected);
	assert_int_equal(info.features, VERSION_1);
	assert_int_equal(published[1].vid, 1);
	assert_non_null(published[1].pool);
	assert_int_equal(pools_live, 1);

	/* A second guest on the same socket is refused; the first stays. */
	assert_int_equal(connect_guest(2, "/s/g"), -1);
	vid_path[2][0] = '\0';
	assert_int_equal(published[1].vid, 1);

	/* The guest's queues: even vrings feed VF to VM, odd ones VM to VF. */
	assert_int_equal(ops->vring_state_changed(1, 0, 1), 0);
	assert_int_equal(ops->vring_state_changed(1, 1, 1), 0);
	assert_int_equal(ops->vring_state_changed(1, 3, 1), 0);
	info = info_of(1);
	assert_int_equal(info.rxq_enabled, 0x1);
	assert_int_equal(info.txq_enabled, 0x3);
	assert_int_equal(ops->vring_state_changed(1, 1, 0), 0);
	assert_int_equal(info_of(1).txq_enabled, 0x2);
	/* A vring of another connection's vhost device changes nothing. */
	snprintf(vid_path[6], PATH_MAX, "/s/g");
	assert_int_equal(ops->vring_state_changed(6, 0, 0), 0);
	vid_path[6][0] = '\0';
	assert_int_equal(info_of(1).rxq_enabled, 0x1);

	/* Dirty page logging on, then off. */
	assert_int_equal(ops->features_changed(1, VERSION_1 | (1ULL << VHOST_F_LOG_ALL)), 0);
	assert_true(info_of(1).dirty_logging);
	assert_int_equal(ops->features_changed(1, VERSION_1), 0);
	assert_false(info_of(1).dirty_logging);

	disconnect_guest(1);
	info = info_of(1);
	assert_false(info.guest_connected);
	assert_int_equal(info.rxq_enabled, 0);
	assert_int_equal(published[1].vid, -1);
	assert_null(published[1].pool);
	/* A socket alone keeps no pool. */
	assert_int_equal(pools_live, 0);
	/* A new guest may come. */
	assert_int_equal(connect_guest(2, "/s/g"), 0);
}

static void
test_guest_without_buffers_is_taken_down(void **state)
{
	(void)state;
	assert_int_equal(vfwd_relay_add_socket(1, "/s/g", err, sizeof(err)), 0);
	pool_fails = true;
	assert_int_equal(connect_guest(1, "/s/g"), -1);
	vid_path[1][0] = '\0';
	assert_false(info_of(1).guest_connected);
	assert_int_equal(published[1].vid, -1);
	/* The state went back: the next guest is taken. */
	pool_fails = false;
	assert_int_equal(connect_guest(3, "/s/g"), 0);
	assert_true(info_of(1).guest_connected);
}

static void
test_socket_closing_refuses_guests(void **state)
{
	(void)state;
	assert_int_equal(vfwd_relay_add_socket(1, "/s/g", err, sizeof(err)), 0);
	assert_int_equal(connect_guest(1, "/s/g"), 0);
	/* While the socket closes, a guest that connects is refused, and the
	 * one that was there is taken down by the library's close. */
	guest_during_close = 2;
	assert_int_equal(vfwd_relay_remove_socket(1, err, sizeof(err)), 0);
	assert_int_equal(guest_during_close_rc, -1);
	assert_int_equal(published[1].vid, -1);
	assert_int_equal(pools_live, 0);
	/* An idle relay starts its counters again. */
	assert_true(n_resets[1] > 0);
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

static void
test_attach_and_detach(void **state)
{
	struct vfwd_relay_info info;

	(void)state;
	next_port = 7;
	assert_int_equal(vfwd_relay_attach(2, "net_null0", err, sizeof(err)), 0);
	info = info_of(2);
	assert_true(info.has_device);
	assert_string_equal(info.device, "net_null0");
	assert_int_equal(info.port_id, 7);
	assert_int_equal(published[2].port_id, 7);
	assert_int_equal(pools_live, 1);
	assert_int_equal(vfwd_relay_find_device("net_null0"), 2);

	/* The table refuses a second device; the device is refused to others. */
	assert_int_equal(vfwd_relay_attach(2, "net_null1", err, sizeof(err)), -EEXIST);
	assert_non_null(strstr(err, "relay 2: already has device net_null0"));
	assert_int_equal(vfwd_relay_attach(3, "net_null0", err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, "already in use by relay 2"));

	/* Detach: withdrawn from the data plane before it goes (the
	 * detach stand-in checks), then the pool, then counters reset. */
	assert_int_equal(vfwd_relay_detach(2, err, sizeof(err)), 0);
	assert_int_equal(n_detached, 1);
	assert_int_equal(detached_while_published, 0);
	assert_int_equal(published[2].port_id, -1);
	assert_int_equal(vfwd_relay_info(2, &info), -ENOENT);
	assert_int_equal(pools_live, 0);
	assert_true(n_resets[2] > 0);
	assert_int_equal(vfwd_relay_detach(2, err, sizeof(err)), -ENOENT);
	assert_int_equal(vfwd_relay_find_device("net_null0"), -ENOENT);
}

static void
test_attach_failures_release_everything(void **state)
{
	struct vfwd_relay_info info;

	(void)state;
	probe_rc = -ENODEV;
	assert_int_equal(vfwd_relay_attach(4, "net_nothing", err, sizeof(err)), -ENODEV);
	assert_non_null(strstr(err, "probe refused"));
	probe_rc = 0;
	start_rc = -EIO;
	assert_int_equal(vfwd_relay_attach(4, "net_null4", err, sizeof(err)), -EIO);
	assert_int_equal(n_detached, 1);
	start_rc = 0;
	pool_fails = true;
	assert_int_equal(vfwd_relay_attach(4, "net_null4", err, sizeof(err)), -ENOMEM);
	pool_fails = false;
	assert_int_equal(vfwd_relay_info(4, &info), -ENOENT);
	assert_int_equal(pools_live, 0);
	assert_int_equal(published[4].port_id, 0);   /* never published */
	assert_int_equal(n_published[4], 0);
	/* Nothing stuck: the same device attaches now. */
	assert_int_equal(vfwd_relay_attach(4, "net_null4", err, sizeof(err)), 0);
}

/* A guest and a device: each side comes and goes on its own, and the
 * pool stays while either needs it. */
static void
test_both_sides(void **state)
{
	(void)state;
	assert_int_equal(vfwd_relay_add_socket(9, "/s/both", err, sizeof(err)), 0);
	assert_int_equal(connect_guest(1, "/s/both"), 0);
	assert_int_equal(vfwd_relay_attach(9, "net_null9", err, sizeof(err)), 0);
	assert_int_equal(pools_live, 1);
	assert_int_equal(published[9].vid, 1);
	assert_int_equal(vfwd_relay_detach(9, err, sizeof(err)), 0);
	assert_int_equal(pools_live, 1);
	assert_int_equal(published[9].vid, 1);
	assert_int_equal(vfwd_relay_attach(9, "net_null9", err, sizeof(err)), 0);
	disconnect_guest(1);
	assert_int_equal(pools_live, 1);
	assert_true(info_of(9).has_device);
	assert_int_equal(vfwd_relay_set_ident(9, "port-\x1b"), 0);
	assert_string_equal(info_of(9).ident, "port-\\x1b");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_socket_add_and_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_failure_frees_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_guest_during_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_without_buffers_is_taken_down, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_closing_refuses_guests, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_attach_and_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_failures_release_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_both_sides, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
