/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ifmap.h"

#define WHY(...) snprintf(why, whylen, __VA_ARGS__)

int
vfwd_ifname_valid(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] == '/' || s[i] <= ' ' || s[i] == ':' || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int
vfwd_sysfs_link_name(const char *path, char *out, size_t len)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);
	const char *base;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strlen(base) >= len)
		return -ENAMETOOLONG;
	memcpy(out, base, strlen(base) + 1);
	return 0;
}

int
vfwd_sysfs_read_line(const char *path, char *out, size_t len)
{
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return -errno;
	if (fgets(out, (int)len, f) == NULL) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

/* Parses "pf0vf3" or "vf3" into the VF index; -1 when it is neither. */
static int
vf_index(const char *port_name)
{
	const char *p = port_name;
	unsigned int vf;
	char tail;

	if (p[0] == 'p' && p[1] == 'f') {
		p += 2;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (sscanf(p, "vf%u%c", &vf, &tail) != 1 || vf > 4095)
		return -1;
	return (int)vf;
}

static int
pci_ok(const char *addr)
{
	uint32_t d, b, s, f;

	return vfwd_parse_pci(addr, &d, &b, &s, &f) == 0;
}

int
vfwd_ifmap(const char *sysfs, const char *ifname, char *dev, size_t devlen,
	   char *why, size_t whylen)
{
	char path[PATH_MAX], pci[64], vf_pci[64], port_name[64], sub[64];
	int idx;

	if (!vfwd_ifname_valid(ifname)) {
		WHY("'%s': not a valid interface name", ifname);
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s", sysfs, ifname);
	if (access(path, F_OK) != 0) {
		WHY("%s: no such interface on this host", ifname);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s/device", sysfs, ifname);
	if (vfwd_sysfs_link_name(path, pci, sizeof(pci)) != 0) {
		WHY("%s: no PCI device behind it (a veth, tap or bridge?); name "
		    "the device explicitly (external_ids:virtio_forwarder_device "
		    "or a devargs string)", ifname);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s/device/subsystem", sysfs, ifname);
	if (vfwd_sysfs_link_name(path, sub, sizeof(sub)) != 0 || strcmp(sub, "pci") != 0 ||
	    !pci_ok(pci)) {
		WHY("%s: its device %s is not a PCI device", ifname, pci);
		return -ENODEV;
	}

	/* A representor names its VF in phys_port_name. */
	snprintf(path, sizeof(path), "%s/class/net/%s/phys_port_name", sysfs, ifname);
	if (vfwd_sysfs_read_line(path, port_name, sizeof(port_name)) == 0 &&
	    (idx = vf_index(port_name)) >= 0) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/virtfn%d", sysfs,
			 pci, idx);
		if (vfwd_sysfs_link_name(path, vf_pci, sizeof(vf_pci)) != 0 || !pci_ok(vf_pci)) {
			WHY("%s: representor of VF %d (%s), but PF %s has no virtfn%d",
			    ifname, idx, port_name, pci, idx);
			return -ENODEV;
		}
		snprintf(dev, devlen, "%s", vf_pci);
		return 0;
	}

	/* A VF netdev: its own PCI device is the VF. */
	snprintf(path, sizeof(path), "%s/class/net/%s/device/physfn", sysfs, ifname);
	if (access(path, F_OK) == 0) {
		snprintf(dev, devlen, "%s", pci);
		return 0;
	}
	WHY("%s: %s is not a VF nor a VF representor (relaying it would take "
	    "the whole NIC); name the device explicitly", ifname, pci);
	return -EINVAL;
}
