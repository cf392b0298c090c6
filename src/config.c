/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration of the daemon: defaults, the 1.x /etc/default/virtioforwarder
 * file, the 1.x command line, and the value parsers they share.
 *
 * The file is a shell fragment that 1.x sourced with bash.  We do not run a
 * shell: we read the subset of bash syntax that such files use (assignments,
 * quoting, arrays, comments) and refuse what would need a shell to mean
 * anything (expansions, line continuations), so that a value never means
 * something else here than it did under bash.
 *
 * Every variable has one setter, used for the file and for the matching
 * command-line option, so that both accept exactly the same values.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * Limits on what whoever writes the file controls.  They are far above any
 * real file and keep a broken or hostile one from costing much memory.
 */
#define CFG_LINE_MAX 4096
#define CFG_FILE_MAX (1024 * 1024)
#define CFG_ARRAY_MAX 256
#define CFG_VARNAME_MAX 64

/* The 1.x defaults (configuration.md). */
#define DEF_CPU_MASK "1,2"
#define DEF_MAIN_LCORE "0"
#define DEF_LOG_LEVEL "6"
#define DEF_HUGE_DIR "/mnt/huge"
#define DEF_SOCKET_DIR "/tmp"
#define DEF_SOCKET_PATTERN "virtio-forwarder%u.sock"
#define DEF_SOCKET_OWNER "libvirt-qemu"
#define DEF_SOCKET_GROUP "kvm"
#define DEF_ZMQ_PORT_CONTROL_EP "ipc:///var/run/virtio-forwarder/port_control"
#define DEF_ZMQ_STATS_EP "ipc:///var/run/virtio-forwarder/stats"
#define DEF_ZMQ_CORE_SCHED_EP "ipc:///var/run/virtio-forwarder/core_sched"
/*
 * The config endpoint is off by default; this one is used only when -Y is
 * given without a value, following the naming of the other three.
 */
#define DEF_ZMQ_CONFIG_EP "ipc:///var/run/virtio-forwarder/config"
#define DEF_OVSDB_SOCK "/usr/local/var/run/openvswitch/db.sock"
#define DEF_IPC_DIR "/var/run/virtio-forwarder/ipc"
#define DEF_SCHED_SENSITIVITY "0.25"
#define DEF_SCHED_POLL_INTERVAL "5"
#define DEF_PID_DIR "/var/run"
#define PID_FILE_NAME "virtio-forwarder.pid"
#define DEF_FILE_PREFIX "virtio-forwarder"

/* The longest a unix socket path can be (sun_path less its NUL). */
#define SUN_PATH_MAX 107

/* Values are quoted in messages up to this length, then cut with "...". */
#define SHOW_VALUE_MAX 96

/* ---- small helpers ---- */

/* ASCII classes; the locale must not change what a config file means. */
static bool
is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_name_char(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static int
hex_value(int c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
is_print(int c)
{
	return c > 0x20 && c < 0x7f;
}

static const char *
skip_blanks(const char *s)
{
	while (is_blank(*s))
		s++;
	return s;
}

static bool
has_space_or_control(const char *s)
{
	for (; *s; s++)
		if (!is_print((unsigned char)*s))
			return true;
	return false;
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Writes a message into the caller's buffer and returns -EINVAL. */
static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * Copies 'v' for a message: control characters become '?' (a message must
 * stay on one line) and long values are cut so that what follows them, the
 * part that says what is allowed, still fits in the error buffer.
 */
static const char *
show_value(const char *v, char *buf, size_t len)
{
	size_t i;

	for (i = 0; v[i] && i + 1 < len; i++) {
		if (i == SHOW_VALUE_MAX && i + 4 < len) {
			memcpy(buf + i, "...", 3);
			i += 3;
			break;
		}
		bool control = (unsigned char)v[i] < 0x20 || v[i] == 0x7f;

		buf[i] = control ? '?' : v[i];
	}
	buf[i] = '\0';
	return buf;
}

/*
 * Reads the decimal digits at 's' into '*out' and returns how many there
 * were.  Too large a number saturates, so that range checks refuse it.
 */
static size_t
read_dec(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	size_t i;

	for (i = 0; is_digit(s[i]); i++) {
		unsigned int d = s[i] - '0';

		v = v > (ULONG_MAX - d) / 10 ? ULONG_MAX : v * 10 + d;
	}
	*out = v;
	return i;
}

/* Parses a whole string as a decimal integer from 'min' to 'max'. */
static bool
parse_uint(const char *s, unsigned long min, unsigned long max,
	   unsigned long *out)
{
	size_t n = read_dec(s, out);

	return n > 0 && s[n] == '\0' && *out >= min && *out <= max;
}

/* ---- CPU sets ---- */

unsigned int
vfwd_cpuset_count(const struct vfwd_cpuset *s)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < sizeof s->bits / sizeof s->bits[0]; i++)
		n += __builtin_popcountll(s->bits[i]);
	return n;
}

int
vfwd_cpuset_format(const struct vfwd_cpuset *s, char *buf, size_t len)
{
	size_t used = 0;
	int cpu = 0;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	while (cpu < VFWD_MAX_CPUS) {
		int last = cpu;
		int n;

		if (!vfwd_cpuset_has(s, cpu)) {
			cpu++;
			continue;
		}
		while (vfwd_cpuset_has(s, last + 1))
			last++;
		if (last == cpu)
			n = snprintf(buf + used, len - used, "%s%d",
				     used ? "," : "", cpu);
		else
			n = snprintf(buf + used, len - used, "%s%d-%d",
				     used ? "," : "", cpu, last);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += n;
		cpu = last + 1;
	}
	return 0;
}

/* Parses the digits of a hex mask (after "0x") into 'set'. */
static int
parse_cpumask(const char *digits, struct vfwd_cpuset *set,
	      char *err, size_t errlen)
{
	const char *end = digits;
	size_t n, i;

	while (hex_value(*end) >= 0)
		end++;
	n = end - digits;
	if (*skip_blanks(end) != '\0' || n == 0)
		return fail(err, errlen, "a hex mask must be 0x followed by "
			    "1 to %d hex digits", VFWD_MAX_CPUS / 4);
	if (n > VFWD_MAX_CPUS / 4)
		return fail(err, errlen, "a hex mask has at most %d hex digits "
			    "(CPUs 0 to %d)", VFWD_MAX_CPUS / 4,
			    VFWD_MAX_CPUS - 1);
	memset(set, 0, sizeof *set);
	/* The last digit holds CPUs 0-3, the one before it CPUs 4-7... */
	for (i = 0; i < n; i++) {
		int d = hex_value(end[-1 - (ptrdiff_t)i]);
		unsigned int b;

		for (b = 0; b < 4; b++)
			if (d & (1 << b))
				vfwd_cpuset_add(set, i * 4 + b);
	}
	if (!vfwd_cpuset_count(set))
		return fail(err, errlen, "the mask selects no CPU; "
			    "give at least one");
	return 0;
}

/* Reads one CPU number of a list, checking its range. */
static int
read_cpu(const char **sp, unsigned long *cpu, char *err, size_t errlen)
{
	const char *s = skip_blanks(*sp);
	size_t n;

	if (*s == '-')
		return fail(err, errlen, "CPU numbers cannot be negative; give "
			    "CPUs from 0 to %d", VFWD_MAX_CPUS - 1);
	n = read_dec(s, cpu);
	if (!n)
		return fail(err, errlen, "expected a CPU number at '%s'; give "
			    "a list like 1,2 or 0-3,8 or a hex mask like 0x6",
			    *s ? s : "(end)");
	if (*cpu >= VFWD_MAX_CPUS)
		return fail(err, errlen, "CPU %.*s is out of range (0 to %d)",
			    (int)n, s, VFWD_MAX_CPUS - 1);
	*sp = skip_blanks(s + n);
	return 0;
}

int
vfwd_parse_cpulist(const char *s, struct vfwd_cpuset *set,
		   char *err, size_t errlen)
{
	struct vfwd_cpuset tmp;
	const char *p;
	int r;

	if (!s)
		return fail(err, errlen, "no CPU list given");
	p = skip_blanks(s);
	if (*p == '\0')
		return fail(err, errlen, "must not be empty; give a list like "
			    "1,2 or 0-3,8 or a hex mask like 0x6");
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		r = parse_cpumask(p + 2, &tmp, err, errlen);
		if (r == 0)
			*set = tmp;
		return r;
	}

	memset(&tmp, 0, sizeof tmp);
	for (;;) {
		unsigned long lo, hi, cpu;

		r = read_cpu(&p, &lo, err, errlen);
		if (r < 0)
			return r;
		hi = lo;
		if (*p == '-') {
			p++;
			r = read_cpu(&p, &hi, err, errlen);
			if (r < 0)
				return r;
			if (hi < lo)
				return fail(err, errlen, "range %lu-%lu is "
					    "reversed; write %lu-%lu",
					    lo, hi, hi, lo);
		}
		for (cpu = lo; cpu <= hi; cpu++)
			vfwd_cpuset_add(&tmp, cpu);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		return fail(err, errlen, "unexpected '%s'; give a list like "
			    "1,2 or 0-3,8 or a hex mask like 0x6", p);
	}
	*set = tmp;
	return 0;
}

/* ---- pins ---- */

#define PIN_FORMAT "RELAY:CPU or RELAY:CPU,CPU (optionally prefixed " \
		   "with --virtio-cpu=)"

