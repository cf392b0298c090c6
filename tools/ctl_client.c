/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One request, one reply: the ZeroMQ side of the tools.
 *
 * Every request gets a fresh REQ socket.  A REQ socket whose request went
 * unanswered cannot send again, and with ZMQ_LINGER 0 closing it drops
 * whatever is still queued, so a daemon that is gone never makes the
 * client hang on exit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "ctl_client.h"

static void *zctx;

/* Reads the configuration file once: defaults, then the file if any. */
static int
load_config(struct ctl *c)
{
	char err[VFWD_ERR_MAX];
	const char *path = c->config_path;
	int rc;

	if (c->loaded || c->load_rc != 0)
		return c->load_rc;
	vfwd_config_defaults(&c->cfg);
	/* The default file is optional: without it the defaults apply. */
	if (path == NULL && access(CTL_DEFAULT_CONFIG, R_OK) == 0)
		path = CTL_DEFAULT_CONFIG;
	if (path != NULL) {
		rc = vfwd_config_load_file(&c->cfg, path, err, sizeof(err));
		if (rc != 0) {
			snprintf(c->load_err, sizeof(c->load_err), "%s (the endpoints "
				 "are read from it; fix it, or give --config or the "
				 "endpoint options)", err);
			c->load_rc = rc;
			return rc;
		}
	}
	c->loaded = true;
	return 0;
}

const struct vfwd_config *
ctl_config(struct ctl *c)
{
	return load_config(c) == 0 ? &c->cfg : NULL;
}

const char *
ctl_endpoint(struct ctl *c, enum ctl_service s)
{
	if (c->ep_override[s][0] != '\0')
		return c->ep_override[s];
	if (load_config(c) != 0)
		return NULL;
	switch (s) {
	case CTL_SVC_PORT_CONTROL:
		return c->cfg.zmq_port_control_ep;
	case CTL_SVC_STATS:
		return c->cfg.zmq_stats_ep;
	case CTL_SVC_CORE_SCHED:
		return c->cfg.zmq_core_sched_ep;
	case CTL_SVC_CONFIG:
		return c->cfg.zmq_config_ep;
	default:
		return "";
	}
}

/* The advice that ends every "cannot reach" message, naming the option
 * of the program that runs (a 1.x tool name has its own). */
static void
advice(const struct ctl *c, enum ctl_service s, char *buf, size_t len)
{
	snprintf(buf, len, "check that virtio-forwarder runs and serves it, and "
		 "the endpoint (%s, %s)", c->ep_option[s] ? c->ep_option[s] :
		 ctl_service_option(s), ctl_service_variable(s));
}

/*
 * For ipc:// endpoints, looks whether anyone listens before asking
 * ZeroMQ: its connect never fails, it just waits, and "nothing there" is
 * better said at once than after the timeout.  Returns 0 when someone
 * listens or the endpoint is not a plain ipc path.
 */
static int
ipc_precheck(const struct ctl *c, const char *ep, enum ctl_service s,
	     char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = ep + 6;
	char adv[256];
	int fd, rc = 0;

	/* '@' is the abstract namespace, which has no file to look at. */
	if (strncmp(ep, "ipc://", 6) != 0 || path[0] == '@' ||
	    strlen(path) >= sizeof(sa.sun_path))
		return 0;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		rc = -errno;
	close(fd);
	if (rc == 0)
		return 0;
	advice(c, s, adv, sizeof(adv));
	if (rc == -EACCES || rc == -EPERM)
		snprintf(err, errlen, "cannot reach the %s service at %s: %s (run as "
			 "root or as a member of the daemon's socket group)",
			 ctl_service_name(s), ep, strerror(-rc));
	else
		snprintf(err, errlen, "cannot reach the %s service at %s: %s; %s",
			 ctl_service_name(s), ep, strerror(-rc), adv);
	return rc;
}

int64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ctl_request(struct ctl *c, enum ctl_service s, const ProtobufCMessage *req,
	    uint8_t **reply, size_t *len, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t n;
	int rc;

	n = protobuf_c_message_get_packed_size(req);
	buf = malloc(n ? n : 1);
	if (buf == NULL) {
		snprintf(err, errlen, "out of memory");
		*reply = NULL;
		*len = 0;
		return -ENOMEM;
	}
	protobuf_c_message_pack(req, buf);
	rc = ctl_request_raw(c, s, buf, n, false, reply, len, err, errlen);
	free(buf);
	return rc;
}

