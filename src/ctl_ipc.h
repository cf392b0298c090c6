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
#include "ctl_source.h"

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
 * watching it.  Returns 0 or a negative errno.  Files already there are
 * queued; the control loop's vfwd_ctl_ipc_source runs them.
 */
int vfwd_ctl_ipc_open(const char *dir, char *err, size_t errlen);

/*
 * The control loop's IPC source (ctl_source.h): queues the command files
 * inotify reports, and runs queued ones a slice's worth of lines per pass
 * (asking for no wait while it has more).
 */
extern const struct vfwd_ctl_source vfwd_ctl_ipc_source;

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
