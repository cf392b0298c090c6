/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A VF's PF-side settings over rtnetlink (see vfport.h).  The messages are
 * those of `ip link set PF vf N ...` and `ip link show PF`:
 *
 *   RTM_SETLINK  ifinfomsg{PF} IFLA_VFINFO_LIST{ IFLA_VF_INFO{ IFLA_VF_x } }
 *   RTM_GETLINK  ifinfomsg{PF} IFLA_EXT_MASK = RTEXT_FILTER_VF|SKIP_STATS
 *
 * each with NLM_F_ACK, so that every answer ends with an NLMSG_ERROR (the
 * acknowledgement, or the refusal with the kernel's extended ack text) and
 * the exchange knows when it is over.  The attributes are packed and
 * walked with libmnl; every length in an answer is checked against what
 * holds it before anything is read.
 */
#include "clock.h"
#include "vfport.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "errmsg.h"
#include "ifmap.h"
#include "parse.h"

/* How long one exchange may take, all its answers included.  The kernel
 * answers at once; this bounds a PF driver stuck in its VF callback, which
 * runs under the RTNL lock and so would hold every rtnetlink request. */
#define TALK_TIMEOUT_MS 2000
/*
 * The largest answer to RTM_GETLINK read.  The PF's message holds every
 * VF's IFLA_VF_INFO (about 200 bytes each without statistics), in one
 * nested attribute whose 16-bit length caps it below 64 KiB; the rest of
 * the link's attributes add a few KiB.
 */
#define GETLINK_REPLY_KIB 128
#define GETLINK_REPLY_MAX (GETLINK_REPLY_KIB * 1024)
#define STR_(x) #x
#define STR(x) STR_(x)
/* The largest answer to RTM_SETLINK: an NLMSG_ERROR with the request's
 * header (NETLINK_CAP_ACK) or the whole small request, and the extended
 * ack's attributes. */
#define SETLINK_REPLY_MAX 8192
/* Room for any request sent here. */
#define REQUEST_MAX 512
/* The longest VF index a virtfnN link name carries (SR-IOV: 16 bits). */
#define MAX_VF_INDEX 65535u

static int kernel_talk(void *ctx, const void *req, size_t len, void *reply,
		       size_t reply_max, size_t *reply_len);

/* The exchange in use: the kernel's, or a test's (vfwd_vf_set_talk). */
static vfwd_vf_talk_fn *talk = kernel_talk;
static void *talk_ctx;

void
vfwd_vf_set_talk(vfwd_vf_talk_fn *fn, void *ctx)
{
	talk = fn != NULL ? fn : kernel_talk;
	talk_ctx = fn != NULL ? ctx : NULL;
}

/* ---- sysfs: which VF of which PF ---- */

/* Is 's' a PCI address with its domain, DDDD:BB:SS.F? */
static bool
pci_with_domain(const char *s)
{
	uint32_t d, b, sl, f;
	const char *colon = strchr(s, ':');

	return strlen(s) < sizeof(((struct vfwd_vf_id *)0)->vf_pci) &&
	       vfwd_parse_pci(s, &d, &b, &sl, &f) == 0 &&
	       colon != NULL && strchr(colon + 1, ':') != NULL;
}

/* Parses a virtfnN link name into N; false when it is not one. */
static bool
virtfn_index(const char *name, unsigned int *index)
{
	unsigned long n = 0;
	const char *p;

	if (strncmp(name, "virtfn", 6) != 0 || name[6] == '\0')
		return false;
	for (p = name + 6; *p; p++) {
		if (*p < '0' || *p > '9' || p - name > 6 + 5)
			return false;
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n > MAX_VF_INDEX)
		return false;
	*index = (unsigned int)n;
	return true;
}

/* Is the netdev 'ifname' (under sysfs) a switchdev representor, by its
 * phys_port_name ("pf0vf3", "vf3", "pf0sf1")?  Those sit under their
 * PF's net/ too, but VF settings go to the PF's own netdev. */
static bool
is_representor(const char *sysfs, const char *ifname)
{
	char path[PATH_MAX], name[64];

	snprintf(path, sizeof(path), "%s/class/net/%s/phys_port_name", sysfs,
		 ifname);
	if (vfwd_sysfs_read_line(path, name, sizeof(name)) != 0)
		return false;
	return strncmp(name, "vf", 2) == 0 ||
	       (strncmp(name, "pf", 2) == 0 &&
		(strstr(name, "vf") != NULL || strstr(name, "sf") != NULL));
}

/*
 * The PF's netdev into 'ifname': of the entries of <pf>/net/, the first
 * by name that is not a representor.  0, or -ENODEV when there is none
 * (the PF is bound to vfio-pci or another userspace driver).
 */
static int
pf_netdev(const char *sysfs, const char *pf, char *ifname, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	ifname[0] = '\0';
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/net", sysfs, pf);
	d = opendir(path);
	if (d == NULL)
		return -ENODEV;
	while ((e = readdir(d)) != NULL) {
		if (!vfwd_ifname_valid(e->d_name) || strlen(e->d_name) >= len ||
		    is_representor(sysfs, e->d_name))
			continue;
		if (ifname[0] == '\0' || strcmp(e->d_name, ifname) < 0)
			snprintf(ifname, len, "%s", e->d_name);
	}
	closedir(d);
	return ifname[0] != '\0' ? 0 : -ENODEV;
}

int
vfwd_vf_find(const char *sysfs, const char *pci, struct vfwd_vf_id *id,
	     char *err, size_t errlen)
{
	char path[PATH_MAX], link[PATH_MAX], name[64], driver[64];
	bool found = false;
	struct dirent *e;
	unsigned long long ifindex;
	char *end;
	DIR *d;
	int rc;

	memset(id, 0, sizeof(*id));
	if (!pci_with_domain(pci)) {
		ERR("VF '%s': not a PCI address of the form DDDD:BB:SS.F", pci);
		return -EINVAL;
	}
	snprintf(id->vf_pci, sizeof(id->vf_pci), "%s", pci);

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, pci);
	if (access(path, F_OK) != 0) {
		ERR("VF %s: no such PCI device (%s is missing)", pci, path);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/physfn", sysfs, pci);
	rc = vfwd_sysfs_link_name(path, id->pf_pci, sizeof(id->pf_pci));
	if (rc != 0 || !pci_with_domain(id->pf_pci)) {
		ERR("VF %s: not a VF of a PF in this kernel (no physfn link: a "
		    "PF, a plain NIC, or a VF passed through to this machine), "
		    "so its MAC, VLAN, spoof check, trust and rate cannot be set "
		    "through a PF", pci);
		return -ENOENT;
	}

	snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", sysfs, id->pf_pci);
	d = opendir(path);
	if (d == NULL) {
		rc = -errno;
		ERR("VF %s: its PF %s cannot be read (%s: %s)", pci, id->pf_pci,
		    path, strerror(-rc));
		return rc;
	}
	while (!found && (e = readdir(d)) != NULL) {
		unsigned int index;

		if (!virtfn_index(e->d_name, &index))
			continue;
		snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
		if (vfwd_sysfs_link_name(link, name, sizeof(name)) == 0 &&
		    !strcmp(name, pci)) {
			id->vf_index = index;
			found = true;
		}
	}
	closedir(d);
	if (!found) {
		ERR("VF %s: its PF %s has no virtfnN link to it (the VF is being "
		    "removed?)", pci, id->pf_pci);
		return -ENOENT;
	}

	if (pf_netdev(sysfs, id->pf_pci, id->pf_ifname,
		      sizeof(id->pf_ifname)) != 0) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s/driver",
			 sysfs, id->pf_pci);
		if (vfwd_sysfs_link_name(path, driver, sizeof(driver)) != 0)
			snprintf(driver, sizeof(driver), "none");
		ERR("VF %s (VF %u of PF %s): the PF has no network interface "
		    "(driver: %s), so the VF's settings cannot be set through it; "
		    "the PF must stay with its kernel driver", pci, id->vf_index,
		    id->pf_pci, driver);
		return -ENODEV;
	}

	snprintf(path, sizeof(path), "%s/class/net/%s/ifindex", sysfs,
		 id->pf_ifname);
	rc = vfwd_sysfs_read_line(path, name, sizeof(name));
	if (rc != 0) {
		ERR("VF %s (VF %u of PF %s, %s): the PF's interface has no "
		    "ifindex (%s: %s)", pci, id->vf_index, id->pf_pci,
		    id->pf_ifname, path, strerror(-rc));
		return -ENODEV;
	}
	errno = 0;
	ifindex = strtoull(name, &end, 10);
	if (errno != 0 || end == name || *end != '\0' || ifindex == 0 ||
	    ifindex > INT_MAX) {
		ERR("VF %s (VF %u of PF %s, %s): %s: '%s' is not an ifindex",
		    pci, id->vf_index, id->pf_pci, id->pf_ifname, path, name);
		return -ENODEV;
	}
	id->pf_ifindex = (int)ifindex;
	return 0;
}

