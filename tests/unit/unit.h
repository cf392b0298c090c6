/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the unit tests share beside cmocka.  Include after <cmocka.h>.
 */
#ifndef VFWD_TESTS_UNIT_H
#define VFWD_TESTS_UNIT_H

#include <string.h>

/* Fails, showing both, unless string 'haystack' contains 'needle'. */
#define assert_contains(haystack, needle) do {                          \
	if (!strstr((haystack), (needle)))                              \
		fail_msg("'%s' does not contain '%s'", (haystack),      \
			 (needle));                                     \
} while (0)

#endif /* VFWD_TESTS_UNIT_H */
