/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_eth_bond.h>
#include <rte_ethdev.h>

#include "config.h"
#include "device.h"
#include "errmsg.h"
#include "log.h"
#include "offload_info.h"
#include "parse.h"


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

/* The MTU of VIRTIOFWD_JUMBO, when the device takes it. */
#define JUMBO_MTU 9000u

/*
 * The MTU jumbo frames get on a device: 9000, or the largest the device
 * takes.  A device may bound its frames by max_rx_pktlen only (max_mtu
 * left at UINT16_MAX); ethdev then counts an Ethernet header and CRC of
 * overhead, and so must we, or configuring the port fails.
 */
static uint32_t
jumbo_mtu(const struct rte_eth_dev_info *info)
{
	uint32_t overhead = RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
	uint32_t mtu = RTE_MIN(JUMBO_MTU, (uint32_t)info->max_mtu);

	if (info->max_mtu != UINT16_MAX && info->max_rx_pktlen > info->max_mtu)
		overhead = info->max_rx_pktlen - info->max_mtu;
	if (info->max_rx_pktlen > overhead)
		mtu = RTE_MIN(mtu, info->max_rx_pktlen - overhead);
	return RTE_MAX(mtu, (uint32_t)info->min_mtu);
}

/*
 * The offloads the relay asks of a device it can do, in ethdev's terms,
 * and what they make it do in ours (VFWD_DEV_OFL_*).  TCP/UDP checksum
 * verdicts on receive are always asked for: they tell partial checksums
 * apart, and a guest with GUEST_CSUM need not check what the device did.
 * Without them, the packets of a device that fronts a kernel interface
 * are looked at one by one for partial checksums.  TX
 * offloads and LRO only with VIRTIOFWD_TSO (and LRO with VIRTIOFWD_GRO).
 * TSO is used where the device can also do the checksums it needs and
 * send chained buffers (a guest's large packet arrives as a chain).  The
 * tap driver's TSO (DPDK 22.11) cuts IPv4 only, so IPv6 is cut here, and
 * refuses segments whose frame with its Ethernet header exceeds the MTU,
 * so those are cut here too (a guest at the device's MTU sends such).
 */