int
vfwd_parse_pin(const char *s, struct vfwd_pin *pin,
	       char *err, size_t errlen)
{
	static const char prefix[] = "--virtio-cpu=";
	unsigned long relay, cpus[2];
	unsigned int n_cpus = 0;
	const char *p;
	size_t n;

	if (!s)
		return fail(err, errlen, "no pin given");
	p = skip_blanks(s);
	if (!strncmp(p, prefix, sizeof prefix - 1))
		p += sizeof prefix - 1;

	n = read_dec(p, &relay);
	if (!n || p[n] != ':')
		return fail(err, errlen, "must be " PIN_FORMAT);
	if (relay >= VFWD_MAX_RELAYS)
		return fail(err, errlen, "relay %.*s is out of range (0 to %d)",
			    (int)n, p, VFWD_MAX_RELAYS - 1);
	p += n + 1;

	for (;;) {
		unsigned long cpu;

		n = read_dec(p, &cpu);
		if (!n)
			return fail(err, errlen, "must be " PIN_FORMAT);
		if (cpu >= VFWD_MAX_CPUS)
			return fail(err, errlen, "CPU %.*s is out of range "
				    "(0 to %d)", (int)n, p, VFWD_MAX_CPUS - 1);
		if (n_cpus == 2)
			return fail(err, errlen, "at most two CPUs: the first "
				    "serves VF to VM, the second VM to VF");
		cpus[n_cpus++] = cpu;
		p += n;
		if (*p != ',')
			break;
		p++;
	}
	if (*skip_blanks(p) != '\0')
		return fail(err, errlen, "must be " PIN_FORMAT);

	pin->relay = relay;
	pin->cpu_vf_to_vm = cpus[0];
	pin->cpu_vm_to_vf = cpus[n_cpus - 1];
	return 0;
}

/* ---- devices ---- */

/*
 * Reads 1 to 'max' hex digits; 0 when there are none or more than 'max'
 * (so "0000012:..." is not taken for a short domain).
 */
static size_t
read_hex(const char *s, size_t max, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; hex_value(s[i]) >= 0; i++) {
		if (i == max)
			return 0;
		v = v << 4 | hex_value(s[i]);
	}
	*out = v;
	return i;
}

int
vfwd_parse_pci(const char *s, uint32_t *domain, uint32_t *bus,
	       uint32_t *slot, uint32_t *function)
{
	uint32_t a, b, c = 0, d;
	size_t n, n_first;
	bool has_domain;

	/* The domain can need more than four digits (VMD uses 10000). */
	n = n_first = read_hex(s, 8, &a);
	if (!n || s[n] != ':')
		return -EINVAL;
	s += n + 1;
	n = read_hex(s, 2, &b);
	if (!n)
		return -EINVAL;
	s += n;
	has_domain = *s == ':';
	if (has_domain) {
		n = read_hex(++s, 2, &c);
		if (!n)
			return -EINVAL;
		s += n;
	} else if (n_first > 2) {
		return -EINVAL;         /* a bus has two digits */
	}
	if (*s != '.' || hex_value(s[1]) < 0 || s[2] != '\0')
		return -EINVAL;
	d = hex_value(s[1]);

	if (!has_domain) {
		c = b;
		b = a;
		a = 0;
	}
	if (c > 0x1f || d > 7)
		return -EINVAL;
	*domain = a;
	*bus = b;
	*slot = c;
	*function = d;
	return 0;
}

int
vfwd_parse_static_dev(const char *s, struct vfwd_static_dev *dev,
		      char *err, size_t errlen)
{
	char spec[VFWD_DEVSPEC_MAX], name[VFWD_DEVSPEC_MAX];
	uint32_t domain, bus, slot, function;
	unsigned long relay;
	const char *eq, *opts;
	size_t len, i;
	int n;

	if (!s)
		return fail(err, errlen, "no device given");
	eq = strrchr(s, '=');
	if (!eq)
		return fail(err, errlen, "must be <PCI address or devargs>="
			    "<relay id>, e.g. 0000:05:08.1=1");
	if (!parse_uint(eq + 1, 0, VFWD_MAX_RELAYS - 1, &relay))
		return fail(err, errlen, "relay id '%s' must be an integer "
			    "from 0 to %d", eq + 1, VFWD_MAX_RELAYS - 1);
	len = eq - s;
	if (len == 0)
		return fail(err, errlen, "the device before '=' is empty; "
			    "give a PCI address or DPDK devargs");
	if (len >= VFWD_DEVSPEC_MAX)
		return fail(err, errlen, "the device is %zu bytes long "
			    "(at most %d)", len, VFWD_DEVSPEC_MAX - 1);
	memcpy(spec, s, len);
	spec[len] = '\0';
	if (has_space_or_control(spec))
		return fail(err, errlen, "the device must not contain "
			    "whitespace or control characters");

	/* The name part: a PCI address, or the DPDK driver instance name. */
	opts = strchr(spec, ',');
	len = opts ? (size_t)(opts - spec) : strlen(spec);
	memcpy(name, spec, len);
	name[len] = '\0';
	if (!opts)
		opts = "";

	if (!vfwd_parse_pci(name, &domain, &bus, &slot, &function)) {
		/*
		 * DPDK accepts options after a PCI address too
		 * ("0000:05:00.0,representor=[0-3]"); keep them.
		 */
		n = snprintf(dev->spec, sizeof dev->spec, "%04x:%02x:%02x.%x%s",
			     domain, bus, slot, function, opts);
		if (n < 0 || (size_t)n >= sizeof dev->spec)
			return fail(err, errlen, "the device is too long "
				    "(at most %d bytes)", VFWD_DEVSPEC_MAX - 1);
		dev->relay = relay;
		return 0;
	}

	for (i = 0; i < len; i++)
		if (!is_name_char(name[i]))
			break;
	if (len == 0 || i < len)
		return fail(err, errlen, "'%s' is neither a PCI address "
			    "(DDDD:BB:SS.F) nor DPDK devargs "
			    "(name[,key=value...], name of letters, digits "
			    "and '_')", name);
	memcpy(dev->spec, spec, strlen(spec) + 1);
	dev->relay = relay;
	return 0;
}

/* ---- socket names ---- */

#define PATTERN_SIZE sizeof(((struct vfwd_config *)0)->socket_pattern)

/*
 * Expands 'pattern' for relay 'id' into 'buf' (which may be NULL when
 * 'len' is 0) and returns the length of the full expansion, as snprintf()
 * does, or -EINVAL when the pattern has a conversion other than %u and %%.
 */
static int
expand_pattern(const char *pattern, unsigned int id, char *buf, size_t len)
{
	char num[16];
	size_t out = 0;
	const char *p;

	for (p = pattern; *p; p++) {
		const char *piece = p;
		size_t n = 1, i;

		if (*p == '%') {
			if (p[1] == 'u') {
				n = snprintf(num, sizeof num, "%u", id);
				piece = num;
			} else if (p[1] != '%') {
				return -EINVAL;
			}
			p++;
		}
		for (i = 0; i < n; i++, out++)
			if (out + 1 < len)
				buf[out] = piece[i];
	}
	if (len)
		buf[out < len ? out : len - 1] = '\0';
	return out > INT_MAX ? -EINVAL : (int)out;
}

int
vfwd_check_socket_pattern(const char *pattern, char *err, size_t errlen)
{
	unsigned int n_u = 0;
	const char *p;
	int len;

	if (!pattern || !*pattern)
		return fail(err, errlen, "must not be empty; give a file name "
			    "with one %%u for the relay id");
	for (p = pattern; *p; p++) {
		if (*p == '/')
			return fail(err, errlen, "must be a file name without "
				    "'/'; the directory is "
				    "VIRTIOFWD_SOCKET_DIR");
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(err, errlen, "must not contain control "
				    "characters");
		if (*p != '%')
			continue;
		p++;
		if (*p == 'u')
			n_u++;
		else if (*p != '%')
			return fail(err, errlen, "'%%%.1s' is not allowed; "
				    "only one %%u (the relay id) and %%%% may "
				    "appear", p);
	}
	if (n_u != 1)
		return fail(err, errlen, "must contain %%u (the relay id) "
			    "exactly once, not %u times", n_u);
	if (strlen(pattern) >= PATTERN_SIZE)
		return fail(err, errlen, "is too long (at most %zu bytes)",
			    PATTERN_SIZE - 1);
	len = expand_pattern(pattern, VFWD_MAX_RELAYS - 1, NULL, 0);
	if (len < 0 || len > NAME_MAX)
		return fail(err, errlen, "makes file names longer than %d "
			    "bytes", NAME_MAX);
	return 0;
}

int
vfwd_socket_path(const struct vfwd_config *cfg, unsigned int id,
		 char *buf, size_t len)
{
	size_t dirlen = strlen(cfg->socket_dir);
	const char *sep;
	int n;

	/* "/tmp/" and "/" must not give "//". */
	sep = dirlen && cfg->socket_dir[dirlen - 1] == '/' ? "" : "/";
	if (dirlen + strlen(sep) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, cfg->socket_dir, dirlen);
	memcpy(buf + dirlen, sep, strlen(sep));
	dirlen += strlen(sep);
	n = expand_pattern(cfg->socket_pattern, id, buf + dirlen, len - dirlen);
	if (n < 0)
		return n;
	if ((size_t)n >= len - dirlen)
		return -ENAMETOOLONG;
	return 0;
}

