/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/vfio_bind.c: binding VIRTIOFWD_BIND_VFIO_PCI's devices
 * to vfio-pci, against a fake sysfs tree built in a temporary directory
 * (the kernel's shape, as in test_ifmap.c: bus/pci/devices/<addr> links
 * into devices/, driver links into bus/pci/drivers/<name>, virtfnN links
 * from a PF to its VFs, class/net/<if>/device links).
 *
 * A thread plays the kernel's part: it watches the drivers' bind, unbind
 * and new_id files and moves the driver links as the kernel would,
 * honouring driver_override.  A device with a file "noiommu" in its
 * directory is one vfio-pci refuses, as the kernel does without an IOMMU.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "sysfs_tree.h"
#include "vfio_bind.h"

/* config.c wants these from its user; nothing here should say anything. */
void vfwd_config_warn(const char *fmt, ...)
{
	(void)fmt;
}

void vfwd_config_notice(const char *fmt, ...)
{
	(void)fmt;
}

/* The PF behind ens3 and its VFs; virtfn10 has the lowest address. */
#define PF "0000:05:00.0"
#define VF0 "0000:05:02.0"
#define VF1 "0000:05:02.1"
#define VF2 "0000:05:02.2"
#define VF10 "0000:05:01.7"
/* A NIC without VFs, behind ens9. */
#define NIC "0000:04:00.0"
/* Devices on their own. */
#define ON_VFIO "0000:06:00.1"       /* bound to vfio-pci already */
#define UNBOUND "0000:07:00.1"       /* no driver */
#define OLD_KERNEL "0000:08:00.1"    /* no driver_override */
#define NO_IOMMU "0000:09:00.1"      /* vfio-pci refuses it */
#define BAD_OVERRIDE "0000:0a:00.1"  /* driver_override cannot be written */
#define STUCK "0000:0b:00.1"         /* its driver's unbind cannot be written */

static pthread_t kernel;
static atomic_bool kernel_stop;
/* What the daemon would have logged. */
static char notes[4096];

static void
note(const char *line)
{
	size_t n = strlen(notes);

	snprintf(notes + n, sizeof(notes) - n, "%s\n", line);
}

/* ---- building the tree ---- */

/* The text of file 'rel' under root ("" when missing), first line only. */
static const char *
read_at(const char *rel)
{
	static char buf[256];
	char path[PATH_MAX];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", tree_root, rel);
	f = fopen(path, "r");
	if (f != NULL) {
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

/* A driver under bus/pci/drivers/, with its bind and unbind files. */
static void
driver(const char *name)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s", name);
	tree_mkdirs(rel);
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", name);
	tree_write(rel, "");
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind", name);
	tree_write(rel, "");
	snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/new_id", name);
	tree_write(rel, "");
}

/* A PCI function with vendor and device IDs, its driver_override (unless
 * 'old_kernel') and its driver link (when 'drv' is given). */
static void
pci_function(const char *addr, const char *drv, bool old_kernel)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s", addr);
	tree_mkdirs(rel);
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/subsystem", addr);
	tree_link("../../../bus/pci", rel);
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/vendor", addr);
	tree_write(rel, "0x8086\n");
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/device", addr);
	tree_write(rel, "0x10ed\n");
	if (!old_kernel) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/driver_override",
			 addr);
		tree_write(rel, "(null)\n");
	}
	if (drv != NULL) {
		snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/driver", addr);
		snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
		tree_link(target, rel);
	}
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", addr);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", addr);
	tree_link(target, rel);
}

static void
virtfn(const char *pf, int n, const char *vf)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/virtfn%d", pf, n);
	snprintf(target, sizeof(target), "../%s", vf);
	tree_link(target, rel);
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/physfn", vf);
	snprintf(target, sizeof(target), "../%s", pf);
	tree_link(target, rel);
}

static void
netdev(const char *ifname, const char *addr)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "class/net/%s", ifname);
	tree_mkdirs(rel);
	if (addr != NULL) {
		snprintf(rel, sizeof(rel), "class/net/%s/device", ifname);
		snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s",
			 addr);
		tree_link(target, rel);
	}
}

/* ---- the kernel's part ---- */

/* The driver of 'addr' ("" when none). */
static const char *
driver_of(const char *addr)
{
	static char name[64];
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", tree_root, addr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return "";
	target[n] = '\0';
	snprintf(name, sizeof(name), "%s", strrchr(target, '/') + 1);
	return name;
}

