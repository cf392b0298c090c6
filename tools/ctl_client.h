/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The tools' client of the daemon's ZeroMQ services: where each service
 * is (the endpoint options, else the configuration file), and one request
 * with its reply.  Part of the tools' client library.
 */
#ifndef VFWD_CTL_CLIENT_H
#define VFWD_CTL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "config.h"
#include "ctl.h"

/* The configuration (the file, or the defaults without one); NULL when
 * the file cannot be read, the reason in c->load_err. */
const struct vfwd_config *ctl_config(struct ctl *c);

/* CLOCK_MONOTONIC in milliseconds: deadlines of the waits on the daemon's
 * services and on a vhost-user socket. */
int64_t ctl_now_ms(void);

/*
 * The endpoint of service 's': the override, else the configuration file
 * (loaded on first use), else the default.  NULL when the file cannot be
 * read (the reason is in c->load_err); "" when the service is off.
 */
const char *ctl_endpoint(struct ctl *c, enum ctl_service s);

/*
 * Sends 'req' to service 's' and returns its reply in '*reply' (malloc'd,
 * '*len' bytes).  On failure returns a negative errno and writes one line
 * into 'err' ("no answer from ..."): the caller decides whether that is
 * fatal.  -EINTR (no message) when ctl_stop was set while waiting.
 */
int ctl_request(struct ctl *c, enum ctl_service s, const ProtobufCMessage *req,
		uint8_t **reply, size_t *len, char *err, size_t errlen);

/*
 * ctl_request() for a request already serialized, or any bytes at all (the
 * 1.x tools' --send-garbage).  With 'send_only' it returns once the bytes
 * are sent, without waiting for the reply (--crash-after-send); the bytes
 * still go out before ctl_client_close() returns.
 */
int ctl_request_raw(struct ctl *c, enum ctl_service s, const uint8_t *buf,
		    size_t n, bool send_only, uint8_t **reply, size_t *len,
		    char *err, size_t errlen);

/* Closes the ZeroMQ context, if one was made. */
void ctl_client_close(void);

#endif /* VFWD_CTL_CLIENT_H */
