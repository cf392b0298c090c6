/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ZeroMQ control services.
 *
 * Each service answers REQ clients (1.x's tools and ours): one request
 * frame in, one reply frame out, through a ROUTER socket that checks the
 * envelope itself (see serve_one()).  The handlers turn a request into
 * calls on the port control and relay layers and build the reply;
 * anything that cannot be parsed gets the service's error reply, since a
 * REQ peer that gets no answer is stuck for good.
 */
#include <errno.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "virtioforwarder.pb-c.h"

#include "ctl_ops.h"
#include "ctl_slice.h"
#include "ctl_zmq.h"
#include "device.h"
#include "errmsg.h"
#include "log.h"
#include "parse.h"
#include "portctl.h"
#include "profile.h"
#include "relay.h"
#include "dataplane.h"
#include "stats.h"

/* A reply: a packed message in a malloc'd buffer. */
struct reply {
	uint8_t *buf;
	size_t len;
};

/* Handles one request of 'len' bytes (NULL when it was refused for its
 * size) and packs the answer into 'out'. */
typedef void (*handler_fn)(const uint8_t *req, size_t len, struct reply *out);

struct port_op;

struct service {
	const char *name;
	handler_fn handle;
	/* Handled on the operations thread (ctl_ops.h), one request at a
	 * time: the socket is not polled while one is under way. */
	bool off_thread;
	struct port_op *pending;
	void *sock;
	char endpoint[VFWD_EP_MAX];
	char ipc_path[PATH_MAX];     /* socket file of an ipc:// endpoint */
};

static void *zctx;
static struct service services[VFWD_CTL_N_SERVICES];
static unsigned int n_services;
static gid_t ctl_gid = (gid_t)-1;
/* The service whose requests are being answered (see serve_one()). */
static struct service *serving;

static void
pack(const ProtobufCMessage *m, struct reply *out)
{
	out->len = protobuf_c_message_get_packed_size(m);
	out->buf = malloc(out->len ? out->len : 1);
	if (out->buf == NULL) {
		out->len = 0;
		return;
	}
	protobuf_c_message_pack(m, out->buf);
}

/* ------------------------------------------------------------------ */
/* Port control                                                        */
/* ------------------------------------------------------------------ */

static const char *const op_names[] = {
	"ADD", "REMOVE", "ADD_SOCK", "REMOVE_SOCK", "QUERY_PCI", "SET_PROFILE",
};
#define N_OPS (sizeof(op_names) / sizeof(op_names[0]))

/* Room for an error message with every byte escaped. */
#define ESCAPED_MAX (4 * VFWD_ERR_MAX + 1)

/* 's' as a protobuf string, which must be UTF-8 (parse.h): error
 * messages quote what peers sent.  Returns 'buf'. */
static char *
utf8(const char *s, char *buf, size_t len)
{
	vfwd_text_escape(s, strlen(s), buf, len, NULL);
	return buf;
}

static void
port_control_reply(int rc, const char *err, const char *query, int relay,
		   struct reply *out)
{
	Virtioforwarder__PortControlResponse r = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
	char err_buf[ESCAPED_MAX], query_buf[ESCAPED_MAX];

	r.status = rc == 0 ? VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK
			   : VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR;
	if (rc != 0) {
		r.has_error_code = true;
		r.error_code = rc;
		r.error_code_source = utf8(err, err_buf, sizeof(err_buf));
	}
	if (query != NULL)
		r.query_string = utf8(query, query_buf, sizeof(query_buf));
	if (relay >= 0) {
		r.has_virtio_id = true;
		r.virtio_id = (uint32_t)relay;
	}
	pack(&r.base, out);
}

/*
 * Reads a VfProfile message into 'p': each field is the setting of the
 * same name (vfprofile.h), its value written as the text form has it and
 * parsed by the one parser every source uses.
 */
static int
request_profile(const Virtioforwarder__VfProfile *m, struct vfwd_vf_profile *p,
		char *err, size_t errlen)
{
	const ProtobufCMessageDescriptor *desc = m->base.descriptor;
	char value[64], inner[VFWD_ERR_MAX];
	size_t i;
	int rc;

	memset(p, 0, sizeof(*p));
	for (i = 0; i < vfwd_vf_profile_n_settings(); i++) {
		const char *name = vfwd_vf_profile_setting_name(i);
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(desc, name);
		const char *base = (const char *)m;

		if (f == NULL)
			continue;
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			const char *v = *(const char *const *)(base + f->offset);

			if (v == NULL)
				continue;
			vfwd_text_escape(v, strlen(v), value, sizeof(value), NULL);
		} else {
			if (!*(const protobuf_c_boolean *)(base + f->quantifier_offset))
				continue;
			if (f->type == PROTOBUF_C_TYPE_BOOL)
				snprintf(value, sizeof(value), "%s",
					 *(const protobuf_c_boolean *)(base + f->offset) ?
					 "on" : "off");
			else
				snprintf(value, sizeof(value), "%u",
					 *(const uint32_t *)(base + f->offset));
		}
		rc = vfwd_vf_profile_set(p, name, value, inner, sizeof(inner));
		if (rc != 0) {
			ERR("vf_profile: %s", inner);
			return rc;
		}
	}
	rc = vfwd_vf_profile_check(p, inner, sizeof(inner));
	if (rc != 0)
		ERR("vf_profile: %s", inner);
	return rc;
}

