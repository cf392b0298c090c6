/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/ifmap.c: every rule of ifmap.h, checked against a fake
 * sysfs tree built in a temporary directory (the same shape as the kernel's:
 * class/net/<if>/device links into devices/, bus/pci/devices/<addr> links
 * to the same place, physfn and virtfnN links between PF and VFs).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "sysfs_tree.h"
#include "ifmap.h"

/* config.c wants this from its user; nothing here should warn. */
void vfwd_config_warn(const char *fmt, ...)
{
	(void)fmt;
}

#define PF "0000:05:00.0"
#define VF3 "0000:05:00.4"
#define VF4 "0000:05:00.5"
#define NIC "0000:06:00.0"

/* ---- building the tree ---- */

/* A PCI function under devices/pci0000:00/, with its bus/pci/devices link. */
static void
pci_function(const char *addr)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s", addr);
	tree_mkdirs(rel);
	snprintf(rel, sizeof(rel), "devices/pci0000:00/%s/subsystem", addr);
	tree_link("../../../bus/pci", rel);
	snprintf(rel, sizeof(rel), "bus/pci/devices/%s", addr);
	snprintf(target, sizeof(target), "../../../devices/pci0000:00/%s", addr);
	tree_link(target, rel);
}

/* class/net/<ifname>, with its device link when 'devrel' is given (a path
 * under devices/) and its phys_port_name when 'port_name' is. */
static void
netdev(const char *ifname, const char *devrel, const char *port_name)
{
	char rel[PATH_MAX], target[PATH_MAX];

	snprintf(rel, sizeof(rel), "class/net/%s", ifname);
	tree_mkdirs(rel);
	if (devrel != NULL) {
		snprintf(rel, sizeof(rel), "class/net/%s/device", ifname);
		snprintf(target, sizeof(target), "../../../devices/%s", devrel);
		tree_link(target, rel);
	}
	if (port_name != NULL) {
		snprintf(rel, sizeof(rel), "class/net/%s/phys_port_name", ifname);
		snprintf(target, sizeof(target), "%s\n", port_name);
		tree_write(rel, target);
	}
}

static int
setup(void **state)
{
	(void)state;
	if (tree_create("ifmap") != 0)
		return -1;
	tree_mkdirs("bus/pci/devices");
	tree_mkdirs("bus/usb/devices");
	tree_mkdirs("class/net");

	/* A PF with two VFs; only VF 3 (0000:05:00.4) and VF 4 are there. */
	pci_function(PF);
	pci_function(VF3);
	pci_function(VF4);
	tree_link("../" VF3, "devices/pci0000:00/" PF "/virtfn3");
	tree_link("../" VF4, "devices/pci0000:00/" PF "/virtfn4");
	tree_link("../" PF, "devices/pci0000:00/" VF3 "/physfn");
	tree_link("../" PF, "devices/pci0000:00/" VF4 "/physfn");
	/* A plain NIC without SR-IOV. */
	pci_function(NIC);

	/* A USB network adapter. */
	tree_mkdirs("devices/usb1/1-1");
	tree_link("../../../bus/usb", "devices/usb1/1-1/subsystem");

	netdev("enp5s0f0", "pci0000:00/" PF, "p0");         /* the PF (uplink) */
	netdev("enp5s0v3", "pci0000:00/" VF3, NULL);        /* VF 3's netdev */
	netdev("enp5s0v4", "pci0000:00/" VF4, "");          /* VF, empty port name */
	netdev("eth_rep3", "pci0000:00/" PF, "pf0vf3");     /* representors */
	netdev("eth_rep4", "pci0000:00/" PF, "vf4");
	netdev("eth_rep7", "pci0000:00/" PF, "pf0vf7");     /* PF has no virtfn7 */
	netdev("eth_bad", "pci0000:00/" PF, "pf0vf3x");     /* not a VF name */
	netdev("enp6s0", "pci0000:00/" NIC, NULL);          /* plain NIC */
	netdev("veth0", NULL, NULL);                        /* no device */
	netdev("usb0", "usb1/1-1", NULL);                   /* not PCI */
	/* A device link whose name is not a PCI address, on the PCI bus. */
	tree_mkdirs("devices/platform/ff000000.eth");
	tree_link("../../../bus/pci", "devices/platform/ff000000.eth/subsystem");
	netdev("plat0", "platform/ff000000.eth", NULL);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return tree_remove(tree_root);
}

/* ---- the rules ---- */

static int
map(const char *ifname, char *dev, size_t devlen, char *why, size_t whylen)
{
	dev[0] = why[0] = '\0';
	return vfwd_ifmap(tree_root, ifname, dev, devlen, why, whylen);
}

