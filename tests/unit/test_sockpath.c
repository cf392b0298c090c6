/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The socket path rules (src/sockpath.c): the form of a path and its
 * directory as strings, then the checks against real files in a scratch
 * directory: what a stale socket is, what is never replaced, links on
 * the way, directories other users own.  The cases that need another
 * user's files run only as root (chown).
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "unit.h"
#include "parse.h"
#include "sockpath.h"

/* A uid no test file belongs to, for "another user". */
#define OTHER_UID 65534

static char err[VFWD_ERR_MAX];
static char scratch[64];
static struct vfwd_sock_owners owners;

/* "<scratch>/<name>" in a static buffer (one at a time). */
static const char *
at(const char *name)
{
	static char buf[2][256];
	static int i;

	i ^= 1;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", scratch, name);
	return buf[i];
}

/* A unix socket bound at 'path'; listening when 'listen_too'.  Returns
 * its descriptor (the caller closes it). */
static int
bound_socket(const char *path, bool listen_too)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	if (listen_too)
		assert_int_equal(listen(fd, 1), 0);
	return fd;
}

static int
setup(void **state)
{
	(void)state;
	snprintf(scratch, sizeof(scratch), "/tmp/vfwd-sockpath-XXXXXX");
	if (mkdtemp(scratch) == NULL)
		return -1;
	owners.n = 0;
	owners.uid[owners.n++] = 0;
	if (geteuid() != 0)
		owners.uid[owners.n++] = geteuid();
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Strings only                                                        */
/* ------------------------------------------------------------------ */

static void
test_form(void **state)
{
	static const struct {
		const char *path;
		int rc;
		const char *msg;
	} cases[] = {
		{ "/tmp/vm1.sock", 0, NULL },
		{ "/a", 0, NULL },
		{ "/run/vfwd/.hidden.sock", 0, NULL },
		{ "/run/vfwd/..sock", 0, NULL },
		{ "vm1.sock", -EINVAL, "vm1.sock: a socket path must be absolute" },
		{ "", -EINVAL, ": a socket path must be absolute" },
		{ "/run/vfwd/", -EINVAL, "/run/vfwd/: ends in '/'" },
		{ "/", -EINVAL, "/: ends in '/'" },
		{ "/run//vfwd/x", -EINVAL, "/run//vfwd/x: has an empty component" },
		{ "/run/./x", -EINVAL, "'.' and '..' are not allowed" },
		{ "/run/vfwd/../../etc/x", -EINVAL, "/run/vfwd/../../etc/x: '.' and "
		  "'..' are not allowed in a socket path" },
		{ "/run/..", -EINVAL, "'.' and '..'" },
		{ "/run/x\n.sock", -EINVAL, "/run/x\\x0a.sock: a socket path must be "
		  "UTF-8 without control characters" },
		{ "/run/x\xff.sock", -EINVAL, "/run/x\\xff.sock: a socket path must be "
		  "UTF-8 without control characters" },
		{ "/run/caf\xc3\xa9/x.sock", 0, NULL },
		{ "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", -ENAMETOOLONG,
		  "too long for a unix socket (109 bytes, at most 107)" },
	};
	size_t i;

	(void)state;
	assert_int_equal(vfwd_sockpath_check_form(NULL, err, sizeof(err)), -EINVAL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		if (vfwd_sockpath_check_form(cases[i].path, err, sizeof(err)) != cases[i].rc)
			fail_msg("%s: expected %d (%s)", cases[i].path, cases[i].rc, err);
		if (cases[i].msg != NULL)
			assert_contains(err, cases[i].msg);
	}
}

static void
test_dir_index(void **state)
{
	const char *dirs[] = { "/tmp", "/run/vfwd", "/" };

	(void)state;
	assert_int_equal(vfwd_sockpath_dir_index("/tmp/a.sock", dirs, 3), 0);
	assert_int_equal(vfwd_sockpath_dir_index("/run/vfwd/a.sock", dirs, 3), 1);
	assert_int_equal(vfwd_sockpath_dir_index("/a.sock", dirs, 3), 2);
	/* Directly in the directory: not below it, not a prefix of its name. */
	assert_int_equal(vfwd_sockpath_dir_index("/tmp/sub/a.sock", dirs, 2), -1);
	assert_int_equal(vfwd_sockpath_dir_index("/tmpx/a.sock", dirs, 2), -1);
	assert_int_equal(vfwd_sockpath_dir_index("/run/a.sock", dirs, 2), -1);
	assert_int_equal(vfwd_sockpath_dir_index("/a.sock", dirs, 2), -1);
	assert_int_equal(vfwd_sockpath_dir_index("a.sock", dirs, 3), -1);
}

/* ------------------------------------------------------------------ */
/* Against files                                                       */
/* ------------------------------------------------------------------ */

static void
test_claim(void **state)
{
	int fd, fd2;

	(void)state;
	/* Nothing there. */
	assert_int_equal(vfwd_sockpath_claim(at("none.sock"), &owners, err,
					     sizeof(err)), 0);

	/* A socket nobody listens on (a killed daemon's): removed. */
	fd = bound_socket(at("stale.sock"), false);
	close(fd);
	assert_int_equal(vfwd_sockpath_claim(at("stale.sock"), &owners, err,
					     sizeof(err)), 1);
	assert_int_equal(access(at("stale.sock"), F_OK), -1);

	/* A socket a process listens on: never. */
	fd = bound_socket(at("live.sock"), true);
	assert_int_equal(vfwd_sockpath_claim(at("live.sock"), &owners, err,
					     sizeof(err)), -EEXIST);
	assert_contains(err, "live.sock: exists and a process listens on it; not "
			"replacing it");
	assert_int_equal(access(at("live.sock"), F_OK), 0);
	/* Also when its backlog is full: the check does not wait. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int c[4], i;

		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("live.sock"));
		for (i = 0; i < 4; i++) {
			c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
			(void)connect(c[i], (struct sockaddr *)&sa, sizeof(sa));
		}
		assert_int_equal(vfwd_sockpath_claim(at("live.sock"), &owners, err,
						     sizeof(err)), -EEXIST);
		assert_contains(err, "a process listens on it");
		for (i = 0; i < 4; i++)
			close(c[i]);
	}
	close(fd);

	/* A datagram socket someone has bound: found live too. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd2 = socket(AF_UNIX, SOCK_DGRAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("dgram.sock"));
		assert_int_equal(bind(fd2, (struct sockaddr *)&sa, sizeof(sa)), 0);
		assert_int_equal(vfwd_sockpath_claim(at("dgram.sock"), &owners, err,
						     sizeof(err)), -EEXIST);
		close(fd2);
		/* ... and removed once its owner is gone. */
		assert_int_equal(vfwd_sockpath_claim(at("dgram.sock"), &owners, err,
						     sizeof(err)), 1);
	}

	/* A regular file, a directory, a link (even to a stale socket). */
	fd = open(at("file.sock"), O_CREAT | O_WRONLY, 0644);
	close(fd);
	assert_int_equal(vfwd_sockpath_claim(at("file.sock"), &owners, err,
					     sizeof(err)), -EEXIST);
	assert_contains(err, "file.sock: exists and is a regular file, not a socket; "
			"not replacing it");
	assert_int_equal(mkdir(at("dir.sock"), 0755), 0);
	assert_int_equal(vfwd_sockpath_claim(at("dir.sock"), &owners, err,
					     sizeof(err)), -EEXIST);
	assert_contains(err, "is a directory, not a socket");
	fd = bound_socket(at("target.sock"), false);
	close(fd);
	assert_int_equal(symlink(at("target.sock"), at("link.sock")), 0);
	assert_int_equal(vfwd_sockpath_claim(at("link.sock"), &owners, err,
					     sizeof(err)), -EEXIST);
	assert_contains(err, "link.sock: exists and is a symbolic link, not a socket");
	assert_int_equal(access(at("target.sock"), F_OK), 0);

	/* A stale socket of another user: not ours to remove. */
	if (geteuid() == 0) {
		assert_int_equal(chown(at("target.sock"), OTHER_UID, -1), 0);
		assert_int_equal(vfwd_sockpath_claim(at("target.sock"), &owners, err,
						     sizeof(err)), -EEXIST);
		assert_contains(err, "target.sock: exists and is a socket of ");
		assert_contains(err, "(uid 65534), not of the daemon's user; not "
				"replacing it");
		/* Unless it is the socket owner's, whom the daemon trusts. */
		owners.uid[owners.n++] = OTHER_UID;
		assert_int_equal(vfwd_sockpath_claim(at("target.sock"), &owners, err,
						     sizeof(err)), 1);
		owners.n--;
	}
}