/* Collects the request's devices (PCI addresses, then devargs strings). */
static int
request_devices(const Virtioforwarder__PortControlRequest *q,
		char names[][VFWD_DEVSPEC_MAX], struct vfwd_portctl_dev *d,
		char *err, size_t errlen)
{
	size_t i, n = q->n_pci_addrs + q->n_device;

	memset(d, 0, sizeof(*d));
	if (n > VFWD_BOND_MAX_MEMBERS) {
		ERR("%zu devices: a bond has at most %d members", n, VFWD_BOND_MAX_MEMBERS);
		return -E2BIG;
	}
	for (i = 0; i < q->n_pci_addrs; i++) {
		const Virtioforwarder__PortControlRequest__PciAddress *a = q->pci_addrs[i];

		/* Domains may exceed ffff (Intel VMD uses 10000 and up). */
		if (a->bus > 0xff || a->slot > 0x1f || a->function > 7) {
			ERR("PCI address %04x:%02x:%02x.%x: out of range (bus <= ff, "
			    "slot <= 1f, function <= 7)", a->domain, a->bus, a->slot,
			    a->function);
			return -EINVAL;
		}
		snprintf(names[d->n], VFWD_DEVSPEC_MAX, "%04x:%02x:%02x.%x",
			 a->domain, a->bus, a->slot, a->function);
		d->devs[d->n] = names[d->n];
		d->n++;
	}
	for (i = 0; i < q->n_device; i++) {
		if (strlen(q->device[i]) >= VFWD_DEVSPEC_MAX) {
			ERR("device: longer than %d characters", VFWD_DEVSPEC_MAX - 1);
			return -EINVAL;
		}
		/* The same rules as every other source of devices. */
		if (vfwd_parse_devspec(q->device[i], names[d->n], VFWD_DEVSPEC_MAX,
				       err, errlen) != 0)
			return -EINVAL;
		d->devs[d->n] = names[d->n];
		d->n++;
	}
	d->bond_name = q->name;
	d->bond_mode = q->has_mode ? q->mode : 1;
	return 0;
}

static void
handle_port_control(const uint8_t *req, size_t len, struct reply *out)
{
	char names[VFWD_BOND_MAX_MEMBERS][VFWD_DEVSPEC_MAX];
	char err[VFWD_ERR_MAX] = "", query[VFWD_DEVSPEC_MAX];
	Virtioforwarder__PortControlRequest *q;
	struct vfwd_portctl_dev d;
	struct vfwd_vf_profile profile;
	unsigned int relay = 0;
	uint64_t t0 = vfwd_mono_us();
	bool cond;
	int rc, id = -1;
	const char *what;

	if (req == NULL) {
		port_control_reply(-EMSGSIZE, "request larger than 64 KiB", NULL, -1, out);
		return;
	}
	q = virtioforwarder__port_control_request__unpack(NULL, len, req);
	if (q == NULL) {
		port_control_reply(-EBADMSG, "cannot parse the request as a "
				   "PortControlRequest (required field missing, or "
				   "not protobuf)", NULL, -1, out);
		return;
	}
	cond = q->has_conditional ? q->conditional : true;
	rc = request_devices(q, names, &d, err, sizeof(err));
	if (rc != 0)
		goto reply;
	if (q->vf_profile != NULL) {
		rc = request_profile(q->vf_profile, &profile, err, sizeof(err));
		if (rc != 0)
			goto reply;
		d.profile = &profile;
	}
	what = d.n > 1 ? d.bond_name : d.n == 1 ? d.devs[0] : q->name;

	switch (q->op) {
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD:
		if (!q->has_virtio_id) {
			rc = -EINVAL;
			snprintf(err, sizeof(err), "ADD: virtio_id (the relay) is required");
			break;
		}
		rc = vfwd_portctl_add(q->virtio_id, &d, cond, err, sizeof(err));
		id = rc == 0 ? (int)q->virtio_id : -1;
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE:
		/* A bond goes by its name; a device by its address. */
		if (q->name != NULL && q->name[0] != '\0')
			what = q->name;
		else if (d.n != 1) {
			rc = -EINVAL;
			snprintf(err, sizeof(err), "REMOVE: give one device, or a bond's name");
			break;
		}
		rc = vfwd_portctl_remove(q->has_virtio_id ? (int)q->virtio_id : -1,
					 what, cond, err, sizeof(err));
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__ADD_SOCK:
		rc = vfwd_portctl_add_sock(q->vhost_path, &d, cond, &relay, err,
					   sizeof(err));
		id = rc == 0 ? (int)relay : -1;
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__REMOVE_SOCK:
		if (q->name != NULL && q->name[0] != '\0')
			what = q->name;
		rc = vfwd_portctl_remove_sock(q->vhost_path, d.n > 0 || q->name ? what : NULL,
					      cond, err, sizeof(err));
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__QUERY_PCI:
		rc = vfwd_portctl_query(q->vhost_path, query, sizeof(query), err,
					sizeof(err));
		if (rc == 0) {
			port_control_reply(0, NULL, query, -1, out);
			VLOG_DBG("port control: QUERY_PCI %s: %s", q->vhost_path, query);
			goto done;
		}
		break;
	case VIRTIOFORWARDER__PORT_CONTROL_REQUEST__OP__SET_PROFILE:
		if (!q->has_virtio_id) {
			rc = -EINVAL;
			snprintf(err, sizeof(err), "SET_PROFILE: virtio_id (the relay) "
				 "is required");
			break;
		}
		if (q->vf_profile == NULL)
			memset(&profile, 0, sizeof(profile));
		rc = vfwd_portctl_set_profile(q->virtio_id, &profile, err, sizeof(err));
		id = rc == 0 ? (int)q->virtio_id : -1;
		break;
	default:
		rc = -EOPNOTSUPP;
		snprintf(err, sizeof(err), "unknown op %d (allowed: 0 ADD, 1 REMOVE, "
			 "2 ADD_SOCK, 3 REMOVE_SOCK, 4 QUERY_PCI, 5 SET_PROFILE)",
			 (int)q->op);
		break;
	}
	/* Changes are always logged, with how long they took (1.x's tools
	 * give up after 2 s); refusals, which a client can repeat without
	 * end, are rate-limited. */
	if ((unsigned int)q->op < N_OPS && rc == 0)
		VLOG_INFO("port control: %s %s%s%s: done in %.3f s", op_names[q->op],
			  what ? what : "", q->vhost_path ? " " : "",
			  q->vhost_path ? q->vhost_path : "",
			  (double)(vfwd_mono_us() - t0) / 1e6);
	else if ((unsigned int)q->op < N_OPS)
		VLOG_INFO_RL("port control: %s %s%s%s: failed: %s", op_names[q->op],
			     what ? what : "", q->vhost_path ? " " : "",
			     q->vhost_path ? q->vhost_path : "", err);
reply:
	port_control_reply(rc, err, NULL, id, out);
done:
	virtioforwarder__port_control_request__free_unpacked(q, NULL);
}

