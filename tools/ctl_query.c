/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The requests several tools make of the stats and core scheduling
 * services, with their answers unpacked and checked: the stats and load
 * views, pin, migrate-check, the load balancer and the 1.x tools share
 * them.  Part of the tools' client library.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_client.h"
#include "ctl_query.h"

int
ctl_stats_fetch(struct ctl *c, const Virtioforwarder__StatsRequest *q,
		Virtioforwarder__StatsResponse **out, char *err, size_t errlen)
{
	Virtioforwarder__StatsResponse *r;
	uint8_t *reply;
	size_t len;
	int rc;

	*out = NULL;
	rc = ctl_request(c, CTL_SVC_STATS, &q->base, &reply, &len, err, errlen);
	if (rc != 0)
		return rc;
	r = virtioforwarder__stats_response__unpack(NULL, len, reply);
	free(reply);
	if (r == NULL) {
		snprintf(err, errlen, "the answer is not a StatsResponse (is %s the "
			 "stats endpoint?)", ctl_endpoint(c, CTL_SVC_STATS));
		return -EPROTO;
	}
	if (r->status != VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK) {
		const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
			&virtioforwarder__stats_response__status__descriptor, r->status);

		snprintf(err, errlen, "the stats service refused the request: %s%s",
			 v ? v->name : "unknown status",
			 r->status == VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR ?
			 " (a relay id out of range, or a malformed request)" : "");
		virtioforwarder__stats_response__free_unpacked(r, NULL);
		return -EBADMSG;
	}
	*out = r;
	return 0;
}

Virtioforwarder__StatsResponse *
ctl_stats_query(struct ctl *c, const Virtioforwarder__StatsRequest *q, int *status)
{
	Virtioforwarder__StatsResponse *r;
	char err[VFWD_ERR_MAX];
	int rc;

	*status = CTL_EXIT_FAIL;
	rc = ctl_stats_fetch(c, q, &r, err, sizeof(err));
	if (rc == -EINTR)
		*status = CTL_EXIT_OK;
	else if (rc != 0)
		ctl_error(c, "%s", err);
	return r;
}

int
ctl_core_sched_fetch(struct ctl *c, const Virtioforwarder__CoreSchedRequest *q,
		     Virtioforwarder__CoreSchedResponse **out, char *err, size_t errlen)
{
	uint8_t *reply;
	size_t len, used;
	int rc;

	*out = NULL;
	rc = ctl_request(c, CTL_SVC_CORE_SCHED, &q->base, &reply, &len, err, errlen);
	if (rc != 0) {
		/* The daemon serves core scheduling only when asked to. */
		used = strnlen(err, errlen);
		if ((rc == -ETIMEDOUT || rc == -ENOENT || rc == -ECONNREFUSED) &&
		    used < errlen)
			snprintf(err + used, errlen - used, " (the daemon serves it only "
				 "with VIO4WD_CORE_SCHED_ENABLE=true)");
		return rc;
	}
	*out = virtioforwarder__core_sched_response__unpack(NULL, len, reply);
	free(reply);
	if (*out == NULL) {
		snprintf(err, errlen, "the answer is not a CoreSchedResponse (is %s the "
			 "core scheduling endpoint?)", ctl_endpoint(c, CTL_SVC_CORE_SCHED));
		return -EPROTO;
	}
	return 0;
}

Virtioforwarder__CoreSchedResponse *
ctl_core_sched_query(struct ctl *c, const Virtioforwarder__CoreSchedRequest *q)
{
	Virtioforwarder__CoreSchedResponse *r;
	char err[VFWD_ERR_MAX];

	int rc = ctl_core_sched_fetch(c, q, &r, err, sizeof(err));

	/* -EINTR: Ctrl-C, nothing to say. */
	if (rc != 0 && rc != -EINTR)
		ctl_error(c, "%s", err);
	return r;
}

void
ctl_format_cores(const Virtioforwarder__CoreSchedResponse *r, char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->n_eal_cores && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "",
					 r->eal_cores[i]);
}

int
ctl_core_sched_update(struct ctl *c, const struct vfwd_pin *pins, unsigned int n,
		      char *err, size_t errlen)
{
	Virtioforwarder__CoreSchedRequest q = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__RelayCPU map[VFWD_MAX_RELAYS], *ptrs[VFWD_MAX_RELAYS];
	Virtioforwarder__CoreSchedResponse *r;
	char list[1024];
	unsigned int i;
	int rc;

	if (n > VFWD_MAX_RELAYS) {
		snprintf(err, errlen, "%u relays in one update: at most %u", n,
			 VFWD_MAX_RELAYS);
		return -E2BIG;
	}
	q.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	for (i = 0; i < n; i++) {
		virtioforwarder__relay_cpu__init(&map[i]);
		map[i].relay_number = (int32_t)pins[i].relay;
		map[i].vf2virtio_cpu = pins[i].cpu_vf_to_vm;
		map[i].virtio2vf_cpu = pins[i].cpu_vm_to_vf;
		ptrs[i] = &map[i];
	}
	q.n_relay_cpu_map = n;
	q.relay_cpu_map = ptrs;
	rc = ctl_core_sched_fetch(c, &q, &r, err, errlen);
	if (rc != 0)
		return rc;
	if (r->status != VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK) {
		const char *src = r->error_code_source && r->error_code_source[0]
				  ? r->error_code_source : "the daemon refused the update";

		/* The answer lists the worker CPUs even then: say them, it is
		 * what the operator needs to pick a valid CPU. */
		ctl_format_cores(r, list, sizeof(list));
		snprintf(err, errlen, "%s (%s)%s%s", src, r->has_error_code &&
			 r->error_code < 0 ? strerror(-r->error_code) : "error",
			 list[0] ? "; worker CPUs: " : "", list);
		rc = -EPERM;
	}
	virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return rc;
}