static void
test_dynamic(void **state)
{
	/* realpath(3) writes up to PATH_MAX bytes (_FORTIFY_SOURCE, on in
	 * Debian package builds, aborts on a smaller buffer). */
	char real[PATH_MAX], other[PATH_MAX], missing[PATH_MAX];
	const char *dirs[2];
	int fd;

	(void)state;
	assert_int_equal(mkdir(at("allowed"), 0755), 0);
	assert_int_equal(mkdir(at("other"), 0755), 0);
	assert_int_equal(mkdir(at("allowed/sub"), 0755), 0);
	assert_non_null(realpath(at("allowed"), real));
	assert_non_null(realpath(at("other"), other));
	snprintf(missing, sizeof(missing), "%s", at("missing"));
	dirs[0] = real;
	dirs[1] = missing;

	{
		char path[256];

		snprintf(path, sizeof(path), "%s/vm1.sock", real);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 2, &owners,
							     err, sizeof(err)), 0);
		/* Below an allowed directory is not in it. */
		snprintf(path, sizeof(path), "%s/sub/vm1.sock", real);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 2, &owners,
							     err, sizeof(err)), -EPERM);
		assert_contains(err, "/sub/vm1.sock: not in a directory allowed for "
				"vhost-user sockets (allowed: ");
		assert_contains(err, real);
		/* Another directory, and climbing out of an allowed one. */
		snprintf(path, sizeof(path), "%s/vm1.sock", other);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 2, &owners,
							     err, sizeof(err)), -EPERM);
		snprintf(path, sizeof(path), "%s/../other/vm1.sock", real);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 2, &owners,
							     err, sizeof(err)), -EINVAL);
		assert_contains(err, "'.' and '..' are not allowed");

		/* The socket itself a link: refused, the target untouched. */
		fd = bound_socket(at("other/x.sock"), false);
		close(fd);
		snprintf(path, sizeof(path), "%s/vm2.sock", real);
		assert_int_equal(symlink(at("other/x.sock"), path), 0);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 2, &owners,
							     err, sizeof(err)), -EPERM);
		assert_contains(err, "/vm2.sock: is a symbolic link; a socket path "
				"must name the socket itself");

		/* An allowed directory reached through a link: the client must
		 * name it as it is on disk. */
		assert_int_equal(symlink(real, at("alias")), 0);
		snprintf(path, sizeof(path), "%s/vm3.sock", at("alias"));
		dirs[0] = at("alias");
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 1, &owners,
							     err, sizeof(err)), -EPERM);
		assert_contains(err, "not in a directory allowed");
		snprintf(path, sizeof(path), "%s/vm3.sock", real);
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 1, &owners,
							     err, sizeof(err)), 0);

		/* No allowed directory exists. */
		dirs[0] = missing;
		assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 1, &owners,
							     err, sizeof(err)), -EPERM);
		assert_contains(err, "(allowed: none exists;");
		dirs[0] = real;

		/* An allowed directory that another user has taken over. */
		if (geteuid() == 0) {
			assert_int_equal(chown(real, OTHER_UID, -1), 0);
			assert_int_equal(vfwd_sockpath_check_dynamic(path, dirs, 1,
								     &owners, err,
								     sizeof(err)),
					 -EPERM);
			assert_contains(err, "owned by ");
			assert_contains(err, "who could remove or replace the sockets");
			assert_int_equal(chown(real, 0, -1), 0);
		}
	}
}