/* ------------------------------------------------------------------ */
/* Stats                                                               */
/* ------------------------------------------------------------------ */

/* Everything one RelayState points to, in one allocation. */
struct relay_msg {
	Virtioforwarder__RelayState rs;
	Virtioforwarder__RelayState__CPU cpu;
	Virtioforwarder__RelayState__VHOST vhost;
	Virtioforwarder__RelayState__VF vf;
	Virtioforwarder__RelayState__VFtoVM f2m;
	Virtioforwarder__RelayState__VMtoVF m2f;
	Virtioforwarder__RelayState__Queue q[VFWD_MAX_QUEUE_PAIRS];
	Virtioforwarder__RelayState__Queue *qp[VFWD_MAX_QUEUE_PAIRS];
	struct vfwd_relay_info ri;
	struct vfwd_profile_info prof;
	char f2m_state[64], m2f_state[64];
};

static void
stats_reply_status(int status, struct reply *out)
{
	Virtioforwarder__StatsResponse r = VIRTIOFORWARDER__STATS_RESPONSE__INIT;

	r.status = status;
	pack(&r.base, out);
}

/* Describes what a direction is doing, for operators. */
static void
dir_state(const struct vfwd_relay_info *ri, enum vfwd_dir d, char *buf, size_t len)
{
	uint32_t q = d == VFWD_DIR_VF_TO_VM ? ri->rxq_enabled : ri->txq_enabled;

	if (!ri->has_device && !ri->guest_connected)
		snprintf(buf, len, "idle: no device, no guest");
	else if (!ri->has_device)
		snprintf(buf, len, "no device");
	else if (!ri->guest_connected)
		snprintf(buf, len, "no guest");
	else if (q == 0)
		snprintf(buf, len, "guest %s queues disabled",
			 d == VFWD_DIR_VF_TO_VM ? "RX" : "TX");
	else
		snprintf(buf, len, "forwarding%s", ri->dirty_logging ? " (migrating)" : "");
}

