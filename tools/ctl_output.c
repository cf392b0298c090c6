/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Printing the answers: the stats table, the load bars, and two machine
 * formats, JSON and flat key=value lines; and for the 1.x tool names,
 * 1.x's flat stats lines and the protobuf text format, as the Python
 * tools of 1.x printed them.
 *
 * The machine formats walk the message through protobuf-c's descriptors
 * rather than naming fields one by one: every field the daemon sends is
 * printed, including fields added to the protocol later, under the name
 * it has in virtioforwarder.proto.  That keeps the keys stable (they only
 * change if the protocol does, which it must not) and complete.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl_output.h"
#include "offload_info.h"

/* ------------------------------------------------------------------ */
/* Walking a message                                                   */
/* ------------------------------------------------------------------ */

/* Size of one element of a repeated field of type 't'. */
static size_t
elem_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return 8;
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/*
 * How many values field 'f' of 'm' holds: the count of a repeated field,
 * else 1 when the field is present, 0 when an optional one is not.
 */
static size_t
field_count(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const char *base = (const char *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)(base + f->quantifier_offset);
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
		return *(const uint32_t *)(base + f->quantifier_offset) == f->id;
	if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE)
		return *(const void *const *)(base + f->offset) != NULL;
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
		return *(const protobuf_c_boolean *)(base + f->quantifier_offset) != 0;
	return 1;
}

/* Where value 'i' of field 'f' of 'm' is stored. */
static const void *
field_value(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f, size_t i)
{
	const char *base = (const char *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const char *const *)(base + f->offset) + i * elem_size(f->type);
	return base + f->offset;
}

static const char *
enum_name(const ProtobufCFieldDescriptor *f, int v)
{
	const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
		(const ProtobufCEnumDescriptor *)f->descriptor, v);

	return ev ? ev->name : NULL;
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */
/* ------------------------------------------------------------------ */

static json_t *msg_to_json(const ProtobufCMessage *m);

/* A string that jansson refuses (not UTF-8) is kept, with '?' for every
 * byte that is not printable ASCII. */
static json_t *
json_text(const char *s)
{
	json_t *j = json_string(s);
	char *copy, *p;

	if (j != NULL)
		return j;
	copy = strdup(s);
	if (copy == NULL)
		return NULL;
	for (p = copy; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

static json_t *
value_to_json(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_integer(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_integer(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_integer(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		uint64_t v = *(const uint64_t *)p;

		/* JSON integers here are signed 64-bit. */
		return v <= INT64_MAX ? json_integer((json_int_t)v) : json_real((double)v);
	}
	case PROTOBUF_C_TYPE_FLOAT: {
		double v = *(const float *)p;

		return isfinite(v) ? json_real(v) : json_null();
	}
	case PROTOBUF_C_TYPE_DOUBLE: {
		double v = *(const double *)p;

		return isfinite(v) ? json_real(v) : json_null();
	}
	case PROTOBUF_C_TYPE_BOOL:
		return json_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		const char *name = enum_name(f, *(const int *)p);

		return name ? json_string(name) : json_integer(*(const int *)p);
	}
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;

		return s ? json_text(s) : json_null();
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		char *hex = malloc(b->len * 2 + 1);
		json_t *j;
		size_t i;

		if (hex == NULL)
			return NULL;
		for (i = 0; i < b->len; i++)
			snprintf(hex + 2 * i, 3, "%02x", b->data[i]);
		hex[2 * b->len] = '\0';
		j = json_string(hex);
		free(hex);
		return j;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;

		return sub ? msg_to_json(sub) : json_null();
	}
	}
	return json_null();
}

/* A JSON object of every field present in 'm'; repeated fields are arrays
 * (also when empty, so that readers need not test for the key). */
static json_t *
msg_to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	json_t *obj = json_object(), *v, *arr;
	unsigned int i;
	size_t j, n;

	if (obj == NULL)
		return NULL;
	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		n = field_count(m, f);
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			arr = json_array();
			if (arr == NULL)
				goto fail;
			for (j = 0; j < n; j++) {
				v = value_to_json(f, field_value(m, f, j));
				if (v == NULL || json_array_append_new(arr, v) != 0) {
					json_decref(arr);
					goto fail;
				}
			}
			if (json_object_set_new(obj, f->name, arr) != 0)
				goto fail;
		} else if (n == 1) {
			v = value_to_json(f, field_value(m, f, 0));
			if (v == NULL || json_object_set_new(obj, f->name, v) != 0)
				goto fail;
		}
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

