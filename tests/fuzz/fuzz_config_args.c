/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the command-line parser (config_args.c) on top of the
 * defaults, then vfwd_config_validate(), as main() runs them.  The input
 * is the arguments separated by NUL bytes.  A --config file it names is
 * read as the daemon would, except special files (a FIFO would block the
 * fuzzer, not the daemon's start): those are swapped for a missing path.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config.h"
#include "fuzz.h"

#define MAX_ARGS 64


/* Is 'path' something other than a regular file or directory? */
static int
special(const char *path)
{
	struct stat st;

	return path[0] != '\0' && stat(path, &st) == 0 &&
	       !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vfwd_config cfg;
	char *argv[MAX_ARGS + 2], *text, *p, *end, err[VFWD_ERR_MAX];
	enum vfwd_config_action action;
	int argc = 0, rc, i;

	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = (char *)"virtio-forwarder";
	for (p = text, end = text + size; p <= end && argc <= MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	for (i = 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');

		if (special(argv[i]) || (eq != NULL && special(eq + 1)) ||
		    (strlen(argv[i]) > 2 && special(argv[i] + 2)))
			argv[i] = (char *)"/nonexistent/fuzz";
	}
	err[0] = '\0';
	rc = vfwd_config_from_args(&cfg, argc, argv, &action, err, sizeof(err));
	if (rc == 0 && action == VFWD_CONFIG_RUN)
		rc = vfwd_config_validate(&cfg, err, sizeof(err));
	if (rc == 0 && action == VFWD_CONFIG_HELP) {
		FILE *f = fopen("/dev/null", "w");

		if (f != NULL) {
			vfwd_config_usage(f, argv[0]);
			fclose(f);
		}
	}
	if (rc > 0 || (rc < 0 && (err[0] == '\0' || strnlen(err, sizeof(err)) == sizeof(err))))
		abort();
	free(text);
	return 0;
}
