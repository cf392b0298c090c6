/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: one ZeroMQ service's request handler (ctl_zmq.c), chosen
 * at build time by VFWD_FUZZ_SERVICE, with the real port control
 * operations on the model of the relay table.  The input is one or more
 * requests separated by "#SEP"; each must get a reply that parses as the
 * service's response, and the table keeps its rules.  The table starts
 * with a few relays (a device, a bond, dynamic sockets) so that removals
 * and queries find something.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtioforwarder.pb-c.h"

#include "ctl_zmq.h"
#include "fuzz.h"
#include "model.h"
#include "portctl.h"

#define SEP "#SEP"
#define MAX_REQUESTS 8

static void
populate(void)
{
	static const char *const bond[] = { "0000:00:02.0", "0000:00:03.0" };
	struct vfwd_portctl_dev one = { .devs = { "0000:00:01.0" }, .n = 1 };
	struct vfwd_portctl_dev two = { .n = 2, .bond_name = "net_bonding0", .bond_mode = 1 };
	char err[512];
	unsigned int relay;

	two.devs[0] = bond[0];
	two.devs[1] = bond[1];
	if (vfwd_portctl_add_sock("/tmp/vm0.sock", &one, false, &relay, err, sizeof(err)) != 0 ||
	    vfwd_portctl_add_sock("/tmp/vm1.sock", &two, false, &relay, err, sizeof(err)) != 0)
		abort();
}

/* The reply must be the service's response message. */
static void
check_reply(const uint8_t *buf, size_t len)
{
	ProtobufCMessage *m;

	switch (VFWD_FUZZ_SERVICE) {
	case VFWD_CTL_PORT_CONTROL:
		m = &virtioforwarder__port_control_response__unpack(NULL, len, buf)->base;
		break;
	case VFWD_CTL_STATS:
		m = &virtioforwarder__stats_response__unpack(NULL, len, buf)->base;
		break;
	case VFWD_CTL_CONFIG:
		m = &virtioforwarder__config_response__unpack(NULL, len, buf)->base;
		break;
	default:
		m = &virtioforwarder__core_sched_response__unpack(NULL, len, buf)->base;
		break;
	}
	/* 'base' is the first member: NULL stays NULL. */
	if (m == NULL)
		abort();
	protobuf_c_message_free_unpacked(m, NULL);
}

static void
one_request(const uint8_t *req, size_t len)
{
	void *reply;
	size_t reply_len;

	if (vfwd_ctl_zmq_handle(VFWD_FUZZ_SERVICE, req, len, &reply, &reply_len) != 0)
		abort();
	check_reply(reply, reply_len);
	free(reply);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;
	int n = 0;

	vfwd_model_reset(true);
	populate();
	while (off <= size && n++ < MAX_REQUESTS) {
		const uint8_t *sep = memmem(data + off, size - off, SEP, strlen(SEP));
		size_t len = sep ? (size_t)(sep - (data + off)) : size - off;

		one_request(data + off, len);
		off += len + strlen(SEP);
	}
	vfwd_model_check();
	return 0;
}
