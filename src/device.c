/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "config.h"
#include "device.h"
#include "log.h"

#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

/* The EAL device name of a spec: the devargs name before the first ','. */
static void
spec_devname(const char *spec, char *name, size_t len)
{
	size_t n = strcspn(spec, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, spec, n);
	name[n] = '\0';
}

static int
find_port(const char *name, uint16_t *port)
{
	struct rte_eth_dev_info info;
	uint16_t p;

	if (rte_eth_dev_get_port_by_name(name, port) == 0)
		return 0;
	RTE_ETH_FOREACH_DEV(p) {
		if (rte_eth_dev_info_get(p, &info) != 0 || info.device == NULL)
			continue;
		if (strcmp(rte_dev_name(info.device), name) == 0) {
			*port = p;
			return 0;
		}
	}
	return -ENODEV;
}

int
vfwd_device_numa_hint(const char *spec)
{
	uint32_t d, b, s, f;
	char path[128];
	FILE *fp;
	int node = -1;

	if (vfwd_parse_pci(spec, &d, &b, &s, &f) != 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%04x:%02x:%02x.%x/numa_node",
		 d, b, s, f);
	fp = fopen(path, "re");
	if (fp == NULL)
		return -1;
	if (fscanf(fp, "%d", &node) != 1)
		node = -1;
	fclose(fp);
	return node;
}

/* Builds the port configuration from what the device can do. */
static void
port_conf(const struct rte_eth_dev_info *info, const struct vfwd_device_opts *opts,
	  uint16_t nb_rxq, struct rte_eth_conf *conf, const char *name)
{
	uint64_t tx_want = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;

	memset(conf, 0, sizeof(*conf));
	if (nb_rxq > 1) {
		uint64_t hf = info->flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);

		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = hf;
	}
	/* The device's own flow hash saves hashing in software. */
	conf->rxmode.offloads |= info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH;
	if (opts->jumbo) {
		uint32_t mtu = RTE_MIN(9000u, (uint32_t)info->max_mtu);

		if (mtu < 9000)
			VLOG_WARN("%s: jumbo frames: the device allows MTU %u at most",
				  name, mtu);
		conf->rxmode.mtu = mtu;
		conf->rxmode.offloads |= info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	}
	if (opts->tso) {
		uint64_t want = RTE_ETH_TX_OFFLOAD_TCP_TSO | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM |
			RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;

		if ((info->tx_offload_capa & want) != want)
			VLOG_WARN("%s: TSO/checksum offload requested but the device "
				  "lacks some of it (capabilities 0x%" PRIx64 "); guests "
				  "sending offloaded packets may see them dropped",
				  name, info->tx_offload_capa);
		tx_want |= want;
	}
	conf->txmode.offloads = info->tx_offload_capa & tx_want;
}