int
ctl_print_json(FILE *f, const ProtobufCMessage *m, bool compact)
{
	json_t *j = msg_to_json(m);
	size_t flags = JSON_REAL_PRECISION(9) | JSON_PRESERVE_ORDER;
	int rc;

	if (j == NULL)
		return -ENOMEM;
	flags |= compact ? JSON_COMPACT : JSON_INDENT(2);
	rc = json_dumpf(j, f, flags);
	fputc('\n', f);
	json_decref(j);
	return rc == 0 ? 0 : -EIO;
}

/* ------------------------------------------------------------------ */
/* Flat key=value                                                      */
/* ------------------------------------------------------------------ */

static void flat_msg(FILE *out, const ProtobufCMessage *m, const char *prefix);

/*
 * Prints the value at 'p' when field 'f' is an integer (in decimal), a
 * bool ("true" or "false") or an enum (its name), as both machine formats
 * write those, and says whether it was one of them.
 */
static bool
print_scalar(FILE *out, const ProtobufCFieldDescriptor *f, const void *p)
{
	const char *name;

	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		fprintf(out, "%" PRId32, *(const int32_t *)p);
		return true;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		fprintf(out, "%" PRIu32, *(const uint32_t *)p);
		return true;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		fprintf(out, "%" PRId64, *(const int64_t *)p);
		return true;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		fprintf(out, "%" PRIu64, *(const uint64_t *)p);
		return true;
	case PROTOBUF_C_TYPE_BOOL:
		fputs(*(const protobuf_c_boolean *)p ? "true" : "false", out);
		return true;
	case PROTOBUF_C_TYPE_ENUM:
		name = enum_name(f, *(const int *)p);
		if (name)
			fputs(name, out);
		else
			fprintf(out, "%d", *(const int *)p);
		return true;
	default:
		return false;
	}
}

/* Strings are printed up to the end of the line; a control character
 * would break "one key per line", so it becomes '?'. */
static void
flat_string(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, out);
}

static void
flat_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p,
	   const char *key)
{
	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;

		if (sub != NULL)
			flat_msg(out, sub, key);
		return;
	}
	fprintf(out, "%s=", key);
	if (print_scalar(out, f, p)) {
		fputc('\n', out);
		return;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
		fprintf(out, "%.3f", (double)*(const float *)p);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		fprintf(out, "%.3f", *(const double *)p);
		break;
	case PROTOBUF_C_TYPE_STRING:
		if (*(const char *const *)p)
			flat_string(out, *(const char *const *)p);
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		size_t i;

		for (i = 0; i < b->len; i++)
			fprintf(out, "%02x", b->data[i]);
		break;
	}
	default:
		break;
	}
	fputc('\n', out);
}

/*
 * The key of element 'i' of a repeated message field: its field 1 when
 * that is an unsigned integer (relay id, worker CPU, queue index), which
 * stays the same from one answer to the next; else its position.
 */
static uint64_t
elem_key(const ProtobufCFieldDescriptor *f, const void *p, size_t i)
{
	const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;
	const ProtobufCFieldDescriptor *k;

	if (sub == NULL)
		return i;
	k = protobuf_c_message_descriptor_get_field(sub->descriptor, 1);
	if (k != NULL && k->label == PROTOBUF_C_LABEL_REQUIRED &&
	    (k->type == PROTOBUF_C_TYPE_UINT32 || k->type == PROTOBUF_C_TYPE_FIXED32))
		return *(const uint32_t *)((const char *)sub + k->offset);
	(void)f;
	return i;
}

static void
flat_msg(FILE *out, const ProtobufCMessage *m, const char *prefix)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char key[512];
	unsigned int i;
	size_t j, n;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];

		n = field_count(m, f);
		for (j = 0; j < n; j++) {
			const void *p = field_value(m, f, j);

			if (f->label != PROTOBUF_C_LABEL_REPEATED)
				snprintf(key, sizeof(key), "%s%s%s", prefix,
					 prefix[0] ? "." : "", f->name);
			else
				snprintf(key, sizeof(key), "%s%s%s.%" PRIu64, prefix,
					 prefix[0] ? "." : "", f->name,
					 f->type == PROTOBUF_C_TYPE_MESSAGE ?
					 elem_key(f, p, j) : (uint64_t)j);
			flat_value(out, f, p, key);
		}
	}
}

