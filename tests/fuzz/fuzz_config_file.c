/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the configuration file reader (config_file.c) and the
 * checks of relations between values (vfwd_config_validate()), as the
 * daemon runs them on /etc/default/virtioforwarder.  Any text must give
 * 0 or a negative errno with a one-line message, never a crash.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfwd_config cfg;
	char err[VFWD_ERR_MAX], *text;
	int rc;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	vfwd_config_defaults(&cfg);
	err[0] = '\0';
	/* The string loader stops at a NUL as the file loader refuses one. */
	rc = vfwd_config_load_string(&cfg, text, "fuzz", err, sizeof(err));
	if (rc == 0)
		rc = vfwd_config_validate(&cfg, err, sizeof(err));
	/* A failure always says why, in one terminated line. */
	if (rc > 0 || (rc < 0 && (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))))
		abort();
	free(text);
	return 0;
}