/* ---- the exchange with the kernel ---- */

/*
 * Is there a whole message at 'h', in the 'rem' bytes left?  As
 * mnl_nlmsg_ok(), which (libmnl 1.0.4) compares the length as an int and
 * so takes one of 2 GiB or more for one that fits.
 */
static bool
msg_ok(const struct nlmsghdr *h, int rem)
{
	return mnl_nlmsg_ok(h, rem) && h->nlmsg_len <= (unsigned int)rem;
}

/*
 * The real exchange: a NETLINK_ROUTE socket of its own (so no answer
 * to anything else can come in between), the request sent to the
 * kernel, and datagrams read until the one that ends the answer,
 * within TALK_TIMEOUT_MS.  Every message must carry the request's
 * sequence number and this socket's port id.
 */
static int
kernel_talk(void *ctx, const void *req, size_t len, void *reply,
	    size_t reply_max, size_t *reply_len)
{
	const struct nlmsghdr *rq = req;
	struct mnl_socket *nl;
	unsigned int portid;
	long long deadline;
	size_t used = 0;
	bool done = false;
	int one = 1, rc = 0;

	(void)ctx;
	*reply_len = 0;
	if (len < sizeof(*rq) || rq->nlmsg_len != len)
		return -EINVAL;
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (nl == NULL)
		return -errno;
	/* The refusal's reason as text, and no copy of the request in the
	 * answer; kernels without them still answer. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	deadline = (long long)vfwd_mono_ms() + TALK_TIMEOUT_MS;
	if (mnl_socket_sendto(nl, req, len) != (ssize_t)len) {
		rc = errno != 0 ? -errno : -EIO;
		goto out;
	}
	while (!done) {
		long long left = deadline - (long long)vfwd_mono_ms();
		struct timeval tv;
		const struct nlmsghdr *h;
		ssize_t n;
		int rem;

		if (left <= 0) {
			rc = -ETIMEDOUT;
			goto out;
		}
		if (used == reply_max) {
			rc = -EMSGSIZE;
			goto out;
		}
		tv.tv_sec = left / 1000;
		tv.tv_usec = (left % 1000) * 1000;
		if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO,
			       &tv, sizeof(tv)) != 0) {
			rc = -errno;
			goto out;
		}
		n = mnl_socket_recvfrom(nl, (char *)reply + used, reply_max - used);
		if (n < 0) {
			/* ENOSPC: the datagram did not fit (MSG_TRUNC). */
			rc = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT :
			     errno == ENOSPC ? -EMSGSIZE : -errno;
			goto out;
		}
		h = (const struct nlmsghdr *)((char *)reply + used);
		rem = (int)n;
		for (; msg_ok(h, rem); h = mnl_nlmsg_next(h, &rem)) {
			if (!mnl_nlmsg_portid_ok(h, portid) ||
			    !mnl_nlmsg_seq_ok(h, rq->nlmsg_seq)) {
				rc = -EPROTO;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR ||
			    h->nlmsg_type == NLMSG_DONE ||
			    (!(rq->nlmsg_flags & NLM_F_ACK) &&
			     !(h->nlmsg_flags & NLM_F_MULTI)))
				done = true;
		}
		if (rem > 0) {
			rc = -EPROTO;   /* a message cut inside the datagram */
			goto out;
		}
		used += (size_t)n;
	}
	*reply_len = used;