void
ctl_print_flat(FILE *f, const ProtobufCMessage *m)
{
	flat_msg(f, m, "");
}

/* ------------------------------------------------------------------ */
/* The stats table                                                     */
/* ------------------------------------------------------------------ */

/* One direction of a relay, in the terms of the table. */
struct dir_row {
	const char *label;
	const char *state;
	uint64_t rx, tx, drop_full, drop_nc;
	/* The offload path's drops, by reason, and its work. */
	uint64_t too_big, bad_offload, no_buffers, truncated, spoofed;
	uint64_t tso_device, tso_software, csum_software, coalesced;
	double rx_pps, rx_bps, tx_pps, tx_bps;   /* bytes per second */
};

/* The offload counters, named alike in both directions' messages. */
#define OFFLOAD_ROW(row, msg) do {				\
	(row).too_big = (msg)->pkts_dropped_too_big;		\
	(row).bad_offload = (msg)->pkts_dropped_bad_offload;	\
	(row).no_buffers = (msg)->pkts_dropped_no_buffers;	\
	(row).truncated = (msg)->pkts_dropped_truncated;	\
	(row).spoofed = (msg)->pkts_dropped_spoofed;		\
	(row).tso_device = (msg)->pkts_tso_device;		\
	(row).tso_software = (msg)->pkts_tso_software;		\
	(row).csum_software = (msg)->pkts_csum_software;	\
	(row).coalesced = (msg)->pkts_coalesced;		\
} while (0)

static void
rows(const Virtioforwarder__RelayState *rs, struct dir_row row[2])
{
	const Virtioforwarder__RelayState__VFtoVM *a = rs->vf_to_vm;
	const Virtioforwarder__RelayState__VMtoVF *b = rs->vm_to_vf;

	memset(row, 0, 2 * sizeof(*row));
	row[0].label = "VF to VM";
	row[1].label = "VM to VF";
	row[0].state = row[1].state = "?";
	if (a != NULL) {
		row[0].state = a->internal_state;
		row[0].rx = a->pkts_rx_from_vf;
		row[0].tx = a->pkts_tx_to_vm;
		row[0].drop_full = a->pkts_dropped_vm_queue_full;
		row[0].drop_nc = a->pkts_dropped_vm_not_connected;
		row[0].rx_pps = a->pkt_rate_rx_from_vf;
		row[0].rx_bps = a->byte_rate_rx_from_vf;
		row[0].tx_pps = a->pkt_rate_tx_to_vm;
		row[0].tx_bps = a->byte_rate_tx_to_vm;
		OFFLOAD_ROW(row[0], a);
	}
	if (b != NULL) {
		row[1].state = b->internal_state;
		row[1].rx = b->pkts_rx_from_vm;
		row[1].tx = b->pkts_tx_to_vf;
		row[1].drop_full = b->pkts_dropped_vf_queue_full;
		row[1].drop_nc = b->pkts_dropped_vf_not_connected;
		row[1].rx_pps = b->pkt_rate_rx_from_vm;
		row[1].rx_bps = b->byte_rate_rx_from_vm;
		row[1].tx_pps = b->pkt_rate_tx_to_vf;
		row[1].tx_bps = b->byte_rate_tx_to_vf;
		OFFLOAD_ROW(row[1], b);
	}
}

/* A relay that only exists as a socket: folded into one summary line,
 * or 64 idle relays would bury the interesting ones. */
static bool
is_idle(const Virtioforwarder__RelayState *rs)
{
	struct dir_row r[2];
	int i;

	if (rs->active || rs->vf != NULL || rs->n_queue > 0)
		return false;
	rows(rs, r);
	for (i = 0; i < 2; i++)
		if (r[i].rx || r[i].tx || r[i].drop_full || r[i].drop_nc)
			return false;
	return rs->vf_to_vm && strncmp(rs->vf_to_vm->internal_state, "idle", 4) == 0;
}

