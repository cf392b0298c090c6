/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_vhost.h>

#include "errmsg.h"
#include "lock.h"
#include "log.h"
#include "packed_ring.h"
#include "sockpath.h"
#include "vhost.h"
#include "virtio_features.h"

/* The directory the package's tmpfiles.d entry makes at boot: the
 * daemon's own, whose mode and group it may set for the socket side. */
#define PACKAGE_RUN_DIR "/run/virtio-forwarder"

static bool client_mode;
/* VIRTIOFWD_POSTCOPY: the library advertises postcopy (the PAGEFAULT
 * protocol feature) and, on a migration's destination, registers the
 * guest's memory with userfaultfd. */
static bool postcopy;
static uint64_t disabled_features;
static char socket_dir[PATH_MAX];

/*
 * The socket owner and group, and who may own the socket directories and
 * a stale socket we replace: root, the daemon's user, and the socket
 * owner.  A default owner or group missing at start is looked up again
 * (vfwd_vhost_tick(), vfwd_vhost_open()): libvirt creates libvirt-qemu
 * when it is installed, which may be after the daemon started.  The
 * operations thread opens sockets while the control thread ticks, so all
 * of it is under owner_lock, a leaf.
 */
static struct vfwd_mutex owner_lock = VFWD_MUTEX_INITIALIZER;
static uid_t sock_uid VFWD_GUARDED_BY(owner_lock) = (uid_t)-1;
static gid_t sock_gid VFWD_GUARDED_BY(owner_lock) = (gid_t)-1;
/* As configured. */
static char owner_label[VFWD_NAME_MAX] VFWD_GUARDED_BY(owner_lock);
static char group_label[VFWD_NAME_MAX] VFWD_GUARDED_BY(owner_lock);
/* A default not found yet. */
static bool owner_pending VFWD_GUARDED_BY(owner_lock);
static bool group_pending VFWD_GUARDED_BY(owner_lock);
static struct vfwd_sock_owners owners VFWD_GUARDED_BY(owner_lock);

/* The server sockets open now, to be given to an owner that appears. */
struct open_sock {
	TAILQ_ENTRY(open_sock) link;
	char path[];
};
static TAILQ_HEAD(, open_sock) open_socks VFWD_GUARDED_BY(owner_lock) =
	TAILQ_HEAD_INITIALIZER(open_socks);
/* Where dynamic sockets may be: the socket directory, then the list. */
static char allowed_dirs[1 + VFWD_SOCKET_DIRS_MAX][PATH_MAX];
static const char *allowed[1 + VFWD_SOCKET_DIRS_MAX];
static size_t n_allowed;

static void
add_owner(uid_t uid)
	VFWD_REQUIRES(owner_lock)
{
	size_t i;

	for (i = 0; i < owners.n; i++)
		if (owners.uid[i] == uid)
			return;
	if (owners.n < sizeof(owners.uid) / sizeof(owners.uid[0]))
		owners.uid[owners.n++] = uid;
}

/*
 * Reports a socket directory that every user may write.  The directory it
 * recommends is one the daemon makes itself; in client mode one below the
 * run directory, since the socket group gets to write in it and the run
 * directory also holds the control endpoints.
 */
static void
warn_world_writable(const char *what, const char *dir)
{
	VLOG_WARN("%s %s is writable by every user: any of them can take a "
		  "relay's socket name there first, with a file, a link or a "
		  "socket of their own; use a directory only root can write, such "
		  "as %s (the daemon creates a missing one root's%s)", what, dir,
		  client_mode ? PACKAGE_RUN_DIR "/vhost" : PACKAGE_RUN_DIR,
		  client_mode ? ", mode 1770 for the socket group" : "");
}

/*
 * Checks the extra directories of dynamic sockets as the socket directory
 * is checked at start: one another user owns is refused now, rather than
 * at the first request; a missing one is only noted, it may come later.
 */