static uint32_t
choose_offloads(const struct rte_eth_dev_info *info,
		const struct vfwd_device_opts *opts, uint64_t *rx, uint64_t *tx)
{
	static const char *const kernel_fronts[] = {
		"net_af_packet", "net_af_xdp", "net_pcap",
	};
	const uint64_t rx_csum = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
	uint64_t want_tx = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	uint32_t ofl = 0;
	size_t i;
	bool tso;

	if (opts->tso)
		want_tx |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM |
			RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO;
	*tx = info->tx_offload_capa & want_tx;
	*rx = 0;
	if ((info->rx_offload_capa & rx_csum) == rx_csum) {
		*rx |= rx_csum | (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM);
		ofl |= VFWD_DEV_OFL_RX_CSUM;
	}
	for (i = 0; i < sizeof(kernel_fronts) / sizeof(kernel_fronts[0]); i++)
		if (strcmp(info->driver_name, kernel_fronts[i]) == 0)
			ofl |= VFWD_DEV_OFL_RX_PARTIAL;
	/* Coalesced frames exceed a buffer: LRO needs scattered receive. */
	if (opts->tso && opts->lro && (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_TCP_LRO) &&
	    (info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER) &&
	    info->max_lro_pkt_size > 0) {
		*rx |= RTE_ETH_RX_OFFLOAD_TCP_LRO | RTE_ETH_RX_OFFLOAD_SCATTER;
		ofl |= VFWD_DEV_OFL_RX_LRO;
	}
	if (*tx & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		ofl |= VFWD_DEV_OFL_TX_MULTI_SEGS;
	if (*tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)
		ofl |= VFWD_DEV_OFL_TX_IPV4_CSUM;
	if (*tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)
		ofl |= VFWD_DEV_OFL_TX_TCP_CSUM;
	if (*tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM)
		ofl |= VFWD_DEV_OFL_TX_UDP_CSUM;
	tso = (*tx & RTE_ETH_TX_OFFLOAD_TCP_TSO) && (ofl & VFWD_DEV_OFL_TX_TCP_CSUM) &&
		(ofl & VFWD_DEV_OFL_TX_MULTI_SEGS);
	if (tso && (ofl & VFWD_DEV_OFL_TX_IPV4_CSUM))
		ofl |= VFWD_DEV_OFL_TX_TSO4;
	if (tso && strcmp(info->driver_name, "net_tap") != 0)
		ofl |= VFWD_DEV_OFL_TX_TSO6;
	else if (tso)
		ofl |= VFWD_DEV_OFL_TSO_L2_IN_MTU;
	if (!(ofl & (VFWD_DEV_OFL_TX_TSO4 | VFWD_DEV_OFL_TX_TSO6)))
		*tx &= ~RTE_ETH_TX_OFFLOAD_TCP_TSO;
	return ofl;
}

/* Builds the port configuration from what the device can do. */
static void
port_conf(const struct rte_eth_dev_info *info, const struct vfwd_device_opts *opts,
	  uint16_t nb_rxq, struct rte_eth_conf *conf, uint32_t *ofl, const char *name)
{
	memset(conf, 0, sizeof(*conf));
	*ofl = choose_offloads(info, opts, &conf->rxmode.offloads, &conf->txmode.offloads);
	if (*ofl & VFWD_DEV_OFL_RX_LRO)
		conf->rxmode.max_lro_pkt_size = RTE_MIN(info->max_lro_pkt_size,
							(uint32_t)UINT16_MAX);
	if (nb_rxq > 1) {
		uint64_t hf = info->flow_type_rss_offloads &
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP);

		conf->rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf->rx_adv_conf.rss_conf.rss_hf = hf;
		/* The device's own flow hash saves hashing in software.  Only
		 * with RSS mode: ethdev refuses RSS_HASH without it (an igb VF
		 * with one RX queue failed to configure). */
		conf->rxmode.offloads |= info->rx_offload_capa &
			RTE_ETH_RX_OFFLOAD_RSS_HASH;
	}
	if (opts->jumbo) {
		uint32_t mtu = jumbo_mtu(info);

		if (mtu < JUMBO_MTU)
			VLOG_WARN("%s: jumbo frames: the device takes frames of %u "
				  "bytes at most (MTU %u), so it runs at MTU %u "
				  "instead of %u", name, info->max_rx_pktlen, mtu,
				  mtu, JUMBO_MTU);
		conf->rxmode.mtu = mtu;
		conf->rxmode.offloads |= info->rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER;
	}
}

/*
 * Probes 'spec' and finds its port.  -EBUSY when the device is probed
 * already (another relay, or a --vdev given to EAL).
 */
static int
probe_port(const char *spec, uint16_t *port, char *err, size_t errlen)
{
	char name[128];
	int rc;

	vfwd_devspec_name(spec, name, sizeof(name));
	if (find_port(name, port) == 0) {
		ERR("%s: device is already in use", spec);
		return -EBUSY;
	}
	if (rte_eth_dev_count_total() >= RTE_MAX_ETHPORTS) {
		ERR("%s: all %d DPDK ports are in use (the port limit of this DPDK "
		    "build, RTE_MAX_ETHPORTS); detach a device first", spec,
		    RTE_MAX_ETHPORTS);
		return -ENOSPC;
	}
	rc = rte_dev_probe(spec);
	if (rc < 0) {
		ERR("%s: probe failed: %s (is the device present and bound to a "
		    "DPDK-capable driver, or are the devargs right?)", spec,
		    rte_strerror(-rc));
		return rc;
	}
	if (find_port(name, port) != 0) {
		uint32_t d, b, s, f;

		ERR("%s: probed, but it provides no Ethernet port", spec);
		rte_eal_hotplug_remove(vfwd_parse_pci(name, &d, &b, &s, &f) == 0
				       ? "pci" : "vdev", name);
		return -ENODEV;
	}
	return 0;
}

