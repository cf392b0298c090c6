/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device removal events and awaited static devices; see devwatch.h.
 *
 * Handover from DPDK's interrupt thread to the control thread: the
 * callbacks push the device's name to 'pending' (removal_queue.h) and
 * write the eventfd; the control thread takes the names and does the
 * work.  The queue's lock is held for a copy only, and no worker ever
 * takes it: the per-packet path is not involved at all.
 */
/* rte_dev_event_callback_register() and the uevent monitor are still
 * experimental in DPDK 22.11 (unchanged since 18.05). */
#define ALLOW_EXPERIMENTAL_API 1

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_ethdev.h>

#include "clock.h"
#include "devwatch.h"
#include "errmsg.h"
#include "log.h"
#include "parse.h"
#include "relay.h"
#include "removal_queue.h"
#include "vfio_bind.h"

/* A static device looked for every second. */
struct awaited {
	bool active;
	char spec[VFWD_DEVSPEC_MAX];
	char addr[16];          /* its PCI address, normalised */
	bool wait_gone;         /* removed by the system: still in sysfs
				 * until the kernel finishes; wait for that */
	bool failed;            /* the last attempt failed (logged once) */
	double present_since;   /* first seen present (CLOCK_MONOTONIC s),
				 * or 0 */
};

/*
 * A device that appears is attached once it has been present this long.
 * SR-IOV PF drivers reset the PF while VFs are being created, after the
 * VFs show in sysfs (igb does, within the sriov_numvfs write, which takes
 * about 2.6 s in the test kit), and a VF attached before that reset stays
 * silent: DPDK 22.11's igb VF driver raises no reset event to recover on.
 */
#define AWAITED_SETTLE_S 3.0

static const struct vfwd_config *config;
static int efd = -1;
static bool dev_cb, eth_cb;

/* Removals noted and not yet handled; more than its capacity at once
 * are dropped with a warning. */
static struct vfwd_removal_queue pending = VFWD_REMOVAL_QUEUE_INIT;

static struct awaited awaited[VFWD_MAX_RELAYS];     /* by relay; control thread */

/* ------------------------------------------------------------------ */
/* DPDK's interrupt thread                                             */
/* ------------------------------------------------------------------ */

