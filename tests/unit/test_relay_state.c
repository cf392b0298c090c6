/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the relay state machine (src/relay_state.c): every
 * transition of the table, refused events leaving the state alone, the
 * invariant that no guest outlives its socket, and the lifecycles the
 * daemon goes through.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "relay_state.h"

enum { N = VFWD_SOCK_NONE, OG = VFWD_SOCK_OPENING, O = VFWD_SOCK_OPEN,
       C = VFWD_SOCK_CLOSING };

/* One line of the socket table: from (sock, guest), event -> rc, to. */
struct row {
	int sock;
	bool guest;
	enum vfwd_relay_event ev;
	int rc;
	int to_sock;
	bool to_guest;
};

/* The table of relay_state.c, written out for every reachable
 * (socket, guest) pair and every socket or guest event. */
static const struct row socket_table[] = {
	/* no socket */
	{ N, 0, VFWD_EV_SOCKET_ADD, 0, OG, 0 },
	{ N, 0, VFWD_EV_SOCKET_OPENED, -EINVAL, N, 0 },
	{ N, 0, VFWD_EV_SOCKET_FAILED, -EINVAL, N, 0 },
	{ N, 0, VFWD_EV_SOCKET_REMOVE, -ENOENT, N, 0 },
	{ N, 0, VFWD_EV_SOCKET_CLOSED, -EINVAL, N, 0 },
	{ N, 0, VFWD_EV_GUEST_UP, -ENOENT, N, 0 },
	{ N, 0, VFWD_EV_GUEST_DOWN, -ENOENT, N, 0 },
	/* opening, no guest */
	{ OG, 0, VFWD_EV_SOCKET_ADD, -EEXIST, OG, 0 },
	{ OG, 0, VFWD_EV_SOCKET_OPENED, 0, O, 0 },
	{ OG, 0, VFWD_EV_SOCKET_FAILED, 0, N, 0 },
	{ OG, 0, VFWD_EV_SOCKET_REMOVE, -ENOENT, OG, 0 },
	{ OG, 0, VFWD_EV_SOCKET_CLOSED, -EINVAL, OG, 0 },
	{ OG, 0, VFWD_EV_GUEST_UP, 0, OG, 1 },
	{ OG, 0, VFWD_EV_GUEST_DOWN, -ENOENT, OG, 0 },
	/* opening, a guest came in client mode */
	{ OG, 1, VFWD_EV_SOCKET_ADD, -EEXIST, OG, 1 },
	{ OG, 1, VFWD_EV_SOCKET_OPENED, 0, O, 1 },
	{ OG, 1, VFWD_EV_SOCKET_FAILED, -EBUSY, OG, 1 },
	{ OG, 1, VFWD_EV_SOCKET_REMOVE, -ENOENT, OG, 1 },
	{ OG, 1, VFWD_EV_SOCKET_CLOSED, -EINVAL, OG, 1 },
	{ OG, 1, VFWD_EV_GUEST_UP, -EEXIST, OG, 1 },
	{ OG, 1, VFWD_EV_GUEST_DOWN, 0, OG, 0 },
	/* open, no guest */
	{ O, 0, VFWD_EV_SOCKET_ADD, -EEXIST, O, 0 },
	{ O, 0, VFWD_EV_SOCKET_OPENED, -EINVAL, O, 0 },
	{ O, 0, VFWD_EV_SOCKET_FAILED, -EINVAL, O, 0 },
	{ O, 0, VFWD_EV_SOCKET_REMOVE, 0, C, 0 },
	{ O, 0, VFWD_EV_SOCKET_CLOSED, -EINVAL, O, 0 },
	{ O, 0, VFWD_EV_GUEST_UP, 0, O, 1 },
	{ O, 0, VFWD_EV_GUEST_DOWN, -ENOENT, O, 0 },
	/* open, guest up */
	{ O, 1, VFWD_EV_SOCKET_ADD, -EEXIST, O, 1 },
	{ O, 1, VFWD_EV_SOCKET_OPENED, -EINVAL, O, 1 },
	{ O, 1, VFWD_EV_SOCKET_FAILED, -EINVAL, O, 1 },
	{ O, 1, VFWD_EV_SOCKET_REMOVE, 0, C, 1 },
	{ O, 1, VFWD_EV_SOCKET_CLOSED, -EINVAL, O, 1 },
	{ O, 1, VFWD_EV_GUEST_UP, -EEXIST, O, 1 },
	{ O, 1, VFWD_EV_GUEST_DOWN, 0, O, 0 },
	/* closing, no guest */
	{ C, 0, VFWD_EV_SOCKET_ADD, -EEXIST, C, 0 },
	{ C, 0, VFWD_EV_SOCKET_OPENED, -EINVAL, C, 0 },
	{ C, 0, VFWD_EV_SOCKET_FAILED, -EINVAL, C, 0 },
	{ C, 0, VFWD_EV_SOCKET_REMOVE, -ENOENT, C, 0 },
	{ C, 0, VFWD_EV_SOCKET_CLOSED, 0, N, 0 },
	{ C, 0, VFWD_EV_GUEST_UP, -ENOENT, C, 0 },
	{ C, 0, VFWD_EV_GUEST_DOWN, -ENOENT, C, 0 },
	/* closing, the guest not gone yet */
	{ C, 1, VFWD_EV_SOCKET_ADD, -EEXIST, C, 1 },
	{ C, 1, VFWD_EV_SOCKET_OPENED, -EINVAL, C, 1 },
	{ C, 1, VFWD_EV_SOCKET_FAILED, -EINVAL, C, 1 },
	{ C, 1, VFWD_EV_SOCKET_REMOVE, -ENOENT, C, 1 },
	{ C, 1, VFWD_EV_SOCKET_CLOSED, -EBUSY, C, 1 },
	{ C, 1, VFWD_EV_GUEST_UP, -ENOENT, C, 1 },
	{ C, 1, VFWD_EV_GUEST_DOWN, 0, C, 0 },
};

