/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl_ipc.h"
#include "ctl_slice.h"
#include "ctl_ops.h"
#include "errmsg.h"
#include "ifmap.h"
#include "log.h"
#include "parse.h"
#include "portctl.h"
#include "relay.h"

#define WATCH_MASK (IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF)
/* What, in the parent directory, may give the directory back. */
#define PARENT_MASK (IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | \
		     IN_ATTRIB | IN_ONLYDIR)

static int ifd = -1;
static char ipc_dir[PATH_MAX];
static int dir_wd = -1;          /* the directory's watch */
/* While the directory cannot be watched, its parent's watch: what an
 * operator does there to put the directory back brings IPC back. */
static int parent_wd = -1;
static char parent_dir[PATH_MAX];
static const char *dir_base;     /* the directory's name in its parent */

/* The command file being run, a few lines per loop pass. */
static struct {
	bool active;
	char name[NAME_MAX + 1];
	char *text;               /* its contents */
	size_t len, pos;          /* bytes, and where the next line starts */
	int lineno;
	FILE *out;                /* its answer, in 'res' */
	char *res;
	size_t reslen;
	bool waiting;             /* a line runs on the operations thread */
} job;

/* Command files waiting to run, oldest first (a ring of names). */
static struct {
	char **names;
	size_t head, len, cap;
	bool rescan;              /* the directory holds files not queued */
} queue;

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

/*
 * Turns a command's target into a device spec: a PCI address or devargs
 * (anything with a ',' or starting with "net_") as given, anything else
 * as an interface name mapped through sysfs.
 */
static int
resolve(const char *target, char *dev, size_t devlen, char *err, size_t errlen)
{
	uint32_t d, b, s, f;

	if (strlen(target) >= VFWD_DEVSPEC_MAX) {
		ERR("'%.40s...': longer than %d characters", target, VFWD_DEVSPEC_MAX - 1);
		return -EINVAL;
	}
	if (vfwd_parse_pci(target, &d, &b, &s, &f) == 0 ||
	    strchr(target, ',') != NULL || strncmp(target, "net_", 4) == 0) {
		if (vfwd_parse_devspec(target, dev, devlen, err, errlen) != 0)
			return -EINVAL;
		return 0;
	}
	return vfwd_ifmap("/sys", target, dev, devlen, err, errlen);
}

/* A relay without a device, for add_port without a relay number. */
static int
free_relay(void)
{
	struct vfwd_relay_info ri;
	unsigned int i;
	int rc;

	for (i = 0; i < VFWD_MAX_RELAYS; i++) {
		rc = vfwd_relay_info(i, &ri);
		if (rc == -ENOENT || (rc == 0 && !ri.has_device))
			return (int)i;
	}
	return -ENOSPC;
}

static int
parse_relay(const char *s, unsigned int *relay, char *err, size_t errlen)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || end == s || s[0] == '-' ||
	    v >= VFWD_MAX_RELAYS) {
		ERR("relay '%s': must be a number from 0 to %d", s, VFWD_MAX_RELAYS - 1);
		return -EINVAL;
	}
	*relay = (unsigned int)v;
	return 0;
}