/* Binds 'addr' to 'drv' if the kernel would: unbound, the override
 * allows it, and vfio-pci is not refused for lack of an IOMMU. */
static void
kernel_bind(const char *addr, const char *drv)
{
	char path[PATH_MAX], rel[PATH_MAX], target[PATH_MAX], override[64];

	if (driver_of(addr)[0] != '\0')
		return;
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s/driver_override", addr);
	snprintf(override, sizeof(override), "%s", read_at(rel));
	if (override[0] && strcmp(override, "(null)") && strcmp(override, drv))
		return;
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/noiommu", tree_root, addr);
	if (!strcmp(drv, "vfio-pci") && access(path, F_OK) == 0)
		return;
	snprintf(rel, sizeof(rel), "%s/bus/pci/devices/%s/driver", tree_root, addr);
	snprintf(target, sizeof(target), "../../../bus/pci/drivers/%s", drv);
	if (symlink(target, rel) != 0)
		fprintf(stderr, "fake kernel: symlink %s: %s\n", rel, strerror(errno));
}

/* Takes what was written to a driver's attribute 'rel' (and empties it). */
static bool
take(const char *rel, char *out, size_t len)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", tree_root, rel);
	if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0)
		return false;
	snprintf(out, len, "%s", read_at(rel));
	return truncate(path, 0) == 0 && out[0] != '\0';
}

/* new_id: every unbound device of that ID goes to vfio-pci. */
static void
kernel_new_id(const char *id)
{
	char path[PATH_MAX], vendor[16], device[16];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/bus/pci/devices", tree_root);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		char rel[PATH_MAX], want[40];

		if (de->d_name[0] == '.')
			continue;
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/vendor", de->d_name);
		snprintf(vendor, sizeof(vendor), "%s", read_at(rel) + 2);
		snprintf(rel, sizeof(rel), "bus/pci/devices/%s/device", de->d_name);
		snprintf(device, sizeof(device), "%s", read_at(rel) + 2);
		snprintf(want, sizeof(want), "%s %s", vendor, device);
		if (!strcmp(want, id))
			kernel_bind(de->d_name, "vfio-pci");
	}
	closedir(d);
}

static void *
kernel_main(void *arg)
{
	static const char *const drivers[] = { "ixgbevf", "stuckdrv", "vfio-pci" };
	char rel[PATH_MAX], v[256];
	size_t i;

	(void)arg;
	while (!atomic_load(&kernel_stop)) {
		for (i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
			snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/unbind",
				 drivers[i]);
			if (take(rel, v, sizeof(v)) && !strcmp(driver_of(v), drivers[i])) {
				char path[PATH_MAX];

				snprintf(path, sizeof(path),
					 "%s/bus/pci/devices/%s/driver", tree_root, v);
				unlink(path);
			}
			/*
			 * A bind that arrives before the unbind was seen is
			 * kept for the next round: the real kernel sees the
			 * two writes in order, this loop might not.
			 */
			snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/bind", drivers[i]);
			if (take(rel, v, sizeof(v))) {
				const char *cur = driver_of(v);

				if (cur[0] && strcmp(cur, drivers[i]))
					tree_write(rel, v);
				else
					kernel_bind(v, drivers[i]);
			}
			snprintf(rel, sizeof(rel), "bus/pci/drivers/%s/new_id",
				 drivers[i]);
			if (take(rel, v, sizeof(v)) && !strcmp(drivers[i], "vfio-pci"))
				kernel_new_id(v);
		}
		usleep(1000);
	}
	return NULL;
}

/* ---- fixtures ---- */

