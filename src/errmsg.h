/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The error message idiom of the daemon's control code: a function that can
 * fail takes "char *err, size_t errlen" and, before returning a negative
 * errno, writes one line into that buffer saying what was wrong.
 */
#ifndef VFWD_ERRMSG_H
#define VFWD_ERRMSG_H

#include <stdio.h>

/*
 * Writes a printf-style message into the caller's 'err' buffer of 'errlen'
 * bytes: the function using it must have variables of those two names.
 * Long messages are cut to the buffer (snprintf is the guard).
 */
#define ERR(...) snprintf(err, errlen, __VA_ARGS__)

#endif /* VFWD_ERRMSG_H */
