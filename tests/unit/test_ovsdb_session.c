/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/ovsdb_session.c, in virtual time: the session is
 * driven with made-up times and events (a connect that works, fails or
 * hangs, data from the server, silence) and its states, reconnection
 * delays, probe and drop times, connect timeout and log lines are checked.
 * In the manner of Open vSwitch's test-reconnect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ovsdb_session.h"
#include "unit.h"

#define T0 1000000u     /* any start: the session only adds to it */

/* The lines the session logged, for the test to look at. */
static struct {
	unsigned int n;
	int level[64];
	bool limited[64];
	char line[64][512];
} logged;

static void
capture(int level, bool limited, const char *line)
{
	if (logged.n == 64)
		fail_msg("more log lines than the test expects");
	logged.level[logged.n] = level;
	logged.limited[logged.n] = limited;
	snprintf(logged.line[logged.n], sizeof(logged.line[0]), "%s", line);
	logged.n++;
}

/* How many lines at or above 'level' (syslog: more urgent) contain 'needle'. */
static unsigned int
count_logged(int level, const char *needle)
{
	unsigned int i, n = 0;

	for (i = 0; i < logged.n; i++)
		if (logged.level[i] <= level && strstr(logged.line[i], needle) != NULL)
			n++;
	return n;
}

/* The index of the last line containing 'needle'; fails without one. */
static unsigned int
last_logged(const char *needle)
{
	unsigned int i;

	for (i = logged.n; i > 0; i--)
		if (strstr(logged.line[i - 1], needle) != NULL)
			return i - 1;
	fail_msg("no log line contains '%s'", needle);
	return 0;
}

static const struct vfwd_ovsdb_session_params defaults = VFWD_OVSDB_SESSION_DEFAULTS;

/* A session with the daemon's timing, started at T0. */
static void
started(struct vfwd_ovsdb_session *s)
{
	memset(&logged, 0, sizeof(logged));
	vfwd_ovsdb_session_init(s, "/run/db.sock", &defaults, capture);
	assert_int_equal(vfwd_ovsdb_session_state(s), VFWD_OVSDB_VOID);
	vfwd_ovsdb_session_start(s, T0);
}

/* A session with the daemon's timing, started and connected at T0. */
static void
connected(struct vfwd_ovsdb_session *s)
{
	started(s);
	assert_int_equal(vfwd_ovsdb_session_run(s, T0), VFWD_OVSDB_ACT_CONNECT);
	vfwd_ovsdb_session_connected(s, T0);    /* a unix socket: at once */
	assert_int_equal(vfwd_ovsdb_session_state(s), VFWD_OVSDB_ACTIVE);
}

/*
 * Checks that at 'now' the session has nothing to do for exactly 'wait'
 * ms more: run() is idle one ms before and asks for 'action' at the end.
 */
static void
due_in(struct vfwd_ovsdb_session *s, uint64_t now, int wait,
       enum vfwd_ovsdb_action action)
{
	assert_int_equal(vfwd_ovsdb_session_timeout_ms(s, now), wait);
	if (wait > 0) {
		assert_int_equal(vfwd_ovsdb_session_run(s, now + (uint64_t)wait - 1),
				 VFWD_OVSDB_ACT_NONE);
		assert_int_equal(vfwd_ovsdb_session_timeout_ms(s, now + (uint64_t)wait - 1), 1);
	}
	assert_int_equal(vfwd_ovsdb_session_run(s, now + (uint64_t)wait), action);
}