int
vfwd_device_attach(const char *spec, const struct vfwd_device_opts *opts,
		   struct rte_mempool *(*get_pool)(void *ctx, int numa),
		   void *ctx, struct vfwd_device *dev, char *err, size_t errlen)
{
	struct rte_eth_dev_info info;
	struct rte_device *rdev = NULL;
	struct rte_eth_conf conf;
	struct rte_mempool *pool;
	uint16_t port, q, nrxd = VFWD_DEV_RING_SIZE, ntxd = VFWD_DEV_RING_SIZE;
	char name[sizeof(dev->name)];
	int rc, numa;

	memset(dev, 0, sizeof(*dev));
	spec_devname(spec, name, sizeof(name));
	if (find_port(name, &port) == 0) {
		ERR("%s: device is already in use", spec);
		return -EBUSY;
	}
	rc = rte_dev_probe(spec);
	if (rc < 0) {
		ERR("%s: probe failed: %s (is the device present and bound to a "
		    "DPDK-capable driver, or are the devargs right?)", spec,
		    rte_strerror(-rc));
		return rc;
	}
	if (find_port(name, &port) != 0) {
		ERR("%s: probed, but it provides no Ethernet port", spec);
		rc = -ENODEV;
		goto remove_by_name;
	}
	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		ERR("%s: cannot read device info: %s", spec, rte_strerror(-rc));
		goto close;
	}
	rdev = info.device;
	dev->port_id = port;
	dev->nb_rxq = RTE_MIN(info.max_rx_queues, (uint16_t)VFWD_DEV_MAX_QUEUES);
	dev->nb_txq = RTE_MIN(info.max_tx_queues, (uint16_t)VFWD_DEV_MAX_QUEUES);
	if (dev->nb_rxq == 0 || dev->nb_txq == 0) {
		ERR("%s: device has no RX or TX queue", spec);
		rc = -ENODEV;
		goto close;
	}
	if (dev->nb_rxq > 1 && info.flow_type_rss_offloads == 0)
		dev->nb_rxq = 1;
	numa = rte_eth_dev_socket_id(port);
	dev->numa = numa >= 0 ? numa : -1;
	snprintf(dev->name, sizeof(dev->name), "%s", rte_dev_name(rdev));

	port_conf(&info, opts, dev->nb_rxq, &conf, spec);
	rc = rte_eth_dev_configure(port, dev->nb_rxq, dev->nb_txq, &conf);
	if (rc != 0) {
		ERR("%s: configure (%u RX, %u TX queues) failed: %s", spec,
		    dev->nb_rxq, dev->nb_txq, rte_strerror(-rc));
		goto close;
	}
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd);
	pool = get_pool(ctx, dev->numa);
	if (pool == NULL) {
		ERR("%s: no packet buffers (out of hugepage memory?)", spec);
		rc = -ENOMEM;
		goto close;
	}
	for (q = 0; q < dev->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, nrxd,
					    numa >= 0 ? (unsigned int)numa : (unsigned int)SOCKET_ID_ANY,
					    NULL, pool);
		if (rc != 0) {
			ERR("%s: RX queue %u setup failed: %s", spec, q, rte_strerror(-rc));
			goto close;
		}
	}
	for (q = 0; q < dev->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, ntxd,
					    numa >= 0 ? (unsigned int)numa : (unsigned int)SOCKET_ID_ANY,
					    NULL);
		if (rc != 0) {
			ERR("%s: TX queue %u setup failed: %s", spec, q, rte_strerror(-rc));
			goto close;
		}
	}
	/* A relay passes whatever arrives; VFs without trust refuse this,
	 * which is fine: they then see their own MAC and broadcasts. */
	if (rte_eth_promiscuous_enable(port) != 0)
		VLOG_DBG("%s: promiscuous mode not available", spec);
	rte_eth_allmulticast_enable(port);
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		ERR("%s: start failed: %s", spec, rte_strerror(-rc));
		goto close;
	}
	VLOG_INFO("%s: port %u up, %u RX / %u TX queues of %u/%u descriptors, "
		  "NUMA node %d", spec, port, dev->nb_rxq, dev->nb_txq, nrxd, ntxd,
		  dev->numa);
	return 0;

close:
	rte_eth_dev_close(port);
	if (rdev != NULL) {
		rte_dev_remove(rdev);
		return rc;
	}
remove_by_name:
	{
		uint32_t d, b, s, f;

		rte_eal_hotplug_remove(vfwd_parse_pci(name, &d, &b, &s, &f) == 0
				       ? "pci" : "vdev", name);
	}
	return rc;
}

void
vfwd_device_detach(struct vfwd_device *dev)
{
	struct rte_eth_dev_info info;
	struct rte_device *rdev = NULL;
	int rc;

	if (rte_eth_dev_info_get(dev->port_id, &info) == 0)
		rdev = info.device;
	rc = rte_eth_dev_stop(dev->port_id);
	if (rc != 0)
		VLOG_WARN("%s: stop failed: %s", dev->name, rte_strerror(-rc));
	rte_eth_dev_close(dev->port_id);
	if (rdev != NULL) {
		rc = rte_dev_remove(rdev);
		if (rc != 0)
			VLOG_WARN("%s: remove failed: %s", dev->name, rte_strerror(-rc));
	}
	VLOG_INFO("%s: port %u released", dev->name, dev->port_id);
}
