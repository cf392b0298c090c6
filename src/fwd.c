/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The per-packet path.  Rules: burst APIs only; no locks, system calls,
 * allocation or logging; counters are the polling worker's own.
 */
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_vhost.h>

#include "flowhash.h"
#include "fwd.h"
#include "offload.h"

#define ctr_add vfwd_ctr_add

/*
 * Sums the bytes of a burst, and notes what the offload path must look
 * at: the union of the packets' offload flags and the longest packet.
 * One pass, so that a burst that needs no offload work costs a couple of
 * instructions per packet more than the byte count alone.
 */
static inline uint64_t
burst_scan(struct rte_mbuf **pkts, unsigned int n, uint64_t *flags,
	   uint32_t *longest)
{
	uint64_t bytes = 0, fl = 0;
	uint32_t max = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);

		bytes += len;
		max = len > max ? len : max;
		fl |= pkts[i]->ol_flags;
	}
	*flags = fl;
	*longest = max;
	return bytes;
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

/* Counts a received burst of 'bytes' (and its guest queue's share). */
static inline void
count_rx(struct vfwd_dir_counters *c, struct vfwd_queue_counters *qc,
	 unsigned int n, uint64_t bytes)
{
	ctr_add(&c->rx_pkts, n);
	ctr_add(&c->rx_bytes, bytes);
	if (qc != NULL) {
		ctr_add(&qc->pkts, n);
		ctr_add(&qc->bytes, bytes);
	}
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

/*
 * Does a burst from the device need the offload path on its way to the
 * guest?  When the device gives no checksum verdicts (a kernel interface
 * may hand over partial checksums), when it coalesced something, or when
 * it has verdicts to pass on: to a guest with GUEST_CSUM, or partial
 * checksums (NONE) or errors to sort out.
 */
static inline bool
vf_to_vm_needs_offload(const struct vfwd_unit *u, uint64_t flags)
{
	uint64_t l4 = flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;

	if (likely(!u->rx_inspect && (flags & VFWD_OFL_RX_FLAGS) == 0))
		return false;
	return u->rx_inspect || (flags & RTE_MBUF_F_RX_LRO) ||
		l4 != RTE_MBUF_F_RX_L4_CKSUM_GOOD ||
		(__atomic_load_n(u->features, __ATOMIC_RELAXED) &
		 (1ULL << VIRTIO_NET_F_GUEST_CSUM));
}

/* The offload path of a received burst (offload.c), delivered in bursts. */
static void
vf_to_vm_offload(struct vfwd_unit *u, struct rte_mbuf **pkts, unsigned int n)
{
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	uint64_t features = __atomic_load_n(u->features, __ATOMIC_RELAXED);
	unsigned int done = 0, used, k, i, m;

	while (done < n) {
		k = vfwd_ofl_to_guest(pkts + done, n - done, &u->ofl, features, u->gro,
				      u->pool, out, VFWD_OFL_STAGE, &used, u->ctr);
		done += used;
		for (i = 0; i < k; i += m) {
			m = RTE_MIN(k - i, (unsigned int)VFWD_BURST);
			vf_to_vm_deliver(u, out + i, m, burst_bytes(out + i, m));
		}
	}
}

static unsigned int
poll_vf_to_vm(struct vfwd_unit *u)
{
	struct rte_mbuf *pkts[VFWD_BURST];
	struct vfwd_dir_counters *c = u->ctr;
	unsigned int total = 0, n;
	uint64_t bytes, flags;
	uint32_t longest;
	uint16_t q;

	if (unlikely(u->port_id < 0))
		return 0;
	for (q = 0; q < u->nb_dev_q; q++) {
		n = rte_eth_rx_burst((uint16_t)u->port_id, q, pkts, VFWD_BURST);
		if (n == 0)
			continue;
		bytes = burst_scan(pkts, n, &flags, &longest);
		count_rx(c, NULL, n, bytes);
		total += n;
		if (unlikely(u->vid < 0)) {
			ctr_add(&c->drop_nc_pkts, n);
			ctr_add(&c->drop_nc_bytes, bytes);
			rte_pktmbuf_free_bulk(pkts, n);
		} else if (unlikely(vf_to_vm_needs_offload(u, flags))) {
			vf_to_vm_offload(u, pkts, n);
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

/*
 * Sends 'n' frames of 'bytes' to the device and counts what it took.  The
 * device frees what it sent; what it still refused after the retries is
 * dropped and counted as queue full.
 */
static inline void
vf_send_counted(struct vfwd_unit *u, uint16_t txq, struct rte_mbuf **pkts,
		unsigned int n, uint64_t bytes)
{
	struct vfwd_dir_counters *c = u->ctr;
	unsigned int sent = vf_send((uint16_t)u->port_id, txq, pkts, n);
	uint64_t sent_bytes = sent == n ? bytes : burst_bytes(pkts, sent);

	ctr_add(&c->tx_pkts, sent);
	ctr_add(&c->tx_bytes, sent_bytes);
	if (unlikely(sent < n)) {
		ctr_add(&c->drop_full_pkts, n - sent);
		ctr_add(&c->drop_full_bytes, bytes - sent_bytes);
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

/*
 * Sends 'n' frames of the offload path to the device: through the
 * driver's TX preparation (pseudo-header sums and limits of its
 * offloads), whose refusals are dropped as bad offloads, then as any
 * burst.
 */
static void
vf_send_prepared(struct vfwd_unit *u, uint16_t txq, struct rte_mbuf **pkts,
		 unsigned int n)
{
	struct vfwd_dir_counters *c = u->ctr;
	uint16_t port = (uint16_t)u->port_id;
	unsigned int ok = 0;

	while (ok < n) {
		ok += rte_eth_tx_prepare(port, txq, pkts + ok, (uint16_t)(n - ok));
		if (ok < n) {
			ctr_add(&c->drop_bad_offload_pkts, 1);
			ctr_add(&c->drop_bad_offload_bytes, rte_pktmbuf_pkt_len(pkts[ok]));
			rte_pktmbuf_free(pkts[ok]);
			memmove(pkts + ok, pkts + ok + 1, (n - ok - 1) * sizeof(*pkts));
			n--;
		}
	}
	if (n != 0)
		vf_send_counted(u, txq, pkts, n, burst_bytes(pkts, n));
}

/* The offload path of a burst from the guest (offload.c). */
static void
vm_to_vf_offload(struct vfwd_unit *u, uint16_t txq, struct rte_mbuf **pkts,
		 unsigned int n)
{
	struct rte_mbuf *out[VFWD_OFL_STAGE];
	unsigned int i, k = 0;

	for (i = 0; i < n; i++) {
		if (VFWD_OFL_STAGE - k < VFWD_OFL_SEGS_MAX) {
			vf_send_prepared(u, txq, out, k);
			k = 0;
		}
		k += vfwd_ofl_to_device(pkts[i], &u->ofl, u->pool, out + k,
					VFWD_OFL_STAGE - k, u->ctr);
	}
	vf_send_prepared(u, txq, out, k);
}

uint64_t vfwd_learned_mac[VFWD_MAX_RELAYS];
uint64_t vfwd_spoof_mac[VFWD_MAX_RELAYS];

/*
 * Drops the frames of a guest's burst whose source MAC is not the relay's
 * ('slot', vfwd_spoof_mac), counting them; keeps the others in order.
 * Returns how many are left, and takes the dropped bytes off '*bytes'.
 */
static __rte_noinline unsigned int
drop_spoofed(struct vfwd_unit *u, struct rte_mbuf **pkts, unsigned int n,
	     uint64_t slot, uint64_t *bytes)
{
	struct vfwd_dir_counters *c = u->ctr;
	struct rte_ether_addr own;
	unsigned int i, kept = 0;
	uint64_t dropped = 0;

	vfwd_mac_unpack(slot, own.addr_bytes);
	for (i = 0; i < n; i++) {
		const struct rte_ether_hdr *eh;

		if (likely(rte_pktmbuf_data_len(pkts[i]) >= sizeof(*eh))) {
			eh = rte_pktmbuf_mtod(pkts[i], const struct rte_ether_hdr *);
			if (likely(rte_is_same_ether_addr(&eh->src_addr, &own))) {
				pkts[kept++] = pkts[i];
				continue;
			}
		}
		dropped += rte_pktmbuf_pkt_len(pkts[i]);
		rte_pktmbuf_free(pkts[i]);
	}
	if (kept < n) {
		ctr_add(&c->drop_spoofed_pkts, n - kept);
		ctr_add(&c->drop_spoofed_bytes, dropped);
		*bytes -= dropped;
	}
	return kept;
}

/*
 * Notes the source MAC of 'm', a frame from relay 'id''s guest, when it is
 * a unicast address other than the one noted (vfwd_learned_mac).  Out of
 * line: it runs only for relays that learn, once per burst.
 */
static __rte_noinline void
learn_mac(uint16_t id, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	uint64_t old, mac;

	if (rte_pktmbuf_data_len(m) < sizeof(*eh))
		return;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_valid_assigned_ether_addr(&eh->src_addr))
		return;
	mac = vfwd_mac_pack(eh->src_addr.addr_bytes);
	old = __atomic_load_n(&vfwd_learned_mac[id], __ATOMIC_RELAXED);
	if ((old & (VFWD_LEARN_SEEN | VFWD_LEARN_MAC)) == (VFWD_LEARN_SEEN | mac))
		return;
	/* Fails, and leaves it so, when the control side turned it off. */
	if (old & VFWD_LEARN_ON)
		__atomic_compare_exchange_n(&vfwd_learned_mac[id], &old,
					    VFWD_LEARN_ON | VFWD_LEARN_SEEN | mac, false,
					    __ATOMIC_RELEASE, __ATOMIC_RELAXED);
}

static unsigned int
poll_vm_to_vf(struct vfwd_unit *u)
{
	struct rte_mbuf *pkts[VFWD_BURST];
	struct vfwd_dir_counters *c = u->ctr;
	unsigned int total = 0, n, i;
	uint64_t bytes, flags, spoof;
	uint32_t mask, longest;

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
		bytes = burst_scan(pkts, n, &flags, &longest);
		count_rx(c, &u->qctr[q], n, bytes);
		total += n;
		/* Before the device check: a MAC learned while the relay has
		 * no device is set on the one that comes. */
		if (unlikely(__atomic_load_n(&vfwd_learned_mac[u->relay_id],
					     __ATOMIC_RELAXED) & VFWD_LEARN_ON))
			learn_mac(u->relay_id, pkts[0]);
		spoof = __atomic_load_n(&vfwd_spoof_mac[u->relay_id], __ATOMIC_RELAXED);
		if (unlikely(spoof & VFWD_SPOOF_ON)) {
			n = drop_spoofed(u, pkts, n, spoof, &bytes);
			if (n == 0)
				continue;
		}
		if (unlikely(u->port_id < 0)) {
			ctr_add(&c->drop_nc_pkts, n);
			ctr_add(&c->drop_nc_bytes, bytes);
			rte_pktmbuf_free_bulk(pkts, n);
			continue;
		}
		/* Offloads the guest asked for, or a frame too long for the
		 * device: the offload path. */
		if (unlikely((flags & VFWD_OFL_RX_FLAGS) ||
			     longest > vfwd_ofl_max_frame(&u->ofl))) {
			vm_to_vf_offload(u, u->dev_q[i], pkts, n);
			continue;
		}
		/* The unit's worker owns all of the device's TX queues for
		 * this direction, so guest queues map onto them freely. */
		vf_send_counted(u, u->dev_q[i], pkts, n, bytes);
	}
	return total;
}

const struct vfwd_fwd_engine vfwd_fwd_engines[VFWD_N_DIRS] = {
	[VFWD_DIR_VF_TO_VM] = { .name = "vf-to-vm", .poll = poll_vf_to_vm },
	[VFWD_DIR_VM_TO_VF] = { .name = "vm-to-vf", .poll = poll_vm_to_vf },
};
