/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The hook that runs between two units of control work (see ctl_slice.h).
 */
#include <stdbool.h>
#include <stddef.h>

#include "ctl_slice.h"

static void (*between)(void);
static bool in_between;     /* the hook's own slices do not call it again */

void
vfwd_slice_set_between(void (*fn)(void))
{
	between = fn;
}

void
vfwd_slice_between(void)
{
	if (between == NULL || in_between)
		return;
	in_between = true;
	between();
	in_between = false;
}