static void
test_socket_table(void **state)
{
	size_t i;
	int dev;

	(void)state;
	/* The device side never changes what the socket side does. */
	for (dev = 0; dev < 2; dev++)
		for (i = 0; i < sizeof(socket_table) / sizeof(socket_table[0]); i++) {
			const struct row *t = &socket_table[i];
			struct vfwd_relay_state s = {
				.sock = t->sock, .guest = t->guest, .device = dev,
			};
			int rc = vfwd_relay_step(&s, t->ev);

			if (rc != t->rc || (int)s.sock != t->to_sock ||
			    s.guest != t->to_guest || s.device != dev)
				fail_msg("row %zu: %s/%s + %s: got %d -> %s/%d, want "
					 "%d -> %s/%d", i, vfwd_sock_state_name(t->sock),
					 t->guest ? "guest" : "-",
					 vfwd_relay_event_name(t->ev), rc,
					 vfwd_sock_state_name(s.sock), s.guest, t->rc,
					 vfwd_sock_state_name(t->to_sock), t->to_guest);
		}
}

/* Every reachable state: socket x guest (only on a socket) x device. */
static size_t
all_states(struct vfwd_relay_state *out)
{
	size_t n = 0;
	int sock, guest, dev;

	for (sock = 0; sock < VFWD_SOCK_N_STATES; sock++)
		for (guest = 0; guest < 2; guest++)
			for (dev = 0; dev < 2; dev++) {
				if (guest && sock == VFWD_SOCK_NONE)
					continue;
				out[n++] = (struct vfwd_relay_state){
					.sock = sock, .guest = guest, .device = dev };
			}
	return n;
}

static void
test_device_side(void **state)
{
	struct vfwd_relay_state all[32];
	size_t i, n = all_states(all);

	(void)state;
	for (i = 0; i < n; i++) {
		struct vfwd_relay_state s = all[i];
		int rc = vfwd_relay_step(&s, VFWD_EV_DEVICE_ATTACH);

		assert_int_equal(rc, all[i].device ? -EEXIST : 0);
		assert_true(s.device);
		assert_int_equal(s.sock, all[i].sock);
		assert_int_equal(s.guest, all[i].guest);

		s = all[i];
		rc = vfwd_relay_step(&s, VFWD_EV_DEVICE_DETACH);
		assert_int_equal(rc, all[i].device ? 0 : -ENOENT);
		assert_false(s.device);
		assert_int_equal(s.sock, all[i].sock);
		assert_int_equal(s.guest, all[i].guest);
	}
}

/* From every reachable state, every event either is refused and changes
 * nothing, or leads to a reachable state: no guest without a socket. */
static void
test_closed_under_events(void **state)
{
	struct vfwd_relay_state all[32];
	size_t i, n = all_states(all);
	int ev;

	(void)state;
	for (i = 0; i < n; i++)
		for (ev = 0; ev <= VFWD_EV_N_EVENTS; ev++) {
			struct vfwd_relay_state s = all[i];
			int rc = vfwd_relay_step(&s, ev);

			if (rc != 0)
				assert_memory_equal(&s, &all[i], sizeof(s));
			else
				assert_false(s.guest && s.sock == VFWD_SOCK_NONE);
		}
}

/* Applies the events in order, each expected to be taken. */
static struct vfwd_relay_state
run(const enum vfwd_relay_event *evs, size_t n)
{
	struct vfwd_relay_state s = { 0 };
	size_t i;

	assert_true(vfwd_relay_state_idle(&s));
	for (i = 0; i < n; i++) {
		if (vfwd_relay_step(&s, evs[i]) != 0)
			fail_msg("event %zu (%s) refused", i, vfwd_relay_event_name(evs[i]));
	}
	return s;
}