out:
	mnl_socket_close(nl);
	return rc;
}

/* A sequence number for a request: distinct for every call, so that an
 * answer can only be taken for the request it answers. */
static uint32_t
next_seq(void)
{
	static atomic_uint counter;

	return (uint32_t)time(NULL) + atomic_fetch_add(&counter, 1);
}

/* ---- walking an answer ---- */

/* What the kernel answered: its verdict (0 or -errno) and the text of
 * its extended ack, "" when it gave none. */
struct verdict {
	int error;
	char text[256];
};

/* Called for every message of the answer before its end. */
typedef int answer_msg_fn(const struct nlmsghdr *h, void *arg);

static int
ext_ack_attr(const struct nlattr *a, void *data)
{
	struct verdict *v = data;

	if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
		snprintf(v->text, sizeof(v->text), "%s", mnl_attr_get_str(a));
	return MNL_CB_OK;
}

/* Reads an NLMSG_ERROR into 'v': -EBADMSG when it is malformed. */
static int
read_error(const struct nlmsghdr *h, struct verdict *v)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
	size_t len = mnl_nlmsg_get_payload_len(h), off;

	if (len < sizeof(*e) || e->error > 0 || e->error < -4095)
		return -EBADMSG;
	v->error = e->error;
	v->text[0] = '\0';
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return 0;
	/* The attributes follow the request's header, or the whole request
	 * when the kernel did not cap the copy. */
	off = sizeof(*e);
	if (!(h->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < sizeof(e->msg))
			return -EBADMSG;
		off += MNL_ALIGN(e->msg.nlmsg_len) - sizeof(e->msg);
	}
	if (off < len)
		(void)mnl_attr_parse_payload((const char *)e + off, len - off,
					     ext_ack_attr, v);
	return 0;
}