static void
test_sockdir(void **state)
{
	bool ww = true;

	(void)state;
	assert_int_equal(mkdir(at("d"), 0755), 0);
	assert_int_equal(vfwd_sockdir_check(at("d"), "X", &owners, &ww, err,
					    sizeof(err)), 0);
	assert_false(ww);
	assert_int_equal(chmod(at("d"), 01777), 0);
	assert_int_equal(vfwd_sockdir_check(at("d"), "X", &owners, &ww, err,
					    sizeof(err)), 0);
	assert_true(ww);
	assert_int_equal(vfwd_sockdir_check(at("nope"), "X", &owners, &ww, err,
					    sizeof(err)), -ENOENT);
	assert_int_equal(vfwd_sockdir_check("relative", "X", &owners, &ww, err,
					    sizeof(err)), -EINVAL);
	/* A file is no directory. */
	close(open(at("f"), O_CREAT | O_WRONLY, 0644));
	assert_int_equal(vfwd_sockdir_check(at("f"), "X", &owners, &ww, err,
					    sizeof(err)), -ENOTDIR);
	/* A link of ours to it is fine. */
	assert_int_equal(symlink(at("d"), at("dl")), 0);
	assert_int_equal(vfwd_sockdir_check(at("dl"), "X", &owners, &ww, err,
					    sizeof(err)), 0);
	if (geteuid() != 0)
		return;
	/* A directory of another user, as /tmp/virtio-forwarder made by
	 * someone before the first start. */
	assert_int_equal(chown(at("d"), OTHER_UID, -1), 0);
	assert_int_equal(vfwd_sockdir_check(at("d"), "VIRTIOFWD_SOCKET_DIR", &owners,
					    &ww, err, sizeof(err)), -EPERM);
	assert_contains(err, "VIRTIOFWD_SOCKET_DIR ");
	assert_contains(err, "/d: owned by ");
	assert_int_equal(chown(at("d"), 0, -1), 0);
	/* A link another user owns, pointing at a good directory. */
	assert_int_equal(lchown(at("dl"), OTHER_UID, -1), 0);
	assert_int_equal(vfwd_sockdir_check(at("dl"), "X", &owners, &ww, err,
					    sizeof(err)), -EPERM);
	assert_contains(err, "/dl: reached through symbolic link ");
	assert_contains(err, "who could point it anywhere");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_dir_index),
		cmocka_unit_test_setup_teardown(test_claim, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dynamic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sockdir, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
