/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Starting DPDK's EAL from the configuration: the arguments the daemon
 * builds (CPUs, main lcore, hugepages, file prefix, log level), then the
 * operator's VIRTIOFWD_EAL_ARGS appended.  An operator's "--lcores"
 * replaces the CPU list we build: the worker and main "CPUs" of the
 * configuration are then EAL lcore ids, mapped to CPUs as it says.  Host facts EAL would only
 * report cryptically (a CPU that does not exist, a directory that is not
 * hugetlbfs) are checked first and explained.
 */
#ifndef VFWD_EAL_H
#define VFWD_EAL_H

#include <stddef.h>

#include "config.h"

/* Most EAL arguments we build (ours plus the operator's). */
#define VFWD_EAL_MAX_ARGS 64

/* EAL's argument vector, owned by the caller. */
struct vfwd_eal_args {
	int argc;
	char *argv[VFWD_EAL_MAX_ARGS + 1];
	char buf[4096];
};

/* Builds the EAL arguments for 'cfg' into 'a'. */
int vfwd_eal_build_args(const struct vfwd_config *cfg, struct vfwd_eal_args *a,
			char *err, size_t errlen);

/* Checks that the CPUs and the hugepage directory 'cfg' names are usable. */
int vfwd_eal_check_host(const struct vfwd_config *cfg, char *err, size_t errlen);

/*
 * Removes DPDK's runtime directory 'dir' (/run/dpdk/<file prefix>: its
 * config and fbarray files) after rte_eal_cleanup(), and /run/dpdk when
 * that leaves it empty.  EAL leaves them behind; a stopped daemon should
 * not (they would outlive even the package).  Best effort, silent.
 */
void vfwd_eal_remove_runtime_dir(const char *dir);

#endif /* VFWD_EAL_H */
