/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: an IPC command file (ctl_ipc.c), its lines run through
 * the real port control operations (portctl.c) on the model of the relay
 * table.  Every line gets one result line; the table keeps its rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_ipc.h"
#include "fuzz.h"
#include "model.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *res = NULL;
	size_t reslen = 0;
	FILE *out;
	int failed;

	if (size > VFWD_IPC_MAX_FILE)
		return 0;       /* refused before a line is read */
	vfwd_model_reset(true);
	out = open_memstream(&res, &reslen);
	if (out == NULL)
		return 0;
	failed = vfwd_ctl_ipc_run((const char *)data, size, out);
	fclose(out);
	if (failed < 0 || (failed > 0 && strstr(res, "error: line ") == NULL))
		abort();
	vfwd_model_check();
	free(res);
	return 0;
}