static void
fill_relay(struct relay_msg *m, bool queues, unsigned int window)
{
	struct vfwd_relay_info *ri = &m->ri;
	struct vfwd_dir_rates rt[VFWD_N_DIRS];
	const struct vfwd_dir_counters *f = &ri->dir[VFWD_DIR_VF_TO_VM];
	const struct vfwd_dir_counters *t = &ri->dir[VFWD_DIR_VM_TO_VF];
	bool active = ri->has_device && ri->guest_connected;

	virtioforwarder__relay_state__init(&m->rs);
	virtioforwarder__relay_state__cpu__init(&m->cpu);
	virtioforwarder__relay_state__vhost__init(&m->vhost);
	virtioforwarder__relay_state__vf__init(&m->vf);
	virtioforwarder__relay_state__vfto_vm__init(&m->f2m);
	virtioforwarder__relay_state__vmto_vf__init(&m->m2f);
	vfwd_stats_rates(ri->id, window, rt);

	m->rs.id = ri->id;
	m->rs.active = active;
	if (ri->ident[0] != '\0')
		m->rs.ident = ri->ident;
	m->cpu.has_vf_to_vm = m->cpu.has_vm_to_vf = true;
	m->cpu.vf_to_vm = ri->cpu[VFWD_DIR_VF_TO_VM];
	m->cpu.vm_to_vf = ri->cpu[VFWD_DIR_VM_TO_VF];
	m->rs.cpu = &m->cpu;
	m->vhost.vhost_socket_name = ri->socket;
	m->rs.vhost = &m->vhost;
	if (ri->has_device) {
		m->vf.pci_addr_str = ri->device;
		m->rs.vf = &m->vf;
	}
	m->rs.socket_id = ri->numa >= 0 ? (uint32_t)ri->numa : UINT32_MAX;
	if (ri->guest_connected) {
		m->rs.has_negotiated_features = true;
		m->rs.negotiated_features = ri->features;
	}
	if (ri->offered != 0) {
		m->rs.has_offered_features = true;
		m->rs.offered_features = ri->offered;
	}
	if (ri->pool_size != 0) {
		m->rs.has_pool_size = m->rs.has_pool_in_use = true;
		m->rs.pool_size = ri->pool_size;
		m->rs.pool_in_use = ri->pool_in_use;
	}
	m->rs.has_gro = true;
	m->rs.gro = ri->gro;
	vfwd_profile_info(ri->id, &m->prof);
	if (m->prof.profile[0] != '\0')
		m->rs.vf_profile = m->prof.profile;
	if (m->prof.learned_mac[0] != '\0')
		m->rs.vf_learned_mac = m->prof.learned_mac;
	if (m->prof.status[0] != '\0')
		m->rs.vf_profile_status = m->prof.status;
	if (ri->has_device) {
		m->rs.has_device_tx_errors = m->rs.has_device_offloads = true;
		m->rs.has_device_mtu = true;
		m->rs.device_tx_errors = ri->dev_oerrors;
		m->rs.device_offloads = ri->dev_ofl;
		m->rs.device_mtu = ri->dev_mtu;
	}

	dir_state(ri, VFWD_DIR_VF_TO_VM, m->f2m_state, sizeof(m->f2m_state));
	m->f2m.active = active && ri->rxq_enabled != 0;
	m->f2m.internal_state = m->f2m_state;
#define SET(msg, field, val) ((msg).has_##field = true, (msg).field = (val))
/* The offload path's counters, named alike in both directions. */
#define SET_OFFLOAD(msg, c) do {						\
	SET(msg, pkts_dropped_too_big, (c)->drop_too_big_pkts);		\
	SET(msg, bytes_dropped_too_big, (c)->drop_too_big_bytes);	\
	SET(msg, pkts_dropped_bad_offload, (c)->drop_bad_offload_pkts);	\
	SET(msg, bytes_dropped_bad_offload, (c)->drop_bad_offload_bytes); \
	SET(msg, pkts_dropped_no_buffers, (c)->drop_no_buffers_pkts);	\
	SET(msg, bytes_dropped_no_buffers, (c)->drop_no_buffers_bytes);	\
	SET(msg, pkts_dropped_truncated, (c)->drop_truncated_pkts);	\
	SET(msg, bytes_dropped_truncated, (c)->drop_truncated_bytes);	\
	SET(msg, pkts_dropped_spoofed, (c)->drop_spoofed_pkts);		\
	SET(msg, bytes_dropped_spoofed, (c)->drop_spoofed_bytes);	\
	SET(msg, pkts_tso_device, (c)->tso_device_pkts);		\
	SET(msg, pkts_tso_software, (c)->tso_software_pkts);		\
	SET(msg, pkts_csum_software, (c)->csum_software_pkts);		\
	SET(msg, pkts_coalesced, (c)->coalesced_pkts);			\
} while (0)
	SET(m->f2m, pkts_rx_from_vf, f->rx_pkts);
	SET(m->f2m, bytes_rx_from_vf, f->rx_bytes);
	SET(m->f2m, pkts_tx_to_vm, f->tx_pkts);
	SET(m->f2m, bytes_tx_to_vm, f->tx_bytes);
	SET(m->f2m, pkts_dropped_vm_queue_full, f->drop_full_pkts);
	SET(m->f2m, bytes_dropped_vm_queue_full, f->drop_full_bytes);
	SET(m->f2m, pkts_dropped_vm_not_connected, f->drop_nc_pkts);
	SET(m->f2m, bytes_dropped_vm_not_connected, f->drop_nc_bytes);
	SET_OFFLOAD(m->f2m, f);
	m->f2m.pkt_rate_rx_from_vf = rt[VFWD_DIR_VF_TO_VM].rx_pps;
	m->f2m.byte_rate_rx_from_vf = rt[VFWD_DIR_VF_TO_VM].rx_bps;
	m->f2m.pkt_rate_tx_to_vm = rt[VFWD_DIR_VF_TO_VM].tx_pps;
	m->f2m.byte_rate_tx_to_vm = rt[VFWD_DIR_VF_TO_VM].tx_bps;
	m->rs.vf_to_vm = &m->f2m;

	dir_state(ri, VFWD_DIR_VM_TO_VF, m->m2f_state, sizeof(m->m2f_state));
	m->m2f.active = active && ri->txq_enabled != 0;
	m->m2f.internal_state = m->m2f_state;
	SET(m->m2f, pkts_rx_from_vm, t->rx_pkts);
	SET(m->m2f, bytes_rx_from_vm, t->rx_bytes);
	SET(m->m2f, pkts_tx_to_vf, t->tx_pkts);
	SET(m->m2f, bytes_tx_to_vf, t->tx_bytes);
	SET(m->m2f, pkts_dropped_vf_queue_full, t->drop_full_pkts);
	SET(m->m2f, bytes_dropped_vf_queue_full, t->drop_full_bytes);
	SET(m->m2f, pkts_dropped_vf_not_connected, t->drop_nc_pkts);
	SET(m->m2f, bytes_dropped_vf_not_connected, t->drop_nc_bytes);
	SET_OFFLOAD(m->m2f, t);
	m->m2f.pkt_rate_rx_from_vm = rt[VFWD_DIR_VM_TO_VF].rx_pps;
	m->m2f.byte_rate_rx_from_vm = rt[VFWD_DIR_VM_TO_VF].rx_bps;
	m->m2f.pkt_rate_tx_to_vf = rt[VFWD_DIR_VM_TO_VF].tx_pps;
	m->m2f.byte_rate_tx_to_vf = rt[VFWD_DIR_VM_TO_VF].tx_bps;
	m->rs.vm_to_vf = &m->m2f;

	if (queues) {
		struct vfwd_queue_counters qc[VFWD_N_DIRS][VFWD_MAX_QUEUE_PAIRS];
		unsigned int i, n = 0;

		vfwd_dp_queue_counters(ri->id, VFWD_DIR_VF_TO_VM, qc[VFWD_DIR_VF_TO_VM]);
		vfwd_dp_queue_counters(ri->id, VFWD_DIR_VM_TO_VF, qc[VFWD_DIR_VM_TO_VF]);
		for (i = 0; i < VFWD_MAX_QUEUE_PAIRS; i++) {
			Virtioforwarder__RelayState__Queue *q = &m->q[n];
			const struct vfwd_queue_counters *to = &qc[VFWD_DIR_VF_TO_VM][i];
			const struct vfwd_queue_counters *from = &qc[VFWD_DIR_VM_TO_VF][i];
			bool rx_on = ri->rxq_enabled & (1u << i);
			bool tx_on = ri->txq_enabled & (1u << i);

			if (!rx_on && !tx_on && to->pkts == 0 && from->pkts == 0)
				continue;
			virtioforwarder__relay_state__queue__init(q);
			q->index = i;
			SET(*q, pkts_to_vm, to->pkts);
			SET(*q, bytes_to_vm, to->bytes);
			SET(*q, pkts_from_vm, from->pkts);
			SET(*q, bytes_from_vm, from->bytes);
			SET(*q, rx_enabled, rx_on);
			SET(*q, tx_enabled, tx_on);
			m->qp[n++] = q;
		}
		m->rs.n_queue = n;
		m->rs.queue = m->qp;
	}
#undef SET_OFFLOAD
#undef SET
}

