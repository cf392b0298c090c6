/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where a packed virtqueue's device side stopped, read from the ring
 * itself.  Kept free of DPDK so that the unit tests can check it
 * (tests/unit/test_packed_ring.c); vhost.c applies it to a guest that
 * (re)connects.
 *
 * Why: when a back end goes away without answering GET_VRING_BASE (the
 * daemon restarted, stopped or killed, in client or server mode), QEMU
 * restores a split ring's position from the used index in guest memory,
 * but has nothing to restore a packed ring's from (QEMU 7.2 and 10 alike:
 * a packed ring keeps no index in shared memory).  It then sends the
 * position the ring had when the device last started, stale by every
 * buffer used since, and the back end waits at a descriptor the guest
 * will not make available again: the guest's network is dead until its
 * driver is reloaded.
 *
 * The ring tells the truth.  Only the device writes a descriptor's USED
 * flag as a value that differs from what the driver wrote there: the
 * driver writes USED = !W when it makes a descriptor available in its lap
 * W, the device writes USED = W' when it uses one in its own lap W'.  With
 * nothing in flight (the library marks what it takes used within the same
 * call), the device stopped at position P of lap W, and:
 *   - slots [0, P) were used in lap W (USED = W), or made available
 *     again by a driver already in lap !W (USED = !!W = W);
 *   - slots [P, N) were used in lap !W (USED = !W), made available in
 *     lap W (USED = !W), or never written (a fresh ring, lap 1: USED = 0).
 * So USED changes value exactly once, at P, and is W before it.  The
 * driver's writes never change USED's value at a slot before the device
 * has used it, so the answer holds while the guest runs.
 *
 * A driver that chains descriptors (no indirect descriptors) breaks the
 * pattern: the device writes only the first slot of a used chain.  More
 * than one change tells that case apart, and the ring is then left as
 * QEMU said.
 */
#ifndef VFWD_PACKED_RING_H
#define VFWD_PACKED_RING_H

#include <endian.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/virtio_ring.h>

/* A packed ring position as vhost-user's VRING_BASE carries it: the index
 * in bits 0-14, the wrap counter in bit 15. */
#define VFWD_PACKED_WRAP (1u << 15)

/*
 * Reads the device's position off the packed ring 'desc' of 'size'
 * descriptors (1 to 32768).  Returns the position as VRING_BASE encodes
 * it, or -1 when the USED flags change more than once (chained
 * descriptors: the ring cannot tell).  A fresh ring gives index 0 of
 * lap 1 (0x8000), as QEMU starts one.
 */
static inline int
vfwd_packed_ring_position(const volatile struct vring_packed_desc *desc, uint32_t size)
{
	const uint16_t used = 1u << VRING_PACKED_DESC_F_USED;
	bool first = (le16toh(desc[0].flags) & used) != 0;
	uint32_t i, pos = size;

	for (i = 1; i < size; i++) {
		bool u = (le16toh(desc[i].flags) & used) != 0;

		if (pos == size && u != first)
			pos = i;                /* the change */
		else if (pos != size && u == first)
			return -1;              /* back again: a second change */
	}
	/*
	 * No change: the device stopped at the end of lap 'first', which is
	 * the start of the next lap.  Otherwise it stopped at 'pos' of lap
	 * 'first'.
	 */
	if (pos == size)
		return first ? 0 : (int)VFWD_PACKED_WRAP;
	return (int)(pos | (first ? VFWD_PACKED_WRAP : 0));
}

/* A packed ring position's place in a cycle of two laps (0 to 2 size - 1):
 * the wrap counter is 1 in odd laps, starting with the first. */
static inline uint32_t
vfwd_packed_ring_lin(uint32_t pos, uint32_t size)
{
	return (pos & ~VFWD_PACKED_WRAP) + (pos & VFWD_PACKED_WRAP ? 0 : size);
}

/*
 * Chooses where a packed vring resumes: the position QEMU sent, 'qemu',
 * or the one read off the ring, 'ring' (vfwd_packed_ring_position(), -1
 * when it could not tell), for a ring of 'size' descriptors.
 *
 * QEMU's is stale after a back end went away (the ring was used past
 * it); the ring's is stale after a migration from a back end that did not
 * log its last used descriptors (the ring's copy misses them, so it looks
 * behind).  So the ring wins when QEMU sent a fresh ring's position, which
 * is what QEMU still holds after any number of back end restarts of a
 * guest that booted on this relay, or when the ring is ahead of QEMU by
 * at most a lap; QEMU wins when the ring looks behind it by less than a
 * lap.  (Two laps is all a wrap counter tells apart: after a migration
 * and then a restart, half of the positions cannot be told from a ring
 * that is behind, and QEMU's is kept.)
 */
static inline uint16_t
vfwd_packed_ring_resume(int ring, uint16_t qemu, uint32_t size)
{
	uint32_t ahead;

	if (ring < 0)
		return qemu;
	if (qemu == VFWD_PACKED_WRAP)
		return (uint16_t)ring;
	ahead = (vfwd_packed_ring_lin((uint32_t)ring, size) + 2 * size -
		 vfwd_packed_ring_lin(qemu, size)) % (2 * size);
	return ahead <= size ? (uint16_t)ring : qemu;
}

#endif
