/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "errmsg.h"
#include "parse.h"
#include "sockpath.h"

/* "user NAME (uid N)", or "uid N" for a uid without a name. */
static const char *
user_label(uid_t uid, char *buf, size_t len)
{
	struct passwd *pw = getpwuid(uid);

	if (pw != NULL)
		snprintf(buf, len, "user %s (uid %u)", pw->pw_name, (unsigned int)uid);
	else
		snprintf(buf, len, "uid %u", (unsigned int)uid);
	return buf;
}

static bool
trusted(uid_t uid, const struct vfwd_sock_owners *owners)
{
	size_t i;

	for (i = 0; i < owners->n; i++)
		if (owners->uid[i] == uid)
			return true;
	return false;
}

/* What kind of file 'mode' is, for messages. */
static const char *
file_kind(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device node";
	return "not a socket";
}

int
vfwd_sockpath_check_form(const char *path, char *err, size_t errlen)
{
	char shown[VFWD_SHOWN_MAX];
	const char *part;
	size_t n;

	if (path == NULL || path[0] != '/') {
		ERR("%s: a socket path must be absolute (start with '/')",
		    path != NULL ? vfwd_show_value(path, shown, sizeof(shown)) : "(none)");
		return -EINVAL;
	}
	/* It is shown again in stats, as a protobuf string. */
	if (!vfwd_text_is_clean(path)) {
		ERR("%s: a socket path must be UTF-8 without control characters",
		    vfwd_show_value(path, shown, sizeof(shown)));
		return -EINVAL;
	}
	n = strlen(path);
	if (n > VFWD_SOCKPATH_MAX) {
		ERR("%s: too long for a unix socket (%zu bytes, at most %d)", path, n,
		    VFWD_SOCKPATH_MAX);
		return -ENAMETOOLONG;
	}
	if (path[n - 1] == '/') {
		ERR("%s: ends in '/'; name the socket file itself", path);
		return -EINVAL;
	}
	/* Each component between slashes: not empty, not "." or "..", so
	 * that the directory read off the string is the one on disk. */
	for (part = path + 1;; part++) {
		size_t len = strcspn(part, "/");

		if (len == 0) {
			ERR("%s: has an empty component ('//'); give the plain path", path);
			return -EINVAL;
		}
		if ((len == 1 && part[0] == '.') ||
		    (len == 2 && part[0] == '.' && part[1] == '.')) {
			ERR("%s: '.' and '..' are not allowed in a socket path; give "
			    "the plain path", path);
			return -EINVAL;
		}
		part += len;
		if (*part == '\0')
			break;
	}
	return 0;
}

int
vfwd_sockpath_dir_index(const char *path, const char *const *dirs, size_t n)
{
	const char *slash = strrchr(path, '/');
	size_t dirlen, i;

	if (slash == NULL)
		return -1;
	dirlen = (size_t)(slash - path);
	for (i = 0; i < n; i++) {
		if (dirlen == 0 ? strcmp(dirs[i], "/") == 0
		    : strlen(dirs[i]) == dirlen && strncmp(dirs[i], path, dirlen) == 0)
			return (int)i;
	}
	return -1;
}

/*
 * Does any component of 'path' (checked for its form) name a symbolic
 * link?  Directories on the way must exist; the file itself need not.
 */
static int
check_no_links(const char *path, char *err, size_t errlen)
{
	char buf[VFWD_SOCKPATH_MAX + 1];
	struct stat st;
	char *p;

	snprintf(buf, sizeof(buf), "%s", path);
	for (p = strchr(buf + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		int rc = 0;

		*p = '\0';
		if (lstat(buf, &st) != 0) {
			rc = -errno;
			ERR("%s: directory %s: %s", path, buf, strerror(-rc));
		} else if (S_ISLNK(st.st_mode)) {
			rc = -EPERM;
			ERR("%s: reached through symbolic link %s; a socket path must "
			    "name its directory without links", path, buf);
		} else if (!S_ISDIR(st.st_mode)) {
			rc = -ENOTDIR;
			ERR("%s: %s is not a directory", path, buf);
		}
		*p = '/';
		if (rc != 0)
			return rc;
	}
	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		ERR("%s: is a symbolic link; a socket path must name the socket itself",
		    path);
		return -EPERM;
	}
	return 0;
}

int
vfwd_sockpath_check_dynamic(const char *path, const char *const *dirs,
			    size_t n, const struct vfwd_sock_owners *owners,
			    char *err, size_t errlen)
{
	char real[PATH_MAX], list[VFWD_ERR_MAX / 2];
	size_t i, used = 0;
	bool ww;
	int rc;

	rc = vfwd_sockpath_check_form(path, err, errlen);
	if (rc != 0)
		return rc;
	list[0] = '\0';
	for (i = 0; i < n; i++) {
		const char *r = real;

		if (realpath(dirs[i], real) == NULL)
			continue;       /* missing: nothing can be in it */
		if (vfwd_sockpath_dir_index(path, &r, 1) == 0)
			break;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 used ? ", " : "", real);
	}
	if (i == n) {
		ERR("%s: not in a directory allowed for vhost-user sockets (allowed: "
		    "%s; see VIRTIOFWD_SOCKET_DIR and VIRTIOFWD_DYNAMIC_SOCKET_DIRS)",
		    path, list[0] ? list : "none exists");
		return -EPERM;
	}
	rc = check_no_links(path, err, errlen);
	if (rc != 0)
		return rc;
	/* The operator allowed the directory, but someone else may have made
	 * it (a name in /tmp, say) since. */
	return vfwd_sockdir_check(real, "socket directory", owners, &ww, err, errlen);
}