static int
check_extra_dirs(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	unsigned int i;
	bool ww;
	int rc;

	if (!cfg->dynamic_sockets)
		return 0;
	for (i = 0; i < cfg->n_socket_dirs; i++) {
		rc = vfwd_sockdir_check(cfg->socket_dirs[i],
					"VIRTIOFWD_DYNAMIC_SOCKET_DIRS:", &owners, &ww,
					err, errlen);
		if (rc == -ENOENT) {
			VLOG_NOTICE("VIRTIOFWD_DYNAMIC_SOCKET_DIRS: %s does not exist "
				    "(yet); no socket can be added there until it "
				    "does", cfg->socket_dirs[i]);
			continue;
		}
		if (rc != 0)
			return rc;
		if (ww)
			warn_world_writable("VIRTIOFWD_DYNAMIC_SOCKET_DIRS:",
					    cfg->socket_dirs[i]);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Socket owner and group                                              */
/* ------------------------------------------------------------------ */

/* getpwnam_r(): 0 and the user's id, -ENOENT, or another -errno. */
static int
lookup_user(const char *name, uid_t *uid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);

	if (rc != 0)
		return -rc;
	if (res == NULL)
		return -ENOENT;
	*uid = pw.pw_uid;
	return 0;
}

/* getgrnam_r(): 0 and the group's id, -ENOENT, or another -errno.  A
 * group of many members needs more than a page: up to 1 MiB is tried. */
static int
lookup_group(const char *name, gid_t *gid)
{
	struct group gr, *res = NULL;
	size_t len;
	int rc = ERANGE;

	for (len = 4096; rc == ERANGE && len <= (1u << 20); len *= 4) {
		char *buf = malloc(len);

		if (buf == NULL)
			return -ENOMEM;
		rc = getgrnam_r(name, &gr, buf, len, &res);
		if (rc == 0 && res != NULL)
			*gid = gr.gr_gid;
		free(buf);
	}
	if (rc != 0)
		return -rc;
	return res == NULL ? -ENOENT : 0;
}

/* "group kvm" or "user libvirt-qemu": who QEMU is to the socket side. */
static const char *
qemu_label(char *buf, size_t len)
	VFWD_REQUIRES(owner_lock)
{
	if (sock_gid != (gid_t)-1)
		snprintf(buf, len, "group %s", group_label);
	else
		snprintf(buf, len, "user %s", owner_label);
	return buf;
}

int
vfwd_vhost_init(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	unsigned int i;
	int rc;

	client_mode = cfg->vhost_client;
	postcopy = cfg->postcopy;
	/* The same function tells vfwdctl migrate-check what we offer. */
	disabled_features = vfwd_features_disabled(cfg);
	snprintf(socket_dir, sizeof(socket_dir), "%s", cfg->socket_dir);

	vfwd_mutex_lock(&owner_lock);
	sock_uid = (uid_t)-1;
	sock_gid = (gid_t)-1;
	owner_pending = group_pending = false;
	snprintf(owner_label, sizeof(owner_label), "%s", cfg->socket_owner);
	snprintf(group_label, sizeof(group_label), "%s", cfg->socket_group);
	if (cfg->socket_owner[0] != '\0') {
		rc = lookup_user(cfg->socket_owner, &sock_uid);
		if (rc != 0 && cfg->socket_owner_set) {
			vfwd_mutex_unlock(&owner_lock);
			ERR("VIRTIOFWD_SOCKET_OWNER=%s: %s (create it, or set the "
			    "variable to an existing user, or to an empty value to keep "
			    "the sockets root's)", cfg->socket_owner,
			    rc == -ENOENT ? "no such user" : strerror(-rc));
			return rc;
		}
		if (rc != 0) {
			VLOG_WARN("socket owner '%s' (the default) does not exist; "
				  "vhost-user sockets stay owned by root until it does "
				  "(it is looked up again every second; set "
				  "VIRTIOFWD_SOCKET_OWNER to silence this)",
				  cfg->socket_owner);
			owner_pending = true;
		}
	}
	if (cfg->socket_group[0] != '\0') {
		rc = lookup_group(cfg->socket_group, &sock_gid);
		if (rc != 0 && cfg->socket_group_set) {
			vfwd_mutex_unlock(&owner_lock);
			ERR("VIRTIOFWD_SOCKET_GROUP=%s: %s (create it, or set the "
			    "variable to an existing group, or to an empty value)",
			    cfg->socket_group,
			    rc == -ENOENT ? "no such group" : strerror(-rc));
			return rc;
		}
		if (rc != 0) {
			VLOG_WARN("socket group '%s' (the default) does not exist; "
				  "vhost-user sockets keep root's group until it does "
				  "(it is looked up again every second; set "
				  "VIRTIOFWD_SOCKET_GROUP to silence this)",
				  cfg->socket_group);
			group_pending = true;
		}
	}

	owners.n = 0;
	add_owner(0);
	add_owner(geteuid());
	if (sock_uid != (uid_t)-1)
		add_owner(sock_uid);
	n_allowed = 0;
	snprintf(allowed_dirs[n_allowed++], sizeof(allowed_dirs[0]), "%s",
		 cfg->socket_dir);
	for (i = 0; i < cfg->n_socket_dirs; i++)
		snprintf(allowed_dirs[n_allowed++], sizeof(allowed_dirs[0]), "%s",
			 cfg->socket_dirs[i]);
	for (i = 0; i < n_allowed; i++)
		allowed[i] = allowed_dirs[i];
	rc = check_extra_dirs(cfg, err, errlen);
	vfwd_mutex_unlock(&owner_lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The socket directory                                                */
/* ------------------------------------------------------------------ */

/*
 * Creates one directory of the socket path, or finds it there.  Returns 1
 * when it was created, 0 when it existed, or a negative errno.
 */
static int
make_one_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (mkdir(dir, 0755) == 0)
		return 1;
	rc = -errno;
	if (rc == -EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (rc == -EEXIST)
		rc = -ENOTDIR;
	ERR("VIRTIOFWD_SOCKET_DIR: cannot create %s: %s", dir, strerror(-rc));
	return rc;
}

/*
 * The owner, group and mode the socket directory gets from the daemon.
 * It stays root's, so that no other user can take a socket name in it or
 * replace a socket.  In server mode only the daemon creates sockets there:
 * mode 0755, group the socket group.  In client mode QEMU creates them:
 * with a socket group, mode 1770 for that group (the sticky bit keeps one
 * QEMU from removing another's socket); with only a socket owner, the
 * directory is that user's (QEMU's user must write there, as 1.x's start
 * script arranged).
 */
static void
dir_wanted(uid_t *uid, gid_t *gid, mode_t *mode)
	VFWD_REQUIRES(owner_lock)
{
	*uid = (uid_t)-1;
	*gid = sock_gid;
	*mode = 0755;
	if (client_mode && sock_gid != (gid_t)-1)
		*mode = 01770;
	else if (client_mode && sock_uid != (uid_t)-1)
		*uid = sock_uid;
}

/* Gives 'path' what dir_wanted() says; 0 or a negative errno. */
static int
own_dir(const char *path)
	VFWD_REQUIRES(owner_lock)
{
	uid_t uid;
	gid_t gid;
	mode_t mode;

	dir_wanted(&uid, &gid, &mode);
	/* mkdir's mode passed through the umask; QEMU must get in. */
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0)
		return -errno;
	if (chmod(path, mode) != 0)
		return -errno;
	return 0;
}

/* Can QEMU, as the socket owner or a member of the socket group, create
 * its socket in a directory of 'st'? */
static bool
qemu_can_create(const struct stat *st)
	VFWD_REQUIRES(owner_lock)
{
	const mode_t wx_o = S_IWOTH | S_IXOTH, wx_g = S_IWGRP | S_IXGRP,
		     wx_u = S_IWUSR | S_IXUSR;

	if ((st->st_mode & wx_o) == wx_o)
		return true;
	if (sock_gid != (gid_t)-1 && st->st_gid == sock_gid &&
	    (st->st_mode & wx_g) == wx_g)
		return true;
	return sock_uid != (uid_t)-1 && st->st_uid == sock_uid &&
	       (st->st_mode & wx_u) == wx_u;
}

/*
 * Is the directory 'path' (canonical) the daemon's own, whose group and
 * mode it may change?  The package's run directory and what lies below
 * it are; so is a directory that holds nothing but sockets, as one the
 * daemon made for them does.  Anything else (/var/lib, a home) belongs
 * to somebody else's plan, and is only reported.
 */
static bool
dir_is_ours(const char *path)
	VFWD_REQUIRES(owner_lock)
{
	size_t n = strlen(PACKAGE_RUN_DIR);
	struct dirent *de;
	bool only_sockets = true;
	DIR *d;

	if (!strncmp(path, PACKAGE_RUN_DIR, n) && (path[n] == '\0' || path[n] == '/'))
		return true;
	d = opendir(path);
	if (d == NULL)
		return false;
	while (only_sockets && (de = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		only_sockets = fstatat(dirfd(d), de->d_name, &st,
				       AT_SYMLINK_NOFOLLOW) == 0 && S_ISSOCK(st.st_mode);
	}
	closedir(d);
	return only_sockets;
}

/*
 * In client mode, QEMU creates the sockets in the socket directory: makes
 * sure its user or group can.  A directory of the daemon's own (see
 * dir_is_ours()), root's and writable by no other user, is given the
 * socket group and mode 1770 with a notice, as one the daemon creates;
 * any other is refused, saying how to fix it.  Nothing to do in server
 * mode or without a socket owner and group (QEMU then runs as root, or
 * the operator arranged its access).  Called with owner_lock held.
 */
static int
check_client_dir(const char *path, char *err, size_t errlen)
	VFWD_REQUIRES(owner_lock)
{
	char real[PATH_MAX], who[64];
	struct stat st;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	int rc;

	if (!client_mode || (sock_uid == (uid_t)-1 && sock_gid == (gid_t)-1))
		return 0;
	if (realpath(path, real) == NULL || stat(real, &st) != 0) {
		rc = -errno;
		ERR("VIRTIOFWD_SOCKET_DIR %s: %s", path, strerror(-rc));
		return rc;
	}
	if (qemu_can_create(&st))
		return 0;
	dir_wanted(&uid, &gid, &mode);
	if ((st.st_uid == 0 || st.st_uid == geteuid()) && !(st.st_mode & S_IWOTH) &&
	    (st.st_gid == 0 || st.st_gid == sock_gid) && dir_is_ours(real)) {
		rc = own_dir(real);
		if (rc == 0) {
			VLOG_NOTICE("VIRTIOFWD_SOCKET_DIR %s: in client mode QEMU "
				    "creates the sockets here: gave it to %s, mode "
				    "%04o (it was %04o, group %u)", real,
				    qemu_label(who, sizeof(who)), (unsigned int)mode,
				    (unsigned int)(st.st_mode & 07777),
				    (unsigned int)st.st_gid);
			return 0;
		}
		ERR("VIRTIOFWD_SOCKET_DIR %s: in client mode QEMU creates the "
		    "sockets here, but %s cannot, and changing the directory failed: "
		    "%s", real, qemu_label(who, sizeof(who)), strerror(-rc));
		return rc;
	}
	/* Kept short: paths take up to two thirds of the buffer. */
	if (sock_gid != (gid_t)-1)
		ERR("VIRTIOFWD_SOCKET_DIR %s: client mode, but QEMU (%s) cannot "
		    "create sockets in it (mode %04o, uid %u, gid %u) and it holds "
		    "other files; run chgrp %s %s; chmod 1770 %s, or name a new "
		    "directory such as /run/virtio-forwarder/vhost", real,
		    qemu_label(who, sizeof(who)), (unsigned int)(st.st_mode & 07777),
		    (unsigned int)st.st_uid, (unsigned int)st.st_gid, group_label,
		    real, real);
	else
		ERR("VIRTIOFWD_SOCKET_DIR %s: client mode, but QEMU (%s) cannot "
		    "create sockets in it (mode %04o, uid %u) and it holds other "
		    "files; set VIRTIOFWD_SOCKET_GROUP, or name a new directory such "
		    "as /run/virtio-forwarder/vhost", real,
		    qemu_label(who, sizeof(who)), (unsigned int)(st.st_mode & 07777),
		    (unsigned int)st.st_uid);
	return -EACCES;
}

/*
 * Looks up a default socket owner or group that did not exist at start.
 * Once one does, the server sockets open now are given to it and, in
 * client mode, the socket directory is checked again (check_client_dir()),
 * so that QEMU is not refused until the daemon restarts.  Called with
 * owner_lock held.
 */
static void
resolve_pending(void)
	VFWD_REQUIRES(owner_lock)
{
	char err[VFWD_ERR_MAX];
	const size_t errlen = sizeof(err);
	struct open_sock *o;
	unsigned int n = 0, failed = 0;
	bool found = false;

	if (owner_pending && lookup_user(owner_label, &sock_uid) == 0) {
		owner_pending = false;
		add_owner(sock_uid);
		found = true;
		VLOG_NOTICE("socket owner '%s' exists now (uid %u): vhost-user "
			    "sockets are given to it", owner_label,
			    (unsigned int)sock_uid);
	}
	if (group_pending && lookup_group(group_label, &sock_gid) == 0) {
		group_pending = false;
		found = true;
		VLOG_NOTICE("socket group '%s' exists now (gid %u): vhost-user "
			    "sockets are given to it", group_label,
			    (unsigned int)sock_gid);
	}
	if (!found)
		return;
	if (client_mode) {
		if (check_client_dir(socket_dir, err, errlen) != 0)
			VLOG_ERR("%s", err);
		return;
	}
	TAILQ_FOREACH(o, &open_socks, link) {
		if (chown(o->path, sock_uid, sock_gid) == 0) {
			n++;
		} else {
			failed++;
			VLOG_WARN("%s: chown: %s", o->path, strerror(errno));
		}
	}
	if (n + failed > 0)
		VLOG_NOTICE("%u open vhost-user socket%s given to the socket owner "
			    "and group", n, n == 1 ? "" : "s");
}

void
vfwd_vhost_tick(void)
{
	vfwd_mutex_lock(&owner_lock);
	if (owner_pending || group_pending)
		resolve_pending();
	vfwd_mutex_unlock(&owner_lock);
}

int
vfwd_vhost_make_dir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *p;
	bool ww;
	int rc = 0;

	if (strlen(dir) >= sizeof(path)) {
		ERR("VIRTIOFWD_SOCKET_DIR: %s: too long", dir);
		return -ENAMETOOLONG;
	}
	snprintf(path, sizeof(path), "%s", dir);
	/* mkdir -p: each parent, then the directory itself. */
	for (p = path + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		rc = make_one_dir(path, err, errlen);
		*p = '/';
		if (rc < 0)
			return rc;
	}
	rc = make_one_dir(path, err, errlen);
	if (rc < 0)
		return rc;
	vfwd_mutex_lock(&owner_lock);
	/*
	 * Only a directory created here is given an owner and mode at once;
	 * an existing one (/tmp, /var/run) belongs to whoever made it, save
	 * for what client mode needs (check_client_dir()).  But it must be
	 * one no other user controls: a /tmp/virtio-forwarder made by someone
	 * else before the first start would hand them every relay's socket,
	 * and with them the VMs' traffic.
	 */
	if (rc == 1) {
		rc = own_dir(path);
		if (rc != 0)
			VLOG_WARN("%s: cannot give it its owner and mode: %s", path,
				  strerror(-rc));
		VLOG_INFO("created the socket directory %s", path);
	}
	rc = vfwd_sockdir_check(path, "VIRTIOFWD_SOCKET_DIR", &owners, &ww, err,
				errlen);
	if (rc == 0)
		rc = check_client_dir(path, err, errlen);
	vfwd_mutex_unlock(&owner_lock);
	if (rc != 0)
		return rc;
	if (ww)
		warn_world_writable("VIRTIOFWD_SOCKET_DIR", path);
	return 0;
}

int
vfwd_vhost_check_path(const char *path, char *err, size_t errlen)
{
	int rc;

	vfwd_mutex_lock(&owner_lock);
	rc = vfwd_sockpath_check_dynamic(path, allowed, n_allowed, &owners, err,
					 errlen);
	vfwd_mutex_unlock(&owner_lock);
	return rc;
}

/*
 * Binds a unix socket at 'path' and removes it again, to learn why the
 * vhost library could not: it only logs that binding failed, not why.
 */
static int
check_bindable(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, rc = 0;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ERR("%s: too long for a unix socket (at most %zu bytes)", path,
		    sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;       /* cannot tell; the library will try anyway */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		/* Something appeared since remove_stale() looked: taken. */
		if (rc == -EADDRINUSE)
			ERR("%s: something was created there meanwhile; not "
			    "replacing it", path);
		else
			ERR("%s: cannot create the vhost-user socket: %s", path,
			    strerror(-rc));
		if (rc == -EADDRINUSE)
			rc = -EEXIST;
	} else {
		unlink(path);
	}
	close(fd);
	return rc;
}

/* Removes a socket file a killed daemon left behind, and nothing else
 * (see vfwd_sockpath_claim()). */
static int
remove_stale(const char *path, char *err, size_t errlen)
{
	int rc;

	vfwd_mutex_lock(&owner_lock);
	rc = vfwd_sockpath_claim(path, &owners, err, errlen);
	vfwd_mutex_unlock(&owner_lock);

	if (rc == 1)
		VLOG_INFO("%s: removed stale socket", path);
	return rc < 0 ? rc : 0;
}

int
vfwd_vhost_open(const char *path, const struct rte_vhost_device_ops *ops,
		char *err, size_t errlen)
{
	uint64_t flags = VFWD_VHOST_REGISTER_FLAGS;
	struct open_sock *o;
	int rc;

	/* An owner that appeared since the last tick gets this socket too. */
	vfwd_vhost_tick();
	if (postcopy)
		flags |= RTE_VHOST_USER_POSTCOPY_SUPPORT;
	if (client_mode) {
		flags |= RTE_VHOST_USER_CLIENT;
	} else {
		rc = remove_stale(path, err, errlen);
		if (rc == 0)
			rc = check_bindable(path, err, errlen);
		if (rc != 0)
			return rc;
	}
	if (rte_vhost_driver_register(path, flags) != 0) {
		ERR("%s: vhost-user registration failed (see the log above)", path);
		return -EIO;
	}
	if (disabled_features != 0 &&
	    rte_vhost_driver_disable_features(path, disabled_features) != 0) {
		ERR("%s: cannot set virtio features", path);
		rc = -EIO;
		goto unregister;
	}
	if (rte_vhost_driver_callback_register(path, ops) != 0) {
		ERR("%s: cannot register vhost callbacks", path);
		rc = -EIO;
		goto unregister;
	}
	if (rte_vhost_driver_start(path) != 0) {
		ERR("%s: cannot start the vhost-user %s (directory missing or not "
		    "writable?)", path, client_mode ? "client" : "socket");
		rc = -EIO;
		goto unregister;
	}
	if (!client_mode) {
		vfwd_mutex_lock(&owner_lock);
		if ((sock_uid != (uid_t)-1 || sock_gid != (gid_t)-1) &&
		    chown(path, sock_uid, sock_gid) != 0)
			VLOG_WARN("%s: chown: %s", path, strerror(errno));
		if (chmod(path, 0660) != 0)
			VLOG_WARN("%s: chmod: %s", path, strerror(errno));
		/* For an owner or group that appears later. */
		o = malloc(sizeof(*o) + strlen(path) + 1);
		if (o != NULL) {
			strcpy(o->path, path);
			TAILQ_INSERT_TAIL(&open_socks, o, link);
		}
		vfwd_mutex_unlock(&owner_lock);
	}
	VLOG_DBG("%s: vhost-user %s ready", path, client_mode ? "client" : "server");
	return 0;

unregister:
	rte_vhost_driver_unregister(path);
	return rc;
}

void
vfwd_vhost_resume_packed(int vid, uint64_t features, unsigned int relay)
{
	uint16_t n = rte_vhost_get_vring_num(vid), q, avail, used, resume;
	struct rte_vhost_vring vring;
	int pos;

	if (!(features & (1ULL << VIRTIO_F_RING_PACKED)))
		return;
	for (q = 0; q < n; q++) {
		if (rte_vhost_get_vhost_vring(vid, q, &vring) != 0 ||
		    vring.desc_packed == NULL || vring.size == 0 ||
		    rte_vhost_get_vring_base(vid, q, &avail, &used) != 0)
			continue;
		pos = vfwd_packed_ring_position(vring.desc_packed, vring.size);
		if (pos < 0) {
			VLOG_INFO("relay %u: vring %u: packed ring with chained "
				  "descriptors: it resumes where QEMU says (index "
				  "%u, wrap %u)", relay, q, avail & 0x7fff,
				  avail >> 15);
			continue;
		}
		if (pos == avail && pos == used)
			continue;
		resume = vfwd_packed_ring_resume(pos, avail, vring.size);
		/* Logged once per vring and reconnection: not a flood. */
		if (resume == avail) {
			VLOG_INFO("relay %u: vring %u: the packed ring looks "
				  "stopped at index %u, wrap %u, behind where QEMU "
				  "says (index %u, wrap %u); resuming where QEMU "
				  "says", relay, q, (unsigned int)pos & 0x7fff,
				  (unsigned int)pos >> 15, avail & 0x7fff, avail >> 15);
			continue;
		}
		VLOG_NOTICE("relay %u: vring %u: the packed ring stopped at index "
			    "%u, wrap %u, not where QEMU says (index %u, wrap %u: "
			    "QEMU cannot restore a packed ring after its back end "
			    "went away); resuming there", relay, q,
			    (unsigned int)pos & 0x7fff, (unsigned int)pos >> 15,
			    avail & 0x7fff, avail >> 15);
		if (rte_vhost_set_vring_base(vid, q, resume, resume) != 0)
			VLOG_WARN("relay %u: vring %u: cannot set the ring's "
				  "position", relay, q);
	}
}

void
vfwd_vhost_log_packed_rings(int vid)
{
	struct rte_vhost_memory *mem = NULL;
	struct rte_vhost_vring vring;
	uint64_t features, hva, len;
	uint16_t q, n;
	uint32_t i;

	if (rte_vhost_get_negotiated_features(vid, &features) != 0 ||
	    !(features & (1ULL << VIRTIO_F_RING_PACKED)) ||
	    !(features & (1ULL << VHOST_F_LOG_ALL)) ||
	    rte_vhost_get_mem_table(vid, &mem) != 0)
		return;
	n = rte_vhost_get_vring_num(vid);
	for (q = 0; q < n; q++) {
		if (rte_vhost_get_vhost_vring(vid, q, &vring) != 0 ||
		    vring.desc_packed == NULL)
			continue;
		hva = (uint64_t)(uintptr_t)vring.desc_packed;
		len = (uint64_t)vring.size * sizeof(*vring.desc_packed);
		for (i = 0; i < mem->nregions; i++) {
			const struct rte_vhost_mem_region *m = &mem->regions[i];

			if (hva >= m->host_user_addr &&
			    hva + len <= m->host_user_addr + m->size) {
				rte_vhost_log_write(vid, m->guest_phys_addr +
						    (hva - m->host_user_addr), len);
				break;
			}
		}
	}
	free(mem);
}

void
vfwd_vhost_close(const char *path)
{
	/*
	 * The library waits for its own thread to leave our callbacks for
	 * this socket, and calls destroy_device for a connected guest.  In
	 * server mode it also removes the socket file; we remove nothing
	 * ourselves, least of all when it was not registered: whatever is
	 * at the path then is not ours.
	 */
	struct open_sock *o;

	if (rte_vhost_driver_unregister(path) != 0)
		VLOG_WARN("%s: was not registered", path);
	vfwd_mutex_lock(&owner_lock);
	TAILQ_FOREACH(o, &open_socks, link)
		if (!strcmp(o->path, path)) {
			TAILQ_REMOVE(&open_socks, o, link);
			free(o);
			break;
		}
	vfwd_mutex_unlock(&owner_lock);
	VLOG_DBG("%s: vhost-user socket closed", path);
}