/* Stops, closes and removes the device of 'port'. */
static void
release_port(uint16_t port)
{
	struct rte_eth_dev_info info;
	struct rte_device *rdev = NULL;
	char name[128] = "?";
	int rc;

	if (rte_eth_dev_info_get(port, &info) == 0 && info.device != NULL) {
		rdev = info.device;
		snprintf(name, sizeof(name), "%s", rte_dev_name(rdev));
	}
	rc = rte_eth_dev_stop(port);
	if (rc != 0 && rc != -ENODEV)
		VLOG_WARN("%s: stop failed: %s", name, rte_strerror(-rc));
	rte_eth_dev_close(port);
	if (rdev != NULL) {
		rc = rte_dev_remove(rdev);
		if (rc != 0)
			VLOG_WARN("%s: remove failed: %s", name, rte_strerror(-rc));
	}
}

/*
 * Says why bond 'dev' (port 'bond') did not start.  DPDK's bonding gives
 * members the bond's MAC address when it starts, and fails with -1
 * ("Operation not permitted") when that cannot be done: net_ring ports,
 * for one, have address 0, which the bond takes and cannot hand out.  So that is tried again, member by member, before the bare
 * error is given: nothing DPDK did not just try, and taking the members
 * out of the bond gives them their own address back.
 */
static int
bond_start_failed(uint16_t bond, const struct vfwd_device *dev, const char *label,
		  int rc, char *err, size_t errlen)
{
	char member[RTE_ETH_NAME_MAX_LEN], mac_s[RTE_ETHER_ADDR_FMT_SIZE];
	struct rte_ether_addr mac;
	unsigned int i;
	int r;

	if (rte_eth_macaddr_get(bond, &mac) != 0)
		goto plain;
	rte_ether_format_addr(mac_s, sizeof(mac_s), &mac);
	if (!rte_is_valid_assigned_ether_addr(&mac)) {
		ERR("%s: start failed: the bond took MAC address %s from its first "
		    "member, and DPDK's bonding cannot give its members an address "
		    "that is not a valid unicast one; bond devices that have a MAC "
		    "address (a VF has)", label, mac_s);
		return -EADDRNOTAVAIL;
	}
	for (i = 0; i < dev->n_members; i++) {
		uint16_t p = dev->member_port[i];

		r = rte_eth_dev_default_mac_addr_set(p, &mac);
		if (r == 0)
			continue;
		if (rte_eth_dev_get_name_by_port(p, member) != 0)
			snprintf(member, sizeof(member), "port %u", p);
		ERR("%s: start failed: DPDK's bonding gives members the bond's MAC "
		    "address (%s), and member %s cannot have its MAC address set "
		    "(%s); bond devices whose driver can (a VF's can)", label,
		    mac_s, member, rte_strerror(-r));
		return r;
	}
plain:
	ERR("%s: start failed: %s", label, rte_strerror(-rc));
	return rc;
}

/*
 * Configures 'port' from what the device can do: queues, offloads, ring
 * sizes.  The queues are set up later, by vfwd_device_start(), once the
 * caller has buffers for them.
 */
static int
configure_port(uint16_t port, const struct vfwd_device_opts *opts,
	       struct vfwd_device *dev, char *err, size_t errlen)
{
	const char *label = dev->name;
	struct rte_eth_dev_info info;
	struct rte_eth_conf conf;
	int rc, numa;

	rc = rte_eth_dev_info_get(port, &info);
	if (rc != 0) {
		ERR("%s: cannot read device info: %s", label, rte_strerror(-rc));
		return rc;
	}
	dev->port_id = port;
	dev->nb_rxq = RTE_MIN(info.max_rx_queues, (uint16_t)VFWD_DEV_MAX_QUEUES);
	dev->nb_txq = RTE_MIN(info.max_tx_queues, (uint16_t)VFWD_DEV_MAX_QUEUES);
	if (dev->nb_rxq == 0 || dev->nb_txq == 0) {
		ERR("%s: device has no RX or TX queue", label);
		return -ENODEV;
	}
	if (dev->nb_rxq > 1 && info.flow_type_rss_offloads == 0)
		dev->nb_rxq = 1;
	numa = rte_eth_dev_socket_id(port);
	dev->numa = numa >= 0 ? numa : -1;

