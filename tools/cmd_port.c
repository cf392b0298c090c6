/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port control: add, remove, add_sock, remove_sock and query, as
 * PortControlRequest messages to the port control service.
 *
 * The options are those of 1.x's virtioforwarder_port_control.py, plus
 * --device for devices given as DPDK devargs.  Each operation takes only
 * the options that mean something to it: an option the daemon would
 * silently ignore is refused here, since it is almost always a mistake.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd_port.h"
#include "ctl.h"
#include "ctl_client.h"
#include "vfprofile.h"
#include "virtioforwarder.pb-c.h"

enum {
	OPT_VIRTIO_ID = OPT_CMD_BASE,
	OPT_PCI_ADDR,
	OPT_DEVICE,
	OPT_NAME,
	OPT_MODE,
	OPT_VHOST_PATH,
	OPT_NO_CONDITIONAL,
	OPT_CONDITIONAL,
	OPT_VF_PROFILE,
};

/* Which options were given, to check them against the operation. */
enum {
	SEEN_ID = 1 << 0,
	SEEN_PCI = 1 << 1,
	SEEN_DEVICE = 1 << 2,
	SEEN_NAME = 1 << 3,
	SEEN_MODE = 1 << 4,
	SEEN_PATH = 1 << 5,
	SEEN_COND = 1 << 6,
	SEEN_PROFILE = 1 << 7,
};