/* ---- variables ---- */

enum var_kind {
	V_CPUSET,       /* CPU list or mask */
	V_INT,          /* integer in [min, max] */
	V_DOUBLE,       /* number in (0, max] */
	V_PATH,         /* absolute path */
	V_OVSDB,        /* ovsdb-server: path, unix:PATH or tcp:IP:PORT */
	V_PID_DIR,      /* directory of the pid file */
	V_PATTERN,      /* socket file name pattern */
	V_USER,         /* user or group name; empty: do not chown */
	V_EP,           /* ZeroMQ endpoint; empty: off */
	V_FLAG,         /* 1.x "non-empty enables" */
	V_BOOL,         /* 1.x "true or false" */
	V_UUID,
	V_FILE_PREFIX,
	V_STATIC_VFS,   /* list: <device>=<relay> */
	V_PINS,         /* list: RELAY:CPU[,CPU] */
	V_EAL_ARGS,     /* list: EAL arguments */
};

struct var {
	const char *name;
	enum var_kind kind;
	size_t off;             /* of the field set */
	size_t size;            /* of that field (strings) */
	long max;               /* V_INT, V_DOUBLE */
	long min;               /* V_INT */
	/*
	 * What an empty value means when it is not "off" or "none": the
	 * default.  1.x start scripts passed an option only for a non-empty
	 * variable, and shipped files carry "NAME=" lines.
	 */
	const char *def;
	ptrdiff_t set_off;      /* bool recording an explicit value, or -1 */
};

#define F(field) offsetof(struct vfwd_config, field), \
		 sizeof(((struct vfwd_config *)0)->field)
#define NO_SET (-1)
#define SET(field) (ptrdiff_t)offsetof(struct vfwd_config, field)

static const struct var vars[] = {
	{ "VIRTIOFWD_CPU_MASK", V_CPUSET, F(workers), 0, 0,
	  DEF_CPU_MASK, NO_SET },
	{ "VIRTIOFWD_MASTER_LCORE", V_INT, F(main_lcore), VFWD_MAX_CPUS - 1,
	  0, DEF_MAIN_LCORE, NO_SET },
	{ "VIRTIOFWD_LOG_LEVEL", V_INT, F(log_level), 7, 0,
	  DEF_LOG_LEVEL, NO_SET },
	{ "VIRTIOFWD_HUGETLBFS_MOUNT_POINT", V_PATH, F(huge_dir), 0, 0,
	  DEF_HUGE_DIR, NO_SET },
	{ "VIRTIOFWD_SOCKET_DIR", V_PATH, F(socket_dir), 0, 0,
	  DEF_SOCKET_DIR, NO_SET },
	{ "VIRTIOFWD_SOCKET_FNAME_PATTERN", V_PATTERN, F(socket_pattern), 0, 0,
	  DEF_SOCKET_PATTERN, NO_SET },
	{ "VIRTIOFWD_SOCKET_OWNER", V_USER, F(socket_owner), 0, 0,
	  NULL, SET(socket_owner_set) },
	{ "VIRTIOFWD_SOCKET_GROUP", V_USER, F(socket_group), 0, 0,
	  NULL, SET(socket_group_set) },
	{ "VIRTIOFWD_VHOST_CLIENT", V_FLAG, F(vhost_client), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_DYNAMIC_SOCKETS", V_BOOL, F(dynamic_sockets), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_STATIC_VFS", V_STATIC_VFS, F(static_devs), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_CPU_PINS", V_PINS, F(pins), 0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP", V_EP, F(zmq_port_control_ep), 0, 0,
	  NULL, SET(zmq_port_control_set) },
	{ "VIRTIOFWD_ZMQ_STATS_EP", V_EP, F(zmq_stats_ep), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_ZMQ_CORE_SCHED_EP", V_EP, F(zmq_core_sched_ep), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_ZMQ_CONFIG_EP", V_EP, F(zmq_config_ep), 0, 0,
	  NULL, NO_SET },
	{ "VIO4WD_CORE_SCHED_ENABLE", V_BOOL, F(core_sched_enable), 0, 0,
	  NULL, NO_SET },
	{ "VIO4WD_CORE_SCHED_SENSITIVITY", V_DOUBLE, F(sched_sensitivity),
	  10, 0, DEF_SCHED_SENSITIVITY, NO_SET },
	{ "VIO4WD_CORE_SCHED_POLL_INTERVAL", V_INT, F(sched_poll_interval),
	  3600, 1, DEF_SCHED_POLL_INTERVAL, NO_SET },
	{ "VIO4WD_CORE_SCHED_LOG_LEVEL", V_INT, F(sched_log_level), 7, 0,
	  DEF_LOG_LEVEL, NO_SET },
	{ "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT", V_FLAG, F(sched_global_numa),
	  0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_OVSDB_SOCK_PATH", V_OVSDB, F(ovsdb_sock), 0, 0,
	  DEF_OVSDB_SOCK, SET(ovsdb_sock_set) },
	{ "VIRTIOFWD_IPC_PORT_CONTROL", V_FLAG, F(ipc_port_control), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_IPC_DIR", V_PATH, F(ipc_dir), 0, 0, DEF_IPC_DIR, NO_SET },
	{ "VIRTIOFWD_JUMBO", V_FLAG, F(jumbo), 0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_MRGBUF", V_FLAG, F(mrgbuf), 0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_TSO", V_FLAG, F(tso), 0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_CPU_NIC_SAME_NUMA", V_FLAG, F(same_numa), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_VFIO_VF_TOKEN", V_UUID, F(vfio_vf_token), 0, 0,
	  NULL, NO_SET },
	{ "VIRTIOFWD_PID_DIR", V_PID_DIR, F(pid_path), 0, 0,
	  DEF_PID_DIR, NO_SET },
	{ "VIRTIOFWD_EAL_ARGS", V_EAL_ARGS, F(eal_args), 0, 0, NULL, NO_SET },
	{ "VIRTIOFWD_FILE_PREFIX", V_FILE_PREFIX, F(file_prefix), 0, 0,
	  DEF_FILE_PREFIX, NO_SET },
};

static const struct var *
find_var(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (!strcmp(vars[i].name, name))
			return &vars[i];
	return NULL;
}

static bool
is_list(const struct var *var)
{
	return var->kind == V_STATIC_VFS || var->kind == V_PINS
	       || var->kind == V_EAL_ARGS;
}

static bool
strcase_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

static const char *const false_words[] = {
	"false", "no", "off", "0", "n", NULL
};
static const char *const true_words[] = {
	"true", "yes", "on", "1", "y", NULL
};

static int
check_path(const char *v, size_t size, char *why, size_t len)
{
	const char *p;

	if (v[0] != '/')
		return fail(why, len, "must be an absolute path (starting "
			    "with '/')");
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return fail(why, len, "must not contain control "
				    "characters");
	return strlen(v) < size ? 0 : fail(why, len, "is too long "
					   "(at most %zu bytes)", size - 1);
}

static int
check_endpoint(const char *v, char *why, size_t len)
{
	static const char *const schemes[] = {
		"ipc://", "tcp://", "inproc://",
	};
	size_t i;

	for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
		size_t n = strlen(schemes[i]);

		if (strncmp(v, schemes[i], n))
			continue;
		if (v[n] == '\0' || has_space_or_control(v))
			break;
		if (strlen(v) >= VFWD_EP_MAX)
			return fail(why, len, "is too long (at most %d bytes)",
				    VFWD_EP_MAX - 1);
		return 0;
	}
	return fail(why, len, "must be an endpoint ipc://PATH, tcp://HOST:PORT "
		    "or inproc://NAME, or empty (off)");
}

static int
check_user(const char *v, char *why, size_t len)
{
	if (strlen(v) >= VFWD_NAME_MAX || has_space_or_control(v)
	    || strpbrk(v, ":/"))
		return fail(why, len, "must be a name of at most %d "
			    "characters without whitespace, ':' or '/', or "
			    "empty (do not chown)", VFWD_NAME_MAX - 1);
	return 0;
}

static int
check_uuid(const char *v, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? v[i] != '-' : hex_value(v[i]) < 0)
			break;
	}
	if (i < 36 || v[36] != '\0')
		return fail(why, len, "must be a UUID like "
			    "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	return 0;
}

/* The tokens of a list value are separated by whitespace (and ';'). */
static const char *
next_token(const char **sp, const char *seps, size_t *n)
{
	const char *s = *sp;

	while (*s && strchr(seps, *s))
		s++;
	if (!*s)
		return NULL;
	*n = strcspn(s, seps);
	*sp = s + *n;
	return s;
}

static int
add_static_dev(struct vfwd_config *cfg, const char *tok,
	       char *why, size_t len)
{
	struct vfwd_static_dev dev;
	unsigned int i;
	int r;

	/* No stack garbage after the spec: configs compare with memcmp(). */
	memset(&dev, 0, sizeof dev);
	r = vfwd_parse_static_dev(tok, &dev, why, len);
	if (r < 0)
		return r;
	for (i = 0; i < cfg->n_static_devs; i++) {
		const struct vfwd_static_dev *o = &cfg->static_devs[i];

		if (o->relay == dev.relay)
			return fail(why, len, "relay %u is given twice (%s "
				    "and %s); each relay serves one device",
				    dev.relay, o->spec, dev.spec);
		if (!strcmp(o->spec, dev.spec))
			return fail(why, len, "%s is given twice (relays %u "
				    "and %u)", dev.spec, o->relay, dev.relay);
	}
	/* Distinct relays below VFWD_MAX_RELAYS cannot overflow the array. */
	cfg->static_devs[cfg->n_static_devs++] = dev;
	return 0;
}

