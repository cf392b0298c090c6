/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration of the daemon: the table of settings, how a value is
 * applied, the defaults, and the checks of relations between values.
 *
 * Every setting is one entry of vfwd_settings[] below.  The entry drives
 * everything about it: the file variable (config_file.c looks it up by
 * name), the command-line option (config_args.c builds getopt's tables and
 * the --help text from the entries), the default (vfwd_config_defaults()
 * applies it), and the checks of a value (vfwd_setting_apply(), the same
 * for the file and the option, so both accept exactly the same values).
 *
 * How to add a setting:
 *
 *   1. Add its field to struct vfwd_config (config.h).
 *   2. Add one entry to vfwd_settings[], in the --help section it belongs
 *      to (or at the end, for a file-only variable): the variable's name,
 *      the kind of value (an existing VFWD_V_* usually fits), FIELD() of
 *      the field, the default, and for an option its long name, letter,
 *      argument, and help text naming the variable.
 *   3. Document it in doc/virtio-forwarder.8: the unit tests check that
 *      every option and variable of --help is there.
 *
 * Only a new kind of value needs code (in vfwd_setting_apply()), and only
 * a check that involves two settings belongs in vfwd_config_validate();
 * a single value is checked where it is parsed.
 */
#include "config.h"
#include "config_table.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

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
#define DEF_POLL_MODE "busy"
#define DEF_POLL_SLEEP_MAX_US "1000"
#define DEF_POLL_IDLE_US "50"
/* What 1.x's VIRTIOFWD_VFIO_VF_TOKEN=0 stands for (its "default token"). */
#define DEF_VFIO_VF_TOKEN "14d63f20-8445-11ea-8900-1f9ce7d5650d"

/* The longest a unix socket path can be (sun_path less its NUL). */
#define SUN_PATH_MAX 107

/* ------------------------------------------------------------------ */
/* The settings                                                        */
/* ------------------------------------------------------------------ */

/* The field a setting sets, for the 'off' and 'size' of an entry. */
#define FIELD(field) .off = offsetof(struct vfwd_config, field), \
		     .size = sizeof(((struct vfwd_config *)0)->field)
/* A bool field, for 'set_off' and 'enable_off' (offset plus one). */
#define FLAG(field) (offsetof(struct vfwd_config, field) + 1)

/* The option parts of an entry, by the kind of argument. */
#define OPT(l, s, arg) .long_opt = l, .short_opt = s, \
		       .has_arg = required_argument, .metavar = arg
#define OPT_OPTIONAL(l, s, arg, bare_value) .long_opt = l, .short_opt = s, \
		       .has_arg = optional_argument, .metavar = arg, \
		       .bare = bare_value
#define OPT_SWITCH(l, s) .long_opt = l, .short_opt = s, \
		       .has_arg = no_argument, .bare = "true"

