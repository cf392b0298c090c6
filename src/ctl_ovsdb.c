/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * OVSDB monitor: one JSON-RPC session with ovsdb-server.
 *
 * We mirror the Interface table's name and external_ids, and after every
 * change work out the relays the table asks for ("desired") and bring the
 * relays we own in line, through the same port control operations as the
 * other sources.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "config.h"
#include "ctl_ovsdb.h"
#include "errmsg.h"
#include "ifmap.h"
#include "log.h"
#include "portctl.h"
#include "relay.h"

/* Limits on what the server can make us hold. */
#define OVSDB_MAX_ROWS 4096
#define OVSDB_MAX_INPUT (16 * 1024 * 1024)
/* Reconnection delays: a restarted server is seen within 16 s. */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 16000
#define MONITOR_ID 1

/* One row of the Interface table, as far as we care. */
struct row {
	char uuid[40];
	char name[64];
	char relay[16];                    /* external_ids:virtio_forwarder */
	char device[VFWD_DEVSPEC_MAX];     /* ...:virtio_forwarder_device */
	char iface_id[VFWD_NAME_MAX];      /* ...:iface-id (cloud port id) */
	char logged[VFWD_ERR_MAX];         /* last reason logged for it */
	int t_relay;                       /* what it asks for, -1: nothing */
	char t_dev[VFWD_DEVSPEC_MAX];
};

static struct {
	char target[256];
	int fd;
	bool synced;                       /* initial table received */
	uint64_t next_try_ms;
	struct vfwd_backoff backoff;
	bool down_logged;
	char *in;                          /* bytes not parsed yet */
	size_t in_len, in_cap;
	struct row *rows;
	unsigned int n_rows;
	/* Relays this source attached, and with what. */
	bool owned[VFWD_MAX_RELAYS];
	char owned_dev[VFWD_MAX_RELAYS][VFWD_DEVSPEC_MAX];
} mon = { .fd = -1 };

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------------ */
/* Reconciling relays with the table                                   */
/* ------------------------------------------------------------------ */

/* Logs a row's problem once, until the problem changes. */
static void
row_problem(struct row *r, const char *why)
{
	if (strcmp(r->logged, why) == 0)
		return;
	size_t n = strlen(r->name);

	snprintf(r->logged, sizeof(r->logged), "%s", why);
	/* Reasons from the interface mapping start with the name already. */
	if (strncmp(why, r->name, n) == 0 && why[n] == ':')
		VLOG_WARN("ovsdb: interface %s; left alone", why);
	else
		VLOG_WARN("ovsdb: interface %s: %s; left alone", r->name, why);
}

/* The relay and device a marked row asks for; false when it cannot. */
static bool
row_target(struct row *r, unsigned int *relay, char *dev, size_t devlen)
{
	char why[VFWD_ERR_MAX], *end;
	unsigned long v;

	errno = 0;
	v = strtoul(r->relay, &end, 10);
	if (r->relay[0] < '0' || r->relay[0] > '9' || *end != '\0' || errno != 0 ||
	    v >= VFWD_MAX_RELAYS) {
		snprintf(why, sizeof(why), "external_ids:virtio_forwarder=\"%s\" is not "
			 "a relay number from 0 to %d", r->relay, VFWD_MAX_RELAYS - 1);
		row_problem(r, why);
		return false;
	}
	*relay = (unsigned int)v;
	if (r->device[0] != '\0') {
		if (vfwd_parse_devspec(r->device, dev, devlen, why, sizeof(why)) != 0) {
			row_problem(r, why);
			return false;
		}
		return true;
	}
	if (vfwd_ifmap("/sys", r->name, dev, devlen, why, sizeof(why)) != 0) {
		row_problem(r, why);
		return false;
	}
	return true;
}

/*
 * Which of two rows asking for the same relay gets it: the one the relay
 * already serves, else the smaller interface name, so that the answer
 * does not depend on the order rows arrive or leave in.
 */
static bool
row_beats(const struct row *a, const struct row *b, unsigned int relay)
{
	bool a_owns = mon.owned[relay] && strcmp(a->t_dev, mon.owned_dev[relay]) == 0;
	bool b_owns = mon.owned[relay] && strcmp(b->t_dev, mon.owned_dev[relay]) == 0;

	if (a_owns != b_owns)
		return a_owns;
	return strcmp(a->name, b->name) < 0;
}