/*
 * Does a process listen on the unix socket 'path'?  1 yes, 0 no (nobody
 * accepts: a socket a dead process left), or a negative errno when the
 * connect says neither.  The socket's type is not known: each is tried
 * until one is not refused for its type.
 */
static int
listening(const char *path)
{
	static const int types[] = { SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t i;
	int rc = -EPROTOTYPE;

	memcpy(sa.sun_path, path, strlen(path) + 1);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

		if (fd < 0)
			return -errno;
		/* Non-blocking: a listener whose backlog is full answers
		 * EAGAIN instead of making us wait. */
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			rc = 1;
		else if (errno == EAGAIN || errno == EINPROGRESS)
			rc = 1;
		else if (errno == ECONNREFUSED)
			rc = 0;
		else
			rc = -errno;
		close(fd);
		if (rc != -EPROTOTYPE)
			break;
	}
	return rc;
}

int
vfwd_sockpath_claim(const char *path, const struct vfwd_sock_owners *owners,
		    char *err, size_t errlen)
{
	struct stat st, now;
	char who[96];
	int rc;

	if (strlen(path) > VFWD_SOCKPATH_MAX) {
		ERR("%s: too long for a unix socket (at most %d bytes)", path,
		    VFWD_SOCKPATH_MAX);
		return -ENAMETOOLONG;
	}
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		rc = -errno;
		ERR("%s: cannot look at what is there: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISSOCK(st.st_mode)) {
		ERR("%s: exists and is %s, not a socket; not replacing it", path,
		    file_kind(st.st_mode));
		return -EEXIST;
	}
	if (!trusted(st.st_uid, owners)) {
		ERR("%s: exists and is a socket of %s, not of the daemon's user; not "
		    "replacing it", path, user_label(st.st_uid, who, sizeof(who)));
		return -EEXIST;
	}
	rc = listening(path);
	if (rc > 0) {
		ERR("%s: exists and a process listens on it; not replacing it", path);
		return -EEXIST;
	}
	if (rc < 0) {
		ERR("%s: exists and it cannot be told whether a process listens on it "
		    "(connect: %s); not replacing it", path, strerror(-rc));
		return -EEXIST;
	}
	/* Still the file looked at? */
	if (lstat(path, &now) != 0 || now.st_dev != st.st_dev || now.st_ino != st.st_ino) {
		ERR("%s: changed while it was being checked; not replacing it", path);
		return -EEXIST;
	}
	if (unlink(path) != 0) {
		rc = -errno;
		ERR("%s: cannot remove the stale socket: %s", path, strerror(-rc));
		return rc;
	}
	return 1;
}

int
vfwd_sockdir_check(const char *dir, const char *what,
		   const struct vfwd_sock_owners *owners,
		   bool *world_writable, char *err, size_t errlen)
{
	char buf[PATH_MAX], real[PATH_MAX], who[96];
	struct stat st;
	char *p;
	int rc;

	*world_writable = false;
	if (strlen(dir) >= sizeof(buf) || dir[0] != '/') {
		ERR("%s %s: not an absolute path of at most %zu bytes", what, dir,
		    sizeof(buf) - 1);
		return -EINVAL;
	}
	/* A link on the way that another user made could point anywhere. */
	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1;; p++) {
		char saved;

		p += strcspn(p, "/");
		saved = *p;
		*p = '\0';
		if (lstat(buf, &st) == 0 && S_ISLNK(st.st_mode) &&
		    !trusted(st.st_uid, owners)) {
			ERR("%s %s: reached through symbolic link %s of %s, who could "
			    "point it anywhere; use a path without it", what, dir, buf,
			    user_label(st.st_uid, who, sizeof(who)));
			return -EPERM;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	if (realpath(dir, real) == NULL || stat(real, &st) != 0) {
		rc = -errno;
		ERR("%s %s: %s", what, dir, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		ERR("%s %s: not a directory", what, dir);
		return -ENOTDIR;
	}
	if (!trusted(st.st_uid, owners)) {
		ERR("%s %s: owned by %s, who could remove or replace the sockets in it; "
		    "give it to root (chown root %s) or use a directory only root "
		    "can write", what, dir, user_label(st.st_uid, who, sizeof(who)),
		    real);
		return -EPERM;
	}
	*world_writable = (st.st_mode & S_IWOTH) != 0;
	return 0;
}