/* Runs one command line; writes the reason of a failure into 'err'. */
static int
run_line(char *line, char *ok, size_t oklen, char *err, size_t errlen)
{
	char *argv[4], *save = NULL, *tok, dev[VFWD_DEVSPEC_MAX];
	struct vfwd_portctl_dev d = { .n = 1 };
	unsigned int relay;
	int argc = 0, rc;

	for (tok = strtok_r(line, " \t\r", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t\r", &save)) {
		if (argc == 4) {
			ERR("too many words (add_port <ifname|device> [relay] or "
			    "del_port <ifname|device>)");
			return -EINVAL;
		}
		argv[argc++] = tok;
	}
	if (argc == 0) {
		ERR("empty command");
		return -EINVAL;
	}
	if (strcmp(argv[0], "add_port") == 0) {
		if (argc < 2 || argc > 3) {
			ERR("usage: add_port <ifname|device> [relay]");
			return -EINVAL;
		}
		rc = resolve(argv[1], dev, sizeof(dev), err, errlen);
		if (rc != 0)
			return rc;
		if (argc == 3) {
			rc = parse_relay(argv[2], &relay, err, errlen);
			if (rc != 0)
				return rc;
		} else {
			rc = free_relay();
			if (rc < 0) {
				ERR("no relay without a device is left");
				return rc;
			}
			relay = (unsigned int)rc;
		}
		d.devs[0] = dev;
		rc = vfwd_portctl_add(relay, &d, true, err, errlen);
		if (rc == 0)
			snprintf(ok, oklen, "ok add_port %s: relay %u, device %s",
				 argv[1], relay, dev);
		return rc;
	}
	if (strcmp(argv[0], "del_port") == 0) {
		if (argc != 2) {
			ERR("usage: del_port <ifname|device>");
			return -EINVAL;
		}
		rc = resolve(argv[1], dev, sizeof(dev), err, errlen);
		if (rc != 0)
			return rc;
		rc = vfwd_portctl_remove(-1, dev, false, err, errlen);
		if (rc == 0)
			snprintf(ok, oklen, "ok del_port %s: device %s removed", argv[1], dev);
		return rc;
	}
	ERR("unknown command '%.32s' (allowed: add_port, del_port)", argv[0]);
	return -EINVAL;
}

/* What one line of a command file came to. */
enum line_result {
	LINE_END = -1,       /* no line left */
	LINE_BLANK,          /* blank or a comment */
	LINE_PENDING,        /* handed to the operations thread */
	LINE_OK,
	LINE_FAILED,
};

/*
 * Runs the line of 'text' (of 'len' bytes) at '*pos' and moves '*pos' and
 * '*lineno' past it, writing its result line to 'out'.
 */
/* Writes the result of line 'lineno' (its command returned 'rc') to
 * 'out', and logs it. */
static enum line_result
line_result(FILE *out, int lineno, int rc, const char *ok, const char *err)
{
	char esc[4 * VFWD_ERR_MAX + 1];

	if (rc == 0) {
		vfwd_text_escape(ok, strlen(ok), esc, sizeof(esc), NULL);
		fprintf(out, "%s\n", esc);
		VLOG_INFO("ipc: %s", ok);
		return LINE_OK;
	}
	/* Results are UTF-8 text, whatever bytes the line had. */
	vfwd_text_escape(err, strlen(err), esc, sizeof(esc), NULL);
	fprintf(out, "error: line %d: %s\n", lineno, esc);
	/* Whoever can write command files can repeat a bad one at will. */
	VLOG_WARN_RL("ipc: line %d: %s", lineno, err);
	return LINE_FAILED;
}

/* A line of the job run on the operations thread (ctl_ops.h): a device
 * attach can take longer than the control loop may be held. */
struct line_op {
	struct vfwd_op op;
	char line[VFWD_IPC_MAX_LINE + 2];
	int lineno, rc;
	char ok[VFWD_ERR_MAX], err[VFWD_ERR_MAX];
};

static void
line_op_run(struct vfwd_op *op)
{
	struct line_op *l = (struct line_op *)op;

	l->rc = run_line(l->line, l->ok, sizeof(l->ok), l->err, sizeof(l->err));
}

static void
line_op_done(struct vfwd_op *op)
{
	struct line_op *l = (struct line_op *)op;

	if (job.active)
		line_result(job.out, l->lineno, l->rc, l->ok, l->err);
	job.waiting = false;
	free(l);
}

/* Hands command 'line' (number 'lineno') of the job to the operations
 * thread; false when it cannot (none runs, no memory). */
static bool
line_submit(const char *line, int lineno)
{
	struct line_op *l;

	if (!vfwd_ops_started())
		return false;
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return false;
	l->op.run = line_op_run;
	l->op.done = line_op_done;
	snprintf(l->line, sizeof(l->line), "%s", line);
	l->lineno = lineno;
	job.waiting = true;
	vfwd_ops_submit(&l->op);
	return true;
}

/*
 * Runs the line of 'text' (of 'len' bytes) at '*pos' and moves '*pos' and
 * '*lineno' past it, writing its result line to 'out'; with 'submit', a
 * command is handed to the operations thread when one runs, and its
 * result comes later (LINE_PENDING).
 */
static enum line_result
next_line(const char *text, size_t len, size_t *pos, int *lineno, FILE *out,
	  bool submit)
{
	const char *nl;
	char line[VFWD_IPC_MAX_LINE + 2], ok[VFWD_ERR_MAX], err[VFWD_ERR_MAX], *p;
	size_t n;
	int rc;

	if (*pos >= len)
		return LINE_END;
	nl = memchr(text + *pos, '\n', len - *pos);
	n = nl ? (size_t)(nl - (text + *pos)) : len - *pos;
	++*lineno;
	if (n > VFWD_IPC_MAX_LINE) {
		fprintf(out, "error: line %d: longer than %d characters\n", *lineno,
			VFWD_IPC_MAX_LINE);
		*pos += n + 1;
		return LINE_FAILED;
	}
	memcpy(line, text + *pos, n);
	line[n] = '\0';
	*pos += n + 1;
	if (memchr(line, '\0', n) != NULL) {
		fprintf(out, "error: line %d: contains a NUL byte\n", *lineno);
		return LINE_FAILED;
	}
	p = line + strspn(line, " \t\r");
	if (*p == '\0' || *p == '#')
		return LINE_BLANK;
	if (submit && line_submit(p, *lineno))
		return LINE_PENDING;
	rc = run_line(p, ok, sizeof(ok), err, sizeof(err));
	return line_result(out, *lineno, rc, ok, err);
}

int
vfwd_ctl_ipc_run(const char *text, size_t len, void *results)
{
	enum line_result r;
	size_t pos = 0;
	int lineno = 0, failed = 0;

	while ((r = next_line(text, len, &pos, &lineno, results, false)) != LINE_END)
		failed += r == LINE_FAILED;
	return failed;
}

/* ------------------------------------------------------------------ */
/* Files                                                               */
/* ------------------------------------------------------------------ */

static bool
wanted(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.' || n == 0)
		return false;
	if (n >= 4 && strcmp(name + n - 4, ".tmp") == 0)
		return false;
	if (n >= 7 && strcmp(name + n - 7, ".result") == 0)
		return false;
	return true;
}

/* Writes the result next to the command file, atomically. */
static void
write_result(const char *name, const char *text, size_t len)
{
	char tmp[PATH_MAX], final[PATH_MAX];
	ssize_t n;
	int fd, e = 0;

	/* A short temporary name: it must fit wherever the result fits. */
	snprintf(tmp, sizeof(tmp), "%s/.result.XXXXXX", ipc_dir);
	snprintf(final, sizeof(final), "%s/%s.result", ipc_dir, name);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		VLOG_WARN("ipc: %s: %s", tmp, strerror(e));
		return;
	}
	/* Each step's own errno; the descriptor is closed whatever failed. */
	n = write(fd, text, len);
	if (n != (ssize_t)len)
		e = n < 0 ? errno : ENOSPC;     /* a short write: the disk is full */
	else if (fchmod(fd, 0600) != 0)
		e = errno;
	if (close(fd) != 0 && e == 0)
		e = errno;
	if (e == 0 && rename(tmp, final) != 0)
		e = errno;
	if (e != 0) {
		VLOG_WARN("ipc: cannot write %s: %s", final, strerror(e));
		unlink(tmp);
	}
}

