/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Sleeping when idle: arming, waiting, disarming.  See sleep.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_vhost.h>

#include "log.h"
#include "sleep.h"

/* The first timer sleep; each next one doubles, up to max_ns. */
#define STEP_MIN_NS 1000u

/* A new epoll set holding the wake fd, or -errno. */
static int
new_set(const struct vfwd_sleeper *s)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = s->wake_fd };
	int epfd = epoll_create1(EPOLL_CLOEXEC), rc;

	if (epfd < 0)
		return -errno;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, s->wake_fd, &ev) != 0) {
		rc = -errno;
		close(epfd);
		return rc;
	}
	return epfd;
}

int
vfwd_sleep_init(struct vfwd_sleeper *s, unsigned int max_us)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->epfd = -1;
	s->max_ns = (uint64_t)max_us * 1000u;
	s->step_ns = STEP_MIN_NS;
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0) {
		rc = -errno;
		goto fail;
	}
	s->epfd = new_set(s);
	if (s->epfd < 0) {
		rc = s->epfd;
		goto fail;
	}
	return 0;
fail:
	vfwd_sleep_fini(s);
	return rc;
}

void
vfwd_sleep_fini(struct vfwd_sleeper *s)
{
	if (s->epfd >= 0)
		close(s->epfd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	s->epfd = s->wake_fd = -1;
}

bool
vfwd_sleep_allowed(const struct vfwd_unit *units, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct vfwd_unit *u = &units[i];

		if (u->dir == VFWD_DIR_VM_TO_VF && u->vid >= 0 &&
		    RTE_VHOST_NEED_LOG(__atomic_load_n(u->features, __ATOMIC_RELAXED)))
			return false;
	}
	return true;
}

/* Adds 'fd' to what the next sleep waits on. */
static void
want_fd(struct vfwd_sleeper *s, int fd)
{
	if (s->n_want < VFWD_SLEEP_MAX_FDS - 1)
		s->want[s->n_want++] = fd;
}

/* Guest notifications on every enabled TX queue of the unit's guest. */
static bool
arm_guest(struct vfwd_sleeper *s, struct vfwd_unit *u)
{
	uint32_t mask = __atomic_load_n(u->q_enabled, __ATOMIC_RELAXED);
	struct rte_vhost_vring vr;
	bool evented = true;

	while (mask != 0) {
		uint16_t vring = (uint16_t)(2 * __builtin_ctz(mask) + 1);

		mask &= mask - 1;
		if (rte_vhost_enable_guest_notification(u->vid, vring, 1) != 0 ||
		    rte_vhost_get_vhost_vring(u->vid, vring, &vr) != 0 ||
		    vr.kickfd < 0) {
			evented = false;
			continue;
		}
		want_fd(s, vr.kickfd);
	}
	return evented;
}

/*
 * RX interrupts on every queue of the unit's device.  A driver without
 * them says so in the first call (-ENOTSUP, nothing logged); the unit
 * remembers, and asks again only after it has carried traffic.
 */
static bool
arm_device(struct vfwd_sleeper *s, struct vfwd_unit *u)
{
	uint16_t port = (uint16_t)u->port_id, q;
	int fd;

	if (u->no_intr)
		return false;
	for (q = 0; q < u->nb_dev_q; q++) {
		if (rte_eth_dev_rx_intr_enable(port, q) != 0)
			goto none;
		fd = rte_eth_dev_rx_intr_ctl_q_get_fd(port, q);
		if (fd < 0)
			goto none;
		want_fd(s, fd);
	}
	return true;
none:
	/* Once per unit and publication, and only when idle. */
	VLOG_DBG("relay %u: port %u RX queue %u has no interrupt; an idle "
		 "worker polls it on a timer", u->relay_id, port, q);
	u->no_intr = 1;
	return false;
}

/*
 * Makes the epoll set hold exactly the wanted fds.  Edge-triggered: an
 * fd is never read (a device's may be its packet queue), and an eventfd
 * written again wakes us again.  The set changes only when the units or
 * their queues do, so most sleeps make no system call here.
 *
 * A changed set is a new one, not the old one with its fds deleted: the
 * units those came from may be gone, and their fds closed (which took
 * them out of the set) and their numbers even given to other files by
 * now.  Only if no new set can be made are they deleted by number, and
 * the errors of those that are gone ignored.
 */
