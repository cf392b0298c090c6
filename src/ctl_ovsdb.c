/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OVSDB monitor: the glue of one JSON-RPC session with ovsdb-server.
 *
 * The parts are elsewhere: the session's state machine (reconnection
 * back-off, connect timeout, inactivity probe) in ovsdb_session.c, the
 * mirrored Interface table in ovsdb_mirror.c, bringing the relays in line
 * with it (and binding VFs to vfio-pci) in ovsdb_reconcile.c.  Here are
 * the socket and its buffers, the JSON-RPC messages, and the control
 * loop's calls (ctl_ovsdb.h), which read the clock and pass the time on.
 *
 * Nothing here blocks the control thread: the socket is non-blocking from
 * the connect on, what we send is queued and flushed when the socket is
 * writable, a message is parsed only once all of it arrived (json_frame.h
 * finds its end, however the stream was split).  A server that does not
 * read what we send is dropped once OVSDB_MAX_OUTPUT bytes wait.
 * Reconciling after a change is done a few relays per loop pass
 * (ctl_slice.h), like the input, so the other control sources keep
 * answering during a large resynchronisation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "ctl_ovsdb.h"
#include "ctl_slice.h"
#include "errmsg.h"
#include "json_frame.h"
#include "log.h"
#include "ovsdb_mirror.h"
#include "ovsdb_reconcile.h"
#include "ovsdb_session.h"

/* Limits on what the server can make us hold. */
#define OVSDB_MAX_INPUT (16 * 1024 * 1024)
/* What we queue for a server that does not read, at most. */
#define OVSDB_MAX_OUTPUT (1024 * 1024)
/* Bytes read per loop pass at most, and messages handled. */
#define OVSDB_READ_PER_PASS (256 * 1024)
#define OVSDB_MSGS_PER_PASS 16
#define MONITOR_ID 1

static struct {
	char target[256];
	int fd;                            /* the connection, or -1 */
	struct vfwd_ovsdb_session session;
	bool synced;                       /* initial table received */
	char *in;                          /* bytes not parsed yet */
	size_t in_len, in_cap;
	struct vfwd_json_frame frame;      /* the end of the next message */
	bool in_ready;                     /* a whole message may be waiting */
	char *out;                         /* bytes not sent yet, from out_off */
	size_t out_off, out_len, out_cap;
	struct vfwd_ovsdb_mirror mirror;
	struct vfwd_ovsdb_reconciler rec;
} mon = { .fd = -1 };

/* The session's lines, into the daemon's log. */
static void
session_log(int level, bool limited, const char *line)
{
	if (limited)
		VLOG_RL(level, "%s", line);
	else
		vfwd_log(level, "%s", line);
}

/* Sends what is queued, as far as the socket takes it now. */
static int
flush_output(void)
{
	while (mon.out_off < mon.out_len) {
		ssize_t n = send(mon.fd, mon.out + mon.out_off, mon.out_len - mon.out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;       /* the rest when the socket is writable */
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		mon.out_off += (size_t)n;
	}
	mon.out_off = mon.out_len = 0;
	return 0;
}

/* Queues 'msg' and sends what the socket takes; -errno when the session
 * cannot go on (the caller disconnects). */
static int
send_json(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	if (mon.out_off > 0) {
		memmove(mon.out, mon.out + mon.out_off, mon.out_len - mon.out_off);
		mon.out_len -= mon.out_off;
		mon.out_off = 0;
	}
	if (mon.out_len + len > OVSDB_MAX_OUTPUT) {
		free(text);
		return -ENOBUFS;
	}
	if (mon.out_len + len > mon.out_cap) {
		size_t cap = mon.out_len + len + 4096;
		char *p = realloc(mon.out, cap);

		if (p == NULL) {
			free(text);
			return -ENOMEM;
		}
		mon.out = p;
		mon.out_cap = cap;
	}
	memcpy(mon.out + mon.out_len, text, len);
	mon.out_len += len;
	free(text);
	return flush_output();
}

/* Says why the session could not send, in words for the log. */
static const char *
send_error(int rc)
{
	return rc == -ENOBUFS ? "the server does not read what we send" : strerror(-rc);
}

/* Closes the connection and forgets what was in flight on it. */
static void
close_connection(void)
{
	if (mon.fd >= 0)
		close(mon.fd);
	mon.fd = -1;
	mon.synced = false;
	mon.in_len = 0;
	mon.in_ready = false;
	vfwd_json_frame_reset(&mon.frame);
	mon.out_off = mon.out_len = 0;
}

/* The connection failed or cannot go on, for reason 'why'. */
static void
disconnect(const char *why)
{
	close_connection();
	vfwd_ovsdb_session_disconnected(&mon.session, vfwd_mono_ms(), why);
}

/*
 * Starts a non-blocking connect to 'sa'.  Returns the socket with
 * '*done' telling whether it connected already, or -errno.
 */
static int
connect_to(int family, const struct sockaddr *sa, socklen_t len, bool *done)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), e;

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) == 0) {
		*done = true;
		return fd;
	}
	/* A unix socket whose backlog is full says EAGAIN: a failed try. */
	if (errno == EINPROGRESS) {
		*done = false;
		return fd;
	}
	e = -errno;
	close(fd);
	return e;
}