static void
test_lifecycles(void **state)
{
	/* Server mode: socket, device, a guest, then everything goes. */
	static const enum vfwd_relay_event server[] = {
		VFWD_EV_SOCKET_ADD, VFWD_EV_SOCKET_OPENED, VFWD_EV_DEVICE_ATTACH,
		VFWD_EV_GUEST_UP, VFWD_EV_DEVICE_DETACH, VFWD_EV_SOCKET_REMOVE,
		VFWD_EV_GUEST_DOWN, VFWD_EV_SOCKET_CLOSED,
	};
	/* Client mode: the guest arrives before registration returns. */
	static const enum vfwd_relay_event client[] = {
		VFWD_EV_SOCKET_ADD, VFWD_EV_GUEST_UP, VFWD_EV_SOCKET_OPENED,
		VFWD_EV_GUEST_DOWN, VFWD_EV_GUEST_UP,
	};
	/* A socket that cannot be opened leaves the relay as it was. */
	static const enum vfwd_relay_event failed[] = {
		VFWD_EV_DEVICE_ATTACH, VFWD_EV_SOCKET_ADD, VFWD_EV_SOCKET_FAILED,
	};
	struct vfwd_relay_state s;

	(void)state;
	s = run(server, sizeof(server) / sizeof(server[0]));
	assert_true(vfwd_relay_state_idle(&s));
	assert_false(vfwd_relay_state_has_path(&s));

	s = run(client, sizeof(client) / sizeof(client[0]));
	assert_int_equal(s.sock, VFWD_SOCK_OPEN);
	assert_true(s.guest);
	assert_true(vfwd_relay_state_has_path(&s));
	assert_false(vfwd_relay_state_idle(&s));

	s = run(failed, sizeof(failed) / sizeof(failed[0]));
	assert_int_equal(s.sock, VFWD_SOCK_NONE);
	assert_true(s.device);
	assert_false(vfwd_relay_state_idle(&s));
}

static void
test_path_and_idle(void **state)
{
	struct vfwd_relay_state all[32];
	size_t i, n = all_states(all);

	(void)state;
	for (i = 0; i < n; i++) {
		/* Opening and closing sockets keep their path: no other relay
		 * may take it while the library still has it. */
		assert_int_equal(vfwd_relay_state_has_path(&all[i]),
				 all[i].sock != VFWD_SOCK_NONE);
		assert_int_equal(vfwd_relay_state_idle(&all[i]),
				 all[i].sock == VFWD_SOCK_NONE && !all[i].device);
		/* Buffers follow the guest and the device, never the socket. */
		assert_int_equal(vfwd_relay_state_needs_buffers(&all[i]),
				 all[i].guest || all[i].device);
	}
}

/* The static-socket life of a relay: its socket stays from start to stop
 * while devices and guests come and go; its buffers must go each time. */
static void
test_buffers_without_socket_change(void **state)
{
	static const enum vfwd_relay_event evs[] = {
		VFWD_EV_SOCKET_ADD, VFWD_EV_SOCKET_OPENED,
		VFWD_EV_DEVICE_ATTACH, VFWD_EV_DEVICE_DETACH,
		VFWD_EV_GUEST_UP, VFWD_EV_DEVICE_ATTACH, VFWD_EV_GUEST_DOWN,
		VFWD_EV_DEVICE_DETACH,
	};
	static const bool needs[] = {
		false, false, true, false, true, true, true, false,
	};
	struct vfwd_relay_state s = { 0 };
	size_t i;

	(void)state;
	assert_false(vfwd_relay_state_needs_buffers(&s));
	for (i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
		assert_int_equal(vfwd_relay_step(&s, evs[i]), 0);
		if (vfwd_relay_state_needs_buffers(&s) != needs[i])
			fail_msg("after event %zu (%s): needs buffers %d, expected %d",
				 i, vfwd_relay_event_name(evs[i]),
				 vfwd_relay_state_needs_buffers(&s), needs[i]);
		assert_false(vfwd_relay_state_idle(&s));
	}
}

static void
test_names(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < VFWD_SOCK_N_STATES; i++)
		assert_string_not_equal(vfwd_sock_state_name(i), "?");
	for (i = 0; i < VFWD_EV_N_EVENTS; i++)
		assert_string_not_equal(vfwd_relay_event_name(i), "?");
	assert_string_equal(vfwd_sock_state_name(VFWD_SOCK_N_STATES), "?");
	assert_string_equal(vfwd_relay_event_name(VFWD_EV_N_EVENTS), "?");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_socket_table),
		cmocka_unit_test(test_device_side),
		cmocka_unit_test(test_closed_under_events),
		cmocka_unit_test(test_lifecycles),
		cmocka_unit_test(test_path_and_idle),
		cmocka_unit_test(test_buffers_without_socket_change),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