/*
 * Starts running command file 'name': reads it whole and removes it (a
 * file is processed once; a new file of the same name is a new command
 * file), then its lines run a few per loop pass (run_job()).  A file that
 * cannot be run is answered at once.
 */
static void
start_job(const char *name)
{
	char path[PATH_MAX];
	struct stat st;
	bool answer = false;
	ssize_t n;
	int fd;

	if (!wanted(name))
		return;
	snprintf(path, sizeof(path), "%s/%s", ipc_dir, name);
	/* No answer could be written for it: refuse before running anything. */
	if (strlen(name) + strlen(".result") > NAME_MAX) {
		VLOG_ERR_RL("ipc: command file name longer than %zu bytes (no room "
			    "for its .result); removed without running it",
			    NAME_MAX - strlen(".result"));
		unlink(path);
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return;          /* gone already, or a link: not ours */
	memset(&job, 0, sizeof(job));
	snprintf(job.name, sizeof(job.name), "%s", name);
	job.out = open_memstream(&job.res, &job.reslen);
	if (job.out == NULL || fstat(fd, &st) != 0)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		fprintf(job.out, "error: not a regular file\n");
		answer = true;
	} else if (st.st_size > VFWD_IPC_MAX_FILE) {
		fprintf(job.out, "error: file larger than %d bytes; nothing done\n",
			VFWD_IPC_MAX_FILE);
		answer = true;
	} else {
		job.text = malloc((size_t)st.st_size + 1);
		if (job.text == NULL)
			goto fail;
		n = read(fd, job.text, (size_t)st.st_size);
		if (n < 0) {
			fprintf(job.out, "error: cannot read: %s\n", strerror(errno));
			answer = true;
		} else {
			job.len = (size_t)n;
			VLOG_INFO("ipc: command file %s", name);
		}
	}
	close(fd);
	/* Processed once: the command file goes, its answer will stay. */
	if (unlink(path) != 0 && errno != ENOENT)
		VLOG_WARN_RL("ipc: cannot remove %s: %s; it will run again when the "
			     "directory is next scanned", path, strerror(errno));
	job.active = true;
	if (answer)
		job.len = job.pos = 0;
	return;
fail:
	close(fd);
	if (job.out != NULL)
		fclose(job.out);
	free(job.res);
	free(job.text);
	memset(&job, 0, sizeof(job));
}

