/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * IPC file port control (VIRTIOFWD_IPC_PORT_CONTROL): a directory watched
 * with inotify.  A command file holds lines
 *
 *     add_port <ifname|device> [relay]
 *     del_port <ifname|device>
 *
 * ('#' comments and blank lines allowed).  A file is taken once it is
 * complete: renamed into the directory, or closed after writing; names
 * starting with '.' or ending in ".tmp" or ".result" are left alone.
 * Each file is read and removed, then processed once, and answered with
 * "<name>.result": one line per command, "ok ..." or "error: <reason>".
 * A malformed line is refused with the reason and changes nothing.
 *
 * Files are queued as they arrive and run a few lines per main loop pass
 * (ctl_slice.h), so that the other control sources keep answering while
 * a 64 KiB file or thousands of files are processed.
 */
#ifndef VFWD_CTL_IPC_H
#define VFWD_CTL_IPC_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Default directory of the command files. */
#define VFWD_IPC_DIR "/var/run/virtio-forwarder/ipc"
/* Limits on what a command file may hold. */
#define VFWD_IPC_MAX_FILE (64 * 1024)
#define VFWD_IPC_MAX_LINE 512
/* Command lines run per main loop pass at most (within the slice). */
#define VFWD_IPC_LINES_PER_PASS 4
/* Names queued at most; past that the directory is scanned again later. */
#define VFWD_IPC_MAX_QUEUED 4096

/*
 * Creates the directory 'dir' (root-only, 0700) if needed and starts
 * watching it; files already there are processed at once.  Returns the
 * inotify fd to poll, or a negative errno.  Files already there are
 * queued; vfwd_ctl_ipc_work() runs them.
 */
int vfwd_ctl_ipc_open(const char *dir, char *err, size_t errlen);

/* Queues the command files the inotify fd reported. */
void vfwd_ctl_ipc_serve(void);

/* Is there work left for vfwd_ctl_ipc_work()? */
bool vfwd_ctl_ipc_busy(void);

/* Runs queued command files, a slice's worth of lines. */
void vfwd_ctl_ipc_work(void);

/* Stops watching; a file half run is answered with what was done.  Call
 * after vfwd_ops_stop(): a line on the operations thread writes to it. */
void vfwd_ctl_ipc_close(void);

/*
 * Runs the commands of one file's text, writing one result line per
 * command to 'results' (a FILE *).  Returns the number of failed lines.
 * Exposed for the tests.
 */
int vfwd_ctl_ipc_run(const char *text, size_t len, void *results);

#endif /* VFWD_CTL_IPC_H */
