/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * virtio-forwarder: relays packets between SR-IOV VFs (DPDK ports) and
 * virtio-net devices of QEMU VMs (vhost-user).
 *
 * The main thread reads the configuration, starts EAL and the workers,
 * opens sockets and devices, then serves control requests and signals
 * until SIGTERM or SIGINT.  It runs in the foreground (systemd style).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "config.h"
#include "ctl_ipc.h"
#include "ctl_ovsdb.h"
#include "ctl_ops.h"
#include "ctl_slice.h"
#include "ctl_zmq.h"
#include "devwatch.h"
#include "dataplane.h"
#include "eal.h"
#include "journal.h"
#include "log.h"
#include "metrics.h"
#include "offload.h"
#include "portctl.h"
#include "profile.h"
#include "relay.h"
#include "service.h"
#include "stats.h"
#include "vfio_bind.h"
#include "vhost.h"

/* ------------------------------------------------------------------ */
/* pid file                                                            */
/* ------------------------------------------------------------------ */

/*
 * Opens the lock file 'path', creating it when missing: a regular file of
 * the daemon's user, mode 0600, one link, so that no other user can open
 * it, and so none can lock it.  Anything else at the path (another user's
 * file, a link, a file others may open) is removed and created anew: who
 * can open a file can flock(2) it, and who holds that lock stops every
 * start.  Returns the descriptor or a negative errno.
 */
static int
lockfile_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, rc, tries;

	for (tries = 0; tries < 3; tries++) {
		fd = open(path, O_RDWR | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
				  O_NOCTTY | O_CLOEXEC, 0600);
			if (fd >= 0)
				return fd;
			if (errno == EEXIST)
				continue;       /* another start made it: look again */
		}
		if (fd < 0 && errno != ELOOP && errno != EACCES && errno != EISDIR)
			goto fail;
		if (fd >= 0) {
			if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
			    st.st_uid == geteuid() && (st.st_mode & 077) == 0 &&
			    st.st_nlink == 1)
				return fd;
			close(fd);
		}
		VLOG_WARN("lock file %s: not a file only the daemon's user can open; "
			  "replacing it", path);
		if (unlink(path) != 0 && errno != ENOENT)
			goto fail;
	}
	snprintf(err, errlen, "lock file %s: keeps changing while the daemon starts",
		 path);
	return -EAGAIN;
fail:
	rc = -errno;
	snprintf(err, errlen, "lock file %s: %s (set VIRTIOFWD_PID_DIR or -p)", path,
		 strerror(-rc));
	return rc;
}

/*
 * Writes our pid into a new file and renames it over 'path': readers never
 * see a half-written file, and whatever was at 'path' (a link someone put
 * in a shared directory, say) is replaced, never followed.
 */
static int
pidfile_write(const char *path, char *err, size_t errlen)
{
	char tmp[PATH_MAX], buf[32];
	int fd, n, rc = 0;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp)) {
		snprintf(err, errlen, "pid file %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "pid file %s: %s (set VIRTIOFWD_PID_DIR or -p)",
			 path, strerror(-rc));
		return rc;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (write(fd, buf, (size_t)n) != n || fchmod(fd, 0644) != 0 ||
	    rename(tmp, path) != 0) {
		rc = errno != 0 ? -errno : -EIO;
		snprintf(err, errlen, "pid file %s: %s", path, strerror(-rc));
		unlink(tmp);
	}
	close(fd);
	return rc;
}

/*
 * Takes the daemon's lock and writes the pid file; returns the lock's
 * descriptor, to keep open while the daemon runs.  The lock, not the pid
 * file's existence, tells whether another daemon runs: a file a killed
 * daemon left behind does not stop a restart.  The lock lives on its own
 * root-only file, "<pid file>.lock", never removed (removing it could let
 * two daemons lock two different files); the pid file stays readable by
 * all (mode 0644), and a lock another user takes on it stops nothing.
 */
static int
pidfile_open(const char *path, char *err, size_t errlen)
{
	char lock[PATH_MAX], buf[32];
	int fd, pfd, n, rc;

	if ((size_t)snprintf(lock, sizeof(lock), "%s.lock", path) >= sizeof(lock)) {
		snprintf(err, errlen, "pid file %s: path too long", path);
		return -ENAMETOOLONG;
	}
	fd = lockfile_open(lock, err, errlen);
	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		buf[0] = '\0';
		pfd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (pfd >= 0) {
			n = (int)read(pfd, buf, sizeof(buf) - 1);
			buf[n > 0 ? n : 0] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			close(pfd);
		}
		snprintf(err, errlen, "another virtio-forwarder is running (pid %s, "
			 "pid file %s, lock %s)", buf[0] ? buf : "?", path, lock);
		close(fd);
		return -EBUSY;
	}
	rc = pidfile_write(path, err, errlen);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/* ------------------------------------------------------------------ */
