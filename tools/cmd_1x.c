/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The six Python tools of virtio-forwarder 1.x, under their own names:
 *
 *   virtioforwarder_port_control.py    port control requests
 *   virtioforwarder_stats.py           statistics, flat or protobuf text
 *   virtioforwarder_core_pinner.py     the core map; moving a relay
 *   virtioforwarder_monitor_load.py    load bars of the workers
 *   virtioforwarder_core_scheduler.py  the CPU load balancer
 *   virtioforwarder_config.py          the config service's map
 *
 * Scripts written against 1.x call them with 1.x's flags and read 1.x's
 * output, so under these names the program takes exactly the flags of the
 * 1.x help texts (1x-operator-surface.md), parses them the way Python's
 * argparse did (long options abbreviated while unambiguous, "--opt value"
 * and "--opt=value", usage errors with exit status 2), has 1.x's defaults
 * (non-conditional requests, active relays only, flat output), prints
 * 1.x's formats, and exits as 1.x did: 0 when the daemon said OK, 1 when
 * it answered an error.  Nothing is read from the configuration file:
 * 1.x's tools did not read it.  vfwdctl under its own name is the
 * friendlier interface; vfwdctl(1) lists the differences.
 *
 * Where 1.x's tool would hang or print a Python traceback (a daemon that
 * does not answer, a value 1.x did not check) this one gives up after the
 * timeout, or refuses the value, with one line on stderr and status 1 or 2.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_1x.h"
#include "cmd_balance.h"
#include "cmd_stats.h"
#include "ctl.h"
#include "ctl_client.h"
#include "ctl_output.h"
#include "ctl_query.h"
#include "virtioforwarder.pb-c.h"

/* Where 1.x's tools sent their requests by default. */
#define EP_PORT_CONTROL "ipc:///var/run/virtio-forwarder/port_control"
#define EP_STATS "ipc:///var/run/virtio-forwarder/stats"
#define EP_CORE_SCHED "ipc:///var/run/virtio-forwarder/core_sched"
#define EP_CONFIG "ipc:///var/run/virtio-forwarder/config"

/* What --send-garbage sends: 'g' is a field with wire type 7, which no
 * protobuf parser takes, so the daemon must answer with an error. */
static const uint8_t garbage[] = "garbage: not a protobuf message \xff\xfe\xfd";

/* Bond members one request may name (the daemon takes 8 and says so). */
#define MAX_PCI_ADDRS 32
/* Columns of argparse's help: the options, then their text from here. */
#define HELP_COLUMN 24
#define HELP_WIDTH 78

/* The options of the six tools. */
enum opt_id {
	O_HELP,
	O_VHOST_PATH,
	O_VIRTIO_ID,
	O_CRASH_AFTER_SEND,
	O_PCI_ADDR,
	O_NAME,
	O_MODE,
	O_ZMQ_EP,
	O_CONDITIONAL,
	O_SEND_GARBAGE,
	O_STATS_EP,
	O_INCLUDE_INACTIVE,
	O_DELAY,
	O_OUTPUT_FORMAT,
	O_SUPPRESS_ZERO,
	O_SCHED_EP,
	O_VIRTIO_CPU,
	O_PRINT_CORE_MAP,
	O_POLL_INTERVAL,
	O_LOGLEVEL,
	O_SENSITIVITY,
	O_GLOBAL_NUMA_OPT,
	O_CONFIG_EP,
	N_OPTS,
};

/* One option as argparse declared it. */
struct opt_1x {
	enum opt_id id;
	char short_name;               /* 'h', 'z', or 0 */
	const char *long_name;         /* without the dashes */
	const char *metavar;           /* NULL: a switch */
	const char *help;
};

/* What the command line gave. */
struct args_1x {
	const char *value[N_OPTS];     /* the last value given (argparse 'store') */
	bool seen[N_OPTS];
	const char *pci[MAX_PCI_ADDRS];   /* --pci-addr is 'append' */
	unsigned int n_pci;
	const char *positional;        /* OP */
};

struct tool_1x;
typedef int (*run_fn)(struct ctl *c, const struct tool_1x *t,
		      const struct args_1x *a);

/* One of the six tools. */
struct tool_1x {
	const char *name;
	const char *description;
	const struct opt_1x *opts;
	const char *positional;        /* "OP", or NULL */
	const char *positional_help;
	run_fn run;
};

/* ------------------------------------------------------------------ */
/* The options                                                         */
/* ------------------------------------------------------------------ */

/* The options several tools share, with the same help. */
#define OPT_HELP_1X { O_HELP, 'h', "help", NULL, "show this help message and exit" }
#define OPT_STATS_EP_1X { O_STATS_EP, 0, "stats-ep", "STATS_EP", \
	"the stats endpoint (default: " EP_STATS ")" }
#define OPT_SCHED_EP_1X { O_SCHED_EP, 0, "sched-ep", "SCHED_EP", \
	"the core scheduling endpoint (default: " EP_CORE_SCHED ")" }
#define OPT_CRASH_1X { O_CRASH_AFTER_SEND, 0, "crash-after-send", NULL, \
	"exit right after sending the request, without reading the reply " \
	"(tests the daemon)" }
#define OPT_GARBAGE_1X { O_SEND_GARBAGE, 0, "send-garbage", NULL, \
	"send garbage bytes instead of the request (tests the daemon)" }
