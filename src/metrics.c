/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics over HTTP.  See metrics.h.
 *
 * Naming follows Prometheus' conventions: a virtio_forwarder_ prefix,
 * base units (seconds, bytes), "_total" on counters.  Counters carry only
 * the labels that identify a series (relay, direction, queue, cpu); the
 * identity of a relay (socket, device, OVSDB iface-id) is on the
 * virtio_forwarder_relay_info series, to be joined on "relay", so that a
 * relay getting a new device starts no new counter series.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_version.h>

#include "dataplane.h"
#include "errmsg.h"
#include "log.h"
#include "metrics.h"
#include "parse.h"
#include "relay.h"

/* Limits on what clients may hold: a scraper needs one connection. */
#define MAX_CONNECTIONS 32
#define MAX_PER_IP 8
#define CONN_TIMEOUT_S 10
#define CONN_MEMORY (32 * 1024)

static struct MHD_Daemon *httpd;

static const char *const dir_label[VFWD_N_DIRS] = {
	[VFWD_DIR_VF_TO_VM] = "vf_to_vm",
	[VFWD_DIR_VM_TO_VF] = "vm_to_vf",
};

/* ------------------------------------------------------------------ */
/* The text                                                            */
/* ------------------------------------------------------------------ */

/* A growing text; 'failed' once an allocation failed. */
struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

static void __attribute__((format(printf, 2, 3)))
put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		if (t->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = true;
			return;
		}
		if ((size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = t->cap * 2 + (size_t)n;
		char *np = realloc(t->p, t->cap);

		if (np == NULL) {
			t->failed = true;
			return;
		}
		t->p = np;
	}
}

/* Writes 'v' as a label value: backslash, double quote and newline are
 * escaped, as the text format wants. */
static void
put_label(struct text *t, const char *name, const char *v)
{
	put(t, "%s=\"", name);
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			put(t, "\\%c", *v);
		else if (*v == '\n')
			put(t, "\\n");
		else
			put(t, "%c", *v);
	}
	put(t, "\"");
}

