/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The OVSDB monitor: relays the Open vSwitch interfaces marked with
 * external_ids:virtio_forwarder=<relay>.  It speaks the OVSDB management
 * protocol (JSON-RPC, RFC 7047) itself on the ovsdb-server socket, monitors
 * the Interface table, and keeps the relays in step with it:
 *
 *  - relay id: the value of external_ids:virtio_forwarder (0-63);
 *  - device: external_ids:virtio_forwarder_device (PCI address or devargs)
 *    when present, else the interface itself, mapped as ifmap.h says (or,
 *    for a VF netdev the daemon bound to vfio-pci, which took the netdev
 *    away, the VF it was: vfio_bind.h);
 *  - an interface that cannot be mapped is logged once with the reason.
 *
 * When ovsdb-server is absent or restarts, the monitor retries with
 * back-off and resynchronises from the full table when it is back; relays
 * that are still valid keep forwarding all along.  It only ever touches
 * relays it attached itself.
 *
 * It never blocks the control thread: connecting, sending and receiving
 * are non-blocking, and a large change is applied a few relays per call
 * of vfwd_ovsdb_run() (see ctl_slice.h).
 */
#ifndef VFWD_CTL_OVSDB_H
#define VFWD_CTL_OVSDB_H

#include <stdbool.h>
#include <stddef.h>

#include "ctl_source.h"

/*
 * Starts monitoring 'target': a unix socket path ("/run/openvswitch/db.sock"
 * or "unix:PATH") or "tcp:IP:PORT".  The first connection is tried at once;
 * failing to connect is not an error (retried later).
 */
int vfwd_ovsdb_start(const char *target, char *err, size_t errlen);

struct vfwd_vfio_bind;

/*
 * The devices of VIRTIOFWD_BIND_VFIO_PCI ('n' entries 'binds', which must
 * outlive the monitor): a PCI device named there is bound to vfio-pci
 * before the monitor attaches it (a VF whose row names it by its netdev
 * still has its kernel driver).  Not called: nothing is bound.
 */
void vfwd_ovsdb_set_vfio_bind(const struct vfwd_vfio_bind *binds, unsigned int n);

/* The socket to poll, with the poll events it waits for in '*events'
 * (POLLIN, POLLOUT), or -1 while there is none. */
int vfwd_ovsdb_fd(short *events);

/* Milliseconds until the monitor wants vfwd_ovsdb_run() called anyway (a
 * reconnection, a connect or probe timing out), 0 when it has work left
 * from the last call, or -1. */
int vfwd_ovsdb_timeout_ms(void);

/*
 * Does a slice's worth of the monitor's work: connects when due, sends
 * and receives what the poll events 'revents' of its socket allow,
 * handles the messages that arrived whole, and makes relay changes.
 */
void vfwd_ovsdb_run(short revents);

/* Disconnects; the relays attached stay (the daemon is stopping). */
void vfwd_ovsdb_stop(void);

/* The control loop's OVSDB source (ctl_source.h): the three calls above
 * in the shape of the other sources.  The fuzz target calls them as they
 * are. */
extern const struct vfwd_ctl_source vfwd_ovsdb_source;

#endif /* VFWD_CTL_OVSDB_H */
