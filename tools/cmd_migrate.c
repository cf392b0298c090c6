/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The migrate-check command: before live-migrating a VM, compares the
 * virtio features its guest negotiated on the source relay with those the
 * destination offers.  QEMU refuses a destination that offers fewer (the
 * migration fails late, after copying memory); this tells the operator
 * first, and names the missing features.
 *
 * The destination is named one of three ways: a running daemon's stats
 * endpoint and relay, a vhost-user socket in server mode (asked directly
 * with VHOST_USER_GET_FEATURES, so any vhost-user back-end will do), or a
 * configuration file (what a daemon started with it would offer, for a
 * destination that is not running yet or runs in vhost client mode).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cmd_migrate.h"
#include "ctl.h"
#include "ctl_client.h"
#include "ctl_query.h"
#include "virtio_features.h"
#include "virtioforwarder.pb-c.h"

enum {
	OPT_RELAY = OPT_CMD_BASE,
	OPT_DEST_RELAY,
	OPT_DEST_STATS_EP,
	OPT_DEST_SOCKET,
	OPT_DEST_CONFIG,
};

/* The command's options, as given. */
struct migrate_args {
	unsigned long relay;
	bool relay_set;
	unsigned long dest_relay;
	bool dest_relay_set;
	const char *dest_ep;
	const char *dest_socket;
	const char *dest_config;
};

static const struct option migrate_options[] = {
	{ "relay",         required_argument, NULL, OPT_RELAY },
	{ "dest-relay",    required_argument, NULL, OPT_DEST_RELAY },
	{ "dest-stats-ep", required_argument, NULL, OPT_DEST_STATS_EP },
	{ "dest-socket",   required_argument, NULL, OPT_DEST_SOCKET },
	{ "dest-config",   required_argument, NULL, OPT_DEST_CONFIG },
	{ NULL, 0, NULL, 0 },
};

/* The vhost-user protocol, as much of it as GET_FEATURES needs. */
#define VHOST_USER_GET_FEATURES 1
#define VHOST_USER_VERSION 0x1
#define VHOST_USER_VERSION_MASK 0x3
#define VHOST_USER_REPLY_MASK 0x4

/* The header of every vhost-user message, in the host's byte order as the
 * protocol has it; a payload of 'size' bytes follows. */
struct vhost_user_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
};

/* Said whenever a socket cannot be asked: a daemon in vhost client mode
 * has none, and the operator should know the other two ways. */
#define CLIENT_MODE_HINT \
	"in vhost client mode the daemon has no socket to ask: use " \
	"--dest-config or --dest-stats-ep"

/* Names of the virtio-net feature bits, for the report. */
static const char *const feature_names[64] = {
	[0] = "CSUM", [1] = "GUEST_CSUM", [2] = "CTRL_GUEST_OFFLOADS",
	[3] = "MTU", [5] = "MAC", [6] = "GSO", [7] = "GUEST_TSO4",
	[8] = "GUEST_TSO6", [9] = "GUEST_ECN", [10] = "GUEST_UFO",
	[11] = "HOST_TSO4", [12] = "HOST_TSO6", [13] = "HOST_ECN",
	[14] = "HOST_UFO", [15] = "MRG_RXBUF", [16] = "STATUS", [17] = "CTRL_VQ",
	[18] = "CTRL_RX", [19] = "CTRL_VLAN", [20] = "CTRL_RX_EXTRA",
	[21] = "GUEST_ANNOUNCE", [22] = "MQ", [23] = "CTRL_MAC_ADDR",
	[24] = "NOTIFY_ON_EMPTY", [26] = "LOG_ALL", [27] = "ANY_LAYOUT",
	[28] = "RING_INDIRECT_DESC", [29] = "RING_EVENT_IDX",
	[30] = "PROTOCOL_FEATURES", [32] = "VERSION_1", [33] = "ACCESS_PLATFORM",
	[34] = "RING_PACKED", [35] = "IN_ORDER", [36] = "ORDER_PLATFORM",
	[37] = "SR_IOV", [38] = "NOTIFICATION_DATA",
};