const struct vfwd_setting vfwd_settings[] = {
	/* ---- Workers and EAL ---- */
	{
		.name = "VIRTIOFWD_CPU_MASK", .kind = VFWD_V_CPUSET,
		FIELD(workers), .def = DEF_CPU_MASK,
		OPT("cpus", 'C', "LIST"),
		.heading = "Workers and EAL:",
		.help = "worker CPUs, e.g. 1,2 or 0-3,8 or 0x6\n"
			"[VIRTIOFWD_CPU_MASK, default " DEF_CPU_MASK "]",
	},
	{
		.name = "VIRTIOFWD_MASTER_LCORE", .kind = VFWD_V_INT,
		FIELD(main_lcore), .min = 0, .max = VFWD_MAX_CPUS - 1,
		.def = DEF_MAIN_LCORE,
		OPT("master-lcore", 'M', "CPU"),
		.help = "CPU of the main (control) thread, not a\n"
			"worker [VIRTIOFWD_MASTER_LCORE, default "
			DEF_MAIN_LCORE "]",
	},
	{
		.name = "VIRTIOFWD_POLL_MODE", .kind = VFWD_V_POLL_MODE,
		FIELD(poll_mode), .def = DEF_POLL_MODE,
		OPT("poll-mode", 0, "MODE"),
		.help = "busy: workers always poll (1.x); adaptive:\n"
			"idle workers sleep until a guest kick, a\n"
			"device interrupt or a timer, and idle relays\n"
			"are polled less often [VIRTIOFWD_POLL_MODE,\n"
			"default " DEF_POLL_MODE "]",
	},
	{
		.name = "VIRTIOFWD_POLL_SLEEP_MAX_US", .kind = VFWD_V_INT,
		FIELD(poll_sleep_max_us), .min = 1, .max = 100000,
		.def = DEF_POLL_SLEEP_MAX_US,
		OPT("poll-sleep-max", 0, "USEC"),
		.help = "longest sleep of an idle worker in adaptive\n"
			"mode, 1-100000 us: the most a packet that\n"
			"raises no event waits\n"
			"[VIRTIOFWD_POLL_SLEEP_MAX_US, default "
			DEF_POLL_SLEEP_MAX_US "]",
	},
	{
		.name = "VIRTIOFWD_POLL_IDLE_US", .kind = VFWD_V_INT,
		FIELD(poll_idle_us), .min = 0, .max = 10000000,
		.def = DEF_POLL_IDLE_US,
		OPT("poll-idle", 0, "USEC"),
		.help = "in adaptive mode, how long a worker keeps\n"
			"polling after its last packet before it\n"
			"sleeps, 0-10000000 us: traffic that comes\n"
			"more often never waits for a wake-up\n"
			"[VIRTIOFWD_POLL_IDLE_US, default "
			DEF_POLL_IDLE_US "]",
	},
	{
		.name = "VIRTIOFWD_LOG_LEVEL", .kind = VFWD_V_INT,
		FIELD(log_level), .min = 0, .max = 7, .def = DEF_LOG_LEVEL,
		OPT("loglevel", 'l', "LEVEL"),
		.help = "log level 0-7, least to most verbose\n"
			"[VIRTIOFWD_LOG_LEVEL, default " DEF_LOG_LEVEL "]",
	},
	{
		/* The daemon never forks; only the log target matters. */
		.kind = VFWD_V_LOG_TARGET, FIELD(log_target),
		OPT_OPTIONAL("nodaemon", 'n', "log_syslog", NULL),
		.help = "stay in the foreground (always done);\n"
			"with log_syslog, log to syslog, not stderr",
	},
	{
		/*
		 * 1.x's start script passed -p "$VIRTIOFWD_PID_DIR": a
		 * directory.  A path ending in ".pid" that is no directory
		 * names the file itself, as earlier 2.0 builds took it.
		 */
		.kind = VFWD_V_PID_PATH, FIELD(pid_path),
		OPT("pid-path", 'p', "PATH"),
		.help = "directory of the pid file " PID_FILE_NAME "\n"
			"(default " DEF_PID_DIR "), or the pid file\n"
			"itself when PATH ends in .pid and is no\n"
			"directory [the file sets the directory\n"
			"with VIRTIOFWD_PID_DIR]",
	},
	{
		.name = "VIRTIOFWD_HUGETLBFS_MOUNT_POINT", .kind = VFWD_V_PATH,
		FIELD(huge_dir), .def = DEF_HUGE_DIR,
		OPT("huge-dir", 'H', "DIR"),
		.help = "hugetlbfs mount for packet buffers\n"
			"[VIRTIOFWD_HUGETLBFS_MOUNT_POINT]",
	},
	{
		.name = "VIRTIOFWD_FILE_PREFIX", .kind = VFWD_V_FILE_PREFIX,
		FIELD(file_prefix), .def = DEF_FILE_PREFIX,
		OPT("file-prefix", 0, "NAME"),
		.help = "DPDK --file-prefix [VIRTIOFWD_FILE_PREFIX,\n"
			"default " DEF_FILE_PREFIX "]",
	},
	{
		.name = "VIRTIOFWD_EAL_ARGS", .kind = VFWD_V_EAL_ARGS,
		FIELD(eal_args),
		OPT("eal-args", 0, "ARGS"),
		.help = "extra EAL arguments, separated by spaces,\n"
			"appended to the daemon's own; repeatable\n"
			"[VIRTIOFWD_EAL_ARGS]",
	},

	/* ---- vhost-user sockets ---- */
	{
		.name = "VIRTIOFWD_SOCKET_DIR", .kind = VFWD_V_PATH,
		FIELD(socket_dir), .def = DEF_SOCKET_DIR,
		OPT("vhost-path", 'V', "DIR"),
		.heading = "vhost-user sockets:",
		.help = "socket directory [VIRTIOFWD_SOCKET_DIR,\n"
			"default " DEF_SOCKET_DIR "]",
	},
	{
		.name = "VIRTIOFWD_SOCKET_FNAME_PATTERN",
		.kind = VFWD_V_PATTERN, FIELD(socket_pattern),
		.def = DEF_SOCKET_PATTERN,
		OPT("vhost-socket", 'S', "PATTERN"),
		.help = "socket file name, one %u for the relay id\n"
			"[VIRTIOFWD_SOCKET_FNAME_PATTERN, default\n"
			DEF_SOCKET_PATTERN "]",
	},
	{
		.name = "VIRTIOFWD_SOCKET_OWNER", .kind = VFWD_V_USER,
		FIELD(socket_owner), .def = DEF_SOCKET_OWNER,
		.empty_means_off = true, .set_off = FLAG(socket_owner_set),
		OPT_OPTIONAL("vhost-username", 'u', "USER", DEF_SOCKET_OWNER),
		.help = "owner of the sockets; empty: do not chown\n"
			"[VIRTIOFWD_SOCKET_OWNER, default " DEF_SOCKET_OWNER "]",
	},
	{
		.name = "VIRTIOFWD_SOCKET_GROUP", .kind = VFWD_V_USER,
		FIELD(socket_group), .def = DEF_SOCKET_GROUP,
		.empty_means_off = true, .set_off = FLAG(socket_group_set),
		OPT_OPTIONAL("vhost-groupname", 'g', "GROUP", DEF_SOCKET_GROUP),
		.help = "group of the sockets; empty: do not chown\n"
			"[VIRTIOFWD_SOCKET_GROUP, default " DEF_SOCKET_GROUP "]",
	},
	{
		.name = "VIRTIOFWD_VHOST_CLIENT", .kind = VFWD_V_FLAG,
		FIELD(vhost_client),
		OPT_SWITCH("vhostuser-client", 'i'),
		.help = "be the vhost-user client and reconnect\n"
			"[VIRTIOFWD_VHOST_CLIENT]",
	},
	{
		.name = "VIRTIOFWD_DYNAMIC_SOCKETS", .kind = VFWD_V_FLAG,
		FIELD(dynamic_sockets),
		OPT_SWITCH("dynamic-sockets", 'd'),
		.help = "create no sockets at start; port control\n"
			"adds them [VIRTIOFWD_DYNAMIC_SOCKETS]",
	},
	{
		.name = "VIRTIOFWD_DYNAMIC_SOCKET_DIRS", .kind = VFWD_V_DIRS,
		FIELD(socket_dirs),
		OPT("dynamic-socket-dir", 0, "DIR"),
		.help = "a directory where port control may put\n"
			"dynamic sockets, besides the socket\n"
			"directory; repeatable\n"
			"[VIRTIOFWD_DYNAMIC_SOCKET_DIRS]",
	},

	/* ---- Features offered to guests ---- */
	{
		.name = "VIRTIOFWD_JUMBO", .kind = VFWD_V_FLAG, FIELD(jumbo),
		OPT_SWITCH("enable-jumbo", 'J'),
		.heading = "Features offered to guests:",
		.help = "jumbo frames [VIRTIOFWD_JUMBO]",
	},
	{
		.name = "VIRTIOFWD_MRGBUF", .kind = VFWD_V_FLAG, FIELD(mrgbuf),
		OPT_SWITCH("enable-mrgbuf", 'R'),
		.help = "mergeable RX buffers [VIRTIOFWD_MRGBUF]",
	},
	{
		.name = "VIRTIOFWD_TSO", .kind = VFWD_V_FLAG, FIELD(tso),
		.def = "y",
		OPT_OPTIONAL("enable-tso", 'T', "y|n", "true"),
		.help = "TSO and checksum offloads, in the device\n"
			"or in software; n: none [VIRTIOFWD_TSO,\n"
			"default on]",
	},
	{
		.name = "VIRTIOFWD_GRO", .kind = VFWD_V_FLAG, FIELD(gro),
		.def = "y",
		OPT_OPTIONAL("enable-gro", 0, "y|n", "true"),
		.help = "coalesce TCP segments toward guests that\n"
			"take large packets (with VIRTIOFWD_TSO)\n"
			"[VIRTIOFWD_GRO, default on]",
	},
	{
		.name = "VIRTIOFWD_ZERO_COPY", .kind = VFWD_V_FLAG,
		FIELD(zero_copy),
		OPT_SWITCH("zero-copy", 0),
		.on_notice = "DPDK removed vhost dequeue zero-copy in 20.11; "
			     "the setting is accepted and has no effect",
		.help = "accepted for 1.x, no effect: DPDK has no\n"
			"dequeue zero-copy any more\n"
			"[VIRTIOFWD_ZERO_COPY]",
	},

	{
		.name = "VIRTIOFWD_POSTCOPY", .kind = VFWD_V_FLAG,
		FIELD(postcopy),
		OPT_OPTIONAL("enable-postcopy", 0, "y|n", "true"),
		.help = "let QEMU migrate guests in postcopy mode;\n"
			"while one does, a worker may wait for a\n"
			"page from the source host\n"
			"[VIRTIOFWD_POSTCOPY, default off]",
	},

	/* ---- Devices and CPUs ---- */
	{
		.name = "VIRTIOFWD_STATIC_VFS", .kind = VFWD_V_STATIC_VFS,
		FIELD(static_devs),
		OPT("add-pci-vf", 'P', "DEV=RELAY"),
		.heading = "Devices and CPUs:",
		.help = "attach a device (PCI address or DPDK\n"
			"devargs) to a relay at start; repeatable\n"
			"[VIRTIOFWD_STATIC_VFS]",
	},
	{
		.name = "VIRTIOFWD_CPU_PINS", .kind = VFWD_V_PINS, FIELD(pins),
		OPT("virtio-cpu", 'c', "RELAY:CPU[,CPU]"),
		.help = "pin a relay: the first CPU serves VF to VM,\n"
			"the second VM to VF; repeatable and\n"
			"';'-separated [VIRTIOFWD_CPU_PINS]",
	},
	{
		.name = "VIRTIOFWD_VF_PROFILES", .kind = VFWD_V_VF_PROFILES,
		FIELD(vf_profiles),
		OPT("vf-profile", 0, "RELAY:PROFILE"),
		.help = "the VF port profile of a relay, set on its\n"
			"VF through the PF: mac=MAC|learn,vlan=N,\n"
			"qos=N,spoofchk=on|off,trust=on|off,\n"
			"max_tx_rate=MBPS,min_tx_rate=MBPS;\n"
			"repeatable [VIRTIOFWD_VF_PROFILES]",
	},
	{
		.name = "VIRTIOFWD_CPU_NIC_SAME_NUMA", .kind = VFWD_V_FLAG,
		FIELD(same_numa),
		OPT_SWITCH("same-numa", 'a'),
		.help = "only use workers on the NIC's NUMA node\n"
			"[VIRTIOFWD_CPU_NIC_SAME_NUMA]",
	},
	{
		.name = "VIRTIOFWD_VFIO_VF_TOKEN", .kind = VFWD_V_UUID,
		FIELD(vfio_vf_token),
		OPT("vfio-vf-token", 't', "UUID"),
		.help = "VF token for vfio-pci bound VFs; 0 is\n"
			"1.x's default token [VIRTIOFWD_VFIO_VF_TOKEN]",
	},
	{
		.name = "VIRTIOFWD_BIND_VFIO_PCI", .kind = VFWD_V_VFIO_BIND,
		FIELD(vfio_bind),
		OPT("bind-vfio-pci", 0, "LIST"),
		.help = "bind these devices to vfio-pci at start:\n"
			"PCI addresses, PF interfaces (all their\n"
			"VFs) or IFNAME:N (the first N VFs),\n"
			"','-separated; repeatable\n"
			"[VIRTIOFWD_BIND_VFIO_PCI]",
	},

	/* ---- Control ---- */
	{
		.name = "VIRTIOFWD_ZMQ_PORT_CONTROL_EP", .kind = VFWD_V_EP,
		FIELD(zmq_port_control_ep), .def = DEF_ZMQ_PORT_CONTROL_EP,
		.empty_means_off = true, .set_off = FLAG(zmq_port_control_set),
		OPT_OPTIONAL("zmq-port-control-ep", 'Z', "EP",
			     DEF_ZMQ_PORT_CONTROL_EP),
		.heading = "Control (an endpoint is ipc://PATH, tcp://HOST:PORT "
			   "or inproc://NAME;\n"
			   "empty is off; an option given without =EP uses the "
			   "default endpoint):",
		.help = "ZeroMQ port control, default\n"
			DEF_ZMQ_PORT_CONTROL_EP "\n"
			"[VIRTIOFWD_ZMQ_PORT_CONTROL_EP]",
	},
	{
		.name = "VIRTIOFWD_ZMQ_STATS_EP", .kind = VFWD_V_EP,
		FIELD(zmq_stats_ep), .def = DEF_ZMQ_STATS_EP,
		.empty_means_off = true,
		OPT_OPTIONAL("zmq-stats-ep", 'z', "EP", DEF_ZMQ_STATS_EP),
		.help = "ZeroMQ statistics, default\n"
			DEF_ZMQ_STATS_EP "\n"
			"[VIRTIOFWD_ZMQ_STATS_EP]",
	},
	{
		.name = "VIRTIOFWD_ZMQ_CORE_SCHED_EP", .kind = VFWD_V_EP,
		FIELD(zmq_core_sched_ep), .def = DEF_ZMQ_CORE_SCHED_EP,
		.empty_means_off = true,
		OPT_OPTIONAL("zmq-core-sched-ep", 's', "EP",
			     DEF_ZMQ_CORE_SCHED_EP),
		.enable_off = FLAG(core_sched_enable),
		.help = "ZeroMQ CPU migration for the load balancer,\n"
			"and turn it on; default\n"
			DEF_ZMQ_CORE_SCHED_EP "\n"
			"[VIRTIOFWD_ZMQ_CORE_SCHED_EP and\n"
			"VIO4WD_CORE_SCHED_ENABLE]",
	},
	{
		.name = "VIRTIOFWD_ZMQ_CONFIG_EP", .kind = VFWD_V_EP,
		FIELD(zmq_config_ep),
		OPT_OPTIONAL("zmq-config-ep", 'Y', "EP", DEF_ZMQ_CONFIG_EP),
		.help = "ZeroMQ config queries, off by default;\n"
			"without EP " DEF_ZMQ_CONFIG_EP "\n"
			"[VIRTIOFWD_ZMQ_CONFIG_EP]",
	},
	{
		.name = "VIRTIOFWD_OVSDB_SOCK_PATH", .kind = VFWD_V_OVSDB,
		FIELD(ovsdb_sock), .def = DEF_OVSDB_SOCK,
		.set_off = FLAG(ovsdb_sock_set),
		OPT("ovsdb-sock", 'O', "PATH"),
		.help = "watch the ovsdb-server at PATH for ports\n"
			"[VIRTIOFWD_OVSDB_SOCK_PATH]",
	},
	{
		.name = "VIRTIOFWD_IPC_PORT_CONTROL", .kind = VFWD_V_FLAG,
		FIELD(ipc_port_control),
		OPT_SWITCH("ipc", 'I'),
		.help = "file-based port control\n"
			"[VIRTIOFWD_IPC_PORT_CONTROL]",
	},

	{
		.name = "VIRTIOFWD_METRICS_EP", .kind = VFWD_V_LISTEN,
		FIELD(metrics_ep), .empty_means_off = true,
		OPT("metrics-ep", 0, "[ADDR:]PORT"),
		.help = "serve Prometheus metrics over HTTP on\n"
			"PORT (127.0.0.1), IPV4:PORT or [IPV6]:PORT;\n"
			"off by default [VIRTIOFWD_METRICS_EP]",
	},

	/* ---- File only ---- */
	{
		.name = "VIRTIOFWD_PID_DIR", .kind = VFWD_V_PID_DIR,
		FIELD(pid_path), .def = DEF_PID_DIR,
	},
	{
		.name = "VIRTIOFWD_IPC_DIR", .kind = VFWD_V_PATH,
		FIELD(ipc_dir), .def = DEF_IPC_DIR,
	},
	{
		.name = "VIO4WD_CORE_SCHED_ENABLE", .kind = VFWD_V_TRUE_ONLY,
		FIELD(core_sched_enable),
	},
	{
		.name = "VIO4WD_CORE_SCHED_SENSITIVITY", .kind = VFWD_V_DOUBLE,
		FIELD(sched_sensitivity), .max = 10,
		.def = DEF_SCHED_SENSITIVITY,
	},
	{
		.name = "VIO4WD_CORE_SCHED_POLL_INTERVAL", .kind = VFWD_V_INT,
		FIELD(sched_poll_interval), .min = 1, .max = 3600,
		.def = DEF_SCHED_POLL_INTERVAL,
	},
	{
		.name = "VIO4WD_CORE_SCHED_LOG_LEVEL", .kind = VFWD_V_INT,
		FIELD(sched_log_level), .min = 0, .max = 7,
		.def = DEF_LOG_LEVEL,
	},
	{
		.name = "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT", .kind = VFWD_V_FLAG,
		FIELD(sched_global_numa),
	},
	{
		/* The daemon 1.x's start script ran: systemd decides here. */
		.name = "VIRTIOFWD_BINARY", .kind = VFWD_V_IGNORED,
	},
};