static void
update_set(struct vfwd_sleeper *s)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	unsigned int i;
	int epfd;

	if (s->n_want == s->n_fds &&
	    memcmp(s->want, s->fds, s->n_fds * sizeof(s->fds[0])) == 0)
		return;
	epfd = new_set(s);
	if (epfd >= 0) {
		close(s->epfd);
		s->epfd = epfd;
	} else {
		for (i = 0; i < s->n_fds; i++)
			epoll_ctl(s->epfd, EPOLL_CTL_DEL, s->fds[i], NULL);
	}
	for (i = 0; i < s->n_want; i++) {
		ev.data.fd = s->want[i];
		epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->want[i], &ev);
	}
	memcpy(s->fds, s->want, s->n_want * sizeof(s->fds[0]));
	s->n_fds = s->n_want;
}

bool
vfwd_sleep_arm(struct vfwd_sleeper *s, struct vfwd_unit *units, unsigned int n)
{
	bool evented = true;
	unsigned int i;

	s->n_want = 0;
	for (i = 0; i < n; i++) {
		struct vfwd_unit *u = &units[i];

		if (u->dir == VFWD_DIR_VM_TO_VF && u->vid >= 0)
			evented &= arm_guest(s, u);
		else if (u->dir == VFWD_DIR_VF_TO_VM && u->port_id >= 0)
			evented &= arm_device(s, u);
	}
	update_set(s);
	/* The arming writes (guest memory, device registers) must be seen
	 * before the re-check reads the rings. */
	rte_smp_mb();
	return evented;
}

bool
vfwd_sleep_wait(struct vfwd_sleeper *s, bool evented)
{
	struct epoll_event evs[8];
	uint64_t ns = evented ? s->max_ns : s->step_ns;
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000u),
		.tv_nsec = (long)(ns % 1000000000u),
	};
	uint64_t drained;
	int i, got;

	if (!evented)
		s->step_ns = s->step_ns * 2 > s->max_ns ? s->max_ns : s->step_ns * 2;
	got = epoll_pwait2(s->epfd, evs, 8, &ts, NULL);
	if (got < 0 && errno == ENOSYS)
		got = epoll_wait(s->epfd, evs, 8, (int)((ns + 999999u) / 1000000u));
	for (i = 0; i < got; i++)
		if (evs[i].data.fd == s->wake_fd &&
		    read(s->wake_fd, &drained, sizeof(drained)) < 0)
			break;   /* nothing to drain: someone else did */
	return got > 0;
}

void
vfwd_sleep_disarm(struct vfwd_unit *units, unsigned int n)
{
	unsigned int i;
	uint16_t q, nq;

	for (i = 0; i < n; i++) {
		struct vfwd_unit *u = &units[i];

		if (u->dir == VFWD_DIR_VM_TO_VF && u->vid >= 0) {
			/* Every TX vring, also those the guest disabled since
			 * the arming: the library applies the setting again
			 * when a vring is enabled. */
			nq = (uint16_t)(rte_vhost_get_vring_num(u->vid) / 2);
			for (q = 0; q < nq; q++)
				rte_vhost_enable_guest_notification(u->vid, 2 * q + 1, 0);
		} else if (u->dir == VFWD_DIR_VF_TO_VM && u->port_id >= 0 &&
			   !u->no_intr) {
			for (q = 0; q < u->nb_dev_q; q++)
				rte_eth_dev_rx_intr_disable((uint16_t)u->port_id, q);
		}
	}
}

void
vfwd_sleep_reset(struct vfwd_sleeper *s)
{
	s->step_ns = STEP_MIN_NS;
}

void
vfwd_sleep_wake(const struct vfwd_sleeper *s)
{
	uint64_t one = 1;

	/* A full counter (never, in practice) already means "wake up". */
	if (s->wake_fd >= 0 && write(s->wake_fd, &one, sizeof(one)) < 0)
		return;
}