/* LOG_ALL comes and goes with dirty logging itself: never a mismatch. */
#define LOG_ALL_BIT (UINT64_C(1) << 26)

static void
print_features(uint64_t f)
{
	unsigned int b;

	for (b = 0; b < 64; b++)
		if (f & (UINT64_C(1) << b)) {
			if (feature_names[b])
				printf(" %s", feature_names[b]);
			else
				printf(" bit%u", b);
		}
	printf("\n");
}

static void
migrate_help(const struct ctl *c)
{
	printf(
"Usage: %s migrate-check --relay=N --dest-stats-ep=EP [--dest-relay=M]\n"
"       %s migrate-check --relay=N --dest-socket=PATH\n"
"       %s migrate-check --relay=N --dest-config=FILE\n"
"\n"
"Checks, before a live migration, that the destination offers every\n"
"virtio feature the guest negotiated on relay N here.  Name the\n"
"destination exactly one way:\n"
"  --dest-stats-ep=EP  a running destination daemon's stats endpoint\n"
"  --dest-relay=M      with --dest-stats-ep: its relay (0-63; default N)\n"
"  --dest-socket=PATH  a vhost-user socket in server mode (the back-end\n"
"                      listens), asked with VHOST_USER_GET_FEATURES; works\n"
"                      with any vhost-user back-end, not only this one\n"
"  --dest-config=FILE  what a daemon started with configuration FILE would\n"
"                      offer with this host's DPDK (for a destination not\n"
"                      running yet, or in vhost client mode)\n"
"Other options:\n"
"  --relay=N           the source relay (0-63); its guest must be connected\n"
"  --stats-ep=EP       this daemon's stats endpoint [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  --timeout=MS        also bounds the wait for a --dest-socket answer\n"
"Exit status: 0 compatible, 1 not (the missing features are listed), no\n"
"answer or the destination cannot be asked, 2 usage error.\n",
	       c->prog, c->prog, c->prog);
}

static int
migrate_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	struct migrate_args *a = ctx;

	switch (opt) {
	case OPT_RELAY:
		a->relay_set = true;
		return ctl_parse_uint(c, "--relay", arg, 0, VFWD_MAX_RELAYS - 1, &a->relay);
	case OPT_DEST_RELAY:
		a->dest_relay_set = true;
		return ctl_parse_uint(c, "--dest-relay", arg, 0, VFWD_MAX_RELAYS - 1,
				      &a->dest_relay);
	case OPT_DEST_STATS_EP:
		if (arg[0] == '\0')
			return ctl_usage_error(c, "--dest-stats-ep: an endpoint is required");
		a->dest_ep = arg;
		return 0;
	case OPT_DEST_SOCKET:
		if (arg[0] == '\0')
			return ctl_usage_error(c, "--dest-socket: a socket path is required");
		if (strlen(arg) >= sizeof(((struct sockaddr_un *)NULL)->sun_path))
			return ctl_usage_error(c, "--dest-socket=%s: longer than the %zu "
					       "bytes a socket path can have", arg,
					       sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1);
		a->dest_socket = arg;
		return 0;
	case OPT_DEST_CONFIG:
		return ctl_parse_file(c, "--dest-config", arg, &a->dest_config);
	}
	return ctl_usage_error(c, "unknown option");
}

/* The RelayState of relay 'id' from the stats service of 'c'. */
static Virtioforwarder__StatsResponse *
fetch_relay(struct ctl *c, unsigned int id, const Virtioforwarder__RelayState **rs)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *r;
	uint32_t relay = id;
	int status;

	q.n_relay = 1;
	q.relay = &relay;
	r = ctl_stats_query(c, &q, &status);
	if (r != NULL && r->n_relay != 1) {
		ctl_error(c, "%s: no state for relay %u (no socket there?)",
			  ctl_endpoint(c, CTL_SVC_STATS), id);
		virtioforwarder__stats_response__free_unpacked(r, NULL);
		r = NULL;
	}
	if (r != NULL)
		*rs = r->relay[0];
	return r;
}