static void
family(struct text *t, const char *name, const char *type, const char *help)
{
	put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The relays in use: those with a device or a guest, as in the dump. */
static unsigned int
relays_in_use(struct vfwd_relay_info *ri)
{
	unsigned int i, n = 0;

	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (vfwd_relay_info(i, &ri[n]) == 0 &&
		    (ri[n].has_device || ri[n].guest_connected))
			n++;
	return n;
}

/* One counter family over the relays and directions. */
static void
relay_counter(struct text *t, const struct vfwd_relay_info *ri, unsigned int n,
	      const char *name, const char *help, size_t off)
{
	unsigned int i;
	int d;

	family(t, name, "counter", help);
	for (i = 0; i < n; i++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			const uint64_t *v = (const uint64_t *)((const char *)&ri[i].dir[d] + off);

			put(t, "%s{relay=\"%u\",direction=\"%s\"} %" PRIu64 "\n", name,
			    ri[i].id, dir_label[d], *v);
		}
}

#define CTR(field) offsetof(struct vfwd_dir_counters, field)

/* The drop counters: one family, a series per reason (vfwd_drop_reasons). */
static void
dropped(struct text *t, const struct vfwd_relay_info *ri, unsigned int n,
	const char *name, const char *help, bool bytes)
{
	unsigned int i, k;
	int d;

	family(t, name, "counter", help);
	for (i = 0; i < n; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			for (k = 0; k < VFWD_N_DROP_REASONS; k++) {
				const struct vfwd_drop_reason *r = &vfwd_drop_reasons[k];

				put(t, "%s{relay=\"%u\",direction=\"%s\",reason=\"%s\"} %"
				    PRIu64 "\n", name, ri[i].id, dir_label[d], r->name,
				    vfwd_dir_counter(&ri[i].dir[d], bytes ? r->bytes : r->pkts));
			}
}

/* The offload work counters: one family, a series per kind of work. */
static void
offload_work(struct text *t, const struct vfwd_relay_info *ri, unsigned int n)
{
	static const struct {
		const char *work;
		size_t off;
	} works[] = {
		{ "tso_device", CTR(tso_device_pkts) },
		{ "tso_software", CTR(tso_software_pkts) },
		{ "csum_software", CTR(csum_software_pkts) },
		{ "coalesced", CTR(coalesced_pkts) },
	};
	const char *name = "virtio_forwarder_relay_offload_packets_total";
	unsigned int i, k;
	int d;

	family(t, name, "counter",
	       "Offload work on packets: large packets handed to the device's "
	       "segmentation or LRO result passed whole (tso_device), large "
	       "packets segmented in software (tso_software), checksums completed "
	       "in software (csum_software), packets coalesced into others "
	       "(coalesced).");
	for (i = 0; i < n; i++)
		for (d = 0; d < VFWD_N_DIRS; d++)
			for (k = 0; k < sizeof(works) / sizeof(works[0]); k++)
				put(t, "%s{relay=\"%u\",direction=\"%s\",work=\"%s\"} %"
				    PRIu64 "\n", name, ri[i].id, dir_label[d], works[k].work,
				    vfwd_dir_counter(&ri[i].dir[d], works[k].off));
}

/* Where each offload of each relay runs: one series per offload, with
 * the place as a label. */
static void
offload_placement(struct text *t, const struct vfwd_relay_info *ri, unsigned int n)
{
	const char *name = "virtio_forwarder_relay_offload_info";
	enum vfwd_ofl_where w[VFWD_OFL_N_KINDS];
	unsigned int i;
	int k;

	family(t, name, "gauge",
	       "Where each offload of a relay runs (1): in the device, in software, "
	       "or off (not negotiated by the guest, or switched off).");
	for (i = 0; i < n; i++) {
		vfwd_ofl_where(ri[i].guest_connected ? ri[i].features : 0, ri[i].has_device,
			       ri[i].dev_ofl, ri[i].gro, w);
		for (k = 0; k < VFWD_OFL_N_KINDS; k++)
			put(t, "%s{relay=\"%u\",offload=\"%s\",where=\"%s\"} 1\n", name,
			    ri[i].id, vfwd_ofl_kind_name(k), vfwd_ofl_where_name(w[k]));
	}
}

/* A per guest queue family: the queues enabled, or that carried packets. */
static void
queue_counter(struct text *t, const struct vfwd_relay_info *ri, unsigned int n,
	      const char *name, const char *help, bool bytes)
{
	struct vfwd_queue_counters q[VFWD_MAX_QUEUE_PAIRS];
	unsigned int i, k;
	int d;

	family(t, name, "counter", help);
	for (i = 0; i < n; i++)
		for (d = 0; d < VFWD_N_DIRS; d++) {
			uint32_t on = d == VFWD_DIR_VF_TO_VM ? ri[i].rxq_enabled
							     : ri[i].txq_enabled;

			vfwd_dp_queue_counters(ri[i].id, d, q);
			for (k = 0; k < VFWD_MAX_QUEUE_PAIRS; k++)
				if (((on >> k) & 1) || q[k].pkts != 0)
					put(t, "%s{relay=\"%u\",queue=\"%u\",direction=\"%s\"} %"
					    PRIu64 "\n", name, ri[i].id, k, dir_label[d],
					    bytes ? q[k].bytes : q[k].pkts);
		}
}

static void
relay_metrics(struct text *t, const struct vfwd_relay_info *ri, unsigned int n)
{
	unsigned int i;

	family(t, "virtio_forwarder_relay_info", "gauge",
	       "Identity of a relay in use (1): its socket, device and label.");
	for (i = 0; i < n; i++) {
		put(t, "virtio_forwarder_relay_info{relay=\"%u\",", ri[i].id);
		put_label(t, "socket", ri[i].socket);
		put(t, ",");
		put_label(t, "device", ri[i].device);
		put(t, ",");
		put_label(t, "ident", ri[i].ident);
		put(t, "} 1\n");
	}
	family(t, "virtio_forwarder_relay_device_attached", "gauge",
	       "Whether the relay has a device (1) or not (0).");
	for (i = 0; i < n; i++)
		put(t, "virtio_forwarder_relay_device_attached{relay=\"%u\"} %d\n",
		    ri[i].id, ri[i].has_device);
	family(t, "virtio_forwarder_relay_guest_connected", "gauge",
	       "Whether a guest is connected to the relay's socket.");
	for (i = 0; i < n; i++)
		put(t, "virtio_forwarder_relay_guest_connected{relay=\"%u\"} %d\n",
		    ri[i].id, ri[i].guest_connected);
	family(t, "virtio_forwarder_relay_migrating", "gauge",
	       "Whether the guest's dirty pages are logged (a live migration).");
	for (i = 0; i < n; i++)
		put(t, "virtio_forwarder_relay_migrating{relay=\"%u\"} %d\n",
		    ri[i].id, ri[i].dirty_logging);

	relay_counter(t, ri, n, "virtio_forwarder_relay_received_packets_total",
		      "Packets a direction took in (from the device, or the guest).",
		      CTR(rx_pkts));
	relay_counter(t, ri, n, "virtio_forwarder_relay_received_bytes_total",
		      "Bytes a direction took in.", CTR(rx_bytes));
	relay_counter(t, ri, n, "virtio_forwarder_relay_sent_packets_total",
		      "Packets the other side accepted.", CTR(tx_pkts));
	relay_counter(t, ri, n, "virtio_forwarder_relay_sent_bytes_total",
		      "Bytes the other side accepted.", CTR(tx_bytes));
	dropped(t, ri, n, "virtio_forwarder_relay_dropped_packets_total",
		"Packets dropped: the other side stayed full (queue_full) or was "
		"not connected (not_connected); a frame larger than the device's "
		"MTU that cannot be segmented (too_big); an offload the relay cannot "
		"honour (bad_offload); no buffers to segment into (no_buffers); a "
		"frame shorter than its IP header says (truncated).", false);
	dropped(t, ri, n, "virtio_forwarder_relay_dropped_bytes_total",
		"Bytes of the dropped packets.", true);
	offload_work(t, ri, n);
	offload_placement(t, ri, n);
	family(t, "virtio_forwarder_relay_device_tx_errors_total", "counter",
	       "Frames the relay's device accepted and then failed to send "
	       "(the driver's oerrors).");
	for (i = 0; i < n; i++)
		if (ri[i].has_device)
			put(t, "virtio_forwarder_relay_device_tx_errors_total{relay=\"%u\"} %"
			    PRIu64 "\n", ri[i].id, ri[i].dev_oerrors);
	queue_counter(t, ri, n, "virtio_forwarder_guest_queue_packets_total",
		      "Packets put on a guest RX queue (vf_to_vm) or taken from a "
		      "guest TX queue (vm_to_vf).", false);
	queue_counter(t, ri, n, "virtio_forwarder_guest_queue_bytes_total",
		      "Bytes of those packets.", true);
}

static void
worker_metrics(struct text *t)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} cycles[] = {
		{ "virtio_forwarder_worker_busy_seconds_total",
		  "Time of polling passes that moved packets.",
		  offsetof(struct vfwd_worker_info, busy_cycles) },
		{ "virtio_forwarder_worker_idle_seconds_total",
		  "Time of passes that moved none, and of sleeps.",
		  offsetof(struct vfwd_worker_info, idle_cycles) },
		{ "virtio_forwarder_worker_sleep_seconds_total",
		  "The part of the idle time asleep (adaptive poll mode).",
		  offsetof(struct vfwd_worker_info, sleep_cycles) },
	};
	double hz = (double)rte_get_tsc_hz();
	struct vfwd_worker_info wi;
	unsigned int w, i;

	for (i = 0; i < sizeof(cycles) / sizeof(cycles[0]); i++) {
		family(t, cycles[i].name, "counter", cycles[i].help);
		for (w = 0; w < vfwd_dp_n_workers(); w++) {
			vfwd_dp_worker_info(w, &wi);
			put(t, "%s{cpu=\"%u\"} %.6f\n", cycles[i].name, wi.lcore,
			    (double)*(const uint64_t *)((const char *)&wi + cycles[i].off) / hz);
		}
	}
	family(t, "virtio_forwarder_worker_wakeups_total", "counter",
	       "Sleeps of the worker that ended (adaptive poll mode).");
	for (w = 0; w < vfwd_dp_n_workers(); w++) {
		vfwd_dp_worker_info(w, &wi);
		put(t, "virtio_forwarder_worker_wakeups_total{cpu=\"%u\"} %" PRIu64 "\n",
		    wi.lcore, wi.wakeups);
	}
}

