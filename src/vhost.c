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
#include "vhost.h"
#include "virtio_features.h"

static bool client_mode;
static uint64_t disabled_features;
static uid_t sock_uid = (uid_t)-1;
static gid_t sock_gid = (gid_t)-1;

int
vfwd_vhost_init(const struct vfwd_config *cfg, char *err, size_t errlen)
{
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
	return 0;
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

int
vfwd_vhost_make_dir(const char *dir, char *err, size_t errlen)
{
	char path[PATH_MAX], *p;
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
	if (rc == 0)
		return 0;
	/* mkdir's mode passed through the umask; QEMU must get in. */
	if (chmod(path, 0755) != 0)
		VLOG_WARN("%s: chmod: %s", path, strerror(errno));
	/*
	 * Only a directory created here changes owner: an existing one
	 * (/tmp, /var/run) belongs to whoever made it.
	 */
	if ((sock_uid != (uid_t)-1 || sock_gid != (gid_t)-1) &&
	    chown(path, sock_uid, sock_gid) != 0)
		VLOG_WARN("%s: chown: %s", path, strerror(errno));
	VLOG_INFO("created the socket directory %s", path);
	return 0;
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
		ERR("%s: cannot create the vhost-user socket: %s", path,
		    strerror(-rc));
	} else {
		unlink(path);
	}
	close(fd);
	return rc;
}

/* Removes a socket file a killed daemon left behind, and nothing else. */
static int
remove_stale(const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		ERR("%s: exists and is not a socket; refusing to replace it", path);
		return -EEXIST;
	}
	if (unlink(path) != 0) {
		int rc = -errno;

		ERR("%s: cannot remove stale socket: %s", path, strerror(-rc));
		return rc;
	}
	VLOG_INFO("%s: removed stale socket", path);
	return 0;
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
	/* The library waits for its own thread to leave our callbacks for
	 * this socket, and calls destroy_device for a connected guest. */
	if (rte_vhost_driver_unregister(path) != 0)
		VLOG_WARN("%s: was not registered", path);
	if (!client_mode && unlink(path) != 0 && errno != ENOENT)
		VLOG_WARN("%s: cannot remove socket: %s", path, strerror(errno));
	VLOG_DBG("%s: vhost-user socket closed", path);
}