const size_t vfwd_n_settings = sizeof vfwd_settings / sizeof vfwd_settings[0];

const struct vfwd_setting *
vfwd_setting_find(const char *name)
{
	size_t i;

	for (i = 0; i < vfwd_n_settings; i++)
		if (vfwd_settings[i].name && !strcmp(vfwd_settings[i].name, name))
			return &vfwd_settings[i];
	return NULL;
}

bool
vfwd_setting_is_list(const struct vfwd_setting *s)
{
	return s->kind == VFWD_V_STATIC_VFS || s->kind == VFWD_V_PINS
	       || s->kind == VFWD_V_EAL_ARGS || s->kind == VFWD_V_VFIO_BIND
	       || s->kind == VFWD_V_DIRS || s->kind == VFWD_V_VF_PROFILES;
}

/* ------------------------------------------------------------------ */
/* Checks of single values                                             */
/* ------------------------------------------------------------------ */

static bool
strcase_in(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcasecmp(s, *words))
			return true;
	return false;
}

/*
 * Values of a 1.x "non-empty enables" flag that were surely meant as off.
 * 1.x read them as on; they are off here, with a notice.
 */
static const char *const false_words[] = {
	"false", "no", "off", "0", "n", NULL
};

static int
check_path(const char *v, size_t size, char *why, size_t len)
{
	const char *p;

	if (v[0] != '/')
		return vfwd_fail(why, len, "must be an absolute path (starting "
				 "with '/')");
	for (p = v; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return vfwd_fail(why, len, "must not contain control "
					 "characters");
	return strlen(v) < size ? 0 : vfwd_fail(why, len, "is too long "
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
		if (v[n] == '\0' || vfwd_has_space_or_control(v))
			break;
		if (strlen(v) >= VFWD_EP_MAX)
			return vfwd_fail(why, len, "is too long (at most %d "
					 "bytes)", VFWD_EP_MAX - 1);
		return 0;
	}
	return vfwd_fail(why, len, "must be an endpoint ipc://PATH, "
			 "tcp://HOST:PORT or inproc://NAME, or empty (off)");
}

static int
check_user(const char *v, char *why, size_t len)
{
	if (strlen(v) >= VFWD_NAME_MAX || vfwd_has_space_or_control(v)
	    || strpbrk(v, ":/"))
		return vfwd_fail(why, len, "must be a name of at most %d "
				 "characters without whitespace, ':' or '/', "
				 "or empty (do not chown)", VFWD_NAME_MAX - 1);
	return 0;
}

static int
check_uuid(const char *v, char *why, size_t len)
{
	size_t i;

	for (i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? v[i] != '-' : vfwd_hex_value(v[i]) < 0)
			break;
	}
	if (i < 36 || v[36] != '\0')
		return vfwd_fail(why, len, "must be a UUID like "
				 DEF_VFIO_VF_TOKEN ", or 0 for that one (1.x's "
				 "default token), or empty (none)");
	return 0;
}

