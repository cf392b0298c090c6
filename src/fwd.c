/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet path.  Rules: burst APIs only; no locks, system calls,
 * allocation or logging; counters are the polling worker's own.
 */
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "flowhash.h"
#include "fwd.h"

/* Adds to a counter only this worker writes.  The relaxed atomic load and
 * store compile to plain moves, and make the concurrent reads of the stats
 * side well defined. */
static inline void
ctr_add(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

static inline uint64_t
burst_bytes(struct rte_mbuf **pkts, unsigned int n)
{
	uint64_t bytes = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		bytes += rte_pktmbuf_pkt_len(pkts[i]);
	return bytes;
}

/* Counts a received burst (and its guest queue's share); returns its bytes. */
static inline uint64_t
count_rx(struct vfwd_dir_counters *c, struct vfwd_queue_counters *qc,
	 struct rte_mbuf **pkts, unsigned int n)
{
	uint64_t bytes = burst_bytes(pkts, n);

	ctr_add(&c->rx_pkts, n);
	ctr_add(&c->rx_bytes, bytes);
	if (qc != NULL) {
		ctr_add(&qc->pkts, n);
		ctr_add(&qc->bytes, bytes);
	}
	return bytes;
}

/* Rebuilds the unit's list of enabled guest queues after the mask moved. */
static inline void
refresh_queues(struct vfwd_unit *u, uint32_t mask)
{
	uint32_t m = mask;
	uint8_t n = 0;

	while (m != 0) {
		uint8_t q = (uint8_t)__builtin_ctz(m);

		/* The device queue a guest queue feeds (VM to VF), worked
		 * out here so that no burst needs a division. */
		u->dev_q[n] = u->nb_dev_q != 0 ? (uint8_t)(q % u->nb_dev_q) : 0;
		u->q[n++] = q;
		m &= m - 1;
	}
	u->n_q = n;
	u->cached_mask = mask;
}

/* ------------------------------------------------------------------ */
/* VF to VM                                                            */
/* ------------------------------------------------------------------ */

/* Enqueues 'n' packets on guest RX queue 'q'; returns how many went. */
static inline unsigned int
vm_enqueue(int vid, uint8_t q, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int sent, tries = 0;

	sent = rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q), pkts, (uint16_t)n);
	while (sent < n && tries++ < VFWD_RETRIES)
		sent += rte_vhost_enqueue_burst(vid, (uint16_t)(2 * q),
						pkts + sent, (uint16_t)(n - sent));
	return sent;
}

static inline uint32_t
pkt_hash(struct rte_mbuf *m)
{
	if (m->ol_flags & RTE_MBUF_F_RX_RSS_HASH)
		return vfwd_hash_final(m->hash.rss);
	return vfwd_flow_hash(rte_pktmbuf_mtod(m, const uint8_t *),
			      rte_pktmbuf_data_len(m));
}

/* Delivers one received burst to the guest, spread by flow hash. */
static inline void
vf_to_vm_deliver(struct vfwd_unit *u, struct rte_mbuf **pkts, unsigned int n,
		 uint64_t bytes)
{
	struct vfwd_dir_counters *c = u->ctr;
	uint32_t mask = __atomic_load_n(u->q_enabled, __ATOMIC_RELAXED);
	unsigned int sent, i;

	if (unlikely(mask != u->cached_mask))
		refresh_queues(u, mask);
	if (unlikely(u->n_q == 0)) {
		/* The guest is there but has no RX queue enabled. */
		ctr_add(&c->drop_nc_pkts, n);
		ctr_add(&c->drop_nc_bytes, bytes);
		rte_pktmbuf_free_bulk(pkts, n);
		return;
	}
	if (likely(u->n_q == 1)) {
		uint64_t sent_bytes;

		sent = vm_enqueue(u->vid, u->q[0], pkts, n);
		sent_bytes = sent == n ? bytes : burst_bytes(pkts, sent);
		ctr_add(&c->tx_pkts, sent);
		ctr_add(&c->tx_bytes, sent_bytes);
		ctr_add(&u->qctr[u->q[0]].pkts, sent);
		ctr_add(&u->qctr[u->q[0]].bytes, sent_bytes);
		if (sent < n) {
			ctr_add(&c->drop_full_pkts, n - sent);
			ctr_add(&c->drop_full_bytes, bytes - sent_bytes);
		}
	} else {
		struct rte_mbuf *per_q[VFWD_MAX_QUEUE_PAIRS][VFWD_BURST];
		uint64_t q_bytes[VFWD_MAX_QUEUE_PAIRS];
		uint8_t cnt[VFWD_MAX_QUEUE_PAIRS];
		uint32_t used = 0;

		for (i = 0; i < n; i++) {
			uint32_t qi = vfwd_hash_to_queue(pkt_hash(pkts[i]), u->n_q);

			/* First packet of a queue in this burst starts its tally. */
			if (!(used & (UINT32_C(1) << qi))) {
				used |= UINT32_C(1) << qi;
				cnt[qi] = 0;
				q_bytes[qi] = 0;
			}
			per_q[qi][cnt[qi]++] = pkts[i];
			q_bytes[qi] += rte_pktmbuf_pkt_len(pkts[i]);
		}
		while (used != 0) {
			uint32_t qi = (uint32_t)__builtin_ctz(used);
			uint64_t sent_bytes;

			used &= used - 1;
			sent = vm_enqueue(u->vid, u->q[qi], per_q[qi], cnt[qi]);
			sent_bytes = sent == cnt[qi] ? q_bytes[qi]
						     : burst_bytes(per_q[qi], sent);
			ctr_add(&c->tx_pkts, sent);
			ctr_add(&c->tx_bytes, sent_bytes);
			ctr_add(&u->qctr[u->q[qi]].pkts, sent);
			ctr_add(&u->qctr[u->q[qi]].bytes, sent_bytes);
			if (sent < cnt[qi]) {
				ctr_add(&c->drop_full_pkts, cnt[qi] - sent);
				ctr_add(&c->drop_full_bytes, q_bytes[qi] - sent_bytes);
			}
		}
	}
	/* vhost copies into guest buffers: every mbuf is ours to free. */
	rte_pktmbuf_free_bulk(pkts, n);
}