static int
open_socket(bool *done)
{
	struct vfwd_ovsdb_target t;

	/* The configuration checked it with the same parser. */
	if (vfwd_parse_ovsdb_target(mon.target, &t) != 0)
		return -EINVAL;
	if (t.tcp) {
		struct sockaddr_in sa = { .sin_family = AF_INET };

		sa.sin_addr.s_addr = t.addr;
		sa.sin_port = htons(t.port);
		return connect_to(AF_INET, (struct sockaddr *)&sa, sizeof(sa), done);
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strlen(t.path) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, t.path, strlen(t.path) + 1);
		return connect_to(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa), done);
	}
}


/* The connection is up: ask for the table and its changes. */
static void
connected(uint64_t now)
{
	json_t *req;
	int rc;

	vfwd_ovsdb_session_connected(&mon.session, now);
	mon.in_len = 0;
	vfwd_json_frame_reset(&mon.frame);
	req = json_pack("{s:i, s:s, s:[s, n, {s:{s:[s, s]}}]}", "id", MONITOR_ID,
			"method", "monitor", "params", "Open_vSwitch", "Interface",
			"columns", "name", "external_ids");
	rc = req != NULL ? send_json(req) : -ENOMEM;
	json_decref(req);
	if (rc != 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot send the monitor request: %s",
			 send_error(rc));
		disconnect(why);
		return;
	}
	VLOG_INFO("ovsdb: connected to %s, monitoring the Interface table", mon.target);
}

static void
try_connect(uint64_t now)
{
	bool done = false;
	int fd = open_socket(&done);

	if (fd < 0) {
		vfwd_ovsdb_session_disconnected(&mon.session, now, strerror(-fd));
		return;
	}
	mon.fd = fd;
	if (done)
		connected(now);
	else
		vfwd_ovsdb_session_connecting(&mon.session, now);
}

