/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>

#include "clock.h"
#include "dataplane.h"
#include "log.h"
#include "device.h"
#include "offload_info.h"
#include "relay.h"
#include "stats.h"

static const char *const dir_names[VFWD_N_DIRS] = {
	[VFWD_DIR_VF_TO_VM] = "vf_to_vm",
	[VFWD_DIR_VM_TO_VF] = "vm_to_vf",
};

/* ------------------------------------------------------------------ */
/* Samples and rates                                                   */
/* ------------------------------------------------------------------ */

struct sample {
	uint64_t t_ns;
	struct vfwd_dir_counters r[VFWD_MAX_RELAYS][VFWD_N_DIRS];
	uint64_t busy[VFWD_MAX_CPUS], idle[VFWD_MAX_CPUS], sleep[VFWD_MAX_CPUS];
};

/* A ring of samples; only the main thread touches it. */
static struct sample samples[VFWD_STATS_SAMPLES];
static unsigned int n_samples, last;

/* A relay's device truncates frames: said at most once a minute a relay. */
#define TRUNCATED_WARN_NS (60ull * 1000000000u)

/*
 * Tells the operator why frames were dropped as truncated: the per-packet
 * path only counts them.  A kernel interface hands a packet socket frames
 * longer than the socket's frame size when it coalesces (GRO) or when its
 * veth peer segments nothing (TSO); af_packet copies what fits.
 */
static void
warn_truncated(const struct sample *s, const struct sample *prev)
{
	static uint64_t last_ns[VFWD_MAX_RELAYS];
	struct vfwd_relay_info ri;
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		uint64_t now = s->r[i][VFWD_DIR_VF_TO_VM].drop_truncated_pkts;
		uint64_t was = prev->r[i][VFWD_DIR_VF_TO_VM].drop_truncated_pkts;

		if (now <= was || (last_ns[i] != 0 && s->t_ns - last_ns[i] < TRUNCATED_WARN_NS))
			continue;
		last_ns[i] = s->t_ns;
		if (vfwd_relay_info(i, &ri) != 0)
			continue;
		VLOG_WARN("relay %u: device %s delivered %" PRIu64 " frames shorter than "
			  "their IP headers say (dropped, counted as truncated): the "
			  "kernel interface behind it passes packets larger than the "
			  "device's frames (GRO on the interface, or TSO on a veth's "
			  "peer); attach an XDP program to the interface (a veth's "
			  "peer then sends frames of the MTU; net_af_xdp attaches "
			  "one itself), or turn its GRO or the peer's TSO off", i,
			  ri.has_device ? ri.device : "-", now - was);
	}
}

void
vfwd_stats_sample(void)
{
	struct vfwd_worker_info wi;
	struct sample *s;
	unsigned int i;

	last = n_samples == 0 ? 0 : (last + 1) % VFWD_STATS_SAMPLES;
	if (n_samples < VFWD_STATS_SAMPLES)
		n_samples++;
	s = &samples[last];
	s->t_ns = vfwd_mono_ns();
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		vfwd_dp_relay_counters(i, s->r[i]);
	for (i = 0; i < vfwd_dp_n_workers(); i++) {
		vfwd_dp_worker_info(i, &wi);
		s->busy[i] = wi.busy_cycles;
		s->idle[i] = wi.idle_cycles;
		s->sleep[i] = wi.sleep_cycles;
	}
	if (n_samples > 1)
		warn_truncated(s, &samples[(last + VFWD_STATS_SAMPLES - 1) %
					   VFWD_STATS_SAMPLES]);
}

/* The newest sample and one about 'window_ms' older; false if none. */
static bool
sample_pair(unsigned int window_ms, const struct sample **old,
	    const struct sample **new)
{
	unsigned int back;

	if (n_samples < 2)
		return false;
	if (window_ms == 0)
		window_ms = VFWD_STATS_DEFAULT_WINDOW_MS;
	back = (window_ms + VFWD_STATS_SAMPLE_MS / 2) / VFWD_STATS_SAMPLE_MS;
	if (back < 1)
		back = 1;
	if (back > n_samples - 1)
		back = n_samples - 1;
	*new = &samples[last];
	*old = &samples[(last + VFWD_STATS_SAMPLES - back) % VFWD_STATS_SAMPLES];
	return (*new)->t_ns > (*old)->t_ns;
}