/* Notes that device 'name' is going away, and wakes the control thread. */
static void
note_removal(const char *name, const char *why)
{
	uint64_t one = 1;

	/* Already waiting, or dropped: the control thread is woken anyway. */
	if (!vfwd_removal_push(&pending, name, why, vfwd_mono_s()))
		return;
	if (efd >= 0 && write(efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is full, so the thread is woken anyway;
		 * nothing else can fail on an eventfd we own. */
	}
}

/* RTE_DEV_EVENT_REMOVE: vfio-pci's device request (the kernel wants the
 * device back, e.g. sriov_numvfs=0) or a hot-unplug uevent. */
static void
on_dev_event(const char *name, enum rte_dev_event_type type, void *arg)
{
	(void)arg;
	if (type == RTE_DEV_EVENT_REMOVE && name != NULL)
		note_removal(name, "the system removes it (vfio device request or "
			     "hot-unplug)");
}

/* RTE_ETH_EVENT_INTR_RMV: the PMD saw its device go. */
static int
on_eth_rmv(uint16_t port, enum rte_eth_event_type type, void *arg, void *ret)
{
	char name[RTE_ETH_NAME_MAX_LEN];

	(void)arg;
	(void)ret;
	if (type == RTE_ETH_EVENT_INTR_RMV &&
	    rte_eth_dev_get_name_by_port(port, name) == 0)
		note_removal(name, "its driver reports it removed");
	return 0;
}

/* ------------------------------------------------------------------ */
/* The control thread                                                  */
/* ------------------------------------------------------------------ */

/* The normalised PCI address of 'spec' into 'addr'; -EINVAL when the
 * spec is not a PCI address (a vdev is never awaited). */
static int
pci_addr_of(const char *spec, char *addr, size_t len)
{
	char name[VFWD_DEVSPEC_MAX];
	uint32_t d, b, s, f;

	vfwd_devspec_name(spec, name, sizeof(name));
	if (vfwd_parse_pci(name, &d, &b, &s, &f) != 0)
		return -EINVAL;
	snprintf(addr, len, "%04x:%02x:%02x.%x", d, b, s, f);
	return 0;
}

static bool
pci_present(const char *addr)
{
	char path[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", addr);
	return access(path, F_OK) == 0;
}

/* Awaits 'spec' for relay 'relay'; 'wait_gone' after a removal. */
static void
await(unsigned int relay, const char *spec, const char *addr, bool wait_gone)
{
	struct awaited *a = &awaited[relay];

	a->active = true;
	snprintf(a->spec, sizeof(a->spec), "%s", spec);
	snprintf(a->addr, sizeof(a->addr), "%s", addr);
	a->wait_gone = wait_gone;
	a->failed = false;
	a->present_since = 0;
}

/* Is 'spec' the static device of relay 'relay'? */
static bool
is_static(unsigned int relay, const char *spec)
{
	unsigned int i;

	for (i = 0; i < config->n_static_devs; i++)
		if (config->static_devs[i].relay == relay &&
		    strcmp(config->static_devs[i].spec, spec) == 0)
			return true;
	return false;
}

/* Detaches removed device 'name' from its relay, at once. */
static void
handle_removal(const struct vfwd_removal *p)
{
	struct vfwd_relay_info ri;
	char err[VFWD_ERR_MAX], addr[16];
	double t0 = vfwd_mono_s();
	int id;

	id = vfwd_relay_find_device(p->name);
	if (id < 0 || vfwd_relay_info((unsigned int)id, &ri) != 0) {
		/* Ours no more (detached already, or never a relay's). */
		VLOG_DBG("device %s: removal event (%s); no relay has it", p->name, p->why);
		return;
	}
	VLOG_WARN("relay %d: device %s removed: %s; detaching it now (the relay "
		  "keeps its socket, guest and counters)", id, ri.device, p->why);
	if (vfwd_relay_detach((unsigned int)id, err, sizeof(err)) != 0) {
		VLOG_ERR("relay %d: cannot detach %s: %s", id, ri.device, err);
		return;
	}
	/* Where a removal's time goes: the event's wait for the control
	 * thread, then the detach (the workers' sync and the driver's stop,
	 * close and remove); the kernel waits for the end of it. */
	VLOG_DBG("relay %d: %s: removal event at %.3f (monotonic), handled %.3f s "
		 "later, detached in %.3f s", id, ri.device, p->noted, t0 - p->noted,
		 vfwd_mono_s() - t0);
	if (is_static((unsigned int)id, ri.device) &&
	    pci_addr_of(ri.device, addr, sizeof(addr)) == 0) {
		await((unsigned int)id, ri.device, addr, true);
		VLOG_INFO("relay %d: static device %s is attached again when it "
			  "comes back", id, ri.device);
	}
}

/* Detaches the devices whose removal the callbacks noted. */
static void
devwatch_run(struct vfwd_pollset *ps)
{
	struct vfwd_removal batch[VFWD_REMOVAL_QUEUE_MAX];
	unsigned int i, n, dropped;
	uint64_t v;

	if (!(vfwd_pollset_revents(ps, 0) & POLLIN))
		return;
	/* EAGAIN: nothing was written since the last read; fine. */
	if (efd >= 0 && read(efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		VLOG_DBG("device events: eventfd: %s", strerror(errno));
	n = vfwd_removal_take(&pending, batch, &dropped);
	if (dropped)
		VLOG_WARN("%u device removal events dropped (more than %d at once)",
			  dropped, VFWD_REMOVAL_QUEUE_MAX);
	for (i = 0; i < n; i++)
		handle_removal(&batch[i]);
}

/* Binds (when configured) and attaches awaited device 'a' of 'relay'. */
static int
attach_awaited(unsigned int relay, struct awaited *a, char *err, size_t errlen)
{
	int rc;

	if (vfwd_vfio_bind_lists(config->vfio_bind, config->n_vfio_bind, a->addr)) {
		rc = vfwd_vfio_bind_device("/sys", a->addr, NULL, err, errlen);
		if (rc != 0)
			return rc;
	}
	return vfwd_relay_attach(relay, a->spec, err, errlen);
}

void
vfwd_devwatch_tick(void)
{
	struct vfwd_relay_info ri;
	char err[VFWD_ERR_MAX];
	unsigned int i;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		struct awaited *a = &awaited[i];

		if (!a->active)
			continue;
		if (vfwd_relay_info(i, &ri) == 0 && ri.has_device) {
			/* Port control gave the relay a device meanwhile. */
			VLOG_INFO("relay %u: has device %s now; no longer waiting "
				  "for %s", i, ri.device, a->spec);
			a->active = false;
			continue;
		}
		if (!pci_present(a->addr)) {
			a->wait_gone = false;
			a->present_since = 0;
			continue;
		}
		if (a->wait_gone)
			continue;
		if (a->present_since == 0)
			a->present_since = vfwd_mono_s();
		if (vfwd_mono_s() - a->present_since < AWAITED_SETTLE_S)
			continue;
		if (attach_awaited(i, a, err, sizeof(err)) == 0) {
			VLOG_NOTICE("relay %u: static device %s appeared and is "
				    "attached", i, a->spec);
			a->active = false;
		} else if (!a->failed) {
			/* Retried every second, logged once. */
			VLOG_ERR("relay %u: static device %s appeared but cannot be "
				 "attached (retrying every second): %s", i, a->spec, err);
			a->failed = true;
		}
	}
}

void
vfwd_devwatch_static(unsigned int relay, const char *spec)
{
	char err[VFWD_ERR_MAX], addr[16];

	if (pci_addr_of(spec, addr, sizeof(addr)) == 0 && !pci_present(addr)) {
		VLOG_WARN("VIRTIOFWD_STATIC_VFS: relay %u: %s is not present; it is "
			  "attached when it appears", relay, spec);
		await(relay, spec, addr, false);
		return;
	}
	if (vfwd_relay_attach(relay, spec, err, sizeof(err)) != 0)
		VLOG_ERR("VIRTIOFWD_STATIC_VFS: relay %u: %s", relay, err);
}

int
vfwd_devwatch_start(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	int rc;

	config = cfg;
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0) {
		rc = -errno;
		ERR("device events: eventfd: %s", strerror(errno));
		return rc;
	}
	/* NULL: every device's events. */
	rc = rte_dev_event_callback_register(NULL, on_dev_event, NULL);
	if (rc != 0) {
		ERR("device events: cannot register for them: %s", rte_strerror(-rc));
		goto fail;
	}
	dev_cb = true;
	rc = rte_eth_dev_callback_register(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
					   on_eth_rmv, NULL);
	if (rc != 0) {
		ERR("device events: cannot register for port removals: %s",
		    rte_strerror(-rc));
		goto fail;
	}
	eth_cb = true;
	/* Hot-unplug uevents too (a device that vanishes without a vfio
	 * request).  Without them the vfio request still arrives. */
	if (rte_dev_event_monitor_start() != 0)
		VLOG_INFO("device events: no hot-unplug monitor (uevents); vfio "
			  "device requests are still handled");
	return 0;

fail:
	vfwd_devwatch_stop();
	return rc;
}

void
vfwd_devwatch_stop(void)
{
	if (eth_cb)
		rte_eth_dev_callback_unregister(RTE_ETH_ALL, RTE_ETH_EVENT_INTR_RMV,
						on_eth_rmv, NULL);
	if (dev_cb) {
		rte_dev_event_monitor_stop();
		/* -EAGAIN while the callback runs: try again until it is out. */
		while (rte_dev_event_callback_unregister(NULL, on_dev_event, NULL) == -EAGAIN)
			usleep(1000);
	}
	eth_cb = dev_cb = false;
	if (efd >= 0)
		close(efd);
	efd = -1;
}

static void
devwatch_fill(struct vfwd_pollset *ps)
{
	if (efd >= 0)
		vfwd_pollset_add_fd(ps, efd, POLLIN);
}

const struct vfwd_ctl_source vfwd_devwatch_source = {
	.name = "device events",
	.fill = devwatch_fill,
	.run = devwatch_run,
};