/* The forms ovsdb-server's --remote takes for a client. */
static int
check_ovsdb(const char *v, size_t size, char *why, size_t len)
{
	struct vfwd_ovsdb_target t;
	int r;

	if (vfwd_parse_ovsdb_target(v, &t) != 0)
		return vfwd_fail(why, len, "must be a socket path, unix:PATH or "
				 "tcp:IPv4:PORT");
	if (!t.tcp) {
		r = check_path(t.path, size, why, len);
		if (r < 0)
			return r;
	}
	/* The whole value is stored: "unix:" and leading zeros count. */
	if (strlen(v) >= size)
		return vfwd_fail(why, len, "is too long (at most %zu bytes)",
				 size - 1);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lists                                                               */
/* ------------------------------------------------------------------ */

/*
 * Does 'dev' clash with one of the 'n' devices of 'devs'?  Each relay
 * serves one device and each device one relay; the file, the options and
 * vfwd_config_validate() all say so in the same words.
 */
static int
static_dev_clash(const struct vfwd_static_dev *devs, unsigned int n,
		 const struct vfwd_static_dev *dev, char *why, size_t len)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		const struct vfwd_static_dev *o = &devs[i];

		if (o->relay == dev->relay)
			return vfwd_fail(why, len, "relay %u is given twice "
					 "(%s and %s); each relay serves one "
					 "device", dev->relay, o->spec,
					 dev->spec);
		if (!strcmp(o->spec, dev->spec))
			return vfwd_fail(why, len, "%s is given twice (relays "
					 "%u and %u)", dev->spec, o->relay,
					 dev->relay);
	}
	return 0;
}