/* Start-up                                                            */
/* ------------------------------------------------------------------ */

/* Logs what binding to vfio-pci did to one device. */
static void
vfio_note(const char *line)
{
	VLOG_INFO("VIRTIOFWD_BIND_VFIO_PCI: %s", line);
}

/*
 * What 1.x's start script did before starting the daemon: bind the devices
 * of VIRTIOFWD_BIND_VFIO_PCI to vfio-pci (before EAL scans the bus) and
 * create the socket directory.  The directories of ipc:// endpoints are
 * made when the services open (ctl_zmq.c).
 */
static int
prepare_host(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	int rc;

	rc = vfwd_vfio_bind("/sys", cfg->vfio_bind, cfg->n_vfio_bind, vfio_note,
			    err, errlen);
	if (rc == 0)
		rc = vfwd_vhost_make_dir(cfg->socket_dir, err, errlen);
	return rc;
}

/*
 * Opens the static sockets and attaches the static devices.  A socket that
 * cannot be opened fails the start, naming the path and the reason: a
 * daemon that says it is ready while no VM can reach it helps nobody.
 * Except when the name is taken by something the daemon must not replace
 * (a file, link or directory, a live socket, another user's socket): in
 * a shared directory any user can do that, and one relay taken must not
 * cost the others theirs.  That relay is reported and left without a
 * socket.  A device that fails is logged and skipped.
 */
static int
open_static_relays(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	char path[PATH_MAX];
	unsigned int i, taken = 0;
	int rc;

	if (!cfg->dynamic_sockets) {
		for (i = 0; i < VFWD_MAX_RELAYS; i++) {
			rc = vfwd_socket_path(cfg, i, path, sizeof(path));
			if (rc != 0) {
				snprintf(err, errlen, "relay %u: socket path too "
					 "long", i);
				return rc;
			}
			rc = vfwd_relay_add_socket(i, path, err, errlen);
			if (rc == -EEXIST) {
				VLOG_ERR("relay %u gets no socket: %s", i, err);
				taken++;
				continue;
			}
			if (rc != 0)
				return rc;
		}
		if (taken == VFWD_MAX_RELAYS) {
			snprintf(err, errlen, "the names of all %u sockets in %s are "
				 "taken (see above)", VFWD_MAX_RELAYS, cfg->socket_dir);
			return -EEXIST;
		}
		VLOG_INFO("%u vhost-user %s for relays 0-%u (%s/%s)%s",
			  VFWD_MAX_RELAYS - taken,
			  cfg->vhost_client ? "clients" : "sockets",
			  VFWD_MAX_RELAYS - 1, cfg->socket_dir, cfg->socket_pattern,
			  taken ? "; the others' names are taken (see above)" : "");
	}
	/* A device that fails to come up is logged and skipped: the other
	 * relays (and their VMs) keep working.  One not there yet is
	 * attached when it appears (devwatch.c). */
	for (i = 0; i < cfg->n_static_devs; i++)
		vfwd_devwatch_static(cfg->static_devs[i].relay, cfg->static_devs[i].spec);
	return 0;
}

/*
 * Says what the DPDK this daemon was built with allows: its ports
 * (RTE_MAX_ETHPORTS) bound the relays that can have a device, a bond
 * taking one port per member and one for itself.
 */
static void
log_limits(void)
{
	if (RTE_MAX_ETHPORTS < VFWD_MAX_RELAYS)
		VLOG_NOTICE("this DPDK build allows %d ports (RTE_MAX_ETHPORTS): at "
			    "most %d relays can have a device at once (relay ids "
			    "stay 0-%d); build with scripts/build-dpdk.sh (a DPDK "
			    "with max_ethports=256) for all %d", RTE_MAX_ETHPORTS,
			    RTE_MAX_ETHPORTS, VFWD_MAX_RELAYS - 1, VFWD_MAX_RELAYS);
	else
		VLOG_INFO("this DPDK build allows %d ports (RTE_MAX_ETHPORTS): "
			  "all %d relays can have a device, a bond of N members "
			  "taking N + 1 ports", RTE_MAX_ETHPORTS, VFWD_MAX_RELAYS);
}

