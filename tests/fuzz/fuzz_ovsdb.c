/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target: the OVSDB monitor (ctl_ovsdb.c) as a server's byte stream
 * reaches it.  The monitor connects to a unix socket this target listens
 * on, as it would to ovsdb-server; the input, after its first byte, is
 * what the "server" sends, written in pieces whose sizes come from the
 * first byte (below 64: 1-16 bytes; below 192: up to 512; else 4 KiB) (so the fuzzer explores splits anywhere: inside tokens,
 * strings, escapes), each followed by a pass of the monitor.  The updates
 * reach the real port control operations and the model of the relay
 * table, whose rules are checked at the end.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl_ovsdb.h"
#include "fuzz.h"
#include "model.h"

/* Passes of the monitor per piece at most (it says when it has work left). */
#define MAX_PASSES 200

static int listen_fd = -1;
static char sock_dir[64];
static char sock_path[108];

/* The socket and its directory go when the fuzzer or the replay exits.
 * When libFuzzer stops on a signal, atexit() does not run: the directory
 * is named after the process, so that scripts/fuzz.sh can remove it. */
static void
cleanup(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static void
setup(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(sock_dir, sizeof(sock_dir), "/tmp/vfwd-fuzz-ovsdb.%d", (int)getpid());
	snprintf(sock_path, sizeof(sock_path), "%s/db.sock", sock_dir);
	/* Left by an earlier process with the same PID: reuse it. */
	unlink(sock_path);
	if (mkdir(sock_dir, 0700) != 0 && errno != EEXIST)
		abort();
	atexit(cleanup);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(listen_fd, 4) != 0)
		abort();
}

/* Reads and drops what the monitor sent (its request, echo replies). */
static void
drain(int peer)
{
	char buf[65536];

	while (recv(peer, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Runs the monitor until it has nothing left to do now. */
static void
run_monitor(int peer)
{
	int i;

	for (i = 0; i < MAX_PASSES; i++) {
		short events;

		if (vfwd_ovsdb_fd(&events) < 0)
			return;
		vfwd_ovsdb_run(POLLIN | POLLOUT);
		drain(peer);
		if (vfwd_ovsdb_timeout_ms() != 0)
			return;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	unsigned int seed;
	size_t off = 0;
	int peer;

	if (size < 1)
		return 0;
	if (listen_fd < 0)
		setup();
	seed = data[0];
	data++;
	size--;
	vfwd_model_reset(false);
	if (vfwd_ovsdb_start(sock_path, err, sizeof(err)) != 0)
		abort();
	peer = accept(listen_fd, NULL, NULL);
	if (peer < 0)
		abort();        /* a unix connect completes at once */
	run_monitor(peer);
	while (off < size) {
		size_t n;
		ssize_t w;

		/* Piece sizes: 1-16 bytes for low seeds, up to 512 bytes for
		 * middle ones, up to 4 KiB for high ones. */
		seed = seed * 1103515245u + 12345u;
		n = 1 + (seed >> 16) % (data[-1] < 64 ? 16 : data[-1] < 192 ? 512 : 4096);
		if (n > size - off)
			n = size - off;
		w = send(peer, data + off, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w <= 0) {
			short events;

			/* Full: let the monitor read.  Gone: it hung up. */
			if (w < 0 && errno == EAGAIN && vfwd_ovsdb_fd(&events) >= 0) {
				run_monitor(peer);
				continue;
			}
			break;
		}
		off += (size_t)w;
		run_monitor(peer);
	}
	run_monitor(peer);
	vfwd_model_check();
	vfwd_ovsdb_stop();
	close(peer);
	return 0;
}