static const struct option port_options[] = {
	{ "virtio-id",      required_argument, NULL, OPT_VIRTIO_ID },
	{ "pci-addr",       required_argument, NULL, OPT_PCI_ADDR },
	{ "device",         required_argument, NULL, OPT_DEVICE },
	{ "name",           required_argument, NULL, OPT_NAME },
	{ "mode",           required_argument, NULL, OPT_MODE },
	{ "vhost-path",     required_argument, NULL, OPT_VHOST_PATH },
	{ "no-conditional", no_argument,       NULL, OPT_NO_CONDITIONAL },
	{ "conditional",    no_argument,       NULL, OPT_CONDITIONAL },
	{ "vf-profile",     required_argument, NULL, OPT_VF_PROFILE },
	/* A short name of the endpoint option. */
	{ "ep",             required_argument, NULL, OPT_PORT_CONTROL_EP },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	unsigned int allowed;
	const char *usage;
} ops[] = {
	[CTL_PORT_ADD] = { "add",
		SEEN_ID | SEEN_PCI | SEEN_DEVICE | SEEN_NAME | SEEN_MODE | SEEN_COND |
		SEEN_PROFILE,
		"add --virtio-id=N (--pci-addr=ADDR | --device=DEVARGS)...\n"
		"      [--name=net_bondingX] [--mode=M] [--no-conditional]\n"
		"      [--vf-profile=PROFILE]" },
	[CTL_PORT_REMOVE] = { "remove",
		SEEN_ID | SEEN_PCI | SEEN_DEVICE | SEEN_NAME | SEEN_COND,
		"remove [--virtio-id=N] (--pci-addr=ADDR | --device=DEVARGS |\n"
		"      --name=net_bondingX) [--conditional]" },
	[CTL_PORT_ADD_SOCK] = { "add_sock",
		SEEN_PATH | SEEN_PCI | SEEN_DEVICE | SEEN_NAME | SEEN_MODE | SEEN_COND |
		SEEN_PROFILE,
		"add_sock --vhost-path=PATH (--pci-addr=ADDR | --device=DEVARGS)...\n"
		"      [--name=net_bondingX] [--mode=M] [--no-conditional]\n"
		"      [--vf-profile=PROFILE]" },
	[CTL_PORT_REMOVE_SOCK] = { "remove_sock",
		SEEN_PATH | SEEN_PCI | SEEN_DEVICE | SEEN_NAME | SEEN_COND,
		"remove_sock [--vhost-path=PATH] [--pci-addr=ADDR | --device=DEVARGS |\n"
		"      --name=net_bondingX] [--conditional]" },
	[CTL_PORT_QUERY] = { "query", SEEN_PATH,
		"query --vhost-path=PATH" },
	[CTL_PORT_PROFILE] = { "profile", SEEN_ID | SEEN_PROFILE,
		"profile --virtio-id=N [--vf-profile=PROFILE]   (none: no profile)" },
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

/* One device as given: a PCI address (parsed) or a devargs string. */
struct dev_arg {
	bool is_pci;
	uint32_t domain, bus, slot, function;
	char text[VFWD_DEVSPEC_MAX];     /* PCI addresses normalised */
};

struct port_args {
	unsigned int seen;
	unsigned long virtio_id;
	struct dev_arg dev[VFWD_BOND_MAX_MEMBERS];
	unsigned int n_dev, n_pci;
	const char *name;
	unsigned long mode;
	char vhost_path[PATH_MAX];
	bool conditional;
	struct vfwd_vf_profile profile;
};

static const char *const option_names[] = {
	"--virtio-id", "--pci-addr", "--device", "--name", "--mode", "--vhost-path",
	"--no-conditional or --conditional", "--vf-profile",
};

static void
port_help(const struct ctl *c, enum ctl_port_op op)
{
	printf("Usage: %s %s\n", c->prog, ops[op].usage);
	printf(
"\n"
"Asks the port control service to attach or detach devices and sockets.\n"
"Options:\n"
"  --virtio-id=N         the relay, 0-63 (add; remove: must be the device's relay)\n"
"  --pci-addr=ADDR       a device by PCI address, DDDD:BB:SS.F or BB:SS.F;\n"
"                        repeat (also with --device) for a bond, at most %d\n"
"  --device=DEVARGS      a device as DPDK devargs (net_af_xdp0,iface=ens1f0v2)\n"
"                        or PCI address string\n"
"  --name=net_bondingX   the bond's name: required with two or more devices;\n"
"                        alone, removes that bond\n"
"  --mode=M              bond mode 0-6 (default 1, active-backup)\n"
"  --vhost-path=PATH     the vhost-user socket (socket operations and query;\n"
"                        a relative path is taken from the current directory)\n"
"  --no-conditional      fail when the request would change nothing (the default\n"
"                        of remove and remove_sock: removing what is not there\n"
"                        fails)\n"
"  --conditional         succeed when the request would change nothing (the\n"
"                        default of add and add_sock: adding what is there)\n"
"  --vf-profile=PROFILE  the relay's VF port profile, set on its VF through the\n"
"                        PF: mac=MAC|learn,vlan=N,qos=N,spoofchk=on|off,\n"
"                        trust=on|off,max_tx_rate=MBPS,min_tx_rate=MBPS (add,\n"
"                        add_sock, profile; without it, a relay keeps its own)\n"
"  --ep=EP, --port-control-ep=EP, --zmq-port-control-ep=EP\n"
"                        the port control endpoint [VIRTIOFWD_ZMQ_PORT_CONTROL_EP]\n"
"  --config=FILE, --timeout=MS, -q/--quiet, -h/--help: see '%s --help'\n"
"Socket operations need a daemon with VIRTIOFWD_DYNAMIC_SOCKETS=true.\n",
	       VFWD_BOND_MAX_MEMBERS, c->prog);
}

static int
add_device(struct ctl *c, struct port_args *a, bool is_pci, const char *arg)
{
	struct dev_arg *d;
	unsigned int i;

	if (a->n_dev == VFWD_BOND_MAX_MEMBERS)
		return ctl_usage_error(c, "more than %d devices (a bond has at most "
				       "%d members)", VFWD_BOND_MAX_MEMBERS,
				       VFWD_BOND_MAX_MEMBERS);
	d = &a->dev[a->n_dev];
	memset(d, 0, sizeof(*d));
	d->is_pci = is_pci;
	if (is_pci) {
		if (vfwd_parse_pci(arg, &d->domain, &d->bus, &d->slot, &d->function) != 0)
			return ctl_usage_error(c, "--pci-addr=%s: not a PCI address (allowed: "
					       "DDDD:BB:SS.F or BB:SS.F in hex, slot up "
					       "to 1f, function up to 7; DPDK devargs go "
					       "in --device)", arg);
		snprintf(d->text, sizeof(d->text), "%04x:%02x:%02x.%x", d->domain,
			 d->bus, d->slot, d->function);
	} else {
		char err[VFWD_ERR_MAX];

		if (arg[0] == '\0' || strlen(arg) >= VFWD_DEVSPEC_MAX)
			return ctl_usage_error(c, "--device: must be 1 to %d characters",
					       VFWD_DEVSPEC_MAX - 1);
		/* The daemon's own rules for devices, through the same parser. */
		if (vfwd_parse_devspec(arg, d->text, sizeof(d->text), err, sizeof(err)) != 0)
			return ctl_usage_error(c, "--device=%s: %s", arg, err);
	}
	for (i = 0; i < a->n_dev; i++)
		if (strcmp(a->dev[i].text, d->text) == 0)
			return ctl_usage_error(c, "device %s given twice", d->text);
	a->n_dev++;
	a->n_pci += is_pci;
	return 0;
}

static int
port_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	struct port_args *a = ctx;
	char cwd[PATH_MAX];

	switch (opt) {
	case OPT_VIRTIO_ID:
		a->seen |= SEEN_ID;
		return ctl_parse_uint(c, "--virtio-id", arg, 0, VFWD_MAX_RELAYS - 1,
				      &a->virtio_id);
	case OPT_PCI_ADDR:
		a->seen |= SEEN_PCI;
		return add_device(c, a, true, arg);
	case OPT_DEVICE:
		a->seen |= SEEN_DEVICE;
		return add_device(c, a, false, arg);
	case OPT_NAME:
		a->seen |= SEEN_NAME;
		/* The bonding PMD's rule, and the daemon's name buffer. */
		if (strncmp(arg, "net_bonding", 11) != 0 || strlen(arg) > 127 ||
		    strpbrk(arg, ", =") != NULL)
			return ctl_usage_error(c, "--name=%s: a bond name starts with "
					       "net_bonding (e.g. net_bonding0), has no "
					       "',', '=' or blank, at most 127 characters",
					       arg);
		a->name = arg;
		return 0;
	case OPT_MODE:
		a->seen |= SEEN_MODE;
		if (arg[0] < '0' || arg[0] > '6' || arg[1] != '\0')
			return ctl_usage_error(c, "--mode=%s: allowed 0 round-robin, "
					       "1 active-backup, 2 balance-xor, "
					       "3 broadcast, 4 802.3ad, 5 TLB, 6 ALB", arg);
		a->mode = (unsigned long)(arg[0] - '0');
		return 0;
	case OPT_VHOST_PATH:
		a->seen |= SEEN_PATH;
		if (arg[0] == '\0')
			return ctl_usage_error(c, "--vhost-path: a socket path is required");
		/* The daemon runs elsewhere: it needs an absolute path. */
		if (arg[0] != '/') {
			if (getcwd(cwd, sizeof(cwd)) == NULL) {
				ctl_error(c, "--vhost-path=%s: cannot make it absolute: %s",
					  arg, strerror(errno));
				return CTL_EXIT_FAIL;
			}
			if ((size_t)snprintf(a->vhost_path, sizeof(a->vhost_path), "%s/%s",
					     strcmp(cwd, "/") ? cwd : "", arg) >=
			    sizeof(a->vhost_path))
				return ctl_usage_error(c, "--vhost-path=%s: too long", arg);
		} else if (strlen(arg) >= sizeof(a->vhost_path)) {
			return ctl_usage_error(c, "--vhost-path: too long");
		} else {
			snprintf(a->vhost_path, sizeof(a->vhost_path), "%s", arg);
		}
		return 0;
	case OPT_NO_CONDITIONAL:
		a->seen |= SEEN_COND;
		a->conditional = false;
		return 0;
	case OPT_CONDITIONAL:
		a->seen |= SEEN_COND;
		a->conditional = true;
		return 0;
	case OPT_VF_PROFILE: {
		char err[VFWD_ERR_MAX];

		a->seen |= SEEN_PROFILE;
		/* The daemon's parser: what it would refuse is refused here. */
		if (vfwd_vf_profile_parse(arg, &a->profile, err, sizeof(err)) != 0)
			return ctl_usage_error(c, "--vf-profile=%s: %s", arg, err);
		return 0;
	}
	default:
		return ctl_usage_error(c, "unexpected option");
	}
}