	port_conf(&info, opts, dev->nb_rxq, &conf, &dev->ofl, label);
	/* RX interrupts only let an idle worker sleep: a driver that refuses
	 * them is configured without, and its worker sleeps on a timer. */
	conf.intr_conf.rxq = opts->rx_intr;
	rc = rte_eth_dev_configure(port, dev->nb_rxq, dev->nb_txq, &conf);
	if (rc != 0 && conf.intr_conf.rxq) {
		VLOG_INFO("%s: no RX interrupts (%s); an idle worker polls it on "
			  "a timer", label, rte_strerror(-rc));
		conf.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(port, dev->nb_rxq, dev->nb_txq, &conf);
	}
	if (rc != 0 && dev->nb_rxq > 1) {
		/* Some VFs advertise RSS but leave its set-up to the PF (and
		 * refuse it): one RX queue without RSS still relays. */
		VLOG_WARN("%s: configuring %u RX queues with RSS failed (%s); "
			  "using one RX queue", label, dev->nb_rxq, rte_strerror(-rc));
		dev->nb_rxq = 1;
		port_conf(&info, opts, dev->nb_rxq, &conf, &dev->ofl, label);
		conf.intr_conf.rxq = 0;
		rc = rte_eth_dev_configure(port, dev->nb_rxq, dev->nb_txq, &conf);
	}
	if (rc != 0) {
		ERR("%s: configure (%u RX, %u TX queues) failed: %s", label,
		    dev->nb_rxq, dev->nb_txq, rte_strerror(-rc));
		return rc;
	}
	/* What was asked of the driver next to what it reports it can do:
	 * every offload asked for must be among its capabilities (the
	 * real-VF tests check this line on an igb VF). */
	VLOG_DBG("%s: configured: RX offloads 0x%" PRIx64 " (capabilities 0x%" PRIx64
		 "), TX offloads 0x%" PRIx64 " (capabilities 0x%" PRIx64 "), MTU %u "
		 "(device: %u to %u, frames up to %u bytes)", label, conf.rxmode.offloads,
		 info.rx_offload_capa, conf.txmode.offloads, info.tx_offload_capa,
		 conf.rxmode.mtu ? conf.rxmode.mtu : RTE_ETHER_MTU, info.min_mtu,
		 info.max_mtu, info.max_rx_pktlen);
	dev->nb_rxd = VFWD_DEV_RING_SIZE;
	dev->nb_txd = VFWD_DEV_RING_SIZE;
	rte_eth_dev_adjust_nb_rx_tx_desc(port, &dev->nb_rxd, &dev->nb_txd);
	return 0;
}

unsigned int
vfwd_device_ring_mbufs(const struct vfwd_device *dev)
{
	/* A bond's members each have these queues. */
	return (dev->bond ? dev->n_members : 1u) *
		((unsigned int)dev->nb_rxq * dev->nb_rxd +
		 (unsigned int)dev->nb_txq * dev->nb_txd);
}