/*
 * Walks the answer 'buf' of 'len' bytes to the request with sequence
 * number 'seq': 'fn' sees each message before the one that ends it (an
 * NLMSG_ERROR, whose verdict goes to 'v', or NLMSG_DONE).  0 when the
 * answer is whole; -EPROTO or -EBADMSG, with 'what' saying what was
 * wrong, when it is not; or what 'fn' returned.
 */
static int
walk_answer(const void *buf, size_t len, uint32_t seq, answer_msg_fn *fn,
	    void *arg, struct verdict *v, const char **what)
{
	const struct nlmsghdr *h = buf;
	int rem = len > INT_MAX ? INT_MAX : (int)len;
	int rc;

	v->error = 0;
	v->text[0] = '\0';
	for (; msg_ok(h, rem); h = mnl_nlmsg_next(h, &rem)) {
		if (h->nlmsg_seq != seq) {
			*what = "an answer to another request";
			return -EPROTO;
		}
		if (h->nlmsg_type == NLMSG_ERROR) {
			if (read_error(h, v) != 0) {
				*what = "a malformed error message";
				return -EBADMSG;
			}
			return 0;
		}
		if (h->nlmsg_type == NLMSG_DONE)
			return 0;
		if (fn != NULL) {
			rc = fn(h, arg);
			if (rc != 0) {
				*what = "a malformed link message";
				return rc;
			}
		}
	}
	*what = rem > 0 ? "a truncated message" : "no acknowledgement";
	return -EPROTO;
}

/* ---- reading the VF's settings ---- */

/* What the walk of RTM_GETLINK's answer is looking for and found. */
struct vf_search {
	const struct vfwd_vf_id *id;
	struct vfwd_vf_settings *out;
	bool link_seen;         /* the PF's RTM_NEWLINK */
	bool list_seen;         /* its IFLA_VFINFO_LIST */
	unsigned int n_vfs;     /* IFLA_VF_INFO entries in it */
	bool vf_seen;
};

static int
table_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(a);

	if (type <= IFLA_VF_MAX)
		tb[type] = a;
	return MNL_CB_OK;
}

/* The payload of 'a' when it holds at least 'size' bytes, else NULL. */
static const void *
payload_of(const struct nlattr *a, size_t size)
{
	if (a == NULL || mnl_attr_get_payload_len(a) < size)
		return NULL;
	return mnl_attr_get_payload(a);
}