/* Nothing to do and no timeout before start and after stop. */
static void
test_void(void **state)
{
	struct vfwd_ovsdb_session s;

	(void)state;
	memset(&logged, 0, sizeof(logged));
	vfwd_ovsdb_session_init(&s, "x", &defaults, capture);
	assert_int_equal(vfwd_ovsdb_session_timeout_ms(&s, T0), -1);
	assert_int_equal(vfwd_ovsdb_session_run(&s, T0), VFWD_OVSDB_ACT_NONE);
	/* Events of a connection it has not asked for change nothing. */
	vfwd_ovsdb_session_connected(&s, T0);
	vfwd_ovsdb_session_disconnected(&s, T0, "x");
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_VOID);
	assert_int_equal(logged.n, 0);

	vfwd_ovsdb_session_start(&s, T0);
	vfwd_ovsdb_session_connected(&s, T0);
	vfwd_ovsdb_session_stop(&s, T0 + 1);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_VOID);
	assert_int_equal(vfwd_ovsdb_session_timeout_ms(&s, T0 + 1), -1);
	assert_int_equal(vfwd_ovsdb_session_run(&s, T0 + 100000), VFWD_OVSDB_ACT_NONE);
	assert_contains(logged.line[logged.n - 1], "ACTIVE -> VOID (stopped)");
}

/*
 * A server that is not there: the first try at once, then tries after
 * 0.5, 1, 2, 4, 8 and 16 s, and every 16 s after that; the failure is
 * logged once as a warning, each state change at debug level.
 */
static void
test_backoff_delays(void **state)
{
	static const int delays[] = { 0, 500, 1000, 2000, 4000, 8000, 16000, 16000, 16000 };
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;
	size_t i;

	(void)state;
	started(&s);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_BACKOFF);
	for (i = 0; i < sizeof(delays) / sizeof(delays[0]); i++) {
		due_in(&s, now, delays[i], VFWD_OVSDB_ACT_CONNECT);
		now += (uint64_t)delays[i];
		/* Until it is reported, the attempt stays due. */
		assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_CONNECT);
		vfwd_ovsdb_session_disconnected(&s, now, "No such file or directory");
		assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_BACKOFF);
	}
	assert_int_equal(count_logged(LOG_WARNING, "cannot connect to /run/db.sock: "
				      "No such file or directory; retrying in the "
				      "background"), 1);
	assert_int_equal(count_logged(LOG_DEBUG, "ovsdb: session /run/db.sock: BACKOFF "
				      "-> BACKOFF (No such file or directory)"),
			 sizeof(delays) / sizeof(delays[0]));
	assert_false(logged.limited[last_logged("cannot connect")]);
}

/* A connect still under way after 5 s fails; the next try follows the
 * back-off, and a connect failing later is not logged again. */
static void
test_connect_timeout(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;

	(void)state;
	started(&s);
	assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_CONNECT);
	vfwd_ovsdb_session_connecting(&s, now);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_CONNECTING);
	due_in(&s, now, 5000, VFWD_OVSDB_ACT_DISCONNECT);
	now += 5000;
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_BACKOFF);
	assert_int_equal(count_logged(LOG_WARNING, "cannot connect to /run/db.sock: "
				      "connect timed out"), 1);
	assert_int_equal(count_logged(LOG_DEBUG, "CONNECTING -> BACKOFF (connect "
				      "timed out)"), 1);

	/* Second attempt: refused after 100 ms, while connecting. */
	due_in(&s, now, 500, VFWD_OVSDB_ACT_CONNECT);
	now += 500;
	vfwd_ovsdb_session_connecting(&s, now);
	now += 100;
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	assert_int_equal(count_logged(LOG_WARNING, "cannot connect"), 1);
	due_in(&s, now, 1000, VFWD_OVSDB_ACT_CONNECT);

	/* Third: connects after 4999 ms, just in time. */
	now += 1000;
	vfwd_ovsdb_session_connecting(&s, now);
	assert_int_equal(vfwd_ovsdb_session_run(&s, now + 4999), VFWD_OVSDB_ACT_NONE);
	vfwd_ovsdb_session_connected(&s, now + 4999);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_ACTIVE);
	assert_true(vfwd_ovsdb_session_is_connected(&s));
	assert_int_equal(vfwd_ovsdb_session_run(&s, now + 5000), VFWD_OVSDB_ACT_NONE);
}

