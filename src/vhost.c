/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_vhost.h>

#include "errmsg.h"
#include "log.h"
#include "sockpath.h"
#include "vhost.h"
#include "virtio_features.h"

static bool client_mode;
static uint64_t disabled_features;
static uid_t sock_uid = (uid_t)-1;
static gid_t sock_gid = (gid_t)-1;
/* Who may own the socket directories and a stale socket we replace:
 * root, the daemon's user, and the socket owner it gives sockets to. */
static struct vfwd_sock_owners owners;
/* Where dynamic sockets may be: the socket directory, then the list. */
static char allowed_dirs[1 + VFWD_SOCKET_DIRS_MAX][PATH_MAX];
static const char *allowed[1 + VFWD_SOCKET_DIRS_MAX];
static size_t n_allowed;

static void
add_owner(uid_t uid)
{
	size_t i;

	for (i = 0; i < owners.n; i++)
		if (owners.uid[i] == uid)
			return;
	if (owners.n < sizeof(owners.uid) / sizeof(owners.uid[0]))
		owners.uid[owners.n++] = uid;
}

/* Reports a socket directory that every user may write. */
static void
warn_world_writable(const char *what, const char *dir)
{
	VLOG_WARN("%s %s is writable by every user: any of them can take a "
		  "relay's socket name there first, with a file, a link or a "
		  "socket of their own; use a directory only root can write, such "
		  "as /run/virtio-forwarder (the daemon creates a missing one "
		  "root-owned)", what, dir);
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

int
vfwd_vhost_init(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	unsigned int i;

	client_mode = cfg->vhost_client;
	/* The same function tells vfwdctl migrate-check what we offer. */
	disabled_features = vfwd_features_disabled(cfg);

	sock_uid = (uid_t)-1;
	sock_gid = (gid_t)-1;
	if (cfg->socket_owner[0] != '\0') {
		struct passwd *pw = getpwnam(cfg->socket_owner);

		if (pw != NULL) {
			sock_uid = pw->pw_uid;
		} else if (cfg->socket_owner_set) {
			ERR("VIRTIOFWD_SOCKET_OWNER=%s: no such user (create it, or set "
			    "the variable to an existing user, or to an empty value to "
			    "keep the sockets root's)", cfg->socket_owner);
			return -ENOENT;
		} else {
			VLOG_WARN("socket owner '%s' (the default) does not exist; "
				  "vhost-user sockets stay owned by root "
				  "(set VIRTIOFWD_SOCKET_OWNER)", cfg->socket_owner);
		}
	}
	if (cfg->socket_group[0] != '\0') {
		struct group *gr = getgrnam(cfg->socket_group);

		if (gr != NULL) {
			sock_gid = gr->gr_gid;
		} else if (cfg->socket_group_set) {
			ERR("VIRTIOFWD_SOCKET_GROUP=%s: no such group (create it, or set "
			    "the variable to an existing group, or to an empty value)",
			    cfg->socket_group);
			return -ENOENT;
		} else {
			VLOG_WARN("socket group '%s' (the default) does not exist; "
				  "vhost-user sockets keep root's group "
				  "(set VIRTIOFWD_SOCKET_GROUP)", cfg->socket_group);
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
	return check_extra_dirs(cfg, err, errlen);
}

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
 * Gives the socket directory the daemon just created its owner and mode.
 * It stays root's, so that no other user can take a socket name in it or
 * replace a socket.  In server mode only the daemon creates sockets there:
 * mode 0755, group the socket group.  In client mode QEMU creates them:
 * with a socket group, mode 1770 for that group (the sticky bit keeps one
 * QEMU from removing another's socket); with only a socket owner, the
 * directory is that user's (QEMU's user must write there, as 1.x's start
 * script arranged).
 */
static void
own_new_dir(const char *path)
{
	uid_t uid = (uid_t)-1;
	gid_t gid = sock_gid;
	mode_t mode = 0755;

	if (client_mode && sock_gid != (gid_t)-1)
		mode = 01770;
	else if (client_mode && sock_uid != (uid_t)-1)
		uid = sock_uid;
	/* mkdir's mode passed through the umask; QEMU must get in. */
	if (chmod(path, mode) != 0)
		VLOG_WARN("%s: chmod: %s", path, strerror(errno));
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) != 0)
		VLOG_WARN("%s: chown: %s", path, strerror(errno));
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
	/*
	 * Only a directory created here is given an owner and mode: an
	 * existing one (/tmp, /var/run) belongs to whoever made it.  But it
	 * must be one no other user controls: a /tmp/virtio-forwarder made
	 * by someone else before the first start would hand them every
	 * relay's socket, and with them the VMs' traffic.
	 */
	if (rc == 1) {
		own_new_dir(path);
		VLOG_INFO("created the socket directory %s", path);
	}
	rc = vfwd_sockdir_check(path, "VIRTIOFWD_SOCKET_DIR", &owners, &ww, err,
				errlen);
	if (rc != 0)
		return rc;
	if (ww)
		warn_world_writable("VIRTIOFWD_SOCKET_DIR", path);
	return 0;
}

int
vfwd_vhost_check_path(const char *path, char *err, size_t errlen)
{
	return vfwd_sockpath_check_dynamic(path, allowed, n_allowed, &owners, err,
					   errlen);
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
	int rc = vfwd_sockpath_claim(path, &owners, err, errlen);

	if (rc == 1)
		VLOG_INFO("%s: removed stale socket", path);
	return rc < 0 ? rc : 0;
}

int
vfwd_vhost_open(const char *path, const struct rte_vhost_device_ops *ops,
		char *err, size_t errlen)
{
	uint64_t flags = VFWD_VHOST_REGISTER_FLAGS;
	int rc;

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
		if ((sock_uid != (uid_t)-1 || sock_gid != (gid_t)-1) &&
		    chown(path, sock_uid, sock_gid) != 0)
			VLOG_WARN("%s: chown: %s", path, strerror(errno));
		if (chmod(path, 0660) != 0)
			VLOG_WARN("%s: chmod: %s", path, strerror(errno));
	}
	VLOG_DBG("%s: vhost-user %s ready", path, client_mode ? "client" : "server");
	return 0;

unregister:
	rte_vhost_driver_unregister(path);
	return rc;
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
	if (rte_vhost_driver_unregister(path) != 0)
		VLOG_WARN("%s: was not registered", path);
	VLOG_DBG("%s: vhost-user socket closed", path);
}