static void
fmt_cpu(const Virtioforwarder__RelayState__CPU *cpu, bool vf_to_vm, char *buf,
	size_t len)
{
	bool has = cpu && (vf_to_vm ? cpu->has_vf_to_vm : cpu->has_vm_to_vf);
	int v = has ? (vf_to_vm ? cpu->vf_to_vm : cpu->vm_to_vf) : -1;

	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%d", v);
}

/*
 * Where the relay's offloads run, and the offload path's drops and work
 * where there are any.  A daemon older than the offload fields sends none
 * of them: nothing is printed then.
 */
static void
print_offloads(FILE *f, const Virtioforwarder__RelayState *rs, const struct dir_row r[2])
{
	enum vfwd_ofl_where w[VFWD_OFL_N_KINDS];
	char where[160], dev[160];
	size_t i;

	if (!rs->has_gro)
		return;
	vfwd_ofl_where(rs->has_negotiated_features ? rs->negotiated_features : 0,
		       rs->has_device_offloads, rs->device_offloads, rs->gro, w);
	fprintf(f, "  offloads %s\n", vfwd_ofl_format(w, "  ", where, sizeof(where)));
	if (rs->has_device_offloads)
		fprintf(f, "  device offloads %s  MTU %u  tx errors %" PRIu64 "\n",
			vfwd_dev_ofl_format(rs->device_offloads, " ", dev, sizeof(dev)),
			rs->device_mtu, rs->device_tx_errors);
	for (i = 0; i < 2; i++) {
		const struct dir_row *d = &r[i];

		if (d->too_big || d->bad_offload || d->no_buffers || d->truncated ||
		    d->spoofed)
			fprintf(f, "  %-9s dropped: too_big %" PRIu64 "  bad_offload %"
				PRIu64 "  no_buffers %" PRIu64 "  truncated %" PRIu64
				"  spoofed %" PRIu64 "\n", d->label, d->too_big,
				d->bad_offload, d->no_buffers, d->truncated, d->spoofed);
		if (d->tso_device || d->tso_software || d->csum_software || d->coalesced)
			fprintf(f, "  %-9s offload work: tso_device %" PRIu64
				"  tso_software %" PRIu64 "  csum_software %" PRIu64
				"  coalesced %" PRIu64 "\n", d->label, d->tso_device,
				d->tso_software, d->csum_software, d->coalesced);
	}
}

static void
print_relay(FILE *f, const Virtioforwarder__RelayState *rs, bool queues)
{
	struct dir_row r[2];
	char c0[16], c1[16], numa[16], bufs[48] = "";
	size_t i;

	fmt_cpu(rs->cpu, true, c0, sizeof(c0));
	fmt_cpu(rs->cpu, false, c1, sizeof(c1));
	if (rs->socket_id == UINT32_MAX)
		snprintf(numa, sizeof(numa), "any");
	else
		snprintf(numa, sizeof(numa), "%u", rs->socket_id);
	fprintf(f, "relay %u  %s  socket %s\n", rs->id, rs->active ? "active" : "inactive",
		rs->vhost && rs->vhost->vhost_socket_name ? rs->vhost->vhost_socket_name : "-");
	if (rs->has_pool_size)
		snprintf(bufs, sizeof(bufs), "  buffers %u/%u in use",
			 rs->has_pool_in_use ? rs->pool_in_use : 0, rs->pool_size);
	fprintf(f, "  device %s  cpu %s (VF to VM) %s (VM to VF)  numa %s%s%s%s\n",
		rs->vf && rs->vf->pci_addr_str ? rs->vf->pci_addr_str : "none", c0, c1,
		numa, bufs, rs->ident ? "  ident " : "", rs->ident ? rs->ident : "");
	/* The VF port profile, and what the PF made of it. */
	if (rs->vf_profile || rs->vf_learned_mac)
		fprintf(f, "  vf profile %s%s%s\n", rs->vf_profile ? rs->vf_profile : "none",
			rs->vf_learned_mac ? "  learned mac " : "",
			rs->vf_learned_mac ? rs->vf_learned_mac : "");
	if (rs->vf_profile_status)
		fprintf(f, "  vf profile applied: %s\n", rs->vf_profile_status);
	fprintf(f, "  %-9s %12s %12s %9s %9s %11s %10s %11s %10s  %s\n", "direction",
		"rx pkts", "tx pkts", "drop_full", "drop_nc", "rx pps", "rx Mbit/s",
		"tx pps", "tx Mbit/s", "state");
	rows(rs, r);
	for (i = 0; i < 2; i++)
		fprintf(f, "  %-9s %12" PRIu64 " %12" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %11.1f %10.2f %11.1f %10.2f  %s\n", r[i].label, r[i].rx, r[i].tx,
			r[i].drop_full, r[i].drop_nc, r[i].rx_pps, r[i].rx_bps * 8 / 1e6,
			r[i].tx_pps, r[i].tx_bps * 8 / 1e6, r[i].state);
	print_offloads(f, rs, r);
	if (!queues || rs->n_queue == 0)
		return;
	fprintf(f, "  %-9s %5s %5s %14s %16s %14s %16s\n", "queue", "rx", "tx",
		"to VM pkts", "to VM bytes", "from VM pkts", "from VM bytes");
	for (i = 0; i < rs->n_queue; i++) {
		const Virtioforwarder__RelayState__Queue *q = rs->queue[i];

		fprintf(f, "  %-9u %5s %5s %14" PRIu64 " %16" PRIu64 " %14" PRIu64
			" %16" PRIu64 "\n", q->index, q->rx_enabled ? "on" : "off",
			q->tx_enabled ? "on" : "off", q->pkts_to_vm, q->bytes_to_vm,
			q->pkts_from_vm, q->bytes_from_vm);
	}
}