#define OPT_END_1X { N_OPTS, 0, NULL, NULL, NULL }

static const struct opt_1x port_control_opts[] = {
	OPT_HELP_1X,
	{ O_VHOST_PATH, 0, "vhost-path", "VHOST_PATH",
	  "the vhost-user socket (add_sock, remove_sock, query_pci)" },
	{ O_VIRTIO_ID, 0, "virtio-id", "virtio-id", "the relay number" },
	OPT_CRASH_1X,
	{ O_PCI_ADDR, 0, "pci-addr", "PCI_ADDR",
	  "a device, DDDD:BB:SS.F; give it several times for a bond" },
	{ O_NAME, 0, "name", "NAME", "the bond's name, net_bondingN" },
	{ O_MODE, 0, "mode", "{0,1,2,3,4,5,6}",
	  "the bond's mode (default: 1, active-backup)" },
	{ O_ZMQ_EP, 0, "zmq_ep", "ZMQ_EP",
	  "the port control endpoint (default: " EP_PORT_CONTROL ")" },
	{ O_CONDITIONAL, 0, "conditional", NULL,
	  "whether to make a conditional request (default: False)" },
	OPT_GARBAGE_1X,
	OPT_END_1X,
};

static const struct opt_1x stats_opts[] = {
	OPT_HELP_1X,
	OPT_STATS_EP_1X,
	{ O_INCLUDE_INACTIVE, 0, "include-inactive", NULL,
	  "include inactive relays in response (default: active only)" },
	{ O_DELAY, 0, "delay", "DELAY",
	  "delay in ms used for the rate statistics (default: the daemon's, "
	  "1000)" },
	{ O_OUTPUT_FORMAT, 0, "output-format", "{flat,protobuf}",
	  "flat key=value lines, or the message's protobuf text format "
	  "(default: flat)" },
	{ O_SUPPRESS_ZERO, 'z', "suppress-zero", NULL,
	  "don't show statistics that are zero (flat only)" },
	OPT_END_1X,
};

static const struct opt_1x core_pinner_opts[] = {
	OPT_HELP_1X,
	{ O_STATS_EP, 0, "stats-ep", "STATS_EP",
	  "the stats endpoint, for the core map (default: " EP_STATS ")" },
	OPT_SCHED_EP_1X,
	{ O_VIRTIO_CPU, 0, "virtio-cpu", "VIRTIO_CPU",
	  "set a relay's worker cpus, e.g. --virtio-cpu=42:1,2 (the first "
	  "serves VF to VM, the second VM to VF)" },
	{ O_PRINT_CORE_MAP, 0, "print-core-map", NULL,
	  "print the current core map and exit" },
	OPT_END_1X,
};

static const struct opt_1x monitor_load_opts[] = {
	OPT_HELP_1X,
	OPT_STATS_EP_1X,
	{ O_SCHED_EP, 0, "sched-ep", "SCHED_EP",
	  "the core scheduling endpoint, for the worker cpus (default: "
	  EP_CORE_SCHED ")" },
	{ O_POLL_INTERVAL, 0, "poll-interval", "POLL_INTERVAL",
	  "seconds between updates (default: 1)" },
	OPT_END_1X,
};

static const struct opt_1x core_scheduler_opts[] = {
	OPT_HELP_1X,
	OPT_STATS_EP_1X,
	OPT_SCHED_EP_1X,
	{ O_POLL_INTERVAL, 0, "poll-interval", "POLL_INTERVAL",
	  "seconds between rebalancing rounds (default: 5)" },
	{ O_LOGLEVEL, 0, "loglevel", "LOGLEVEL",
	  "log level 0-7, 7 the most verbose (default: 6)" },
	{ O_SENSITIVITY, 0, "sensitivity", "SENSITIVITY",
	  "how much better (coefficient of variation) a new assignment must be "
	  "to be applied (default: 0.25)" },
	{ O_GLOBAL_NUMA_OPT, 0, "global-numa-opt", NULL,
	  "place relays on any NUMA node (default: their own)" },
	OPT_END_1X,
};

static const struct opt_1x config_opts[] = {
	OPT_HELP_1X,
	{ O_CONFIG_EP, 0, "config-ep", "CONFIG_EP",
	  "the config endpoint (default: " EP_CONFIG ")" },
	OPT_CRASH_1X,
	OPT_GARBAGE_1X,
	OPT_END_1X,
};

/* ------------------------------------------------------------------ */
/* argparse's ways                                                     */
/* ------------------------------------------------------------------ */

/* "[-h]", "[--stats-ep STATS_EP]": one item of the usage line. */
static void
usage_item(const struct opt_1x *o, char *buf, size_t len)
{
	if (o->short_name)
		snprintf(buf, len, "[-%c]", o->short_name);
	else if (o->metavar)
		snprintf(buf, len, "[--%s %s]", o->long_name, o->metavar);
	else
		snprintf(buf, len, "[--%s]", o->long_name);
}