static int
add_static_dev(struct vfwd_config *cfg, const char *tok,
	       char *why, size_t len)
{
	struct vfwd_static_dev dev;
	int r;

	/* No stack garbage after the spec: configs compare with memcmp(). */
	memset(&dev, 0, sizeof dev);
	r = vfwd_parse_static_dev(tok, &dev, why, len);
	if (r < 0)
		return r;
	r = static_dev_clash(cfg->static_devs, cfg->n_static_devs, &dev,
			     why, len);
	if (r < 0)
		return r;
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
	/*
	 * As in 1.x, a later pin of the same relay replaces the earlier, so
	 * the list never holds more than one pin per relay.
	 */
	for (i = 0; i < cfg->n_pins; i++)
		if (cfg->pins[i].relay == pin.relay)
			break;
	cfg->pins[i] = pin;
	if (i == cfg->n_pins)
		cfg->n_pins++;
	return 0;
}

/* "RELAY:PROFILE"; a later profile of the same relay replaces the earlier,
 * as pins do. */
static int
add_vf_profile(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	struct vfwd_relay_profile rp;
	const char *colon = strchr(tok, ':');
	unsigned long relay;
	unsigned int i;
	char *end;
	int r;

	if (colon == NULL || colon == tok)
		return vfwd_fail(why, len, "must be RELAY:PROFILE, e.g. "
				 "3:mac=52:54:00:12:34:56,vlan=100");
	errno = 0;
	relay = strtoul(tok, &end, 10);
	if (end != colon || tok[0] < '0' || tok[0] > '9' || errno ||
	    relay >= VFWD_MAX_RELAYS)
		return vfwd_fail(why, len, "relay %.*s: must be a relay id 0-%d",
				 (int)(colon - tok), tok, VFWD_MAX_RELAYS - 1);
	rp.relay = (unsigned int)relay;
	r = vfwd_vf_profile_parse(colon + 1, &rp.p, why, len);
	if (r < 0)
		return r;
	for (i = 0; i < cfg->n_vf_profiles; i++)
		if (cfg->vf_profiles[i].relay == rp.relay)
			break;
	cfg->vf_profiles[i] = rp;
	if (i == cfg->n_vf_profiles)
		cfg->n_vf_profiles++;
	return 0;
}

static int
add_eal_arg(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	size_t used = strlen(cfg->eal_args);
	size_t n = strlen(tok);

	if (vfwd_has_space_or_control(tok))
		return vfwd_fail(why, len, "an EAL argument must not contain "
				 "whitespace; give each argument as its own "
				 "array element or word");
	if (used + (used > 0) + n >= sizeof cfg->eal_args)
		return vfwd_fail(why, len, "the EAL arguments are too long (at "
				 "most %zu bytes in all)",
				 sizeof cfg->eal_args - 1);
	if (used)
		cfg->eal_args[used++] = ' ';
	memcpy(cfg->eal_args + used, tok, n + 1);
	return 0;
}

static int
add_vfio_bind(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	struct vfwd_vfio_bind b;
	unsigned int i;
	int r;

	r = vfwd_parse_vfio_bind(tok, &b, why, len);
	if (r < 0)
		return r;
	for (i = 0; i < cfg->n_vfio_bind; i++)
		if (cfg->vfio_bind[i].is_pci == b.is_pci
		    && !strcmp(cfg->vfio_bind[i].name, b.name))
			return vfwd_fail(why, len, "is given twice (as %s)",
					 b.name);
	if (cfg->n_vfio_bind == VFWD_VFIO_BIND_MAX)
		return vfwd_fail(why, len, "more than %d devices or interfaces",
				 VFWD_VFIO_BIND_MAX);
	cfg->vfio_bind[cfg->n_vfio_bind++] = b;
	return 0;
}

/*
 * A directory for dynamic sockets: an absolute path, short enough that a
 * socket in it fits a unix socket path, given once.  A trailing '/' is
 * dropped, so that the daemon compares directories as realpath(3) names
 * them.
 */
static int
add_dir(struct vfwd_config *cfg, const char *tok, char *why, size_t len)
{
	char dir[VFWD_SOCKET_DIR_SIZE];
	size_t n = strlen(tok);
	unsigned int i;
	int r;

	r = check_path(tok, sizeof dir, why, len);
	if (r < 0)
		return r;
	while (n > 1 && tok[n - 1] == '/')
		n--;
	memset(dir, 0, sizeof dir);
	memcpy(dir, tok, n);
	for (i = 0; i < cfg->n_socket_dirs; i++)
		if (!strcmp(cfg->socket_dirs[i], dir))
			return vfwd_fail(why, len, "%s is given twice", dir);
	if (cfg->n_socket_dirs == VFWD_SOCKET_DIRS_MAX)
		return vfwd_fail(why, len, "more than %d directories",
				 VFWD_SOCKET_DIRS_MAX);
	memcpy(cfg->socket_dirs[cfg->n_socket_dirs++], dir, sizeof dir);
	return 0;
}

/*
 * The tokens of a list value are separated by whitespace, and also by ';'
 * (pins) or ',' (devices to bind, as 1.x wrote them).
 */
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

/*
 * Adds the entries of one list value (a scalar, an array element or an
 * option argument) to the list of 's'.  A failing entry is named when
 * the value holds more than one.
 */