/* Checks the options against what operation 'op' takes. */
static int
check_args(struct ctl *c, enum ctl_port_op op, const struct port_args *a)
{
	unsigned int extra = a->seen & ~ops[op].allowed, i, ids;

	for (i = 0; extra != 0; i++, extra >>= 1)
		if (extra & 1)
			return ctl_usage_error(c, "%s does not apply to %s%s", option_names[i],
					       ops[op].name, op == CTL_PORT_ADD_SOCK &&
					       i == 0 ? " (the daemon picks the relay)" : "");

	switch (op) {
	case CTL_PORT_ADD:
	case CTL_PORT_ADD_SOCK:
		if (op == CTL_PORT_ADD && !(a->seen & SEEN_ID))
			return ctl_usage_error(c, "--virtio-id=N is required (the relay, "
					       "0-%d)", VFWD_MAX_RELAYS - 1);
		if (op == CTL_PORT_ADD_SOCK && !(a->seen & SEEN_PATH))
			return ctl_usage_error(c, "--vhost-path=PATH is required");
		if (a->n_dev == 0)
			return ctl_usage_error(c, "give a device: --pci-addr=ADDR or "
					       "--device=DEVARGS (several for a bond)");
		if (a->n_dev > 1 && a->name == NULL)
			return ctl_usage_error(c, "%u devices make a bond: give its name, "
					       "--name=net_bondingN", a->n_dev);
		if (a->n_dev == 1 && a->name != NULL)
			return ctl_usage_error(c, "--name names a bond: give two or more "
					       "devices");
		if (a->n_dev == 1 && (a->seen & SEEN_MODE))
			return ctl_usage_error(c, "--mode applies to bonds (two or more "
					       "devices)");
		return 0;
	case CTL_PORT_REMOVE:
	case CTL_PORT_REMOVE_SOCK:
		ids = a->n_dev + (a->name != NULL);
		if (ids > 1)
			return ctl_usage_error(c, "give one of --pci-addr, --device or "
					       "--name (a bond is removed by its name)");
		if (op == CTL_PORT_REMOVE && ids == 0)
			return ctl_usage_error(c, "give what to remove: --pci-addr=ADDR, "
					       "--device=DEVARGS or --name=net_bondingN");
		if (op == CTL_PORT_REMOVE_SOCK && ids == 0 && !(a->seen & SEEN_PATH))
			return ctl_usage_error(c, "give --vhost-path=PATH, the device "
					       "(--pci-addr, --device, --name), or both");
		return 0;
	case CTL_PORT_QUERY:
		if (!(a->seen & SEEN_PATH))
			return ctl_usage_error(c, "--vhost-path=PATH is required");
		return 0;
	case CTL_PORT_PROFILE:
		if (!(a->seen & SEEN_ID))
			return ctl_usage_error(c, "--virtio-id=N is required (the relay, "
					       "0-%d)", VFWD_MAX_RELAYS - 1);
		return 0;
	default:
		return CTL_EXIT_USAGE;
	}
}