/* The whole exposition. */
static void
render(struct text *t)
{
	static struct vfwd_relay_info ri[VFWD_MAX_RELAYS];   /* httpd thread only */
	unsigned int n = relays_in_use(ri);

	family(t, "virtio_forwarder_info", "gauge",
	       "The daemon's version and DPDK's (always 1).");
	put(t, "virtio_forwarder_info{version=\"%s\",", VFWD_VERSION);
	put_label(t, "dpdk_version", rte_version());
	put(t, "} 1\n");
	family(t, "virtio_forwarder_max_ports", "gauge",
	       "DPDK ports this build allows (RTE_MAX_ETHPORTS): relays with a "
	       "device, and bond members, use them.");
	put(t, "virtio_forwarder_max_ports %d\n", RTE_MAX_ETHPORTS);
	family(t, "virtio_forwarder_relays_in_use", "gauge",
	       "Relays with a device or a guest.");
	put(t, "virtio_forwarder_relays_in_use %u\n", n);
	relay_metrics(t, ri, n);
	worker_metrics(t);
}

/* ------------------------------------------------------------------ */
/* HTTP                                                                */
/* ------------------------------------------------------------------ */

static enum MHD_Result
reply(struct MHD_Connection *c, unsigned int status, const char *type,
      char *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

#define TEXT_PLAIN "text/plain; charset=utf-8"

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *c, const char *url,
	   const char *method, const char *version, const char *upload,
	   size_t *upload_len, void **state)
{
	struct text t = { 0 };

	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT_PLAIN,
			     (char *)"only GET and HEAD\n", 18, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/") == 0)
		return reply(c, MHD_HTTP_OK, TEXT_PLAIN,
			     (char *)"virtio-forwarder: metrics at /metrics\n", 38,
			     MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return reply(c, MHD_HTTP_NOT_FOUND, TEXT_PLAIN,
			     (char *)"not found; metrics at /metrics\n", 31,
			     MHD_RESPMEM_PERSISTENT);
	t.cap = 16384;
	t.p = malloc(t.cap);
	t.failed = t.p == NULL;
	if (!t.failed)
		render(&t);
	if (t.failed) {
		free(t.p);
		return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT_PLAIN,
			     (char *)"out of memory\n", 14, MHD_RESPMEM_PERSISTENT);
	}
	return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
		     t.p, t.len, MHD_RESPMEM_MUST_FREE);
}