static int
append_list(struct vfwd_config *cfg, const struct vfwd_setting *s,
	    const char *v, char *why, size_t len)
{
	const char *seps = s->kind == VFWD_V_PINS ? " \t\r\n\v\f;"
			   : s->kind == VFWD_V_VFIO_BIND ? " \t\r\n\v\f,"
			   : " \t\r\n\v\f";
	char tok[VFWD_EAL_ARGS_MAX + VFWD_DEVSPEC_MAX];
	const char *whole = v, *t;
	size_t n;
	int r;

	while ((t = next_token(&v, seps, &n))) {
		char inner[VFWD_ERR_MAX], shown[VFWD_SHOWN_MAX];

		if (n >= sizeof tok)
			return vfwd_fail(why, len, "'%.32s...' is too long", t);
		memcpy(tok, t, n);
		tok[n] = '\0';
		switch (s->kind) {
		case VFWD_V_STATIC_VFS:
			r = add_static_dev(cfg, tok, inner, sizeof inner);
			break;
		case VFWD_V_PINS:
			r = add_pin(cfg, tok, inner, sizeof inner);
			break;
		case VFWD_V_VFIO_BIND:
			r = add_vfio_bind(cfg, tok, inner, sizeof inner);
			break;
		case VFWD_V_DIRS:
			r = add_dir(cfg, tok, inner, sizeof inner);
			break;
		case VFWD_V_VF_PROFILES:
			r = add_vf_profile(cfg, tok, inner, sizeof inner);
			break;
		default:
			r = add_eal_arg(cfg, tok, inner, sizeof inner);
			break;
		}
		if (r < 0) {
			if (t == whole && n == strlen(whole))
				return vfwd_fail(why, len, "%s", inner);
			vfwd_show_value(tok, shown, sizeof shown);
			return vfwd_fail(why, len, "'%s': %s", shown, inner);
		}
	}
	return 0;
}

void
vfwd_setting_clear_list(struct vfwd_config *cfg, const struct vfwd_setting *s)
{
	if (s->kind == VFWD_V_STATIC_VFS)
		cfg->n_static_devs = 0;
	else if (s->kind == VFWD_V_PINS)
		cfg->n_pins = 0;
	else if (s->kind == VFWD_V_VFIO_BIND)
		cfg->n_vfio_bind = 0;
	else if (s->kind == VFWD_V_VF_PROFILES)
		cfg->n_vf_profiles = 0;
	else if (s->kind == VFWD_V_DIRS) {
		cfg->n_socket_dirs = 0;
		memset(cfg->socket_dirs, 0, sizeof cfg->socket_dirs);
	} else
		cfg->eal_args[0] = '\0';
}

/* ------------------------------------------------------------------ */
/* Applying a value                                                    */
/* ------------------------------------------------------------------ */

/* Copies a checked string value into its field (its size was checked). */
static void
set_string(char *field, const char *v)
{
	memcpy(field, v, strlen(v) + 1);
}

/* Writes "<dir>/virtio-forwarder.pid" into the pid path field of 's'. */
static int
set_pid_in_dir(char *field, const struct vfwd_setting *s, const char *dir,
	       char *why, size_t len)
{
	size_t n = strlen(dir);
	int k;

	k = snprintf(field, s->size, "%s%s" PID_FILE_NAME, dir,
		     n && dir[n - 1] == '/' ? "" : "/");
	if (k < 0 || (size_t)k >= s->size)
		return vfwd_fail(why, len, "is too long (at most %zu bytes with "
				 "/" PID_FILE_NAME ")",
				 s->size - 1 - strlen("/" PID_FILE_NAME));
	return 0;
}

/*
 * Is 'path' meant as the directory of the pid file?  1.x's -p named a
 * directory, so it is one unless it names no existing directory and its
 * last component ends in ".pid".
 */
static bool
pid_path_is_dir(const char *path)
{
	const char *base = strrchr(path, '/') + 1;
	size_t n = strlen(base);
	struct stat st;

	if (stat(path, &st) == 0)
		return S_ISDIR(st.st_mode);
	return !(n > 4 && !strcmp(base + n - 4, ".pid"));
}

/* The name of 's' in messages: its variable, else its option. */
static const char *
setting_label(const struct vfwd_setting *s, char *buf, size_t len)
{
	if (s->name)
		return s->name;
	snprintf(buf, len, "--%s", s->long_opt);
	return buf;
}

/* Applies 'v' to the field of 's'; see vfwd_setting_apply(). */
static int
apply_kind(struct vfwd_config *cfg, const struct vfwd_setting *s,
	   const char *v, bool empty, char *why, size_t len)
{
	char *field = (char *)cfg + s->off;
	char label[64], shown[VFWD_SHOWN_MAX];
	unsigned long ul;
	int r = 0;

	switch (s->kind) {
	case VFWD_V_CPUSET:
		return vfwd_parse_cpulist(v, (struct vfwd_cpuset *)field,
					  why, len);
	case VFWD_V_INT:
		if (!vfwd_parse_ulong(v, s->min, s->max, &ul))
			return vfwd_fail(why, len, "must be an integer from "
					 "%ld to %ld", s->min, s->max);
		/*
		 * The fields are int or unsigned int; writing either through
		 * an int lvalue is allowed (C11 6.5p7), and ul <= max fits.
		 */
		*(int *)field = (int)ul;
		return 0;
	case VFWD_V_DOUBLE: {
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
		    || !(d > 0 && d <= s->max))
			return vfwd_fail(why, len, "must be a number greater "
					 "than 0 and at most %ld", s->max);
		*(double *)field = d;
		return 0;
	}
	case VFWD_V_PATH:
		r = check_path(v, s->size, why, len);
		break;
	case VFWD_V_OVSDB:
		r = check_ovsdb(v, s->size, why, len);
		break;
	case VFWD_V_PID_DIR:
		r = check_path(v, s->size, why, len);
		return r < 0 ? r : set_pid_in_dir(field, s, v, why, len);
	case VFWD_V_PID_PATH:
		r = check_path(v, s->size, why, len);
		if (r < 0 || pid_path_is_dir(v))
			return r < 0 ? r : set_pid_in_dir(field, s, v, why, len);
		break;
	case VFWD_V_PATTERN:
		r = vfwd_check_socket_pattern(v, why, len);
		break;
	case VFWD_V_USER:
		r = check_user(v, why, len);
		break;
	case VFWD_V_EP:
		if (!empty)
			r = check_endpoint(v, why, len);
		break;
	case VFWD_V_FLAG:
		*(bool *)field = !empty && !strcase_in(v, false_words);
		if (!empty && !*(bool *)field)
			vfwd_config_notice("%s=%s: off; 1.x read any non-empty "
					   "value as on, this one too (an empty "
					   "value is off in both)",
					   setting_label(s, label, sizeof label),
					   vfwd_show_value(v, shown,
							   sizeof shown));
		else if (*(bool *)field && s->on_notice)
			vfwd_config_notice("%s: %s", setting_label(s, label,
				sizeof label), s->on_notice);
		return 0;
	case VFWD_V_TRUE_ONLY:
		*(bool *)field = !strcmp(v, "true");
		if (!empty && !*(bool *)field && strcmp(v, "false"))
			vfwd_config_notice("%s=%s: off; only 'true' turns it on, "
					   "as in 1.x",
					   setting_label(s, label, sizeof label),
					   vfwd_show_value(v, shown,
							   sizeof shown));
		return 0;
	case VFWD_V_UUID:
		/* 1.x documented 0 as "the default token". */
		if (!strcmp(v, "0"))
			v = DEF_VFIO_VF_TOKEN;
		else if (!empty)
			r = check_uuid(v, why, len);
		break;
	case VFWD_V_IGNORED:
		return 0;
	case VFWD_V_FILE_PREFIX:
		if (strspn(v, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_-") != strlen(v)
		    || strlen(v) >= s->size)
			return vfwd_fail(why, len, "must be 1 to %zu letters, "
					 "digits, '_' or '-'", s->size - 1);
		break;
	case VFWD_V_LISTEN:
		if (!empty) {
			struct sockaddr_storage ss;
			unsigned int sl;

			if (strlen(v) >= s->size)
				return vfwd_fail(why, len, "is too long (at most "
						 "%zu bytes)", s->size - 1);
			r = vfwd_parse_listen(v, &ss, &sl, why, len);
		}
		break;
	case VFWD_V_POLL_MODE:
		if (strcmp(v, "busy") == 0)
			*(enum vfwd_poll_mode *)field = VFWD_POLL_BUSY;
		else if (strcmp(v, "adaptive") == 0)
			*(enum vfwd_poll_mode *)field = VFWD_POLL_ADAPTIVE;
		else
			return vfwd_fail(why, len, "must be busy or adaptive");
		return 0;
	case VFWD_V_LOG_TARGET:
		if (strcmp(v, "log_syslog"))
			return vfwd_fail(why, len, "the only value allowed is "
					 "log_syslog");
		*(enum vfwd_log_target *)field = VFWD_LOG_SYSLOG;
		return 0;
	case VFWD_V_STATIC_VFS:
	case VFWD_V_PINS:
	case VFWD_V_EAL_ARGS:
	case VFWD_V_VFIO_BIND:
	case VFWD_V_DIRS:
	case VFWD_V_VF_PROFILES:
		return append_list(cfg, s, v, why, len);
	}
	/* The string kinds that break out of the switch: store the value. */
	if (r == 0)
		set_string(field, v);
	return r;
}