int
vfwd_device_start(struct vfwd_device *dev, struct rte_mempool *pool,
		  char *err, size_t errlen)
{
	const char *label = dev->name;
	uint16_t q, mtu, port = dev->port_id;
	char ofl[160];
	unsigned int sock = dev->numa >= 0 ? (unsigned int)dev->numa
					    : (unsigned int)SOCKET_ID_ANY;
	int rc;

	for (q = 0; q < dev->nb_rxq; q++) {
		rc = rte_eth_rx_queue_setup(port, q, dev->nb_rxd, sock, NULL, pool);
		if (rc != 0) {
			ERR("%s: RX queue %u setup failed: %s", label, q, rte_strerror(-rc));
			return rc;
		}
	}
	for (q = 0; q < dev->nb_txq; q++) {
		rc = rte_eth_tx_queue_setup(port, q, dev->nb_txd, sock, NULL);
		if (rc != 0) {
			ERR("%s: TX queue %u setup failed: %s", label, q, rte_strerror(-rc));
			return rc;
		}
	}
	/* A relay passes whatever arrives.  But a VF's promiscuous mode is
	 * the PF's to grant, and a driver may well say yes without the PF
	 * delivering anything more (DPDK's igbvf does, for an untrusted VF):
	 * an untrusted VF receives its own MAC, broadcasts and the multicast
	 * groups the PF lets it have, whatever is said here.  That is why
	 * the guest's MAC must be the VF's: the relay's VF port profile
	 * (profile.h) sets it through the PF. */
	rc = rte_eth_promiscuous_enable(port);
	if (rc != 0)
		VLOG_INFO("%s: promiscuous mode refused (%s): the device receives "
			  "its own MAC address and broadcasts only", label,
			  rte_strerror(-rc));
	rc = rte_eth_allmulticast_enable(port);
	if (rc != 0)
		VLOG_INFO("%s: all-multicast mode refused (%s): the device receives "
			  "only the multicast groups its PF allows", label,
			  rte_strerror(-rc));
	rc = rte_eth_dev_start(port);
	if (rc != 0) {
		if (dev->bond)
			return bond_start_failed(port, dev, label, rc, err, errlen);
		ERR("%s: start failed: %s", label, rte_strerror(-rc));
		return rc;
	}
	/* The MTU the device runs at, as the driver reports it; ethdev's
	 * default when the driver cannot say.  No frame longer than that
	 * (and its Ethernet header) is sent to it. */
	if (rte_eth_dev_get_mtu(port, &mtu) != 0 || mtu == 0)
		mtu = RTE_ETHER_MTU;
	dev->mtu = mtu;
	VLOG_INFO("%s: port %u up, %u RX / %u TX queues of %u/%u descriptors, "
		  "MTU %u, NUMA node %d; offloads in the device: %s (the relay "
		  "does the others in software)", label, port, dev->nb_rxq,
		  dev->nb_txq, dev->nb_rxd, dev->nb_txd, mtu, dev->numa,
		  vfwd_dev_ofl_format(dev->ofl, " ", ofl, sizeof(ofl)));
	return 0;
}

int
vfwd_device_probe(const char *spec, const struct vfwd_device_opts *opts,
		  struct vfwd_device *dev, char *err, size_t errlen)
{
	uint16_t port;
	int rc;

	memset(dev, 0, sizeof(*dev));
	rc = probe_port(spec, &port, err, errlen);
	if (rc != 0)
		return rc;
	snprintf(dev->name, sizeof(dev->name), "%s", spec);
	rc = configure_port(port, opts, dev, err, errlen);
	if (rc != 0)
		release_port(port);
	return rc;
}

/*
 * Takes the bond apart: DPDK frees a bond only once it has no members, so
 * they are removed first (stopped, not released: the caller does that).
 * The bond port is closed before it is freed: freeing a stopped bond
 * skips its close, and with it the release of its queues, its VLAN
 * filter and its arguments (about 1.2 KiB of DPDK heap per bond).
 */
static void
free_bond(uint16_t bond, const char *name, const uint16_t *members, unsigned int n)
{
	unsigned int i;
	int rc;

	rte_eth_dev_stop(bond);
	for (i = 0; i < n; i++)
		rte_eth_bond_slave_remove(bond, members[i]);
	rc = rte_eth_dev_close(bond);
	if (rc != 0)
		VLOG_WARN("%s: cannot close the bond: %s", name, rte_strerror(-rc));
	rc = rte_eth_bond_free(name);
	if (rc != 0)
		VLOG_WARN("%s: cannot free the bond: %s", name, rte_strerror(-rc));
}

