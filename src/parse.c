/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value parsers shared by the configuration, the control sources and the
 * tools (see parse.h).  Each one refuses everything it does not fully
 * understand, with a message saying what is allowed: a value that means
 * one thing here must not mean another to DPDK or to the shell.
 */
#include "parse.h"
#include "ifmap.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <wchar.h>

/* ------------------------------------------------------------------ */
/* Small helpers                                                       */
/* ------------------------------------------------------------------ */

int
vfwd_hex_value(int c)
{
	if (vfwd_is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

const char *
vfwd_skip_blanks(const char *s)
{
	while (vfwd_is_blank(*s))
		s++;
	return s;
}

bool
vfwd_has_space_or_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return true;
	return false;
}

int
vfwd_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The C library's UTF-8 decoder, whatever the process's locale is. */
static locale_t utf8_locale;

static void
utf8_locale_init(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* Length of the character at 'in' (of at most 'len' bytes) when it is
 * valid UTF-8 and not a control character, else 0. */
static size_t
clean_char(const char *in, size_t len)
{
	unsigned char c = (unsigned char)in[0];
	mbstate_t st;
	wchar_t wc;
	size_t n;

	if (c < 0x80)
		return (c >= 0x20 && c != 0x7f) || c == '\t' ? 1 : 0;
	if (utf8_locale == (locale_t)0)
		return 0;                /* no decoder: only ASCII passes */
	memset(&st, 0, sizeof(st));
	n = mbrtowc(&wc, in, len, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0)
		return 0;
	/* C1 controls are escaped too; glibc decodes past Unicode's end. */
	return wc >= 0xa0 && wc <= 0x10ffff ? n : 0;
}

size_t
vfwd_text_escape(const char *in, size_t len, char *out, size_t outlen,
		 size_t *used)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	locale_t prev = (locale_t)0;
	size_t i = 0, o = 0;

	if (outlen == 0)
		return 0;
	pthread_once(&once, utf8_locale_init);
	if (utf8_locale != (locale_t)0)
		prev = uselocale(utf8_locale);
	while (i < len) {
		size_t n = clean_char(in + i, len - i);

		if (o + (n ? n : 4) + 1 > outlen)
			break;
		if (n != 0) {
			memcpy(out + o, in + i, n);
			o += n;
			i += n;
		} else {
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
					      (unsigned char)in[i]);
			i++;
		}
	}
	out[o] = '\0';
	if (prev != (locale_t)0)
		uselocale(prev);
	if (used != NULL)
		*used = i;
	return o;
}

bool
vfwd_text_is_clean(const char *s)
{
	char buf[256];
	size_t len = strlen(s), done = 0, used;

	/* Escaping changes the length exactly when something is escaped. */
	while (done < len) {
		size_t o = vfwd_text_escape(s + done, len - done, buf, sizeof(buf), &used);

		if (o != used)
			return false;
		done += used;
	}
	return true;
}

const char *
vfwd_show_value(const char *v, char *buf, size_t len)
{
	size_t n = strlen(v), used, o;

	if (len == 0)
		return buf;
	o = vfwd_text_escape(v, n, buf, len < VFWD_SHOW_VALUE_MAX + 1 ? len
					 : VFWD_SHOW_VALUE_MAX + 1, &used);
	if (used < n && o + 4 <= len)
		memcpy(buf + o, "...", 4);
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

	for (i = 0; vfwd_is_digit(s[i]); i++) {
		unsigned int d = s[i] - '0';

		v = v > (ULONG_MAX - d) / 10 ? ULONG_MAX : v * 10 + d;
	}
	*out = v;
	return i;
}

bool
vfwd_parse_ulong(const char *s, unsigned long min, unsigned long max,
		 unsigned long *out)
{
	size_t n = read_dec(s, out);

	return n > 0 && s[n] == '\0' && *out >= min && *out <= max;
}