/* Rate of a counter between two samples; a counter that went back (the
 * relay was released and reused) counts from zero. */
static float
rate(uint64_t a, uint64_t b, double secs)
{
	return (float)((b >= a ? b - a : b) / secs);
}

void
vfwd_stats_rates(unsigned int id, unsigned int window_ms,
		 struct vfwd_dir_rates out[VFWD_N_DIRS])
{
	const struct sample *o, *n;
	double secs;
	int d;

	memset(out, 0, VFWD_N_DIRS * sizeof(*out));
	if (id >= VFWD_MAX_RELAYS || !sample_pair(window_ms, &o, &n))
		return;
	secs = (double)(n->t_ns - o->t_ns) / 1e9;
	for (d = 0; d < VFWD_N_DIRS; d++) {
		out[d].rx_pps = rate(o->r[id][d].rx_pkts, n->r[id][d].rx_pkts, secs);
		out[d].rx_bps = rate(o->r[id][d].rx_bytes, n->r[id][d].rx_bytes, secs);
		out[d].tx_pps = rate(o->r[id][d].tx_pkts, n->r[id][d].tx_pkts, secs);
		out[d].tx_bps = rate(o->r[id][d].tx_bytes, n->r[id][d].tx_bytes, secs);
	}
}

/* Share of worker 'w''s time in 'part' (a cycle counter of the samples)
 * between two samples about 'window_ms' apart. */
static float
worker_share(unsigned int w, unsigned int window_ms,
	     const uint64_t *(*part)(const struct sample *))
{
	const struct sample *o, *n;
	uint64_t busy, idle;

	if (w >= vfwd_dp_n_workers() || !sample_pair(window_ms, &o, &n))
		return 0;
	busy = n->busy[w] - o->busy[w];
	idle = n->idle[w] - o->idle[w];
	if (busy + idle == 0)
		return 0;
	return (float)((double)(part(n)[w] - part(o)[w]) / (double)(busy + idle));
}

static const uint64_t *
busy_of(const struct sample *s)
{
	return s->busy;
}

static const uint64_t *
sleep_of(const struct sample *s)
{
	return s->sleep;
}

float
vfwd_stats_worker_load(unsigned int w, unsigned int window_ms)
{
	return worker_share(w, window_ms, busy_of);
}

float
vfwd_stats_worker_sleep(unsigned int w, unsigned int window_ms)
{
	return worker_share(w, window_ms, sleep_of);
}

/* ------------------------------------------------------------------ */
/* Dump                                                                */
/* ------------------------------------------------------------------ */