int
vfwd_device_probe_bond(const char *name, unsigned int mode,
		       const char *const *members, unsigned int n_members,
		       const struct vfwd_device_opts *opts,
		       struct vfwd_device *dev, char *err, size_t errlen)
{
	uint16_t ports[VFWD_BOND_MAX_MEMBERS], bond = 0;
	unsigned int i, probed = 0;
	int rc, node;

	memset(dev, 0, sizeof(*dev));
	if (strncmp(name, "net_bonding", 11) != 0 || strlen(name) >= sizeof(dev->name)) {
		ERR("%s: bond names start with net_bonding (e.g. net_bonding0) and "
		    "have at most %zu characters", name, sizeof(dev->name) - 1);
		return -EINVAL;
	}
	if (n_members < 2 || n_members > VFWD_BOND_MAX_MEMBERS) {
		ERR("%s: a bond has 2 to %d members, not %u", name,
		    VFWD_BOND_MAX_MEMBERS, n_members);
		return -EINVAL;
	}
	if (mode > 6) {
		ERR("%s: bond mode %u: allowed 0-6 (0 round-robin, 1 active-backup, "
		    "2 balance, 3 broadcast, 4 802.3ad, 5 TLB, 6 ALB)", name, mode);
		return -EINVAL;
	}
	/* Refused before anything is probed: a bond that runs out of ports
	 * half-way would only be undone again. */
	if (rte_eth_dev_count_total() + n_members + 1 > RTE_MAX_ETHPORTS) {
		ERR("%s: a bond of %u members takes %u DPDK ports, and only %u of "
		    "the %d this DPDK build allows (RTE_MAX_ETHPORTS) are free; "
		    "detach a device first", name, n_members, n_members + 1,
		    (unsigned int)(RTE_MAX_ETHPORTS - rte_eth_dev_count_total()),
		    RTE_MAX_ETHPORTS);
		return -ENOSPC;
	}
	for (i = 0; i < n_members; i++) {
		rc = probe_port(members[i], &ports[i], err, errlen);
		if (rc != 0)
			goto fail;
		probed++;
	}
	node = rte_eth_dev_socket_id(ports[0]);
	rc = rte_eth_bond_create(name, (uint8_t)mode, (uint8_t)(node >= 0 ? node : 0));
	if (rc < 0) {
		ERR("%s: cannot create the bond: %s (name in use?)", name, rte_strerror(-rc));
		goto fail;
	}
	bond = (uint16_t)rc;
	for (i = 0; i < n_members; i++) {
		rc = rte_eth_bond_slave_add(bond, ports[i]);
		if (rc != 0) {
			ERR("%s: cannot add member %s: %s", name, members[i],
			    rte_strerror(-rc));
			goto fail_bond;
		}
	}
	dev->bond = true;
	dev->n_members = (uint8_t)n_members;
	memcpy(dev->member_port, ports, n_members * sizeof(ports[0]));
	snprintf(dev->name, sizeof(dev->name), "%s", name);
	rc = configure_port(bond, opts, dev, err, errlen);
	if (rc != 0)
		goto fail_bond;
	VLOG_INFO("%s: bond of %u members, mode %u", name, n_members, mode);
	return 0;

fail_bond:
	free_bond(bond, name, ports, n_members);
fail:
	for (i = 0; i < probed; i++)
		release_port(ports[i]);
	dev->bond = false;
	return rc;
}

void
vfwd_device_detach(struct vfwd_device *dev)
{
	unsigned int i;

	if (dev->bond) {
		free_bond(dev->port_id, dev->name, dev->member_port, dev->n_members);
		for (i = 0; i < dev->n_members; i++)
			release_port(dev->member_port[i]);
	} else {
		release_port(dev->port_id);
	}
	VLOG_INFO("%s: port %u released", dev->name, dev->port_id);
}

unsigned int
vfwd_device_max_ports(void)
{
	return RTE_MAX_ETHPORTS;
}

unsigned int
vfwd_device_ports_in_use(void)
{
	return rte_eth_dev_count_total();
}
