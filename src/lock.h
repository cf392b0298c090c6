/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mutexes whose rules the compiler checks.
 *
 * Each lock of the daemon is a struct vfwd_mutex, and what it guards says
 * so with VFWD_GUARDED_BY(); a function that expects a lock held says
 * VFWD_REQUIRES(), one that takes it itself VFWD_EXCLUDES().  Built with
 * clang, -Wthread-safety (meson.build turns it on, and -Werror makes a
 * slip a build failure) checks every access against them; other compilers
 * see plain pthread mutexes.
 *
 * What the analysis cannot express is said where it happens, in the few
 * functions marked VFWD_NO_THREAD_SAFETY_ANALYSIS: a field written under
 * two locks and read under either (relay.c's "both" fields), and the
 * condition variable wait, which lets go of the lock inside.  In C, clang
 * cannot name a lock that is a field of the same struct, so the two
 * structs with a lock of their own (ratelimit.h, removal_queue.h) take it
 * throughout each of their few functions instead.  Fields the
 * workers read without a lock are not guarded by one: they are written
 * and read with atomic operations, and their comments say which.
 */
#ifndef VFWD_LOCK_H
#define VFWD_LOCK_H

#include <pthread.h>
#include <stdbool.h>

#if defined(__clang__)
#define VFWD_TSA(x) __attribute__((x))
#else
#define VFWD_TSA(x)
#endif

/* A type that is a lock. */
#define VFWD_CAPABILITY(name) VFWD_TSA(capability(name))
/* A variable or field that may be touched only with 'lock' held. */
#define VFWD_GUARDED_BY(lock) VFWD_TSA(guarded_by(lock))
/* A pointer whose target may be touched only with 'lock' held. */
#define VFWD_PT_GUARDED_BY(lock) VFWD_TSA(pt_guarded_by(lock))
/* A function called with the locks held, which it leaves held. */
#define VFWD_REQUIRES(...) VFWD_TSA(requires_capability(__VA_ARGS__))
/* A function that takes the locks and returns with them held. */
#define VFWD_ACQUIRES(...) VFWD_TSA(acquire_capability(__VA_ARGS__))
/* A function that lets go of locks held when it was called. */
#define VFWD_RELEASES(...) VFWD_TSA(release_capability(__VA_ARGS__))
/* A function that takes the lock when it returns 'ret'. */
#define VFWD_TRY_ACQUIRES(ret, ...) VFWD_TSA(try_acquire_capability(ret, __VA_ARGS__))
/* A function that takes the locks itself: its caller must not hold them. */
#define VFWD_EXCLUDES(...) VFWD_TSA(locks_excluded(__VA_ARGS__))
/* A lock always taken after the ones named. */
#define VFWD_ACQUIRED_AFTER(...) VFWD_TSA(acquired_after(__VA_ARGS__))
/* A function the analysis skips; its comment says why it is right. */
#define VFWD_NO_THREAD_SAFETY_ANALYSIS VFWD_TSA(no_thread_safety_analysis)

/* A mutex the analysis knows about. */
struct VFWD_CAPABILITY("mutex") vfwd_mutex {
	pthread_mutex_t m;
};

/* Static initialiser of a struct vfwd_mutex. */
#define VFWD_MUTEX_INITIALIZER { PTHREAD_MUTEX_INITIALIZER }

/* Takes 'l'. */
static inline void
vfwd_mutex_lock(struct vfwd_mutex *l) VFWD_ACQUIRES(l) VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_lock(&l->m);
}

/* Takes 'l' if it is free; returns true when it did. */
static inline bool
vfwd_mutex_trylock(struct vfwd_mutex *l) VFWD_TRY_ACQUIRES(true, l)
	VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	return pthread_mutex_trylock(&l->m) == 0;
}

/* Lets go of 'l'. */
static inline void
vfwd_mutex_unlock(struct vfwd_mutex *l) VFWD_RELEASES(l) VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	pthread_mutex_unlock(&l->m);
}

/* Waits on 'cond', letting go of 'l' meanwhile; 'l' is held again when
 * it returns, as before the call. */
static inline void
vfwd_mutex_cond_wait(struct vfwd_mutex *l, pthread_cond_t *cond) VFWD_REQUIRES(l)
	VFWD_NO_THREAD_SAFETY_ANALYSIS
{
	pthread_cond_wait(cond, &l->m);
}

#endif /* VFWD_LOCK_H */