static unsigned int
poll_vf_to_vm(struct vfwd_unit *u)
{
	struct rte_mbuf *pkts[VFWD_BURST];
	struct vfwd_dir_counters *c = u->ctr;
	unsigned int total = 0, n;
	uint64_t bytes;
	uint16_t q;

	if (unlikely(u->port_id < 0))
		return 0;
	for (q = 0; q < u->nb_dev_q; q++) {
		n = rte_eth_rx_burst((uint16_t)u->port_id, q, pkts, VFWD_BURST);
		if (n == 0)
			continue;
		bytes = count_rx(c, NULL, pkts, n);
		total += n;
		if (unlikely(u->vid < 0)) {
			ctr_add(&c->drop_nc_pkts, n);
			ctr_add(&c->drop_nc_bytes, bytes);
			rte_pktmbuf_free_bulk(pkts, n);
		} else {
			vf_to_vm_deliver(u, pkts, n, bytes);
		}
	}
	return total;
}

/* ------------------------------------------------------------------ */
/* VM to VF                                                            */
/* ------------------------------------------------------------------ */

static inline unsigned int
vf_send(uint16_t port, uint16_t txq, struct rte_mbuf **pkts, unsigned int n)
{
	unsigned int sent, tries = 0;

	sent = rte_eth_tx_burst(port, txq, pkts, (uint16_t)n);
	while (sent < n && tries++ < VFWD_RETRIES)
		sent += rte_eth_tx_burst(port, txq, pkts + sent, (uint16_t)(n - sent));
	return sent;
}

static unsigned int
poll_vm_to_vf(struct vfwd_unit *u)
{
	struct rte_mbuf *pkts[VFWD_BURST];
	struct vfwd_dir_counters *c = u->ctr;
	unsigned int total = 0, n, sent, i;
	uint64_t bytes, sent_bytes;
	uint32_t mask;

	if (unlikely(u->vid < 0))
		return 0;
	/*
	 * Dequeue from every enabled queue even when no device is attached:
	 * that keeps the guest's TX rings moving, and it is in dequeue that
	 * the vhost library injects the RARP announcing a migrated guest.
	 * An empty mask simply means nothing to poll, never a wait.
	 */
	mask = __atomic_load_n(u->q_enabled, __ATOMIC_RELAXED);
	if (unlikely(mask != u->cached_mask))
		refresh_queues(u, mask);
	for (i = 0; i < u->n_q; i++) {
		uint8_t q = u->q[i];

		n = rte_vhost_dequeue_burst(u->vid, (uint16_t)(2 * q + 1), u->pool,
					    pkts, VFWD_BURST);
		if (n == 0)
			continue;
		bytes = count_rx(c, &u->qctr[q], pkts, n);
		total += n;
		if (unlikely(u->port_id < 0)) {
			ctr_add(&c->drop_nc_pkts, n);
			ctr_add(&c->drop_nc_bytes, bytes);
			rte_pktmbuf_free_bulk(pkts, n);
			continue;
		}
		/* The unit's worker owns all of the device's TX queues for
		 * this direction, so guest queues map onto them freely.  The
		 * device frees what it sent; we free what it refused. */
		sent = vf_send((uint16_t)u->port_id, u->dev_q[i], pkts, n);
		sent_bytes = sent == n ? bytes : burst_bytes(pkts, sent);
		ctr_add(&c->tx_pkts, sent);
		ctr_add(&c->tx_bytes, sent_bytes);
		if (unlikely(sent < n)) {
			ctr_add(&c->drop_full_pkts, n - sent);
			ctr_add(&c->drop_full_bytes, bytes - sent_bytes);
			rte_pktmbuf_free_bulk(pkts + sent, n - sent);
		}
	}
	return total;
}

const struct vfwd_fwd_engine vfwd_fwd_engines[VFWD_N_DIRS] = {
	[VFWD_DIR_VF_TO_VM] = { .name = "vf-to-vm", .poll = poll_vf_to_vm },
	[VFWD_DIR_VM_TO_VF] = { .name = "vm-to-vf", .poll = poll_vm_to_vf },
};