/* What the request is about, for the confirmation line. */
static void
describe(const struct port_args *a, unsigned long mode, char *buf, size_t len)
{
	size_t used;
	unsigned int i;

	if (a->n_dev == 1) {
		snprintf(buf, len, "%s", a->dev[0].text);
		return;
	}
	if (a->n_dev == 0) {
		snprintf(buf, len, "%s", a->name ? a->name : "");
		return;
	}
	used = (size_t)snprintf(buf, len, "bond %s (mode %lu:", a->name, mode);
	for (i = 0; i < a->n_dev && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, " %s", a->dev[i].text);
	if (used < len)
		snprintf(buf + used, len - used, ")");
}

/*
 * Fills VfProfile 'm' from 'p': each setting given goes in the field of
 * its name (vfprofile.h), as the daemon reads it back.  'mac' holds the
 * MAC's text.
 */
static void
profile_msg(const struct vfwd_vf_profile *p, Virtioforwarder__VfProfile *m,
	    char *mac, size_t mac_len)
{
	const ProtobufCMessageDescriptor *desc = &virtioforwarder__vf_profile__descriptor;
	char v[32];
	size_t i;

	virtioforwarder__vf_profile__init(m);
	for (i = 0; i < vfwd_vf_profile_n_settings(); i++) {
		const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(
			desc, vfwd_vf_profile_setting_name(i));
		char *base = (char *)m;

		if (f == NULL || !(p->given & vfwd_vf_profile_setting_bit(i)))
			continue;
		vfwd_vf_profile_format_value(p, i, v, sizeof(v));
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			snprintf(mac, mac_len, "%s", v);
			*(char **)(base + f->offset) = mac;
			continue;
		}
		*(protobuf_c_boolean *)(base + f->quantifier_offset) = true;
		if (f->type == PROTOBUF_C_TYPE_BOOL)
			*(protobuf_c_boolean *)(base + f->offset) = !strcmp(v, "on");
		else
			*(uint32_t *)(base + f->offset) = (uint32_t)strtoul(v, NULL, 10);
	}
}