static int
add_pin(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	struct vfwd_pin pin;
	unsigned int i;
	int r;

	r = vfwd_parse_pin(tok, &pin, why, len);
	if (r < 0)
		return r;
	/* As in 1.x, a later pin of the same relay replaces the earlier. */
	for (i = 0; i < cfg->n_pins; i++)
		if (cfg->pins[i].relay == pin.relay)
			break;
	cfg->pins[i] = pin;
	if (i == cfg->n_pins)
		cfg->n_pins++;
	return 0;
}

static int
add_eal_arg(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	size_t used = strlen(cfg->eal_args);
	size_t n = strlen(tok);

	if (has_space_or_control(tok))
		return fail(why, len, "an EAL argument must not contain "
			    "whitespace; give each argument as its own "
			    "array element or word");
	if (used + (used > 0) + n >= sizeof cfg->eal_args)
		return fail(why, len, "the EAL arguments are too long (at "
			    "most %zu bytes in all)", sizeof cfg->eal_args - 1);
	if (used)
		cfg->eal_args[used++] = ' ';
	memcpy(cfg->eal_args + used, tok, n + 1);
	return 0;
}

/*
 * Adds the entries of one list value (a scalar, an array element or an
 * option argument) to the list of 'var'.  A failing entry is named when
 * the value holds more than one.
 */
static int
append_list(struct vfwd_config *cfg, const struct var *var, const char *v,
	    char *why, size_t len)
{
	const char *seps = var->kind == V_PINS ? " \t\r\n\v\f;"
					       : " \t\r\n\v\f";
	char tok[VFWD_EAL_ARGS_MAX + VFWD_DEVSPEC_MAX];
	const char *whole = v, *t;
	size_t n;
	int r;

	while ((t = next_token(&v, seps, &n))) {
		char inner[VFWD_ERR_MAX], shown[SHOW_VALUE_MAX + 8];

		if (n >= sizeof tok)
			return fail(why, len, "'%.32s...' is too long", t);
		memcpy(tok, t, n);
		tok[n] = '\0';
		switch (var->kind) {
		case V_STATIC_VFS:
			r = add_static_dev(cfg, tok, inner, sizeof inner);
			break;
		case V_PINS:
			r = add_pin(cfg, tok, inner, sizeof inner);
			break;
		default:
			r = add_eal_arg(cfg, tok, inner, sizeof inner);
			break;
		}
		if (r < 0) {
			if (t == whole && n == strlen(whole))
				return fail(why, len, "%s", inner);
			show_value(tok, shown, sizeof shown);
			return fail(why, len, "'%s': %s", shown, inner);
		}
	}
	return 0;
}

static void
clear_list(struct vfwd_config *cfg, const struct var *var)
{
	if (var->kind == V_STATIC_VFS)
		cfg->n_static_devs = 0;
	else if (var->kind == V_PINS)
		cfg->n_pins = 0;
	else
		cfg->eal_args[0] = '\0';
}

/*
 * Applies one value to 'var'.  On error, 'why' says what is allowed and
 * nothing is changed (list entries already added stay; callers that need
 * all-or-nothing save the list).
 */
static int
apply_value(struct vfwd_config *cfg, const struct var *var, const char *v,
	    char *why, size_t len)
{
	char *field = (char *)cfg + var->off;
	bool empty = *v == '\0';
	unsigned long ul;
	int r = 0;

	if (empty && var->def)
		v = var->def;

	switch (var->kind) {
	case V_CPUSET:
		r = vfwd_parse_cpulist(v, (struct vfwd_cpuset *)field,
				       why, len);
		break;
	case V_INT:
		if (!parse_uint(v, var->min, var->max, &ul))
			return fail(why, len, "must be an integer from %ld "
				    "to %ld", var->min, var->max);
		/*
		 * The fields are int or unsigned int; writing either through
		 * an int lvalue is allowed (C11 6.5p7), and ul <= max fits.
		 */
		*(int *)field = (int)ul;
		break;
	case V_DOUBLE: {
		bool plain;
		char *end;
		double d = 0;

		/* Digits and one '.': no signs, exponents, hex, inf or nan. */
		plain = strspn(v, "0123456789.") == strlen(v)
			&& strchr(v, '.') == strrchr(v, '.');
		errno = 0;
		if (plain)
			d = strtod(v, &end);
		if (!plain || end == v || *end || errno
		    || !(d > 0 && d <= var->max))
			return fail(why, len, "must be a number greater than "
				    "0 and at most %ld", var->max);
		*(double *)field = d;
		break;
	}
	case V_PATH:
		r = check_path(v, var->size, why, len);
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	case V_OVSDB: {
		unsigned int a, b, c, d, port;
		char tail;

		/* The forms ovsdb-server's --remote takes for a client. */
		if (strncmp(v, "tcp:", 4) == 0) {
			if (sscanf(v + 4, "%u.%u.%u.%u:%u%c", &a, &b, &c, &d, &port,
				   &tail) != 5 || a > 255 || b > 255 || c > 255 ||
			    d > 255 || port == 0 || port > 65535)
				return fail(why, len, "must be a socket path, unix:PATH "
					    "or tcp:IPv4:PORT");
			r = 0;
		} else {
			r = check_path(strncmp(v, "unix:", 5) == 0 ? v + 5 : v,
				       var->size, why, len);
		}
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	}
	case V_PID_DIR: {
		char path[PATH_MAX];
		size_t n = strlen(v);
		int k;

		r = check_path(v, var->size, why, len);
		if (r < 0)
			return r;
		k = snprintf(path, sizeof path, "%s%s" PID_FILE_NAME, v,
			     v[n - 1] == '/' ? "" : "/");
		if (k < 0 || (size_t)k >= var->size)
			return fail(why, len, "is too long (at most %zu bytes "
				    "with /" PID_FILE_NAME ")", var->size - 1);
		memcpy(field, path, k + 1);
		break;
	}
	case V_PATTERN:
		r = vfwd_check_socket_pattern(v, why, len);
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	case V_USER:
		r = check_user(v, why, len);
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	case V_EP:
		if (!empty)
			r = check_endpoint(v, why, len);
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	case V_FLAG:
		*(bool *)field = !empty && !strcase_in(v, false_words);
		break;
	case V_BOOL:
		if (empty || strcase_in(v, false_words))
			*(bool *)field = false;
		else if (strcase_in(v, true_words))
			*(bool *)field = true;
		else
			return fail(why, len, "must be true or false (yes/no, "
				    "on/off and 1/0 are accepted too)");
		break;
	case V_UUID:
		if (!empty)
			r = check_uuid(v, why, len);
		if (r == 0)
			memcpy(field, v, strlen(v) + 1);
		break;
	case V_FILE_PREFIX:
		if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_-") != strlen(v)
		    || strlen(v) >= var->size)
			return fail(why, len, "must be 1 to %zu letters, "
				    "digits, "
				    "'_' or '-'", var->size - 1);
		memcpy(field, v, strlen(v) + 1);
		break;
	case V_STATIC_VFS:
	case V_PINS:
	case V_EAL_ARGS:
		r = append_list(cfg, var, v, why, len);
		break;
	}
	if (r == 0 && var->set_off >= 0)
		*(bool *)((char *)cfg + var->set_off) =
			var->kind == V_OVSDB ? !empty : true;
	return r;
}

/* Composes "<what>=<value>: <why>" into 'err'. */
static int
fail_value(char *err, size_t errlen, const char *what, const char *value,
	   const char *why)
{
	char shown[SHOW_VALUE_MAX + 8];

	return fail(err, errlen, "%s=%s: %s", what,
		    show_value(value, shown, sizeof shown), why);
}

/*
 * vfwd_config_set() with 'where' ("file:line") to prefix the warning about
 * an unknown variable.
 */