/* The offered features of relay 'id' of the daemon whose stats service is
 * at 'ep'; 0, or -EIO after saying why. */
static int
dest_from_stats(const struct ctl *c, const char *ep, unsigned long id,
		uint64_t *features)
{
	Virtioforwarder__StatsResponse *r;
	const Virtioforwarder__RelayState *d;
	struct ctl dc;
	int rc = 0;

	/* The same client, another stats endpoint. */
	dc = *c;
	snprintf(dc.ep_override[CTL_SVC_STATS], sizeof(dc.ep_override[CTL_SVC_STATS]),
		 "%s", ep);
	r = fetch_relay(&dc, (unsigned int)id, &d);
	if (r == NULL)
		return -EIO;
	if (!d->has_offered_features) {
		ctl_error(c, "destination relay %lu has no socket, or its daemon does "
			  "not report the features it offers", id);
		rc = -EIO;
	} else {
		*features = d->offered_features;
	}
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	return rc;
}

/* Reads exactly 'len' bytes from 'fd' before 'deadline'.  Returns 0,
 * -ETIMEDOUT, -EPIPE when the peer closed first ('*got' says after how
 * many bytes), or another negative errno. */
static int
read_full(int fd, void *buf, size_t len, int64_t deadline, size_t *got)
{
	uint8_t *p = buf;

	*got = 0;
	while (*got < len) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - ctl_now_ms();
		ssize_t n;
		int r;

		if (left <= 0)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -ETIMEDOUT;
		n = read(fd, p + *got, len - *got);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		*got += (size_t)n;
	}
	return 0;
}

/* Connects to the socket 'path'; the descriptor, or a negative errno after
 * saying why in the operator's terms. */
static int
connect_socket(const struct ctl *c, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = {
		.tv_sec = c->timeout_ms / 1000,
		.tv_usec = (c->timeout_ms % 1000) * 1000,
	};
	struct stat st;
	int fd, rc;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		ctl_error(c, "cannot make a socket: %s", strerror(-rc));
		return rc;
	}
	/* connect() waits while the listener's backlog is full: bound it. */
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* The option parser refused paths that do not fit. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return fd;
	rc = -errno;
	close(fd);
	switch (rc) {
	case -ENOENT:
		ctl_error(c, "%s: no such socket; give the destination's vhost-user "
			  "socket in server mode (%s)", path, CLIENT_MODE_HINT);
		break;
	case -ECONNREFUSED:
		if (stat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
			ctl_error(c, "%s: not a socket; give the destination's "
				  "vhost-user socket in server mode", path);
		else
			ctl_error(c, "%s: nobody listens on this socket (its back-end "
				  "is not running, or the file was left behind; %s)",
				  path, CLIENT_MODE_HINT);
		break;
	case -EACCES:
	case -EPERM:
		ctl_error(c, "%s: permission denied (relay sockets are mode 0660, "
			  "owned by VIRTIOFWD_SOCKET_OWNER and VIRTIOFWD_SOCKET_GROUP: "
			  "run as root or as a member of that group)", path);
		break;
	case -EAGAIN:
		ctl_error(c, "%s: the back-end did not accept the connection within "
			  "%d ms (--timeout changes the wait)", path, c->timeout_ms);
		break;
	default:
		ctl_error(c, "%s: cannot connect: %s", path, strerror(-rc));
		break;
	}
	return rc;
}

