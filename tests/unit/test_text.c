/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of vfwd_text_escape() and its users in src/parse.c: what
 * outsiders send becomes UTF-8 text on one line before it reaches a log
 * line or a protobuf string.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "parse.h"

static void
check(const char *in, size_t len, const char *want)
{
	char out[256];
	size_t used, n;

	n = vfwd_text_escape(in, len, out, sizeof(out), &used);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	assert_int_equal(used, len);
}

static void
test_clean_text_unchanged(void **state)
{
	(void)state;
	check("", 0, "");
	check("/run/virtio-forwarder/vm1.sock", 30, "/run/virtio-forwarder/vm1.sock");
	/* Two-, three- and four-byte characters, and a tab. */
	check("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\tx", 16,
	      "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\tx");
	assert_true(vfwd_text_is_clean("net_af_packet0,iface=veth\xc3\xa9"));
}

static void
test_bad_bytes_escaped(void **state)
{
	(void)state;
	/* A lone continuation byte, a lone lead byte, an overlong '/', a
	 * surrogate, a code point past U+10FFFF, a cut-off character. */
	check("a\x80z", 3, "a\\x80z");
	check("a\xc3z", 3, "a\\xc3z");
	check("\xc0\xaf", 2, "\\xc0\\xaf");
	check("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	check("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");
	check("ok\xe2\x82", 4, "ok\\xe2\\x82");
	/* Control characters: C0 but tab, DEL, C1 (valid UTF-8, still
	 * escaped), and a NUL inside the given length. */
	check("line\nnext\r\x1b[2J", 14, "line\\x0anext\\x0d\\x1b[2J");
	check("\x7f\xc2\x85", 3, "\\x7f\\xc2\\x85");
	check("a\0b", 3, "a\\x00b");
	assert_false(vfwd_text_is_clean("vm\xff.sock"));
	assert_false(vfwd_text_is_clean("vm\n.sock"));
}

static void
test_stops_before_what_does_not_fit(void **state)
{
	char out[8];
	size_t used, n;

	(void)state;
	/* 7 bytes of room: "ab" and one escape (4) fit, the next escape not. */
	n = vfwd_text_escape("ab\xff\xfe", 4, out, sizeof(out), &used);
	assert_string_equal(out, "ab\\xff");
	assert_int_equal(n, 6);
	assert_int_equal(used, 3);
	/* A multi-byte character is never cut. */
	n = vfwd_text_escape("abcde\xe2\x82\xac", 8, out, sizeof(out), &used);
	assert_string_equal(out, "abcde");
	assert_int_equal(used, 5);
	n = vfwd_text_escape("x", 1, out, 1, &used);
	assert_string_equal(out, "");
	assert_int_equal(n, 0);
}

static void
test_show_value(void **state)
{
	char shown[VFWD_SHOWN_MAX], long_value[300];

	(void)state;
	assert_string_equal(vfwd_show_value("a\xffz\n", shown, sizeof(shown)),
			    "a\\xffz\\x0a");
	memset(long_value, '\xff', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	vfwd_show_value(long_value, shown, sizeof(shown));
	assert_true(strlen(shown) <= VFWD_SHOW_VALUE_MAX + 3);
	assert_memory_equal(shown + strlen(shown) - 3, "...", 3);
	assert_memory_equal(shown, "\\xff\\xff", 8);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_text_unchanged),
		cmocka_unit_test(test_bad_bytes_escaped),
		cmocka_unit_test(test_stops_before_what_does_not_fit),
		cmocka_unit_test(test_show_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
