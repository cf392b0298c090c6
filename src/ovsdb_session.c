/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB session's state machine (see ovsdb_session.h).  Every change
 * of state is made by transition(), which logs it and does what entering
 * the new state takes; the other functions only decide which change an
 * event or the time makes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "ovsdb_session.h"

/* Writes a line through the owner's log function, if any. */
static void
session_log(const struct vfwd_ovsdb_session *s, int level, bool limited,
	    const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void
session_log(const struct vfwd_ovsdb_session *s, int level, bool limited,
	    const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (s->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->log(level, limited, line);
}

const char *
vfwd_ovsdb_state_name(enum vfwd_ovsdb_state st)
{
	switch (st) {
	case VFWD_OVSDB_VOID:
		return "VOID";
	case VFWD_OVSDB_BACKOFF:
		return "BACKOFF";
	case VFWD_OVSDB_CONNECTING:
		return "CONNECTING";
	case VFWD_OVSDB_ACTIVE:
		return "ACTIVE";
	case VFWD_OVSDB_IDLE:
		return "IDLE";
	}
	return "?";
}

static bool
connected_state(enum vfwd_ovsdb_state st)
{
	return st == VFWD_OVSDB_ACTIVE || st == VFWD_OVSDB_IDLE;
}

/*
 * Moves 's' to state 'to' at time 'now', for reason 'why'.  The debug line
 * shows every change; the operator's lines say what an outage is once:
 * the first failure to connect (not every retry, until a connection
 * works), and each connection that goes (rate-limited: a server can drop
 * us over and over).
 */
static void
transition(struct vfwd_ovsdb_session *s, uint64_t now, enum vfwd_ovsdb_state to,
	   const char *why)
{
	enum vfwd_ovsdb_state from = s->state;

	session_log(s, LOG_DEBUG, false, "ovsdb: session %s: %s -> %s (%s)", s->name,
		    vfwd_ovsdb_state_name(from), vfwd_ovsdb_state_name(to), why);
	s->state = to;
	s->entered_ms = now;
	switch (to) {
	case VFWD_OVSDB_VOID:
		break;
	case VFWD_OVSDB_BACKOFF:
		if (from == VFWD_OVSDB_VOID) {
			s->retry_ms = now;      /* the first try at once */
			s->down_logged = false;
			break;
		}
		s->retry_ms = now + vfwd_backoff_next(&s->backoff);
		if (connected_state(from)) {
			session_log(s, LOG_WARNING, true, "ovsdb: connection to %s lost "
				    "(%s); relays keep their devices, will "
				    "resynchronise", s->name, why);
		} else if (!s->down_logged) {
			session_log(s, LOG_WARNING, false, "ovsdb: cannot connect to %s: "
				    "%s; retrying in the background", s->name, why);
			s->down_logged = true;
		}
		break;
	case VFWD_OVSDB_CONNECTING:
		break;
	case VFWD_OVSDB_ACTIVE:
		if (!connected_state(from)) {
			s->last_rx_ms = now;
			s->down_logged = false;
		}
		break;
	case VFWD_OVSDB_IDLE:
		break;
	}
}

void
vfwd_ovsdb_session_init(struct vfwd_ovsdb_session *s, const char *name,
			const struct vfwd_ovsdb_session_params *p,
			vfwd_ovsdb_session_log_fn *log)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->p = *p;
	s->log = log;
	s->state = VFWD_OVSDB_VOID;
	vfwd_backoff_init(&s->backoff, p->backoff_min_ms, p->backoff_max_ms);
}

void
vfwd_ovsdb_session_start(struct vfwd_ovsdb_session *s, uint64_t now)
{
	if (s->state != VFWD_OVSDB_VOID)
		return;
	vfwd_backoff_reset(&s->backoff);
	transition(s, now, VFWD_OVSDB_BACKOFF, "started");
}

void
vfwd_ovsdb_session_stop(struct vfwd_ovsdb_session *s, uint64_t now)
{
	if (s->state != VFWD_OVSDB_VOID)
		transition(s, now, VFWD_OVSDB_VOID, "stopped");
}

/* When vfwd_ovsdb_session_run() has something to do next. */
static uint64_t
deadline(const struct vfwd_ovsdb_session *s)
{
	switch (s->state) {
	case VFWD_OVSDB_BACKOFF:
		return s->retry_ms;
	case VFWD_OVSDB_CONNECTING:
		return s->entered_ms + s->p.connect_timeout_ms;
	case VFWD_OVSDB_ACTIVE:
		if (s->p.probe_ms == 0)
			return UINT64_MAX;
		return s->last_rx_ms + s->p.probe_ms;
	case VFWD_OVSDB_IDLE:
		return s->last_rx_ms + 2 * (uint64_t)s->p.probe_ms;
	case VFWD_OVSDB_VOID:
		break;
	}
	return UINT64_MAX;
}

enum vfwd_ovsdb_action
vfwd_ovsdb_session_run(struct vfwd_ovsdb_session *s, uint64_t now)
{
	char why[64];

	if (s->state == VFWD_OVSDB_VOID || now < deadline(s))
		return VFWD_OVSDB_ACT_NONE;
	switch (s->state) {
	case VFWD_OVSDB_BACKOFF:
		return VFWD_OVSDB_ACT_CONNECT;
	case VFWD_OVSDB_CONNECTING:
		transition(s, now, VFWD_OVSDB_BACKOFF, "connect timed out");
		return VFWD_OVSDB_ACT_DISCONNECT;
	case VFWD_OVSDB_ACTIVE:
		snprintf(why, sizeof(why), "nothing received for %u ms, probing",
			 s->p.probe_ms);
		transition(s, now, VFWD_OVSDB_IDLE, why);
		return VFWD_OVSDB_ACT_PROBE;
	case VFWD_OVSDB_IDLE:
		/* In seconds, as the probe interval is given (the log line
		 * 1.x operators know). */
		snprintf(why, sizeof(why), "no answer for %u s", 2 * s->p.probe_ms / 1000);
		transition(s, now, VFWD_OVSDB_BACKOFF, why);
		return VFWD_OVSDB_ACT_DISCONNECT;
	case VFWD_OVSDB_VOID:
		break;
	}
	return VFWD_OVSDB_ACT_NONE;
}

int
vfwd_ovsdb_session_timeout_ms(const struct vfwd_ovsdb_session *s, uint64_t now)
{
	uint64_t due;

	if (s->state == VFWD_OVSDB_VOID)
		return -1;
	due = deadline(s);
	if (due == UINT64_MAX)
		return -1;
	if (due <= now)
		return 0;
	return due - now > INT_MAX ? INT_MAX : (int)(due - now);
}

void
vfwd_ovsdb_session_connecting(struct vfwd_ovsdb_session *s, uint64_t now)
{
	if (s->state == VFWD_OVSDB_BACKOFF)
		transition(s, now, VFWD_OVSDB_CONNECTING, "connect under way");
}

void
vfwd_ovsdb_session_connected(struct vfwd_ovsdb_session *s, uint64_t now)
{
	if (s->state == VFWD_OVSDB_BACKOFF || s->state == VFWD_OVSDB_CONNECTING)
		transition(s, now, VFWD_OVSDB_ACTIVE, "connect finished");
}

void
vfwd_ovsdb_session_disconnected(struct vfwd_ovsdb_session *s, uint64_t now,
				const char *why)
{
	if (s->state != VFWD_OVSDB_VOID)
		transition(s, now, VFWD_OVSDB_BACKOFF, why);
}

void
vfwd_ovsdb_session_received(struct vfwd_ovsdb_session *s, uint64_t now)
{
	if (!connected_state(s->state))
		return;
	s->last_rx_ms = now;
	if (s->state == VFWD_OVSDB_IDLE)
		transition(s, now, VFWD_OVSDB_ACTIVE, "the server answered");
}

void
vfwd_ovsdb_session_worked(struct vfwd_ovsdb_session *s)
{
	vfwd_backoff_reset(&s->backoff);
}

enum vfwd_ovsdb_state
vfwd_ovsdb_session_state(const struct vfwd_ovsdb_session *s)
{
	return s->state;
}

bool
vfwd_ovsdb_session_is_connected(const struct vfwd_ovsdb_session *s)
{
	return connected_state(s->state);
}