/* The non-blocking connect under way finished (the socket is writable). */
static void
finish_connect(uint64_t now)
{
	int e = 0;
	socklen_t len = sizeof(e);

	if (getsockopt(mon.fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
		e = errno;
	if (e != 0) {
		disconnect(strerror(e));
		return;
	}
	connected(now);
}

/* The server's table came whole, or changed: a new reconciling round. */
static void
table_changed(void)
{
	vfwd_ovsdb_reconcile_start(&mon.rec, &mon.mirror);
}

static void
handle_message(json_t *msg)
{
	json_t *id = json_object_get(msg, "id");
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *params = json_object_get(msg, "params");

	if (method != NULL && strcmp(method, "echo") == 0) {
		/* The server's keepalive: answer or be dropped. */
		json_t *reply = json_pack("{s:O, s:O, s:n}", "id", id ? id : json_null(),
					  "result", params ? params : json_null(), "error");
		int rc = reply != NULL ? send_json(reply) : -ENOMEM;

		json_decref(reply);
		/* The server drops a client that does not answer: go first. */
		if (rc != 0) {
			char why[128];

			snprintf(why, sizeof(why), "cannot answer the server's echo: %s",
				 send_error(rc));
			disconnect(why);
		} else {
			VLOG_DBG("ovsdb: the server's echo answered");
		}
		return;
	}
	if (method != NULL && strcmp(method, "update") == 0) {
		if (mon.synced && vfwd_ovsdb_mirror_apply(&mon.mirror, json_array_get(params, 1)))
			table_changed();
		return;
	}
	if (json_is_integer(id) && json_integer_value(id) == MONITOR_ID) {
		json_t *error = json_object_get(msg, "error");

		if (error != NULL && !json_is_null(error)) {
			char *e = json_dumps(error, JSON_COMPACT);

			VLOG_ERR_RL("ovsdb: monitor refused: %.200s", e ? e : "?");
			free(e);
			disconnect("monitor refused");
			return;
		}
		/* The whole table: rows that are gone since the last session
		 * disappear with the old mirror. */
		vfwd_ovsdb_mirror_clear(&mon.mirror);
		vfwd_ovsdb_mirror_apply(&mon.mirror, json_object_get(msg, "result"));
		mon.synced = true;
		vfwd_ovsdb_session_worked(&mon.session);
		VLOG_INFO("ovsdb: %zu interfaces in the table, %u marked for relays",
			  json_object_size(json_object_get(json_object_get(msg, "result"),
							   "Interface")), mon.mirror.n_rows);
		table_changed();
	}
	/* Anything else (the answer to our probe, say) only shows the
	 * server is alive. */
}

/* Handles the whole messages in the input buffer, a slice's worth. */
static void
parse_input(void)
{
	struct vfwd_slice sl;
	size_t off = 0;

	vfwd_slice_start(&sl, OVSDB_MSGS_PER_PASS);
	mon.in_ready = false;
	while (vfwd_slice_more(&sl)) {
		json_error_t je;
		size_t start, end;
		json_t *msg;
		int rc;

		rc = vfwd_json_frame_next(&mon.frame, mon.in + off, mon.in_len - off,
					  &start, &end);
		if (rc == 0)
			break;          /* the rest is still on its way */
		if (rc < 0) {
			VLOG_ERR_RL("ovsdb: bad JSON-RPC from the server: not a JSON "
				    "object, or nested deeper than %d",
				    VFWD_JSON_FRAME_MAX_DEPTH);
			disconnect("protocol error");
			return;
		}
		msg = json_loadb(mon.in + off + start, end - start, 0, &je);
		off += end;
		vfwd_json_frame_reset(&mon.frame);
		sl.done++;
		if (msg == NULL) {
			VLOG_ERR_RL("ovsdb: bad JSON from the server: %s (line %d, "
				    "column %d)", je.text, je.line, je.column);
			disconnect("protocol error");
			return;
		}
		if (json_is_object(msg))
			handle_message(msg);
		json_decref(msg);
		if (mon.fd < 0)
			return;
	}
	/* Stopped by the slice: whole messages may wait, come back. */
	if (off < mon.in_len && mon.frame.scanned == 0)
		mon.in_ready = true;
	memmove(mon.in, mon.in + off, mon.in_len - off);
	mon.in_len -= off;
}

/* Reads what arrived, up to a slice's worth of bytes. */
static void
read_input(void)
{
	size_t got = 0;

	while (got < OVSDB_READ_PER_PASS) {
		ssize_t n;

		if (mon.in_cap - mon.in_len < 65536) {
			size_t cap = mon.in_cap ? mon.in_cap * 2 : 262144;
			char *p;

			if (cap > OVSDB_MAX_INPUT) {
				disconnect("a message larger than 16 MiB");
				return;
			}
			p = realloc(mon.in, cap);
			if (p == NULL) {
				disconnect("out of memory");
				return;
			}
			mon.in = p;
			mon.in_cap = cap;
		}
		n = recv(mon.fd, mon.in + mon.in_len, mon.in_cap - mon.in_len, MSG_DONTWAIT);
		if (n > 0) {
			mon.in_len += (size_t)n;
			got += (size_t)n;
			vfwd_ovsdb_session_received(&mon.session, vfwd_mono_ms());
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		disconnect(n == 0 ? "closed by the server" : strerror(errno));
		return;
	}
	parse_input();
}

/* Asks a silent server whether it is alive (the session said so). */
static void
send_probe(void)
{
	json_t *req;
	int rc;

	req = json_pack("{s:s, s:s, s:[]}", "id", "echo", "method", "echo", "params");
	rc = req != NULL ? send_json(req) : -ENOMEM;
	json_decref(req);
	if (rc != 0) {
		char why[128];

		snprintf(why, sizeof(why), "cannot probe the server: %s", send_error(rc));
		disconnect(why);
	}
}

/* Does what the session says is due at 'now'. */
static void
session_step(uint64_t now)
{
	switch (vfwd_ovsdb_session_run(&mon.session, now)) {
	case VFWD_OVSDB_ACT_CONNECT:
		try_connect(now);
		break;
	case VFWD_OVSDB_ACT_PROBE:
		send_probe();
		break;
	case VFWD_OVSDB_ACT_DISCONNECT:
		close_connection();     /* the session logged why */
		break;
	case VFWD_OVSDB_ACT_NONE:
		break;
	}
}

void
vfwd_ovsdb_set_vfio_bind(const struct vfwd_vfio_bind *binds, unsigned int n)
{
	vfwd_ovsdb_reconcile_set_vfio_bind(&mon.rec, binds, n);
}

int
vfwd_ovsdb_start(const char *target, char *err, size_t errlen)
{
	static const struct vfwd_ovsdb_session_params params =
		VFWD_OVSDB_SESSION_DEFAULTS;
	uint64_t now = vfwd_mono_ms();

	if (target == NULL || target[0] == '\0' || strlen(target) >= sizeof(mon.target)) {
		ERR("VIRTIOFWD_OVSDB_SOCK_PATH: a socket path (or tcp:IP:PORT) is required");
		return -EINVAL;
	}
	if (vfwd_ovsdb_mirror_init(&mon.mirror) != 0) {
		ERR("ovsdb: out of memory");
		return -ENOMEM;
	}
	snprintf(mon.target, sizeof(mon.target), "%s", target);
	vfwd_ovsdb_session_init(&mon.session, mon.target, &params, session_log);
	vfwd_ovsdb_session_start(&mon.session, now);
	/* The first connection is tried at once. */
	session_step(now);
	return 0;
}

int
vfwd_ovsdb_fd(short *events)
{
	*events = 0;
	if (mon.fd < 0)
		return -1;
	if (vfwd_ovsdb_session_state(&mon.session) == VFWD_OVSDB_CONNECTING)
		*events = POLLOUT;
	else
		*events = POLLIN | (mon.out_len > mon.out_off ? POLLOUT : 0);
	return mon.fd;
}

int
vfwd_ovsdb_timeout_ms(void)
{
	if (vfwd_ovsdb_session_state(&mon.session) == VFWD_OVSDB_VOID)
		return -1;
	if (mon.in_ready || vfwd_ovsdb_reconcile_has_work(&mon.rec))
		return 0;
	return vfwd_ovsdb_session_timeout_ms(&mon.session, vfwd_mono_ms());
}

void
vfwd_ovsdb_run(short revents)
{
	if (vfwd_ovsdb_session_state(&mon.session) == VFWD_OVSDB_VOID)
		return;
	switch (vfwd_ovsdb_session_state(&mon.session)) {
	case VFWD_OVSDB_CONNECTING:
		if (revents & (POLLOUT | POLLERR | POLLHUP))
			finish_connect(vfwd_mono_ms());
		break;
	case VFWD_OVSDB_ACTIVE:
	case VFWD_OVSDB_IDLE:
		if (revents & POLLOUT) {
			int rc = flush_output();

			if (rc != 0) {
				disconnect(send_error(rc));
				break;
			}
		}
		if (revents & (POLLIN | POLLERR | POLLHUP))
			read_input();
		else if (mon.in_ready)
			parse_input();
		break;
	default:
		break;
	}
	/* After the input, which may take long to parse: the time now. */
	session_step(vfwd_mono_ms());
	if (vfwd_ovsdb_reconcile_busy(&mon.rec))
		vfwd_ovsdb_reconcile_step(&mon.rec);
}

void
vfwd_ovsdb_stop(void)
{
	close_connection();
	vfwd_ovsdb_session_stop(&mon.session, vfwd_mono_ms());
	vfwd_ovsdb_reconcile_reset(&mon.rec);
	free(mon.in);
	free(mon.out);
	mon.in = mon.out = NULL;
	mon.in_len = mon.in_cap = 0;
	mon.out_off = mon.out_len = mon.out_cap = 0;
	vfwd_ovsdb_mirror_destroy(&mon.mirror);
}

/* ------------------------------------------------------------------ */
/* The control loop's source                                           */
/* ------------------------------------------------------------------ */

static void
ovsdb_fill(struct vfwd_pollset *ps)
{
	short events;
	int fd = vfwd_ovsdb_fd(&events);

	if (fd >= 0)
		vfwd_pollset_add_fd(ps, fd, events);
}

static void
ovsdb_run(struct vfwd_pollset *ps)
{
	/* Run without an event too: timeouts, reconnection, a slice left. */
	vfwd_ovsdb_run(vfwd_pollset_revents(ps, 0));
}

const struct vfwd_ctl_source vfwd_ovsdb_source = {
	.name = "OVSDB monitor",
	.fill = ovsdb_fill,
	.timeout_ms = vfwd_ovsdb_timeout_ms,
	.run = ovsdb_run,
};
