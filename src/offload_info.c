/* SPDX-License-Identifier: BSD-3-Clause */
#include <linux/virtio_net.h>
#include <stdio.h>
#include <string.h>

#include "offload_info.h"

static const char *const kind_names[VFWD_OFL_N_KINDS] = {
	[VFWD_OFL_CSUM] = "csum",
	[VFWD_OFL_TSO4] = "tso4",
	[VFWD_OFL_TSO6] = "tso6",
	[VFWD_OFL_GUEST_CSUM] = "guest_csum",
	[VFWD_OFL_GUEST_TSO] = "guest_tso",
};

const char *
vfwd_ofl_kind_name(enum vfwd_ofl_kind k)
{
	return (unsigned int)k < VFWD_OFL_N_KINDS ? kind_names[k] : "?";
}

const char *
vfwd_ofl_where_name(enum vfwd_ofl_where w)
{
	switch (w) {
	case VFWD_OFL_DEVICE:
		return "device";
	case VFWD_OFL_SOFTWARE:
		return "software";
	default:
		return "off";
	}
}

static bool
has(uint64_t features, unsigned int bit)
{
	return (features >> bit) & 1;
}

/* 'negotiated' runs in the device when it does 'need' (all of it). */
static enum vfwd_ofl_where
placed(bool negotiated, bool has_device, uint32_t dev_ofl, uint32_t need)
{
	if (!negotiated)
		return VFWD_OFL_OFF;
	return has_device && (dev_ofl & need) == need ? VFWD_OFL_DEVICE
						      : VFWD_OFL_SOFTWARE;
}

void
vfwd_ofl_where(uint64_t f, bool has_device, uint32_t dev_ofl, bool gro,
	       enum vfwd_ofl_where out[VFWD_OFL_N_KINDS])
{
	bool guest_tso = has(f, VIRTIO_NET_F_GUEST_TSO4) ||
		has(f, VIRTIO_NET_F_GUEST_TSO6);

	out[VFWD_OFL_CSUM] = placed(has(f, VIRTIO_NET_F_CSUM), has_device, dev_ofl,
				    VFWD_DEV_OFL_TX_TCP_CSUM | VFWD_DEV_OFL_TX_UDP_CSUM);
	out[VFWD_OFL_TSO4] = placed(has(f, VIRTIO_NET_F_HOST_TSO4), has_device,
				    dev_ofl, VFWD_DEV_OFL_TX_TSO4);
	out[VFWD_OFL_TSO6] = placed(has(f, VIRTIO_NET_F_HOST_TSO6), has_device,
				    dev_ofl, VFWD_DEV_OFL_TX_TSO6);
	/* Without verdicts from the device, the relay still recognises the
	 * partial checksums a kernel interface hands over; the guest checks
	 * the rest itself. */
	out[VFWD_OFL_GUEST_CSUM] = placed(has(f, VIRTIO_NET_F_GUEST_CSUM), has_device,
					  dev_ofl, VFWD_DEV_OFL_RX_CSUM);
	if (!guest_tso)
		out[VFWD_OFL_GUEST_TSO] = VFWD_OFL_OFF;
	else if (has_device && (dev_ofl & VFWD_DEV_OFL_RX_LRO))
		out[VFWD_OFL_GUEST_TSO] = VFWD_OFL_DEVICE;
	else
		out[VFWD_OFL_GUEST_TSO] = gro ? VFWD_OFL_SOFTWARE : VFWD_OFL_OFF;
}

char *
vfwd_ofl_format(const enum vfwd_ofl_where w[VFWD_OFL_N_KINDS], const char *sep,
		char *buf, size_t len)
{
	size_t used = 0;
	int k;

	buf[0] = '\0';
	for (k = 0; k < VFWD_OFL_N_KINDS && used < len; k++) {
		int n = snprintf(buf + used, len - used, "%s%s=%s", k ? sep : "",
				 kind_names[k], vfwd_ofl_where_name(w[k]));

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

char *
vfwd_dev_ofl_format(uint32_t o, const char *sep, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {
		{ VFWD_DEV_OFL_TX_TSO4, "TSO4" },
		{ VFWD_DEV_OFL_TX_TSO6, "TSO6" },
		{ VFWD_DEV_OFL_TX_IPV4_CSUM, "IPv4-checksum" },
		{ VFWD_DEV_OFL_TX_TCP_CSUM, "TCP-checksum" },
		{ VFWD_DEV_OFL_TX_UDP_CSUM, "UDP-checksum" },
		{ VFWD_DEV_OFL_TX_MULTI_SEGS, "multi-segment" },
		{ VFWD_DEV_OFL_RX_CSUM, "RX-checksum" },
		{ VFWD_DEV_OFL_RX_LRO, "LRO" },
	};
	size_t used = 0, i;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && used < len; i++) {
		int n;

		if (!(o & names[i].bit))
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? sep : "",
			     names[i].name);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	if (used == 0)
		snprintf(buf, len, "none");
	return buf;
}
