/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding the devices of VIRTIOFWD_BIND_VFIO_PCI to vfio-pci (see
 * vfio_bind.h).  The sysfs steps, for a device ADDR not on vfio-pci yet:
 *
 *   1. write "vfio-pci" to  devices/ADDR/driver_override
 *   2. write ADDR to        devices/ADDR/driver/unbind     (if it has one)
 *   3. write ADDR to        drivers/vfio-pci/bind
 *   4. check that           devices/ADDR/driver  is vfio-pci
 *
 * all under <sysfs>/bus/pci/.  Without driver_override (kernels before
 * 3.16), step 1 becomes "write 'VENDOR DEVICE' to drivers/vfio-pci/new_id"
 * after step 2, which makes vfio-pci take every unbound device of that ID,
 * as 1.x did there.
 */
#include "vfio_bind.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "ifmap.h"

#define VFIO_DRIVER "vfio-pci"
/*
 * How long to wait for the device to show the new driver after the bind.
 * The kernel binds before the write returns; the wait only matters for
 * trees that are not the kernel's (the tests'), which react a little later.
 */
#define BIND_WAIT_MS 1000

/*
 * The netdevs of the devices bound here, by the name they had: binding a
 * VF to vfio-pci takes its netdev away, and the OVSDB monitor still has
 * to map an interface of that name to the VF.  Control thread only.
 */
#define MAX_NETDEVS 256

static struct {
	char ifname[16];        /* IFNAMSIZ */
	char addr[16];
} netdevs[MAX_NETDEVS];
static unsigned int n_netdevs;

/* Notes that device 'addr' had netdev 'ifname': what was noted of that
 * device or of that name before is forgotten (names move between
 * devices as VFs come and go; the latest is right). */
static void
note_netdev(const char *ifname, const char *addr)
{
	unsigned int i = 0;

	if (strlen(ifname) >= sizeof(netdevs[0].ifname) ||
	    strlen(addr) >= sizeof(netdevs[0].addr))
		return;
	while (i < n_netdevs)
		if (!strcmp(netdevs[i].addr, addr) || !strcmp(netdevs[i].ifname, ifname))
			netdevs[i] = netdevs[--n_netdevs];
		else
			i++;
	if (n_netdevs == MAX_NETDEVS)
		return;     /* beyond any host's VF count: not noted */
	snprintf(netdevs[n_netdevs].ifname, sizeof(netdevs[0].ifname), "%s", ifname);
	snprintf(netdevs[n_netdevs].addr, sizeof(netdevs[0].addr), "%s", addr);
	n_netdevs++;
}

/* The first netdev of PCI device directory 'dev' into 'out' ("": none). */
static void
first_netdev(const char *dev, char *out, size_t len)
{
	char path[PATH_MAX + 8];
	struct dirent *e;
	DIR *d;

	out[0] = '\0';
	snprintf(path, sizeof(path), "%s/net", dev);
	d = opendir(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && strlen(e->d_name) < len) {
			snprintf(out, len, "%s", e->d_name);
			break;
		}
	closedir(d);
}

bool
vfwd_vfio_bound_netdev(const char *ifname, char *addr, size_t len)
{
	unsigned int i;

	for (i = 0; i < n_netdevs; i++)
		if (!strcmp(netdevs[i].ifname, ifname)) {
			snprintf(addr, len, "%s", netdevs[i].addr);
			return true;
		}
	return false;
}

/* A PCI address: the size of vfwd_vfio_bind's name. */
typedef char pci_addr[sizeof(((struct vfwd_vfio_bind *)0)->name)];

/* The devices the entries resolve to, in order, each once. */
struct devlist {
	pci_addr *addr;
	size_t n, cap;
};

static int
devlist_add(struct devlist *l, const char *addr)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->addr[i], addr))
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		pci_addr *a = realloc(l->addr, cap * sizeof(*a));

		if (a == NULL)
			return -ENOMEM;
		l->addr = a;
		l->cap = cap;
	}
	snprintf(l->addr[l->n++], sizeof(pci_addr), "%s", addr);
	return 0;
}

