/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Relays: the pairing of one vhost-user socket with one device, and the
 * control-side API every port control source uses to change them while the
 * workers run.  A relay's state and its transitions are in relay_state.h;
 * relay.c applies them and owns the vhost library's callbacks.
 *
 * All functions here take the relay lock; the vhost library's callbacks
 * come in on its own thread and take it too.  Changes reach the workers
 * only through the data plane (dataplane.h), so when a function returns,
 * no worker can touch what it released.
 */
#ifndef VFWD_RELAY_H
#define VFWD_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "dataplane.h"

/* A consistent picture of one relay, for stats and control replies. */
struct vfwd_relay_info {
	unsigned int id;
	bool has_socket;
	bool has_device;
	bool guest_connected;
	bool dirty_logging;                 /* a live migration is running */
	char socket[PATH_MAX];
	char device[VFWD_DEVSPEC_MAX];
	char ident[VFWD_NAME_MAX];          /* external label, "" when none */
	int port_id;
	int numa;                           /* node of the buffers, -1 none */
	unsigned int pool_size;             /* buffers in its pool, 0: none */
	unsigned int pool_in_use;           /* ... out of the pool now */
	int cpu[VFWD_N_DIRS];               /* CPU serving each direction */
	int pin[VFWD_N_DIRS];               /* configured pin, -1 none */
	uint32_t rxq_enabled, txq_enabled;  /* guest queue bitmaps */
	uint16_t dev_rxq, dev_txq;
	uint32_t dev_ofl;                   /* VFWD_DEV_OFL_* of the device */
	uint16_t dev_mtu;                   /* 0: no device */
	uint64_t dev_oerrors;               /* frames the device failed to send */
	bool gro;                           /* software coalescing is on */
	uint64_t features;                  /* negotiated virtio features */
	uint64_t offered;                   /* features the socket offers */
	struct vfwd_dir_counters dir[VFWD_N_DIRS];  /* summed over workers */
};

/* Sets up the relay table from the configuration (no socket, no device). */
int vfwd_relays_init(const struct vfwd_config *cfg);

/* Removes every socket and device, then frees the table. */
void vfwd_relays_fini(void);

/*
 * Opens the vhost-user socket 'path' for relay 'id' (server or client mode
 * as configured).  -EEXIST when the relay has a socket already or another
 * relay uses 'path'.
 */
int vfwd_relay_add_socket(unsigned int id, const char *path,
			  char *err, size_t errlen);

/* Closes relay 'id''s socket; a connected guest is disconnected first. */
int vfwd_relay_remove_socket(unsigned int id, char *err, size_t errlen);

/*
 * Probes the device 'spec' and attaches it to relay 'id'.  -EEXIST when the
 * relay has a device, -EBUSY when 'spec' serves another relay.
 */
int vfwd_relay_attach(unsigned int id, const char *spec,
		      char *err, size_t errlen);

/*
 * Binds the 'n_members' devices into DPDK bond 'name' (mode 0-6) and
 * attaches the bond to relay 'id'.  A member serving another relay is
 * refused with -EBUSY.
 */
int vfwd_relay_attach_bond(unsigned int id, const char *name, unsigned int mode,
			   const char *const *members, unsigned int n_members,
			   char *err, size_t errlen);

/* Detaches and removes relay 'id''s device (a bond with its members). */
int vfwd_relay_detach(unsigned int id, char *err, size_t errlen);

/*
 * Labels relay 'id' for operators (stats "ident"), e.g. with the cloud
 * port id of its interface; cleared when its device is detached.
 */
int vfwd_relay_set_ident(unsigned int id, const char *ident);

/* Relay serving device 'spec' (a bond, or one of its members) / socket
 * 'path', or -ENOENT. */
int vfwd_relay_find_device(const char *spec);
int vfwd_relay_find_socket(const char *path);

/*
 * Moves relay 'id''s directions to the workers on the given CPUs (-1:
 * leave that direction where it is).  Refuses CPUs that are not workers.
 */
int vfwd_relay_move(unsigned int id, int cpu_vf_to_vm, int cpu_vm_to_vf,
		    char *err, size_t errlen);

/* Fills 'info' for relay 'id'; -ENOENT when it has no socket and no device. */
int vfwd_relay_info(unsigned int id, struct vfwd_relay_info *info);

#endif /* VFWD_RELAY_H */