static int
send_request(struct ctl *c, enum ctl_port_op op, const struct port_args *a)
{
	Virtioforwarder__PortControlRequest q = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PortControlRequest__PciAddress pa[VFWD_BOND_MAX_MEMBERS];
	Virtioforwarder__PortControlRequest__PciAddress *pap[VFWD_BOND_MAX_MEMBERS];
	Virtioforwarder__PortControlResponse *r = NULL;
	Virtioforwarder__VfProfile prof;
	char *devs[VFWD_BOND_MAX_MEMBERS], err[VFWD_ERR_MAX], what[VFWD_ERR_MAX];
	char mac[32];
	unsigned long mode = a->seen & SEEN_MODE ? a->mode : 1;
	bool mixed = a->n_pci > 0 && a->n_pci < a->n_dev;
	uint8_t *reply = NULL;
	unsigned int i;
	size_t len;
	int rc;

	q.op = (Virtioforwarder__PortControlRequest__Op)op;
	/*
	 * PCI addresses go in the 1.x field.  The daemon lists pci_addrs
	 * before 'device', so when both kinds are given every device is
	 * sent as a string, which keeps the order (the first member of an
	 * active-backup bond is its primary).
	 */
	for (i = 0; i < a->n_dev; i++) {
		if (a->dev[i].is_pci && !mixed) {
			Virtioforwarder__PortControlRequest__PciAddress *p = &pa[q.n_pci_addrs];

			virtioforwarder__port_control_request__pci_address__init(p);
			p->domain = a->dev[i].domain;
			p->bus = a->dev[i].bus;
			p->slot = a->dev[i].slot;
			p->function = a->dev[i].function;
			pap[q.n_pci_addrs++] = p;
		} else {
			devs[q.n_device++] = (char *)a->dev[i].text;
		}
	}
	q.pci_addrs = q.n_pci_addrs ? pap : NULL;
	q.device = q.n_device ? devs : NULL;
	if (a->seen & SEEN_ID) {
		q.has_virtio_id = true;
		q.virtio_id = (uint32_t)a->virtio_id;
	}
	/* Sent even when true: the default of a field is the reader's. */
	if (op != CTL_PORT_QUERY) {
		q.has_conditional = true;
		q.conditional = a->conditional;
	}
	q.name = (char *)a->name;
	if (a->n_dev > 1) {
		q.has_mode = true;
		q.mode = (uint32_t)mode;
	}
	if (a->seen & SEEN_PATH)
		q.vhost_path = (char *)a->vhost_path;
	if (a->seen & SEEN_PROFILE) {
		profile_msg(&a->profile, &prof, mac, sizeof(mac));
		q.vf_profile = &prof;
	}

	rc = ctl_request(c, CTL_SVC_PORT_CONTROL, &q.base, &reply, &len, err, sizeof(err));
	if (rc != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	r = virtioforwarder__port_control_response__unpack(NULL, len, reply);
	free(reply);
	if (r == NULL) {
		ctl_error(c, "the answer is not a PortControlResponse (is %s the port "
			  "control endpoint?)", ctl_endpoint(c, CTL_SVC_PORT_CONTROL));
		return CTL_EXIT_FAIL;
	}
	if (r->status != VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK) {
		const char *src = r->error_code_source && r->error_code_source[0]
				  ? r->error_code_source : "the daemon refused the request";

		if (r->has_error_code && r->error_code < 0)
			ctl_error(c, "%s (%s)", src, strerror(-r->error_code));
		else if (r->has_error_code)
			ctl_error(c, "%s (error %d)", src, r->error_code);
		else
			ctl_error(c, "%s", src);
		rc = CTL_EXIT_FAIL;
		goto out;
	}

	describe(a, mode, what, sizeof(what));
	rc = CTL_EXIT_OK;
	switch (op) {
	case CTL_PORT_QUERY:
		/* The answer itself: printed even with --quiet. */
		if (r->query_string == NULL) {
			ctl_error(c, "the answer names no device");
			rc = CTL_EXIT_FAIL;
		} else {
			printf("%s\n", r->query_string);
		}
		break;
	case CTL_PORT_ADD:
		if (!c->quiet)
			printf("relay %lu: attached %s\n", a->virtio_id, what);
		break;
	case CTL_PORT_REMOVE:
		if (!c->quiet && (a->seen & SEEN_ID))
			printf("relay %lu: detached %s\n", a->virtio_id, what);
		else if (!c->quiet)
			printf("detached %s\n", what);
		break;
	case CTL_PORT_ADD_SOCK:
		/* The relay the daemon chose is what the operator needs next
		 * (stats, pins); 1.x daemons do not say it. */
		if (r->has_virtio_id)
			printf("relay %u: socket %s with %s\n", r->virtio_id,
			       a->vhost_path, what);
		else if (!c->quiet)
			printf("socket %s with %s\n", a->vhost_path, what);
		break;
	case CTL_PORT_REMOVE_SOCK:
		if (!c->quiet && (a->seen & SEEN_PATH))
			printf("closed socket %s\n", a->vhost_path);
		else if (!c->quiet)
			printf("closed the socket of %s\n", what);
		break;
	case CTL_PORT_PROFILE:
		vfwd_vf_profile_format(&a->profile, what, sizeof(what));
		if (!c->quiet)
			printf("relay %lu: VF port profile %s (see stats for what the "
			       "PF took)\n", a->virtio_id, what[0] ? what : "cleared");
		break;
	default:
		break;
	}
out:
	virtioforwarder__port_control_response__free_unpacked(r, NULL);
	return rc;
}

int
ctl_cmd_port(struct ctl *c, enum ctl_port_op op, int argc, char **argv)
{
	struct port_args *a;
	int rc;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		ctl_error(c, "out of memory");
		return CTL_EXIT_FAIL;
	}
	/* Adding what is there is harmless; removing what is not there is
	 * worth an error (a mistyped device, or one that went with its VF),
	 * as 1.x's tools answered: removals are not conditional by default. */
	a->conditional = op != CTL_PORT_REMOVE && op != CTL_PORT_REMOVE_SOCK;
	rc = ctl_parse(c, argc, argv, port_options, "", port_option, a);
	if (rc == CTL_PARSE_HELP)
		port_help(c, op);
	if (rc != 0) {
		rc = ctl_parse_status(rc);
		goto out;
	}

	if (optind < argc) {
		rc = ctl_usage_error(c, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	rc = check_args(c, op, a);
	if (rc == 0)
		rc = send_request(c, op, a);
out:
	free(a);
	return rc;
}
