/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every fuzz target defines: libFuzzer's entry point.  Built with
 * -Dfuzz=true (clang), libFuzzer drives it; in every other build
 * replay.c's main() feeds it the seed corpus and the regression inputs,
 * so the unit tests replay them under gcc and ASan/UBSan too.
 */
#ifndef VFWD_FUZZ_H
#define VFWD_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* Runs one input; returns 0 (libFuzzer's convention).  Aborts on a bug. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* VFWD_FUZZ_H */
