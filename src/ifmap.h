/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mapping a Linux network interface to the device a relay should use,
 * for the OVSDB monitor and the IPC file port control.  The rules:
 *
 *  1. A VF netdev (its PCI device has a "physfn" link): the VF's PCI
 *     address.
 *  2. A switchdev VF representor (phys_port_name "pfNvfM", or "vfM"):
 *     the PCI address behind the PF's "virtfnM" link.
 *  3. Anything else with a PCI device (a PF, a plain NIC): refused, since
 *     relaying it would take the whole NIC from the kernel.
 *  4. No PCI device behind it (veth, tap, bridge...): refused; name the
 *     device explicitly instead (external_ids:virtio_forwarder_device, or
 *     a devargs string in the IPC command).
 *
 * Reads sysfs under a root given by the caller, so tests can build a tree.
 * Free of DPDK.
 */
#ifndef VFWD_IFMAP_H
#define VFWD_IFMAP_H

#include <stddef.h>

/*
 * Maps interface 'ifname' to a device spec in 'dev'.  Returns 0, or a
 * negative errno with the reason in 'why' ("eth3: no PCI device behind
 * it (veth?)...").  'sysfs' is normally "/sys".
 */
int vfwd_ifmap(const char *sysfs, const char *ifname, char *dev, size_t devlen,
	       char *why, size_t whylen);

/* Is 's' a valid Linux interface name (1-15 bytes, no '/', no space)? */
int vfwd_ifname_valid(const char *s);

/*
 * Writes the last path component that the symlink 'path' points to (a PCI
 * address, a driver's name) into 'out'.  0, or a negative errno.
 */
int vfwd_sysfs_link_name(const char *path, char *out, size_t len);

/* Reads the first line of file 'path', without its newline.  0 or -errno. */
int vfwd_sysfs_read_line(const char *path, char *out, size_t len);

#endif /* VFWD_IFMAP_H */