static int
config_set_at(struct vfwd_config *cfg, const char *where, const char *name,
	      const char *const *values, unsigned int n_values, bool is_array,
	      char *err, size_t errlen)
{
	const struct var *var = find_var(name);
	char why[VFWD_ERR_MAX];
	struct vfwd_config *saved;
	unsigned int i;
	int r = 0;

	if (!var) {
		vfwd_config_warn("%s%sunknown variable %s, ignored",
				 where ? where : "", where ? ": " : "", name);
		return 1;
	}

	if (!is_list(var)) {
		const char *v = n_values ? values[0] : "";

		if (n_values > 1)
			return fail(err, errlen, "%s: takes a single value, "
				    "not an array of %u", name, n_values);
		if (apply_value(cfg, var, v, why, sizeof why) < 0)
			return fail_value(err, errlen, name, v, why);
		return 0;
	}

	/* A list is assigned as a whole: a failing entry keeps the old one. */
	saved = malloc(sizeof *saved);
	if (!saved) {
		fail(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	*saved = *cfg;
	clear_list(cfg, var);
	for (i = 0; i < n_values && r == 0; i++) {
		if (var->kind == V_EAL_ARGS && is_array
		    && has_space_or_control(values[i])) {
			r = fail_value(err, errlen, name, values[i],
				       "an array element must be a single EAL "
				       "argument, without whitespace");
			break;
		}
		r = apply_value(cfg, var, values[i], why, sizeof why);
		if (r < 0)
			fail_value(err, errlen, name, values[i], why);
	}
	if (r < 0)
		*cfg = *saved;
	free(saved);
	return r;
}

int
vfwd_config_set(struct vfwd_config *cfg, const char *name,
		const char *const *values, unsigned int n_values,
		bool is_array, char *err, size_t errlen)
{
	return config_set_at(cfg, NULL, name, values, n_values, is_array,
			     err, errlen);
}

void
vfwd_config_defaults(struct vfwd_config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	vfwd_cpuset_add(&cfg->workers, 1);
	vfwd_cpuset_add(&cfg->workers, 2);
	cfg->main_lcore = 0;
	cfg->log_level = 6;
	cfg->log_target = VFWD_LOG_STDERR;
	strcpy(cfg->huge_dir, DEF_HUGE_DIR);
	strcpy(cfg->pid_path, DEF_PID_DIR "/" PID_FILE_NAME);
	strcpy(cfg->file_prefix, DEF_FILE_PREFIX);
	strcpy(cfg->socket_dir, DEF_SOCKET_DIR);
	strcpy(cfg->socket_pattern, DEF_SOCKET_PATTERN);
	strcpy(cfg->socket_owner, DEF_SOCKET_OWNER);
	strcpy(cfg->socket_group, DEF_SOCKET_GROUP);
	strcpy(cfg->zmq_port_control_ep, DEF_ZMQ_PORT_CONTROL_EP);
	strcpy(cfg->zmq_stats_ep, DEF_ZMQ_STATS_EP);
	strcpy(cfg->zmq_core_sched_ep, DEF_ZMQ_CORE_SCHED_EP);
	strcpy(cfg->ovsdb_sock, DEF_OVSDB_SOCK);
	strcpy(cfg->ipc_dir, DEF_IPC_DIR);
	cfg->sched_sensitivity = 0.25;
	cfg->sched_poll_interval = 5;
	cfg->sched_log_level = 6;
}

/*
 * Warnings go to stderr.  The definition is weak so that the daemon can
 * route them into its log, and tests can catch them, by defining their own.
 */
__attribute__((weak)) void
vfwd_config_warn(const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One write, so that concurrent output does not split the line. */
	fprintf(stderr, "virtio-forwarder: warning: %s\n", msg);
}

/* ---- the file ---- */

/*
 * The reader of the file.  Words are written into 'arena', which is as
 * large as the text plus one NUL per word: quoting only ever shrinks a
 * word, so it cannot overflow.
 */
struct lexer {
	const char *p;
	const char *end;
	unsigned int line;
	const char *file;
	char *err;
	size_t errlen;
};

static int
lex_fail(const struct lexer *lx, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
lex_fail(const struct lexer *lx, unsigned int line, const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return fail(lx->err, lx->errlen, "%s:%u: %s", lx->file, line, msg);
}

static bool
at_eol(const struct lexer *lx, const char *p)
{
	return p == lx->end || *p == '\n';
}

static void
skip_to_eol(struct lexer *lx)
{
	while (!at_eol(lx, lx->p))
		lx->p++;
}

static int
expansion_fail(const struct lexer *lx, const char *name)
{
	return lex_fail(lx, lx->line, "%s: shell expansion ('$' or '`') is "
			"not supported; write the value literally or escape "
			"'$' as '\\$'", name);
}

/* Copies a '...' string from after its opening quote; no escapes. */
static int
read_single_quoted(struct lexer *lx, const char **pp, char **op,
		   const char *name)
{
	const char *p = *pp;
	char *o = *op;

	for (; !at_eol(lx, p) && *p != '\''; p++)
		*o++ = *p;
	if (at_eol(lx, p))
		return lex_fail(lx, lx->line, "%s: unterminated single quote",
				name);
	*pp = p + 1;
	*op = o;
	return 0;
}

/*
 * Copies a "..." string from after its opening quote.  As in bash, a
 * backslash escapes only " \ $ and `; before anything else it is kept.
 */
static int
read_double_quoted(struct lexer *lx, const char **pp, char **op,
		   const char *name)
{
	const char *p = *pp;
	char *o = *op;

	for (; !at_eol(lx, p) && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]))
			*o++ = *++p;
		else if (*p == '$' || *p == '`')
			return expansion_fail(lx, name);
		else
			*o++ = *p;
	}
	if (at_eol(lx, p))
		return lex_fail(lx, lx->line, "%s: unterminated double quote",
				name);
	*pp = p + 1;
	*op = o;
	return 0;
}

/*
 * Reads one word (quoted parts included) at lx->p into '*out'.  In an
 * array, an unquoted ')' ends the word.  Quotes do not span lines: no
 * value holds a newline, and an unclosed quote is then reported on its
 * own line rather than at the end of the file.
 */
static int
read_word(struct lexer *lx, const char *name, bool in_array, char **out)
{
	const char *p = lx->p;
	char *o = *out;
	int r = 0;

	while (!at_eol(lx, p) && !is_blank(*p) && !(in_array && *p == ')')) {
		if (*p == '\'') {
			p++;
			r = read_single_quoted(lx, &p, &o, name);
		} else if (*p == '"') {
			p++;
			r = read_double_quoted(lx, &p, &o, name);
		} else if (*p == '\\') {
			if (at_eol(lx, p + 1))
				return lex_fail(lx, lx->line, "%s: a '\\' at "
						"the end of a line (line "
						"continuation) is not "
						"supported", name);
			*o++ = p[1];
			p += 2;
		} else if (*p == '$' || *p == '`') {
			return expansion_fail(lx, name);
		} else {
			*o++ = *p++;
		}
		if (r < 0)
			return r;
	}
	*o++ = '\0';
	*out = o;
	lx->p = p;
	return 0;
}

/* Reads the elements of "(a b ...)" from after the '('. */
static int
read_array(struct lexer *lx, const char *name, char **out,
	   const char **values, unsigned int *n_values)
{
	unsigned int start = lx->line;

	*n_values = 0;
	for (;;) {
		int r;

		lx->p = skip_blanks(lx->p);
		if (lx->p == lx->end)
			return lex_fail(lx, start, "%s: unterminated array "
					"(no ')' before the end of the file)",
					name);
		if (*lx->p == '\n') {
			lx->p++;
			lx->line++;
			continue;
		}
		if (*lx->p == '#') {
			skip_to_eol(lx);
			continue;
		}
		if (*lx->p == ')') {
			lx->p++;
			return 0;
		}
		if (*n_values == CFG_ARRAY_MAX)
			return lex_fail(lx, lx->line, "%s: more than %d array "
					"elements", name, CFG_ARRAY_MAX);
		values[*n_values] = *out;
		r = read_word(lx, name, true, out);
		if (r < 0)
			return r;
		(*n_values)++;
	}
}

/*
 * Reads one assignment, "[export ]NAME=value" or "NAME=(...)", from the
 * first non-blank character of a line, and applies it.
 */
static int
read_assignment(struct lexer *lx, struct vfwd_config *cfg, char *arena)
{
	const char *values[CFG_ARRAY_MAX];
	char name[CFG_VARNAME_MAX + 1];
	unsigned int n_values, line = lx->line;
	bool exported = false, is_array;
	char where[PATH_MAX + 16], msg[VFWD_ERR_MAX];
	const char *p = lx->p;
	char *out = arena;
	size_t n;
	int r;

	if (!strncmp(p, "export", 6) && is_blank(p[6])) {
		p = skip_blanks(p + 6);
		exported = true;
	}
	for (n = 0; is_name_char(p[n]); n++)
		continue;
	if (n == 0 || is_digit(p[0]))
		return lex_fail(lx, line, "expected NAME=value");
	if (n > CFG_VARNAME_MAX)
		return lex_fail(lx, line, "variable name longer than %d "
				"characters", CFG_VARNAME_MAX);
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	lx->p = p;

	/* "export NAME" of a variable already set changes nothing here. */
	if (exported && (at_eol(lx, p) || is_blank(*p) || *p == '#')) {
		p = skip_blanks(p);
		if (at_eol(lx, p) || *p == '#') {
			lx->p = p;
			skip_to_eol(lx);
			return 0;
		}
	}
	if (p[0] == '+' && p[1] == '=')
		return lex_fail(lx, line, "%s: '+=' is not supported; assign "
				"the whole value", name);
	if (*p != '=')
		return lex_fail(lx, line, "expected NAME=value (without "
				"spaces around '='), found '%.*s'",
				(int)strcspn(lx->p - n, "\n"), lx->p - n);
	lx->p = p + 1;

	is_array = *lx->p == '(';
	if (is_array) {
		lx->p++;
		r = read_array(lx, name, &out, values, &n_values);
	} else {
		values[0] = out;
		n_values = 1;
		r = read_word(lx, name, false, &out);
	}
	if (r < 0)
		return r;

	/* After the value: blanks, then a comment or the end of the line. */
	lx->p = skip_blanks(lx->p);
	if (lx->p < lx->end && *lx->p == '#')
		skip_to_eol(lx);
	if (!at_eol(lx, lx->p))
		return lex_fail(lx, lx->line, "%s: unexpected text '%.*s' "
				"after the value; quote a value that contains "
				"spaces", name,
				(int)strcspn(lx->p, "\n"), lx->p);

	snprintf(where, sizeof where, "%s:%u", lx->file, line);
	r = config_set_at(cfg, where, name, values, n_values, is_array,
			  msg, sizeof msg);
	if (r < 0)
		return lex_fail(lx, line, "%s", msg);
	return 0;
}