void
ctl_print_stats_table(FILE *f, const Virtioforwarder__StatsResponse *r, bool queues)
{
	struct vfwd_cpuset idle;
	char list[512];
	unsigned int n_idle = 0, pools = 0;
	uint64_t mbufs = 0, in_use = 0;
	size_t i;

	memset(&idle, 0, sizeof(idle));
	for (i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];

		if (rs->has_pool_size) {
			pools++;
			mbufs += rs->pool_size;
			in_use += rs->has_pool_in_use ? rs->pool_in_use : 0;
		}

		/* Relay ids are below 64, so a CPU set holds them. */
		if (is_idle(rs) && rs->id < VFWD_MAX_CPUS) {
			vfwd_cpuset_add(&idle, rs->id);
			n_idle++;
			continue;
		}
		print_relay(f, rs, queues);
		fputc('\n', f);
	}
	if (r->n_relay == 0)
		fprintf(f, "no relays\n\n");
	if (n_idle > 0) {
		vfwd_cpuset_format(&idle, list, sizeof(list));
		fprintf(f, "idle relays (no device, no guest, no traffic): %s\n\n", list);
	}
	/* A daemon older than the pool fields sends none: say nothing. */
	if (pools > 0)
		fprintf(f, "packet buffers: %" PRIu64 " of %" PRIu64 " in use, in %u "
			"pool(s)\n\n", in_use, mbufs, pools);
	for (i = 0; i < r->n_worker; i++) {
		const Virtioforwarder__WorkerLoad *w = r->worker[i];

		fprintf(f, "worker cpu %u  load %5.1f%%  busy %" PRIu64 " idle %" PRIu64
			" cycles", w->cpu, w->has_load ? w->load * 100.0 : 0.0,
			w->busy_cycles, w->idle_cycles);
		/* Only a daemon in adaptive poll mode sleeps. */
		if (w->has_wakeups && w->wakeups > 0)
			fprintf(f, "  asleep %5.1f%%  %" PRIu64 " wake-ups",
				w->has_sleep ? w->sleep * 100.0 : 0.0, w->wakeups);
		fputc('\n', f);
	}
	/* Older daemons do not say. */
	if (r->has_max_ports)
		fprintf(f, "DPDK ports: %u in use of %u (the daemon's DPDK build, "
			"RTE_MAX_ETHPORTS)\n", r->has_ports_in_use ? r->ports_in_use : 0,
			r->max_ports);
}

/* ------------------------------------------------------------------ */
/* Load bars                                                           */
/* ------------------------------------------------------------------ */

#define BAR_WIDTH 40