/* ------------------------------------------------------------------ */
/* CPU sets                                                            */
/* ------------------------------------------------------------------ */

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

	while (vfwd_hex_value(*end) >= 0)
		end++;
	n = end - digits;
	if (*vfwd_skip_blanks(end) != '\0' || n == 0)
		return vfwd_fail(err, errlen, "a hex mask must be 0x followed "
				 "by 1 to %d hex digits", VFWD_MAX_CPUS / 4);
	if (n > VFWD_MAX_CPUS / 4)
		return vfwd_fail(err, errlen, "a hex mask has at most %d hex "
				 "digits (CPUs 0 to %d)", VFWD_MAX_CPUS / 4,
				 VFWD_MAX_CPUS - 1);
	memset(set, 0, sizeof *set);
	/* The last digit holds CPUs 0-3, the one before it CPUs 4-7... */
	for (i = 0; i < n; i++) {
		int d = vfwd_hex_value(end[-1 - (ptrdiff_t)i]);
		unsigned int b;

		for (b = 0; b < 4; b++)
			if (d & (1 << b))
				vfwd_cpuset_add(set, i * 4 + b);
	}
	if (!vfwd_cpuset_count(set))
		return vfwd_fail(err, errlen, "the mask selects no CPU; "
				 "give at least one");
	return 0;
}

