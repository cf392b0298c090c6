/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * latency-probe: one-way latency through a forwarder, both directions.
 *
 * The probe owns both ends of a PVP loop: port 0 (a virtio-user port on
 * the forwarder's guest-side socket, the "VM") and port 1 (a virtio-user
 * port on the socket of the forwarder's net_vhost device, the "wire").
 * It sends one timestamped packet on one port and busy-polls the other
 * until it comes out, alternating directions, one probe every
 * --interval microseconds.  Both ends are in one process on one CPU, so
 * the TSC difference is the time the packet spent in the forwarder (and
 * the two vhost-user rings), with no clock to synchronise.
 *
 * With --load PPS the probe also sends filler packets both ways at that
 * rate between probes, so that the forwarder never idles.
 *
 * Output: one line per direction with the count, losses and p50, p99,
 * p99.9 and maximum in microseconds, then "samples DIR us..." lines when
 * --raw is given.  Used by bench/latency.sh.
 *
 * With --idle S it first stays connected and silent for S seconds.
 *
 *   latency-probe [EAL args] -- --interval US --count N [--load PPS] [--raw]
 *                 [--idle S]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#define PROBE_MAGIC 0x7666776470726f62ULL   /* "vfwdprob" */
#define FILLER_MAGIC 0x76667764666c6c72ULL  /* "vfwdfllr" */
#define FRAME_LEN 64
#define RING 256
#define BURST 32
/* A probe not back within this long is lost. */
#define TIMEOUT_US 1000000

/* What a probe or filler frame carries after its Ethernet header. */
struct payload {
	uint64_t magic;
	uint64_t seq;
	uint64_t tsc;
};

static struct rte_mempool *pool;
static uint64_t filler_gap;         /* TSC between filler bursts, 0: none */
static uint64_t next_filler;

static void
die(const char *what, int rc)
{
	fprintf(stderr, "latency-probe: %s: %s\n", what, rte_strerror(rc < 0 ? -rc : rc));
	exit(1);
}

static void
port_up(uint16_t port)
{
	struct rte_eth_conf conf;
	struct rte_eth_link link;
	int rc, i;

	memset(&conf, 0, sizeof(conf));
	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, RING, rte_socket_id(), NULL, pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, RING, rte_socket_id(), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc != 0)
		die("port set-up", rc);
	for (i = 0; i < 300; i++) {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return;
		rte_delay_ms(100);
	}
	fprintf(stderr, "latency-probe: port %u: link down after 30 s\n", port);
	exit(1);
}