int
vfwd_setting_apply(struct vfwd_config *cfg, const struct vfwd_setting *s,
		   const char *v, char *why, size_t len)
{
	bool empty = *v == '\0';
	int r;

	if (empty && s->def && !s->empty_means_off)
		v = s->def;
	r = apply_kind(cfg, s, v, empty, why, len);
	if (r == 0 && s->set_off)
		*(bool *)((char *)cfg + s->set_off - 1) =
			s->kind == VFWD_V_OVSDB ? !empty : true;
	return r;
}

int
vfwd_config_fail_value(char *err, size_t errlen, const char *what,
		       const char *value, const char *why)
{
	char shown[VFWD_SHOWN_MAX];

	return vfwd_fail(err, errlen, "%s=%s: %s", what,
			 vfwd_show_value(value, shown, sizeof shown), why);
}

int
vfwd_config_set_at(struct vfwd_config *cfg, const char *where,
		   const char *name, const char *const *values,
		   unsigned int n_values, bool is_array,
		   char *err, size_t errlen)
{
	const struct vfwd_setting *s = vfwd_setting_find(name);
	char why[VFWD_ERR_MAX];
	struct vfwd_config *saved;
	unsigned int i;
	int r = 0;

	if (!s) {
		vfwd_config_warn("%s%sunknown variable %s, ignored",
				 where ? where : "", where ? ": " : "", name);
		return 1;
	}

	if (!vfwd_setting_is_list(s)) {
		const char *v = n_values ? values[0] : "";

		if (n_values > 1)
			return vfwd_fail(err, errlen, "%s: takes a single "
					 "value, not an array of %u", name,
					 n_values);
		if (vfwd_setting_apply(cfg, s, v, why, sizeof why) < 0)
			return vfwd_config_fail_value(err, errlen, name, v,
						      why);
		return 0;
	}

	/* A list is assigned as a whole: a failing entry keeps the old one. */
	saved = malloc(sizeof *saved);
	if (!saved) {
		vfwd_fail(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	*saved = *cfg;
	vfwd_setting_clear_list(cfg, s);
	for (i = 0; i < n_values && r == 0; i++) {
		if (s->kind == VFWD_V_EAL_ARGS && is_array
		    && vfwd_has_space_or_control(values[i])) {
			r = vfwd_config_fail_value(err, errlen, name, values[i],
						   "an array element must be a "
						   "single EAL argument, "
						   "without whitespace");
			break;
		}
		r = vfwd_setting_apply(cfg, s, values[i], why, sizeof why);
		if (r < 0)
			vfwd_config_fail_value(err, errlen, name, values[i],
					       why);
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
	return vfwd_config_set_at(cfg, NULL, name, values, n_values, is_array,
				  err, errlen);
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */
/* ------------------------------------------------------------------ */

void
vfwd_config_defaults(struct vfwd_config *cfg)
{
	char why[VFWD_ERR_MAX];
	size_t i;

	memset(cfg, 0, sizeof *cfg);
	for (i = 0; i < vfwd_n_settings; i++) {
		const struct vfwd_setting *s = &vfwd_settings[i];
		int r;

		if (!s->def)
			continue;
		r = apply_kind(cfg, s, s->def, false, why, sizeof why);
		/* A default the table refuses is a bug; test_defaults sees it. */
		assert(r == 0);
		(void)r;
	}
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

/* Notices go to stderr, replaceable as vfwd_config_warn() is. */
__attribute__((weak)) void
vfwd_config_notice(const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "virtio-forwarder: notice: %s\n", msg);
}

/* ------------------------------------------------------------------ */
/* Relations between values                                            */
/* ------------------------------------------------------------------ */

/* The port control sources in 1.x's order of precedence. */
static const struct {
	enum vfwd_port_control pc;
	const char *variable;
	const char *what;
} port_controls[] = {
	{ VFWD_PORT_CONTROL_ZMQ, "VIRTIOFWD_ZMQ_PORT_CONTROL_EP",
	  "ZeroMQ port control" },
	{ VFWD_PORT_CONTROL_IPC, "VIRTIOFWD_IPC_PORT_CONTROL",
	  "IPC file port control" },
	{ VFWD_PORT_CONTROL_OVSDB, "VIRTIOFWD_OVSDB_SOCK_PATH",
	  "the OVSDB monitor" },
};
#define N_PORT_CONTROLS (sizeof port_controls / sizeof port_controls[0])

/* Was port control source 'i' of port_controls[] enabled explicitly? */
static bool
port_control_enabled(const struct vfwd_config *cfg, size_t i)
{
	switch (port_controls[i].pc) {
	case VFWD_PORT_CONTROL_ZMQ:
		return cfg->zmq_port_control_set
		       && cfg->zmq_port_control_ep[0] != '\0';
	case VFWD_PORT_CONTROL_IPC:
		return cfg->ipc_port_control;
	default:
		return cfg->ovsdb_sock_set;
	}
}

enum vfwd_port_control
vfwd_config_port_control(const struct vfwd_config *cfg)
{
	size_t i;

	for (i = 0; i < N_PORT_CONTROLS; i++)
		if (port_control_enabled(cfg, i))
			return port_controls[i].pc;
	/* None explicitly: ZeroMQ on its default endpoint, as in 1.x. */
	if (cfg->zmq_port_control_ep[0] != '\0')
		return VFWD_PORT_CONTROL_ZMQ;
	return VFWD_PORT_CONTROL_NONE;
}

/* Appends to the message 'buf' of 'len' bytes, of which '*used' are. */
static void __attribute__((format(printf, 4, 5)))
append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	*used = n < 0 ? len : *used + (size_t)n;
}

/*
 * 1.x ran with the first port control source enabled and ignored the
 * others without a word; its shipped file enables two.  Say, in one line,
 * which sources are left off and how to have one of them instead: empty
 * the variables of every source enabled before it.
 */
static void
warn_port_controls(const struct vfwd_config *cfg)
{
	size_t i, j, winner = N_PORT_CONTROLS, n_off = 0, used = 0;
	char msg[VFWD_ERR_MAX];

	msg[0] = '\0';
	for (i = 0; i < N_PORT_CONTROLS; i++) {
		if (!port_control_enabled(cfg, i))
			continue;
		if (winner == N_PORT_CONTROLS) {
			winner = i;
			append(msg, sizeof msg, &used, "port control: %s (%s) is "
			       "used, as 1.x did", port_controls[i].what,
			       port_controls[i].variable);
			continue;
		}
		n_off++;
		append(msg, sizeof msg, &used, "%s %s (%s) is off; to use it "
		       "instead, set", n_off == 1 ? ";" : "; and",
		       port_controls[i].what, port_controls[i].variable);
		for (j = 0; j < i; j++)
			if (port_control_enabled(cfg, j))
				append(msg, sizeof msg, &used, "%s %s",
				       j == winner ? "" : " and",
				       port_controls[j].variable);
		append(msg, sizeof msg, &used, " empty");
	}
	if (n_off)
		vfwd_config_warn("%s", msg);
}

int
vfwd_socket_path(const struct vfwd_config *cfg, unsigned int id,
		 char *buf, size_t len)
{
	return vfwd_build_socket_path(cfg->socket_dir, cfg->socket_pattern, id,
				      buf, len);
}

/*
 * Values that the parsers checked one by one are not checked again here:
 * the structure is only ever filled through them.  What is left is what
 * no single value shows, plus the few checks that callers filling a
 * structure by hand rely on (a worker set, distinct static devices, the
 * socket pattern), which are run through the parsers' own code.
 */
int
vfwd_config_validate(const struct vfwd_config *cfg,
		     char *err, size_t errlen)
{
	char workers[VFWD_ERR_MAX / 2], why[VFWD_ERR_MAX];
	char path[PATH_MAX + VFWD_SOCKET_PATTERN_MAX + 16];
	unsigned int i, j;

	vfwd_cpuset_format(&cfg->workers, workers, sizeof workers);
	if (!vfwd_cpuset_count(&cfg->workers))
		return vfwd_fail(err, errlen, "VIRTIOFWD_CPU_MASK (--cpus): no "
				 "worker CPU; give at least one");
	if (vfwd_cpuset_has(&cfg->workers, cfg->main_lcore))
		return vfwd_fail(err, errlen, "VIRTIOFWD_MASTER_LCORE "
				 "(--master-lcore) %d is also a worker in "
				 "VIRTIOFWD_CPU_MASK (--cpus) %s; the main "
				 "lcore must not be a worker CPU",
				 cfg->main_lcore, workers);

	for (i = 0; i < cfg->n_pins; i++) {
		const struct vfwd_pin *pin = &cfg->pins[i];
		int cpus[2] = { pin->cpu_vf_to_vm, pin->cpu_vm_to_vf };

		for (j = 0; j < 2; j++)
			if (cpus[j] != -1
			    && !vfwd_cpuset_has(&cfg->workers, cpus[j]))
				return vfwd_fail(err, errlen,
						 "VIRTIOFWD_CPU_PINS: relay %u: "
						 "CPU %d is not a worker CPU "
						 "(workers: %s)", pin->relay,
						 cpus[j], workers);
	}

	for (i = 1; i < cfg->n_static_devs; i++)
		if (static_dev_clash(cfg->static_devs, i, &cfg->static_devs[i],
				     why, sizeof why) < 0)
			return vfwd_fail(err, errlen, "VIRTIOFWD_STATIC_VFS: %s",
					 why);

	if (vfwd_check_socket_pattern(cfg->socket_pattern, why, sizeof why))
		return vfwd_fail(err, errlen, "VIRTIOFWD_SOCKET_FNAME_PATTERN "
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
			return vfwd_fail(err, errlen, "VIRTIOFWD_SOCKET_DIR "
					 "(--vhost-path) and "
					 "VIRTIOFWD_SOCKET_FNAME_PATTERN "
					 "(--vhost-socket) make socket paths "
					 "like %.200s longer than the %d bytes "
					 "a unix socket path can hold", path,
					 SUN_PATH_MAX);
	}

	if (cfg->n_socket_dirs > 0 && !cfg->dynamic_sockets)
		vfwd_config_warn("VIRTIOFWD_DYNAMIC_SOCKET_DIRS "
				 "(--dynamic-socket-dir) has no effect without "
				 "dynamic sockets (VIRTIOFWD_DYNAMIC_SOCKETS)");

	if (cfg->core_sched_enable && !cfg->zmq_core_sched_ep[0])
		return vfwd_fail(err, errlen, "VIO4WD_CORE_SCHED_ENABLE is true "
				 "but VIRTIOFWD_ZMQ_CORE_SCHED_EP "
				 "(--zmq-core-sched-ep) is empty; give an "
				 "endpoint");
	warn_port_controls(cfg);
	return 0;
}
