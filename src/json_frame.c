/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "json_frame.h"

void
vfwd_json_frame_reset(struct vfwd_json_frame *f)
{
	*f = (struct vfwd_json_frame){ 0 };
}

int
vfwd_json_frame_next(struct vfwd_json_frame *f, const char *buf, size_t len,
		     size_t *start, size_t *end)
{
	size_t i;

	for (i = f->scanned; i < len; i++) {
		char c = buf[i];

		if (!f->started) {
			/* RFC 8259's whitespace, and nothing else, between messages. */
			if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
				continue;
			if (c != '{') {
				f->scanned = i;
				return -EBADMSG;
			}
			f->started = true;
			f->start = i;
			f->depth = 1;
			continue;
		}
		if (f->in_string) {
			if (f->escape)
				f->escape = false;      /* \" \\ \u...: the next byte is text */
			else if (c == '\\')
				f->escape = true;
			else if (c == '"')
				f->in_string = false;
			continue;
		}
		switch (c) {
		case '"':
			f->in_string = true;
			break;
		case '{':
		case '[':
			if (++f->depth > VFWD_JSON_FRAME_MAX_DEPTH) {
				f->scanned = i;
				return -EBADMSG;
			}
			break;
		case '}':
		case ']':
			/* A mismatched closer still closes: the parser says what
			 * is wrong with the message. */
			if (--f->depth == 0) {
				f->scanned = i + 1;
				*start = f->start;
				*end = i + 1;
				return 1;
			}
			break;
		default:
			break;
		}
	}
	f->scanned = len;
	return 0;
}
