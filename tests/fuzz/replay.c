/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main() of a fuzz target outside libFuzzer: runs every file named on the
 * command line (directories: every file in them) through the target once.
 * The unit tests use it to replay the seed corpora and every crash ever
 * found (tests/fuzz/regress/).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs larger than this are not inputs of ours. */
#define REPLAY_MAX (1024 * 1024)

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf, *exact;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(REPLAY_MAX);
	if (buf == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX, f);
	fclose(f);
	/* An exact-size copy, so that ASan sees a read past its end. */
	exact = malloc(n ? n : 1);

	if (exact == NULL) {
		free(buf);
		return -1;
	}
	memcpy(exact, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(exact, n);
	free(exact);
	return 0;
}

int
main(int argc, char **argv)
{
	unsigned int files = 0;
	int i, failed = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **names;
		int n, j;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			failed = 1;
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			failed |= replay_file(argv[i]) != 0;
			files++;
			continue;
		}
		/* Sorted, so that a run is repeatable. */
		n = scandir(argv[i], &names, NULL, alphasort);
		for (j = 0; j < n; j++) {
			char path[4096];

			if (names[j]->d_name[0] != '.') {
				snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
				failed |= replay_file(path) != 0;
				files++;
			}
			free(names[j]);
		}
		free(names);
	}
	printf("%u inputs replayed, %s\n", files, failed ? "some unreadable" : "no crash");
	return failed;
}