static void
handle_stats(const uint8_t *req, size_t len, struct reply *out)
{
	Virtioforwarder__StatsResponse r = VIRTIOFORWARDER__STATS_RESPONSE__INIT;
	Virtioforwarder__WorkerLoad wl[VFWD_MAX_CPUS], *wlp[VFWD_MAX_CPUS];
	Virtioforwarder__RelayState *rsp[VFWD_MAX_RELAYS];
	Virtioforwarder__StatsRequest *q;
	struct relay_msg *msgs[VFWD_MAX_RELAYS], *m = NULL;
	bool inactive, want[VFWD_MAX_RELAYS] = { false };
	unsigned int i, n = 0, n_workers = vfwd_dp_n_workers();

	if (req == NULL) {
		stats_reply_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG, out);
		return;
	}
	q = virtioforwarder__stats_request__unpack(NULL, len, req);
	if (q == NULL) {
		stats_reply_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR, out);
		return;
	}
	if (q->n_relay > VFWD_MAX_RELAYS) {
		stats_reply_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__E2BIG, out);
		goto done;
	}
	for (i = 0; i < q->n_relay; i++) {
		if (q->relay[i] >= VFWD_MAX_RELAYS) {
			stats_reply_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__EBADR, out);
			goto done;
		}
		want[q->relay[i]] = true;
	}
	inactive = q->has_include_inactive ? q->include_inactive : true;
	/* One allocation per relay reported, not one for all 64 slots: a
	 * relay's message is several KiB, and most hosts have few relays. */
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (q->n_relay > 0 && !want[i])
			continue;
		if (m == NULL && (m = calloc(1, sizeof(*m))) == NULL) {
			stats_reply_status(VIRTIOFORWARDER__STATS_RESPONSE__STATUS__ENOMEM, out);
			goto free_msgs;
		}
		if (vfwd_relay_info(i, &m->ri) != 0)
			continue;
		if (!inactive && !(m->ri.has_device && m->ri.guest_connected))
			continue;
		fill_relay(m, q->has_include_queues && q->include_queues,
			   q->has_delay ? q->delay : 0);
		msgs[n] = m;
		rsp[n++] = &m->rs;
		m = NULL;
	}
	for (i = 0; i < n_workers; i++) {
		struct vfwd_worker_info wi;

		vfwd_dp_worker_info(i, &wi);
		virtioforwarder__worker_load__init(&wl[i]);
		wl[i].cpu = wi.lcore;
		wl[i].has_busy_cycles = wl[i].has_idle_cycles = wl[i].has_load = true;
		wl[i].busy_cycles = wi.busy_cycles;
		wl[i].idle_cycles = wi.idle_cycles;
		wl[i].load = vfwd_stats_worker_load(i, q->has_delay ? q->delay : 0);
		wl[i].has_socket_id = true;
		wl[i].socket_id = wi.numa;
		wl[i].has_sleep_cycles = wl[i].has_wakeups = wl[i].has_sleep = true;
		wl[i].sleep_cycles = wi.sleep_cycles;
		wl[i].wakeups = wi.wakeups;
		wl[i].sleep = vfwd_stats_worker_sleep(i, q->has_delay ? q->delay : 0);
		wlp[i] = &wl[i];
	}
	r.status = VIRTIOFORWARDER__STATS_RESPONSE__STATUS__OK;
	r.n_relay = n;
	r.relay = rsp;
	r.n_worker = n_workers;
	r.worker = wlp;
	r.has_max_ports = r.has_ports_in_use = true;
	r.max_ports = vfwd_device_max_ports();
	r.ports_in_use = vfwd_device_ports_in_use();
	pack(&r.base, out);
free_msgs:
	free(m);
	for (i = 0; i < n; i++)
		free(msgs[i]);
done:
	virtioforwarder__stats_request__free_unpacked(q, NULL);
}

/* ------------------------------------------------------------------ */
/* Config and core scheduling                                          */
/* ------------------------------------------------------------------ */

/* The live relay-to-CPU map: where each relay's directions run now, or
 * where they are pinned to run once the relay is in use. */
static size_t
cpu_map(Virtioforwarder__RelayCPU *map, Virtioforwarder__RelayCPU **ptrs)
{
	struct vfwd_relay_info ri;
	unsigned int i;
	size_t n = 0;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		int c0, c1;

		if (vfwd_relay_info(i, &ri) != 0)
			continue;
		c0 = ri.cpu[VFWD_DIR_VF_TO_VM] >= 0 ? ri.cpu[VFWD_DIR_VF_TO_VM]
						    : ri.pin[VFWD_DIR_VF_TO_VM];
		c1 = ri.cpu[VFWD_DIR_VM_TO_VF] >= 0 ? ri.cpu[VFWD_DIR_VM_TO_VF]
						    : ri.pin[VFWD_DIR_VM_TO_VF];
		if (c0 < 0 && c1 < 0)
			continue;
		virtioforwarder__relay_cpu__init(&map[n]);
		map[n].relay_number = (int32_t)i;
		map[n].vf2virtio_cpu = c0;
		map[n].virtio2vf_cpu = c1;
		ptrs[n] = &map[n];
		n++;
	}
	return n;
}

static void
handle_config(const uint8_t *req, size_t len, struct reply *out)
{
	Virtioforwarder__ConfigResponse r = VIRTIOFORWARDER__CONFIG_RESPONSE__INIT;
	Virtioforwarder__RelayCPU map[VFWD_MAX_RELAYS], *ptrs[VFWD_MAX_RELAYS];
	Virtioforwarder__ConfigRequest *q = NULL;

	if (req != NULL)
		q = virtioforwarder__config_request__unpack(NULL, len, req);
	if (q == NULL) {
		r.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__EBADR;
		pack(&r.base, out);
		return;
	}
	r.status = VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK;
	r.n_relay_cpu_map = cpu_map(map, ptrs);
	r.relay_cpu_map = ptrs;
	pack(&r.base, out);
	virtioforwarder__config_request__free_unpacked(q, NULL);
}

static void
core_sched_reply(int rc, const char *err, struct reply *out)
{
	Virtioforwarder__CoreSchedResponse r = VIRTIOFORWARDER__CORE_SCHED_RESPONSE__INIT;
	uint32_t cores[VFWD_MAX_CPUS];
	char err_buf[ESCAPED_MAX];
	struct vfwd_worker_info wi;
	unsigned int i;

	r.status = rc == 0 ? VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK
			   : VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__ERROR;
	if (rc != 0) {
		r.has_error_code = true;
		r.error_code = rc;
		r.error_code_source = utf8(err, err_buf, sizeof(err_buf));
	}
	for (i = 0; i < vfwd_dp_n_workers(); i++) {
		vfwd_dp_worker_info(i, &wi);
		cores[i] = wi.lcore;
	}
	r.n_eal_cores = vfwd_dp_n_workers();
	r.eal_cores = cores;
	pack(&r.base, out);
}

/* Checks every entry of an UPDATE before any is applied: a bad entry
 * anywhere leaves all relays where they are. */