/* Orders PCI addresses as numbers (domain, bus, slot, function). */
static int
cmp_pci(const void *a, const void *b)
{
	uint32_t x[4] = { 0 }, y[4] = { 0 };
	int i;

	vfwd_parse_pci(a, &x[0], &x[1], &x[2], &x[3]);
	vfwd_parse_pci(b, &y[0], &y[1], &y[2], &y[3]);
	for (i = 0; i < 4; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

/* Writes 'text' to the sysfs attribute 'path': 0 or -errno. */
static int
write_attr(const char *path, const char *text)
{
	size_t n = strlen(text);
	ssize_t w;
	int fd, rc = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	w = write(fd, text, n);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != n)
		rc = -EIO;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	return rc;
}

/* The driver of PCI device 'addr' into 'drv' ("" when none). */
static void
current_driver(const char *sysfs, const char *addr, char *drv, size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver", sysfs, addr);
	if (vfwd_sysfs_link_name(path, drv, len) != 0)
		drv[0] = '\0';
}

/*
 * Adds the VFs of the PF behind interface 'ifname' to 'l': all of them,
 * or the first 'count' in PCI address order.
 */
static int
resolve_netdev(const char *sysfs, const struct vfwd_vfio_bind *b,
	       struct devlist *l, char *err, size_t errlen)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct devlist vfs = { 0 };
	struct dirent *de;
	size_t i, want;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/class/net/%s", sysfs, b->name);
	if (access(path, F_OK) != 0) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s: no such network interface "
		    "(%s is missing); name a PF's interface, or the device by "
		    "its PCI address", b->name, path);
		return -ENODEV;
	}
	snprintf(path, sizeof(path), "%s/class/net/%s/device", sysfs, b->name);
	d = opendir(path);
	if (d == NULL) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s: no PCI device behind the "
		    "interface (%s: %s), so no VFs", b->name, path,
		    strerror(errno));
		return -ENODEV;
	}
	while ((de = readdir(d)) != NULL) {
		char vf[sizeof(pci_addr)];
		uint32_t x[4];

		if (strncmp(de->d_name, "virtfn", 6) != 0)
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, de->d_name);
		if (vfwd_sysfs_link_name(link, vf, sizeof(vf)) != 0 ||
		    vfwd_parse_pci(vf, &x[0], &x[1], &x[2], &x[3]) != 0)
			continue;
		rc = devlist_add(&vfs, vf);
		if (rc != 0)
			break;
	}
	closedir(d);
	if (rc == 0 && vfs.n == 0) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s: the interface has no VFs "
		    "(no virtfn links in %s); create them first, e.g. echo 4 > "
		    "%s/sriov_numvfs", b->name, path, path);
		rc = -ENODEV;
	} else if (rc == 0 && b->count > vfs.n) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s:%u: the interface has only %zu "
		    "VF%s (virtfn links in %s)", b->name, b->count, vfs.n,
		    vfs.n == 1 ? "" : "s", path);
		rc = -ERANGE;
	} else if (rc != 0) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s: out of memory", b->name);
	}
	if (rc == 0) {
		qsort(vfs.addr, vfs.n, sizeof(pci_addr), cmp_pci);
		want = b->count ? b->count : vfs.n;
		for (i = 0; i < want && rc == 0; i++)
			rc = devlist_add(l, vfs.addr[i]);
		if (rc != 0)
			ERR("VIRTIOFWD_BIND_VFIO_PCI: out of memory");
	}
	free(vfs.addr);
	return rc;
}

/* Sleeps 'ms' milliseconds. */
static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Makes vfio-pci take device 'addr' with the new_id of a kernel without
 * driver_override: its vendor and device ID, read from sysfs.
 */
static int
add_new_id(const char *sysfs, const char *addr, char *err, size_t errlen)
{
	char path[PATH_MAX], vendor[16], device[16], id[40];
	int rc;

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/vendor", sysfs, addr);
	rc = vfwd_sysfs_read_line(path, vendor, sizeof(vendor));
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/device",
			 sysfs, addr);
		rc = vfwd_sysfs_read_line(path, device, sizeof(device));
	}
	if (rc != 0) {
		ERR("%s: reading %s: %s", addr, path, strerror(-rc));
		return rc;
	}
	/* "0x8086" and "0x154c" become "8086 154c". */
	snprintf(id, sizeof(id), "%s %s",
		 strncmp(vendor, "0x", 2) ? vendor : vendor + 2,
		 strncmp(device, "0x", 2) ? device : device + 2);
	snprintf(path, sizeof(path), "%s/bus/pci/drivers/" VFIO_DRIVER "/new_id",
		 sysfs);
	rc = write_attr(path, id);
	/* EEXIST: the ID was added before, for another device. */
	if (rc != 0 && rc != -EEXIST) {
		ERR("%s: writing '%s' to %s: %s", addr, id, path, strerror(-rc));
		return rc;
	}
	return 0;
}

