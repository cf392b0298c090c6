/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Value parsers shared by the configuration, the control sources and the
 * tools: CPU lists and sets, relay pins, PCI addresses, device specs,
 * socket file name patterns, and the small string and number helpers
 * they are built from.  The limits that those values respect live here
 * too, so that the daemon and vfwdctl cannot disagree on them.
 *
 * Nothing in here touches DPDK, so all of it is unit-tested on its own.
 * Every parser returns 0 or a negative errno and, on error, writes one line
 * into the caller's buffer naming what was wrong and what is allowed.
 */
#ifndef VFWD_PARSE_H
#define VFWD_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Relay ids run from 0 to VFWD_MAX_RELAYS - 1, as in 1.x. */
#define VFWD_MAX_RELAYS 64
/* CPUs a CPU set can name (matches DPDK's RTE_MAX_LCORE in Debian). */
#define VFWD_MAX_CPUS 128
/* Longest device spec (PCI address or DPDK devargs string). */
#define VFWD_DEVSPEC_MAX 256
/*
 * Members a bond has at most, whichever source asks for it: the devices of
 * one port control request, of one vfwdctl command, and of one DPDK bond.
 */
#define VFWD_BOND_MAX_MEMBERS 8
/* Size of a socket file name pattern, its NUL included. */
#define VFWD_SOCKET_PATTERN_MAX 128
/* Size of the error buffers the parsers write into. */
#define VFWD_ERR_MAX 512
/* Values are quoted in messages up to this length, then cut with "...". */
#define VFWD_SHOW_VALUE_MAX 96
/* Size of a buffer for vfwd_show_value(): the cut value, "..." and NUL. */
#define VFWD_SHOWN_MAX (VFWD_SHOW_VALUE_MAX + 8)

/* A set of CPU numbers below VFWD_MAX_CPUS. */
struct vfwd_cpuset {
	uint64_t bits[VFWD_MAX_CPUS / 64];
};

/* Pin of one relay: the CPU of each direction, -1 when not pinned. */
struct vfwd_pin {
	unsigned int relay;
	int cpu_vf_to_vm;
	int cpu_vm_to_vf;
};

/* Entries VIRTIOFWD_BIND_VFIO_PCI holds at most. */
#define VFWD_VFIO_BIND_MAX 64
/* VFs one "NETDEV:COUNT" entry of VIRTIOFWD_BIND_VFIO_PCI names at most. */
#define VFWD_VFIO_BIND_MAX_COUNT 4096

/*
 * One entry of VIRTIOFWD_BIND_VFIO_PCI (1.x): a PCI device, or the VFs of
 * a PF's network interface, all of them or the first 'count' in PCI
 * address order.
 */
struct vfwd_vfio_bind {
	bool is_pci;
	/* "DDDD:BB:SS.F" (normalised, lower-case) or an interface name. */
	char name[24];
	/* An interface's first 'count' VFs; 0: all of them. */
	unsigned int count;
};

/* A device given at start: what to probe, and the relay it joins. */
struct vfwd_static_dev {
	char spec[VFWD_DEVSPEC_MAX];
	unsigned int relay;
};

/* ---- value parsers ---- */

/*
 * Parses a CPU list "1,2", "0-3,8" or a hex mask "0x6" into 'set'.
 * Refuses empty lists, CPUs >= VFWD_MAX_CPUS, reversed ranges, junk.
 */
int vfwd_parse_cpulist(const char *s, struct vfwd_cpuset *set,
		       char *err, size_t errlen);

/*
 * Parses one pin "RELAY:CPU[,CPU]", with or without a leading
 * "--virtio-cpu=".  One CPU serves both directions.
 */
int vfwd_parse_pin(const char *s, struct vfwd_pin *pin,
		   char *err, size_t errlen);

/*
 * Checks and normalises one device, the same way wherever a device comes
 * from (the file, an option, a ZeroMQ or IPC request, an OVSDB row,
 * vfwdctl): 1 to VFWD_DEVSPEC_MAX - 1 printable characters; a PCI address
 * is rewritten as DDDD:BB:SS.F in lower-case hex, keeping any ",options"
 * after it; anything else must look like DPDK devargs, "name[,key=value...]"
 * with a name of letters, digits and '_'.  The result goes to 'out', which
 * should hold VFWD_DEVSPEC_MAX bytes (a smaller one lowers the limit).
 */
int vfwd_parse_devspec(const char *s, char *out, size_t outlen,
		       char *err, size_t errlen);

/* Where an ovsdb-server is, as ovsdb-server's --remote names it for a
 * client: a unix socket path, or an IPv4 address and port. */
struct vfwd_ovsdb_target {
	bool tcp;
	uint32_t addr;                 /* tcp: IPv4, network byte order */
	uint16_t port;                 /* tcp: 1-65535 */
	const char *path;              /* unix: into the parsed string */
};

/*
 * Parses an OVSDB target: "tcp:A.B.C.D:PORT", "unix:PATH" or a PATH.
 * The one reading of VIRTIOFWD_OVSDB_SOCK_PATH, for the configuration's
 * check and the monitor's connect.  0, or -EINVAL (the path itself is
 * not checked here).
 */
int vfwd_parse_ovsdb_target(const char *v, struct vfwd_ovsdb_target *t);

/*
 * The EAL device name of device spec 'spec': its devargs name, the part
 * before the first ',' (EAL knows a device by that name alone, whatever
 * its arguments), cut to fit 'len' bytes.
 */
void vfwd_devspec_name(const char *spec, char *name, size_t len);

/*
 * Do device specs 'a' and 'b' name the same device: the same string, or
 * the same EAL device name (vfwd_devspec_name())?  The one rule of the
 * daemon, its relay table and the fuzzers' model.
 */