static int
check_update(const Virtioforwarder__CoreSchedRequest *q, char *err, size_t errlen)
{
	size_t i;

	if (q->n_relay_cpu_map > VFWD_MAX_RELAYS) {
		ERR("UPDATE: %zu entries, at most %d", q->n_relay_cpu_map, VFWD_MAX_RELAYS);
		return -E2BIG;
	}
	for (i = 0; i < q->n_relay_cpu_map; i++) {
		const Virtioforwarder__RelayCPU *m = q->relay_cpu_map[i];
		int cpus[2] = { m->vf2virtio_cpu, m->virtio2vf_cpu }, j;

		if (m->relay_number < 0 || m->relay_number >= VFWD_MAX_RELAYS) {
			ERR("UPDATE: relay %d: out of range (0 to %d)", m->relay_number,
			    VFWD_MAX_RELAYS - 1);
			return -ERANGE;
		}
		for (j = 0; j < 2; j++)
			if (cpus[j] < 0 || vfwd_dp_worker_by_cpu(cpus[j]) < 0) {
				ERR("UPDATE: relay %d: CPU %d is not a worker CPU",
				    m->relay_number, cpus[j]);
				return -EINVAL;
			}
	}
	return 0;
}

static void
handle_core_sched(const uint8_t *req, size_t len, struct reply *out)
{
	Virtioforwarder__CoreSchedRequest *q;
	char err[VFWD_ERR_MAX] = "";
	size_t i;
	int rc = 0;

	if (req == NULL) {
		core_sched_reply(-EMSGSIZE, "request larger than 64 KiB", out);
		return;
	}
	q = virtioforwarder__core_sched_request__unpack(NULL, len, req);
	if (q == NULL) {
		core_sched_reply(-EBADMSG, "cannot parse the request as a "
				 "CoreSchedRequest", out);
		return;
	}
	switch (q->op) {
	case VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES:
		break;
	case VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE:
		rc = check_update(q, err, sizeof(err));
		for (i = 0; rc == 0 && i < q->n_relay_cpu_map; i++) {
			const Virtioforwarder__RelayCPU *m = q->relay_cpu_map[i];

			rc = vfwd_relay_move((unsigned int)m->relay_number, m->vf2virtio_cpu,
					     m->virtio2vf_cpu, err, sizeof(err));
			if (rc == 0)
				VLOG_INFO("core scheduling: relay %d to CPUs %d,%d",
					  m->relay_number, m->vf2virtio_cpu, m->virtio2vf_cpu);
		}
		break;
	default:
		rc = -EOPNOTSUPP;
		snprintf(err, sizeof(err), "unknown op %d (allowed: 0 UPDATE, "
			 "1 GET_EAL_CORES)", (int)q->op);
	}
	core_sched_reply(rc, err, out);
	virtioforwarder__core_sched_request__free_unpacked(q, NULL);
}

/* ------------------------------------------------------------------ */
/* Sockets                                                             */
/* ------------------------------------------------------------------ */

/* Makes the directory of an ipc:// socket: missing parts are created
 * root-only, readable by the control group. */
static int
make_ipc_dir(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX], *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (p == NULL || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;

			*p = '\0';
			if (mkdir(dir, 0750) == 0) {
				/* mkdir's mode passes through the umask. */
				if (chmod(dir, 0750) != 0 ||
				    (ctl_gid != (gid_t)-1 && chown(dir, 0, ctl_gid) != 0))
					VLOG_WARN("%s: %s", dir, strerror(errno));
			} else if (errno != EEXIST) {
				int rc = -errno;

				ERR("%s: cannot create directory for the control "
				    "socket: %s", dir, strerror(-rc));
				return rc;
			}
			*p = c;
			if (c == '\0')
				break;
		}
	}
	return 0;
}

/* Is something listening on the unix socket 'path'?  Only a socket file
 * nobody answers on is stale and may be replaced. */
static bool
ipc_in_use(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	bool used;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return false;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	used = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return used;
}

/* Sets option 'option' (named 'what' in messages) of the socket of 's'. */
static int
set_sockopt(const struct service *s, int option, const char *what,
	    const void *value, size_t len, char *err, size_t errlen)
{
	int rc;

	if (zmq_setsockopt(s->sock, option, value, len) == 0)
		return 0;
	rc = -zmq_errno();
	ERR("%s service: cannot set %s: %s", s->name, what, zmq_strerror(-rc));
	return rc;
}

static int
open_service(const char *name, const char *endpoint, handler_fn handle,
	     char *err, size_t errlen)
{
	struct service *s = &services[n_services];
	int64_t maxmsg = 16 * 1024 * 1024;
	int linger = 0, rc;

	memset(s, 0, sizeof(*s));
	s->name = name;
	s->handle = handle;
	snprintf(s->endpoint, sizeof(s->endpoint), "%s", endpoint);
	if (strncmp(endpoint, "ipc://", 6) == 0) {
		snprintf(s->ipc_path, sizeof(s->ipc_path), "%s", endpoint + 6);
		rc = make_ipc_dir(s->ipc_path, err, errlen);
		if (rc != 0)
			return rc;
		if (ipc_in_use(s->ipc_path)) {
			ERR("%s service: %s is in use (another virtio-forwarder? "
			    "set a different endpoint)", name, endpoint);
			return -EADDRINUSE;
		}
		/* A socket file a killed daemon left would make bind fail. */
		unlink(s->ipc_path);
	} else if (strncmp(endpoint, "tcp://", 6) == 0) {
		VLOG_WARN("%s service on %s: anyone who can reach it can use it "
			  "(ZeroMQ tcp has no access control); prefer ipc://",
			  name, endpoint);
	}
	s->sock = zmq_socket(zctx, ZMQ_ROUTER);
	if (s->sock == NULL) {
		ERR("%s service: %s", name, zmq_strerror(zmq_errno()));
		return -ENOMEM;
	}
	/*
	 * Both matter: without ZMQ_LINGER 0 an unsent reply would hold up
	 * the shutdown, and ZMQ_MAXMSGSIZE bounds what a peer can make us
	 * buffer.
	 */
	rc = set_sockopt(s, ZMQ_LINGER, "ZMQ_LINGER", &linger, sizeof(linger),
			 err, errlen);
	if (rc == 0)
		rc = set_sockopt(s, ZMQ_MAXMSGSIZE, "ZMQ_MAXMSGSIZE", &maxmsg,
				 sizeof(maxmsg), err, errlen);
	if (rc != 0) {
		zmq_close(s->sock);
		s->sock = NULL;
		return rc;
	}
	if (zmq_bind(s->sock, endpoint) != 0) {
		ERR("%s service: cannot bind %s: %s", name, endpoint,
		    zmq_strerror(zmq_errno()));
		zmq_close(s->sock);
		s->sock = NULL;
		return -EADDRNOTAVAIL;
	}
	if (s->ipc_path[0] != '\0') {
		if (chmod(s->ipc_path, 0660) != 0 ||
		    (ctl_gid != (gid_t)-1 && chown(s->ipc_path, 0, ctl_gid) != 0))
			VLOG_WARN("%s: cannot set permissions: %s", s->ipc_path,
				  strerror(errno));
	}
	VLOG_INFO("%s service on %s", name, endpoint);
	n_services++;
	return 0;
}