/* The stats label of an OVSDB relay: the cloud's port id when the
 * interface carries one (OpenStack sets iface-id), else its name. */
static void
set_ident(unsigned int relay, const struct row *r)
{
	vfwd_relay_set_ident(relay, r->iface_id[0] ? r->iface_id : r->name);
}

static void
reconcile(void)
{
	struct row *want[VFWD_MAX_RELAYS] = { NULL };
	char err[VFWD_ERR_MAX];
	unsigned int i, relay;

	for (i = 0; i < mon.n_rows; i++) {
		struct row *r = &mon.rows[i];

		r->t_relay = -1;
		if (r->relay[0] == '\0') {
			r->logged[0] = '\0';
			continue;
		}
		if (!row_target(r, &relay, r->t_dev, sizeof(r->t_dev)))
			continue;
		r->t_relay = (int)relay;
		if (want[relay] == NULL || row_beats(r, want[relay], relay))
			want[relay] = r;
	}
	for (i = 0; i < mon.n_rows; i++) {
		struct row *r = &mon.rows[i];
		char why[VFWD_ERR_MAX];

		if (r->t_relay < 0 || want[r->t_relay] == r)
			continue;
		snprintf(why, sizeof(why), "relay %d is already asked for by "
			 "interface %s", r->t_relay, want[r->t_relay]->name);
		row_problem(r, why);
	}

	/* Removals first: a device may move to another relay. */
	for (relay = 0; relay < VFWD_MAX_RELAYS; relay++) {
		if (!mon.owned[relay])
			continue;
		if (want[relay] != NULL && strcmp(want[relay]->t_dev, mon.owned_dev[relay]) == 0) {
			want[relay]->logged[0] = '\0';
			set_ident(relay, want[relay]);
			continue;
		}
		if (vfwd_portctl_remove((int)relay, mon.owned_dev[relay], true, err,
					sizeof(err)) != 0)
			VLOG_WARN("ovsdb: relay %u: cannot remove %s: %s", relay,
				  mon.owned_dev[relay], err);
		else
			VLOG_INFO("ovsdb: relay %u: %s removed", relay, mon.owned_dev[relay]);
		mon.owned[relay] = false;
	}
	for (relay = 0; relay < VFWD_MAX_RELAYS; relay++) {
		struct vfwd_portctl_dev d = { .n = 1 };
		struct row *r = want[relay];

		if (r == NULL || mon.owned[relay])
			continue;
		d.devs[0] = r->t_dev;
		/* Not conditional: a relay whose device came from elsewhere (a
		 * static device) is not ours to take over, even when it is the
		 * same device. */
		if (vfwd_portctl_add(relay, &d, false, err, sizeof(err)) != 0) {
			row_problem(r, err);
			continue;
		}
		mon.owned[relay] = true;
		snprintf(mon.owned_dev[relay], sizeof(mon.owned_dev[relay]), "%s", r->t_dev);
		r->logged[0] = '\0';     /* a problem coming back is news again */
		set_ident(relay, r);
		VLOG_INFO("ovsdb: relay %u: %s (interface %s) added", relay, r->t_dev,
			  r->name);
	}
}

/* ------------------------------------------------------------------ */
/* The Interface table mirror                                          */
/* ------------------------------------------------------------------ */

static struct row *
find_row(const char *uuid)
{
	unsigned int i;

	for (i = 0; i < mon.n_rows; i++)
		if (strcmp(mon.rows[i].uuid, uuid) == 0)
			return &mon.rows[i];
	return NULL;
}

static void
delete_row(const char *uuid)
{
	struct row *r = find_row(uuid);

	if (r != NULL)
		*r = mon.rows[--mon.n_rows];
}

/* external_ids is ["map", [[key, value], ...]]. */
static void
read_external_ids(json_t *ids, struct row *r)
{
	json_t *pairs, *pair;
	size_t i;

	r->relay[0] = r->device[0] = r->iface_id[0] = '\0';
	if (!json_is_array(ids) || json_array_size(ids) != 2 ||
	    !json_is_string(json_array_get(ids, 0)) ||
	    strcmp(json_string_value(json_array_get(ids, 0)), "map") != 0)
		return;
	pairs = json_array_get(ids, 1);
	json_array_foreach(pairs, i, pair) {
		const char *k = json_string_value(json_array_get(pair, 0));
		const char *v = json_string_value(json_array_get(pair, 1));

		if (k == NULL || v == NULL)
			continue;
		if (strcmp(k, "virtio_forwarder") == 0)
			snprintf(r->relay, sizeof(r->relay), "%s", v);
		else if (strcmp(k, "virtio_forwarder_device") == 0)
			snprintf(r->device, sizeof(r->device), "%s", v);
		else if (strcmp(k, "iface-id") == 0)
			snprintf(r->iface_id, sizeof(r->iface_id), "%s", v);
	}
}