int
vfwd_config_load_string(struct vfwd_config *cfg, const char *text,
			const char *name, char *err, size_t errlen)
{
	struct lexer lx = {
		.p = text, .line = 1, .file = name ? name : "(config)",
		.err = err, .errlen = errlen,
	};
	struct vfwd_config *work;
	const char *line_start;
	size_t len;
	char *arena;
	int r = 0;

	if (!cfg || !text)
		return fail(err, errlen, "no configuration given");
	len = strlen(text);
	if (len > CFG_FILE_MAX) {
		fail(err, errlen, "%s: larger than %d bytes; this is not a "
		     "configuration file", lx.file, CFG_FILE_MAX);
		return -EFBIG;
	}
	lx.end = text + len;

	/* Check every line's length first, whatever the syntax says. */
	line_start = text;
	for (const char *p = text; p <= lx.end; p++) {
		if (p < lx.end && *p != '\n')
			continue;
		if (p - line_start > CFG_LINE_MAX)
			return lex_fail(&lx, lx.line, "line longer than %d "
					"bytes", CFG_LINE_MAX);
		line_start = p + 1;
		lx.line++;
	}
	lx.line = 1;

	/* Work on a copy, so that a file with an error changes nothing. */
	work = malloc(sizeof *work);
	arena = malloc(len + CFG_ARRAY_MAX + 1);
	if (!work || !arena) {
		free(work);
		free(arena);
		fail(err, errlen, "%s: out of memory", lx.file);
		return -ENOMEM;
	}
	*work = *cfg;

	while (lx.p < lx.end) {
		lx.p = skip_blanks(lx.p);
		if (lx.p == lx.end)
			break;
		if (*lx.p == '#') {
			skip_to_eol(&lx);
		} else if (*lx.p != '\n') {
			r = read_assignment(&lx, work, arena);
			if (r < 0)
				break;
		}
		if (lx.p < lx.end) {    /* at the '\n' */
			lx.p++;
			lx.line++;
		}
	}
	if (r == 0)
		*cfg = *work;
	free(work);
	free(arena);
	return r;
}