/* Writes the answer of the job whose lines are all run, and ends it. */
static void
finish_job(void)
{
	fflush(job.out);
	write_result(job.name, job.res, job.reslen);
	fclose(job.out);
	free(job.res);
	free(job.text);
	memset(&job, 0, sizeof(job));
}

/* ------------------------------------------------------------------ */
/* The queue of command files                                          */
/* ------------------------------------------------------------------ */

/* Adds command file 'name' to the queue; when the queue is full, the
 * directory is scanned once it drains instead. */
static void
enqueue(const char *name)
{
	char *copy;

	if (!wanted(name))
		return;
	if (queue.len == VFWD_IPC_MAX_QUEUED) {
		queue.rescan = true;
		return;
	}
	if (queue.len == queue.cap) {
		size_t cap = queue.cap ? queue.cap * 2 : 64;
		char **p = malloc(cap * sizeof(*p));
		size_t i;

		if (p == NULL) {
			queue.rescan = true;
			return;
		}
		/* Unrolled from the ring into the new array's start. */
		for (i = 0; i < queue.len; i++)
			p[i] = queue.names[(queue.head + i) % queue.cap];
		free(queue.names);
		queue.names = p;
		queue.cap = cap;
		queue.head = 0;
	}
	copy = strdup(name);
	if (copy == NULL) {
		queue.rescan = true;
		return;
	}
	queue.names[(queue.head + queue.len) % queue.cap] = copy;
	queue.len++;
}

/* Takes the oldest name off the queue; NULL when empty.  Freed by the caller. */
static char *
dequeue(void)
{
	char *name;

	if (queue.len == 0)
		return NULL;
	name = queue.names[queue.head];
	queue.head = (queue.head + 1) % queue.cap;
	queue.len--;
	return name;
}