static int
setup(void **state)
{
	char path[PATH_MAX];

	(void)state;
	if (tree_create("vfio") != 0)
		return -1;
	tree_mkdirs("bus/pci/devices");
	tree_mkdirs("class/net");
	driver("ixgbevf");
	driver("stuckdrv");
	driver("vfio-pci");
	/* stuckdrv's unbind cannot be written to. */
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/stuckdrv/unbind", tree_root);
	unlink(path);
	tree_mkdirs("bus/pci/drivers/stuckdrv/unbind");

	pci_function(PF, NULL, false);
	pci_function(VF0, "ixgbevf", false);
	pci_function(VF1, "ixgbevf", false);
	pci_function(VF2, "ixgbevf", false);
	pci_function(VF10, "ixgbevf", false);
	virtfn(PF, 0, VF0);
	virtfn(PF, 1, VF1);
	virtfn(PF, 2, VF2);
	virtfn(PF, 10, VF10);
	pci_function(NIC, NULL, false);
	pci_function(ON_VFIO, "vfio-pci", false);
	pci_function(UNBOUND, NULL, false);
	pci_function(OLD_KERNEL, "ixgbevf", true);
	pci_function(NO_IOMMU, "ixgbevf", false);
	tree_write("devices/pci0000:00/" NO_IOMMU "/noiommu", "");
	pci_function(BAD_OVERRIDE, "ixgbevf", false);
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/" BAD_OVERRIDE
		 "/driver_override", tree_root);
	unlink(path);
	tree_mkdirs("devices/pci0000:00/" BAD_OVERRIDE "/driver_override");
	pci_function(STUCK, "stuckdrv", false);

	netdev("ens3", PF);
	netdev("ens9", NIC);
	netdev("veth0", NULL);
	notes[0] = '\0';

	atomic_store(&kernel_stop, false);
	return pthread_create(&kernel, NULL, kernel_main, NULL) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	atomic_store(&kernel_stop, true);
	pthread_join(kernel, NULL);
	return tree_remove(tree_root);
}

/* Binds the entries of 'list' (VIRTIOFWD_BIND_VFIO_PCI's syntax). */
static int
bind_list(const char *list, char *err, size_t errlen)
{
	struct vfwd_config cfg;
	char cerr[VFWD_ERR_MAX];
	const char *v = list;

	vfwd_config_defaults(&cfg);
	if (vfwd_config_set(&cfg, "VIRTIOFWD_BIND_VFIO_PCI", &v, 1, false, cerr,
			    sizeof(cerr)) != 0)
		fail_msg("'%s' refused: %s", list, cerr);
	err[0] = '\0';
	return vfwd_vfio_bind(tree_root, cfg.vfio_bind, cfg.n_vfio_bind, note, err,
			      errlen);
}

/* ---- the tests ---- */

