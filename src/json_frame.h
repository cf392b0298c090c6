/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Message boundaries in a stream of JSON-RPC messages (the OVSDB
 * protocol, RFC 7047: JSON objects one after another, with no length or
 * separator).  A message may arrive split anywhere, inside a string, an
 * escape or a literal, so the end of one is found by scanning for the
 * brace that closes the first one, minding strings and escapes; only the
 * complete message is handed to the JSON parser.  The scan resumes where
 * it stopped when more bytes arrive, so a large message costs one pass
 * over its bytes however it is split.
 *
 * DPDK-free and JSON-library-free: unit-tested and fuzzed on its own.
 */
#ifndef VFWD_JSON_FRAME_H
#define VFWD_JSON_FRAME_H

#include <stdbool.h>
#include <stddef.h>

/* Objects and arrays a message may nest; deeper is refused. */
#define VFWD_JSON_FRAME_MAX_DEPTH 256

/* The search for the end of one message.  Zero it (or call
 * vfwd_json_frame_reset()) before the first call and after each message. */
struct vfwd_json_frame {
	size_t scanned;       /* bytes of the buffer already looked at */
	size_t start;         /* offset of the message's '{' once seen */
	unsigned int depth;   /* objects and arrays open */
	bool started;         /* the '{' was seen */
	bool in_string;
	bool escape;          /* the byte before was a backslash in a string */
};

/* Starts the search for the next message. */
void vfwd_json_frame_reset(struct vfwd_json_frame *f);

/*
 * Looks for the end of the message at the start of 'buf' (its 'len'
 * bytes: the bytes not consumed yet, from the same first byte as in the
 * previous call, with more appended).  Whitespace before the message is
 * skipped.  Returns 1 when the message is complete, with its bytes at
 * [*start, *end); 0 when more bytes are needed; -EBADMSG when the stream
 * cannot be a message (anything but '{' where one starts, or nesting
 * deeper than VFWD_JSON_FRAME_MAX_DEPTH).  After 1, the caller consumes
 * up to '*end' and resets 'f'.
 */
int vfwd_json_frame_next(struct vfwd_json_frame *f, const char *buf, size_t len,
			 size_t *start, size_t *end);

#endif /* VFWD_JSON_FRAME_H */