/* A server that sends something every 4 s is never probed. */
static void
test_data_keeps_active(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;
	unsigned int i;

	(void)state;
	connected(&s);
	for (i = 0; i < 10; i++) {
		assert_int_equal(vfwd_ovsdb_session_timeout_ms(&s, now), 5000);
		now += 4000;
		assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_NONE);
		vfwd_ovsdb_session_received(&s, now);
	}
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_ACTIVE);
	assert_int_equal(count_logged(LOG_DEBUG, "IDLE"), 0);
	assert_int_equal(count_logged(LOG_DEBUG, "BACKOFF -> ACTIVE (connect finished)"), 1);
}

/*
 * The probe times, step by step: a server silent for 5 s is probed; one
 * that answers stays; one silent for 10 s is dropped, with the reason in
 * the warning, and the session goes back to trying.
 */
static void
test_probe_times(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;

	(void)state;
	connected(&s);

	/* Data at +3 s moves the probe to +8 s. */
	vfwd_ovsdb_session_received(&s, now + 3000);
	now += 3000;
	due_in(&s, now, 5000, VFWD_OVSDB_ACT_PROBE);
	now += 5000;
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_IDLE);
	assert_true(vfwd_ovsdb_session_is_connected(&s));
	assert_int_equal(count_logged(LOG_DEBUG, "ACTIVE -> IDLE (nothing received "
				      "for 5000 ms, probing)"), 1);
	/* Probed once only, however often it runs. */
	assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_NONE);

	/* The answer comes 2 s later: active again, next probe 5 s after it. */
	now += 2000;
	vfwd_ovsdb_session_received(&s, now);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_ACTIVE);
	assert_int_equal(count_logged(LOG_DEBUG, "IDLE -> ACTIVE (the server "
				      "answered)"), 1);
	due_in(&s, now, 5000, VFWD_OVSDB_ACT_PROBE);
	now += 5000;

	/* No answer: dropped 10 s after the server was last heard. */
	due_in(&s, now, 5000, VFWD_OVSDB_ACT_DISCONNECT);
	now += 5000;
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_BACKOFF);
	assert_false(vfwd_ovsdb_session_is_connected(&s));
	assert_int_equal(count_logged(LOG_WARNING, "ovsdb: connection to /run/db.sock "
				      "lost (no answer for 10 s); relays keep their "
				      "devices, will resynchronise"), 1);
	assert_true(logged.limited[last_logged("lost")]);
	/* The first reconnection delay (the first try was at once). */
	due_in(&s, now, 500, VFWD_OVSDB_ACT_CONNECT);
}

/* Only a session that worked starts again from the shortest delay: a
 * server that accepts and then drops every client is retried ever more
 * slowly. */
static void
test_backoff_reset_when_worked(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;
	int delay = 0, expect[] = { 500, 1000, 2000 };
	size_t i;

	(void)state;
	started(&s);
	for (i = 0; i < 3; i++) {
		due_in(&s, now, delay, VFWD_OVSDB_ACT_CONNECT);
		now += (uint64_t)delay;
		vfwd_ovsdb_session_connected(&s, now);
		vfwd_ovsdb_session_disconnected(&s, now + 10, "closed by the server");
		now += 10;
		delay = expect[i];
	}
	assert_int_equal(count_logged(LOG_WARNING, "lost (closed by the server)"), 3);
	due_in(&s, now, 2000, VFWD_OVSDB_ACT_CONNECT);
	now += 2000;
	vfwd_ovsdb_session_connected(&s, now);
	vfwd_ovsdb_session_worked(&s);
	vfwd_ovsdb_session_disconnected(&s, now + 10, "closed by the server");
	now += 10;
	due_in(&s, now, 500, VFWD_OVSDB_ACT_CONNECT);
}