/* Applies one table-updates object: {"Interface": {uuid: {old, new}}}. */
static void
apply_updates(json_t *updates)
{
	json_t *table = json_object_get(updates, "Interface"), *change;
	const char *uuid;

	if (!json_is_object(table))
		return;
	json_object_foreach(table, uuid, change) {
		json_t *new = json_object_get(change, "new");
		const char *name;
		struct row *r;

		if (!json_is_object(new)) {
			delete_row(uuid);
			continue;
		}
		r = find_row(uuid);
		if (r == NULL) {
			if (mon.n_rows == OVSDB_MAX_ROWS) {
				VLOG_WARN("ovsdb: more than %d interfaces; ignoring the rest",
					  OVSDB_MAX_ROWS);
				continue;
			}
			r = &mon.rows[mon.n_rows++];
			memset(r, 0, sizeof(*r));
			snprintf(r->uuid, sizeof(r->uuid), "%s", uuid);
		}
		name = json_string_value(json_object_get(new, "name"));
		snprintf(r->name, sizeof(r->name), "%s", name ? name : "");
		read_external_ids(json_object_get(new, "external_ids"), r);
	}
}

/* ------------------------------------------------------------------ */
/* The session                                                         */
/* ------------------------------------------------------------------ */

static int
send_json(json_t *msg)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t len, off = 0;
	int rc = 0;

	if (text == NULL)
		return -ENOMEM;
	len = strlen(text);
	while (off < len) {
		ssize_t n = send(mon.fd, text + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			/* send() of a non-empty buffer returns 0 for nothing. */
			rc = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	free(text);
	return rc;
}

static void
disconnect(const char *why)
{
	if (mon.fd >= 0) {
		close(mon.fd);
		VLOG_WARN("ovsdb: connection to %s lost (%s); relays keep their "
			  "devices, will resynchronise", mon.target, why);
	}
	mon.fd = -1;
	mon.synced = false;
	mon.in_len = 0;
	mon.next_try_ms = now_ms() + vfwd_backoff_next(&mon.backoff);
}

/* A connected stream socket, or -errno. */
static int
connect_to(int family, const struct sockaddr *sa, socklen_t len)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (connect(fd, sa, len) == 0)
		return fd;
	e = -errno;
	close(fd);
	return e;
}

static int
open_socket(void)
{
	const char *t = mon.target;

	if (strncmp(t, "tcp:", 4) == 0) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		char host[64];
		unsigned int port;
		const char *colon = strrchr(t + 4, ':');

		if (colon == NULL || (size_t)(colon - (t + 4)) >= sizeof(host) ||
		    sscanf(colon + 1, "%u", &port) != 1 || port > 65535)
			return -EINVAL;
		memcpy(host, t + 4, (size_t)(colon - (t + 4)));
		host[colon - (t + 4)] = '\0';
		if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
			return -EINVAL;
		sa.sin_port = htons((uint16_t)port);
		return connect_to(AF_INET, (struct sockaddr *)&sa, sizeof(sa));
	} else {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		if (strncmp(t, "unix:", 5) == 0)
			t += 5;
		if (strlen(t) >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		memcpy(sa.sun_path, t, strlen(t) + 1);
		return connect_to(AF_UNIX, (struct sockaddr *)&sa, sizeof(sa));
	}
}