static void
dump_relay(FILE *f, const struct vfwd_relay_info *ri)
{
	struct vfwd_queue_counters q[VFWD_N_DIRS][VFWD_MAX_QUEUE_PAIRS];
	enum vfwd_ofl_where where[VFWD_OFL_N_KINDS];
	char ofl[160], dev_ofl[160];
	int d, i;

	fprintf(f, "relay %u socket=%s device=%s ident=%s port=%d guest=%s numa=%d "
		"cpu_vf_to_vm=%d cpu_vm_to_vf=%d guest_rxq=0x%x guest_txq=0x%x "
		"dev_rxq=%u dev_txq=%u features=0x%" PRIx64 " migrating=%s "
		"pool_size=%u pool_in_use=%u\n",
		ri->id, ri->has_socket ? ri->socket : "-",
		ri->has_device ? ri->device : "-", ri->ident[0] ? ri->ident : "-",
		ri->port_id,
		ri->guest_connected ? "connected" : "none", ri->numa,
		ri->cpu[VFWD_DIR_VF_TO_VM], ri->cpu[VFWD_DIR_VM_TO_VF],
		ri->rxq_enabled, ri->txq_enabled, ri->dev_rxq, ri->dev_txq,
		ri->features, ri->dirty_logging ? "yes" : "no",
		ri->pool_size, ri->pool_in_use);
	vfwd_ofl_where(ri->guest_connected ? ri->features : 0, ri->has_device,
		       ri->dev_ofl, ri->gro, where);
	fprintf(f, "relay %u offloads %s dev_offloads=%s dev_mtu=%u "
		"dev_tx_errors=%" PRIu64 "\n", ri->id,
		vfwd_ofl_format(where, " ", ofl, sizeof(ofl)),
		ri->has_device ? vfwd_dev_ofl_format(ri->dev_ofl, ",", dev_ofl, sizeof(dev_ofl))
			       : "-",
		ri->dev_mtu, ri->dev_oerrors);
	for (d = 0; d < VFWD_N_DIRS; d++) {
		const uint64_t *c = (const uint64_t *)&ri->dir[d];
		size_t k;

		fprintf(f, "relay %u %s", ri->id, dir_names[d]);
		for (k = 0; k < VFWD_N_DIR_COUNTERS; k++)
			fprintf(f, " %s=%" PRIu64, vfwd_dir_counter_names[k], c[k]);
		fputc('\n', f);
	}
	for (d = 0; d < VFWD_N_DIRS; d++)
		vfwd_dp_queue_counters(ri->id, d, q[d]);
	for (i = 0; i < VFWD_MAX_QUEUE_PAIRS; i++) {
		const struct vfwd_queue_counters *to = &q[VFWD_DIR_VF_TO_VM][i];
		const struct vfwd_queue_counters *from = &q[VFWD_DIR_VM_TO_VF][i];

		if (to->pkts == 0 && from->pkts == 0 &&
		    !((ri->rxq_enabled | ri->txq_enabled) & (1u << i)))
			continue;
		fprintf(f, "relay %u queue %d to_vm_pkts=%" PRIu64 " to_vm_bytes=%"
			PRIu64 " from_vm_pkts=%" PRIu64 " from_vm_bytes=%" PRIu64 "\n",
			ri->id, i, to->pkts, to->bytes, from->pkts, from->bytes);
	}
}

void
vfwd_stats_dump(FILE *f)
{
	struct vfwd_relay_info ri;
	uint64_t mbufs = 0, in_use = 0;
	unsigned int i, pools = 0;

	fprintf(f, "stats begin\n");
	fprintf(f, "ports in_use=%u max=%u relays_max=%u\n", vfwd_device_ports_in_use(),
		vfwd_device_max_ports(), VFWD_MAX_RELAYS);
	for (i = 0; i < vfwd_dp_n_workers(); i++) {
		struct vfwd_worker_info wi;

		vfwd_dp_worker_info(i, &wi);
		fprintf(f, "worker %u cpu=%u busy_cycles=%" PRIu64 " idle_cycles=%"
			PRIu64 " load=%.3f sleep_cycles=%" PRIu64 " wakeups=%" PRIu64
			" asleep=%.3f\n", i, wi.lcore, wi.busy_cycles,
			wi.idle_cycles, vfwd_stats_worker_load(i, 0), wi.sleep_cycles,
			wi.wakeups, vfwd_stats_worker_sleep(i, 0));
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (vfwd_relay_info(i, &ri) != 0)
			continue;
		if (ri.pool_size > 0) {
			pools++;
			mbufs += ri.pool_size;
			in_use += ri.pool_in_use;
		}
		if (ri.has_device || ri.guest_connected)
			dump_relay(f, &ri);
	}
	/* Every relay's pool, also one a dump line above does not show, so
	 * that memory kept by a relay nobody looks at shows up here. */
	fprintf(f, "buffers pools=%u mbufs=%" PRIu64 " in_use=%" PRIu64 "\n",
		pools, mbufs, in_use);
	fprintf(f, "stats end\n");
	fflush(f);
}