/* Creates the directory, or checks that the existing one is safe. */
static int
make_dir(const char *dir, char *err, size_t errlen)
{
	char buf[PATH_MAX], *p;
	struct stat st;
	int rc;

	snprintf(buf, sizeof(buf), "%s", dir);
	for (p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
				rc = -errno;
				ERR("VIRTIOFWD_IPC_PORT_CONTROL: cannot create %s: %s",
				    buf, strerror(-rc));
				return rc;
			}
			*p = '/';
		}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		rc = -errno;
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: cannot create %s: %s", dir,
		    strerror(-rc));
		return rc;
	}
	if (lstat(dir, &st) != 0) {
		rc = -errno;
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: %s: %s", dir, strerror(-rc));
		return rc;
	}
	if (!S_ISDIR(st.st_mode)) {
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: %s is not a directory", dir);
		return -ENOTDIR;
	}
	/* Whoever can write here controls the relays: root only. */
	if (st.st_uid != geteuid()) {
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: %s belongs to uid %u, not to the "
		    "daemon's user; refusing to take commands from it", dir,
		    (unsigned int)st.st_uid);
		return -EPERM;
	}
	if ((st.st_mode & 0077) != 0 && chmod(dir, 0700) != 0) {
		rc = -errno;
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: cannot make %s private: %s", dir,
		    strerror(-rc));
		return rc;
	}
	return 0;
}

/* Queues every command file in the directory. */
static void
scan_dir(void)
{
	struct dirent *de;
	DIR *d = opendir(ipc_dir);

	if (d == NULL) {
		VLOG_WARN("ipc: cannot list %s: %s; command files already there "
			  "wait for the next change", ipc_dir, strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_type == DT_REG)
			enqueue(de->d_name);
	closedir(d);
}

int
vfwd_ctl_ipc_open(const char *dir, char *err, size_t errlen)
{
	int rc;

	if (dir[0] != '/' || strlen(dir) >= sizeof(ipc_dir) - 64) {
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: '%s': an absolute directory is required",
		    dir);
		return -EINVAL;
	}
	snprintf(ipc_dir, sizeof(ipc_dir), "%s", dir);
	rc = make_dir(dir, err, errlen);
	if (rc != 0)
		return rc;
	snprintf(parent_dir, sizeof(parent_dir), "%s", dir);
	*strrchr(parent_dir, '/') = '\0';
	if (parent_dir[0] == '\0')
		snprintf(parent_dir, sizeof(parent_dir), "/");
	dir_base = strrchr(ipc_dir, '/') + 1;
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0 || (dir_wd = inotify_add_watch(ifd, dir, WATCH_MASK)) < 0) {
		rc = -errno;
		ERR("VIRTIOFWD_IPC_PORT_CONTROL: cannot watch %s: %s", dir, strerror(-rc));
		vfwd_ctl_ipc_close();
		return rc;
	}
	VLOG_INFO("IPC port control: watching %s", dir);
	/* Files that arrived while the daemon was down: run by the loop. */
	queue.rescan = true;
	return 0;
}

/*
 * The directory was removed, renamed or replaced under us: make it again
 * and watch the new one, or commands would go unanswered without a word.
 * When that fails (a symbolic link or a foreign directory in its place),
 * IPC is off until the parent directory changes in a way that may have
 * put things right, and then this is tried again.
 */
static void
rewatch(void)
{
	static struct vfwd_ratelimit rl = VFWD_RATELIMIT_INIT(1, 60000);
	char err[VFWD_ERR_MAX] = "";
	bool was_off = parent_wd >= 0;

	/* A moved directory's watch follows it: drop it.  A removed one's
	 * is gone already (the error is expected). */
	if (dir_wd >= 0)
		inotify_rm_watch(ifd, dir_wd);
	dir_wd = -1;
	if (make_dir(ipc_dir, err, sizeof(err)) == 0) {
		dir_wd = inotify_add_watch(ifd, ipc_dir, WATCH_MASK);
		if (dir_wd < 0)
			snprintf(err, sizeof(err), "%s", strerror(errno));
	}
	if (dir_wd >= 0) {
		if (parent_wd >= 0)
			inotify_rm_watch(ifd, parent_wd);
		parent_wd = -1;
		if (was_off)
			VLOG_NOTICE("ipc: watching %s again; IPC port control is back",
				    ipc_dir);
		scan_dir();
		return;
	}
	if (parent_wd < 0)
		parent_wd = inotify_add_watch(ifd, parent_dir, PARENT_MASK);
	if (parent_wd < 0)
		VLOG_ERR("ipc: cannot watch %s again: %s; cannot watch %s either (%s): "
			 "IPC port control is off until restart", ipc_dir, err,
			 parent_dir, strerror(errno));
	else
		vfwd_log_rl(&rl, LOG_ERR, "ipc: cannot watch %s again: %s; IPC port "
			    "control is off until it is a directory of the daemon's "
			    "user again (retried whenever %s changes)", ipc_dir, err,
			    parent_dir);
}