/* A PCI address, with and without its domain: override, unbind, bind. */
static void
test_pci_address(void **state)
{
	char err[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(bind_list("0000:05:02.1,05:02.2", err, sizeof(err)), 0);
	assert_string_equal(driver_of(VF1), "vfio-pci");
	assert_string_equal(driver_of(VF2), "vfio-pci");
	assert_string_equal(read_at("bus/pci/devices/" VF1 "/driver_override"),
			    "vfio-pci");
	assert_string_equal(driver_of(VF0), "ixgbevf");
	assert_string_equal(notes, VF1 ": bound to vfio-pci (was on ixgbevf)\n"
			    VF2 ": bound to vfio-pci (was on ixgbevf)\n");
	/* Again: nothing to do, said so, nothing written. */
	notes[0] = '\0';
	tree_write("devices/pci0000:00/" VF1 "/driver_override", "(null)\n");
	assert_int_equal(bind_list("05:02.1", err, sizeof(err)), 0);
	assert_string_equal(notes, VF1 ": already bound to vfio-pci\n");
	assert_string_equal(read_at("bus/pci/devices/" VF1 "/driver_override"),
			    "(null)");
}

/* Devices with no driver are bound without an unbind; one that is on
 * vfio-pci already is left alone. */
static void
test_unbound_and_skipped(void **state)
{
	char err[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(bind_list(UNBOUND "," ON_VFIO, err, sizeof(err)), 0);
	assert_string_equal(driver_of(UNBOUND), "vfio-pci");
	assert_string_equal(notes, UNBOUND ": bound to vfio-pci\n"
			    ON_VFIO ": already bound to vfio-pci\n");
	assert_string_equal(read_at("bus/pci/devices/" ON_VFIO "/driver_override"),
			    "(null)");
}

/* A PF's interface: all its VFs, or the first N in PCI address order
 * (virtfn10 is 05:01.7, the lowest). */
static void
test_netdev(void **state)
{
	char err[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(bind_list("ens3:2", err, sizeof(err)), 0);
	assert_string_equal(driver_of(VF10), "vfio-pci");
	assert_string_equal(driver_of(VF0), "vfio-pci");
	assert_string_equal(driver_of(VF1), "ixgbevf");
	assert_string_equal(driver_of(VF2), "ixgbevf");
	assert_string_equal(driver_of(PF), "");
	notes[0] = '\0';
	assert_int_equal(bind_list("ens3", err, sizeof(err)), 0);
	assert_string_equal(notes, VF10 ": already bound to vfio-pci\n"
			    VF0 ": already bound to vfio-pci\n"
			    VF1 ": bound to vfio-pci (was on ixgbevf)\n"
			    VF2 ": bound to vfio-pci (was on ixgbevf)\n");
	/* A device named twice (directly and through its PF) is done once. */
	notes[0] = '\0';
	assert_int_equal(bind_list("05:02.0,ens3:1", err, sizeof(err)), 0);
	assert_string_equal(notes, VF0 ": already bound to vfio-pci\n"
			    VF10 ": already bound to vfio-pci\n");
}

/* A VF with a netdev: binding takes the netdev away (the kernel's
 * driver goes), so its name is remembered for the OVSDB monitor's
 * mapping of that interface; a name never bound maps to nothing. */
static void
test_bound_netdev(void **state)
{
	char err[VFWD_ERR_MAX], addr[16], path[PATH_MAX];

	(void)state;
	tree_mkdirs("devices/pci0000:00/" VF1 "/net/ens3v1");
	assert_false(vfwd_vfio_bound_netdev("ens3v1", addr, sizeof(addr)));
	assert_int_equal(bind_list(VF1 "," VF2, err, sizeof(err)), 0);
	assert_string_equal(notes, VF1 ": bound to vfio-pci (was on ixgbevf, netdev ens3v1)\n"
			    VF2 ": bound to vfio-pci (was on ixgbevf)\n");
	assert_true(vfwd_vfio_bound_netdev("ens3v1", addr, sizeof(addr)));
	assert_string_equal(addr, VF1);
	assert_false(vfwd_vfio_bound_netdev("ens3v2", addr, sizeof(addr)));
	assert_false(vfwd_vfio_bound_netdev("ens3", addr, sizeof(addr)));
	/* The name moves to another VF (VFs recreated): the latest binding
	 * wins, and nothing stale is left of either. */
	tree_mkdirs("devices/pci0000:00/" VF0 "/net/ens3v1");
	assert_int_equal(bind_list(VF0, err, sizeof(err)), 0);
	assert_true(vfwd_vfio_bound_netdev("ens3v1", addr, sizeof(addr)));
	assert_string_equal(addr, VF0);
	/* That VF back on its kernel driver under another name, and bound
	 * again: its old name is forgotten. */
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/" VF0 "/net/ens3v1", tree_root);
	assert_int_equal(rmdir(path), 0);
	tree_mkdirs("devices/pci0000:00/" VF0 "/net/ens3v7");
	snprintf(path, sizeof(path), "%s/devices/pci0000:00/" VF0 "/driver", tree_root);
	assert_int_equal(unlink(path), 0);
	tree_write("devices/pci0000:00/" VF0 "/driver_override", "(null)\n");
	assert_int_equal(bind_list(VF0, err, sizeof(err)), 0);
	assert_true(vfwd_vfio_bound_netdev("ens3v7", addr, sizeof(addr)));
	assert_string_equal(addr, VF0);
	assert_false(vfwd_vfio_bound_netdev("ens3v1", addr, sizeof(addr)));
}

/* A kernel without driver_override: vfio-pci's new_id. */
static void
test_new_id(void **state)
{
	char err[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(bind_list(OLD_KERNEL, err, sizeof(err)), 0);
	assert_string_equal(driver_of(OLD_KERNEL), "vfio-pci");
	assert_string_equal(notes, OLD_KERNEL ": bound to vfio-pci (was on "
			    "ixgbevf)\n");
}

/* Each entry is checked before anything is bound. */
static void
test_resolution_errors(void **state)
{
	static const struct {
		const char *list;
		int rc;
		const char *words[3];
	} cases[] = {
		{ UNBOUND ",ens99", -ENODEV, { "VIRTIOFWD_BIND_VFIO_PCI: ens99: no "
		  "such network interface", "/class/net/ens99 is missing",
		  "PCI address" } },
		{ "ens9", -ENODEV, { "ens9: the interface has no VFs", "no "
		  "virtfn links in", "sriov_numvfs" } },
		{ "veth0", -ENODEV, { "veth0: no PCI device behind the interface",
		  "so no VFs", NULL } },
		{ UNBOUND ",ens3:5", -ERANGE, { "ens3:5: the interface has only 4 "
		  "VFs", NULL, NULL } },
	};
	char err[VFWD_ERR_MAX];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(bind_list(cases[i].list, err, sizeof(err)),
				 cases[i].rc);
		for (j = 0; j < 3 && cases[i].words[j]; j++)
			assert_contains(err, cases[i].words[j]);
		/* Nothing was touched. */
		assert_string_equal(driver_of(UNBOUND), "");
		assert_string_equal(driver_of(VF0), "ixgbevf");
		assert_string_equal(notes, "");
	}
}

/* The steps that can fail, each named with its device and file. */
static void
test_step_errors(void **state)
{
	char err[VFWD_ERR_MAX], want[PATH_MAX * 2];

	(void)state;
	/* A device that does not exist (yet): noted, not an error; it is
	 * bound when it appears, and then vfwd_vfio_bind_device() says so. */
	notes[0] = '\0';
	assert_int_equal(bind_list("0000:0f:00.1", err, sizeof(err)), 0);
	assert_string_equal(notes, "0000:0f:00.1: not present (yet); bound to "
			    "vfio-pci when it appears\n");
	assert_int_equal(vfwd_vfio_bind_device(tree_root, "0000:0f:00.1", NULL, err,
					       sizeof(err)), -ENODEV);
	snprintf(want, sizeof(want), "VIRTIOFWD_BIND_VFIO_PCI: 0000:0f:00.1: no "
		 "such PCI device (%s/bus/pci/devices/0000:0f:00.1 is missing)",
		 tree_root);
	assert_string_equal(err, want);

	assert_int_equal(bind_list(BAD_OVERRIDE, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), BAD_OVERRIDE ": writing 'vfio-pci' to "
		 "%s/bus/pci/devices/" BAD_OVERRIDE "/driver_override: Is a "
		 "directory", tree_root);
	assert_string_equal(err, want);
	assert_string_equal(driver_of(BAD_OVERRIDE), "ixgbevf");

	assert_int_equal(bind_list(STUCK, err, sizeof(err)), -EISDIR);
	snprintf(want, sizeof(want), STUCK ": unbinding from stuckdrv (writing "
		 STUCK " to %s/bus/pci/devices/" STUCK "/driver/unbind): Is a "
		 "directory", tree_root);
	assert_string_equal(err, want);

	assert_int_equal(bind_list(NO_IOMMU, err, sizeof(err)), -EIO);
	snprintf(want, sizeof(want), NO_IOMMU ": not bound to vfio-pci after "
		 "writing to its bind file (%s/bus/pci/devices/" NO_IOMMU
		 "/driver is missing); see the kernel log", tree_root);
	assert_string_equal(err, want);

	/* Devices before a failure stay bound. */
	notes[0] = '\0';
	assert_int_equal(bind_list(UNBOUND "," BAD_OVERRIDE, err, sizeof(err)),
			 -EISDIR);
	assert_string_equal(driver_of(UNBOUND), "vfio-pci");
	assert_string_equal(notes, UNBOUND ": bound to vfio-pci\n");
}

/* vfio-pci not loaded: said before anything is touched. */
static void
test_driver_missing(void **state)
{
	char err[VFWD_ERR_MAX], want[PATH_MAX * 2], path[PATH_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/vfio-pci", tree_root);
	assert_int_equal(tree_remove(path), 0);
	assert_int_equal(bind_list("ens3:1,05:02.2", err, sizeof(err)), -ENOENT);
	snprintf(want, sizeof(want), "VIRTIOFWD_BIND_VFIO_PCI: cannot bind "
		 VF10 " and the others to vfio-pci: the vfio-pci driver is not "
		 "loaded (%s/bus/pci/drivers/vfio-pci is missing); load it with "
		 "'modprobe vfio-pci' (at boot: /etc/modules-load.d/)", tree_root);
	assert_string_equal(err, want);
	assert_string_equal(driver_of(VF10), "ixgbevf");
	assert_int_equal(bind_list(UNBOUND, err, sizeof(err)), -ENOENT);
	assert_contains(err, "cannot bind " UNBOUND " to vfio-pci: the vfio-pci "
			"driver is not loaded");
}

/* Nothing to bind: nothing is read. */
static void
test_empty(void **state)
{
	char err[VFWD_ERR_MAX] = "";

	(void)state;
	assert_int_equal(vfwd_vfio_bind("/nonexistent", NULL, 0, note, err,
					sizeof(err)), 0);
	assert_string_equal(err, "");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pci_address, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unbound_and_skipped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_netdev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bound_netdev, setup, teardown),
		cmocka_unit_test_setup_teardown(test_new_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolution_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_step_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_driver_missing, setup,
						teardown),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
