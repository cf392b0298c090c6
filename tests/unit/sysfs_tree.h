/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A fake sysfs tree for the unit tests of the code that reads and writes
 * sysfs under a root it is given (ifmap.c, vfio_bind.c): a temporary
 * directory, and helpers to add directories, symlinks and files to it
 * by their paths relative to that root.  A helper that fails ends the
 * running test (cmocka's fail_msg).
 */
#ifndef VFWD_TEST_SYSFS_TREE_H
#define VFWD_TEST_SYSFS_TREE_H

#include <limits.h>

/* The root of the tree, made by tree_create(). */
extern char tree_root[PATH_MAX];

/* Makes an empty tree in $TMPDIR (or /tmp), named after 'tag'; 0 or -1. */
int tree_create(const char *tag);

/* Removes 'dir' and everything below it (tree_root: the whole tree). */
int tree_remove(const char *dir);

/* Makes directory 'rel' and its parents (mkdir -p). */
void tree_mkdirs(const char *rel);

/* Makes symlink 'rel' pointing at 'target' (relative, as in sysfs). */
void tree_link(const char *target, const char *rel);

/* Writes 'text' to file 'rel'. */
void tree_write(const char *rel, const char *text);

#endif /* VFWD_TEST_SYSFS_TREE_H */
