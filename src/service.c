/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * systemd notifications: readiness, status, watchdog.  See service.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "dataplane.h"
#include "log.h"
#include "relay.h"
#include "service.h"

static uint64_t watchdog_usec;     /* 0: no watchdog */
static uint64_t next_pet_us;
static int stalled = -1;           /* worker reported as stalled, or -1 */
static char last_status[256];

void
vfwd_service_ready(void)
{
	uint64_t usec = 0;

	/* Only this process, not its children (it has none). */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		watchdog_usec = usec;
		next_pet_us = vfwd_mono_us();
		VLOG_INFO("systemd watchdog: %" PRIu64 " ms; pinged while the "
			  "workers are alive", usec / 1000);
	}
	sd_notify(0, "READY=1");
	vfwd_service_tick();
}

/* The STATUS= line: what an operator wants from 'systemctl status'. */
static void
update_status(void)
{
	struct vfwd_relay_info ri;
	unsigned int i, devices = 0, guests = 0, sockets = 0;
	char status[sizeof(last_status)];

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		if (vfwd_relay_info(i, &ri) != 0)
			continue;
		sockets += ri.has_socket;
		devices += ri.has_device;
		guests += ri.guest_connected;
	}
	snprintf(status, sizeof(status), "STATUS=%u relay(s) with a device, %u "
		 "guest(s) connected, %u socket(s), %u worker(s)%s", devices, guests,
		 sockets, vfwd_dp_n_workers(),
		 stalled >= 0 ? "; a worker is stalled" : "");
	if (strcmp(status, last_status) != 0) {
		sd_notify(0, status);
		memcpy(last_status, status, sizeof(last_status));
	}
}

void
vfwd_service_tick(void)
{
	static unsigned int ticks;
	uint64_t now;
	int w;

	/* The status once a second: it walks the relay table. */
	if (ticks++ % 10 == 0)
		update_status();
	if (watchdog_usec == 0)
		return;
	now = vfwd_mono_us();
	if (now < next_pet_us)
		return;
	/* Twice per period, as sd_watchdog_enabled(3) advises. */
	next_pet_us = now + watchdog_usec / 2;
	w = vfwd_dp_stalled_worker();
	if (w >= 0) {
		if (stalled != w) {
			VLOG_ERR("worker %d has not passed a quiescent point for %" PRIu64
				 " ms: not petting the systemd watchdog", w,
				 watchdog_usec / 2000);
			/* The status says it now, with the log line, not at
			 * the next once-a-second update. */
			stalled = w;
			update_status();
		}
		return;
	}
	if (stalled >= 0) {
		VLOG_NOTICE("the workers are moving again: petting the systemd watchdog");
		stalled = -1;
		update_status();
	}
	sd_notify(0, "WATCHDOG=1");
}

void
vfwd_service_stopping(void)
{
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}