void
ctl_print_load(FILE *f, const Virtioforwarder__StatsResponse *r,
	       const struct vfwd_cpuset *only)
{
	char bar[BAR_WIDTH + 1], list[512];
	size_t i, j;

	if (r->n_worker == 0)
		fprintf(f, "no worker CPUs in the answer\n");
	for (i = 0; i < r->n_worker; i++) {
		const Virtioforwarder__WorkerLoad *w = r->worker[i];
		double load = w->has_load && isfinite(w->load) ? w->load : 0;
		struct vfwd_cpuset relays;
		int filled;

		if (only != NULL && !vfwd_cpuset_has(only, (int)w->cpu))
			continue;
		if (load < 0)
			load = 0;
		if (load > 1)
			load = 1;
		filled = (int)lround(load * BAR_WIDTH);
		memset(bar, '#', (size_t)filled);
		memset(bar + filled, ' ', (size_t)(BAR_WIDTH - filled));
		bar[BAR_WIDTH] = '\0';

		/* The relays with a direction polled by this worker. */
		memset(&relays, 0, sizeof(relays));
		for (j = 0; j < r->n_relay; j++) {
			const Virtioforwarder__RelayState__CPU *c = r->relay[j]->cpu;

			if (c != NULL && r->relay[j]->id < VFWD_MAX_CPUS &&
			    ((c->has_vf_to_vm && c->vf_to_vm == (int32_t)w->cpu) ||
			     (c->has_vm_to_vf && c->vm_to_vf == (int32_t)w->cpu)))
				vfwd_cpuset_add(&relays, r->relay[j]->id);
		}
		if (vfwd_cpuset_count(&relays) > 0)
			vfwd_cpuset_format(&relays, list, sizeof(list));
		else
			snprintf(list, sizeof(list), "none");
		fprintf(f, "cpu %3u [%s] %5.1f%%  relays %s", w->cpu, bar, load * 100.0,
			list);
		if (w->has_wakeups && w->wakeups > 0)
			fprintf(f, "  asleep %5.1f%%", w->has_sleep ? w->sleep * 100.0 : 0.0);
		fputc('\n', f);
	}
}

/* ------------------------------------------------------------------ */
/* The formats of 1.x's Python tools                                  */
/* ------------------------------------------------------------------ */

/*
 * Writes 'v' as Python's repr() does: the shortest digits that read back
 * as the same double; positional from 1e-4 up to below 1e16, with ".0"
 * when whole ("2140744.25", "0.0", "22172006.0"), else "1e+16", "1e-05".
 */
void
ctl_python_float(double v, char *buf, size_t len)
{
	char tmp[64], digits[32], *p, *e;
	int prec, exp10, decpt, nd, i;
	size_t used = 0;

	if (isnan(v)) {
		snprintf(buf, len, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, "%sinf", v < 0 ? "-" : "");
		return;
	}
	/* The shortest "%.Ne" that reads back as 'v'; 17 digits always do. */
	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	/* tmp: [-]d[.ddd]e[+-]XX */
	p = tmp;
	if (*p == '-') {
		used += (size_t)snprintf(buf + used, len - used, "-");
		p++;
	}
	e = strchr(p, 'e');
	exp10 = atoi(e + 1);
	nd = 0;
	for (; p < e; p++)
		if (*p != '.')
			digits[nd++] = *p;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	if (v == 0)
		exp10 = 0;
	decpt = exp10 + 1;      /* digits are 0.DIGITS x 10^decpt */
	if (decpt <= -4 || decpt > 16) {
		snprintf(buf + used, len - used, "%c%s%se%c%02d", digits[0],
			 nd > 1 ? "." : "", digits + 1, exp10 < 0 ? '-' : '+',
			 exp10 < 0 ? -exp10 : exp10);
	} else if (decpt <= 0) {
		used += (size_t)snprintf(buf + used, len - used, "0.");
		for (i = 0; i < -decpt && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, "0");
		snprintf(buf + used, len - used, "%s", digits);
	} else if (decpt >= nd) {
		used += (size_t)snprintf(buf + used, len - used, "%s", digits);
		for (i = nd; i < decpt && used < len; i++)
			used += (size_t)snprintf(buf + used, len - used, "0");
		snprintf(buf + used, len - used, ".0");
	} else {
		snprintf(buf + used, len - used, "%.*s.%s", decpt, digits,
			 digits + decpt);
	}
}

