/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding devices to vfio-pci before EAL starts: what 1.x's start script
 * did with VIRTIOFWD_BIND_VFIO_PCI, done by the daemon itself.
 *
 * Each entry names a PCI device, or the VFs of a PF by the PF's network
 * interface (all of them, or the first N in PCI address order, from the
 * PF's device/virtfnN links).  A device already on vfio-pci is left
 * alone.  Otherwise, as 1.x did, the device's driver_override is set to
 * vfio-pci (race-free: no other device changes driver), the current
 * driver is unbound, and the device is bound to vfio-pci; only where a
 * kernel lacks driver_override is vfio-pci's new_id used instead.
 *
 * Every entry is resolved before any device is touched, so that a typo
 * fails the start without half the devices moved.  A device given by its
 * PCI address that does not exist yet (a VF created later) is noted and
 * skipped: devwatch.c binds it when it appears.  Errors name the
 * device and the sysfs step that failed.
 *
 * Reads and writes sysfs under a root given by the caller, so that tests
 * run against a tree of their own.  Free of DPDK.
 */
#ifndef VFWD_VFIO_BIND_H
#define VFWD_VFIO_BIND_H

#include <stdbool.h>
#include <stddef.h>

#include "parse.h"

/* Receives one line about what was done ("0000:05:02.1: bound to ..."). */
typedef void (*vfwd_vfio_note_fn)(const char *line);

/*
 * Binds the devices of the 'n' entries 'binds' to vfio-pci, under sysfs
 * root 'sysfs' (normally "/sys").  'note' (may be NULL) hears about each
 * device bound or skipped.  Returns 0, or a negative errno with one line in
 * 'err' ("0000:05:02.1: unbinding from ixgbevf (writing 0000:05:02.1 to
 * /sys/bus/pci/devices/0000:05:02.1/driver/unbind): Permission denied").
 * Devices bound before a failure stay bound.
 */
int vfwd_vfio_bind(const char *sysfs, const struct vfwd_vfio_bind *binds,
		   unsigned int n, vfwd_vfio_note_fn note,
		   char *err, size_t errlen);

/*
 * Binds the one PCI device 'addr' ("DDDD:BB:SS.F") to vfio-pci as
 * vfwd_vfio_bind() does; -ENODEV when it does not exist.  For a device
 * that appears after the start (devwatch.c).
 */
int vfwd_vfio_bind_device(const char *sysfs, const char *addr,
			  vfwd_vfio_note_fn note, char *err, size_t errlen);

/*
 * The PCI address ("DDDD:BB:SS.F", into 'addr') of the device that had
 * netdev 'ifname' when it was bound to vfio-pci here; false when no
 * device bound here had that name.  vfio-pci takes the netdev away, and
 * the OVSDB monitor still maps an interface by that name (ctl_ovsdb.c).
 * The caller checks that the device is still there and on vfio-pci.
 */
bool vfwd_vfio_bound_netdev(const char *ifname, char *addr, size_t len);

/* Does one of the 'n' entries 'binds' name PCI device 'addr' itself? */
bool vfwd_vfio_bind_lists(const struct vfwd_vfio_bind *binds, unsigned int n,
			  const char *addr);

#endif /* VFWD_VFIO_BIND_H */
