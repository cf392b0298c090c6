/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The lifecycle of a relay's device beyond port control: a device the
 * system takes away, and a static device that is not there yet.
 *
 * Removal.  When an operator or an orchestrator removes a VF under the
 * daemon (echo 0 > sriov_numvfs), vfio-pci asks the user to release the
 * device and waits until it is released; DPDK turns the request (and a
 * hot-unplug uevent) into RTE_DEV_EVENT_REMOVE, and a PMD that sees its
 * device go raises RTE_ETH_EVENT_INTR_RMV.  Both come on DPDK's interrupt
 * thread, where a device cannot be removed; the callbacks here only note
 * the device's name and wake the control thread (an eventfd), which
 * detaches the device from its relay at once: the relay keeps its socket,
 * guest and counters, and the log names the device and why.
 *
 * Awaited devices.  A device of VIRTIOFWD_STATIC_VFS that is missing at
 * start, or that the system removed, is looked for every second (its
 * sysfs directory; no scan of the bus): once it is there (and, after a
 * removal, only once it has been gone), it is bound to vfio-pci when
 * VIRTIOFWD_BIND_VFIO_PCI names it and attached to its relay again.
 *
 * Everything but the two event callbacks runs on the control thread.
 */
#ifndef VFWD_DEVWATCH_H
#define VFWD_DEVWATCH_H

#include "config.h"
#include "ctl_source.h"

/*
 * Registers the event callbacks (after EAL's start) and opens the
 * eventfd; keeps 'cfg' (it must outlive the watch) for the bind list.
 */
int vfwd_devwatch_start(const struct vfwd_config *cfg, char *err, size_t errlen);

/* Unregisters the callbacks and closes the eventfd. */
void vfwd_devwatch_stop(void);


/* The control loop's source of device events: detaches the devices
 * whose removal the callbacks noted (ctl_source.h). */
extern const struct vfwd_ctl_source vfwd_devwatch_source;

/*
 * Attaches static device 'spec' to relay 'relay', or, when it is a PCI
 * device that is not present, says so and awaits it.
 */
void vfwd_devwatch_static(unsigned int relay, const char *spec);

/* Once a second: attaches the awaited devices that have appeared. */
void vfwd_devwatch_tick(void);

#endif /* VFWD_DEVWATCH_H */