/* Rule 1: a VF netdev maps to its own PCI address. */
static void
test_vf_netdev(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("enp5s0v3", dev, sizeof(dev), why, sizeof(why)), 0);
	assert_string_equal(dev, VF3);
	/* An empty phys_port_name is no representor name. */
	assert_int_equal(map("enp5s0v4", dev, sizeof(dev), why, sizeof(why)), 0);
	assert_string_equal(dev, VF4);
}

/* Rule 2: a representor maps to the VF behind the PF's virtfnN. */
static void
test_representor(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("eth_rep3", dev, sizeof(dev), why, sizeof(why)), 0);
	assert_string_equal(dev, VF3);
	assert_int_equal(map("eth_rep4", dev, sizeof(dev), why, sizeof(why)), 0);
	assert_string_equal(dev, VF4);
}

static void
test_representor_without_vf(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("eth_rep7", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
	assert_contains(why, "eth_rep7");
	assert_contains(why, "virtfn7");
	assert_contains(why, PF);
	assert_string_equal(dev, "");
}

/* Rule 3: a PF or a plain NIC is refused, whatever its port name. */
static void
test_pf_refused(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("enp5s0f0", dev, sizeof(dev), why, sizeof(why)), -EINVAL);
	assert_contains(why, "enp5s0f0");
	assert_contains(why, PF);
	assert_contains(why, "not a VF");
	assert_string_equal(dev, "");

	assert_int_equal(map("enp6s0", dev, sizeof(dev), why, sizeof(why)), -EINVAL);
	assert_contains(why, NIC);

	/* "pf0vf3x" is not a representor name: the PF behind it is refused. */
	assert_int_equal(map("eth_bad", dev, sizeof(dev), why, sizeof(why)), -EINVAL);
	assert_contains(why, "not a VF");
}

/* Rule 4: nothing behind the interface (veth, tap, bridge). */
static void
test_no_device(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("veth0", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
	assert_contains(why, "veth0");
	assert_contains(why, "no PCI device");
	assert_contains(why, "virtio_forwarder_device");
	assert_string_equal(dev, "");
}

static void
test_not_pci(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("usb0", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
	assert_contains(why, "usb0");
	assert_contains(why, "1-1");
	assert_contains(why, "not a PCI device");
	/* On the PCI bus, but not named like a PCI function. */
	assert_int_equal(map("plat0", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
	assert_contains(why, "not a PCI device");
	assert_string_equal(dev, "");
}

static void
test_missing_interface(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];

	(void)state;
	assert_int_equal(map("eth9", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
	assert_contains(why, "eth9");
	assert_contains(why, "no such interface");
	assert_string_equal(dev, "");
}

static void
test_invalid_names(void **state)
{
	static const char *bad[] = {
		"", "a/b", "abcdefghijklmnop", "..", ".", "a b", "a:b", "tab\tx",
		"../../etc", "e\x7f",
	};
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(vfwd_ifname_valid(bad[i]));
		assert_int_equal(map(bad[i], dev, sizeof(dev), why, sizeof(why)), -EINVAL);
		assert_contains(why, "not a valid interface name");
		assert_string_equal(dev, "");
	}
	/* 15 characters is the limit; '.' and '-' are fine inside a name. */
	assert_true(vfwd_ifname_valid("abcdefghijklmno"));
	assert_true(vfwd_ifname_valid("br-int.100"));
	assert_true(vfwd_ifname_valid("a"));
	/* A valid name that escapes nowhere: ".." is refused above, "..." is
	 * a name like any other, and simply absent here. */
	assert_int_equal(map("...", dev, sizeof(dev), why, sizeof(why)), -ENODEV);
}

/* The whole tree is read under the root given, never under /sys. */
static void
test_other_root(void **state)
{
	char dev[VFWD_DEVSPEC_MAX], why[VFWD_ERR_MAX], other[PATH_MAX];

	(void)state;
	snprintf(other, sizeof(other), "%s/bus", tree_root);
	assert_int_equal(vfwd_ifmap(other, "enp5s0v3", dev, sizeof(dev), why,
				    sizeof(why)), -ENODEV);
	assert_contains(why, "no such interface");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vf_netdev),
		cmocka_unit_test(test_representor),
		cmocka_unit_test(test_representor_without_vf),
		cmocka_unit_test(test_pf_refused),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_not_pci),
		cmocka_unit_test(test_missing_interface),
		cmocka_unit_test(test_invalid_names),
		cmocka_unit_test(test_other_root),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