/* Binds one PCI device to vfio-pci; see the steps at the top. */
int
vfwd_vfio_bind_device(const char *sysfs, const char *addr, vfwd_vfio_note_fn note,
		      char *err, size_t errlen)
{
	char dev[PATH_MAX], path[PATH_MAX + 32], drv[64], line[256], ifname[16];
	bool override;
	int rc, waited;

	snprintf(dev, sizeof(dev), "%s/bus/pci/devices/%s", sysfs, addr);
	if (access(dev, F_OK) != 0) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: %s: no such PCI device (%s is "
		    "missing)", addr, dev);
		return -ENODEV;
	}
	current_driver(sysfs, addr, drv, sizeof(drv));
	if (!strcmp(drv, VFIO_DRIVER)) {
		snprintf(line, sizeof(line), "%s: already bound to " VFIO_DRIVER,
			 addr);
		if (note)
			note(line);
		return 0;
	}

	/* The netdev goes with the kernel driver: remember its name. */
	first_netdev(dev, ifname, sizeof(ifname));
	snprintf(path, sizeof(path), "%s/driver_override", dev);
	override = access(path, F_OK) == 0;
	if (override) {
		rc = write_attr(path, VFIO_DRIVER);
		if (rc != 0) {
			ERR("%s: writing '" VFIO_DRIVER "' to %s: %s", addr, path,
			    strerror(-rc));
			return rc;
		}
	}
	if (drv[0] != '\0') {
		snprintf(path, sizeof(path), "%s/driver/unbind", dev);
		rc = write_attr(path, addr);
		if (rc != 0) {
			ERR("%s: unbinding from %s (writing %s to %s): %s", addr,
			    drv, addr, path, strerror(-rc));
			return rc;
		}
	}
	if (!override) {
		rc = add_new_id(sysfs, addr, err, errlen);
		if (rc != 0)
			return rc;
	}
	/* new_id may have bound it already; bind says EBUSY then. */
	current_driver(sysfs, addr, line, sizeof(line));
	if (strcmp(line, VFIO_DRIVER) != 0) {
		snprintf(path, sizeof(path), "%s/bus/pci/drivers/" VFIO_DRIVER
			 "/bind", sysfs);
		rc = write_attr(path, addr);
		if (rc != 0) {
			ERR("%s: binding to " VFIO_DRIVER " (writing %s to %s): %s "
			    "(is the IOMMU on? see the kernel log)", addr, addr,
			    path, strerror(-rc));
			return rc;
		}
	}
	for (waited = 0; ; waited += 10) {
		current_driver(sysfs, addr, line, sizeof(line));
		if (!strcmp(line, VFIO_DRIVER))
			break;
		if (waited >= BIND_WAIT_MS) {
			ERR("%s: not bound to " VFIO_DRIVER " after writing to its "
			    "bind file (%s/driver is %s); see the kernel log",
			    addr, dev, line[0] ? line : "missing");
			return -EIO;
		}
		sleep_ms(10);
	}
	if (ifname[0] != '\0')
		note_netdev(ifname, addr);
	snprintf(line, sizeof(line), "%s: bound to " VFIO_DRIVER "%s%s%s%s%s", addr,
		 drv[0] ? " (was on " : "", drv, ifname[0] ? ", netdev " : "", ifname,
		 drv[0] ? ")" : "");
	if (note)
		note(line);
	return 0;
}

int
vfwd_vfio_bind(const char *sysfs, const struct vfwd_vfio_bind *binds,
	       unsigned int n, vfwd_vfio_note_fn note, char *err, size_t errlen)
{
	struct devlist l = { 0 };
	char path[PATH_MAX];
	unsigned int i;
	size_t j;
	int rc = 0;

	if (n == 0)
		return 0;
	/* Every entry first: a typo must not leave half the devices moved. */
	for (i = 0; i < n && rc == 0; i++) {
		if (binds[i].is_pci) {
			rc = devlist_add(&l, binds[i].name);
			if (rc != 0)
				ERR("VIRTIOFWD_BIND_VFIO_PCI: out of memory");
		} else {
			rc = resolve_netdev(sysfs, &binds[i], &l, err, errlen);
		}
	}
	if (rc != 0)
		goto out;

	snprintf(path, sizeof(path), "%s/bus/pci/drivers/" VFIO_DRIVER, sysfs);
	if (access(path, F_OK) != 0) {
		ERR("VIRTIOFWD_BIND_VFIO_PCI: cannot bind %s%s to " VFIO_DRIVER
		    ": the vfio-pci driver is not loaded (%s is missing); load "
		    "it with 'modprobe vfio-pci' (at boot: /etc/modules-load.d/)",
		    l.addr[0], l.n > 1 ? " and the others" : "", path);
		rc = -ENOENT;
		goto out;
	}
	for (j = 0; j < l.n && rc == 0; j++) {
		char line[128];

		/* A VF given by address may not exist yet (its PF's
		 * sriov_numvfs is set later): devwatch.c binds it when it
		 * appears.  Those found through an interface exist. */
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, l.addr[j]);
		if (access(path, F_OK) != 0) {
			snprintf(line, sizeof(line), "%s: not present (yet); bound to "
				 VFIO_DRIVER " when it appears", l.addr[j]);
			if (note)
				note(line);
			continue;
		}
		rc = vfwd_vfio_bind_device(sysfs, l.addr[j], note, err, errlen);
	}
out:
	free(l.addr);
	return rc;
}

bool
vfwd_vfio_bind_lists(const struct vfwd_vfio_bind *binds, unsigned int n,
		     const char *addr)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (binds[i].is_pci && strcmp(binds[i].name, addr) == 0)
			return true;
	return false;
}