int
ctl_request_raw(struct ctl *c, enum ctl_service s, const uint8_t *buf, size_t n,
		bool send_only, uint8_t **reply, size_t *len, char *err,
		size_t errlen)
{
	const char *ep;
	char adv[256];
	void *sock = NULL;
	zmq_msg_t msg;
	int64_t deadline;
	int linger = 0, rc;

	/* Every return leaves a string in 'err', empty for -EINTR. */
	if (errlen > 0)
		err[0] = '\0';
	*reply = NULL;
	*len = 0;
	ep = ctl_endpoint(c, s);
	if (ep == NULL) {
		snprintf(err, errlen, "%s", c->load_err);
		return -EINVAL;
	}
	if (ep[0] == '\0') {
		snprintf(err, errlen, "the %s service is off: %s is empty; set it in "
			 "the daemon's configuration, or give %s", ctl_service_name(s),
			 ctl_service_variable(s), ctl_service_option(s));
		return -ENOENT;
	}
	rc = ipc_precheck(c, ep, s, err, errlen);
	if (rc != 0)
		return rc;

	if (zctx == NULL) {
		zctx = zmq_ctx_new();
		if (zctx == NULL) {
			snprintf(err, errlen, "ZeroMQ: %s", zmq_strerror(zmq_errno()));
			return -ENOMEM;
		}
	}
	sock = zmq_socket(zctx, ZMQ_REQ);
	if (sock == NULL) {
		snprintf(err, errlen, "ZeroMQ socket: %s", zmq_strerror(zmq_errno()));
		rc = -ENOMEM;
		goto out;
	}
	/* Without them a dead daemon could make us wait forever. */
	if (zmq_setsockopt(sock, ZMQ_LINGER, &linger, sizeof(linger)) != 0 ||
	    zmq_setsockopt(sock, ZMQ_SNDTIMEO, &c->timeout_ms,
			   sizeof(c->timeout_ms)) != 0) {
		rc = -zmq_errno();
		snprintf(err, errlen, "ZeroMQ socket: cannot set its timeouts: %s",
			 zmq_strerror(-rc));
		goto out;
	}
	if (zmq_connect(sock, ep) != 0) {
		snprintf(err, errlen, "cannot connect to the %s service at %s: %s",
			 ctl_service_name(s), ep, zmq_strerror(zmq_errno()));
		rc = -EINVAL;
		goto out;
	}
	deadline = ctl_now_ms() + c->timeout_ms;
	if (zmq_send(sock, buf, n, 0) < 0) {
		rc = -zmq_errno();
		if (rc == -EINTR && ctl_stop)
			goto out;
		advice(c, s, adv, sizeof(adv));
		snprintf(err, errlen, "cannot send to the %s service at %s: %s; %s",
			 ctl_service_name(s), ep, zmq_strerror(-rc), adv);
		goto out;
	}
	if (send_only) {
		/* Let the request go out before the socket is closed: closing
		 * waits up to the timeout for it, and so does ctl_client_close(). */
		zmq_setsockopt(sock, ZMQ_LINGER, &c->timeout_ms, sizeof(c->timeout_ms));
		rc = 0;
		goto out;
	}

	/* Wait with zmq_poll, which returns on signals: Ctrl-C in a
	 * repeating view ends it at once, not after the timeout. */
	for (;;) {
		zmq_pollitem_t item = { .socket = sock, .events = ZMQ_POLLIN };
		int64_t left = deadline - ctl_now_ms();

		if (left <= 0) {
			advice(c, s, adv, sizeof(adv));
			snprintf(err, errlen, "no answer from the %s service at %s within "
				 "%d ms; %s", ctl_service_name(s), ep, c->timeout_ms, adv);
			rc = -ETIMEDOUT;
			goto out;
		}
		rc = zmq_poll(&item, 1, (long)left);
		if (rc < 0 && zmq_errno() == EINTR) {
			if (ctl_stop) {
				rc = -EINTR;
				goto out;
			}
			continue;
		}
		if (rc < 0) {
			rc = -zmq_errno();
			snprintf(err, errlen, "waiting for the %s service at %s: %s",
				 ctl_service_name(s), ep, zmq_strerror(-rc));
			goto out;
		}
		if (item.revents & ZMQ_POLLIN)
			break;
	}
	zmq_msg_init(&msg);
	if (zmq_msg_recv(&msg, sock, ZMQ_DONTWAIT) < 0) {
		rc = -zmq_errno();
		snprintf(err, errlen, "reading the answer of the %s service at %s: %s",
			 ctl_service_name(s), ep, zmq_strerror(-rc));
		zmq_msg_close(&msg);
		goto out;
	}
	n = zmq_msg_size(&msg);
	*reply = malloc(n ? n : 1);
	if (*reply == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
	} else {
		memcpy(*reply, zmq_msg_data(&msg), n);
		*len = n;
		rc = 0;
	}
	zmq_msg_close(&msg);
out:
	if (sock != NULL)
		zmq_close(sock);
	return rc;
}

void
ctl_client_close(void)
{
	if (zctx != NULL)
		zmq_ctx_term(zctx);
	zctx = NULL;
}