int
vfwd_ctl_zmq_open(const struct vfwd_config *cfg, bool port_control,
		  char *err, size_t errlen)
{
	int rc = 0;

	ctl_gid = (gid_t)-1;
	if (cfg->socket_group[0] != '\0') {
		struct group *g = getgrnam(cfg->socket_group);

		if (g != NULL)
			ctl_gid = g->gr_gid;
	}
	zctx = zmq_ctx_new();
	if (zctx == NULL) {
		ERR("ZeroMQ: %s", zmq_strerror(zmq_errno()));
		return -ENOMEM;
	}
	if (port_control && cfg->zmq_port_control_ep[0] != '\0') {
		rc = open_service("port control", cfg->zmq_port_control_ep,
				  handle_port_control, err, errlen);
		/* Devices take long to attach and to close. */
		if (rc == 0)
			services[n_services - 1].off_thread = vfwd_ops_started();
	}
	if (rc == 0 && cfg->zmq_stats_ep[0] != '\0')
		rc = open_service("stats", cfg->zmq_stats_ep, handle_stats, err, errlen);
	if (rc == 0 && cfg->zmq_config_ep[0] != '\0')
		rc = open_service("config", cfg->zmq_config_ep, handle_config, err, errlen);
	if (rc == 0 && cfg->core_sched_enable && cfg->zmq_core_sched_ep[0] != '\0')
		rc = open_service("core scheduling", cfg->zmq_core_sched_ep,
				  handle_core_sched, err, errlen);
	if (rc != 0)
		vfwd_ctl_zmq_close();
	return rc;
}

static void
zmq_fill(struct vfwd_pollset *ps)
{
	unsigned int i;

	for (i = 0; i < n_services; i++)
		/* Not while its request is on the operations thread: its
		 * next ones wait in ZeroMQ's queue. */
		if (services[i].pending == NULL)
			vfwd_pollset_add_zmq(ps, services[i].sock, POLLIN);
}

/* The handler of each service, for vfwd_ctl_zmq_handle(). */
static const handler_fn handlers[VFWD_CTL_N_SERVICES] = {
	[VFWD_CTL_PORT_CONTROL] = handle_port_control,
	[VFWD_CTL_STATS] = handle_stats,
	[VFWD_CTL_CONFIG] = handle_config,
	[VFWD_CTL_CORE_SCHED] = handle_core_sched,
};

int
vfwd_ctl_zmq_handle(enum vfwd_ctl_service svc, const void *req, size_t len,
		    void **reply, size_t *reply_len)
{
	struct reply out = { NULL, 0 };

	if ((unsigned int)svc >= VFWD_CTL_N_SERVICES)
		return -EINVAL;
	handlers[svc](len <= VFWD_CTL_MAX_REQUEST ? req : NULL, len, &out);
	*reply = out.buf;
	*reply_len = out.len;
	return out.buf != NULL ? 0 : -ENOMEM;
}

/* Routing frames a request may carry before its delimiter: one per
 * ROUTER/DEALER hop between the REQ client and us. */
#define ENVELOPE_MAX 8

/* One request as a ROUTER socket receives it from a REQ peer. */
struct request {
	zmq_msg_t env[ENVELOPE_MAX]; /* routing frames, then the empty delimiter */
	int n_env;
	zmq_msg_t body;              /* the request itself */
};

static void
request_free(struct request *r)
{
	int i;

	for (i = 0; i < r->n_env; i++)
		zmq_msg_close(&r->env[i]);
	zmq_msg_close(&r->body);
	r->n_env = 0;
}

/*
 * Reads one whole message from ROUTER socket 'sock' into 'r' (ZeroMQ
 * delivers a message's frames together, so none is left half read).  A
 * REQ peer's message is its routing frames, an empty delimiter and the
 * request; frames after the request are dropped, as 1.x did.  Returns 1
 * for such a message, 0 for any other (read whole, to be dropped: a
 * peer that is not REQ has no envelope to answer to), -EAGAIN when
 * nothing is waiting.
 */
static int
recv_request(void *sock, struct request *r)
{
	enum { ENVELOPE, BODY, REST } at = ENVELOPE;
	bool fits = true;
	zmq_msg_t f;
	int more;

	r->n_env = 0;
	zmq_msg_init(&r->body);
	do {
		zmq_msg_init(&f);
		if (zmq_msg_recv(&f, sock, ZMQ_DONTWAIT) < 0) {
			zmq_msg_close(&f);
			/* Only before a first frame: a message comes whole. */
			if (r->n_env == 0 && at == ENVELOPE) {
				zmq_msg_close(&r->body);
				return -EAGAIN;
			}
			return 0;
		}
		more = zmq_msg_more(&f);
		if (at == ENVELOPE) {
			/* The first frame is the routing id ROUTER added,
			 * never empty; the first empty one after it ends
			 * the envelope. */
			bool delim = r->n_env > 0 && zmq_msg_size(&f) == 0;

			if (r->n_env < ENVELOPE_MAX) {
				zmq_msg_init(&r->env[r->n_env]);
				zmq_msg_move(&r->env[r->n_env++], &f);
			} else {
				fits = false;
			}
			if (delim)
				at = BODY;
		} else if (at == BODY) {
			zmq_msg_move(&r->body, &f);
			at = REST;
		}
		zmq_msg_close(&f);
	} while (more);
	return fits && at == REST ? 1 : 0;
}