/* Says why reading bytes 'base' + 'got' of the answer failed with 'rc'. */
static void
reply_error(const struct ctl *c, const char *path, int rc, size_t base, size_t got)
{
	size_t total = sizeof(struct vhost_user_header) + sizeof(uint64_t);

	if (rc == -ETIMEDOUT)
		ctl_error(c, "%s: no answer to VHOST_USER_GET_FEATURES within %d ms "
			  "(is this a vhost-user back-end's socket? --timeout changes "
			  "the wait)", path, c->timeout_ms);
	else if (rc == -EPIPE && base + got == 0)
		ctl_error(c, "%s: the back-end closed the connection without "
			  "answering VHOST_USER_GET_FEATURES (is this a vhost-user "
			  "back-end's socket?)", path);
	else if (rc == -EPIPE)
		ctl_error(c, "%s: the back-end closed the connection after %zu of the "
			  "%zu bytes of its answer to VHOST_USER_GET_FEATURES", path,
			  base + got, total);
	else
		ctl_error(c, "%s: reading the answer to VHOST_USER_GET_FEATURES: %s",
			  path, strerror(-rc));
}

/*
 * The features the vhost-user back-end listening on 'path' offers, asked
 * the way QEMU asks first.  A connection that asks nothing else never
 * becomes a device (no features are set, no memory is shared), so a
 * back-end serving a guest on the same socket is not disturbed.  Returns 0,
 * or a negative errno after saying why.
 */
static int
dest_from_socket(const struct ctl *c, const char *path, uint64_t *features)
{
	const struct vhost_user_header req = {
		.request = VHOST_USER_GET_FEATURES,
		.flags = VHOST_USER_VERSION,
		.size = 0,
	};
	struct vhost_user_header rep;
	int64_t deadline;
	size_t got;
	ssize_t n;
	int fd, rc;

	fd = connect_socket(c, path);
	if (fd < 0)
		return fd;
	deadline = ctl_now_ms() + c->timeout_ms;
	do
		n = send(fd, &req, sizeof(req), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(req)) {
		/* A 12-byte send on a fresh stream is whole or fails. */
		rc = n < 0 ? -errno : -EIO;
		ctl_error(c, "%s: cannot send VHOST_USER_GET_FEATURES: %s", path,
			  strerror(-rc));
		goto out;
	}
	rc = read_full(fd, &rep, sizeof(rep), deadline, &got);
	if (rc != 0) {
		reply_error(c, path, rc, 0, got);
		goto out;
	}
	rc = -EPROTO;
	if (rep.request != VHOST_USER_GET_FEATURES) {
		ctl_error(c, "%s: the back-end answered request %" PRIu32 ", not "
			  "VHOST_USER_GET_FEATURES (%d); is this a vhost-user "
			  "back-end's socket?", path, rep.request,
			  VHOST_USER_GET_FEATURES);
		goto out;
	}
	if ((rep.flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    !(rep.flags & VHOST_USER_REPLY_MASK)) {
		ctl_error(c, "%s: the answer's flags are 0x%" PRIx32 ", not those "
			  "of a vhost-user version 1 reply (version 0x%x and reply "
			  "bit 0x%x)", path, rep.flags, VHOST_USER_VERSION,
			  VHOST_USER_REPLY_MASK);
		goto out;
	}
	if (rep.size != sizeof(*features)) {
		ctl_error(c, "%s: the answer to VHOST_USER_GET_FEATURES carries "
			  "%" PRIu32 " bytes, not the %zu of a feature mask", path,
			  rep.size, sizeof(*features));
		goto out;
	}
	rc = read_full(fd, features, sizeof(*features), deadline, &got);
	if (rc != 0)
		reply_error(c, path, rc, sizeof(rep), got);
out:
	close(fd);
	return rc;
}

/*
 * What a daemon started with the configuration file 'path' would offer:
 * the file is read and checked as the daemon reads and checks it (a file
 * it would refuse is an error here too), and the features come from the
 * same function the daemon uses.  Returns 0, or a negative errno after
 * saying why.
 */
static int
dest_from_config(const struct ctl *c, const char *path, uint64_t *features)
{
	char err[VFWD_ERR_MAX];
	struct vfwd_config *cfg;
	int rc;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		ctl_error(c, "out of memory");
		return -ENOMEM;
	}
	vfwd_config_defaults(cfg);
	rc = vfwd_config_load_file(cfg, path, err, sizeof(err));
	if (rc == 0)
		rc = vfwd_config_validate(cfg, err, sizeof(err));
	if (rc != 0) {
		ctl_error(c, "%s (the daemon would refuse --dest-config=%s as well)",
			  err, path);
		goto out;
	}
	rc = vfwd_features_offered(cfg, features, err, sizeof(err));
	if (rc != 0)
		ctl_error(c, "%s", err);
out:
	free(cfg);
	return rc;
}