static void
try_connect(void)
{
	json_t *req;
	int fd = open_socket();

	if (fd < 0) {
		if (!mon.down_logged)
			VLOG_WARN("ovsdb: cannot connect to %s: %s; retrying in the "
				  "background", mon.target, strerror(-fd));
		mon.down_logged = true;
		mon.next_try_ms = now_ms() + vfwd_backoff_next(&mon.backoff);
		return;
	}
	mon.fd = fd;
	mon.in_len = 0;
	req = json_pack("{s:i, s:s, s:[s, n, {s:{s:[s, s]}}]}", "id", MONITOR_ID,
			"method", "monitor", "params", "Open_vSwitch", "Interface",
			"columns", "name", "external_ids");
	if (req == NULL || send_json(req) != 0) {
		json_decref(req);
		disconnect("cannot send the monitor request");
		return;
	}
	json_decref(req);
	VLOG_INFO("ovsdb: connected to %s, monitoring the Interface table", mon.target);
	mon.down_logged = false;
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
				 strerror(-rc));
			disconnect(why);
		}
		return;
	}
	if (method != NULL && strcmp(method, "update") == 0) {
		if (mon.synced) {
			apply_updates(json_array_get(params, 1));
			reconcile();
		}
		return;
	}
	if (json_is_integer(id) && json_integer_value(id) == MONITOR_ID) {
		json_t *error = json_object_get(msg, "error");

		if (error != NULL && !json_is_null(error)) {
			char *e = json_dumps(error, JSON_COMPACT);

			VLOG_ERR("ovsdb: monitor refused: %s", e ? e : "?");
			free(e);
			disconnect("monitor refused");
			return;
		}
		/* The whole table: rows that are gone since the last session
		 * disappear with the old mirror. */
		mon.n_rows = 0;
		apply_updates(json_object_get(msg, "result"));
		mon.synced = true;
		vfwd_backoff_reset(&mon.backoff);
		VLOG_INFO("ovsdb: %u interfaces in the table", mon.n_rows);
		reconcile();
	}
}

/* Parses every complete JSON message in the input buffer. */
static void
parse_input(void)
{
	size_t off = 0;

	while (off < mon.in_len) {
		json_error_t je;
		json_t *msg;

		while (off < mon.in_len && (mon.in[off] == ' ' || mon.in[off] == '\n' ||
					    mon.in[off] == '\r' || mon.in[off] == '\t'))
			off++;
		if (off == mon.in_len)
			break;
		msg = json_loadb(mon.in + off, mon.in_len - off,
				 JSON_DISABLE_EOF_CHECK, &je);
		if (msg == NULL) {
			if (json_error_code(&je) == json_error_premature_end_of_input)
				break;          /* the rest is still on its way */
			VLOG_ERR("ovsdb: bad JSON from the server: %s", je.text);
			disconnect("protocol error");
			return;
		}
		off += (size_t)je.position;
		if (json_is_object(msg))
			handle_message(msg);
		json_decref(msg);
		if (mon.fd < 0)
			return;
	}
	memmove(mon.in, mon.in + off, mon.in_len - off);
	mon.in_len -= off;
}

static void
read_input(void)
{
	for (;;) {
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
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		disconnect(n == 0 ? "closed by the server" : strerror(errno));
		return;
	}
	parse_input();
}

int
vfwd_ovsdb_start(const char *target, char *err, size_t errlen)
{
	if (target == NULL || target[0] == '\0' || strlen(target) >= sizeof(mon.target)) {
		ERR("VIRTIOFWD_OVSDB_SOCK_PATH: a socket path (or tcp:IP:PORT) is required");
		return -EINVAL;
	}
	mon.rows = calloc(OVSDB_MAX_ROWS, sizeof(*mon.rows));
	if (mon.rows == NULL) {
		ERR("ovsdb: out of memory");
		return -ENOMEM;
	}
	snprintf(mon.target, sizeof(mon.target), "%s", target);
	vfwd_backoff_init(&mon.backoff, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	try_connect();
	return 0;
}

int
vfwd_ovsdb_fd(void)
{
	return mon.fd;
}

int
vfwd_ovsdb_timeout_ms(void)
{
	uint64_t now;

	if (mon.fd >= 0 || mon.rows == NULL)
		return -1;
	now = now_ms();
	return mon.next_try_ms > now ? (int)(mon.next_try_ms - now) : 0;
}

void
vfwd_ovsdb_run(bool readable)
{
	if (mon.rows == NULL)
		return;
	if (mon.fd >= 0 && readable)
		read_input();
	if (mon.fd < 0 && now_ms() >= mon.next_try_ms)
		try_connect();
}

void
vfwd_ovsdb_stop(void)
{
	if (mon.fd >= 0)
		close(mon.fd);
	mon.fd = -1;
	free(mon.in);
	free(mon.rows);
	mon.in = NULL;
	mon.rows = NULL;
	mon.in_len = mon.in_cap = 0;
}
