/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The vhost-user side of relays, through DPDK's vhost library: sockets in
 * server mode (ours, owned and permissioned as configured) or client mode
 * (the VM's QEMU listens; the library reconnects by itself), the virtio
 * features offered.  The library's callbacks belong to the relay layer,
 * which passes them in; this file calls nobody back.
 */
#ifndef VFWD_VHOST_H
#define VFWD_VHOST_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct rte_vhost_device_ops;

/*
 * Reads what the socket side needs from 'cfg' and resolves the socket
 * owner and group.  A missing user or group is an error when it was set
 * explicitly, a warning when it is the 1.x default (sockets stay root's
 * until it appears: vfwd_vhost_tick()).
 * With dynamic sockets, each directory of VIRTIOFWD_DYNAMIC_SOCKET_DIRS
 * that exists must pass the checks of the socket directory (see below).
 */
int vfwd_vhost_init(const struct vfwd_config *cfg, char *err, size_t errlen);

/*
 * Creates the socket directory 'dir' with its parents, as 1.x's start
 * script did (mkdir -p).  A directory created here stays root's and is
 * not world-writable (mode 0755 with the socket group in server mode;
 * 1770 for the socket group in client mode, where QEMU creates the
 * sockets).  An existing directory is refused when a user other than
 * root, the daemon's or the socket owner owns it (or a link on the way to
 * it), and reported when every user may write it.  In client mode QEMU's
 * user or group must be able to create sockets in it: a directory of the
 * daemon's own (below /run/virtio-forwarder, which the package's
 * tmpfiles.d entry makes at boot, or holding nothing but sockets) is
 * given the mode above with a notice; any other is refused with the
 * commands that fix it.  Call after vfwd_vhost_init().
 */
int vfwd_vhost_make_dir(const char *dir, char *err, size_t errlen);

/*
 * Looks up a default socket owner or group that was missing at start
 * (libvirt creates libvirt-qemu when it is installed, maybe after the
 * daemon started).  Once found, the open server sockets are given to it,
 * and in client mode the socket directory is checked again as
 * vfwd_vhost_make_dir() does.  Cheap when nothing is missing: the control
 * thread calls it every second, and vfwd_vhost_open() before each socket.
 */
void vfwd_vhost_tick(void);

/*
 * Checks a socket path a port control client asked for: a plain absolute
 * path directly in the socket directory or one of
 * VIRTIOFWD_DYNAMIC_SOCKET_DIRS, reached through no symbolic link and not
 * one itself (sockpath.h).  -EPERM or -EINVAL with the path and the
 * reason in 'err'.
 */
int vfwd_vhost_check_path(const char *path, char *err, size_t errlen);

/*
 * Registers and starts the vhost-user socket 'path', whose events the
 * library reports to 'ops' from its own thread.  In server mode whatever
 * is at 'path' is replaced only when it is a socket a killed daemon left
 * (owned by the daemon's user or the socket owner, nobody listening);
 * anything else is -EEXIST, with what is there in 'err'.  A socket that
 * cannot be bound is reported with the reason, and owner, group and mode
 * 0660 are applied.
 */
int vfwd_vhost_open(const char *path, const struct rte_vhost_device_ops *ops,
		    char *err, size_t errlen);

/*
 * For a guest on packed virtqueues that has just connected ('vid', with
 * 'features' negotiated): puts each vring where the ring itself says its
 * device side stopped, when that differs from the position QEMU sent,
 * which is stale after the back end went away (packed_ring.h).  Logs
 * each correction with the relay's id 'relay'.  Call from new_device,
 * before any worker polls the guest.  Nothing for split rings.
 */
void vfwd_vhost_resume_packed(int vid, uint64_t features, unsigned int relay);

/*
 * For a guest on packed virtqueues whose pages are being logged for a
 * live migration ('vid', stopping): marks each vring's descriptor ring
 * dirty in QEMU's log.  The vhost library logs its writes of used
 * descriptors at the ring's log address, which QEMU sets to the device
 * area, not the descriptor ring where a packed ring's used descriptors
 * are: without this, the destination got a ring with the last used
 * descriptors missing (seen under TCG: a guest whose RX queue then waited
 * on a descriptor the source had already used).  Call from
 * destroy_device, which the library calls when QEMU stops the device at
 * the end of the migration, before it reads the log for the last time.
 */
void vfwd_vhost_log_packed_rings(int vid);

/*
 * Unregisters 'path'.  Must be called without the relay lock held: the
 * library calls destroy_device from here for a connected guest.
 */
void vfwd_vhost_close(const char *path);

#endif /* VFWD_VHOST_H */
