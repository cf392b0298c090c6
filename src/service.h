/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The daemon as a systemd service (Type=notify): READY=1 once it serves,
 * STATUS= lines (relays, guests, workers), STOPPING=1, and the watchdog:
 * WATCHDOG=1 is sent only while every worker keeps passing its quiescent
 * points (or sleeps, in adaptive mode), so that a hung worker gets the
 * service restarted.  Without systemd (no NOTIFY_SOCKET) all of it is a
 * no-op.  Called from the main thread only.
 */
#ifndef VFWD_SERVICE_H
#define VFWD_SERVICE_H

/* Tells systemd the daemon is ready, and starts the watchdog if the unit
 * has one (WatchdogSec=). */
void vfwd_service_ready(void);

/* Called every VFWD_STATS_SAMPLE_MS from the main loop: refreshes STATUS=
 * when it changed, and pets the watchdog when it is due and the workers
 * are alive. */
void vfwd_service_tick(void);

/* Tells systemd the daemon is stopping. */
void vfwd_service_stopping(void);

#endif /* VFWD_SERVICE_H */