static void
on_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	VLOG_WARN("metrics: %s", msg);
}

int
vfwd_metrics_start(const char *ep, char *err, size_t errlen)
{
	struct sockaddr_storage addr;
	unsigned int addrlen, flags;
	int rc;

	rc = vfwd_parse_listen(ep, &addr, &addrlen, err, errlen);
	if (rc != 0)
		return rc;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	if (addr.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
				 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNECTIONS,
				 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)MAX_PER_IP,
				 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT_S,
				 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				 MHD_OPTION_EXTERNAL_LOGGER, on_log, NULL,
				 MHD_OPTION_END);
	if (httpd == NULL) {
		ERR("VIRTIOFWD_METRICS_EP=%s: cannot serve HTTP there (address in "
		    "use, or not an address of this host?)", ep);
		return -EADDRNOTAVAIL;
	}
	{
		char host[INET6_ADDRSTRLEN];
		const void *a = addr.ss_family == AF_INET6
			? (const void *)&((struct sockaddr_in6 *)&addr)->sin6_addr
			: (const void *)&((struct sockaddr_in *)&addr)->sin_addr;
		unsigned int port = ntohs(addr.ss_family == AF_INET6
					  ? ((struct sockaddr_in6 *)&addr)->sin6_port
					  : ((struct sockaddr_in *)&addr)->sin_port);

		inet_ntop(addr.ss_family, a, host, sizeof(host));
		VLOG_INFO("metrics: Prometheus endpoint http://%s%s%s:%u/metrics",
			  addr.ss_family == AF_INET6 ? "[" : "", host,
			  addr.ss_family == AF_INET6 ? "]" : "", port);
	}
	return 0;
}

void
vfwd_metrics_stop(void)
{
	if (httpd != NULL) {
		MHD_stop_daemon(httpd);
		httpd = NULL;
	}
}