/*
 * A float field as 1.x's Python tools print it in the text format with
 * Debian's python3-protobuf (3.21, text_format's ToShortestFloat): the
 * shortest decimal from 6 digits on that reads back as the same float,
 * then as repr() writes that number (554791.06).  The flat format prints
 * the double Python read the float into instead (554791.0625).
 */
static void
python_float32(float v, char *buf, size_t len)
{
	char tmp[64];
	double r = v;
	int prec;

	if (isfinite(v))
		for (prec = 6; prec <= 9; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)v);
			r = strtod(tmp, NULL);
			if ((float)r == v)
				break;
		}
	ctl_python_float(r, buf, len);
}

/*
 * The fields a 1.x client knows: those after these numbers are new, and
 * 1.x's Python tools, which skip unknown fields, never printed them.
 */
static bool
known_to_1x(const ProtobufCMessageDescriptor *d, unsigned int id)
{
	if (d == &virtioforwarder__stats_response__descriptor)
		return id <= 2;
	if (d == &virtioforwarder__relay_state__descriptor)
		return id <= 9;
	if (d == &virtioforwarder__relay_state__vfto_vm__descriptor ||
	    d == &virtioforwarder__relay_state__vmto_vf__descriptor)
		return id <= 14;
	if (d == &virtioforwarder__port_control_response__descriptor)
		return id <= 7;
	return true;
}

/* A string as the text format quotes it (C escapes, octal for the rest). */
static void
text_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '"':
		case '\'':
		case '\\':
			fputc('\\', out);
			fputc(ch, out);
			break;
		default:
			if (ch < 0x20 || ch >= 0x7f)
				fprintf(out, "\\%03o", ch);
			else
				fputc(ch, out);
		}
	}
	fputc('"', out);
}

static void text_msg(FILE *out, const ProtobufCMessage *m, int indent);

static void
text_value(FILE *out, const ProtobufCFieldDescriptor *f, const void *p,
	   int indent)
{
	char num[64];

	if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
		const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)p;

		fprintf(out, "%*s%s {\n", indent, "", f->name);
		if (sub != NULL)
			text_msg(out, sub, indent + 2);
		fprintf(out, "%*s}\n", indent, "");
		return;
	}
	fprintf(out, "%*s%s: ", indent, "", f->name);
	if (print_scalar(out, f, p)) {
		fputc('\n', out);
		return;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_FLOAT:
		python_float32(*(const float *)p, num, sizeof(num));
		fputs(num, out);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		ctl_python_float(*(const double *)p, num, sizeof(num));
		fputs(num, out);
		break;
	case PROTOBUF_C_TYPE_STRING:
		text_string(out, *(const char *const *)p ? *(const char *const *)p : "");
		break;
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		size_t i;

		fputc('"', out);
		for (i = 0; i < b->len; i++)
			fprintf(out, "\\%03o", b->data[i]);
		fputc('"', out);
		break;
	}
	default:
		break;
	}
	fputc('\n', out);
}

/* The fields of 'm' in the order of their numbers, as the text format has
 * them. */
static void
text_msg(FILE *out, const ProtobufCMessage *m, int indent)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	unsigned int i, next, last = 0;
	size_t j, n;

	for (;;) {
		const ProtobufCFieldDescriptor *f = NULL;

		/* The field with the smallest number above the last one. */
		for (i = 0; i < d->n_fields; i++) {
			next = d->fields[i].id;
			if (next > last && (f == NULL || next < f->id))
				f = &d->fields[i];
		}
		if (f == NULL)
			break;
		last = f->id;
		if (!known_to_1x(d, f->id))
			continue;
		n = field_count(m, f);
		for (j = 0; j < n; j++)
			text_value(out, f, field_value(m, f, j), indent);
	}
}

void
ctl_print_text(FILE *f, const ProtobufCMessage *m)
{
	text_msg(f, m, 0);
}

/* A string line of 1.x's flat format. */
static void
flat_1x_str(FILE *f, const char *prefix, const char *key, const char *v)
{
	fprintf(f, "%s.%s=", prefix, key);
	flat_string(f, v ? v : "");
	fputc('\n', f);
}