/* A frame carrying 'magic', 'seq' and the time of sending. */
static struct rte_mbuf *
frame(uint64_t magic, uint64_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct payload *p;
	uint8_t *f;

	if (m == NULL)
		die("no buffers", ENOMEM);
	f = (uint8_t *)rte_pktmbuf_append(m, FRAME_LEN);
	if (f == NULL)
		die("buffer too small", ENOSPC);
	memset(f, 0, FRAME_LEN);
	memcpy(f, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01\x88\xb5", 14);
	p = (struct payload *)(f + 14);
	p->magic = magic;
	p->seq = seq;
	p->tsc = rte_rdtsc();
	return m;
}

/* Sends a burst of fillers each way when one is due. */
static void
fillers(void)
{
	struct rte_mbuf *b[BURST];
	uint16_t port, n, i;

	if (filler_gap == 0 || rte_rdtsc() < next_filler)
		return;
	next_filler += filler_gap;
	for (port = 0; port < 2; port++) {
		for (i = 0; i < BURST; i++)
			b[i] = frame(FILLER_MAGIC, 0);
		n = rte_eth_tx_burst(port, 0, b, BURST);
		if (n < BURST)
			rte_pktmbuf_free_bulk(b + n, BURST - n);
	}
}

/* Drains 'port'; returns the TSC of the probe 'seq' if it came, else 0. */
static uint64_t
drain(uint16_t port, uint64_t seq)
{
	struct rte_mbuf *b[BURST];
	uint64_t now = rte_rdtsc(), got = 0;
	uint16_t n, i;

	n = rte_eth_rx_burst(port, 0, b, BURST);
	for (i = 0; i < n; i++) {
		const struct payload *p;

		if (rte_pktmbuf_data_len(b[i]) >= 14 + sizeof(*p)) {
			p = rte_pktmbuf_mtod_offset(b[i], const struct payload *, 14);
			if (p->magic == PROBE_MAGIC && p->seq == seq)
				got = now - p->tsc;
		}
	}
	rte_pktmbuf_free_bulk(b, n);
	return got;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const uint64_t *v, unsigned int n, double p, double tsc_us)
{
	unsigned int i = (unsigned int)(p / 100.0 * (n - 1) + 0.5);

	return n ? (double)v[i < n ? i : n - 1] / tsc_us : 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "count", required_argument, NULL, 'c' },
		{ "load", required_argument, NULL, 'l' },
		{ "raw", no_argument, NULL, 'r' },
		{ "idle", required_argument, NULL, 'I' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const dir_name[2] = { "vm_to_vf", "vf_to_vm" };
	unsigned long interval_us = 1000, count = 1000, load = 0, idle_s = 0;
	unsigned int n[2] = { 0, 0 }, lost[2] = { 0, 0 }, d, k;
	uint64_t *lat[2], hz, next;
	double tsc_us;
	bool raw = false;
	int rc, c;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		die("EAL", rte_errno);
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': interval_us = strtoul(optarg, NULL, 10); break;
		case 'c': count = strtoul(optarg, NULL, 10); break;
		case 'l': load = strtoul(optarg, NULL, 10); break;
		case 'r': raw = true; break;
		case 'I': idle_s = strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: latency-probe [EAL args] -- --interval US "
				"--count N [--load PPS] [--raw] [--idle S]\n");
			return 2;
		}
	}
	if (count == 0 || count > 10000000 || interval_us == 0 || rte_eth_dev_count_avail() != 2) {
		fprintf(stderr, "latency-probe: need --count 1-10000000, --interval > 0 "
			"and exactly two ports (port 0 the guest side, 1 the wire)\n");
		return 2;
	}
	pool = rte_pktmbuf_pool_create("probe", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       rte_socket_id());
	if (pool == NULL)
		die("buffer pool", rte_errno);
	port_up(0);
	port_up(1);
	if (idle_s > 0) {
		/* Connected and silent: what an idle forwarder costs. */
		printf("idle %lu s\n", idle_s);
		fflush(stdout);
		rte_delay_us_sleep((unsigned int)(idle_s * 1000000));
	}
	lat[0] = calloc(count, sizeof(uint64_t));
	lat[1] = calloc(count, sizeof(uint64_t));
	if (lat[0] == NULL || lat[1] == NULL)
		die("out of memory", ENOMEM);

	hz = rte_get_tsc_hz();
	tsc_us = (double)hz / 1e6;
	/* Fillers in bursts of BURST each way: 2 * BURST per gap. */
	filler_gap = load ? hz * 2 * BURST / load : 0;
	next = next_filler = rte_rdtsc() + hz / 2;
	for (k = 0; k < 2 * count; k++) {
		uint16_t src = k % 2 == 0 ? 0 : 1, dst = 1 - src;
		struct rte_mbuf *m;
		uint64_t got = 0, deadline;

		d = src == 0 ? 0 : 1;    /* port 0 sends: VM to VF */
		/* Wait for the probe's time, keeping the other rings empty. */
		while (rte_rdtsc() < next) {
			fillers();
			drain(0, UINT64_MAX);
			drain(1, UINT64_MAX);
		}
		next += hz / 1000000 * interval_us / 2;
		m = frame(PROBE_MAGIC, k);
		if (rte_eth_tx_burst(src, 0, &m, 1) != 1) {
			rte_pktmbuf_free(m);
			lost[d]++;
			continue;
		}
		deadline = rte_rdtsc() + hz / 1000000 * TIMEOUT_US;
		while (got == 0 && rte_rdtsc() < deadline) {
			fillers();
			got = drain(dst, k);
			drain(src, UINT64_MAX);
		}
		if (got == 0)
			lost[d]++;
		else
			lat[d][n[d]++] = got;
	}
	for (d = 0; d < 2; d++) {
		qsort(lat[d], n[d], sizeof(uint64_t), cmp_u64);
		printf("%s n=%u lost=%u p50=%.1f p99=%.1f p999=%.1f max=%.1f\n", dir_name[d],
		       n[d], lost[d], pct(lat[d], n[d], 50, tsc_us), pct(lat[d], n[d], 99, tsc_us),
		       pct(lat[d], n[d], 99.9, tsc_us), n[d] ? (double)lat[d][n[d] - 1] / tsc_us : 0);
		if (raw) {
			printf("samples %s", dir_name[d]);
			for (k = 0; k < n[d]; k++)
				printf(" %.1f", (double)lat[d][k] / tsc_us);
			printf("\n");
		}
	}
	fflush(stdout);
	rte_eth_dev_stop(0);
	rte_eth_dev_stop(1);
	rte_eal_cleanup();
	return 0;
}
