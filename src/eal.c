/* SPDX-License-Identifier: BSD-3-Clause */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "eal.h"
#include "errmsg.h"

#define HUGETLBFS_MAGIC 0x958458f6

/* Appends one argument, copying it into the vector's own buffer. */
static int
push(struct vfwd_eal_args *a, size_t *used, const char *s)
{
	size_t n = strlen(s) + 1;

	if (a->argc >= VFWD_EAL_MAX_ARGS || *used + n > sizeof(a->buf))
		return -E2BIG;
	memcpy(a->buf + *used, s, n);
	a->argv[a->argc++] = a->buf + *used;
	a->argv[a->argc] = NULL;
	*used += n;
	return 0;
}

/*
 * Appends one argument made with a format.  An argument that would be cut
 * is refused like one that does not fit: a truncated path is another path.
 */
static int
push_fmt(struct vfwd_eal_args *a, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
push_fmt(struct vfwd_eal_args *a, size_t *used, const char *fmt, ...)
{
	char tmp[sizeof(a->buf)];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -E2BIG;
	return push(a, used, tmp);
}

/* Does the operator's argument string contain option 'opt'? */
static bool
extra_has(const struct vfwd_config *cfg, const char *opt)
{
	size_t n = strlen(opt);
	const char *p = cfg->eal_args;

	while ((p = strstr(p, opt)) != NULL) {
		bool start = p == cfg->eal_args || p[-1] == ' ';
		bool end = p[n] == '\0' || p[n] == ' ' || p[n] == '=';

		if (start && end)
			return true;
		p += n;
	}
	return false;
}

int
vfwd_eal_build_args(const struct vfwd_config *cfg, struct vfwd_eal_args *a,
		    char *err, size_t errlen)
{
	char tmp[VFWD_EAL_ARGS_MAX], cpus[512], *tok, *save = NULL;
	struct vfwd_cpuset all = cfg->workers;
	size_t used = 0;
	int rc = 0, level;

	memset(a, 0, sizeof(*a));
	vfwd_cpuset_add(&all, (unsigned int)cfg->main_lcore);
	/* 512 bytes hold any set of VFWD_MAX_CPUS; checked all the same. */
	rc |= vfwd_cpuset_format(&all, cpus, sizeof(cpus));
	/* DPDK's levels are syslog's plus one.  Below debug, keep DPDK at
	 * notice: its info lines are chatter to an operator. */
	level = cfg->log_level >= 7 ? 8 : (cfg->log_level + 1 < 6 ? cfg->log_level + 1 : 6);

	rc |= push(a, &used, "virtio-forwarder");
	/* An operator's --lcores maps lcore ids to CPUs itself; the CPU
	 * numbers of the configuration are then those lcore ids. */
	if (!extra_has(cfg, "--lcores")) {
		rc |= push(a, &used, "-l");
		rc |= push(a, &used, cpus);
	}
	rc |= push_fmt(a, &used, "--main-lcore=%d", cfg->main_lcore);
	rc |= push_fmt(a, &used, "--file-prefix=%s", cfg->file_prefix);
	rc |= push_fmt(a, &used, "--log-level=%d", level);
	if (!extra_has(cfg, "--no-huge")) {
		rc |= push_fmt(a, &used, "--huge-dir=%s", cfg->huge_dir);
		/* Files a killed daemon left in hugetlbfs are reclaimed. */
		rc |= push(a, &used, "--huge-unlink=existing");
	}
	/* Probe no PCI device at start: devices are hot-plugged when a relay
	 * asks for them, so VFs meant for something else stay untouched.  An
	 * allow list naming no real device does that. */
	if (!extra_has(cfg, "--no-pci") && !extra_has(cfg, "-a") &&
	    !extra_has(cfg, "--allow") && !extra_has(cfg, "-b") &&
	    !extra_has(cfg, "--block"))
		rc |= push(a, &used, "--allow=0000:00:00.0");
	if (cfg->vfio_vf_token[0] != '\0')
		rc |= push_fmt(a, &used, "--vfio-vf-token=%s", cfg->vfio_vf_token);
	snprintf(tmp, sizeof(tmp), "%s", cfg->eal_args);
	for (tok = strtok_r(tmp, " \t", &save); tok != NULL;
	     tok = strtok_r(NULL, " \t", &save))
		rc |= push(a, &used, tok);
	if (rc != 0) {
		ERR("VIRTIOFWD_EAL_ARGS: too many or too long EAL arguments "
		    "(at most %d arguments)", VFWD_EAL_MAX_ARGS);
		return -E2BIG;
	}
	return 0;
}

int
vfwd_eal_check_host(const struct vfwd_config *cfg, char *err, size_t errlen)
{
	struct statfs sfs;
	cpu_set_t avail;
	int cpu;

	if (!extra_has(cfg, "--lcores") &&
	    sched_getaffinity(0, sizeof(avail), &avail) == 0) {
		for (cpu = 0; cpu < VFWD_MAX_CPUS; cpu++)
			if (vfwd_cpuset_has(&cfg->workers, cpu) && !CPU_ISSET(cpu, &avail)) {
				ERR("VIRTIOFWD_CPU_MASK: CPU %d is not available on this "
				    "host (%d CPUs usable by this process)", cpu,
				    CPU_COUNT(&avail));
				return -EINVAL;
			}
		if (!CPU_ISSET(cfg->main_lcore, &avail)) {
			ERR("VIRTIOFWD_MASTER_LCORE=%d: CPU not available on this host "
			    "(%d CPUs usable by this process)", cfg->main_lcore,
			    CPU_COUNT(&avail));
			return -EINVAL;
		}
	}
	if (extra_has(cfg, "--no-huge"))
		return 0;
	if (statfs(cfg->huge_dir, &sfs) != 0) {
		int rc = -errno;

		ERR("VIRTIOFWD_HUGETLBFS_MOUNT_POINT=%s: %s (mount hugetlbfs there, "
		    "or pass --no-huge in VIRTIOFWD_EAL_ARGS)", cfg->huge_dir,
		    strerror(-rc));
		return rc;
	}
	if ((unsigned long)sfs.f_type != HUGETLBFS_MAGIC) {
		ERR("VIRTIOFWD_HUGETLBFS_MOUNT_POINT=%s: not a hugetlbfs mount "
		    "(mount -t hugetlbfs nodev %s, or pass --no-huge in "
		    "VIRTIOFWD_EAL_ARGS)", cfg->huge_dir, cfg->huge_dir);
		return -EINVAL;
	}
	return 0;
}

void
vfwd_eal_remove_runtime_dir(const char *dir)
{
	char path[PATH_MAX], parent[PATH_MAX], *slash;
	struct dirent *e;
	DIR *d;

	if (dir == NULL || dir[0] != '/')
		return;
	d = opendir(dir);
	if (d == NULL)
		return;
	/* Only files: EAL makes no subdirectories there. */
	while ((e = readdir(d)) != NULL) {
		if (e->d_type == DT_DIR)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			unlink(path);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		return;
	snprintf(parent, sizeof(parent), "%s", dir);
	slash = strrchr(parent, '/');
	if (slash != NULL && slash != parent) {
		*slash = '\0';
		rmdir(parent);     /* fails, as it should, when not empty */
	}
}