/* Reads one CPU number of a list, checking its range. */
static int
read_cpu(const char **sp, unsigned long *cpu, char *err, size_t errlen)
{
	const char *s = vfwd_skip_blanks(*sp);
	size_t n;

	if (*s == '-')
		return vfwd_fail(err, errlen, "CPU numbers cannot be negative; "
				 "give CPUs from 0 to %d", VFWD_MAX_CPUS - 1);
	n = read_dec(s, cpu);
	if (!n)
		return vfwd_fail(err, errlen, "expected a CPU number at '%s'; "
				 "give a list like 1,2 or 0-3,8 or a hex mask "
				 "like 0x6", *s ? s : "(end)");
	if (*cpu >= VFWD_MAX_CPUS)
		return vfwd_fail(err, errlen, "CPU %.*s is out of range "
				 "(0 to %d)", (int)n, s, VFWD_MAX_CPUS - 1);
	*sp = vfwd_skip_blanks(s + n);
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
		return vfwd_fail(err, errlen, "no CPU list given");
	p = vfwd_skip_blanks(s);
	if (*p == '\0')
		return vfwd_fail(err, errlen, "must not be empty; give a list "
				 "like 1,2 or 0-3,8 or a hex mask like 0x6");
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
				return vfwd_fail(err, errlen, "range %lu-%lu "
						 "is reversed; write %lu-%lu",
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
		return vfwd_fail(err, errlen, "unexpected '%s'; give a list "
				 "like 1,2 or 0-3,8 or a hex mask like 0x6", p);
	}
	*set = tmp;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pins                                                                */
/* ------------------------------------------------------------------ */

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
		return vfwd_fail(err, errlen, "no pin given");
	p = vfwd_skip_blanks(s);
	if (!strncmp(p, prefix, sizeof prefix - 1))
		p += sizeof prefix - 1;

	n = read_dec(p, &relay);
	if (!n || p[n] != ':')
		return vfwd_fail(err, errlen, "must be " PIN_FORMAT);
	if (relay >= VFWD_MAX_RELAYS)
		return vfwd_fail(err, errlen, "relay %.*s is out of range "
				 "(0 to %d)", (int)n, p, VFWD_MAX_RELAYS - 1);
	p += n + 1;

	for (;;) {
		unsigned long cpu;

		n = read_dec(p, &cpu);
		if (!n)
			return vfwd_fail(err, errlen, "must be " PIN_FORMAT);
		if (cpu >= VFWD_MAX_CPUS)
			return vfwd_fail(err, errlen, "CPU %.*s is out of "
					 "range (0 to %d)", (int)n, p,
					 VFWD_MAX_CPUS - 1);
		if (n_cpus == 2)
			return vfwd_fail(err, errlen, "at most two CPUs: the "
					 "first serves VF to VM, the second VM "
					 "to VF");
		cpus[n_cpus++] = cpu;
		p += n;
		if (*p != ',')
			break;
		p++;
	}
	if (*vfwd_skip_blanks(p) != '\0')
		return vfwd_fail(err, errlen, "must be " PIN_FORMAT);

	pin->relay = relay;
	pin->cpu_vf_to_vm = cpus[0];
	pin->cpu_vm_to_vf = cpus[n_cpus - 1];
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */
/* ------------------------------------------------------------------ */

/*
 * Reads 1 to 'max' hex digits; 0 when there are none or more than 'max'
 * (so "0000012:..." is not taken for a short domain).
 */
static size_t
read_hex(const char *s, size_t max, uint32_t *out)
{
	uint32_t v = 0;
	size_t i;

	for (i = 0; vfwd_hex_value(s[i]) >= 0; i++) {
		if (i == max)
			return 0;
		v = v << 4 | vfwd_hex_value(s[i]);
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
	if (*s != '.' || vfwd_hex_value(s[1]) < 0 || s[2] != '\0')
		return -EINVAL;
	d = vfwd_hex_value(s[1]);

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

/*
 * vfwd_parse_devspec() of the first 'len' bytes of 's', which need not be
 * NUL-terminated there: the device part of "DEVICE=RELAY" is checked in
 * place.  Callers have refused an empty device with their own words.
 */
static int
parse_devspec_n(const char *s, size_t len, char *out, size_t outlen,
		char *err, size_t errlen)
{
	char spec[VFWD_DEVSPEC_MAX], name[VFWD_DEVSPEC_MAX];
	char norm[VFWD_DEVSPEC_MAX];
	size_t limit = outlen < VFWD_DEVSPEC_MAX ? outlen : VFWD_DEVSPEC_MAX;
	uint32_t domain, bus, slot, function;
	const char *opts;
	size_t n_name, i;
	int n;

	if (len >= VFWD_DEVSPEC_MAX)
		return vfwd_fail(err, errlen, "the device is %zu bytes long "
				 "(at most %d)", len, VFWD_DEVSPEC_MAX - 1);
	memcpy(spec, s, len);
	spec[len] = '\0';
	if (vfwd_has_space_or_control(spec)) {
		char shown[VFWD_SHOWN_MAX];

		return vfwd_fail(err, errlen, "the device '%s' must be printable "
				 "ASCII without whitespace (a PCI address or DPDK devargs)",
				 vfwd_show_value(spec, shown, sizeof(shown)));
	}

	/* The name part: a PCI address, or the DPDK driver instance name. */
	opts = strchr(spec, ',');
	n_name = opts ? (size_t)(opts - spec) : len;
	memcpy(name, spec, n_name);
	name[n_name] = '\0';
	if (!opts)
		opts = "";

	if (!vfwd_parse_pci(name, &domain, &bus, &slot, &function)) {
		/*
		 * DPDK accepts options after a PCI address too
		 * ("0000:05:00.0,representor=[0-3]"); keep them.
		 */
		n = snprintf(norm, sizeof norm, "%04x:%02x:%02x.%x%s",
			     domain, bus, slot, function, opts);
	} else {
		for (i = 0; i < n_name; i++)
			if (!vfwd_is_name_char(name[i]))
				break;
		if (n_name == 0 || i < n_name)
			return vfwd_fail(err, errlen, "'%s' is neither a PCI "
					 "address (DDDD:BB:SS.F) nor DPDK "
					 "devargs (name[,key=value...], name "
					 "of letters, digits and '_')", name);
		n = snprintf(norm, sizeof norm, "%s", spec);
	}
	if (n < 0 || (size_t)n >= limit)
		return vfwd_fail(err, errlen, "the device is too long (at most "
				 "%zu bytes)", limit ? limit - 1 : 0);
	memcpy(out, norm, n + 1);
	return 0;
}

int
vfwd_parse_devspec(const char *s, char *out, size_t outlen,
		   char *err, size_t errlen)
{
	if (!s)
		return vfwd_fail(err, errlen, "no device given");
	if (!*s)
		return vfwd_fail(err, errlen, "the device is empty; give a PCI "
				 "address or DPDK devargs");
	return parse_devspec_n(s, strlen(s), out, outlen, err, errlen);
}

int
vfwd_parse_static_dev(const char *s, struct vfwd_static_dev *dev,
		      char *err, size_t errlen)
{
	unsigned long relay;
	const char *eq;
	int r;

	if (!s)
		return vfwd_fail(err, errlen, "no device given");
	eq = strrchr(s, '=');
	if (!eq)
		return vfwd_fail(err, errlen, "must be <PCI address or devargs>="
				 "<relay id>, e.g. 0000:05:08.1=1");
	if (!vfwd_parse_ulong(eq + 1, 0, VFWD_MAX_RELAYS - 1, &relay))
		return vfwd_fail(err, errlen, "relay id '%s' must be an integer "
				 "from 0 to %d", eq + 1, VFWD_MAX_RELAYS - 1);
	if (eq == s)
		return vfwd_fail(err, errlen, "the device before '=' is empty; "
				 "give a PCI address or DPDK devargs");
	r = parse_devspec_n(s, eq - s, dev->spec, sizeof dev->spec,
			    err, errlen);
	if (r < 0)
		return r;
	dev->relay = relay;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Socket names                                                        */
/* ------------------------------------------------------------------ */

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
		return vfwd_fail(err, errlen, "must not be empty; give a file "
				 "name with one %%u for the relay id");
	for (p = pattern; *p; p++) {
		if (*p == '/')
			return vfwd_fail(err, errlen, "must be a file name "
					 "without '/'; the directory is "
					 "VIRTIOFWD_SOCKET_DIR");
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return vfwd_fail(err, errlen, "must not contain "
					 "control characters");
		if (*p != '%')
			continue;
		p++;
		if (*p == 'u')
			n_u++;
		else if (*p != '%')
			return vfwd_fail(err, errlen, "'%%%.1s' is not allowed; "
					 "only one %%u (the relay id) and %%%% "
					 "may appear", p);
	}
	if (n_u != 1)
		return vfwd_fail(err, errlen, "must contain %%u (the relay id) "
				 "exactly once, not %u times", n_u);
	if (strlen(pattern) >= VFWD_SOCKET_PATTERN_MAX)
		return vfwd_fail(err, errlen, "is too long (at most %d bytes)",
				 VFWD_SOCKET_PATTERN_MAX - 1);
	len = expand_pattern(pattern, VFWD_MAX_RELAYS - 1, NULL, 0);
	if (len < 0 || len > NAME_MAX)
		return vfwd_fail(err, errlen, "makes file names longer than %d "
				 "bytes", NAME_MAX);
	return 0;
}

int
vfwd_build_socket_path(const char *dir, const char *pattern, unsigned int id,
		       char *buf, size_t len)
{
	size_t dirlen = strlen(dir);
	const char *sep;
	int n;

	/* "/tmp/" and "/" must not give "//". */
	sep = dirlen && dir[dirlen - 1] == '/' ? "" : "/";
	if (dirlen + strlen(sep) >= len)
		return -ENAMETOOLONG;
	memcpy(buf, dir, dirlen);
	memcpy(buf + dirlen, sep, strlen(sep));
	dirlen += strlen(sep);
	n = expand_pattern(pattern, id, buf + dirlen, len - dirlen);
	if (n < 0)
		return n;
	if ((size_t)n >= len - dirlen)
		return -ENAMETOOLONG;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices bound to vfio-pci at start                                  */
/* ------------------------------------------------------------------ */

/*
 * Does 's' look like an attempt at a PCI address: hex digits, ':' and
 * '.' only, with both a ':' and a '.'?  Then a refusal should explain PCI
 * addresses, not interface names.
 */
static bool
looks_like_pci(const char *s)
{
	return strchr(s, '.') != NULL && strchr(s, ':') != NULL
	       && strspn(s, "0123456789abcdefABCDEF:.") == strlen(s);
}

int
vfwd_parse_vfio_bind(const char *s, struct vfwd_vfio_bind *b,
		     char *err, size_t errlen)
{
	uint32_t domain, bus, slot, function;
	const char *colon = strrchr(s, ':');
	unsigned long count = 0;
	size_t n;

	memset(b, 0, sizeof *b);
	if (vfwd_parse_pci(s, &domain, &bus, &slot, &function) == 0) {
		b->is_pci = true;
		snprintf(b->name, sizeof b->name, "%04x:%02x:%02x.%x", domain,
			 bus, slot, function);
		return 0;
	}
	if (looks_like_pci(s))
		return vfwd_fail(err, errlen, "is not a PCI address "
				 "(DDDD:BB:SS.F or BB:SS.F in hex, slot up to "
				 "1f, function up to 7)");
	n = colon ? (size_t)(colon - s) : strlen(s);
	if (colon && !vfwd_parse_ulong(colon + 1, 1, VFWD_VFIO_BIND_MAX_COUNT,
				       &count))
		return vfwd_fail(err, errlen, "the number of VFs after ':' "
				 "must be an integer from 1 to %d",
				 VFWD_VFIO_BIND_MAX_COUNT);
	/* An interface name has at most 15 bytes: longer is refused here. */
	if (n < sizeof b->name) {
		memcpy(b->name, s, n);
		b->name[n] = '\0';
	}
	if (n >= sizeof b->name || !vfwd_ifname_valid(b->name))
		return vfwd_fail(err, errlen, "must be a PCI address "
				 "(0000:01:02.3 or 01:02.3), the interface name "
				 "of a PF (all its VFs), or NAME:COUNT (its "
				 "first COUNT VFs)");
	b->count = (unsigned int)count;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Listening addresses                                                 */
/* ------------------------------------------------------------------ */

int
vfwd_parse_listen(const char *s, struct sockaddr_storage *addr,
		  unsigned int *addrlen, char *err, size_t errlen)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;
	char host[INET6_ADDRSTRLEN + 2];
	const char *port = s, *colon;
	unsigned long p;
	size_t n;

	memset(addr, 0, sizeof(*addr));
	colon = strrchr(s, ':');
	host[0] = '\0';
	if (colon != NULL) {
		n = (size_t)(colon - s);
		if (n == 0 || n >= sizeof(host))
			goto bad;
		memcpy(host, s, n);
		host[n] = '\0';
		port = colon + 1;
	}
	if (!vfwd_parse_ulong(port, 1, 65535, &p))
		goto bad;
	if (host[0] == '[') {
		n = strlen(host);
		if (n < 3 || host[n - 1] != ']')
			goto bad;
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			goto bad;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		*addrlen = sizeof(*in6);
		return 0;
	}
	if (inet_pton(AF_INET, host[0] ? host : "127.0.0.1", &in4->sin_addr) != 1)
		goto bad;
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)p);
	*addrlen = sizeof(*in4);
	return 0;
bad:
	return vfwd_fail(err, errlen, "must be PORT (on 127.0.0.1), IPV4:PORT "
			 "or [IPV6]:PORT, with a port from 1 to 65535");
}

void
vfwd_devspec_name(const char *spec, char *name, size_t len)
{
	size_t n = strcspn(spec, ",");

	if (len == 0)
		return;
	if (n >= len)
		n = len - 1;
	memcpy(name, spec, n);
	name[n] = '\0';
}

bool
vfwd_devspec_same(const char *a, const char *b)
{
	size_t na = strcspn(a, ","), nb = strcspn(b, ",");

	return strcmp(a, b) == 0 || (na == nb && strncmp(a, b, na) == 0);
}

int
vfwd_parse_ovsdb_target(const char *v, struct vfwd_ovsdb_target *t)
{
	char host[INET_ADDRSTRLEN];
	const char *colon;
	unsigned long port;
	struct in_addr a;
	char *end;

	memset(t, 0, sizeof(*t));
	if (strncmp(v, "tcp:", 4) != 0) {
		t->path = strncmp(v, "unix:", 5) == 0 ? v + 5 : v;
		return 0;
	}
	colon = strrchr(v + 4, ':');
	if (colon == NULL || (size_t)(colon - (v + 4)) >= sizeof(host) ||
	    colon[1] < '0' || colon[1] > '9')
		return -EINVAL;
	memcpy(host, v + 4, (size_t)(colon - (v + 4)));
	host[colon - (v + 4)] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (*end != '\0' || errno != 0 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &a) != 1)
		return -EINVAL;
	t->tcp = true;
	t->addr = a.s_addr;
	t->port = (uint16_t)port;
	return 0;
}