/*
 * The statistics of a direction (VFtoVM or VMtoVF, whose fields have the
 * same numbers) in 1.x's order: packets and bytes received and sent, the
 * four rates, then the drops.
 */
static const unsigned int flat_1x_order[] = { 3, 4, 5, 6, 11, 12, 13, 14, 7, 8, 9, 10 };

/*
 * One direction 'dir' ("vf_to_vm") of an active relay: its active and
 * internal_state lines, then its statistics under "cpu_<cpu>", those that
 * are zero left out with 'nz' (-z).  1.x printed Python's float, the
 * double a float32 widens to.
 */
static void
flat_1x_direction(FILE *f, const char *prefix, const char *dir,
		  const ProtobufCMessage *m, int cpu, bool nz)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	const ProtobufCFieldDescriptor *fd;
	char key[128], num[64];
	size_t i;

	fd = protobuf_c_message_descriptor_get_field(d, 1);
	fprintf(f, "%s.%s.active=%s\n", prefix, dir,
		*(const protobuf_c_boolean *)field_value(m, fd, 0) ? "True" : "False");
	fd = protobuf_c_message_descriptor_get_field(d, 2);
	snprintf(key, sizeof(key), "%s.internal_state", dir);
	flat_1x_str(f, prefix, key, *(const char *const *)field_value(m, fd, 0));
	for (i = 0; i < sizeof(flat_1x_order) / sizeof(flat_1x_order[0]); i++) {
		fd = protobuf_c_message_descriptor_get_field(d, flat_1x_order[i]);
		if (fd->type == PROTOBUF_C_TYPE_FLOAT) {
			float v = *(const float *)field_value(m, fd, 0);

			if (nz && v == 0)
				continue;
			ctl_python_float((double)v, num, sizeof(num));
		} else {
			uint64_t v = *(const uint64_t *)field_value(m, fd, 0);

			if (nz && v == 0)
				continue;
			snprintf(num, sizeof(num), "%" PRIu64, v);
		}
		fprintf(f, "%s.%s.cpu_%d.%s=%s\n", prefix, dir, cpu, fd->name, num);
	}
}

void
ctl_print_flat_1x(FILE *f, const Virtioforwarder__StatsResponse *r,
		  bool suppress_zero)
{
	const Virtioforwarder__RelayState **sorted;
	char p[64];
	size_t i, j, n = r->n_relay;

	/* 1.x listed the relays in id order, whatever the answer's order. */
	sorted = calloc(n ? n : 1, sizeof(*sorted));
	if (sorted == NULL)
		return;
	for (i = 0; i < n; i++) {
		for (j = i; j > 0 && sorted[j - 1]->id > r->relay[i]->id; j--)
			sorted[j] = sorted[j - 1];
		sorted[j] = r->relay[i];
	}
	for (i = 0; i < n; i++) {
		const Virtioforwarder__RelayState *rs = sorted[i];
		const Virtioforwarder__RelayState__VFtoVM *a = rs->vf_to_vm;
		const Virtioforwarder__RelayState__VMtoVF *b = rs->vm_to_vf;
		const Virtioforwarder__RelayState__CPU *cpu = rs->cpu;
		int c0 = cpu && cpu->has_vf_to_vm ? cpu->vf_to_vm : -1;
		int c1 = cpu && cpu->has_vm_to_vf ? cpu->vm_to_vf : -1;

		snprintf(p, sizeof(p), "relay_%u", rs->id);
		fprintf(f, "%s.active=%s\n", p, rs->active ? "True" : "False");
		fprintf(f, "%s.cpu.vf_to_vm=%d\n%s.cpu.vm_to_vf=%d\n", p, c0, p, c1);
		if (rs->vf != NULL && rs->vf->pci_addr_str != NULL)
			flat_1x_str(f, p, "vf.pci_addr_str", rs->vf->pci_addr_str);
		if (rs->vhost != NULL)
			flat_1x_str(f, p, "vhost.vhost_socket_name",
				    rs->vhost->vhost_socket_name);
		if (a != NULL)
			flat_1x_direction(f, p, "vf_to_vm", &a->base, c0, suppress_zero);
		if (b != NULL)
			flat_1x_direction(f, p, "vm_to_vf", &b->base, c1, suppress_zero);
	}
	free(sorted);
}