/* ------------------------------------------------------------------ */
/* Main loop                                                           */
/* ------------------------------------------------------------------ */

static int
signals_open(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
	/* Blocked before EAL starts its threads, so that they inherit the
	 * mask and every signal reaches the signalfd below. */
	if ((errno = pthread_sigmask(SIG_BLOCK, set, NULL)) != 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

/* The signalfd and the sampling timer: main's own two sources. */
static int signal_fd = -1;
static int timer_fd = -1;

/* Takes the signal waiting on signal_fd; returns false when it says stop. */
static bool
handle_signal(void)
{
	struct signalfd_siginfo si;

	if (read(signal_fd, &si, sizeof(si)) != sizeof(si))
		return true;
	switch (si.ssi_signo) {
	case SIGTERM:
	case SIGINT:
		VLOG_NOTICE("signal %d: stopping", (int)si.ssi_signo);
		return false;
	case SIGUSR1:
		vfwd_stats_dump(stdout);
		break;
	case SIGHUP:
		VLOG_NOTICE("SIGHUP: configuration is read at start only; "
			    "restart to apply changes");
		break;
	}
	return true;
}

static void
signals_fill(struct vfwd_pollset *ps)
{
	vfwd_pollset_add_fd(ps, signal_fd, POLLIN);
}

static void
signals_run(struct vfwd_pollset *ps)
{
	if ((vfwd_pollset_revents(ps, 0) & POLLIN) && !handle_signal())
		ps->stop = true;
}

/* SIGTERM and SIGINT stop the daemon, SIGUSR1 dumps the stats. */
static const struct vfwd_ctl_source signals_source = {
	.name = "signals",
	.fill = signals_fill,
	.run = signals_run,
};

static void
timer_fill(struct vfwd_pollset *ps)
{
	vfwd_pollset_add_fd(ps, timer_fd, POLLIN);
}

/* Every VFWD_STATS_SAMPLE_MS: the samples behind the rates and the
 * service's watchdog; every second: the checks that can wait that long. */
static void
timer_run(struct vfwd_pollset *ps)
{
	static unsigned int ticks_to_second;
	uint64_t ticks;

	if (!(vfwd_pollset_revents(ps, 0) & POLLIN) ||
	    read(timer_fd, &ticks, sizeof(ticks)) != sizeof(ticks))
		return;
	vfwd_stats_sample();
	vfwd_service_tick();
	vfwd_profile_tick();
	ticks_to_second += (unsigned int)ticks;
	if (ticks_to_second >= 1000 / VFWD_STATS_SAMPLE_MS) {
		ticks_to_second = 0;
		vfwd_devwatch_tick();
		vfwd_vhost_tick();
	}
}

/* The sampling timer. */
static const struct vfwd_ctl_source timer_source = {
	.name = "timer",
	.fill = timer_fill,
	.run = timer_run,
};

/* The most sources the control loop serves. */
#define MAX_SOURCES 8

/*
 * The control thread: signals, the stats sampling timer and the control
 * sources (ctl_source.h), all in one poll.  Nothing here is on the packet
 * path.  The poll set is rebuilt each pass: the OVSDB socket comes and
 * goes, and a ZeroMQ service waiting for the operations thread is left
 * out.
 *
 * Nothing may hold the loop up: each source does a bounded share of its
 * work per pass (ctl_slice.h) and says when it has more, and then the
 * poll does not wait, so the others are served in between.  The sources
 * run in the order of 'sources' (see main()).
 */
static void
main_loop(const struct vfwd_ctl_source *const *sources, int n)
{
	int base[MAX_SOURCES + 1], i;

	for (;;) {
		struct vfwd_pollset ps = { .n = 0, .timeout_ms = -1 };

		for (i = 0; i < n; i++) {
			int t;

			base[i] = ps.base = ps.n;
			if (sources[i]->fill != NULL)
				sources[i]->fill(&ps);
			t = sources[i]->timeout_ms != NULL ? sources[i]->timeout_ms() : -1;
			if (t >= 0 && (ps.timeout_ms < 0 || t < ps.timeout_ms))
				ps.timeout_ms = t;
		}
		base[n] = ps.n;
		if (ps.overflow)
			VLOG_ERR_RL("control loop: more than %d items to poll; the "
				    "last wait for the next pass", VFWD_POLLSET_MAX);
		if (zmq_poll(ps.items, ps.n, ps.timeout_ms) < 0) {
			if (zmq_errno() == EINTR)
				continue;
			VLOG_ERR("poll: %s", zmq_strerror(zmq_errno()));
			return;
		}
		for (i = 0; i < n; i++) {
			ps.base = base[i];
			ps.end = base[i + 1];
			sources[i]->run(&ps);
			if (ps.stop)
				return;
		}
	}
}

/* A timer that fires every VFWD_STATS_SAMPLE_MS. */
static int
sample_timer(void)
{
	struct itimerspec its = {
		.it_interval = { 0, VFWD_STATS_SAMPLE_MS * 1000000L },
		.it_value = { 0, VFWD_STATS_SAMPLE_MS * 1000000L },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Start-up and shut-down have one cleanup path: each step that succeeds
 * adds what the labels below undo, in reverse order.  Exit status 2 is a
 * bad configuration (systemd does not restart it), 1 any other failure.
 */
int
main(int argc, char **argv)
{
	struct vfwd_config *cfg;
	struct vfwd_eal_args eal;
	enum vfwd_config_action action;
	char err[VFWD_ERR_MAX], rundir[PATH_MAX];
	sigset_t sigs;
	/* The control loop's sources, in the order it serves them: a device
	 * going away first (the kernel waits for its relay to let go of it,
	 * and so does whoever removes it), then the operations thread's
	 * answers, then requests. */
	const struct vfwd_ctl_source *sources[MAX_SOURCES] = {
		&signals_source, &timer_source, &vfwd_devwatch_source,
	};
	int n_sources = 3;
	enum vfwd_port_control pc;
	int rc, pidfd = -1, status = EXIT_FAILURE;

	cfg = calloc(1, sizeof(*cfg));
	if (cfg == NULL) {
		fprintf(stderr, "virtio-forwarder: out of memory\n");
		return EXIT_FAILURE;
	}
	rc = vfwd_config_from_args(cfg, argc, argv, &action, err, sizeof(err));
	if (rc == 0 && action == VFWD_CONFIG_RUN)
		rc = vfwd_config_validate(cfg, err, sizeof(err));
	if (rc != 0)
		goto bad_config;
	if (action == VFWD_CONFIG_HELP) {
		vfwd_config_usage(stdout, argv[0]);
		status = EXIT_SUCCESS;
		goto out_cfg;
	}
	if (action == VFWD_CONFIG_VERSION) {
		printf("virtio-forwarder %s (%s)\nmax ports: %d\n", VFWD_VERSION,
		       rte_version(), RTE_MAX_ETHPORTS);
		status = EXIT_SUCCESS;
		goto out_cfg;
	}
	vfwd_log_init(cfg->log_target, cfg->log_level);
	if (vfwd_eal_check_host(cfg, err, sizeof(err)) != 0 ||
	    vfwd_vhost_init(cfg, err, sizeof(err)) != 0 ||
	    vfwd_eal_build_args(cfg, &eal, err, sizeof(err)) != 0)
		goto bad_config;
	pidfd = pidfile_open(cfg->pid_path, err, sizeof(err));
	if (pidfd < 0) {
		fprintf(stderr, "virtio-forwarder: %s\n", err);
		goto out_cfg;
	}
	if (prepare_host(cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "virtio-forwarder: %s\n", err);
		goto out_pid;
	}
	rc = signals_open(&sigs);
	if (rc == 0 && (signal_fd = signalfd(-1, &sigs, SFD_CLOEXEC)) < 0)
		rc = -errno;
	if (rc != 0) {
		fprintf(stderr, "virtio-forwarder: signals: %s\n", strerror(-rc));
		goto out_pid;
	}

	rc = rte_eal_init(eal.argc, eal.argv);
	if (rc < 0) {
		fprintf(stderr, "virtio-forwarder: DPDK EAL initialisation failed: %s "
			"(see the EAL messages above; extra EAL arguments come from "
			"VIRTIOFWD_EAL_ARGS)\n", rte_strerror(rte_errno));
		goto out_pid;
	}
	vfwd_log_take_over_dpdk();
	VLOG_NOTICE("virtio-forwarder %s starting (%s, max ports %d)", VFWD_VERSION,
		    rte_version(), RTE_MAX_ETHPORTS);
	log_limits();

	rc = vfwd_dp_init(cfg);
	if (rc != 0) {
		VLOG_ERR("cannot set up workers: %s", strerror(-rc));
		goto out_eal;
	}
	/* Software segmentation's indirect buffers, shared by all relays:
	 * only guests with offloads send what needs them. */
	if (cfg->tso && vfwd_ofl_init(VFWD_OFL_INDIRECT_MBUFS, SOCKET_ID_ANY) != 0) {
		VLOG_ERR("cannot create %u indirect packet buffers for software "
			 "segmentation (out of hugepage memory?)", VFWD_OFL_INDIRECT_MBUFS);
		goto out_workers;
	}
	vfwd_relays_init(cfg);
	vfwd_profile_init(cfg);
	vfwd_portctl_init(cfg);
	if (vfwd_dp_start() != 0)
		goto out_workers;
	if (vfwd_devwatch_start(cfg, err, sizeof(err)) != 0) {
		VLOG_ERR("%s", err);
		goto out_relays;
	}
	if (open_static_relays(cfg, err, sizeof(err)) != 0) {
		VLOG_ERR("cannot open the vhost-user sockets: %s", err);
		goto out_relays;
	}
	timer_fd = sample_timer();
	if (timer_fd < 0) {
		VLOG_ERR("stats timer: %s", strerror(errno));
		goto out_relays;
	}
	vfwd_stats_sample();
	pc = vfwd_config_port_control(cfg);
	if (pc != VFWD_PORT_CONTROL_NONE) {
		rc = vfwd_ops_start();
		if (rc < 0) {
			VLOG_ERR("operations thread: %s", strerror(-rc));
			goto out_relays;
		}
		sources[n_sources++] = &vfwd_ops_source;
	}
	if (vfwd_ctl_zmq_open(cfg, pc == VFWD_PORT_CONTROL_ZMQ, err, sizeof(err)) != 0) {
		VLOG_ERR("%s", err);
		goto out_ops;
	}
	if (pc == VFWD_PORT_CONTROL_OVSDB) {
		vfwd_ovsdb_set_vfio_bind(cfg->vfio_bind, cfg->n_vfio_bind);
		if (vfwd_ovsdb_start(cfg->ovsdb_sock, err, sizeof(err)) != 0) {
			VLOG_ERR("%s", err);
			goto out_ctl;
		}
		sources[n_sources++] = &vfwd_ovsdb_source;
	}
	if (pc == VFWD_PORT_CONTROL_IPC) {
		if (vfwd_ctl_ipc_open(cfg->ipc_dir, err, sizeof(err)) != 0) {
			VLOG_ERR("%s", err);
			goto out_ctl;
		}
		sources[n_sources++] = &vfwd_ctl_ipc_source;
	}

	if (cfg->metrics_ep[0] != '\0' &&
	    vfwd_metrics_start(cfg->metrics_ep, err, sizeof(err)) != 0) {
		VLOG_ERR("%s", err);
		goto out_ctl;
	}

	vfwd_service_ready();
	VLOG_NOTICE("ready: %u worker(s), %s mode, %s sockets", vfwd_dp_n_workers(),
		    cfg->vhost_client ? "vhost-user client" : "vhost-user server",
		    cfg->dynamic_sockets ? "dynamic" : "static");
	vfwd_slice_set_between(vfwd_ctl_zmq_serve_stats);
	sources[n_sources++] = &vfwd_ctl_zmq_source;
	main_loop(sources, n_sources);
	vfwd_slice_set_between(NULL);
	vfwd_service_stopping();

	vfwd_stats_dump(stdout);
	status = EXIT_SUCCESS;
	/* The operation under way answers first. */
	vfwd_ops_stop();
	vfwd_ctl_ipc_close();
out_ctl:
	vfwd_metrics_stop();
	/* The operation under way answers, then the sources close. */
	vfwd_ops_stop();
	vfwd_ovsdb_stop();
	vfwd_ctl_zmq_close();
out_ops:
	vfwd_ops_stop();
out_relays:
	vfwd_devwatch_stop();
	vfwd_relays_fini();
	vfwd_profile_fini();
	if (timer_fd >= 0)
		close(timer_fd);
out_workers:
	vfwd_dp_fini();
	vfwd_ofl_fini();
out_eal:
	snprintf(rundir, sizeof(rundir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	vfwd_eal_remove_runtime_dir(rundir);
out_pid:
	if (signal_fd >= 0)
		close(signal_fd);
	unlink(cfg->pid_path);
	close(pidfd);
	if (status == EXIT_SUCCESS)
		VLOG_NOTICE("stopped");
	goto out_cfg;
bad_config:
	fprintf(stderr, "%svirtio-forwarder: %s\n",
		vfwd_journal_stream(STDERR_FILENO) ? "<3>" : "", err);
	status = 2;
out_cfg:
	free(cfg);
	return status;
}