/* Reads one IFLA_VF_INFO into the search's result when it is our VF. */
static int
read_vf_info(const struct nlattr *info, struct vf_search *s)
{
	const struct nlattr *tb[IFLA_VF_MAX + 1] = { 0 };
	struct vfwd_vf_settings *out = s->out;
	const struct ifla_vf_mac *mac;
	const struct ifla_vf_vlan *vlan;
	const struct ifla_vf_spoofchk *spoof;
	const struct ifla_vf_trust *trust;
	const struct ifla_vf_rate *rate;

	if (mnl_attr_parse_nested(info, table_attr, tb) < 0)
		return -EBADMSG;
	/* Every entry has its MAC, the one field that names the VF. */
	mac = payload_of(tb[IFLA_VF_MAC], sizeof(*mac));
	if (mac == NULL)
		return -EBADMSG;
	s->n_vfs++;
	if (mac->vf != s->id->vf_index || s->vf_seen)
		return 0;
	s->vf_seen = true;
	memset(out, 0, sizeof(*out));
	memcpy(out->mac, mac->mac, sizeof(out->mac));
	out->set |= VFWD_VFS_MAC;
	vlan = payload_of(tb[IFLA_VF_VLAN], sizeof(*vlan));
	if (vlan != NULL && vlan->vlan <= 4095 && vlan->qos <= 7) {
		out->vlan = (uint16_t)vlan->vlan;
		out->qos = (uint8_t)vlan->qos;
		out->set |= VFWD_VFS_VLAN;
	}
	/* (u32)-1: the driver does not say. */
	spoof = payload_of(tb[IFLA_VF_SPOOFCHK], sizeof(*spoof));
	if (spoof != NULL && spoof->setting != (__u32)-1) {
		out->spoofchk = spoof->setting != 0;
		out->set |= VFWD_VFS_SPOOFCHK;
	}
	trust = payload_of(tb[IFLA_VF_TRUST], sizeof(*trust));
	if (trust != NULL && trust->setting != (__u32)-1) {
		out->trust = trust->setting != 0;
		out->set |= VFWD_VFS_TRUST;
	}
	rate = payload_of(tb[IFLA_VF_RATE], sizeof(*rate));
	if (rate != NULL) {
		out->min_tx_rate = rate->min_tx_rate;
		out->max_tx_rate = rate->max_tx_rate;
		out->set |= VFWD_VFS_RATE;
	}
	return 0;
}

static int
link_attr(const struct nlattr *a, void *data)
{
	const struct nlattr **list = data;

	if (mnl_attr_get_type(a) == IFLA_VFINFO_LIST)
		*list = a;
	return MNL_CB_OK;
}