/* Queues the command files the inotify fd reported. */
static void
ipc_serve(void)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool lost = false, retry = false;
	ssize_t n;

	/* Reading the events only queues names: cheap, however many. */
	while (ifd >= 0 && (n = read(ifd, buf, sizeof(buf))) > 0) {
		char *p = buf;

		while (p < buf + n) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->wd == dir_wd && dir_wd >= 0) {
				if (ev->len > 0 && !(ev->mask & IN_ISDIR))
					enqueue(ev->name);
				if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF))
					lost = true;
			} else if (ev->wd == parent_wd && parent_wd >= 0 && ev->len > 0 &&
				   strcmp(ev->name, dir_base) == 0) {
				retry = true;
			}
			/* Events were lost: look at what is there. */
			if (ev->mask & IN_Q_OVERFLOW) {
				queue.rescan = true;
				retry = parent_wd >= 0;
			}
			p += sizeof(*ev) + ev->len;
		}
	}
	if (lost) {
		VLOG_ERR("ipc: %s was removed or moved; creating it again", ipc_dir);
		rewatch();
	} else if (retry) {
		rewatch();
	}
}

/* Is there work left for ipc_work()? */
static bool
ipc_busy(void)
{
	/* Not while a line runs on the operations thread: its end wakes
	 * the loop (ctl_ops.h). */
	return !job.waiting && (job.active || queue.len > 0 || queue.rescan);
}

/* Runs queued command files, a slice's worth of lines. */
static void
ipc_work(void)
{
	struct vfwd_slice sl;

	vfwd_slice_start(&sl, VFWD_IPC_LINES_PER_PASS);
	while (!job.waiting && vfwd_slice_more(&sl)) {
		if (job.active) {
			enum line_result r = next_line(job.text, job.len, &job.pos,
						       &job.lineno, job.out, true);

			if (r == LINE_END)
				finish_job();
			else if (r != LINE_BLANK)
				sl.done++;
			continue;
		}
		if (queue.len > 0) {
			char *name = dequeue();

			start_job(name);
			free(name);
			sl.done++;
			continue;
		}
		if (!queue.rescan)
			break;
		queue.rescan = false;
		scan_dir();
		sl.done++;
	}
}

static void
ipc_fill(struct vfwd_pollset *ps)
{
	if (ifd >= 0)
		vfwd_pollset_add_fd(ps, ifd, POLLIN);
}

static int
ipc_timeout_ms(void)
{
	return ipc_busy() ? 0 : -1;
}

static void
ipc_run(struct vfwd_pollset *ps)
{
	if (vfwd_pollset_revents(ps, 0) & POLLIN)
		ipc_serve();
	ipc_work();
}

const struct vfwd_ctl_source vfwd_ctl_ipc_source = {
	.name = "IPC port control",
	.fill = ipc_fill,
	.timeout_ms = ipc_timeout_ms,
	.run = ipc_run,
};

void
vfwd_ctl_ipc_close(void)
{
	char *name;

	if (ifd >= 0)
		close(ifd);
	ifd = -1;
	dir_wd = parent_wd = -1;
	/* A file half run is answered with what was done (the caller has
	 * let the line under way finish: vfwd_ops_stop()). */
	if (job.active)
		finish_job();
	while ((name = dequeue()) != NULL)
		free(name);
	free(queue.names);
	memset(&queue, 0, sizeof(queue));
}
