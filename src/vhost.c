/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
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
