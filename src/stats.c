/* SPDX-License-Identifier: BSD-3-Clause */
#include <inttypes.h>
#include <stdio.h>

#include <rte_cycles.h>

#include "relay.h"
#include "stats.h"
#include "worker.h"

static const char *const dir_names[VFWD_N_DIRS] = {
	[VFWD_DIR_VF_TO_VM] = "vf_to_vm",
	[VFWD_DIR_VM_TO_VF] = "vm_to_vf",
};

static void
dump_relay(FILE *f, const struct vfwd_relay_info *ri)
{
	int d;

	fprintf(f, "relay %u socket=%s device=%s port=%d guest=%s numa=%d "
		"cpu_vf_to_vm=%d cpu_vm_to_vf=%d guest_rxq=0x%x guest_txq=0x%x "
		"dev_rxq=%u dev_txq=%u features=0x%" PRIx64 " migrating=%s\n",
		ri->id, ri->has_socket ? ri->socket : "-",
		ri->has_device ? ri->device : "-", ri->port_id,
		ri->guest_connected ? "connected" : "none", ri->numa,
		ri->cpu[VFWD_DIR_VF_TO_VM], ri->cpu[VFWD_DIR_VM_TO_VF],
		ri->rxq_enabled, ri->txq_enabled, ri->dev_rxq, ri->dev_txq,
		ri->features, ri->dirty_logging ? "yes" : "no");
	for (d = 0; d < VFWD_N_DIRS; d++) {
		const struct vfwd_dir_stats *s = &ri->dir[d];

		fprintf(f, "relay %u %s rx_pkts=%" PRIu64 " rx_bytes=%" PRIu64
			" tx_pkts=%" PRIu64 " tx_bytes=%" PRIu64
			" drop_full_pkts=%" PRIu64 " drop_full_bytes=%" PRIu64
			" drop_nc_pkts=%" PRIu64 " drop_nc_bytes=%" PRIu64 "\n",
			ri->id, dir_names[d], s->rx_pkts, s->rx_bytes, s->tx_pkts,
			s->tx_bytes, s->drop_full_pkts, s->drop_full_bytes,
			s->drop_nc_pkts, s->drop_nc_bytes);
	}
}

void
vfwd_stats_dump(FILE *f)
{
	struct vfwd_relay_info ri;
	unsigned int i;

	fprintf(f, "stats begin\n");
	for (i = 0; i < vfwd_n_workers; i++) {
		const struct vfwd_worker *w = &vfwd_workers[i];
		uint64_t busy = __atomic_load_n(&w->busy_cycles, __ATOMIC_RELAXED);
		uint64_t idle = __atomic_load_n(&w->idle_cycles, __ATOMIC_RELAXED);

		fprintf(f, "worker %u cpu=%u busy_cycles=%" PRIu64 " idle_cycles=%"
			PRIu64 "\n", i, w->lcore, busy, idle);
	}
	for (i = 0; i < VFWD_MAX_RELAYS; i++)
		if (vfwd_relay_info(i, &ri) == 0 && (ri.has_device || ri.guest_connected))
			dump_relay(f, &ri);
	fprintf(f, "stats end\n");
	fflush(f);
}
