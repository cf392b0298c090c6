/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor's session with ovsdb-server, as a state machine that
 * does no I/O and reads no clock: the caller passes the time to every
 * call, does what vfwd_ovsdb_session_run() asks (connect, probe, drop the
 * connection) and reports what happened to the connection.  So the
 * reconnection delays, the inactivity probe and the connect timeout are
 * unit-tested in virtual time (tests/unit/test_ovsdb_session.c).  The
 * idea is Open vSwitch's lib/reconnect.c; the code is ours.
 *
 *   from          on                            to          run() asks
 *   VOID          start                         BACKOFF     CONNECT at once
 *   BACKOFF       its delay is over             BACKOFF     CONNECT
 *   BACKOFF       connecting                    CONNECTING
 *   BACKOFF,      connected                     ACTIVE
 *    CONNECTING
 *   BACKOFF,      disconnected (failed)         BACKOFF
 *    CONNECTING
 *   CONNECTING    connect_timeout_ms over       BACKOFF     DISCONNECT
 *   ACTIVE        probe_ms without data         IDLE        PROBE
 *   IDLE          data received                 ACTIVE
 *   IDLE          2 * probe_ms without data     BACKOFF     DISCONNECT
 *   ACTIVE, IDLE  disconnected (error, EOF)     BACKOFF
 *   any but VOID  stop                          VOID
 *
 * Entering BACKOFF from anything but VOID waits the next back-off delay
 * (backoff.h); only vfwd_ovsdb_session_worked() starts the delays again
 * from the shortest, so a server that accepts and drops every client is
 * retried ever more slowly.
 *
 * Every change of state goes through one function, which logs it (old
 * state, new state, reason) at debug level, and the changes an operator
 * cares about (cannot connect, connection lost) at warning level.
 *
 * DPDK-free: it logs through the function its owner gives it.
 */
#ifndef VFWD_OVSDB_SESSION_H
#define VFWD_OVSDB_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "backoff.h"

/* Where the session is (see the diagram above). */
enum vfwd_ovsdb_state {
	VFWD_OVSDB_VOID,        /* not started, or stopped */
	VFWD_OVSDB_BACKOFF,     /* no connection; connects when its delay is over */
	VFWD_OVSDB_CONNECTING,  /* a non-blocking connect is under way */
	VFWD_OVSDB_ACTIVE,      /* connected, the server heard from lately */
	VFWD_OVSDB_IDLE,        /* connected, the server silent: probed */
};

/* What vfwd_ovsdb_session_run() asks its caller to do. */
enum vfwd_ovsdb_action {
	VFWD_OVSDB_ACT_NONE,
	/* Start connecting, then report it: vfwd_ovsdb_session_connecting(),
	 * _connected() or _disconnected(). */
	VFWD_OVSDB_ACT_CONNECT,
	/* Send the server an echo request: it has been silent. */
	VFWD_OVSDB_ACT_PROBE,
	/* Close the connection: the session gave up on it (a connect that
	 * took too long, a server that did not answer its probe) and is in
	 * BACKOFF already. */
	VFWD_OVSDB_ACT_DISCONNECT,
};

/* The session's timing, in milliseconds. */
struct vfwd_ovsdb_session_params {
	unsigned int backoff_min_ms;      /* the first reconnection delay */
	unsigned int backoff_max_ms;      /* the delay doubles up to this */
	unsigned int connect_timeout_ms;  /* a connect still under way then fails */
	/* Silence after which the server is probed; twice that, it is
	 * dropped.  0: never probed nor dropped for silence. */
	unsigned int probe_ms;
};

/* The daemon's timing: a restarted server is seen within 16 s, a connect
 * fails after 5 s, a server silent for 5 s is probed and after 10 s
 * dropped. */
#define VFWD_OVSDB_SESSION_DEFAULTS {                                       \
		.backoff_min_ms = 500, .backoff_max_ms = 16000,             \
		.connect_timeout_ms = 5000, .probe_ms = 5000,               \
	}