/* One message of RTM_GETLINK's answer: the PF's RTM_NEWLINK. */
static int
read_link(const struct nlmsghdr *h, void *arg)
{
	struct vf_search *s = arg;
	const struct ifinfomsg *ifi;
	const struct nlattr *list = NULL, *info;
	int rc;

	if (h->nlmsg_type != RTM_NEWLINK)
		return 0;
	if (mnl_nlmsg_get_payload_len(h) < sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(h);
	if (ifi->ifi_index != s->id->pf_ifindex)
		return 0;
	s->link_seen = true;
	if (mnl_attr_parse(h, sizeof(*ifi), link_attr, &list) < 0)
		return -EBADMSG;
	if (list == NULL)
		return 0;
	s->list_seen = true;
	mnl_attr_for_each_nested(info, list) {
		if (mnl_attr_get_type(info) != IFLA_VF_INFO)
			continue;
		rc = read_vf_info(info, s);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Is the id one that vfwd_vf_find filled? */
/* Starts request 'type' (RTM_GETLINK, RTM_SETLINK) about the link of
 * 'ifindex' in 'buf', acknowledged, with the next sequence number. */
static struct nlmsghdr *
link_request(void *buf, uint16_t type, int ifindex)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = next_seq();
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	return nlh;
}

static int
check_id(const struct vfwd_vf_id *id, char *err, size_t errlen)
{
	if (id->pf_ifindex <= 0 || id->vf_pci[0] == '\0') {
		ERR("VF %s: its PF is not known (vfwd_vf_find first)",
		    id->vf_pci[0] ? id->vf_pci : "?");
		return -EINVAL;
	}
	return 0;
}

/* Writes "VF <pci> (VF <n> of PF <pci>, <ifname>): <message>" to 'err'. */
static void __attribute__((format(printf, 4, 5)))
vf_err(const struct vfwd_vf_id *id, char *err, size_t errlen,
       const char *fmt, ...)
{
	char text[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	ERR("VF %s (VF %u of PF %s, %s): %s", id->vf_pci, id->vf_index,
	    id->pf_pci, id->pf_ifname, text);
}

/* The kernel's refusal as text: "<strerror> (<extended ack>)". */
static void
verdict_text(const struct verdict *v, char *out, size_t len)
{
	if (v->text[0] != '\0')
		snprintf(out, len, "%s (%s)", strerror(-v->error), v->text);
	else
		snprintf(out, len, "%s", strerror(-v->error));
}

int
vfwd_vf_read(const struct vfwd_vf_id *id, struct vfwd_vf_settings *out,
	     char *err, size_t errlen)
{
	_Alignas(struct nlmsghdr) char req[REQUEST_MAX];
	struct vf_search s = { .id = id, .out = out };
	struct nlmsghdr *nlh;
	struct verdict v;
	char text[sizeof(v.text) + 64];
	const char *what = "";
	size_t reply_len = 0;
	char *reply = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;

	nlh = link_request(req, RTM_GETLINK, id->pf_ifindex);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK,
			 RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS);

	reply = malloc(GETLINK_REPLY_MAX);
	if (reply == NULL) {
		rc = -ENOMEM;
		vf_err(id, err, errlen, "reading its settings from the PF: %s",
		       strerror(ENOMEM));
		goto out;
	}
	rc = talk(talk_ctx, req, nlh->nlmsg_len, reply, GETLINK_REPLY_MAX,
		  &reply_len);
	if (rc != 0) {
		vf_err(id, err, errlen, "reading its settings from the PF: %s%s",
		       strerror(-rc), rc == -EMSGSIZE ? " (the PF's answer is "
		       "larger than " STR(GETLINK_REPLY_KIB) " KiB)" : "");
		goto out;
	}
	rc = walk_answer(reply, reply_len, nlh->nlmsg_seq, read_link, &s, &v,
			 &what);
	if (rc != 0) {
		vf_err(id, err, errlen, "reading its settings from the PF: the "
		       "kernel's answer is not understood (%s)", what);
		goto out;
	}
	if (v.error != 0) {
		rc = v.error;
		verdict_text(&v, text, sizeof(text));
		vf_err(id, err, errlen, "reading its settings from the PF: %s",
		       text);
		goto out;
	}
	if (!s.link_seen) {
		rc = -EPROTO;
		vf_err(id, err, errlen, "reading its settings from the PF: the "
		       "kernel's answer has no link message for ifindex %d",
		       id->pf_ifindex);
	} else if (!s.list_seen) {
		rc = -ENOENT;
		vf_err(id, err, errlen, "the PF reports no VFs (its driver "
		       "does not report VF settings)");
	} else if (!s.vf_seen) {
		rc = -ENOENT;
		vf_err(id, err, errlen, "the PF reports %u VF%s, not VF %u",
		       s.n_vfs, s.n_vfs == 1 ? "" : "s", id->vf_index);
	}
out:
	if (rc != 0)
		memset(out, 0, sizeof(*out));
	free(reply);
	return rc;
}

/* ---- setting them ---- */

/* The name of each group of settings, as in `ip link set ... vf N`. */
static const char *
setting_name(uint32_t what)
{
	switch (what) {
	case VFWD_VFS_MAC:
		return "mac";
	case VFWD_VFS_VLAN:
		return "vlan";
	case VFWD_VFS_SPOOFCHK:
		return "spoofchk";
	case VFWD_VFS_TRUST:
		return "trust";
	case VFWD_VFS_RATE:
		return "tx rate";
	default:
		return "?";
	}
}

/* Adds the one IFLA_VF_* attribute of group 'what' for VF 'vf'. */
static void
put_setting(struct nlmsghdr *nlh, uint32_t what, unsigned int vf,
	    const struct vfwd_vf_settings *s)
{
	switch (what) {
	case VFWD_VFS_MAC: {
		struct ifla_vf_mac m;

		memset(&m, 0, sizeof(m));
		m.vf = vf;
		memcpy(m.mac, s->mac, sizeof(s->mac));
		mnl_attr_put(nlh, IFLA_VF_MAC, sizeof(m), &m);
		break;
	}
	case VFWD_VFS_VLAN: {
		struct ifla_vf_vlan v = { .vf = vf, .vlan = s->vlan, .qos = s->qos };

		mnl_attr_put(nlh, IFLA_VF_VLAN, sizeof(v), &v);
		break;
	}
	case VFWD_VFS_SPOOFCHK: {
		struct ifla_vf_spoofchk c = { .vf = vf, .setting = s->spoofchk };

		mnl_attr_put(nlh, IFLA_VF_SPOOFCHK, sizeof(c), &c);
		break;
	}
	case VFWD_VFS_TRUST: {
		struct ifla_vf_trust t = { .vf = vf, .setting = s->trust };

		mnl_attr_put(nlh, IFLA_VF_TRUST, sizeof(t), &t);
		break;
	}
	case VFWD_VFS_RATE: {
		struct ifla_vf_rate r = { .vf = vf, .min_tx_rate = s->min_tx_rate,
					  .max_tx_rate = s->max_tx_rate };

		mnl_attr_put(nlh, IFLA_VF_RATE, sizeof(r), &r);
		break;
	}
	}
}

int
vfwd_vf_set(const struct vfwd_vf_id *id, uint32_t what,
	    const struct vfwd_vf_settings *s, char *err, size_t errlen)
{
	const uint32_t all = VFWD_VFS_MAC | VFWD_VFS_VLAN | VFWD_VFS_SPOOFCHK |
			     VFWD_VFS_TRUST | VFWD_VFS_RATE;
	_Alignas(struct nlmsghdr) char req[REQUEST_MAX];
	_Alignas(struct nlmsghdr) char reply[SETLINK_REPLY_MAX];
	struct nlattr *list, *info;
	struct nlmsghdr *nlh;
	struct verdict v;
	char text[sizeof(v.text) + 64];
	const char *name = setting_name(what), *why = "";
	size_t reply_len = 0;
	int rc;

	rc = check_id(id, err, errlen);
	if (rc != 0)
		return rc;
	if (what == 0 || (what & (what - 1)) != 0 || (what & ~all) != 0) {
		vf_err(id, err, errlen, "0x%x is not one group of VF settings",
		       what);
		return -EINVAL;
	}
	if (what == VFWD_VFS_VLAN && (s->vlan > 4095 || s->qos > 7)) {
		vf_err(id, err, errlen, "vlan: %u qos %u is out of range (vlan "
		       "0-4095, qos 0-7)", s->vlan, s->qos);
		return -EINVAL;
	}

	nlh = link_request(req, RTM_SETLINK, id->pf_ifindex);
	list = mnl_attr_nest_start(nlh, IFLA_VFINFO_LIST);
	info = mnl_attr_nest_start(nlh, IFLA_VF_INFO);
	put_setting(nlh, what, id->vf_index, s);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, list);

	rc = talk(talk_ctx, req, nlh->nlmsg_len, reply, sizeof(reply),
		  &reply_len);
	if (rc != 0) {
		vf_err(id, err, errlen, "%s: no answer from the kernel: %s",
		       name, strerror(-rc));
		return rc;
	}
	rc = walk_answer(reply, reply_len, nlh->nlmsg_seq, NULL, NULL, &v, &why);
	if (rc != 0) {
		vf_err(id, err, errlen, "%s: the kernel's answer is not "
		       "understood (%s)", name, why);
		return rc;
	}
	if (v.error != 0) {
		verdict_text(&v, text, sizeof(text));
		vf_err(id, err, errlen, "%s: %s", name, text);
		return v.error;
	}
	return 0;
}
