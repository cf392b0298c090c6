/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The migrate-check command: before live-migrating a VM, compares the
 * virtio features its guest negotiated on the source relay with those the
 * destination relay's socket offers.  QEMU refuses a destination that
 * offers fewer (the migration fails late, after copying memory); this
 * tells the operator first, and names the missing features.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vfwdctl.h"

enum {
	OPT_RELAY = OPT_CMD_BASE,
	OPT_DEST_RELAY,
	OPT_DEST_STATS_EP,
};

struct migrate_args {
	unsigned long relay;
	bool relay_set;
	unsigned long dest_relay;
	bool dest_relay_set;
	const char *dest_ep;
};

static const struct option migrate_options[] = {
	{ "relay",         required_argument, NULL, OPT_RELAY },
	{ "dest-relay",    required_argument, NULL, OPT_DEST_RELAY },
	{ "dest-stats-ep", required_argument, NULL, OPT_DEST_STATS_EP },
	{ NULL, 0, NULL, 0 },
};

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
"\n"
"Checks, before a live migration, that the destination relay's socket\n"
"offers every virtio feature the guest negotiated on relay N here.\n"
"  --relay=N          the source relay (0-63); its guest must be connected\n"
"  --dest-stats-ep=EP the destination daemon's stats endpoint\n"
"  --dest-relay=M     the destination relay (0-63; default N)\n"
"  --stats-ep=EP      this daemon's stats endpoint [VIRTIOFWD_ZMQ_STATS_EP]\n"
"Exit status: 0 compatible, 1 not (the missing features are listed) or\n"
"no answer, 2 usage error.\n", c->prog);
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
		a->dest_ep = arg;
		return 0;
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

int
ctl_cmd_migrate_check(struct ctl *c, int argc, char **argv)
{
	Virtioforwarder__StatsResponse *src = NULL, *dst = NULL;
	const Virtioforwarder__RelayState *s, *d;
	struct migrate_args a = { 0 };
	struct ctl dc;
	uint64_t missing;
	int rc;

	rc = ctl_parse(c, argc, argv, migrate_options, "", migrate_option, &a);
	if (rc == CTL_PARSE_HELP)
		migrate_help(c);
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind < argc)
		return ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
	if (!a.relay_set || a.dest_ep == NULL)
		return ctl_usage_error(c, "--relay and --dest-stats-ep are required");
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
	/* The destination: the same client, another stats endpoint. */
	dc = *c;
	snprintf(dc.ep_override[CTL_SVC_STATS], sizeof(dc.ep_override[CTL_SVC_STATS]),
		 "%s", a.dest_ep);
	dst = fetch_relay(&dc, (unsigned int)a.dest_relay, &d);
	if (dst == NULL)
		goto out;
	if (!d->has_offered_features) {
		ctl_error(c, "destination relay %lu has no socket, or its daemon does "
			  "not report the features it offers", a.dest_relay);
		goto out;
	}
	printf("source relay %lu negotiated:     ", a.relay);
	print_features(s->negotiated_features);
	printf("destination relay %lu offers:    ", a.dest_relay);
	print_features(d->offered_features);
	missing = s->negotiated_features & ~d->offered_features & ~LOG_ALL_BIT;
	if (missing == 0) {
		printf("OK: the destination offers every feature the guest negotiated\n");
		rc = CTL_EXIT_OK;
	} else {
		printf("NOT SAFE: the destination lacks:");
		print_features(missing);
		printf("QEMU would refuse this migration; use the same "
		       "VIRTIOFWD_MRGBUF, VIRTIOFWD_TSO and VIRTIOFWD_JUMBO on both "
		       "hosts\n");
	}
out:
	if (src != NULL)
		virtioforwarder__stats_response__free_unpacked(src, NULL);
	if (dst != NULL)
		virtioforwarder__stats_response__free_unpacked(dst, NULL);
	return rc;
}