/*
 * Writes one of the session's log lines at syslog 'level'.  'limited'
 * marks a line the server can cause over and over (a connection it drops
 * again and again), which the owner rate-limits.
 */
typedef void vfwd_ovsdb_session_log_fn(int level, bool limited, const char *line);

/* One session.  Its fields are the module's; read them through the
 * functions below. */
struct vfwd_ovsdb_session {
	char name[256];                   /* the server, in log lines */
	struct vfwd_ovsdb_session_params p;
	vfwd_ovsdb_session_log_fn *log;   /* NULL: logs nothing */
	enum vfwd_ovsdb_state state;
	uint64_t entered_ms;              /* when 'state' was entered */
	uint64_t retry_ms;                /* BACKOFF: when to connect */
	uint64_t last_rx_ms;              /* ACTIVE, IDLE: the server last heard */
	struct vfwd_backoff backoff;
	/* The failure to connect was logged: not again until connected. */
	bool down_logged;
};

/*
 * Sets 's' up, in VOID, for server 'name' (for the log) with timing 'p'
 * and logging through 'log' (NULL: none).
 */
void vfwd_ovsdb_session_init(struct vfwd_ovsdb_session *s, const char *name,
			     const struct vfwd_ovsdb_session_params *p,
			     vfwd_ovsdb_session_log_fn *log);

/* Starts the session at time 'now': the first connection is due at once. */
void vfwd_ovsdb_session_start(struct vfwd_ovsdb_session *s, uint64_t now);

/* Stops the session (back to VOID); the caller closes any connection. */
void vfwd_ovsdb_session_stop(struct vfwd_ovsdb_session *s, uint64_t now);

/*
 * Says what is due at time 'now': a connection, a probe, giving up on a
 * connect or a silent server (see enum vfwd_ovsdb_action).  Call it after
 * reporting what the connection did, and whenever
 * vfwd_ovsdb_session_timeout_ms() says.
 */
enum vfwd_ovsdb_action vfwd_ovsdb_session_run(struct vfwd_ovsdb_session *s,
					      uint64_t now);

/* Milliseconds from 'now' until vfwd_ovsdb_session_run() has something to
 * do (0: now), or -1 in VOID. */
int vfwd_ovsdb_session_timeout_ms(const struct vfwd_ovsdb_session *s, uint64_t now);

/* A non-blocking connect was started at 'now', and is under way. */
void vfwd_ovsdb_session_connecting(struct vfwd_ovsdb_session *s, uint64_t now);

/* The connection is up at 'now'. */
void vfwd_ovsdb_session_connected(struct vfwd_ovsdb_session *s, uint64_t now);

/*
 * The connection failed or went at 'now', for reason 'why' (in words for
 * the log): connecting failed, or the server closed, erred or was not
 * understood.  The next attempt is due after the back-off delay.
 */
void vfwd_ovsdb_session_disconnected(struct vfwd_ovsdb_session *s, uint64_t now,
				     const char *why);

/* Bytes came from the server at 'now': it is alive. */
void vfwd_ovsdb_session_received(struct vfwd_ovsdb_session *s, uint64_t now);

/* The session did its job (the server answered the monitor request): the
 * next reconnection starts from the shortest delay again. */
void vfwd_ovsdb_session_worked(struct vfwd_ovsdb_session *s);

/* Where the session is. */
enum vfwd_ovsdb_state vfwd_ovsdb_session_state(const struct vfwd_ovsdb_session *s);

/* Whether it has a connection up (ACTIVE or IDLE). */
bool vfwd_ovsdb_session_is_connected(const struct vfwd_ovsdb_session *s);

/* The name of state 'st', as the log writes it ("BACKOFF"). */
const char *vfwd_ovsdb_state_name(enum vfwd_ovsdb_state st);

#endif /* VFWD_OVSDB_SESSION_H */