/* Sends 'reply' to the peer of request 'r': its envelope, then the
 * reply.  A peer gone, or one whose queue is full, loses the reply
 * (ROUTER drops what it cannot route; DONTWAIT makes sure we never
 * block): it had asked and left, and no other peer is affected. */
static int
send_reply(void *sock, struct request *r, const struct reply *reply)
{
	int i;

	for (i = 0; i < r->n_env; i++)
		if (zmq_msg_send(&r->env[i], sock, ZMQ_SNDMORE | ZMQ_DONTWAIT) < 0)
			return -zmq_errno();
	if (zmq_send(sock, reply->buf ? reply->buf : (uint8_t *)"", reply->len,
		     ZMQ_DONTWAIT) < 0)
		return -zmq_errno();
	return 0;
}

/* Runs the handler of 's' on request 'r', into 'out'. */
static void
handle_request(const struct service *s, struct request *r, struct reply *out)
{
	size_t len = zmq_msg_size(&r->body);

	s->handle(len <= VFWD_CTL_MAX_REQUEST ? zmq_msg_data(&r->body) : NULL, len, out);
}

/* Answers request 'r' of 's' with 'out' (an empty reply when it could
 * not be built: a REQ client waits for one), then frees both. */
static void
answer(const struct service *s, struct request *r, struct reply *out)
{
	int rc;

	if (out->buf == NULL)
		VLOG_ERR_RL("%s service: out of memory for a reply", s->name);
	rc = send_reply(s->sock, r, out);
	if (rc < 0)
		VLOG_WARN_RL("%s service: reply not sent: %s", s->name, zmq_strerror(-rc));
	request_free(r);
	free(out->buf);
	out->buf = NULL;
}

/* A request handled on the operations thread. */
struct port_op {
	struct vfwd_op op;
	struct service *s;
	struct request r;
	struct reply out;
};

/* On the operations thread: the handler, as on the control thread. */
static void
port_op_run(struct vfwd_op *op)
{
	struct port_op *p = (struct port_op *)op;

	handle_request(p->s, &p->r, &p->out);
}

/* Back on the control thread: the answer, and the next request may come. */
static void
port_op_done(struct vfwd_op *op)
{
	struct port_op *p = (struct port_op *)op;

	answer(p->s, &p->r, &p->out);
	p->s->pending = NULL;
	free(p);
}

/* Hands request 'r' of 's' to the operations thread; false when it
 * could not (no memory: the caller answers it itself). */
static bool
submit_request(struct service *s, struct request *r)
{
	struct port_op *p = calloc(1, sizeof(*p));
	int i;

	if (p == NULL)
		return false;
	p->op.run = port_op_run;
	p->op.done = port_op_done;
	p->s = s;
	/* The frames move into the operation. */
	p->r.n_env = r->n_env;
	for (i = 0; i < r->n_env; i++) {
		zmq_msg_init(&p->r.env[i]);
		zmq_msg_move(&p->r.env[i], &r->env[i]);
	}
	zmq_msg_init(&p->r.body);
	zmq_msg_move(&p->r.body, &r->body);
	s->pending = p;
	vfwd_ops_submit(&p->op);
	return true;
}

/*
 * Receives and answers the requests waiting on 's', a slice's worth
 * (ctl_slice.h): a flood on one service must not keep the loop from the
 * others.  What is left stays readable, so the next poll returns at once.
 *
 * The service is a ROUTER socket that checks each envelope itself, not
 * a REP socket: libzmq 4.3's REP can be left waiting for the rest of a
 * message by a peer that sent junk and left, and then never reads the
 * next client's request.  To a REQ client both look the same.
 */
static void
serve_one(struct service *s)
{
	struct service *outer = serving;
	struct vfwd_slice sl;

	if (s->pending != NULL)
		return;
	serving = s;
	for (vfwd_slice_start(&sl, VFWD_CTL_ZMQ_PER_PASS); vfwd_slice_more(&sl); sl.done++) {
		struct reply out = { NULL, 0 };
		struct request r;
		int rc;

		rc = recv_request(s->sock, &r);
		if (rc == -EAGAIN)
			break;
		if (rc == 0) {
			VLOG_WARN_RL("%s service: dropped a message that is not a "
				     "request (a ZeroMQ REQ client sends an empty "
				     "delimiter frame, then the request)", s->name);
			request_free(&r);
			continue;
		}
		if (s->off_thread && submit_request(s, &r)) {
			request_free(&r);     /* what is left of it: nothing */
			break;
		}
		handle_request(s, &r, &out);
		answer(s, &r, &out);
	}
	serving = outer;
}

/* Serves the services whose sockets the poll found readable. */
static void
zmq_run(struct vfwd_pollset *ps)
{
	unsigned int i;
	int j;

	for (j = 0; j < vfwd_pollset_count(ps); j++) {
		if (!(vfwd_pollset_revents(ps, j) & POLLIN))
			continue;
		for (i = 0; i < n_services; i++)
			if (services[i].sock == vfwd_pollset_socket(ps, j))
				serve_one(&services[i]);
	}
}

const struct vfwd_ctl_source vfwd_ctl_zmq_source = {
	.name = "ZeroMQ services",
	.fill = zmq_fill,
	.run = zmq_run,
};

void
vfwd_ctl_zmq_serve_stats(void)
{
	unsigned int i;

	for (i = 0; i < n_services; i++)
		if (services[i].handle == handle_stats && serving != &services[i])
			serve_one(&services[i]);
}

void
vfwd_ctl_zmq_close(void)
{
	unsigned int i;

	for (i = 0; i < n_services; i++) {
		if (services[i].sock != NULL)
			zmq_close(services[i].sock);
		if (services[i].ipc_path[0] != '\0')
			unlink(services[i].ipc_path);
	}
	n_services = 0;
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	zctx = NULL;
}