int
vfwd_config_load_file(struct vfwd_config *cfg, const char *path,
		      char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		fail(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* One byte more than allowed tells a file that is too large. */
	text = malloc(CFG_FILE_MAX + 2);
	if (!text) {
		close(fd);
		fail(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (len < CFG_FILE_MAX + 1) {
		n = read(fd, text + len, CFG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			fail(err, errlen, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	text[len] = '\0';
	if (len > CFG_FILE_MAX) {
		r = -EFBIG;
		fail(err, errlen, "%s: larger than %d bytes; this is not a "
		     "configuration file", path, CFG_FILE_MAX);
	} else if (memchr(text, '\0', len)) {
		r = fail(err, errlen, "%s: contains a NUL byte; this is not "
			 "a text file", path);
	} else {
		r = vfwd_config_load_string(cfg, text, path, err, errlen);
	}
out:
	free(text);
	close(fd);
	return r;
}

/* ---- validation ---- */

enum vfwd_port_control
vfwd_config_port_control(const struct vfwd_config *cfg)
{
	if (cfg->ipc_port_control)
		return VFWD_PORT_CONTROL_IPC;
	if (cfg->ovsdb_sock_set)
		return VFWD_PORT_CONTROL_OVSDB;
	if (cfg->zmq_port_control_ep[0] != '\0')
		return VFWD_PORT_CONTROL_ZMQ;
	return VFWD_PORT_CONTROL_NONE;
}

int
vfwd_config_validate(const struct vfwd_config *cfg,
		     char *err, size_t errlen)
{
	char workers[VFWD_ERR_MAX / 2], why[VFWD_ERR_MAX];
	char path[PATH_MAX + VFWD_NAME_MAX * 2 + 16];
	bool zmq_pc = cfg->zmq_port_control_set && cfg->zmq_port_control_ep[0];
	unsigned int i, j;

	if (zmq_pc + cfg->ipc_port_control + cfg->ovsdb_sock_set > 1)
		return fail(err, errlen, "port control sources are mutually "
			    "exclusive, but %s%s%s%s%s are all enabled; keep one "
			    "(an empty VIRTIOFWD_ZMQ_PORT_CONTROL_EP turns ZeroMQ "
			    "port control off)",
			    zmq_pc ? "VIRTIOFWD_ZMQ_PORT_CONTROL_EP" : "",
			    zmq_pc && (cfg->ipc_port_control || cfg->ovsdb_sock_set)
			    ? " and " : "",
			    cfg->ipc_port_control ? "VIRTIOFWD_IPC_PORT_CONTROL" : "",
			    cfg->ipc_port_control && cfg->ovsdb_sock_set ? " and " : "",
			    cfg->ovsdb_sock_set ? "VIRTIOFWD_OVSDB_SOCK_PATH" : "");

	vfwd_cpuset_format(&cfg->workers, workers, sizeof workers);
	if (!vfwd_cpuset_count(&cfg->workers))
		return fail(err, errlen, "VIRTIOFWD_CPU_MASK (--cpus): no "
			    "worker CPU; give at least one");
	if (cfg->main_lcore < 0 || cfg->main_lcore >= VFWD_MAX_CPUS)
		return fail(err, errlen, "VIRTIOFWD_MASTER_LCORE "
			    "(--master-lcore) %d: must be from 0 to %d",
			    cfg->main_lcore, VFWD_MAX_CPUS - 1);
	if (vfwd_cpuset_has(&cfg->workers, cfg->main_lcore))
		return fail(err, errlen, "VIRTIOFWD_MASTER_LCORE "
			    "(--master-lcore) %d is also a worker in "
			    "VIRTIOFWD_CPU_MASK (--cpus) %s; the main lcore "
			    "must not be a worker CPU", cfg->main_lcore,
			    workers);

	if (cfg->n_pins > VFWD_MAX_RELAYS)
		return fail(err, errlen, "VIRTIOFWD_CPU_PINS: more than %d "
			    "pins", VFWD_MAX_RELAYS);
	for (i = 0; i < cfg->n_pins; i++) {
		const struct vfwd_pin *pin = &cfg->pins[i];
		int cpus[2] = { pin->cpu_vf_to_vm, pin->cpu_vm_to_vf };

		if (pin->relay >= VFWD_MAX_RELAYS)
			return fail(err, errlen, "VIRTIOFWD_CPU_PINS: relay "
				    "%u is out of range (0 to %d)", pin->relay,
				    VFWD_MAX_RELAYS - 1);
		for (j = 0; j < i; j++)
			if (cfg->pins[j].relay == pin->relay)
				return fail(err, errlen, "VIRTIOFWD_CPU_PINS: "
					    "relay %u is pinned twice",
					    pin->relay);
		for (j = 0; j < 2; j++)
			if (cpus[j] != -1
			    && !vfwd_cpuset_has(&cfg->workers, cpus[j]))
				return fail(err, errlen, "VIRTIOFWD_CPU_PINS: "
					    "relay %u: CPU %d is not a worker "
					    "CPU (workers: %s)", pin->relay,
					    cpus[j], workers);
	}

	if (cfg->n_static_devs > VFWD_MAX_RELAYS)
		return fail(err, errlen, "VIRTIOFWD_STATIC_VFS: more than %d "
			    "devices", VFWD_MAX_RELAYS);
	for (i = 0; i < cfg->n_static_devs; i++) {
		const struct vfwd_static_dev *dev = &cfg->static_devs[i];

		if (dev->relay >= VFWD_MAX_RELAYS || !dev->spec[0])
			return fail(err, errlen, "VIRTIOFWD_STATIC_VFS: entry "
				    "%u: relay %u (0 to %d) with device '%s'",
				    i, dev->relay, VFWD_MAX_RELAYS - 1,
				    dev->spec);
		for (j = 0; j < i; j++) {
			if (cfg->static_devs[j].relay == dev->relay)
				return fail(err, errlen, "VIRTIOFWD_STATIC_VFS:"
					    " relay %u is given twice",
					    dev->relay);
			if (!strcmp(cfg->static_devs[j].spec, dev->spec))
				return fail(err, errlen, "VIRTIOFWD_STATIC_VFS:"
					    " %s is given twice", dev->spec);
		}
	}

	if (vfwd_check_socket_pattern(cfg->socket_pattern, why, sizeof why))
		return fail(err, errlen, "VIRTIOFWD_SOCKET_FNAME_PATTERN "
			    "(--vhost-socket) %s: %s", cfg->socket_pattern,
			    why);
	/*
	 * With dynamic sockets, the paths come with each ADD_SOCK request and
	 * the pattern is not used, so its length does not matter.
	 */
	if (!cfg->dynamic_sockets) {
		if (vfwd_socket_path(cfg, VFWD_MAX_RELAYS - 1, path,
				     sizeof path) < 0
		    || strlen(path) > SUN_PATH_MAX)
			return fail(err, errlen, "VIRTIOFWD_SOCKET_DIR "
				    "(--vhost-path) and "
				    "VIRTIOFWD_SOCKET_FNAME_PATTERN "
				    "(--vhost-socket) make socket paths like "
				    "%.200s longer than the %d bytes a unix "
				    "socket path can hold", path, SUN_PATH_MAX);
	}

	if (cfg->core_sched_enable && !cfg->zmq_core_sched_ep[0])
		return fail(err, errlen, "VIO4WD_CORE_SCHED_ENABLE is true but "
			    "VIRTIOFWD_ZMQ_CORE_SCHED_EP "
			    "(--zmq-core-sched-ep) is empty; give an endpoint");
	return 0;
}

/* ---- the command line ---- */

enum {
	OPT_EAL_ARGS = 256,
	OPT_FILE_PREFIX,
};

/*
 * '+': stop at the first non-option instead of permuting argv (the
 * caller's array stays as it was, and a stray word is reported).
 * ':': tell a missing value (':') from an unknown option ('?').
 */
static const char short_opts[] =
	"+:C:M:n::l:p:H:O:Y::Z::z::s::Iu::g::V:S:c:JRTP:t:idavhf:";

static const struct option long_opts[] = {
	{ "config",              required_argument, NULL, 'f' },
	{ "cpus",                required_argument, NULL, 'C' },
	{ "master-lcore",        required_argument, NULL, 'M' },
	{ "nodaemon",            optional_argument, NULL, 'n' },
	{ "loglevel",            required_argument, NULL, 'l' },
	{ "pid-path",            required_argument, NULL, 'p' },
	{ "huge-dir",            required_argument, NULL, 'H' },
	{ "ovsdb-sock",          required_argument, NULL, 'O' },
	{ "zmq-config-ep",       optional_argument, NULL, 'Y' },
	{ "zmq-port-control-ep", optional_argument, NULL, 'Z' },
	{ "zmq-stats-ep",        optional_argument, NULL, 'z' },
	{ "zmq-core-sched-ep",   optional_argument, NULL, 's' },
	{ "ipc",                 no_argument,       NULL, 'I' },
	{ "vhost-username",      optional_argument, NULL, 'u' },
	{ "vhost-groupname",     optional_argument, NULL, 'g' },
	{ "vhost-path",          required_argument, NULL, 'V' },
	{ "vhost-socket",        required_argument, NULL, 'S' },
	{ "virtio-cpu",          required_argument, NULL, 'c' },
	{ "enable-jumbo",        no_argument,       NULL, 'J' },
	{ "enable-mrgbuf",       no_argument,       NULL, 'R' },
	{ "enable-tso",          no_argument,       NULL, 'T' },
	{ "add-pci-vf",          required_argument, NULL, 'P' },
	{ "vfio-vf-token",       required_argument, NULL, 't' },
	{ "vhostuser-client",    no_argument,       NULL, 'i' },
	{ "dynamic-sockets",     no_argument,       NULL, 'd' },
	{ "same-numa",           no_argument,       NULL, 'a' },
	{ "eal-args",            required_argument, NULL, OPT_EAL_ARGS },
	{ "file-prefix",         required_argument, NULL, OPT_FILE_PREFIX },
	{ "help",                no_argument,       NULL, 'h' },
	{ "version",             no_argument,       NULL, 'v' },
	{ NULL,                  0,                 NULL, 0 },
};

static const struct option *
find_opt(int val)
{
	const struct option *o;

	for (o = long_opts; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* Names an option in messages: "--cpus (-C)" or "--eal-args". */
static const char *
opt_label(int val, char *buf, size_t len)
{
	const struct option *o = find_opt(val);

	if (!o)
		snprintf(buf, len, "-%c", val);
	else if (val < 256)
		snprintf(buf, len, "--%s (-%c)", o->name, val);
	else
		snprintf(buf, len, "--%s", o->name);
	return buf;
}

/* Is 'arg' an option that takes an optional value, given without one? */
static bool
is_bare_optional(const char *arg)
{
	const struct option *o;

	for (o = long_opts; o->name; o++) {
		if (o->has_arg != optional_argument)
			continue;
		if ((arg[0] == '-' && arg[1] == o->val && !arg[2])
		    || (!strncmp(arg, "--", 2) && !strcmp(arg + 2, o->name)))
			return true;
	}
	return false;
}

static int
getopt_fail(int c, char **argv, char *err, size_t errlen)
{
	char label[64], shown[SHOW_VALUE_MAX + 8];
	const char *arg = argv[optind - 1];

	if (c == ':')
		return fail(err, errlen, "option %s needs a value",
			    opt_label(optopt, label, sizeof label));
	if (optopt && find_opt(optopt))
		return fail(err, errlen, "option %s does not take a value",
			    opt_label(optopt, label, sizeof label));
	if (optopt)
		return fail(err, errlen, "unknown option '-%c'; see --help",
			    optopt);
	return fail(err, errlen, "unknown or ambiguous option '%.*s'; see "
		    "--help", (int)strcspn(arg, "="),
		    show_value(arg, shown, sizeof shown));
}

/* Applies an option argument to the variable that the option stands for. */
static int
opt_var(struct vfwd_config *cfg, int c, const char *name, const char *arg,
	char *err, size_t errlen)
{
	const struct var *var = find_var(name);
	char why[VFWD_ERR_MAX];
	const struct option *o = find_opt(c);
	char what[64];

	if (apply_value(cfg, var, arg, why, sizeof why) == 0)
		return 0;
	snprintf(what, sizeof what, "--%s", o->name);
	return fail_value(err, errlen, what, arg, why);
}

/* Which list options were seen, see opt_list(). */
struct lists_seen {
	bool pins;
	bool static_vfs;
	bool eal_args;
};

/*
 * Adds to a list from a repeatable option.  The first -c, -P or --eal-args
 * replaces the list that the file gave, as options override the file;
 * later ones add to it.
 */
static int
opt_list(struct vfwd_config *cfg, int c, const char *name, const char *arg,
	 bool *seen, char *err, size_t errlen)
{
	if (!*seen) {
		*seen = true;
		clear_list(cfg, find_var(name));
	}
	return opt_var(cfg, c, name, arg, err, errlen);
}

/* Applies option 'c' with its value 'arg' (NULL when none was given). */
static int
apply_option(struct vfwd_config *cfg, int c, const char *arg,
	     struct lists_seen *seen, char *err, size_t errlen)
{
	switch (c) {
	case 'C':
		return opt_var(cfg, c, "VIRTIOFWD_CPU_MASK", arg, err, errlen);
	case 'M':
		return opt_var(cfg, c, "VIRTIOFWD_MASTER_LCORE", arg,
			       err, errlen);
	case 'l':
		return opt_var(cfg, c, "VIRTIOFWD_LOG_LEVEL", arg, err, errlen);
	case 'H':
		return opt_var(cfg, c, "VIRTIOFWD_HUGETLBFS_MOUNT_POINT", arg,
			       err, errlen);
	case 'O':
		return opt_var(cfg, c, "VIRTIOFWD_OVSDB_SOCK_PATH", arg,
			       err, errlen);
	case 'V':
		return opt_var(cfg, c, "VIRTIOFWD_SOCKET_DIR", arg,
			       err, errlen);
	case 'S':
		return opt_var(cfg, c, "VIRTIOFWD_SOCKET_FNAME_PATTERN", arg,
			       err, errlen);
	case 't':
		return opt_var(cfg, c, "VIRTIOFWD_VFIO_VF_TOKEN", arg,
			       err, errlen);
	case OPT_FILE_PREFIX:
		return opt_var(cfg, c, "VIRTIOFWD_FILE_PREFIX", arg,
			       err, errlen);
	case 'Y':
		return opt_var(cfg, c, "VIRTIOFWD_ZMQ_CONFIG_EP",
			       arg ? arg : DEF_ZMQ_CONFIG_EP, err, errlen);
	case 'Z':
		return opt_var(cfg, c, "VIRTIOFWD_ZMQ_PORT_CONTROL_EP",
			       arg ? arg : DEF_ZMQ_PORT_CONTROL_EP,
			       err, errlen);
	case 'z':
		return opt_var(cfg, c, "VIRTIOFWD_ZMQ_STATS_EP",
			       arg ? arg : DEF_ZMQ_STATS_EP, err, errlen);
	case 's':
		/* 1.x was given -s exactly when core scheduling was on. */
		if (opt_var(cfg, c, "VIRTIOFWD_ZMQ_CORE_SCHED_EP",
			    arg ? arg : DEF_ZMQ_CORE_SCHED_EP, err, errlen))
			return -EINVAL;
		cfg->core_sched_enable = cfg->zmq_core_sched_ep[0] != '\0';
		return 0;
	case 'u':
		return opt_var(cfg, c, "VIRTIOFWD_SOCKET_OWNER",
			       arg ? arg : DEF_SOCKET_OWNER, err, errlen);
	case 'g':
		return opt_var(cfg, c, "VIRTIOFWD_SOCKET_GROUP",
			       arg ? arg : DEF_SOCKET_GROUP, err, errlen);
	case 'p': {
		char why[VFWD_ERR_MAX];

		if (check_path(arg, sizeof cfg->pid_path, why, sizeof why))
			return fail_value(err, errlen, "--pid-path", arg, why);
		strcpy(cfg->pid_path, arg);
		return 0;
	}
	case 'n':
		/* The daemon never forks; only the log target matters. */
		if (arg && strcmp(arg, "log_syslog"))
			return fail_value(err, errlen, "--nodaemon", arg,
					  "the only value allowed is "
					  "log_syslog");
		if (arg)
			cfg->log_target = VFWD_LOG_SYSLOG;
		return 0;
	case 'I':
		cfg->ipc_port_control = true;
		return 0;
	case 'J':
		cfg->jumbo = true;
		return 0;
	case 'R':
		cfg->mrgbuf = true;
		return 0;
	case 'T':
		cfg->tso = true;
		return 0;
	case 'i':
		cfg->vhost_client = true;
		return 0;
	case 'd':
		cfg->dynamic_sockets = true;
		return 0;
	case 'a':
		cfg->same_numa = true;
		return 0;
	case 'c':
		return opt_list(cfg, c, "VIRTIOFWD_CPU_PINS", arg, &seen->pins,
				err, errlen);
	case 'P':
		return opt_list(cfg, c, "VIRTIOFWD_STATIC_VFS", arg,
				&seen->static_vfs, err, errlen);
	case OPT_EAL_ARGS:
		return opt_list(cfg, c, "VIRTIOFWD_EAL_ARGS", arg,
				&seen->eal_args, err, errlen);
	default:
		/* -f, -h and -v were handled in the first pass. */
		return 0;
	}
}

int
vfwd_config_from_args(struct vfwd_config *cfg, int argc, char **argv,
		      enum vfwd_config_action *action,
		      char *err, size_t errlen)
{
	struct lists_seen seen = { false, false, false };
	bool help = false, version = false;
	const char *config = NULL;
	int saved_opterr = opterr;
	int c, r = 0;

	vfwd_config_defaults(cfg);
	*action = VFWD_CONFIG_RUN;
	opterr = 0;     /* we report errors ourselves, into 'err' */

	/*
	 * First pass: find --config, --help and --version, and refuse what
	 * is not an option.  Scanning with getopt itself, rather than by
	 * hand, skips option values that merely look like "-f".
	 */
	optind = 0;     /* glibc: a full reset, so that we can run again */
	while ((c = getopt_long(argc, argv, short_opts, long_opts,
				NULL)) != -1) {
		if (c == '?' || c == ':') {
			r = getopt_fail(c, argv, err, errlen);
			goto out;
		}
		if (c == 'f')
			config = optarg;
		else if (c == 'h')
			help = true;
		else if (c == 'v')
			version = true;
	}
	if (optind < argc) {
		char shown[SHOW_VALUE_MAX + 8];

		r = fail(err, errlen, "unexpected argument '%s'%s",
			 show_value(argv[optind], shown, sizeof shown),
			 optind > 1 && is_bare_optional(argv[optind - 1])
			 ? "; an optional value must be attached "
			   "(--option=VALUE or -oVALUE)" : "");
		goto out;
	}
	if (help || version) {
		*action = help ? VFWD_CONFIG_HELP : VFWD_CONFIG_VERSION;
		goto out;
	}

	if (config) {
		r = vfwd_config_load_file(cfg, config, err, errlen);
		if (r < 0)
			goto out;
	}

	/* Second pass: every option on top of the file. */
	optind = 0;
	while ((c = getopt_long(argc, argv, short_opts, long_opts,
				NULL)) != -1) {
		r = apply_option(cfg, c, optarg, &seen, err, errlen);
		if (r < 0)
			break;
	}
out:
	opterr = saved_opterr;
	return r;
}

void
vfwd_config_usage(void *fp, const char *prog)
{
	fprintf(fp,
"Usage: %s [OPTION]...\n"
"Relay packets between DPDK ports (SR-IOV VFs and others) and the\n"
"vhost-user sockets of virtual machines.\n"
"\n"
"Settings come from the defaults, then the file of --config, then the\n"
"options.  Each option takes the values of the variable in brackets; an\n"
"empty value restores the default.  Values in [=...] are optional and must\n"
"be attached (--option=VALUE or -oVALUE).\n"
"\n"
"  -f, --config=FILE             read NAME=value settings from FILE first,\n"
"                                e.g. /etc/default/virtioforwarder\n"
"Workers and EAL:\n"
"  -C, --cpus=LIST               worker CPUs, e.g. 1,2 or 0-3,8 or 0x6\n"
"                                [VIRTIOFWD_CPU_MASK, default 1,2]\n"
"  -M, --master-lcore=CPU        CPU of the main (control) thread, not a\n"
"                                worker [VIRTIOFWD_MASTER_LCORE, default 0]\n"
"  -l, --loglevel=LEVEL          log level 0-7, least to most verbose\n"
"                                [VIRTIOFWD_LOG_LEVEL, default 6]\n"
"  -n, --nodaemon[=log_syslog]   stay in the foreground (always done);\n"
"                                with log_syslog, log to syslog, not stderr\n"
"  -p, --pid-path=PATH           pid file, default /var/run/" PID_FILE_NAME "\n"
"                                [the file sets its directory with\n"
"                                VIRTIOFWD_PID_DIR]\n"
"  -H, --huge-dir=DIR            hugetlbfs mount for packet buffers\n"
"                                [VIRTIOFWD_HUGETLBFS_MOUNT_POINT]\n"
"      --file-prefix=NAME        DPDK --file-prefix [VIRTIOFWD_FILE_PREFIX,\n"
"                                default " DEF_FILE_PREFIX "]\n"
"      --eal-args=ARGS           extra EAL arguments, separated by spaces,\n"
"                                appended to the daemon's own; repeatable\n"
"                                [VIRTIOFWD_EAL_ARGS]\n"
"vhost-user sockets:\n"
"  -V, --vhost-path=DIR          socket directory [VIRTIOFWD_SOCKET_DIR,\n"
"                                default " DEF_SOCKET_DIR "]\n"
"  -S, --vhost-socket=PATTERN    socket file name, one %%u for the relay id\n"
"                                [VIRTIOFWD_SOCKET_FNAME_PATTERN, default\n"
"                                virtio-forwarder%%u.sock]\n"
"  -u, --vhost-username[=USER]   owner of the sockets; empty: do not chown\n"
"                                [VIRTIOFWD_SOCKET_OWNER, default "
DEF_SOCKET_OWNER "]\n"
"  -g, --vhost-groupname[=GROUP] group of the sockets; empty: do not chown\n"
"                                [VIRTIOFWD_SOCKET_GROUP, default "
DEF_SOCKET_GROUP "]\n"
"  -i, --vhostuser-client        be the vhost-user client and reconnect\n"
"                                [VIRTIOFWD_VHOST_CLIENT]\n"
"  -d, --dynamic-sockets         create no sockets at start; port control\n"
"                                adds them [VIRTIOFWD_DYNAMIC_SOCKETS]\n"
"Features offered to guests:\n"
"  -J, --enable-jumbo            jumbo frames [VIRTIOFWD_JUMBO]\n"
"  -R, --enable-mrgbuf           mergeable RX buffers [VIRTIOFWD_MRGBUF]\n"
"  -T, --enable-tso              TSO and checksum offloads [VIRTIOFWD_TSO]\n"
"Devices and CPUs:\n"
"  -P, --add-pci-vf=DEV=RELAY    attach a device (PCI address or DPDK\n"
"                                devargs) to a relay at start; repeatable\n"
"                                [VIRTIOFWD_STATIC_VFS]\n"
"  -c, --virtio-cpu=RELAY:CPU[,CPU]\n"
"                                pin a relay: the first CPU serves VF to VM,\n"
"                                the second VM to VF; repeatable and\n"
"                                ';'-separated [VIRTIOFWD_CPU_PINS]\n"
"  -a, --same-numa               only use workers on the NIC's NUMA node\n"
"                                [VIRTIOFWD_CPU_NIC_SAME_NUMA]\n"
"  -t, --vfio-vf-token=UUID      VF token for vfio-pci bound VFs\n"
"                                [VIRTIOFWD_VFIO_VF_TOKEN]\n"
"Control (an endpoint is ipc://PATH, tcp://HOST:PORT or inproc://NAME;\n"
"empty is off; an option given without =EP uses the default endpoint):\n"
"  -Z, --zmq-port-control-ep[=EP]\n"
"                                ZeroMQ port control, default\n"
"                                " DEF_ZMQ_PORT_CONTROL_EP "\n"
"                                [VIRTIOFWD_ZMQ_PORT_CONTROL_EP]\n"
"  -z, --zmq-stats-ep[=EP]       ZeroMQ statistics, default\n"
"                                " DEF_ZMQ_STATS_EP "\n"
"                                [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  -s, --zmq-core-sched-ep[=EP]  ZeroMQ CPU migration for the load balancer,\n"
"                                and turn it on; default\n"
"                                " DEF_ZMQ_CORE_SCHED_EP "\n"
"                                [VIRTIOFWD_ZMQ_CORE_SCHED_EP and\n"
"                                VIO4WD_CORE_SCHED_ENABLE]\n"
"  -Y, --zmq-config-ep[=EP]      ZeroMQ config queries, off by default;\n"
"                                without EP " DEF_ZMQ_CONFIG_EP "\n"
"                                [VIRTIOFWD_ZMQ_CONFIG_EP]\n"
"  -O, --ovsdb-sock=PATH         watch the ovsdb-server at PATH for ports\n"
"                                [VIRTIOFWD_OVSDB_SOCK_PATH]\n"
"  -I, --ipc                     file-based port control\n"
"                                [VIRTIOFWD_IPC_PORT_CONTROL]\n"
"Other:\n"
"  -h, --help                    show this help and exit\n"
"  -v, --version                 show the version and exit\n",
		prog ? prog : "virtio-forwarder");
}