bool vfwd_devspec_same(const char *a, const char *b);

/*
 * Parses a device spec "<PCI or devargs>=<relay>"; the relay id follows the
 * last '='.  The device is checked by vfwd_parse_devspec().
 */
int vfwd_parse_static_dev(const char *s, struct vfwd_static_dev *dev,
			  char *err, size_t errlen);

/*
 * Parses a PCI address "DDDD:BB:SS.F" or "BB:SS.F" into its parts.
 * Returns 0, or -EINVAL when 's' is not one.
 */
int vfwd_parse_pci(const char *s, uint32_t *domain, uint32_t *bus,
		   uint32_t *slot, uint32_t *function);

/*
 * Parses one entry of VIRTIOFWD_BIND_VFIO_PCI: "0000:01:02.3" or "01:02.3"
 * (domain 0000), "NETDEV" (every VF of that PF) or "NETDEV:COUNT" (its
 * first COUNT VFs, 1 to VFWD_VFIO_BIND_MAX_COUNT).
 */
int vfwd_parse_vfio_bind(const char *s, struct vfwd_vfio_bind *b,
			 char *err, size_t errlen);

/*
 * Checks a socket file name pattern: exactly one "%u", no other
 * conversion ("%%" allowed), no '/', shorter than VFWD_SOCKET_PATTERN_MAX.
 */
int vfwd_check_socket_pattern(const char *pattern, char *err, size_t errlen);

/*
 * Writes the path of relay 'id''s socket, 'dir' joined with 'pattern', into
 * 'buf'.  -ENAMETOOLONG when it does not fit, -EINVAL for a bad pattern.
 */
int vfwd_build_socket_path(const char *dir, const char *pattern,
			   unsigned int id, char *buf, size_t len);

/* ---- CPU sets ---- */

/* Adds 'cpu' (below VFWD_MAX_CPUS) to 's'. */
static inline void vfwd_cpuset_add(struct vfwd_cpuset *s, unsigned int cpu)
{
	s->bits[cpu / 64] |= UINT64_C(1) << (cpu % 64);
}

/* Is 'cpu' in 's'?  False for any number out of range. */
static inline bool vfwd_cpuset_has(const struct vfwd_cpuset *s, int cpu)
{
	if (cpu < 0 || cpu >= VFWD_MAX_CPUS)
		return false;
	return (s->bits[cpu / 64] >> (cpu % 64)) & 1;
}

/* Number of CPUs in 's'. */
unsigned int vfwd_cpuset_count(const struct vfwd_cpuset *s);

/* Writes 's' as a compact list "1-3,8" into 'buf'. */
int vfwd_cpuset_format(const struct vfwd_cpuset *s, char *buf, size_t len);

/* ---- small helpers of the parsers ---- */

/*
 * ASCII character classes: the locale must not change what a value means.
 * A blank is a space, a tab or a carriage return (files written on Windows).
 */
static inline bool vfwd_is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Is 'c' an ASCII decimal digit? */
static inline bool vfwd_is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Can 'c' be part of a shell variable or DPDK driver name? */
static inline bool vfwd_is_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
	       || vfwd_is_digit(c) || c == '_';
}

/* The value of hex digit 'c', or -1 when it is not one. */
int vfwd_hex_value(int c);

/* 's' after its leading blanks. */
const char *vfwd_skip_blanks(const char *s);

/* Does 's' hold whitespace, a control character or a non-ASCII byte? */
bool vfwd_has_space_or_control(const char *s);

/*
 * Parses the whole of 's' as a decimal integer from 'min' to 'max' (no
 * sign, no blanks).  Too large a number is refused, not wrapped.
 */
bool vfwd_parse_ulong(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out);

/*
 * Writes a message into the caller's buffer (when there is one) and
 * returns -EINVAL, so that a parser can "return vfwd_fail(...)".
 */
int vfwd_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Copies 'v' for a message into 'buf' (VFWD_SHOWN_MAX bytes is enough),
 * escaped as vfwd_text_escape() does (a message must stay on one line, in
 * UTF-8), and cut with "..." when long, so that what follows it, the part
 * that says what is allowed, still fits in the error buffer.  Returns
 * 'buf'.
 */
const char *vfwd_show_value(const char *v, char *buf, size_t len);

/*
 * Copies the 'len' bytes at 'in' into 'out' ('outlen' bytes, NUL
 * included) as text that is valid UTF-8 and one line: each byte that is
 * not part of a valid UTF-8 character, and each control character but
 * tab, becomes "\xNN".  Text that leaves the daemon (protobuf strings,
 * log lines) goes through here, since what outsiders send need not be
 * UTF-8.  Stops before a character or escape that would not fit; sets
 * '*used' (when not NULL) to the input bytes copied.  Returns the length
 * written, NUL excluded.
 */
size_t vfwd_text_escape(const char *in, size_t len, char *out, size_t outlen,
			size_t *used);

/* Whether string 's' is valid UTF-8 without control characters (tab
 * aside): what vfwd_text_escape() leaves unchanged. */
bool vfwd_text_is_clean(const char *s);

/*
 * Parses a TCP listening address: "PORT" (loopback, 127.0.0.1),
 * "IPV4:PORT" or "[IPV6]:PORT", with a port from 1 to 65535; no host
 * names (nothing is looked up).  Fills 'addr' (a struct sockaddr_in or
 * sockaddr_in6) and '*addrlen'.
 */
struct sockaddr_storage;
int vfwd_parse_listen(const char *s, struct sockaddr_storage *addr,
		      unsigned int *addrlen, char *err, size_t errlen);

#endif /* VFWD_PARSE_H */