int
ctl_cmd_migrate_check(struct ctl *c, int argc, char **argv)
{
	Virtioforwarder__StatsResponse *src = NULL;
	const Virtioforwarder__RelayState *s;
	struct migrate_args a = { 0 };
	char dest[VFWD_EP_MAX + PATH_MAX + 32];
	uint64_t offered, missing;
	int rc, n_dest;

	rc = ctl_parse(c, argc, argv, migrate_options, "", migrate_option, &a);
	if (rc == CTL_PARSE_HELP)
		migrate_help(c);
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!a.relay_set)
		return ctl_usage_error(c, "--relay is required");
	n_dest = (a.dest_ep != NULL) + (a.dest_socket != NULL) + (a.dest_config != NULL);
	if (n_dest != 1)
		return ctl_usage_error(c, "name the destination exactly one way, with "
				       "--dest-stats-ep, --dest-socket or --dest-config "
				       "(%s)", n_dest == 0 ? "none was given"
				       : "more than one was given");
	if (a.dest_relay_set && a.dest_socket != NULL)
		return ctl_usage_error(c, "--dest-relay goes with --dest-stats-ep only: "
				       "--dest-socket already names one relay's socket");
	if (a.dest_relay_set && a.dest_config != NULL)
		return ctl_usage_error(c, "--dest-relay goes with --dest-stats-ep only: "
				       "with --dest-config every relay offers the same "
				       "features");
	if (!a.dest_relay_set)
		a.dest_relay = a.relay;

	rc = CTL_EXIT_FAIL;
	src = fetch_relay(c, (unsigned int)a.relay, &s);
	if (src == NULL)
		goto out;
	if (!s->has_negotiated_features) {
		ctl_error(c, "relay %lu has no guest connected: nothing negotiated to "
			  "compare", a.relay);
		goto out;
	}
	if (a.dest_ep != NULL) {
		if (dest_from_stats(c, a.dest_ep, a.dest_relay, &offered) != 0)
			goto out;
		snprintf(dest, sizeof(dest), "relay %lu of %s", a.dest_relay, a.dest_ep);
	} else if (a.dest_socket != NULL) {
		if (dest_from_socket(c, a.dest_socket, &offered) != 0)
			goto out;
		snprintf(dest, sizeof(dest), "socket %s", a.dest_socket);
	} else {
		if (dest_from_config(c, a.dest_config, &offered) != 0)
			goto out;
		snprintf(dest, sizeof(dest), "config %s", a.dest_config);
	}
	printf("source relay %lu negotiated:", a.relay);
	print_features(s->negotiated_features);
	printf("destination %s offers:", dest);
	print_features(offered);
	missing = s->negotiated_features & ~offered & ~LOG_ALL_BIT;
	if (missing == 0) {
		printf("OK: the destination offers every feature the guest negotiated\n");
		rc = CTL_EXIT_OK;
	} else {
		printf("NOT SAFE: the destination lacks:");
		print_features(missing);
		printf("QEMU would refuse this migration; between two virtio-forwarder "
		       "hosts, set VIRTIOFWD_MRGBUF and VIRTIOFWD_TSO the same on both "
		       "(other missing bits mean another vhost-user back-end or DPDK "
		       "version)\n");
	}
out:
	if (src != NULL)
		virtioforwarder__stats_response__free_unpacked(src, NULL);
	return rc;
}