/* A connection that worked makes the next failure to connect news again. */
static void
test_outages_logged_once_each(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;

	(void)state;
	started(&s);
	vfwd_ovsdb_session_run(&s, now);
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	now += 500;
	vfwd_ovsdb_session_run(&s, now);
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	assert_int_equal(count_logged(LOG_WARNING, "cannot connect"), 1);
	now += 1000;
	assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_CONNECT);
	vfwd_ovsdb_session_connected(&s, now);
	vfwd_ovsdb_session_disconnected(&s, now, "closed by the server");
	now += 2000;
	assert_int_equal(vfwd_ovsdb_session_run(&s, now), VFWD_OVSDB_ACT_CONNECT);
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	assert_int_equal(count_logged(LOG_WARNING, "cannot connect"), 2);
}

/* Other timing: the parameters are used, not the daemon's constants; a
 * probe interval of 0 never probes. */
static void
test_params(void **state)
{
	const struct vfwd_ovsdb_session_params p = {
		.backoff_min_ms = 10, .backoff_max_ms = 25,
		.connect_timeout_ms = 70, .probe_ms = 300,
	};
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;

	(void)state;
	memset(&logged, 0, sizeof(logged));
	vfwd_ovsdb_session_init(&s, "tcp:127.0.0.1:6640", &p, NULL);
	vfwd_ovsdb_session_start(&s, now);
	vfwd_ovsdb_session_run(&s, now);
	vfwd_ovsdb_session_connecting(&s, now);
	due_in(&s, now, 70, VFWD_OVSDB_ACT_DISCONNECT);
	now += 70;
	due_in(&s, now, 10, VFWD_OVSDB_ACT_CONNECT);
	now += 10;
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	due_in(&s, now, 20, VFWD_OVSDB_ACT_CONNECT);
	now += 20;
	vfwd_ovsdb_session_disconnected(&s, now, "Connection refused");
	due_in(&s, now, 25, VFWD_OVSDB_ACT_CONNECT);
	now += 25;
	vfwd_ovsdb_session_connected(&s, now);
	due_in(&s, now, 300, VFWD_OVSDB_ACT_PROBE);
	now += 300;
	due_in(&s, now, 300, VFWD_OVSDB_ACT_DISCONNECT);
	assert_int_equal(logged.n, 0);          /* no log function: silent */

	vfwd_ovsdb_session_init(&s, "x", &(struct vfwd_ovsdb_session_params){
		.backoff_min_ms = 10, .backoff_max_ms = 10, .connect_timeout_ms = 70,
		.probe_ms = 0 }, NULL);
	vfwd_ovsdb_session_start(&s, now);
	vfwd_ovsdb_session_run(&s, now);
	vfwd_ovsdb_session_connected(&s, now);
	assert_int_equal(vfwd_ovsdb_session_timeout_ms(&s, now), -1);
	assert_int_equal(vfwd_ovsdb_session_run(&s, now + 3600000), VFWD_OVSDB_ACT_NONE);
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_ACTIVE);
}

/* A connection the session was not waiting for changes nothing: one
 * that came back after the session gave up on it (timed out) is for the
 * caller to close. */
static void
test_late_events(void **state)
{
	struct vfwd_ovsdb_session s;
	uint64_t now = T0;

	(void)state;
	connected(&s);
	vfwd_ovsdb_session_connecting(&s, now + 1);     /* not from ACTIVE */
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_ACTIVE);
	vfwd_ovsdb_session_disconnected(&s, now + 2, "closed by the server");
	vfwd_ovsdb_session_received(&s, now + 3);      /* not while BACKOFF */
	assert_int_equal(vfwd_ovsdb_session_state(&s), VFWD_OVSDB_BACKOFF);
	due_in(&s, now + 3, 499, VFWD_OVSDB_ACT_CONNECT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_void),
		cmocka_unit_test(test_backoff_delays),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_data_keeps_active),
		cmocka_unit_test(test_probe_times),
		cmocka_unit_test(test_backoff_reset_when_worked),
		cmocka_unit_test(test_outages_logged_once_each),
		cmocka_unit_test(test_params),
		cmocka_unit_test(test_late_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
