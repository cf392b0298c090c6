/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules for the paths of vhost-user sockets, so that no local user can
 * make the daemon (root) remove, replace or create a file where it must
 * not.  No DPDK here: the rules are unit-tested on their own, against real
 * files in a scratch directory.
 *
 * - A socket path a port control client asks for (a dynamic socket) must
 *   be a plain absolute path (no "." or ".." parts, no empty part), lie
 *   directly in a directory the operator allowed, and reach its file
 *   through no symbolic link; the file itself is no link either.
 * - An existing file at a socket path is replaced only when it is a socket
 *   no process listens on (checked with a connect) and owned by a user the
 *   daemon trusts (its own, or the socket owner it gives its sockets to):
 *   what a killed daemon leaves behind.  Anything else stays, and the
 *   caller is told why.
 * - A directory that holds sockets must belong to a trusted user (root,
 *   the daemon's user or the socket owner) and be reached through no link
 *   another user owns; a directory every user may write is allowed but
 *   reported, since anybody can take a socket name there first.
 *
 * Every function that can refuse returns a negative errno and writes one
 * line into 'err' naming the path and the reason.
 */
#ifndef VFWD_SOCKPATH_H
#define VFWD_SOCKPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The longest unix socket path (sun_path less its NUL). */
#define VFWD_SOCKPATH_MAX 107

/* The users the daemon trusts with its socket directories and files. */
struct vfwd_sock_owners {
	uid_t uid[3];
	size_t n;
};

/*
 * Checks the form of 'path' alone: absolute, at most VFWD_SOCKPATH_MAX
 * bytes, no control characters, no empty, "." or ".." component, not
 * ending in '/'.  Returns 0 or -EINVAL (-ENAMETOOLONG when too long).
 */
int vfwd_sockpath_check_form(const char *path, char *err, size_t errlen);

/*
 * Which of the 'n' directories 'dirs' is the directory of 'path' (the
 * part before its last '/'; "/" for a file in the root)?  The comparison
 * is of strings only; 'dirs' must be canonical (no trailing '/', as
 * realpath(3) gives them).  Returns the index, or -1.
 */
int vfwd_sockpath_dir_index(const char *path, const char *const *dirs, size_t n);

/*
 * The checks of a dynamic socket path: its form, that its directory is
 * one of the 'n' allowed directories 'dirs' as they are on disk (links in
 * them resolved; a missing one is skipped), that no component of the
 * path and not the file itself is a symbolic link, and that the directory
 * passes vfwd_sockdir_check() for 'owners'.  -EPERM for a path outside
 * the allowed directories or through a link, -EINVAL for a bad form.
 */
int vfwd_sockpath_check_dynamic(const char *path, const char *const *dirs,
				size_t n, const struct vfwd_sock_owners *owners,
				char *err, size_t errlen);

/*
 * Makes room for a new socket at 'path': nothing there is fine (0); a
 * socket owned by one of 'owners' that no process listens on is removed
 * (1); anything else (a file, directory or link, a live socket, a socket
 * of another user, or one whose state cannot be told) is left as it is:
 * -EEXIST, and 'err' says what is there.
 */
int vfwd_sockpath_claim(const char *path, const struct vfwd_sock_owners *owners,
			char *err, size_t errlen);

/*
 * Checks a directory that holds sockets: it is a directory owned by one
 * of 'owners', and every symbolic link on the way to it is owned by one
 * of them too (a link in /tmp that another user made could point
 * anywhere).  '*world_writable' tells whether every user may create files
 * in it.  -ENOENT when it does not exist, -EPERM when it is not to be
 * trusted.  'what' names it in messages (e.g. "VIRTIOFWD_SOCKET_DIR").
 */
int vfwd_sockdir_check(const char *dir, const char *what,
		       const struct vfwd_sock_owners *owners,
		       bool *world_writable, char *err, size_t errlen);

#endif /* VFWD_SOCKPATH_H */
