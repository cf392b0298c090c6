/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/json_frame.c: JSON-RPC messages are found in a byte
 * stream however it is split, inside tokens, strings and escapes too.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "json_frame.h"

/* Two messages with everything that could fool a scanner. */
static const char stream[] =
	"{\"id\":null,\"method\":\"echo\",\"params\":[]}\n"
	"  {\"id\":1,\"result\":{\"Interface\":{\"u1\":{\"new\":{\"name\":"
	"\"a}\\\"b\\\\\",\"external_ids\":[\"map\",[[\"virtio_forwarder\","
	"\"\\u0031{[\"]]]}}}},\"error\":null}";

/*
 * Feeds 'stream' in pieces cut at 'cut1' and 'cut2', the way a reader
 * does (append, look, consume), and checks the two messages come out whole.
 */
static void
feed_split(size_t cut1, size_t cut2)
{
	const size_t len = strlen(stream);
	const size_t cuts[] = { cut1, cut2, len };
	struct vfwd_json_frame f = { 0 };
	char buf[sizeof(stream)];
	size_t have = 0, avail = 0, s, e, k;
	int found = 0, rc;

	for (k = 0; k < 3; k++) {
		/* 'avail': bytes of the stream received so far. */
		avail = cuts[k] > avail ? cuts[k] : avail;
		memcpy(buf, stream, avail);
		while ((rc = vfwd_json_frame_next(&f, buf + have, avail - have, &s, &e)) == 1) {
			if (found == 0) {
				assert_int_equal(s, 0);
				assert_memory_equal(buf + have + e - 1, "}", 1);
				assert_int_equal(have + e, strchr(stream, '\n') - stream);
			} else {
				assert_int_equal(have + e, len);
			}
			found++;
			have += e;
			vfwd_json_frame_reset(&f);
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(found, 2);
}

static void
test_every_split(void **state)
{
	size_t a, b, len = strlen(stream);

	(void)state;
	for (a = 0; a <= len; a++)
		for (b = a; b <= len; b += 7)
			feed_split(a, b);
}

/* Byte by byte: the scan resumes, it never starts again. */
static void
test_byte_by_byte(void **state)
{
	struct vfwd_json_frame f = { 0 };
	size_t n, s, e, len = strlen(stream);
	int rc = 0;

	(void)state;
	for (n = 1; n <= len; n++) {
		rc = vfwd_json_frame_next(&f, stream, n, &s, &e);
		if (rc == 1)
			break;
		assert_int_equal(f.scanned, n);
	}
	assert_int_equal(rc, 1);
	assert_int_equal(e, strchr(stream, '\n') - stream);
}

static void
test_refused(void **state)
{
	struct vfwd_json_frame f = { 0 };
	char deep[VFWD_JSON_FRAME_MAX_DEPTH + 2];
	size_t s, e;

	(void)state;
	assert_int_equal(vfwd_json_frame_next(&f, "  null", 6, &s, &e), -EBADMSG);
	vfwd_json_frame_reset(&f);
	assert_int_equal(vfwd_json_frame_next(&f, "[1]", 3, &s, &e), -EBADMSG);
	vfwd_json_frame_reset(&f);
	memset(deep, '[', sizeof(deep));
	deep[0] = '{';
	assert_int_equal(vfwd_json_frame_next(&f, deep, sizeof(deep), &s, &e), -EBADMSG);
	/* Whitespace alone: wait for more. */
	vfwd_json_frame_reset(&f);
	assert_int_equal(vfwd_json_frame_next(&f, " \r\n\t", 4, &s, &e), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_byte_by_byte),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