/* The usage lines, wrapped as argparse wraps them. */
static void
print_usage(FILE *f, const struct tool_1x *t)
{
	char item[128];
	size_t indent = strlen("usage: ") + strlen(t->name) + 1, col = indent;
	const struct opt_1x *o;

	fprintf(f, "usage: %s", t->name);
	for (o = t->opts; o->long_name; o++) {
		usage_item(o, item, sizeof(item));
		if (col + 1 + strlen(item) > HELP_WIDTH && col > indent) {
			fprintf(f, "\n%*s", (int)indent - 1, "");
			col = indent - 1;
		}
		fprintf(f, " %s", item);
		col += 1 + strlen(item);
	}
	if (t->positional) {
		if (col + 1 + strlen(t->positional) > HELP_WIDTH)
			fprintf(f, "\n%*s", (int)indent - 1, "");
		fprintf(f, " %s", t->positional);
	}
	fputc('\n', f);
}

/*
 * Writes 'text' wrapped at HELP_WIDTH, each line from column 'indent' on;
 * the caller has written 'col' columns of the first line already, and
 * when fewer than two blanks would be left, the text starts on the next
 * line, as argparse does.
 */
static void
print_wrapped(FILE *f, const char *text, size_t indent, size_t col)
{
	const char *p = text;

	if (col > 0 && col + 2 > indent) {
		fputc('\n', f);
		col = 0;
	}
	fprintf(f, "%*s", (int)(indent - col), "");
	col = indent;
	while (*p) {
		size_t n = strcspn(p, " ");

		if (col > indent && col + 1 + n > HELP_WIDTH) {
			fprintf(f, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", (int)n, p);
		col += n;
		p += n;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

static void
print_help(const struct tool_1x *t)
{
	const struct opt_1x *o;
	char inv[128];

	print_usage(stdout, t);
	printf("\n");
	print_wrapped(stdout, t->description, 0, 0);
	if (t->positional) {
		printf("\npositional arguments:\n");
		printf("  %s", t->positional);
		print_wrapped(stdout, t->positional_help, HELP_COLUMN,
			      2 + strlen(t->positional));
	}
	printf("\noptional arguments:\n");
	for (o = t->opts; o->long_name; o++) {
		if (o->short_name)
			snprintf(inv, sizeof(inv), "-%c, --%s", o->short_name,
				 o->long_name);
		else if (o->metavar)
			snprintf(inv, sizeof(inv), "--%s %s", o->long_name, o->metavar);
		else
			snprintf(inv, sizeof(inv), "--%s", o->long_name);
		printf("  %s", inv);
		print_wrapped(stdout, o->help, HELP_COLUMN, 2 + strlen(inv));
	}
	printf("\nThis is vfwdctl(1) standing in for the tool of this name of\n"
	       "virtio-forwarder 1.x, with its flags and output.\n");
}

/* argparse's usage error: the usage, then "PROG: error: ...", status 2. */
static int __attribute__((format(printf, 2, 3)))
arg_error(const struct tool_1x *t, const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	print_usage(stderr, t);
	fprintf(stderr, "%s: error: %s\n", t->name, msg);
	return CTL_EXIT_USAGE;
}

/* Does 's' look like a negative number?  argparse takes those as values. */
static bool
negative_number(const char *s)
{
	char *end;

	if (s[0] != '-' || s[1] == '\0')
		return false;
	strtod(s, &end);
	return *end == '\0';
}

/* The option 'given' (without dashes, before any '=') names, exactly or as
 * an unambiguous prefix; NULL after reporting when none or several. */
static const struct opt_1x *
find_long(const struct tool_1x *t, const char *given, size_t n, int *rc)
{
	const struct opt_1x *o, *found = NULL;
	char list[VFWD_ERR_MAX / 2];
	size_t used = 0, count = 0;

	list[0] = '\0';
	for (o = t->opts; o->long_name; o++) {
		if (strlen(o->long_name) == n && !strncmp(o->long_name, given, n))
			return o;
		if (strncmp(o->long_name, given, n) != 0)
			continue;
		found = o;
		count++;
		used += (size_t)snprintf(list + used, used < sizeof(list) ?
					 sizeof(list) - used : 0, "%s--%s",
					 count > 1 ? ", " : "", o->long_name);
	}
	if (count == 1)
		return found;
	if (count > 1)
		*rc = arg_error(t, "ambiguous option: --%.*s could match %s", (int)n,
				given, list);
	return NULL;
}

/* Records option 'o' with 'value' (NULL for a switch). */
static int
store(const struct tool_1x *t, struct args_1x *a, const struct opt_1x *o,
      const char *value)
{
	if (o->id == O_PCI_ADDR) {
		if (a->n_pci == MAX_PCI_ADDRS)
			return arg_error(t, "argument --pci-addr: at most %d "
					 "devices", MAX_PCI_ADDRS);
		a->pci[a->n_pci++] = value;
	}
	a->seen[o->id] = true;
	a->value[o->id] = value;
	return 0;
}

/* Adds 'arg' to the unrecognized arguments of 'extra' (of 'len' bytes). */
static void
add_extra(char *extra, size_t len, size_t *used, const char *arg)
{
	if (*used < len)
		*used += (size_t)snprintf(extra + *used, len - *used, "%s%s",
					  *used ? " " : "", arg);
}

/*
 * Parses argv as argparse did: options in any order, long options by
 * unambiguous prefix, values attached with '=' or in the next word, short
 * switches grouped ("-zh"), "--" ending the options, one positional.
 * Returns 0, CTL_EXIT_USAGE after the message, or CTL_PARSE_HELP.
 */
static int
parse_1x(const struct tool_1x *t, int argc, char **argv, struct args_1x *a)
{
	char extra[VFWD_ERR_MAX / 2];
	size_t n_extra = 0;
	bool options = true;
	int i, rc = 0;

	memset(a, 0, sizeof(*a));
	extra[0] = '\0';
	for (i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const struct opt_1x *o = NULL;
		const char *value = NULL;

		if (options && !strcmp(arg, "--")) {
			options = false;
			continue;
		}
		if (options && !strncmp(arg, "--", 2)) {
			size_t n = strcspn(arg + 2, "=");

			o = find_long(t, arg + 2, n, &rc);
			if (rc != 0)
				return rc;
			if (o == NULL) {
				add_extra(extra, sizeof(extra), &n_extra, arg);
				continue;
			}
			if (arg[2 + n] == '=') {
				if (o->metavar == NULL)
					return arg_error(t, "argument --%s: ignored "
							 "explicit argument '%s'",
							 o->long_name, arg + 3 + n);
				value = arg + 3 + n;
			}
		} else if (options && arg[0] == '-' && arg[1] != '\0' &&
			   !negative_number(arg)) {
			const char *p;

			/* Short switches, grouped or not: -h and -z. */
			for (p = arg + 1; *p; p++) {
				for (o = t->opts; o->long_name; o++)
					if (o->short_name == *p)
						break;
				if (o->long_name == NULL) {
					add_extra(extra, sizeof(extra), &n_extra, arg);
					break;
				}
				if (o->id == O_HELP)
					return CTL_PARSE_HELP;
				store(t, a, o, NULL);
			}
			continue;
		} else {
			if (t->positional && a->positional == NULL)
				a->positional = arg;
			else
				add_extra(extra, sizeof(extra), &n_extra, arg);
			continue;
		}
		if (o->id == O_HELP)
			return CTL_PARSE_HELP;
		if (o->metavar != NULL && value == NULL) {
			if (i + 1 >= argc || (argv[i + 1][0] == '-' &&
					      argv[i + 1][1] != '\0' &&
					      !negative_number(argv[i + 1])))
				return arg_error(t, "argument --%s: expected one "
						 "argument", o->long_name);
			value = argv[++i];
		}
		rc = store(t, a, o, value);
		if (rc != 0)
			return rc;
	}
	if (t->positional && a->positional == NULL)
		return arg_error(t, "the following arguments are required: %s",
				 t->positional);
	if (n_extra)
		return arg_error(t, "unrecognized arguments: %s", extra);
	return 0;
}

/* Python's int(): an optional sign and decimal digits. */
static int
int_value(const struct tool_1x *t, const char *opt, const char *v, long min,
	  long max, long *out)
{
	const char *p = v + (v[0] == '-' || v[0] == '+');
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*p < '0' || *p > '9' || *end != '\0' || errno != 0)
		return arg_error(t, "argument %s: invalid int value: '%s'", opt, v);
	if (n < min || n > max)
		return arg_error(t, "argument %s: %ld is out of range (%ld to %ld)",
				 opt, n, min, max);
	*out = n;
	return 0;
}

/* Python's float(), limited to what makes sense here. */
static int
float_value(const struct tool_1x *t, const char *opt, const char *v, double min,
	    double max, bool min_excluded, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (end == v || *end != '\0' || errno != 0 || !isfinite(d))
		return arg_error(t, "argument %s: invalid float value: '%s'", opt, v);
	if (d < min || (min_excluded && d == min) || d > max)
		return arg_error(t, "argument %s: %s is out of range (%s%g to %g)",
				 opt, v, min_excluded ? "more than " : "", min, max);
	*out = d;
	return 0;
}

/* The endpoint of service 's': option 'id''s value, or 1.x's default;
 * 'option' is named in messages. */
static void
set_endpoint(struct ctl *c, const struct args_1x *a, enum ctl_service s,
	     enum opt_id id, const char *option, const char *def)
{
	const char *ep = a->seen[id] ? a->value[id] : def;

	snprintf(c->ep_override[s], sizeof(c->ep_override[s]), "%s", ep);
	c->ep_option[s] = option;
}

/* Every service at 1.x's default endpoint, until a tool's option says
 * otherwise: 1.x's tools read no configuration file, and neither do these. */
static void
default_endpoints(struct ctl *c)
{
	static const char *const defs[CTL_N_SVC] = {
		[CTL_SVC_PORT_CONTROL] = EP_PORT_CONTROL,
		[CTL_SVC_STATS] = EP_STATS,
		[CTL_SVC_CORE_SCHED] = EP_CORE_SCHED,
		[CTL_SVC_CONFIG] = EP_CONFIG,
	};
	int s;

	for (s = 0; s < CTL_N_SVC; s++)
		snprintf(c->ep_override[s], sizeof(c->ep_override[s]), "%s", defs[s]);
}

/*
 * Sends the request (or garbage) to service 's', and with
 * --crash-after-send leaves without the reply.  Returns 0 with the reply,
 * 1 when there is none to print (after saying why), or the exit status of
 * a failure.
 */
static int
exchange(struct ctl *c, const struct args_1x *a, enum ctl_service s,
	 const ProtobufCMessage *req, uint8_t **reply, size_t *len)
{
	char err[VFWD_ERR_MAX];
	bool crash = a->seen[O_CRASH_AFTER_SEND];
	uint8_t *buf = NULL;
	size_t n;
	int rc;

	if (a->seen[O_SEND_GARBAGE]) {
		rc = ctl_request_raw(c, s, garbage, sizeof(garbage) - 1, crash,
				     reply, len, err, sizeof(err));
	} else {
		n = protobuf_c_message_get_packed_size(req);
		buf = malloc(n ? n : 1);
		if (buf == NULL) {
			ctl_error(c, "out of memory");
			return CTL_EXIT_FAIL;
		}
		protobuf_c_message_pack(req, buf);
		rc = ctl_request_raw(c, s, buf, n, crash, reply, len, err,
				     sizeof(err));
		free(buf);
	}
	if (rc != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	if (crash) {
		ctl_error(c, "exiting after sending the %s, without reading the "
			  "reply (--crash-after-send)",
			  a->seen[O_SEND_GARBAGE] ? "garbage" : "request");
		return CTL_EXIT_FAIL;
	}
	return 0;
}

/* Is the 'status' field of reply 'm' its enum's OK? */
static bool
reply_ok(const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "status");
	const ProtobufCEnumValue *ok;

	if (f == NULL || f->type != PROTOBUF_C_TYPE_ENUM)
		return false;
	ok = protobuf_c_enum_descriptor_get_value_by_name(f->descriptor, "OK");
	return ok != NULL && *(const int *)((const char *)m + f->offset) == ok->value;
}

/*
 * Prints reply 'm' as 1.x's tools did, on stdout whatever it says, and
 * returns the exit status: 0 when its status is OK, else 1.
 */
static int
print_reply(const ProtobufCMessage *m)
{
	ctl_print_text(stdout, m);
	return reply_ok(m) ? CTL_EXIT_OK : CTL_EXIT_FAIL;
}

/*
 * Sends the request of 'a' (or garbage) to service 's' and prints the
 * reply, a message 'd', as 1.x did; returns the exit status.
 */
static int
request_and_print(struct ctl *c, const struct args_1x *a, enum ctl_service s,
		  const ProtobufCMessage *req, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *r;
	uint8_t *reply = NULL;
	size_t len;
	int rc;

	rc = exchange(c, a, s, req, &reply, &len);
	if (rc != 0)
		return rc;
	r = protobuf_c_message_unpack(d, NULL, len, reply);
	free(reply);
	if (r == NULL) {
		ctl_error(c, "the answer is not a %s (is %s the %s endpoint?)",
			  d->short_name, ctl_endpoint(c, s), ctl_service_name(s));
		return CTL_EXIT_FAIL;
	}
	rc = print_reply(r);
	protobuf_c_message_free_unpacked(r, NULL);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The tools                                                           */
/* ------------------------------------------------------------------ */

static const char *const port_ops[] = {
	"add", "remove", "add_sock", "remove_sock", "query_pci",
};

static int
run_port_control(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	Virtioforwarder__PortControlRequest q = VIRTIOFORWARDER__PORT_CONTROL_REQUEST__INIT;
	Virtioforwarder__PortControlRequest__PciAddress pa[MAX_PCI_ADDRS];
	Virtioforwarder__PortControlRequest__PciAddress *pap[MAX_PCI_ADDRS];
	unsigned int i;
	size_t op;
	long v;
	int rc;

	for (op = 0; op < sizeof(port_ops) / sizeof(port_ops[0]); op++)
		if (!strcmp(a->positional, port_ops[op]))
			break;
	if (op == sizeof(port_ops) / sizeof(port_ops[0]))
		return arg_error(t, "argument OP: invalid choice: '%s' (choose from "
				 "'add', 'remove', 'add_sock', 'remove_sock', "
				 "'query_pci')", a->positional);
	q.op = (Virtioforwarder__PortControlRequest__Op)op;
	for (i = 0; i < a->n_pci; i++) {
		virtioforwarder__port_control_request__pci_address__init(&pa[i]);
		if (vfwd_parse_pci(a->pci[i], &pa[i].domain, &pa[i].bus, &pa[i].slot,
				   &pa[i].function) != 0)
			return arg_error(t, "argument --pci-addr: invalid PCI address: "
					 "'%s' (DDDD:BB:SS.F or BB:SS.F in hex)",
					 a->pci[i]);
		pap[i] = &pa[i];
	}
	q.n_pci_addrs = a->n_pci;
	q.pci_addrs = a->n_pci ? pap : NULL;
	if (a->seen[O_VIRTIO_ID]) {
		rc = int_value(t, "--virtio-id", a->value[O_VIRTIO_ID], 0, UINT32_MAX, &v);
		if (rc != 0)
			return rc;
		q.has_virtio_id = true;
		q.virtio_id = (uint32_t)v;
	}
	/* 1.x made every request non-conditional unless told otherwise. */
	q.has_conditional = true;
	q.conditional = a->seen[O_CONDITIONAL];
	q.name = (char *)a->value[O_NAME];
	q.has_mode = true;
	q.mode = 1;
	if (a->seen[O_MODE]) {
		const char *m = a->value[O_MODE];

		/* argparse converted first, then checked the choice. */
		rc = int_value(t, "--mode", m, LONG_MIN, LONG_MAX, &v);
		if (rc != 0)
			return rc;
		if (v < 0 || v > 6)
			return arg_error(t, "argument --mode: invalid choice: %ld "
					 "(choose from 0, 1, 2, 3, 4, 5, 6)", v);
		q.mode = (uint32_t)v;
	}
	q.vhost_path = (char *)a->value[O_VHOST_PATH];
	set_endpoint(c, a, CTL_SVC_PORT_CONTROL, O_ZMQ_EP, "--zmq_ep",
		     EP_PORT_CONTROL);

	return request_and_print(c, a, CTL_SVC_PORT_CONTROL, &q.base,
				 &virtioforwarder__port_control_response__descriptor);
}

static int
run_stats(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *r;
	char err[VFWD_ERR_MAX];
	bool text = false;
	long v;
	int rc;

	if (a->seen[O_OUTPUT_FORMAT]) {
		const char *f = a->value[O_OUTPUT_FORMAT];

		if (strcmp(f, "flat") && strcmp(f, "protobuf"))
			return arg_error(t, "argument --output-format: invalid choice: "
					 "'%s' (choose from 'flat', 'protobuf')", f);
		text = !strcmp(f, "protobuf");
	}
	if (a->seen[O_DELAY]) {
		rc = int_value(t, "--delay", a->value[O_DELAY], 0, UINT32_MAX, &v);
		if (rc != 0)
			return rc;
		q.has_delay = true;
		q.delay = (uint32_t)v;
	}
	/* 1.x asked for active relays only unless told otherwise. */
	q.has_include_inactive = true;
	q.include_inactive = a->seen[O_INCLUDE_INACTIVE];
	set_endpoint(c, a, CTL_SVC_STATS, O_STATS_EP, "--stats-ep", EP_STATS);

	rc = ctl_stats_fetch(c, &q, &r, err, sizeof(err));
	if (rc != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	if (text) {
		/* Python's print() of the message: its text, which ends in a
		 * newline, and print()'s own. */
		ctl_print_text(stdout, &r->base);
		putchar('\n');
	} else
		ctl_print_flat_1x(stdout, r, a->seen[O_SUPPRESS_ZERO]);
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	return CTL_EXIT_OK;
}

/* ------------------------------------------------------------------ */
/* virtioforwarder_core_pinner.py                                      */
/* ------------------------------------------------------------------ */

/* Width of one worker's column of the core map: "   == 01 ==   ". */
#define MAP_COL 14

/* The relays of one worker CPU, in id order, per direction. */
struct map_col {
	unsigned int cpu;
	int vm2vf[VFWD_MAX_RELAYS];
	int vf2vm[VFWD_MAX_RELAYS];
	unsigned int n_vm2vf, n_vf2vm;
};

/* The column of 'cpu' in 'cols', added (when there is room) if new. */
static struct map_col *
map_col(struct map_col *cols, unsigned int *n, unsigned int max, unsigned int cpu)
{
	unsigned int i;

	for (i = 0; i < *n; i++)
		if (cols[i].cpu == cpu)
			return &cols[i];
	if (*n == max)
		return NULL;
	memset(&cols[*n], 0, sizeof(cols[*n]));
	cols[*n].cpu = cpu;
	return &cols[(*n)++];
}

/* One cell of the map: a relay id as 1.x wrote it ("%02d"), or blanks. */
static void
map_cell(const int *ids, unsigned int n, unsigned int row)
{
	if (row < n)
		printf("%02d", ids[row]);
	else
		fputs("  ", stdout);
}

/*
 * The core map as 1.x's core pinner printed it, under 'title': a rule,
 * one "== NN ==" column per worker CPU, then the relays each one serves,
 * VM2VF and VF2VM side by side, one relay id per row:
 *
 *   Worker cores affinities:
 *   ============================
 *      == 01 ==      == 02 ==
 *    VM2VF  VF2VM  VM2VF  VF2VM
 *     05     05     06
 *            06
 *
 * Workers come from the stats service; a relay on a CPU that is not (yet)
 * a worker still gets a column.
 */
static int
print_core_map(struct ctl *c, const char *title)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *r;
	struct map_col *cols, *col;
	unsigned int n = 0, max = VFWD_MAX_CPUS, rows = 0, i, row;
	char err[VFWD_ERR_MAX];
	uint32_t id;
	size_t k;

	q.has_include_inactive = true;
	q.include_inactive = true;
	if (ctl_stats_fetch(c, &q, &r, err, sizeof(err)) != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	cols = calloc(max, sizeof(*cols));
	if (cols == NULL) {
		virtioforwarder__stats_response__free_unpacked(r, NULL);
		ctl_error(c, "out of memory");
		return CTL_EXIT_FAIL;
	}
	for (k = 0; k < r->n_worker; k++)
		map_col(cols, &n, max, r->worker[k]->cpu);
	/* Relays in id order, whatever the answer's order. */
	for (id = 0; id < VFWD_MAX_RELAYS; id++)
		for (k = 0; k < r->n_relay; k++) {
			const Virtioforwarder__RelayState__CPU *cpu = r->relay[k]->cpu;

			if (r->relay[k]->id != id || cpu == NULL)
				continue;
			if (cpu->has_vm_to_vf && cpu->vm_to_vf >= 0 &&
			    (col = map_col(cols, &n, max, (unsigned int)cpu->vm_to_vf)))
				col->vm2vf[col->n_vm2vf++] = (int)id;
			if (cpu->has_vf_to_vm && cpu->vf_to_vm >= 0 &&
			    (col = map_col(cols, &n, max, (unsigned int)cpu->vf_to_vm)))
				col->vf2vm[col->n_vf2vm++] = (int)id;
		}
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	/* Columns in CPU order. */
	for (i = 1; i < n; i++)
		for (k = i; k > 0 && cols[k - 1].cpu > cols[k].cpu; k--) {
			struct map_col t = cols[k];

			cols[k] = cols[k - 1];
			cols[k - 1] = t;
		}

	printf("%s\n", title);
	for (i = 0; i < n * MAP_COL; i++)
		putchar('=');
	putchar('\n');
	for (i = 0; i < n; i++) {
		printf("   == %02u ==   ", cols[i].cpu);
		if (cols[i].n_vm2vf > rows)
			rows = cols[i].n_vm2vf;
		if (cols[i].n_vf2vm > rows)
			rows = cols[i].n_vf2vm;
	}
	putchar('\n');
	for (i = 0; i < n; i++)
		fputs(" VM2VF  VF2VM ", stdout);
	putchar('\n');
	for (row = 0; row < rows; row++) {
		for (i = 0; i < n; i++) {
			fputs("  ", stdout);
			map_cell(cols[i].vm2vf, cols[i].n_vm2vf, row);
			fputs("     ", stdout);
			map_cell(cols[i].vf2vm, cols[i].n_vf2vm, row);
			fputs("   ", stdout);
		}
		putchar('\n');
	}
	free(cols);
	return CTL_EXIT_OK;
}

/*
 * Without --virtio-cpu (or with --print-core-map), prints the core map.
 * With it, as 1.x: "Setting relay N=CPUS" for each pin, the scheduler's
 * answer ("Scheduler response: OK" or "ERROR"; the reason goes to
 * stderr, which 1.x did not print), and the new map.  Exit status 0 even
 * when the scheduler refused, as in 1.x: scripts test the output.
 */
static int
run_core_pinner(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	Virtioforwarder__CoreSchedRequest q = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__RelayCPU map[VFWD_MAX_RELAYS], *ptrs[VFWD_MAX_RELAYS];
	Virtioforwarder__CoreSchedResponse *r;
	char buf[1024], err[VFWD_ERR_MAX], *tok, *save = NULL;
	const char *cpus[VFWD_MAX_RELAYS];
	struct vfwd_pin pin;
	unsigned int n = 0, i;
	bool ok;
	int rc;

	set_endpoint(c, a, CTL_SVC_STATS, O_STATS_EP, "--stats-ep", EP_STATS);
	set_endpoint(c, a, CTL_SVC_CORE_SCHED, O_SCHED_EP, "--sched-ep",
		     EP_CORE_SCHED);
	if (a->seen[O_PRINT_CORE_MAP] || !a->seen[O_VIRTIO_CPU])
		return print_core_map(c, "Worker cores affinities:");

	/* One pin, as 1.x took it, or several separated by ';'. */
	if (strlen(a->value[O_VIRTIO_CPU]) >= sizeof(buf))
		return arg_error(t, "argument --virtio-cpu: too long");
	snprintf(buf, sizeof(buf), "%s", a->value[O_VIRTIO_CPU]);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		if (vfwd_parse_pin(tok, &pin, err, sizeof(err)) != 0)
			return arg_error(t, "argument --virtio-cpu: '%s': %s", tok, err);
		if (n == VFWD_MAX_RELAYS)
			return arg_error(t, "argument --virtio-cpu: more than %d pins",
					 VFWD_MAX_RELAYS);
		virtioforwarder__relay_cpu__init(&map[n]);
		map[n].relay_number = (int32_t)pin.relay;
		map[n].vf2virtio_cpu = pin.cpu_vf_to_vm;
		map[n].virtio2vf_cpu = pin.cpu_vm_to_vf;
		ptrs[n] = &map[n];
		cpus[n] = strchr(tok, ':') ? strchr(tok, ':') + 1 : tok;
		n++;
	}
	if (n == 0)
		return arg_error(t, "argument --virtio-cpu: no pin given (RELAY:CPU or "
				 "RELAY:CPU,CPU)");
	for (i = 0; i < n; i++)
		printf("Setting relay %d=%s\n", map[i].relay_number, cpus[i]);
	fflush(stdout);
	q.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__UPDATE;
	q.n_relay_cpu_map = n;
	q.relay_cpu_map = ptrs;
	rc = ctl_core_sched_fetch(c, &q, &r, err, sizeof(err));
	if (rc != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	ok = r->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK;
	printf("Scheduler response: %s\n", ok ? "OK" : "ERROR");
	fflush(stdout);
	if (!ok)
		ctl_error(c, "the scheduler refused (error %d): %s",
			  r->has_error_code ? r->error_code : 0,
			  r->error_code_source ? r->error_code_source : "no reason given");
	virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return print_core_map(c, "New worker core mapping:");
}

static int
run_monitor_load(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	Virtioforwarder__CoreSchedRequest q = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedResponse *r;
	struct vfwd_cpuset cores, *only = NULL;
	char err[VFWD_ERR_MAX];
	double interval = 1.0;
	size_t i;
	int rc;

	if (a->seen[O_POLL_INTERVAL]) {
		rc = float_value(t, "--poll-interval", a->value[O_POLL_INTERVAL], 0,
				 3600, true, &interval);
		if (rc != 0)
			return rc;
	}
	set_endpoint(c, a, CTL_SVC_STATS, O_STATS_EP, "--stats-ep", EP_STATS);
	set_endpoint(c, a, CTL_SVC_CORE_SCHED, O_SCHED_EP, "--sched-ep",
		     EP_CORE_SCHED);
	/* The worker CPUs come from the core scheduling service, as in 1.x;
	 * a daemon that does not serve it still has its workers shown. */
	q.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	rc = ctl_core_sched_fetch(c, &q, &r, err, sizeof(err));
	if (rc == -EINTR)
		return CTL_EXIT_OK;
	if (rc != 0) {
		ctl_error(c, "%s; showing the workers the stats service reports", err);
	} else {
		memset(&cores, 0, sizeof(cores));
		for (i = 0; i < r->n_eal_cores; i++)
			if (r->eal_cores[i] < VFWD_MAX_CPUS)
				vfwd_cpuset_add(&cores, r->eal_cores[i]);
		if (r->status == VIRTIOFORWARDER__CORE_SCHED_RESPONSE__STATUS__OK &&
		    vfwd_cpuset_count(&cores) > 0)
			only = &cores;
		virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	}
	return ctl_load_run(c, interval, false, only);
}

static int
run_core_scheduler(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	struct ctl_balance b = {
		.interval = 5, .sensitivity = 0.25, .log_level = 6,
	};
	long level;
	int rc = 0;

	if (a->seen[O_POLL_INTERVAL])
		rc = float_value(t, "--poll-interval", a->value[O_POLL_INTERVAL], 0,
				 3600, true, &b.interval);
	if (rc == 0 && a->seen[O_SENSITIVITY])
		rc = float_value(t, "--sensitivity", a->value[O_SENSITIVITY], 0, 10,
				 false, &b.sensitivity);
	if (rc == 0 && a->seen[O_LOGLEVEL]) {
		rc = int_value(t, "--loglevel", a->value[O_LOGLEVEL], 0, 7, &level);
		b.log_level = (unsigned long)level;
	}
	if (rc != 0)
		return rc;
	b.any_node = a->seen[O_GLOBAL_NUMA_OPT];
	set_endpoint(c, a, CTL_SVC_STATS, O_STATS_EP, "--stats-ep", EP_STATS);
	set_endpoint(c, a, CTL_SVC_CORE_SCHED, O_SCHED_EP, "--sched-ep",
		     EP_CORE_SCHED);
	return ctl_balance_run(c, &b);
}

static int
run_config(struct ctl *c, const struct tool_1x *t, const struct args_1x *a)
{
	Virtioforwarder__ConfigRequest q = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;

	(void)t;
	set_endpoint(c, a, CTL_SVC_CONFIG, O_CONFIG_EP, "--config-ep", EP_CONFIG);
	return request_and_print(c, a, CTL_SVC_CONFIG, &q.base,
				 &virtioforwarder__config_response__descriptor);
}

static const struct tool_1x tools[] = {
	{ "virtioforwarder_port_control.py",
	  "Sends a port control request (PortControlRequest) to a running "
	  "virtio-forwarder and prints the reply; exit status 0 when the daemon "
	  "answered OK, 1 when it answered an error.",
	  port_control_opts, "OP",
	  "add, remove, add_sock, remove_sock or query_pci", run_port_control },
	{ "virtioforwarder_stats.py",
	  "Gathers statistics (including rate stats) from running relay "
	  "instances.",
	  stats_opts, NULL, NULL, run_stats },
	{ "virtioforwarder_core_pinner.py",
	  "Pins relays to worker CPUs at run time; without --virtio-cpu, prints "
	  "the current relay to CPU mapping. A load balancer, if one runs, may "
	  "move them again.",
	  core_pinner_opts, NULL, NULL, run_core_pinner },
	{ "virtioforwarder_monitor_load.py",
	  "Shows the load of the worker CPUs as bars, until interrupted.",
	  monitor_load_opts, NULL, NULL, run_monitor_load },
	{ "virtioforwarder_core_scheduler.py",
	  "The CPU load balancer (vio4wd_core_scheduler): moves relays between "
	  "worker CPUs so that the load spreads evenly, until SIGTERM.",
	  core_scheduler_opts, NULL, NULL, run_core_scheduler },
	{ "virtioforwarder_config.py",
	  "Prints the relay to CPU map of the config service (ConfigResponse).",
	  config_opts, NULL, NULL, run_config },
};
#define N_TOOLS (sizeof(tools) / sizeof(tools[0]))

int
ctl_1x_index(const char *base)
{
	size_t i, n;

	for (i = 0; i < N_TOOLS; i++) {
		/* Without ".py" too, as some packages installed them. */
		n = strlen(tools[i].name) - 3;
		if (!strncmp(base, tools[i].name, n) &&
		    (base[n] == '\0' || !strcmp(base + n, ".py")))
			return (int)i;
	}
	return -1;
}

int
ctl_1x_run(struct ctl *c, int index, int argc, char **argv)
{
	const struct tool_1x *t = &tools[index];
	struct args_1x a;
	int rc;

	c->legacy = true;
	c->cmd = NULL;
	c->prog = t->name;
	rc = parse_1x(t, argc, argv, &a);
	if (rc == CTL_PARSE_HELP) {
		print_help(t);
		return CTL_EXIT_OK;
	}
	if (rc != 0)
		return rc;
	default_endpoints(c);
	return t->run(c, t, &a);
}
