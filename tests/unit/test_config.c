/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of src/config.c: the file reader, every variable, the value
 * parsers, the command line and the cross checks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "config.h"
#include "config_table.h"

#include <getopt.h>

/* Warnings are caught here instead of going to stderr. */
static char last_warning[VFWD_ERR_MAX];
static unsigned int n_warnings;

void vfwd_config_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_warning, sizeof last_warning, fmt, ap);
	va_end(ap);
	n_warnings++;
}

/* And so are notices. */
static char last_notice[VFWD_ERR_MAX];
static unsigned int n_notices;

void vfwd_config_notice(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_notice, sizeof last_notice, fmt, ap);
	va_end(ap);
	n_notices++;
}

static char err[VFWD_ERR_MAX];

/* Loads 'text' on top of the defaults; returns what the loader did. */
static int
load(struct vfwd_config *cfg, const char *text)
{
	vfwd_config_defaults(cfg);
	err[0] = '\0';
	return vfwd_config_load_string(cfg, text, "t.conf", err, sizeof err);
}

static void
load_ok(struct vfwd_config *cfg, const char *text)
{
	int r = load(cfg, text);

	if (r != 0)
		fail_msg("loading '%s' failed (%d): %s", text, r, err);
}

static void
assert_cpus(const struct vfwd_cpuset *set, const char *expected)
{
	char buf[512];

	assert_int_equal(vfwd_cpuset_format(set, buf, sizeof buf), 0);
	assert_string_equal(buf, expected);
}

/* ---- defaults and variables ---- */

static void
test_defaults(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	memset(&cfg, 0xa5, sizeof cfg);
	vfwd_config_defaults(&cfg);
	assert_cpus(&cfg.workers, "1-2");
	assert_int_equal(cfg.main_lcore, 0);
	assert_int_equal(cfg.log_level, 6);
	assert_int_equal(cfg.log_target, VFWD_LOG_STDERR);
	assert_string_equal(cfg.huge_dir, "/mnt/huge");
	assert_string_equal(cfg.pid_path, "/var/run/virtio-forwarder.pid");
	assert_string_equal(cfg.eal_args, "");
	assert_string_equal(cfg.file_prefix, "virtio-forwarder");
	assert_string_equal(cfg.vfio_vf_token, "");
	assert_string_equal(cfg.socket_dir, "/tmp");
	assert_string_equal(cfg.socket_pattern, "virtio-forwarder%u.sock");
	assert_string_equal(cfg.socket_owner, "libvirt-qemu");
	assert_false(cfg.socket_owner_set);
	assert_string_equal(cfg.socket_group, "kvm");
	assert_false(cfg.socket_group_set);
	assert_false(cfg.vhost_client || cfg.dynamic_sockets || cfg.jumbo
		     || cfg.mrgbuf || cfg.same_numa);
	/* Offloads are on unless the variable says otherwise. */
	assert_true(cfg.tso && cfg.gro);
	assert_int_equal(cfg.n_static_devs, 0);
	assert_int_equal(cfg.n_pins, 0);
	assert_string_equal(cfg.zmq_port_control_ep,
			    "ipc:///var/run/virtio-forwarder/port_control");
	assert_false(cfg.zmq_port_control_set);
	assert_string_equal(cfg.zmq_stats_ep,
			    "ipc:///var/run/virtio-forwarder/stats");
	assert_string_equal(cfg.zmq_core_sched_ep,
			    "ipc:///var/run/virtio-forwarder/core_sched");
	assert_string_equal(cfg.zmq_config_ep, "");
	assert_false(cfg.core_sched_enable);
	assert_string_equal(cfg.ovsdb_sock,
			    "/usr/local/var/run/openvswitch/db.sock");
	assert_false(cfg.ovsdb_sock_set);
	assert_false(cfg.ipc_port_control);
	assert_true(cfg.sched_sensitivity == 0.25);
	assert_int_equal(cfg.sched_poll_interval, 5);
	assert_int_equal(cfg.sched_log_level, 6);
	assert_false(cfg.sched_global_numa);
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
}

static void
test_scalar_variables(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	load_ok(&cfg,
		"VIRTIOFWD_CPU_MASK=0-3,8\n"
		"VIRTIOFWD_MASTER_LCORE=127\n"
		"VIRTIOFWD_LOG_LEVEL=0\n"
		"VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages\n"
		"VIRTIOFWD_SOCKET_DIR=/run/vfwd\n"
		"VIRTIOFWD_SOCKET_FNAME_PATTERN=vm-%%-%u.sock\n"
		"VIRTIOFWD_SOCKET_OWNER=qemu\n"
		"VIRTIOFWD_SOCKET_GROUP=\n"
		"VIRTIOFWD_ZMQ_PORT_CONTROL_EP=tcp://127.0.0.1:5555\n"
		"VIRTIOFWD_ZMQ_STATS_EP=\n"
		"VIRTIOFWD_ZMQ_CORE_SCHED_EP=inproc://sched\n"
		"VIRTIOFWD_ZMQ_CONFIG_EP=ipc:///run/vfwd/config\n"
		"VIO4WD_CORE_SCHED_ENABLE=true\n"
		"VIO4WD_CORE_SCHED_SENSITIVITY=0.5\n"
		"VIO4WD_CORE_SCHED_POLL_INTERVAL=3600\n"
		"VIO4WD_CORE_SCHED_LOG_LEVEL=7\n"
		"VIRTIOFWD_OVSDB_SOCK_PATH=/run/openvswitch/db.sock\n"
		"VIRTIOFWD_VFIO_VF_TOKEN=14d63f20-8445-11ea-8900-1f9ce7d5650D\n"
		"VIRTIOFWD_PID_DIR=/run/\n"
		"VIRTIOFWD_FILE_PREFIX=vfwd_2-b\n");
	assert_cpus(&cfg.workers, "0-3,8");
	assert_int_equal(cfg.main_lcore, 127);
	assert_int_equal(cfg.log_level, 0);
	assert_string_equal(cfg.huge_dir, "/dev/hugepages");
	assert_string_equal(cfg.socket_dir, "/run/vfwd");
	assert_string_equal(cfg.socket_pattern, "vm-%%-%u.sock");
	assert_string_equal(cfg.socket_owner, "qemu");
	assert_true(cfg.socket_owner_set);
	assert_string_equal(cfg.socket_group, "");      /* do not chown */
	assert_true(cfg.socket_group_set);
	assert_string_equal(cfg.zmq_port_control_ep, "tcp://127.0.0.1:5555");
	assert_true(cfg.zmq_port_control_set);
	assert_string_equal(cfg.zmq_stats_ep, "");      /* off */
	assert_string_equal(cfg.zmq_core_sched_ep, "inproc://sched");
	assert_string_equal(cfg.zmq_config_ep, "ipc:///run/vfwd/config");
	assert_true(cfg.core_sched_enable);
	assert_true(cfg.sched_sensitivity == 0.5);
	assert_int_equal(cfg.sched_poll_interval, 3600);
	assert_int_equal(cfg.sched_log_level, 7);
	assert_string_equal(cfg.ovsdb_sock, "/run/openvswitch/db.sock");
	assert_true(cfg.ovsdb_sock_set);
	assert_string_equal(cfg.vfio_vf_token,
			    "14d63f20-8445-11ea-8900-1f9ce7d5650D");
	assert_string_equal(cfg.pid_path, "/run/virtio-forwarder.pid");
	assert_string_equal(cfg.file_prefix, "vfwd_2-b");

	load_ok(&cfg, "VIRTIOFWD_CPU_MASK=0x6\nVIRTIOFWD_PID_DIR=/srv/x\n"
		"VIO4WD_CORE_SCHED_SENSITIVITY=10\n"
		"VIO4WD_CORE_SCHED_POLL_INTERVAL=1\n"
		"VIRTIOFWD_ZMQ_PORT_CONTROL_EP=\n");
	assert_cpus(&cfg.workers, "1-2");
	assert_string_equal(cfg.pid_path, "/srv/x/virtio-forwarder.pid");
	assert_true(cfg.sched_sensitivity == 10);
	assert_int_equal(cfg.sched_poll_interval, 1);
	assert_string_equal(cfg.zmq_port_control_ep, "");
	assert_true(cfg.zmq_port_control_set);

	/* An empty value restores the default (and is not "explicit"). */
	load_ok(&cfg,
		"VIRTIOFWD_LOG_LEVEL=3\nVIRTIOFWD_LOG_LEVEL=\n"
		"VIRTIOFWD_CPU_MASK=5\nVIRTIOFWD_CPU_MASK=\n"
		"VIRTIOFWD_MASTER_LCORE=\nVIRTIOFWD_HUGETLBFS_MOUNT_POINT=\n"
		"VIRTIOFWD_SOCKET_DIR=\nVIRTIOFWD_SOCKET_FNAME_PATTERN=\n"
		"VIRTIOFWD_OVSDB_SOCK_PATH=\nVIRTIOFWD_PID_DIR=\n"
		"VIRTIOFWD_FILE_PREFIX=\nVIRTIOFWD_VFIO_VF_TOKEN=\n"
		"VIO4WD_CORE_SCHED_SENSITIVITY=\n"
		"VIO4WD_CORE_SCHED_POLL_INTERVAL=\n"
		"VIO4WD_CORE_SCHED_LOG_LEVEL=\n"
		"VIRTIOFWD_ZMQ_CONFIG_EP=\n");
	{
		struct vfwd_config def;

		vfwd_config_defaults(&def);
		assert_memory_equal(&cfg, &def, sizeof cfg);
	}
}

static void
test_boolean_variables(void **state)
{
	/* 1.x "set to anything non-null to enable" flags. */
	static const char *const flags[] = {
		"VIRTIOFWD_VHOST_CLIENT", "VIRTIOFWD_IPC_PORT_CONTROL",
		"VIRTIOFWD_JUMBO", "VIRTIOFWD_MRGBUF", "VIRTIOFWD_TSO",
		"VIRTIOFWD_CPU_NIC_SAME_NUMA", "VIRTIOFWD_DYNAMIC_SOCKETS",
		"VIRTIOFWD_ZERO_COPY", "VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT",
		"VIRTIOFWD_GRO", "VIRTIOFWD_POSTCOPY",
	};
	/* on: the value; notice: an explicit negative 1.x read as on. */
	static const struct {
		const char *value;
		bool on;
		bool notice;
	} flag_values[] = {
		{ "", false, false }, { "''", false, false },
		{ "false", false, true }, { "No", false, true },
		{ "OFF", false, true }, { "0", false, true }, { "n", false, true },
		{ "1", true, false }, { "y", true, false }, { "yes", true, false },
		{ "true", true, false }, { "enabled", true, false },
		{ "2", true, false }, { "'x y'", true, false },
	};
	/* 1.x: "anything else than 'true' equates to disabled". */
	static const struct {
		const char *value;
		bool on;
		bool notice;
	} true_values[] = {
		{ "", false, false }, { "false", false, false },
		{ "true", true, false }, { "'true'", true, false },
		{ "True", false, true }, { "TRUE", false, true },
		{ "yes", false, true }, { "1", false, true },
		{ "on", false, true }, { "enabled", false, true },
	};
	struct vfwd_config cfg;
	char text[256], expected[256];
	size_t i, j;

	(void)state;
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++) {
		bool zero_copy = !strcmp(flags[i], "VIRTIOFWD_ZERO_COPY");
		/* The flags that are on when not set stay on while another
		 * is tested; an empty value turns them off as any other. */
		int others_on = strcmp(flags[i], "VIRTIOFWD_TSO") != 0;

		others_on += strcmp(flags[i], "VIRTIOFWD_GRO") != 0;

		for (j = 0; j < sizeof flag_values / sizeof flag_values[0]; j++) {
			snprintf(text, sizeof text, "%s=%s\n", flags[i],
				 flag_values[j].value);
			n_notices = 0;
			last_notice[0] = '\0';
			load_ok(&cfg, text);
			assert_int_equal(cfg.vhost_client + cfg.ipc_port_control
					 + cfg.jumbo + cfg.mrgbuf + cfg.tso
					 + cfg.same_numa + cfg.sched_global_numa
					 + cfg.dynamic_sockets + cfg.zero_copy
					 + cfg.gro + cfg.postcopy,
					 flag_values[j].on + others_on);
			if (flag_values[j].notice) {
				/* One line: off, and why 1.x differs. */
				assert_int_equal(n_notices, 1);
				snprintf(expected, sizeof expected, "%s=%s: off; "
					 "1.x read any non-empty value as on, "
					 "this one too (an empty value is off in "
					 "both)", flags[i], flag_values[j].value);
				assert_string_equal(last_notice, expected);
			} else if (zero_copy && flag_values[j].on) {
				assert_int_equal(n_notices, 1);
				assert_string_equal(last_notice,
					"VIRTIOFWD_ZERO_COPY: DPDK removed vhost "
					"dequeue zero-copy in 20.11; the setting "
					"is accepted and has no effect");
			} else {
				assert_int_equal(n_notices, 0);
			}
		}
	}
	for (j = 0; j < sizeof true_values / sizeof true_values[0]; j++) {
		snprintf(text, sizeof text, "VIO4WD_CORE_SCHED_ENABLE=%s\n",
			 true_values[j].value);
		n_notices = 0;
		load_ok(&cfg, text);
		assert_int_equal(cfg.core_sched_enable, true_values[j].on);
		assert_int_equal(n_notices, true_values[j].notice);
		if (true_values[j].notice) {
			snprintf(expected, sizeof expected,
				 "VIO4WD_CORE_SCHED_ENABLE=%s: off; only 'true' "
				 "turns it on, as in 1.x", true_values[j].value);
			assert_string_equal(last_notice, expected);
		}
	}
}

static void
test_list_variables(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	/* The three forms the 1.x manual gives. */
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=0000:05:08.1=1\n");
	assert_int_equal(cfg.n_static_devs, 1);
	assert_string_equal(cfg.static_devs[0].spec, "0000:05:08.1");
	assert_int_equal(cfg.static_devs[0].relay, 1);
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=(0000:05:08.1=1)\n");
	assert_int_equal(cfg.n_static_devs, 1);
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=(0000:05:08.1=1    "
		"05:08.2=2 net_af_packet0,iface=veth1=3)\n");
	assert_int_equal(cfg.n_static_devs, 3);
	assert_string_equal(cfg.static_devs[1].spec, "0000:05:08.2");
	assert_int_equal(cfg.static_devs[1].relay, 2);
	assert_string_equal(cfg.static_devs[2].spec,
			    "net_af_packet0,iface=veth1");
	assert_int_equal(cfg.static_devs[2].relay, 3);
	/* A later assignment replaces the list; empty means none. */
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=(0000:05:08.1=1)\n"
		"VIRTIOFWD_STATIC_VFS=\"0000:05:08.3=3 0000:05:08.4=4\"\n");
	assert_int_equal(cfg.n_static_devs, 2);
	assert_int_equal(cfg.static_devs[0].relay, 3);
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=(0000:05:08.1=1)\n"
		"VIRTIOFWD_STATIC_VFS=\n");
	assert_int_equal(cfg.n_static_devs, 0);
	load_ok(&cfg, "VIRTIOFWD_STATIC_VFS=()\n");
	assert_int_equal(cfg.n_static_devs, 0);

	/* Pins: ';'-separated, with or without prefix, or an array. */
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=\"--virtio-cpu=0:1;--virtio-cpu="
		"3:1,2;5:2;\"\n");
	assert_int_equal(cfg.n_pins, 3);
	assert_int_equal(cfg.pins[0].relay, 0);
	assert_int_equal(cfg.pins[0].cpu_vf_to_vm, 1);
	assert_int_equal(cfg.pins[0].cpu_vm_to_vf, 1);
	assert_int_equal(cfg.pins[1].relay, 3);
	assert_int_equal(cfg.pins[1].cpu_vf_to_vm, 1);
	assert_int_equal(cfg.pins[1].cpu_vm_to_vf, 2);
	assert_int_equal(cfg.pins[2].relay, 5);
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=(--virtio-cpu=0:1 '1:2;2:1')\n");
	assert_int_equal(cfg.n_pins, 3);
	/* Unquoted ';' (bash would have cut there) and space separators. */
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=--virtio-cpu=0:1;--virtio-cpu=1:2\n");
	assert_int_equal(cfg.n_pins, 2);
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=\"--virtio-cpu=0:1 --virtio-cpu=1:2 "
		"--virtio-cpu=2:1\"\n");
	assert_int_equal(cfg.n_pins, 3);
	assert_int_equal(cfg.pins[2].relay, 2);
	/* Pinning a relay again replaces its pin. */
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=\"0:1;0:2,1\"\n");
	assert_int_equal(cfg.n_pins, 1);
	assert_int_equal(cfg.pins[0].cpu_vf_to_vm, 2);
	assert_int_equal(cfg.pins[0].cpu_vm_to_vf, 1);

	/* EAL arguments: words of a scalar, or array elements. */
	load_ok(&cfg, "VIRTIOFWD_EAL_ARGS=\"--no-pci  --log-level=8\"\n");
	assert_string_equal(cfg.eal_args, "--no-pci --log-level=8");
	load_ok(&cfg, "VIRTIOFWD_EAL_ARGS=(--vdev net_null0 --no-telemetry)\n");
	assert_string_equal(cfg.eal_args, "--vdev net_null0 --no-telemetry");
}

static void
test_bad_values(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "VIRTIOFWD_LOG_LEVEL=9", "t.conf:1: VIRTIOFWD_LOG_LEVEL=9: "
		  "must be an integer from 0 to 7" },
		{ "VIRTIOFWD_LOG_LEVEL=-1", "must be an integer from 0 to 7" },
		{ "VIRTIOFWD_LOG_LEVEL=six", "=six: must be an integer" },
		{ "VIRTIOFWD_CPU_MASK=1,200", "VIRTIOFWD_CPU_MASK=1,200: CPU "
		  "200 is out of range (0 to 127)" },
		{ "VIRTIOFWD_CPU_MASK=0x0", "selects no CPU" },
		{ "VIRTIOFWD_MASTER_LCORE=128", "VIRTIOFWD_MASTER_LCORE=128: "
		  "must be an integer from 0 to 127" },
		{ "VIRTIOFWD_HUGETLBFS_MOUNT_POINT=mnt/huge",
		  "VIRTIOFWD_HUGETLBFS_MOUNT_POINT=mnt/huge: must be an "
		  "absolute path" },
		{ "VIRTIOFWD_SOCKET_DIR=tmp", "must be an absolute path" },
		{ "VIRTIOFWD_SOCKET_FNAME_PATTERN=vm.sock",
		  "VIRTIOFWD_SOCKET_FNAME_PATTERN=vm.sock: must contain %u" },
		{ "VIRTIOFWD_SOCKET_FNAME_PATTERN=vm%s%u", "'%s' is not "
		  "allowed" },
		{ "VIRTIOFWD_SOCKET_OWNER='a b'", "VIRTIOFWD_SOCKET_OWNER=a b: "
		  "must be a name" },
		{ "VIRTIOFWD_SOCKET_GROUP=a:b", "must be a name" },
		{ "VIRTIOFWD_SOCKET_OWNER=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaa", "at most 63 characters" },
		{ "VIRTIOFWD_STATIC_VFS=0000:05:08.1", "VIRTIOFWD_STATIC_VFS="
		  "0000:05:08.1: must be <PCI address or devargs>=<relay id>" },
		{ "VIRTIOFWD_STATIC_VFS=(05:08.1=1 05:08.2=1)",
		  "VIRTIOFWD_STATIC_VFS=05:08.2=1: relay 1 is given twice" },
		{ "VIRTIOFWD_STATIC_VFS='05:08.1=1 05:08.1=2'",
		  "'05:08.1=2': 0000:05:08.1 is given twice" },
		{ "VIRTIOFWD_STATIC_VFS=05:08.1=64", "relay id '64' must be "
		  "an integer from 0 to 63" },
		{ "VIRTIOFWD_CPU_PINS=\"0:1;1:999\"", "VIRTIOFWD_CPU_PINS="
		  "0:1;1:999: '1:999': CPU 999 is out of range (0 to 127)" },
		{ "VIRTIOFWD_CPU_PINS=64:1", "relay 64 is out of range "
		  "(0 to 63)" },
		{ "VIRTIOFWD_CPU_PINS=1:2,3,4", "at most two CPUs" },
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=/tmp/pc", "VIRTIOFWD_ZMQ_PORT_"
		  "CONTROL_EP=/tmp/pc: must be an endpoint ipc://PATH, "
		  "tcp://HOST:PORT or inproc://NAME" },
		{ "VIRTIOFWD_ZMQ_STATS_EP=ipc://", "must be an endpoint" },
		{ "VIRTIOFWD_ZMQ_CORE_SCHED_EP=udp://x:1", "must be an endpoint" },
		{ "VIRTIOFWD_ZMQ_CONFIG_EP='tcp://a b'", "must be an endpoint" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=0", "VIO4WD_CORE_SCHED_"
		  "SENSITIVITY=0: must be a number greater than 0 and at most "
		  "10" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=10.5", "greater than 0" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=-1", "greater than 0" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=1e-1", "greater than 0" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=nan", "greater than 0" },
		{ "VIO4WD_CORE_SCHED_SENSITIVITY=0.2.1", "greater than 0" },
		{ "VIO4WD_CORE_SCHED_POLL_INTERVAL=0", "VIO4WD_CORE_SCHED_POLL_"
		  "INTERVAL=0: must be an integer from 1 to 3600" },
		{ "VIO4WD_CORE_SCHED_POLL_INTERVAL=3601", "from 1 to 3600" },
		{ "VIO4WD_CORE_SCHED_LOG_LEVEL=8", "VIO4WD_CORE_SCHED_LOG_LEVEL"
		  "=8: must be an integer from 0 to 7" },
		{ "VIRTIOFWD_OVSDB_SOCK_PATH=db.sock", "must be an absolute "
		  "path" },
		{ "VIRTIOFWD_VFIO_VF_TOKEN=1234", "VIRTIOFWD_VFIO_VF_TOKEN=1234:"
		  " must be a UUID" },
		{ "VIRTIOFWD_VFIO_VF_TOKEN=14d63f20-8445-11ea-8900-1f9ce7d5650dd",
		  "must be a UUID" },
		{ "VIRTIOFWD_VFIO_VF_TOKEN=14d63f20x8445-11ea-8900-1f9ce7d5650d",
		  "must be a UUID" },
		{ "VIRTIOFWD_PID_DIR=run", "VIRTIOFWD_PID_DIR=run: must be an "
		  "absolute path" },
		{ "VIRTIOFWD_EAL_ARGS=('--vdev net_null0')",
		  "VIRTIOFWD_EAL_ARGS=--vdev net_null0: an array element must "
		  "be a single EAL argument, without whitespace" },
		{ "VIRTIOFWD_FILE_PREFIX=a/b", "VIRTIOFWD_FILE_PREFIX=a/b: must "
		  "be 1 to 63 letters, digits, '_' or '-'" },
		{ "VIRTIOFWD_LOG_LEVEL=(1 2)", "VIRTIOFWD_LOG_LEVEL: takes a "
		  "single value, not an array of 2" },
	};
	struct vfwd_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[256];

		snprintf(text, sizeof text, "%s\n", cases[i].text);
		if (load(&cfg, text) != -EINVAL)
			fail_msg("'%s' was not refused", cases[i].text);
		assert_contains(err, cases[i].msg);
		assert_true(strncmp(err, "t.conf:1: ", 10) == 0);
	}

	/* The EAL arguments have a total length limit. */
	{
		char text[1200] = "VIRTIOFWD_EAL_ARGS=\"";
		size_t n = strlen(text);

		while (n < 1100)
			n += sprintf(text + n, "--abcdefgh ");
		strcpy(text + n, "\"\n");
		assert_int_equal(load(&cfg, text), -EINVAL);
		assert_contains(err, "too long (at most 1023 bytes in all)");
	}
}

/* ---- file syntax ---- */

static void
test_syntax(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	n_warnings = 0;
	load_ok(&cfg,
		"# a comment\n"
		"\n"
		"   \t\n"
		"   # an indented comment\n"
		"export VIRTIOFWD_LOG_LEVEL=5 # trailing comment\n"
		"VIRTIOFWD_SOCKET_OWNER=\"qe\\\"m\\\\u\\$\" # quoted\n"
		"VIRTIOFWD_SOCKET_GROUP='k#v\\m'\n"
		"VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/mnt/h#ge\n"
		"VIRTIOFWD_SOCKET_DIR=/ru\"n/\"'v'fwd\n"
		"VIRTIOFWD_SOCKET_FNAME_PATTERN=a\\ b%u\n"
		"VIRTIOFWD_ZMQ_STATS_EP=\"ipc:///x\\y\"\r\n"
		"export VIRTIOFWD_LOG_LEVEL\n"
		"VIRTIOFWD_STATIC_VFS=(   # devices\n"
		"    0000:05:08.1=1  # the first\n"
		"\n"
		"    # a comment line inside\n"
		"    \"0000:05:08.2=2\" '0000:05:08.3=3'\n"
		"    0000:05:08.4=4)  # done\n"
		"VIRTIOFWD_CPU_PINS=( \"1:1\" \n"
		")\n");
	assert_int_equal(cfg.log_level, 5);
	assert_string_equal(cfg.socket_owner, "qe\"m\\u$");
	assert_string_equal(cfg.socket_group, "k#v\\m");
	assert_string_equal(cfg.huge_dir, "/mnt/h#ge");
	assert_string_equal(cfg.socket_dir, "/run/vfwd");
	assert_string_equal(cfg.socket_pattern, "a b%u");
	assert_string_equal(cfg.zmq_stats_ep, "ipc:///x\\y");
	assert_int_equal(cfg.n_static_devs, 4);
	assert_string_equal(cfg.static_devs[3].spec, "0000:05:08.4");
	assert_int_equal(cfg.n_pins, 1);
	assert_int_equal(n_warnings, 0);

	/* No final newline, and an empty text. */
	load_ok(&cfg, "VIRTIOFWD_LOG_LEVEL=2");
	assert_int_equal(cfg.log_level, 2);
	load_ok(&cfg, "");
	load_ok(&cfg, "VIRTIOFWD_EAL_ARGS=('' -x \"\")");
	assert_string_equal(cfg.eal_args, "-x");
}

static void
test_syntax_errors(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} cases[] = {
		{ "VIRTIOFWD_LOG_LEVEL=\"5\n", "t.conf:1: VIRTIOFWD_LOG_LEVEL: "
		  "unterminated double quote" },
		{ "\n\nVIRTIOFWD_SOCKET_OWNER='qemu\nX=1'\n", "t.conf:3: "
		  "VIRTIOFWD_SOCKET_OWNER: unterminated single quote" },
		{ "# x\nVIRTIOFWD_STATIC_VFS=(0000:05:08.1=1\n"
		  "0000:05:08.2=2\n", "t.conf:2: VIRTIOFWD_STATIC_VFS: "
		  "unterminated array" },
		{ "VIRTIOFWD_STATIC_VFS=(a=1 # )\n", "t.conf:1: "
		  "VIRTIOFWD_STATIC_VFS: unterminated array" },
		{ "VIRTIOFWD_STATIC_VFS=(\n'a=1\n)\n", "t.conf:2: "
		  "VIRTIOFWD_STATIC_VFS: unterminated single quote" },
		{ "VIRTIOFWD_LOG_LEVEL = 5\n", "t.conf:1: expected NAME=value "
		  "(without spaces around '=')" },
		{ "VIRTIOFWD_LOG_LEVEL\n", "t.conf:1: expected NAME=value" },
		{ "5X=1\n", "t.conf:1: expected NAME=value" },
		{ "=1\n", "t.conf:1: expected NAME=value" },
		{ "VIRTIOFWD_LOG_LEVEL+=5\n", "'+=' is not supported" },
		{ "VIRTIOFWD_SOCKET_OWNER=a b\n", "t.conf:1: "
		  "VIRTIOFWD_SOCKET_OWNER: unexpected text 'b' after the value" },
		{ "VIRTIOFWD_STATIC_VFS=(a=1) b\n", "unexpected text 'b'" },
		{ "VIRTIOFWD_SOCKET_DIR=$HOME/x\n", "VIRTIOFWD_SOCKET_DIR: shell "
		  "expansion ('$' or '`') is not supported" },
		{ "VIRTIOFWD_SOCKET_DIR=\"${X}\"\n", "shell expansion" },
		{ "VIRTIOFWD_SOCKET_DIR=`pwd`\n", "shell expansion" },
		{ "VIRTIOFWD_SOCKET_DIR=/tmp\\\n/x\n", "(line continuation) is "
		  "not supported" },
		{ "VIRTIOFWD_LOG_LEVEL=1\n\n\nVIRTIOFWD_LOG_LEVEL=8\n",
		  "t.conf:4: VIRTIOFWD_LOG_LEVEL=8:" },
		{ "VIRTIOFWD_CPU_PINS=(\n1:1\n1:200\n)\n",
		  "t.conf:1: VIRTIOFWD_CPU_PINS=1:200: CPU 200 is out of range" },
	};
	struct vfwd_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (load(&cfg, cases[i].text) != -EINVAL)
			fail_msg("'%s' was not refused", cases[i].text);
		assert_contains(err, cases[i].msg);
	}
}

static void
test_unknown_variable(void **state)
{
	struct vfwd_config cfg;
	const char *one = "1";

	(void)state;
	n_warnings = 0;
	load_ok(&cfg, "VIRTIOFWD_LOG_LEVEL=4\nVIRTIOFWD_NO_SUCH=(a 'b c')\n"
		"PATH=/bin\nVIRTIOFWD_JUMBO=1\n");
	assert_int_equal(n_warnings, 2);
	assert_string_equal(last_warning, "t.conf:3: unknown variable PATH, "
			    "ignored");
	assert_int_equal(cfg.log_level, 4);
	assert_true(cfg.jumbo);

	/* Through the API: 1 after a warning without a location. */
	vfwd_config_defaults(&cfg);
	assert_int_equal(vfwd_config_set(&cfg, "VIRTIOFWD_BOGUS", &one, 1,
					 false, err, sizeof err), 1);
	assert_string_equal(last_warning, "unknown variable VIRTIOFWD_BOGUS, "
			    "ignored");
	assert_int_equal(n_warnings, 3);
}

static void
test_set_api(void **state)
{
	static const char *const good[] = { "05:08.1=1", "05:08.2=2" };
	static const char *const bad[] = { "05:08.3=3", "05:08.4=3" };
	static const char *const level[] = { "3" };
	struct vfwd_config cfg;

	(void)state;
	vfwd_config_defaults(&cfg);
	assert_int_equal(vfwd_config_set(&cfg, "VIRTIOFWD_STATIC_VFS", good, 2,
					 true, err, sizeof err), 0);
	assert_int_equal(cfg.n_static_devs, 2);
	/* A failing list keeps the list it had. */
	assert_int_equal(vfwd_config_set(&cfg, "VIRTIOFWD_STATIC_VFS", bad, 2,
					 true, err, sizeof err), -EINVAL);
	assert_string_equal(err, "VIRTIOFWD_STATIC_VFS=05:08.4=3: relay 3 is "
			    "given twice (0000:05:08.3 and 0000:05:08.4); "
			    "each relay serves one device");
	assert_int_equal(cfg.n_static_devs, 2);
	assert_string_equal(cfg.static_devs[1].spec, "0000:05:08.2");
	/* A one-element array works for a scalar, as $NAME did in bash. */
	assert_int_equal(vfwd_config_set(&cfg, "VIRTIOFWD_LOG_LEVEL", level, 1,
					 true, err, sizeof err), 0);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(vfwd_config_set(&cfg, "VIRTIOFWD_LOG_LEVEL", NULL, 0,
					 true, err, sizeof err), 0);
	assert_int_equal(cfg.log_level, 6);
}

static void
test_limits(void **state)
{
	struct vfwd_config cfg;
	size_t len = 1024 * 1024 + 16;
	char *text = malloc(len + 1);
	size_t n, i;

	(void)state;
	assert_non_null(text);

	/* A line of exactly 4096 bytes is fine, 4097 is not. */
	n = sprintf(text, "VIRTIOFWD_LOG_LEVEL=1\n# ");
	memset(text + n, 'x', 4094);
	strcpy(text + n + 4094, "\n");
	load_ok(&cfg, text);
	strcpy(text + n + 4094, "y\nVIRTIOFWD_LOG_LEVEL=2\n");
	assert_int_equal(load(&cfg, text), -EINVAL);
	assert_string_equal(err, "t.conf:2: line longer than 4096 bytes");

	/* 256 array elements are fine, 257 are not. */
	for (i = 256; i <= 257; i++) {
		size_t k;

		n = sprintf(text, "VIRTIOFWD_EAL_ARGS=(\n");
		for (k = 0; k < i; k++)
			n += sprintf(text + n, "-x%s", k % 16 == 15 ? "\n"
								   : " ");
		strcpy(text + n, ")\n");
		if (i == 256) {
			load_ok(&cfg, text);
			assert_int_equal(strlen(cfg.eal_args), 256 * 3 - 1);
		} else {
			assert_int_equal(load(&cfg, text), -EINVAL);
			assert_string_equal(err, "t.conf:18: VIRTIOFWD_EAL_ARGS:"
					    " more than 256 array elements");
		}
	}

	/* More than 1 MiB of text. */
	memset(text, '\n', len);
	text[len] = '\0';
	assert_int_equal(load(&cfg, text), -EFBIG);
	assert_contains(err, "t.conf: larger than 1048576 bytes");
	free(text);
}

static void
test_load_file(void **state)
{
	char path[] = "/tmp/test_config.XXXXXX";
	struct vfwd_config cfg, before;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("VIRTIOFWD_CPU_MASK=3-4\nVIRTIOFWD_MASTER_LCORE=1\n", fp);
	fclose(fp);

	vfwd_config_defaults(&cfg);
	assert_int_equal(vfwd_config_load_file(&cfg, path, err, sizeof err), 0);
	assert_cpus(&cfg.workers, "3-4");
	assert_int_equal(cfg.main_lcore, 1);

	/* A file with an error changes nothing. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("VIRTIOFWD_CPU_MASK=7\nVIRTIOFWD_MASTER_LCORE=x\n", fp);
	fclose(fp);
	before = cfg;
	assert_int_equal(vfwd_config_load_file(&cfg, path, err, sizeof err),
			 -EINVAL);
	assert_memory_equal(&cfg, &before, sizeof cfg);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_contains(err, ":2: VIRTIOFWD_MASTER_LCORE=x: must be an integer"
			" from 0 to 127");

	/* A NUL byte, and a file too large. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("VIRTIOFWD_JUMBO=1\n", fp);
	fputc('\0', fp);
	fclose(fp);
	assert_int_equal(vfwd_config_load_file(&cfg, path, err, sizeof err),
			 -EINVAL);
	assert_contains(err, "contains a NUL byte");
	assert_int_equal(truncate(path, 1024 * 1024 + 1), 0);
	assert_int_equal(vfwd_config_load_file(&cfg, path, err, sizeof err),
			 -EFBIG);
	assert_contains(err, "larger than 1048576 bytes");

	unlink(path);
	assert_int_equal(vfwd_config_load_file(&cfg, path, err, sizeof err),
			 -ENOENT);
	assert_contains(err, path);
	assert_contains(err, "No such file or directory");
}

/* ---- value parsers ---- */

static void
test_cpulist(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} good[] = {
		{ "1,2", "1-2" }, { "0-3,8", "0-3,8" }, { " 1 , 2 ", "1-2" },
		{ "5", "5" }, { "3-3", "3" }, { "2,1,2", "1-2" },
		{ "0-127", "0-127" }, { "127", "127" }, { "1 - 3", "1-3" },
		{ "0x6", "1-2" }, { "0X1", "0" }, { "0xf0", "4-7" },
		{ "0x80000000000000000000000000000000", "127" },
		{ "0x00000000000000000000000000000001", "0" },
		{ "0x101", "0,8" }, { "0xAb", "0-1,3,5,7" },
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "", "must not be empty" }, { "  ", "must not be empty" },
		{ "-1", "cannot be negative" }, { "1,-2", "cannot be negative" },
		{ "128", "CPU 128 is out of range (0 to 127)" },
		{ "99999999999999999999999", "CPU 99999999999999999999999 is "
		  "out of range" },
		{ "3-1", "range 3-1 is reversed; write 1-3" },
		{ "1,2x", "unexpected 'x'" }, { "1,", "expected a CPU number" },
		{ ",1", "expected a CPU number at ',1'" },
		{ "1,,2", "expected a CPU number" }, { "1-", "expected a CPU" },
		{ "a", "expected a CPU number" }, { "1 2", "unexpected '2'" },
		{ "0x", "0x followed by 1 to 32 hex digits" },
		{ "0x0", "selects no CPU" }, { "0x000", "selects no CPU" },
		{ "0x6g", "hex digits" }, { "0x-1", "hex digits" },
		{ "0x100000000000000000000000000000000", "at most 32 hex "
		  "digits" },
	};
	struct vfwd_cpuset set;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (vfwd_parse_cpulist(good[i].in, &set, err, sizeof err))
			fail_msg("'%s' refused: %s", good[i].in, err);
		assert_cpus(&set, good[i].out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		vfwd_parse_cpulist("9", &set, NULL, 0);
		if (vfwd_parse_cpulist(bad[i].in, &set, err, sizeof err)
		    != -EINVAL)
			fail_msg("'%s' accepted", bad[i].in);
		assert_contains(err, bad[i].msg);
		assert_cpus(&set, "9");         /* untouched on error */
	}
	assert_int_equal(vfwd_parse_cpulist(NULL, &set, NULL, 0), -EINVAL);
}

static void
test_cpuset_helpers(void **state)
{
	struct vfwd_cpuset set;
	char buf[8];
	unsigned int i;

	(void)state;
	memset(&set, 0, sizeof set);
	assert_cpus(&set, "");
	assert_int_equal(vfwd_cpuset_count(&set), 0);
	for (i = 0; i < VFWD_MAX_CPUS; i += 2)
		vfwd_cpuset_add(&set, i);
	assert_int_equal(vfwd_cpuset_count(&set), 64);
	assert_true(vfwd_cpuset_has(&set, 126));
	assert_false(vfwd_cpuset_has(&set, 127));
	assert_false(vfwd_cpuset_has(&set, -1));
	assert_false(vfwd_cpuset_has(&set, VFWD_MAX_CPUS));
	assert_int_equal(vfwd_cpuset_format(&set, buf, sizeof buf), -ENOSPC);
	assert_true(strlen(buf) < sizeof buf);
	assert_int_equal(vfwd_cpuset_format(&set, buf, 0), -ENOSPC);
	memset(&set, 0, sizeof set);
	vfwd_cpuset_add(&set, 1);
	vfwd_cpuset_add(&set, 2);
	vfwd_cpuset_add(&set, 3);
	vfwd_cpuset_add(&set, 8);
	vfwd_cpuset_add(&set, 63);
	vfwd_cpuset_add(&set, 64);
	assert_cpus(&set, "1-3,8,63-64");
}

static void
test_pin(void **state)
{
	static const struct {
		const char *in;
		unsigned int relay;
		int a, b;
	} good[] = {
		{ "0:1", 0, 1, 1 }, { "3:1,2", 3, 1, 2 },
		{ "--virtio-cpu=63:127", 63, 127, 127 },
		{ "--virtio-cpu=2:5,4", 2, 5, 4 }, { " 1:2 ", 1, 2, 2 },
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "64:1", "relay 64 is out of range (0 to 63)" },
		{ "1:128", "CPU 128 is out of range (0 to 127)" },
		{ "1:2,128", "CPU 128 is out of range" },
		{ "1:2,3,4", "at most two CPUs: the first serves VF to VM, "
		  "the second VM to VF" },
		{ "1", "must be RELAY:CPU or RELAY:CPU,CPU" },
		{ "", "must be RELAY:CPU" }, { "1:", "must be RELAY:CPU" },
		{ ":1", "must be RELAY:CPU" }, { "1:2,", "must be RELAY:CPU" },
		{ "1:2x", "must be RELAY:CPU" }, { "a:1", "must be RELAY:CPU" },
		{ "-1:1", "must be RELAY:CPU" }, { "1:-1", "must be RELAY:CPU" },
		{ "--virtio-cpu 1:2", "must be RELAY:CPU" },
		{ "--virtio-cpu=", "must be RELAY:CPU" },
	};
	struct vfwd_pin pin;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (vfwd_parse_pin(good[i].in, &pin, err, sizeof err))
			fail_msg("'%s' refused: %s", good[i].in, err);
		assert_int_equal(pin.relay, good[i].relay);
		assert_int_equal(pin.cpu_vf_to_vm, good[i].a);
		assert_int_equal(pin.cpu_vm_to_vf, good[i].b);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (vfwd_parse_pin(bad[i].in, &pin, err, sizeof err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].in);
		assert_contains(err, bad[i].msg);
	}
}

static void
test_static_dev(void **state)
{
	static const struct {
		const char *in;
		const char *spec;
		unsigned int relay;
	} good[] = {
		{ "0000:05:08.1=1", "0000:05:08.1", 1 },
		{ "05:08.1=1", "0000:05:08.1", 1 },
		{ "5:8.7=63", "0000:05:08.7", 63 },
		{ "0001:AF:1f.0=0", "0001:af:1f.0", 0 },
		{ "10000:01:00.0=2", "10000:01:00.0", 2 },
		{ "net_af_packet0,iface=veth1=2", "net_af_packet0,iface=veth1",
		  2 },
		{ "net_tap0=5", "net_tap0", 5 },
		{ "0000:05:00.0,representor=[0-3]=4",
		  "0000:05:00.0,representor=[0-3]", 4 },
		{ "05:00.0,x=1=07", "0000:05:00.0,x=1", 7 },
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "0000:05:08.1", "must be <PCI address or devargs>=<relay id>" },
		{ "0000:05:08.1=64", "relay id '64' must be an integer from 0 "
		  "to 63" },
		{ "0000:05:08.1=", "relay id '' must be" },
		{ "0000:05:08.1=-1", "relay id '-1'" },
		{ "0000:05:08.1=1x", "relay id '1x'" },
		{ "=1", "the device before '=' is empty" },
		{ "net_tap0,iface=a b=1", "must be printable ASCII without whitespace" },
		{ "net_tap0,iface=a\tb=1", "must be printable ASCII without whitespace" },
		{ "0000:05:20.0=1", "'0000:05:20.0' is neither a PCI address "
		  "(DDDD:BB:SS.F) nor DPDK devargs" },
		{ "0000:05:08.8=1", "neither a PCI address" },
		{ "05:08=1", "neither a PCI address" },
		{ "net-tap0=1", "'net-tap0' is neither" },
		{ ",iface=x=1", "'' is neither" },
		{ "100:08.1=1", "neither a PCI address" },
	};
	struct vfwd_static_dev dev;
	char longspec[300];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (vfwd_parse_static_dev(good[i].in, &dev, err, sizeof err))
			fail_msg("'%s' refused: %s", good[i].in, err);
		assert_string_equal(dev.spec, good[i].spec);
		assert_int_equal(dev.relay, good[i].relay);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (vfwd_parse_static_dev(bad[i].in, &dev, err, sizeof err)
		    != -EINVAL)
			fail_msg("'%s' accepted", bad[i].in);
		assert_contains(err, bad[i].msg);
	}
	memset(longspec, 'a', 256);
	strcpy(longspec + 256, "=1");
	assert_int_equal(vfwd_parse_static_dev(longspec, &dev, err, sizeof err),
			 -EINVAL);
	assert_contains(err, "the device is 256 bytes long (at most 255)");
	strcpy(longspec + 255, "=1");
	assert_int_equal(vfwd_parse_static_dev(longspec, &dev, err, sizeof err),
			 0);
	/* Normalising "5:0.0" to "0000:05:00.0" must still fit. */
	memcpy(longspec, "5:0.0,", 6);
	strcpy(longspec + 250, "=1");
	assert_int_equal(vfwd_parse_static_dev(longspec, &dev, err, sizeof err),
			 -EINVAL);
	assert_contains(err, "too long");
}

/* The device parser every source of devices uses. */
static void
test_devspec(void **state)
{
	static const struct {
		const char *in;
		const char *out;
	} good[] = {
		{ "0000:05:08.1", "0000:05:08.1" },
		{ "05:08.1", "0000:05:08.1" },
		{ "0001:AF:1f.0", "0001:af:1f.0" },
		{ "10000:01:00.0", "10000:01:00.0" },
		{ "net_tap0", "net_tap0" },
		{ "net_af_packet0,iface=veth1", "net_af_packet0,iface=veth1" },
		{ "0000:05:00.0,representor=[0-3]",
		  "0000:05:00.0,representor=[0-3]" },
		{ "5:0.0,x=1", "0000:05:00.0,x=1" },
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "", "the device is empty; give a PCI address or DPDK devargs" },
		{ "net_tap0,iface=a b", "must be printable ASCII without whitespace" },
		{ "net_tap0\n", "must be printable ASCII without whitespace" },
		{ "net-tap0", "'net-tap0' is neither a PCI address "
		  "(DDDD:BB:SS.F) nor DPDK devargs" },
		{ ",iface=x", "'' is neither" },
		{ "0000:05:20.0", "'0000:05:20.0' is neither" },
		{ "05:08", "neither a PCI address" },
	};
	char out[VFWD_DEVSPEC_MAX], longspec[300];
	struct vfwd_static_dev dev;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		char with_relay[VFWD_DEVSPEC_MAX + 4];

		if (vfwd_parse_devspec(good[i].in, out, sizeof out, err,
				       sizeof err))
			fail_msg("'%s' refused: %s", good[i].in, err);
		assert_string_equal(out, good[i].out);
		/* The same as the device of a static device. */
		snprintf(with_relay, sizeof with_relay, "%s=1", good[i].in);
		assert_int_equal(vfwd_parse_static_dev(with_relay, &dev, err,
						       sizeof err), 0);
		assert_string_equal(dev.spec, out);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		strcpy(out, "untouched");
		if (vfwd_parse_devspec(bad[i].in, out, sizeof out, err,
				       sizeof err) != -EINVAL)
			fail_msg("'%s' accepted", bad[i].in);
		assert_contains(err, bad[i].msg);
		assert_string_equal(out, "untouched");
	}
	assert_int_equal(vfwd_parse_devspec(NULL, out, sizeof out, err,
					    sizeof err), -EINVAL);
	assert_contains(err, "no device given");

	/* At most VFWD_DEVSPEC_MAX - 1 bytes, before and after normalising. */
	memset(longspec, 'a', 256);
	longspec[256] = '\0';
	assert_int_equal(vfwd_parse_devspec(longspec, out, sizeof out, err,
					    sizeof err), -EINVAL);
	assert_contains(err, "the device is 256 bytes long (at most 255)");
	longspec[255] = '\0';
	assert_int_equal(vfwd_parse_devspec(longspec, out, sizeof out, err,
					    sizeof err), 0);
	assert_string_equal(out, longspec);
	memcpy(longspec, "5:0.0,", 6);
	longspec[250] = '\0';
	assert_int_equal(vfwd_parse_devspec(longspec, out, sizeof out, err,
					    sizeof err), -EINVAL);
	assert_contains(err, "the device is too long (at most 255 bytes)");

	/* A smaller output buffer lowers the limit. */
	assert_int_equal(vfwd_parse_devspec("net_tap0", out, 8, err,
					    sizeof err), -EINVAL);
	assert_contains(err, "too long (at most 7 bytes)");
	assert_int_equal(vfwd_parse_devspec("net_tap0", out, 9, err,
					    sizeof err), 0);
	assert_string_equal(out, "net_tap0");
}

static void
test_parse_pci(void **state)
{
	static const char *const bad[] = {
		"", "0000:05:08", "0000:05:08.", "0000:05:08.8", "0000:05:20.0",
		"0000:05:08.1 ", "0000:105:08.1", "0000:05:108.1", "05.08.1",
		"x:05:08.1", "123456789:00:00.0", "0000:05:08.10", ":05:08.1",
		"0000::08.1", "0ab:1f.7",
	};
	uint32_t d, b, s, f;
	size_t i;

	(void)state;
	assert_int_equal(vfwd_parse_pci("0000:05:08.1", &d, &b, &s, &f), 0);
	assert_true(d == 0 && b == 5 && s == 8 && f == 1);
	assert_int_equal(vfwd_parse_pci("ab:1f.7", &d, &b, &s, &f), 0);
	assert_true(d == 0 && b == 0xab && s == 0x1f && f == 7);
	assert_int_equal(vfwd_parse_pci("12345678:ff:00.0", &d, &b, &s, &f), 0);
	assert_true(d == 0x12345678 && b == 0xff && s == 0 && f == 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (vfwd_parse_pci(bad[i], &d, &b, &s, &f) != -EINVAL)
			fail_msg("'%s' accepted as a PCI address", bad[i]);
}

static void
test_socket_pattern(void **state)
{
	static const char *const good[] = {
		"virtio-forwarder%u.sock", "%u", "vm%%%u", "100%%-%u.sock",
	};
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "", "must not be empty" },
		{ "vm.sock", "must contain %u (the relay id) exactly once, not "
		  "0 times" },
		{ "%u-%u", "exactly once, not 2 times" },
		{ "vm%d", "'%d' is not allowed" }, { "vm%u%", "'%' is not" },
		{ "%%u", "exactly once, not 0 times" },
		{ "dir/%u", "must be a file name without '/'" },
		{ "a\n%u", "control characters" },
	};
	struct vfwd_config cfg;
	char path[32], big[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof good / sizeof good[0]; i++)
		if (vfwd_check_socket_pattern(good[i], err, sizeof err))
			fail_msg("'%s' refused: %s", good[i], err);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (vfwd_check_socket_pattern(bad[i].in, err, sizeof err)
		    != -EINVAL)
			fail_msg("'%s' accepted", bad[i].in);
		assert_contains(err, bad[i].msg);
	}
	memset(big, 'a', 130);
	strcpy(big + 130, "%u");
	assert_int_equal(vfwd_check_socket_pattern(big, err, sizeof err),
			 -EINVAL);
	assert_contains(err, "too long (at most 127 bytes)");

	vfwd_config_defaults(&cfg);
	assert_int_equal(vfwd_socket_path(&cfg, 7, path, sizeof path), 0);
	assert_string_equal(path, "/tmp/virtio-forwarder7.sock");
	strcpy(cfg.socket_dir, "/run/");
	strcpy(cfg.socket_pattern, "v%%%u");
	assert_int_equal(vfwd_socket_path(&cfg, 63, path, sizeof path), 0);
	assert_string_equal(path, "/run/v%63");
	strcpy(cfg.socket_dir, "/");
	assert_int_equal(vfwd_socket_path(&cfg, 1, path, sizeof path), 0);
	assert_string_equal(path, "/v%1");
	/* "/v%1" needs 5 bytes. */
	assert_int_equal(vfwd_socket_path(&cfg, 1, path, 5), 0);
	assert_int_equal(vfwd_socket_path(&cfg, 1, path, 4), -ENAMETOOLONG);
	assert_int_equal(vfwd_socket_path(&cfg, 10, path, 5), -ENAMETOOLONG);
	assert_int_equal(vfwd_socket_path(&cfg, 1, path, 1), -ENAMETOOLONG);
}

/* ---- command line ---- */

/* Runs vfwd_config_from_args() on a NULL-terminated list of arguments. */
static int
run_args(struct vfwd_config *cfg, enum vfwd_config_action *action, ...)
{
	char *argv[64];
	int argc = 0, r;
	va_list ap;
	char *a;

	argv[argc++] = strdup("virtio-forwarder");
	va_start(ap, action);
	while ((a = va_arg(ap, char *)) && argc < 63)
		argv[argc++] = strdup(a);
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	r = vfwd_config_from_args(cfg, argc, argv, action, err, sizeof err);
	while (argc--)
		free(argv[argc]);
	return r;
}

#define ARGS_OK(cfg, ...) do {                                          \
	enum vfwd_config_action act_;                                   \
	if (run_args((cfg), &act_, __VA_ARGS__, (char *)NULL) != 0)      \
		fail_msg("arguments refused: %s", err);                 \
	assert_int_equal(act_, VFWD_CONFIG_RUN);                        \
} while (0)

#define ARGS_FAIL(cfg, msg, ...) do {                                   \
	enum vfwd_config_action act_;                                   \
	assert_int_equal(run_args((cfg), &act_, __VA_ARGS__,            \
				  (char *)NULL), -EINVAL);              \
	assert_contains(err, (msg));                                    \
} while (0)

static void
test_args_long_and_short(void **state)
{
	struct vfwd_config cfg, cfg2;

	(void)state;
	ARGS_OK(&cfg, "--cpus", "3,4", "--master-lcore=2", "--loglevel", "7",
		"--pid-path=/run/v.pid", "--huge-dir", "/dev/hugepages",
		"--ovsdb-sock=/run/db.sock", "--zmq-config-ep=tcp://h:1",
		"--zmq-port-control-ep=ipc:///pc", "--zmq-stats-ep=ipc:///st",
		"--zmq-core-sched-ep=ipc:///cs", "--ipc",
		"--vhost-username=qemu", "--vhost-groupname=qemu",
		"--vhost-path", "/run/vfwd", "--vhost-socket", "s%u",
		"--virtio-cpu", "1:3", "--virtio-cpu=2:3,4;5:4",
		"--enable-jumbo", "--enable-mrgbuf", "--enable-tso",
		"--add-pci-vf", "05:08.1=1", "--add-pci-vf=net_tap0=2",
		"--vfio-vf-token", "14d63f20-8445-11ea-8900-1f9ce7d5650d",
		"--vhostuser-client", "--dynamic-sockets", "--same-numa",
		"--eal-args", "--no-pci -v", "--eal-args=--x",
		"--file-prefix", "vf2", "--nodaemon=log_syslog");
	assert_cpus(&cfg.workers, "3-4");
	assert_int_equal(cfg.main_lcore, 2);
	assert_int_equal(cfg.log_level, 7);
	assert_string_equal(cfg.pid_path, "/run/v.pid");
	assert_string_equal(cfg.huge_dir, "/dev/hugepages");
	assert_string_equal(cfg.ovsdb_sock, "/run/db.sock");
	assert_true(cfg.ovsdb_sock_set);
	assert_string_equal(cfg.zmq_config_ep, "tcp://h:1");
	assert_string_equal(cfg.zmq_port_control_ep, "ipc:///pc");
	assert_true(cfg.zmq_port_control_set);
	assert_string_equal(cfg.zmq_stats_ep, "ipc:///st");
	assert_string_equal(cfg.zmq_core_sched_ep, "ipc:///cs");
	assert_true(cfg.core_sched_enable);
	assert_true(cfg.ipc_port_control);
	assert_string_equal(cfg.socket_owner, "qemu");
	assert_true(cfg.socket_owner_set && cfg.socket_group_set);
	assert_string_equal(cfg.socket_dir, "/run/vfwd");
	assert_string_equal(cfg.socket_pattern, "s%u");
	assert_int_equal(cfg.n_pins, 3);
	assert_int_equal(cfg.pins[2].relay, 5);
	assert_true(cfg.jumbo && cfg.mrgbuf && cfg.tso);
	assert_int_equal(cfg.n_static_devs, 2);
	assert_string_equal(cfg.static_devs[0].spec, "0000:05:08.1");
	assert_string_equal(cfg.vfio_vf_token,
			    "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	assert_true(cfg.vhost_client && cfg.dynamic_sockets && cfg.same_numa);
	assert_string_equal(cfg.eal_args, "--no-pci -v --x");
	assert_string_equal(cfg.file_prefix, "vf2");
	assert_int_equal(cfg.log_target, VFWD_LOG_SYSLOG);

	/* The same with the short forms. */
	ARGS_OK(&cfg2, "-C", "3,4", "-M2", "-l", "7", "-p", "/run/v.pid",
		"-H", "/dev/hugepages", "-O", "/run/db.sock", "-Ytcp://h:1",
		"-Zipc:///pc", "-zipc:///st", "-sipc:///cs", "-I", "-uqemu",
		"-gqemu", "-V", "/run/vfwd", "-S", "s%u", "-c", "1:3",
		"-c2:3,4;5:4", "-JRT", "-P", "05:08.1=1", "-Pnet_tap0=2", "-t",
		"14d63f20-8445-11ea-8900-1f9ce7d5650d", "-ida",
		"--eal-args", "--no-pci -v", "--eal-args=--x",
		"--file-prefix", "vf2", "-nlog_syslog");
	assert_memory_equal(&cfg, &cfg2, sizeof cfg);
}

static void
test_args_optional_values(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	/* Without a value: the default endpoint, user and group. */
	ARGS_OK(&cfg, "-Z", "-z", "-s", "-Y", "-u", "-g", "-n");
	assert_string_equal(cfg.zmq_port_control_ep,
			    "ipc:///var/run/virtio-forwarder/port_control");
	assert_true(cfg.zmq_port_control_set);
	assert_string_equal(cfg.zmq_stats_ep,
			    "ipc:///var/run/virtio-forwarder/stats");
	assert_true(cfg.core_sched_enable);
	assert_string_equal(cfg.zmq_config_ep,
			    "ipc:///var/run/virtio-forwarder/config");
	assert_string_equal(cfg.socket_owner, "libvirt-qemu");
	assert_true(cfg.socket_owner_set);
	assert_string_equal(cfg.socket_group, "kvm");
	assert_true(cfg.socket_group_set);
	assert_int_equal(cfg.log_target, VFWD_LOG_STDERR);

	ARGS_OK(&cfg, "--zmq-port-control-ep", "--nodaemon",
		"--vhost-username=", "--zmq-stats-ep=",
		"--zmq-core-sched-ep=");
	assert_string_equal(cfg.zmq_port_control_ep,
			    "ipc:///var/run/virtio-forwarder/port_control");
	assert_string_equal(cfg.socket_owner, "");
	assert_true(cfg.socket_owner_set);
	assert_string_equal(cfg.zmq_stats_ep, "");
	assert_false(cfg.core_sched_enable);

	/* A detached optional value is a stray argument, with a hint. */
	ARGS_FAIL(&cfg, "unexpected argument 'ipc:///x'; an optional value "
		  "must be attached", "-Z", "ipc:///x");
	ARGS_FAIL(&cfg, "--nodaemon=log_stderr: the only value allowed is "
		  "log_syslog", "--nodaemon=log_stderr");
}

static void
test_args_override_file(void **state)
{
	char path[] = "/tmp/test_config_args.XXXXXX", opt[64];
	struct vfwd_config cfg;
	FILE *fp;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	fputs("VIRTIOFWD_LOG_LEVEL=3\nVIRTIOFWD_CPU_MASK=4-7\n"
	      "VIRTIOFWD_STATIC_VFS=(05:08.1=1 05:08.2=2)\n"
	      "VIRTIOFWD_CPU_PINS=1:4\nVIRTIOFWD_EAL_ARGS=--no-pci\n"
	      "VIRTIOFWD_TSO=1\n", fp);
	fclose(fp);

	/* The file alone, with each spelling of the option. */
	ARGS_OK(&cfg, "--config", path);
	assert_int_equal(cfg.log_level, 3);
	assert_int_equal(cfg.n_static_devs, 2);
	snprintf(opt, sizeof opt, "--config=%s", path);
	ARGS_OK(&cfg, opt);
	assert_cpus(&cfg.workers, "4-7");
	ARGS_OK(&cfg, "-f", path);
	assert_true(cfg.tso);

	/* Options win whatever their position; lists are replaced. */
	ARGS_OK(&cfg, "-l", "5", "-P", "05:08.3=3", "-f", path, "-C", "1-2",
		"-c", "3:2", "--eal-args", "--no-huge");
	assert_int_equal(cfg.log_level, 5);
	assert_cpus(&cfg.workers, "1-2");
	assert_int_equal(cfg.n_static_devs, 1);
	assert_string_equal(cfg.static_devs[0].spec, "0000:05:08.3");
	assert_int_equal(cfg.n_pins, 1);
	assert_int_equal(cfg.pins[0].relay, 3);
	assert_string_equal(cfg.eal_args, "--no-huge");
	assert_true(cfg.tso);

	/* An option value that looks like -f is not taken for one. */
	ARGS_OK(&cfg, "--eal-args", "-f", "--loglevel=1");
	assert_string_equal(cfg.eal_args, "-f");

	/* A second run starts again from the defaults. */
	ARGS_OK(&cfg, "-l", "2");
	assert_int_equal(cfg.n_static_devs, 0);
	assert_cpus(&cfg.workers, "1-2");

	/* A bad file is reported with its name and line. */
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("\nVIRTIOFWD_LOG_LEVEL=10\n", fp);
	fclose(fp);
	ARGS_FAIL(&cfg, ":2: VIRTIOFWD_LOG_LEVEL=10: must be an integer from "
		  "0 to 7", "-f", path);
	unlink(path);
	{
		enum vfwd_config_action action;

		assert_int_equal(run_args(&cfg, &action, "--config", path,
					  (char *)NULL), -ENOENT);
		assert_contains(err, "No such file or directory");
	}
}

static void
test_args_errors(void **state)
{
	static const struct {
		const char *args[3];
		const char *msg;
	} cases[] = {
		{ { "--bogus" }, "unknown or ambiguous option '--bogus'" },
		{ { "--bogus=1" }, "unknown or ambiguous option '--bogus'" },
		{ { "--zmq" }, "unknown or ambiguous option '--zmq'" },
		{ { "-q" }, "unknown option '-q'" },
		{ { "-dq" }, "unknown option '-q'" },
		{ { "--cpus" }, "option --cpus (-C) needs a value" },
		{ { "-C" }, "option --cpus (-C) needs a value" },
		{ { "--eal-args" }, "option --eal-args needs a value" },
		{ { "-l", "1", "-c" }, "option --virtio-cpu (-c) needs a value" },
		{ { "--ipc=1" }, "option --ipc (-I) does not take a value" },
		{ { "-d", "stray" }, "unexpected argument 'stray'" },
		{ { "-l", "9" }, "--loglevel=9: must be an integer from 0 to 7" },
		{ { "--cpus=1,2,x" }, "--cpus=1,2,x: expected a CPU number at 'x'" },
		{ { "-M", "300" }, "--master-lcore=300: must be an integer from "
		  "0 to 127" },
		{ { "-p", "v.pid" }, "--pid-path=v.pid: must be an absolute" },
		{ { "-c", "1:2;3:2,3,4" }, "--virtio-cpu=1:2;3:2,3,4: "
		  "'3:2,3,4': at most two CPUs" },
		{ { "-P", "a.b=1" }, "'a.b' is neither a PCI" },
		{ { "-P", "05:08.1=1", "-P05:08.2=1" }, "--add-pci-vf=05:08.2=1:"
		  " relay 1 is given twice" },
		{ { "-Zfoo" }, "--zmq-port-control-ep=foo: must be an endpoint" },
		{ { "-t", "x" }, "--vfio-vf-token=x: must be a UUID" },
		{ { "--file-prefix=a.b" }, "--file-prefix=a.b: must be 1 to 63" },
		{ { "--eal-args=a\001b" }, "--eal-args=a\\x01b: an EAL argument must "
		  "not contain whitespace" },
		{ { "-S", "x" }, "--vhost-socket=x: must contain %u" },
	};
	struct vfwd_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		enum vfwd_config_action action;
		int r;

		r = run_args(&cfg, &action, cases[i].args[0], cases[i].args[1],
			     cases[i].args[2], (char *)NULL);
		if (r != -EINVAL)
			fail_msg("case %zu (%s) gave %d", i, cases[i].args[0], r);
		assert_contains(err, cases[i].msg);
	}
}

static void
test_args_help_version(void **state)
{
	enum vfwd_config_action action;
	struct vfwd_config cfg;

	(void)state;
	assert_int_equal(run_args(&cfg, &action, "--help", (char *)NULL), 0);
	assert_int_equal(action, VFWD_CONFIG_HELP);
	/* Help needs no valid values, nor a readable config file. */
	assert_int_equal(run_args(&cfg, &action, "-C", "x", "-f",
				  "/nonexistent/file", "-h", (char *)NULL), 0);
	assert_int_equal(action, VFWD_CONFIG_HELP);
	assert_int_equal(run_args(&cfg, &action, "-v", (char *)NULL), 0);
	assert_int_equal(action, VFWD_CONFIG_VERSION);
	assert_int_equal(run_args(&cfg, &action, "--version", "--help",
				  (char *)NULL), 0);
	assert_int_equal(action, VFWD_CONFIG_HELP);
	/* But not a broken command line. */
	assert_int_equal(run_args(&cfg, &action, "--help", "--bogus",
				  (char *)NULL), -EINVAL);
	/* And no arguments at all is a plain run. */
	assert_int_equal(run_args(&cfg, &action, (char *)NULL), 0);
	assert_int_equal(action, VFWD_CONFIG_RUN);
}

static void
test_usage(void **state)
{
	static const char *const words[] = {
		"Usage: vfwd [OPTION]", "--config=FILE", "--cpus", "-C,",
		"--master-lcore", "--nodaemon[=log_syslog]", "--loglevel",
		"--pid-path", "--huge-dir", "--ovsdb-sock", "--zmq-config-ep[=EP]",
		"--zmq-port-control-ep[=EP]", "--zmq-stats-ep[=EP]",
		"--zmq-core-sched-ep[=EP]", "--ipc", "--vhost-username[=USER]",
		"--vhost-groupname[=GROUP]", "--vhost-path", "--vhost-socket",
		"--virtio-cpu", "--enable-jumbo", "--enable-mrgbuf",
		"--enable-tso", "--add-pci-vf", "--vfio-vf-token",
		"--vhostuser-client", "--dynamic-sockets", "--same-numa",
		"--eal-args", "--file-prefix", "--help", "--version",
		"virtio-forwarder%u.sock", "VIRTIOFWD_CPU_MASK",
	};
	char *text = NULL;
	size_t len = 0, i;
	FILE *fp;

	(void)state;
	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	vfwd_config_usage(fp, "vfwd");
	fclose(fp);
	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		assert_contains(text, words[i]);
	free(text);
}

/* ---- the table of settings ---- */

/* Prints --help into a string the caller frees. */
static char *
usage_text(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	fp = open_memstream(&text, &len);
	assert_non_null(fp);
	vfwd_config_usage(fp, "virtio-forwarder");
	fclose(fp);
	return text;
}

static void
test_settings_table(void **state)
{
	char *text = usage_text();
	size_t i, j;

	(void)state;
	for (i = 0; i < vfwd_n_settings; i++) {
		const struct vfwd_setting *a = &vfwd_settings[i];

		/* Every setting can be set somehow. */
		if (!a->name && !a->long_opt)
			fail_msg("setting %zu has neither variable nor option",
				 i);
		/* An option has help text naming its variable. */
		if (a->long_opt) {
			if (!a->help || !*a->help)
				fail_msg("--%s has no help text", a->long_opt);
			if (a->name)
				assert_contains(a->help, a->name);
			if (a->has_arg != no_argument && !a->metavar)
				fail_msg("--%s has no metavar", a->long_opt);
		}
		for (j = 0; j < i; j++) {
			const struct vfwd_setting *b = &vfwd_settings[j];

			if (a->name && b->name && !strcmp(a->name, b->name))
				fail_msg("variable %s twice", a->name);
			if (a->long_opt && b->long_opt
			    && !strcmp(a->long_opt, b->long_opt))
				fail_msg("option --%s twice", a->long_opt);
			if (a->short_opt && a->short_opt == b->short_opt)
				fail_msg("option -%c twice", a->short_opt);
		}
		/* The letters of the options that are not settings. */
		if (a->short_opt && strchr("fhv", a->short_opt))
			fail_msg("-%c is --config, --help or --version",
				 a->short_opt);
	}
	/* Every variable that --help names is one of the table. */
	for (const char *p = text; (p = strstr(p, "VI")); p++) {
		char name[64];
		size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

		if (n < 8 || n >= sizeof name || (p > text && p[-1] == '_'))
			continue;
		memcpy(name, p, n);
		name[n] = '\0';
		if (!vfwd_setting_find(name))
			fail_msg("--help names %s, which is no variable", name);
	}
	free(text);
}

/* A value that the option of 's' accepts and that is not the default. */
static const char *
sample_value(const struct vfwd_setting *s)
{
	static char num[16];

	switch (s->kind) {
	case VFWD_V_FLAG:
		/* A flag that is on by default changes when turned off. */
		return s->def ? "n" : "1";
	case VFWD_V_CPUSET:
		return "3-4";
	case VFWD_V_INT:
		snprintf(num, sizeof num, "%ld", s->max);
		return num;
	case VFWD_V_PATH:
	case VFWD_V_OVSDB:
	case VFWD_V_PID_DIR:
	case VFWD_V_PID_PATH:
		return "/run/sample";
	case VFWD_V_PATTERN:
		return "sample%u.sock";
	case VFWD_V_USER:
		return "sample";
	case VFWD_V_EP:
		return "ipc:///run/sample";
	case VFWD_V_UUID:
		return "14d63f20-8445-11ea-8900-1f9ce7d5650d";
	case VFWD_V_FILE_PREFIX:
		return "sample";
	case VFWD_V_LOG_TARGET:
		return "log_syslog";
	case VFWD_V_POLL_MODE:
		return "adaptive";
	case VFWD_V_LISTEN:
		return "127.0.0.1:9479";
	case VFWD_V_STATIC_VFS:
		return "net_tap0=3";
	case VFWD_V_PINS:
		return "3:4";
	case VFWD_V_VF_PROFILES:
		return "3:mac=52:54:00:12:34:56,vlan=100";
	case VFWD_V_EAL_ARGS:
		return "--no-pci";
	case VFWD_V_VFIO_BIND:
		return "0000:05:00.1";
	case VFWD_V_DIRS:
		return "/run/sample";
	default:
		return "1";
	}
}

/*
 * Every option of the table is in --help, is accepted, changes the
 * configuration, and has exactly the effect of its variable.
 */
static void
test_options_from_table(void **state)
{
	char *text = usage_text();
	struct vfwd_config defaults, by_opt, by_var;
	size_t i;

	(void)state;
	vfwd_config_defaults(&defaults);
	for (i = 0; i < vfwd_n_settings; i++) {
		const struct vfwd_setting *s = &vfwd_settings[i];
		const char *v = sample_value(s);
		char opt[128], shown[128];
		enum vfwd_config_action action;

		if (!s->long_opt)
			continue;
		if (s->short_opt)
			snprintf(shown, sizeof shown, "  -%c, --%s",
				 s->short_opt, s->long_opt);
		else
			snprintf(shown, sizeof shown, "      --%s",
				 s->long_opt);
		assert_contains(text, shown);

		if (s->has_arg == no_argument)
			snprintf(opt, sizeof opt, "--%s", s->long_opt);
		else
			snprintf(opt, sizeof opt, "--%s=%s", s->long_opt, v);
		if (run_args(&by_opt, &action, opt, (char *)NULL) != 0)
			fail_msg("%s refused: %s", opt, err);
		if (!memcmp(&by_opt, &defaults, sizeof by_opt))
			fail_msg("%s changed nothing", opt);

		/* The short form does the same. */
		if (s->short_opt) {
			struct vfwd_config by_short;

			snprintf(opt, sizeof opt, "-%c%s", s->short_opt,
				 s->has_arg == no_argument ? "" : v);
			if (run_args(&by_short, &action, opt, (char *)NULL))
				fail_msg("%s refused: %s", opt, err);
			assert_memory_equal(&by_short, &by_opt, sizeof by_opt);
		}

		/* And the variable, given the same value, too. */
		if (!s->name)
			continue;
		vfwd_config_defaults(&by_var);
		if (s->has_arg == no_argument)
			v = "true";
		if (vfwd_config_set(&by_var, s->name, &v, 1, false, err,
				    sizeof err))
			fail_msg("%s=%s refused: %s", s->name, v, err);
		if (s->enable_off) {
			/* -s also turns core scheduling on. */
			assert_false(by_var.core_sched_enable);
			assert_true(by_opt.core_sched_enable);
			by_var.core_sched_enable = true;
		}
		assert_memory_equal(&by_var, &by_opt, sizeof by_opt);
	}
	free(text);
}

/* ---- cross checks ---- */

static void
test_validate(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	load_ok(&cfg, "VIRTIOFWD_CPU_MASK=1-2\nVIRTIOFWD_MASTER_LCORE=2\n");
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_string_equal(err, "VIRTIOFWD_MASTER_LCORE (--master-lcore) 2 is "
			    "also a worker in VIRTIOFWD_CPU_MASK (--cpus) 1-2; "
			    "the main lcore must not be a worker CPU");

	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=\"1:1,2;3:5\"\n");
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_string_equal(err, "VIRTIOFWD_CPU_PINS: relay 3: CPU 5 is not a "
			    "worker CPU (workers: 1-2)");
	load_ok(&cfg, "VIRTIOFWD_CPU_PINS=\"1:1,2;3:2\"\n"
		"VIRTIOFWD_STATIC_VFS=(05:08.1=1 05:08.2=3)\n"
		"VIRTIOFWD_DYNAMIC_SOCKETS=true\n");
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);

	/* Checks of values that a caller may have set by hand. */
	vfwd_config_defaults(&cfg);
	memset(&cfg.workers, 0, sizeof cfg.workers);
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "VIRTIOFWD_CPU_MASK (--cpus): no worker CPU");

	vfwd_config_defaults(&cfg);
	cfg.n_static_devs = 2;
	strcpy(cfg.static_devs[0].spec, "0000:05:08.1");
	strcpy(cfg.static_devs[1].spec, "0000:05:08.2");
	cfg.static_devs[0].relay = cfg.static_devs[1].relay = 4;
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "VIRTIOFWD_STATIC_VFS: relay 4 is given twice");

	vfwd_config_defaults(&cfg);
	cfg.n_pins = 1;
	cfg.pins[0] = (struct vfwd_pin){ .relay = 2, .cpu_vf_to_vm = 1,
					 .cpu_vm_to_vf = -1 };
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	cfg.pins[0].cpu_vm_to_vf = 0;
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "relay 2: CPU 0 is not a worker CPU");

	vfwd_config_defaults(&cfg);
	strcpy(cfg.socket_pattern, "x");
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "VIRTIOFWD_SOCKET_FNAME_PATTERN (--vhost-socket) "
			"x: must contain %u");

	/* The socket path must fit in sun_path (107 bytes). */
	vfwd_config_defaults(&cfg);
	memset(cfg.socket_dir, 'd', 90);
	cfg.socket_dir[0] = '/';
	cfg.socket_dir[90] = '\0';
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "longer than the 107 bytes a unix socket path "
			"can hold");
	/* 83 + "/" + "virtio-forwarder63.sock" is exactly 107. */
	cfg.socket_dir[83] = '\0';
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	cfg.socket_dir[83] = 'd';
	cfg.dynamic_sockets = true;     /* paths come with ADD_SOCK */
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);

	load_ok(&cfg, "VIO4WD_CORE_SCHED_ENABLE=true\n"
		"VIRTIOFWD_ZMQ_CORE_SCHED_EP=\n");
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), -EINVAL);
	assert_contains(err, "VIO4WD_CORE_SCHED_ENABLE is true but "
			"VIRTIOFWD_ZMQ_CORE_SCHED_EP");
}


/* ---- 1.x compatibility ---- */

/* The non-comment lines of the last 1.x's shipped file, as installed
 * (1x-operator-surface.md), @BINDIR@ filled in. */
static const char shipped_1x[] =
	"VIRTIOFWD_CPU_MASK=1,2\n"
	"VIRTIOFWD_LOG_LEVEL=6\n"
	"VIRTIOFWD_IPC_PORT_CONTROL=y\n"
	"VIRTIOFWD_OVSDB_SOCK_PATH=\n"
	"VIRTIOFWD_JUMBO=y\n"
	"VIRTIOFWD_MRGBUF=y\n"
	"VIRTIOFWD_TSO=\n"
	"VIRTIOFWD_SOCKET_OWNER=\n"
	"VIRTIOFWD_SOCKET_GROUP=\n"
	"VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/dev/hugepages\n"
	"VIRTIOFWD_STATIC_VFS=\n"
	"VIRTIOFWD_DYNAMIC_SOCKETS=\n"
	"VIRTIOFWD_CPU_NIC_SAME_NUMA=\n"
	"VIRTIOFWD_VFIO_VF_TOKEN=\n"
	"VIO4WD_CORE_SCHED_ENABLE=true\n"
	"VIO4WD_CORE_SCHED_SENSITIVITY=\n"
	"VIO4WD_CORE_SCHED_LOG_LEVEL=6\n"
	"VIO4WD_CORE_SCHED_POLL_INTERVAL=\n"
	"VIO4WD_CORE_SCHED_GLOBAL_NUMA_OPT=\n"
	"VIRTIOFWD_CPU_PINS=\n"
	"VIRTIOFWD_PID_DIR=/var/run\n"
	"VIRTIOFWD_ZMQ_CONFIG_EP=\n"
	"VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///var/run/virtio-forwarder/port_control\n"
	"VIRTIOFWD_ZMQ_STATS_EP=ipc:///var/run/virtio-forwarder/stats\n"
	"VIRTIOFWD_ZMQ_CORE_SCHED_EP=ipc:///var/run/virtio-forwarder/core_sched\n"
	"VIRTIOFWD_SOCKET_DIR=/tmp/virtio-forwarder\n"
	"VIRTIOFWD_SOCKET_FNAME_PATTERN=\n"
	"VIRTIOFWD_BINARY=/usr/bin/virtio-forwarder\n"
	"VIRTIOFWD_MASTER_LCORE=\n"
	"VIRTIOFWD_VHOST_CLIENT=y\n"
	"VIRTIOFWD_ZERO_COPY=\n"
	"VIRTIOFWD_BIND_VFIO_PCI=\n";

/* The shipped 1.x file is taken unchanged: every variable is known, the
 * configuration is valid, and the one thing to say is which port control
 * source runs. */
static void
test_shipped_1x_file(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	n_warnings = n_notices = 0;
	load_ok(&cfg, shipped_1x);
	assert_int_equal(n_warnings, 0);        /* no unknown variable */
	assert_int_equal(n_notices, 0);
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	assert_int_equal(n_warnings, 1);
	assert_string_equal(last_warning, "port control: ZeroMQ port control "
			    "(VIRTIOFWD_ZMQ_PORT_CONTROL_EP) is used, as 1.x "
			    "did; IPC file port control (VIRTIOFWD_IPC_PORT_"
			    "CONTROL) is off; to use it instead, set VIRTIOFWD_"
			    "ZMQ_PORT_CONTROL_EP empty");
	assert_int_equal(vfwd_config_port_control(&cfg), VFWD_PORT_CONTROL_ZMQ);
	assert_cpus(&cfg.workers, "1-2");
	assert_int_equal(cfg.main_lcore, 0);
	assert_true(cfg.jumbo && cfg.mrgbuf && cfg.vhost_client
		    && cfg.core_sched_enable && cfg.ipc_port_control);
	assert_false(cfg.tso || cfg.dynamic_sockets || cfg.same_numa
		     || cfg.zero_copy || cfg.postcopy || cfg.ovsdb_sock_set
		     || cfg.sched_global_numa);
	assert_string_equal(cfg.socket_dir, "/tmp/virtio-forwarder");
	assert_string_equal(cfg.socket_pattern, "virtio-forwarder%u.sock");
	assert_string_equal(cfg.socket_owner, "");
	assert_string_equal(cfg.vfio_vf_token, "");
	assert_string_equal(cfg.pid_path, "/var/run/virtio-forwarder.pid");
	assert_string_equal(cfg.zmq_config_ep, "");
	assert_true(cfg.sched_sensitivity == 0.25);
	assert_int_equal(cfg.sched_poll_interval, 5);
	assert_int_equal(cfg.n_vfio_bind, 0);
}

/* 1.x's precedence of port control sources: ZeroMQ, IPC files, OVSDB;
 * one warning naming each source left off and how to have it instead. */
static void
test_port_control_precedence(void **state)
{
	static const struct {
		const char *text;
		enum vfwd_port_control pc;
		const char *warning;     /* NULL: none */
	} cases[] = {
		{ "", VFWD_PORT_CONTROL_ZMQ, NULL },
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=\n", VFWD_PORT_CONTROL_NONE,
		  NULL },
		{ "VIRTIOFWD_IPC_PORT_CONTROL=1\n", VFWD_PORT_CONTROL_IPC, NULL },
		{ "VIRTIOFWD_OVSDB_SOCK_PATH=/run/db.sock\n",
		  VFWD_PORT_CONTROL_OVSDB, NULL },
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=\nVIRTIOFWD_IPC_PORT_CONTROL=1\n",
		  VFWD_PORT_CONTROL_IPC, NULL },
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///x\n"
		  "VIRTIOFWD_OVSDB_SOCK_PATH=/run/db.sock\n",
		  VFWD_PORT_CONTROL_ZMQ, "port control: ZeroMQ port control "
		  "(VIRTIOFWD_ZMQ_PORT_CONTROL_EP) is used, as 1.x did; the "
		  "OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use it "
		  "instead, set VIRTIOFWD_ZMQ_PORT_CONTROL_EP empty" },
		{ "VIRTIOFWD_IPC_PORT_CONTROL=y\n"
		  "VIRTIOFWD_OVSDB_SOCK_PATH=/run/db.sock\n",
		  VFWD_PORT_CONTROL_IPC, "port control: IPC file port control "
		  "(VIRTIOFWD_IPC_PORT_CONTROL) is used, as 1.x did; the OVSDB "
		  "monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use it "
		  "instead, set VIRTIOFWD_IPC_PORT_CONTROL empty" },
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///x\n"
		  "VIRTIOFWD_IPC_PORT_CONTROL=y\n"
		  "VIRTIOFWD_OVSDB_SOCK_PATH=/run/db.sock\n",
		  VFWD_PORT_CONTROL_ZMQ, "port control: ZeroMQ port control "
		  "(VIRTIOFWD_ZMQ_PORT_CONTROL_EP) is used, as 1.x did; IPC "
		  "file port control (VIRTIOFWD_IPC_PORT_CONTROL) is off; to "
		  "use it instead, set VIRTIOFWD_ZMQ_PORT_CONTROL_EP empty; and "
		  "the OVSDB monitor (VIRTIOFWD_OVSDB_SOCK_PATH) is off; to use "
		  "it instead, set VIRTIOFWD_ZMQ_PORT_CONTROL_EP and "
		  "VIRTIOFWD_IPC_PORT_CONTROL empty" },
		/* An explicit negative is off, not a second source. */
		{ "VIRTIOFWD_ZMQ_PORT_CONTROL_EP=ipc:///x\n"
		  "VIRTIOFWD_IPC_PORT_CONTROL=no\n", VFWD_PORT_CONTROL_ZMQ,
		  NULL },
	};
	struct vfwd_config cfg;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		load_ok(&cfg, cases[i].text);
		n_warnings = 0;
		assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
		assert_int_equal(vfwd_config_port_control(&cfg), cases[i].pc);
		assert_int_equal(n_warnings, cases[i].warning != NULL);
		if (cases[i].warning)
			assert_string_equal(last_warning, cases[i].warning);
	}
}

/* VIRTIOFWD_VFIO_VF_TOKEN: empty (none), a UUID, or 1.x's 0. */
static void
test_vfio_token(void **state)
{
	static const char *const bad[] = {
		"00", "1", "default", "14d63f20-8445-11ea-8900-1f9ce7d5650",
		"14d63f20_8445_11ea_8900_1f9ce7d5650d",
	};
	struct vfwd_config cfg;
	char text[128];
	size_t i;

	(void)state;
	load_ok(&cfg, "VIRTIOFWD_VFIO_VF_TOKEN=0\n");
	assert_string_equal(cfg.vfio_vf_token,
			    "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	load_ok(&cfg, "VIRTIOFWD_VFIO_VF_TOKEN=\n");
	assert_string_equal(cfg.vfio_vf_token, "");
	load_ok(&cfg, "VIRTIOFWD_VFIO_VF_TOKEN=5B1D93A4-0000-4000-8000-"
		"00000000abcd\n");
	assert_string_equal(cfg.vfio_vf_token,
			    "5B1D93A4-0000-4000-8000-00000000abcd");
	ARGS_OK(&cfg, "-t0");
	assert_string_equal(cfg.vfio_vf_token,
			    "14d63f20-8445-11ea-8900-1f9ce7d5650d");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "VIRTIOFWD_VFIO_VF_TOKEN=%s\n",
			 bad[i]);
		assert_int_equal(load(&cfg, text), -EINVAL);
		snprintf(text, sizeof text, "VIRTIOFWD_VFIO_VF_TOKEN=%s: must be "
			 "a UUID like 14d63f20-8445-11ea-8900-1f9ce7d5650d, or "
			 "0 for that one (1.x's default token), or empty (none)",
			 bad[i]);
		assert_contains(err, text);
	}
}

/* -p: 1.x's pid directory, or a file where that is unambiguous. */
static void
test_pid_path(void **state)
{
	char dir[] = "/tmp/test_config_pid.XXXXXX", arg[PATH_MAX];
	char expected[PATH_MAX];
	struct vfwd_config cfg;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* An existing directory, as 1.x's start script passed it. */
	ARGS_OK(&cfg, "-p", dir);
	snprintf(expected, sizeof expected, "%s/virtio-forwarder.pid", dir);
	assert_string_equal(cfg.pid_path, expected);
	snprintf(arg, sizeof arg, "-p%s/", dir);
	ARGS_OK(&cfg, arg);
	assert_string_equal(cfg.pid_path, expected);
	/* An existing directory whose name ends in .pid is a directory. */
	snprintf(arg, sizeof arg, "%s/x.pid", dir);
	assert_int_equal(mkdir(arg, 0700), 0);
	ARGS_OK(&cfg, "--pid-path", arg);
	snprintf(expected, sizeof expected, "%s/x.pid/virtio-forwarder.pid",
		 dir);
	assert_string_equal(cfg.pid_path, expected);
	assert_int_equal(rmdir(arg), 0);
	/* No such directory: a .pid name is the file, else a directory. */
	ARGS_OK(&cfg, "-p", "/run/nonexistent-vfwd/v.pid");
	assert_string_equal(cfg.pid_path, "/run/nonexistent-vfwd/v.pid");
	ARGS_OK(&cfg, "--pid-path=/run/nonexistent-vfwd");
	assert_string_equal(cfg.pid_path,
			    "/run/nonexistent-vfwd/virtio-forwarder.pid");
	ARGS_OK(&cfg, "-p", "/var/run");
	assert_string_equal(cfg.pid_path, "/var/run/virtio-forwarder.pid");
	ARGS_OK(&cfg, "-p", "/");
	assert_string_equal(cfg.pid_path, "/virtio-forwarder.pid");
	/* An existing file is a file: replaced as a stale pid file would be. */
	snprintf(arg, sizeof arg, "%s/my.pid", dir);
	fclose(fopen(arg, "w"));
	ARGS_OK(&cfg, "-p", arg);
	assert_string_equal(cfg.pid_path, arg);
	assert_int_equal(unlink(arg), 0);
	assert_int_equal(rmdir(dir), 0);
	/* Bad values. */
	ARGS_FAIL(&cfg, "--pid-path=run: must be an absolute path", "-p",
		  "run");
	ARGS_FAIL(&cfg, "--pid-path=: must be an absolute path", "-p", "");
	{
		char longdir[PATH_MAX + 8];

		memset(longdir, 'd', sizeof longdir - 1);
		longdir[0] = '/';
		longdir[PATH_MAX - 10] = '\0';
		ARGS_FAIL(&cfg, "is too long (at most 4074 bytes with "
			  "/virtio-forwarder.pid)", "-p", longdir);
	}
	/* The file's variable is always a directory. */
	load_ok(&cfg, "VIRTIOFWD_PID_DIR=/run/v.pid\n");
	assert_string_equal(cfg.pid_path, "/run/v.pid/virtio-forwarder.pid");
}

/* VIRTIOFWD_BIND_VFIO_PCI: every notation of 1.x, and what is refused. */
static void
test_vfio_bind_list(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "01:02.8", "=01:02.8: is not a PCI address (DDDD:BB:SS.F or "
		  "BB:SS.F in hex, slot up to 1f, function up to 7)" },
		{ "0000:01:20.1", "=0000:01:20.1: is not a PCI address" },
		{ "ens3:0", "=ens3:0: the number of VFs after ':' must be an "
		  "integer from 1 to 4096" },
		{ "ens3:4097", "from 1 to 4096" },
		{ "ens3:", "the number of VFs after ':'" },
		{ "ens3:x", "the number of VFs after ':'" },
		{ "ens3:-1", "the number of VFs after ':'" },
		{ "a:b:2", "=a:b:2: must be a PCI address (0000:01:02.3 or "
		  "01:02.3), the interface name of a PF (all its VFs), or "
		  "NAME:COUNT (its first COUNT VFs)" },
		{ "abcdefghijklmnop", "must be a PCI address" },
		{ "abcdefghijklmnopqrstuvwxyz0123456789:2", "must be a PCI "
		  "address" },
		{ ":4", "must be a PCI address" },
		{ "a/b", "must be a PCI address" },
		{ "..", "must be a PCI address" },
		{ "ens3,ens3", "VIRTIOFWD_BIND_VFIO_PCI=ens3,ens3: 'ens3': is "
		  "given twice (as ens3)" },
		{ "01:02.3,0000:01:02.3", "'0000:01:02.3': is given twice (as "
		  "0000:01:02.3)" },
		{ "ens3,ens4:0", "=ens3,ens4:0: 'ens4:0': the number of VFs" },
	};
	struct vfwd_config cfg;
	char text[256];
	size_t i;

	(void)state;
	/* The 1.x example: a PF's VFs, a PCI device, a PF's first 16. */
	load_ok(&cfg, "VIRTIOFWD_BIND_VFIO_PCI=ens3,0000:01:02.3,ens4:16\n");
	assert_int_equal(cfg.n_vfio_bind, 3);
	assert_false(cfg.vfio_bind[0].is_pci);
	assert_string_equal(cfg.vfio_bind[0].name, "ens3");
	assert_int_equal(cfg.vfio_bind[0].count, 0);
	assert_true(cfg.vfio_bind[1].is_pci);
	assert_string_equal(cfg.vfio_bind[1].name, "0000:01:02.3");
	assert_false(cfg.vfio_bind[2].is_pci);
	assert_string_equal(cfg.vfio_bind[2].name, "ens4");
	assert_int_equal(cfg.vfio_bind[2].count, 16);
	/* Without a domain, in upper case, as an array, with blanks. */
	load_ok(&cfg, "VIRTIOFWD_BIND_VFIO_PCI=\"01:02.3, 1A:1F.7\"\n");
	assert_int_equal(cfg.n_vfio_bind, 2);
	assert_string_equal(cfg.vfio_bind[0].name, "0000:01:02.3");
	assert_string_equal(cfg.vfio_bind[1].name, "0000:1a:1f.7");
	load_ok(&cfg, "VIRTIOFWD_BIND_VFIO_PCI=(ens3 10000:01:02.3 "
		"enp5s0f0np0:4096)\n");
	assert_int_equal(cfg.n_vfio_bind, 3);
	assert_string_equal(cfg.vfio_bind[1].name, "10000:01:02.3");
	assert_int_equal(cfg.vfio_bind[2].count, 4096);
	load_ok(&cfg, "VIRTIOFWD_BIND_VFIO_PCI=,ens3,,\n");
	assert_int_equal(cfg.n_vfio_bind, 1);
	load_ok(&cfg, "VIRTIOFWD_BIND_VFIO_PCI=ens3\nVIRTIOFWD_BIND_VFIO_PCI=\n");
	assert_int_equal(cfg.n_vfio_bind, 0);
	/* The option: repeatable, replaces the file's list. */
	ARGS_OK(&cfg, "--bind-vfio-pci=ens3:2", "--bind-vfio-pci", "05:00.1");
	assert_int_equal(cfg.n_vfio_bind, 2);
	assert_string_equal(cfg.vfio_bind[1].name, "0000:05:00.1");
	ARGS_FAIL(&cfg, "--bind-vfio-pci=ens3:0: the number of VFs after ':'",
		  "--bind-vfio-pci=ens3:0");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "VIRTIOFWD_BIND_VFIO_PCI=%s\n",
			 bad[i].text);
		if (load(&cfg, text) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i].text);
		assert_contains(err, bad[i].msg);
		assert_true(strncmp(err, "t.conf:1: VIRTIOFWD_BIND_VFIO_PCI=",
				    34) == 0);
		assert_int_equal(cfg.n_vfio_bind, 0);
	}
	/* At most 64 entries. */
	{
		char many[2048] = "VIRTIOFWD_BIND_VFIO_PCI=(";

		for (i = 0; i < 65; i++)
			sprintf(many + strlen(many), " eth%zu", i);
		strcat(many, ")\n");
		assert_int_equal(load(&cfg, many), -EINVAL);
		assert_contains(err, "VIRTIOFWD_BIND_VFIO_PCI=eth64: more than 64 devices or "
				"interfaces");
	}
}

/* A device's EAL name, and when two specs name the same device. */
static void
test_devspec_same(void **state)
{
	char name[16];

	(void)state;
	vfwd_devspec_name("net_af_packet0,iface=veth1", name, sizeof(name));
	assert_string_equal(name, "net_af_packet0");
	vfwd_devspec_name("0000:05:08.1", name, sizeof(name));
	assert_string_equal(name, "0000:05:08.1");
	vfwd_devspec_name("net_a_very_long_name_indeed,x=1", name, sizeof(name));
	assert_string_equal(name, "net_a_very_long");
	assert_true(vfwd_devspec_same("net_tap0,iface=a", "net_tap0,iface=b"));
	assert_true(vfwd_devspec_same("net_tap0", "net_tap0,iface=b"));
	assert_true(vfwd_devspec_same("0000:05:08.1", "0000:05:08.1"));
	assert_false(vfwd_devspec_same("net_tap0", "net_tap01"));
	assert_false(vfwd_devspec_same("net_tap1,iface=a", "net_tap0,iface=a"));
}

/* VIRTIOFWD_VF_PROFILES and --vf-profile: RELAY:PROFILE entries. */
static void
test_vf_profiles(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "3:vlan=4095", "=3:vlan=4095: vlan=4095: must be a VLAN id 1-4094" },
		{ "3:mac=learn 4:colour=red", "'4:colour=red': unknown setting 'colour' "
		  "(allowed: mac, vlan, qos, spoofchk, trust, max_tx_rate, min_tx_rate)" },
		{ "3:mac=learn,mac=learn", "mac: given twice" },
		{ "3:qos=1", "qos=1: a priority needs a VLAN (vlan=1-4094)" },
		{ "64:mac=learn", "relay 64: must be a relay id 0-63" },
		{ "vlan=3", "must be RELAY:PROFILE" },
		{ "3:vlan", "'vlan': not NAME=VALUE" },
	};
	struct vfwd_config cfg;
	char text[512], out[VFWD_VF_PROFILE_TEXT_MAX];
	size_t i;

	(void)state;
	vfwd_config_defaults(&cfg);
	assert_int_equal(cfg.n_vf_profiles, 0);
	load_ok(&cfg, "VIRTIOFWD_VF_PROFILES=(\"3:mac=52:54:00:AB:cd:01,vlan=100,"
		"qos=3,spoofchk=on,trust=off,max_tx_rate=1000,min_tx_rate=10\" "
		"5:mac=learn 3:vlan=7)\n");
	assert_int_equal(cfg.n_vf_profiles, 2);
	/* A later profile of a relay replaces the earlier. */
	assert_int_equal(cfg.vf_profiles[0].relay, 3);
	vfwd_vf_profile_format(&cfg.vf_profiles[0].p, out, sizeof(out));
	assert_string_equal(out, "vlan=7");
	assert_int_equal(cfg.vf_profiles[1].relay, 5);
	assert_true(cfg.vf_profiles[1].p.mac_learn);
	/* Every setting, written back in one spelling. */
	load_ok(&cfg, "VIRTIOFWD_VF_PROFILES=\"3:trust=no,mac=52:54:00:AB:cd:01,"
		"spoofchk=1,vlan=100,qos=3,min_tx_rate=10,max_tx_rate=1000\"\n");
	vfwd_vf_profile_format(&cfg.vf_profiles[0].p, out, sizeof(out));
	assert_string_equal(out, "mac=52:54:00:ab:cd:01,vlan=100,qos=3,spoofchk=on,"
			    "trust=off,max_tx_rate=1000,min_tx_rate=10");
	ARGS_OK(&cfg, "--vf-profile=1:mac=learn", "--vf-profile", "2:vlan=5");
	assert_int_equal(cfg.n_vf_profiles, 2);
	ARGS_FAIL(&cfg, "--vf-profile=1:vlan=x: vlan=x: must be a VLAN id",
		  "--vf-profile=1:vlan=x");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "VIRTIOFWD_VF_PROFILES=\"%s\"\n", bad[i].text);
		if (load(&cfg, text) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i].text);
		assert_contains(err, bad[i].msg);
	}
}

/* VIRTIOFWD_DYNAMIC_SOCKET_DIRS: a list of absolute directories. */
static void
test_dynamic_socket_dirs(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "run/x", "=run/x: must be an absolute path" },
		{ "/a /b /a/", "=/a /b /a/: '/a/': /a is given twice" },
		/* 105 bytes at most: a '/' and a name must still fit. */
		{ "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "is too long "
		  "(at most 105 bytes)" },
	};
	struct vfwd_config cfg;
	char text[512];
	size_t i;

	(void)state;
	vfwd_config_defaults(&cfg);
	assert_int_equal(cfg.n_socket_dirs, 0);
	load_ok(&cfg, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=\"/run/vhost /var/lib/vms/\"\n");
	assert_int_equal(cfg.n_socket_dirs, 2);
	assert_string_equal(cfg.socket_dirs[0], "/run/vhost");
	/* Compared as realpath(3) names directories: no trailing '/'. */
	assert_string_equal(cfg.socket_dirs[1], "/var/lib/vms");
	load_ok(&cfg, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=(/ /srv//)\n");
	assert_int_equal(cfg.n_socket_dirs, 2);
	assert_string_equal(cfg.socket_dirs[0], "/");
	assert_string_equal(cfg.socket_dirs[1], "/srv");
	load_ok(&cfg, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=/a\n"
		"VIRTIOFWD_DYNAMIC_SOCKET_DIRS=\n");
	assert_int_equal(cfg.n_socket_dirs, 0);
	/* The option: repeatable. */
	ARGS_OK(&cfg, "--dynamic-socket-dir=/run/a", "--dynamic-socket-dir", "/run/b");
	assert_int_equal(cfg.n_socket_dirs, 2);
	assert_string_equal(cfg.socket_dirs[1], "/run/b");
	ARGS_FAIL(&cfg, "--dynamic-socket-dir=x: must be an absolute path",
		  "--dynamic-socket-dir=x");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=\"%s\"\n",
			 bad[i].text);
		if (load(&cfg, text) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i].text);
		assert_contains(err, bad[i].msg);
		assert_int_equal(cfg.n_socket_dirs, 0);
	}
	/* At most 16. */
	{
		char many[512] = "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=(";

		for (i = 0; i < 17; i++)
			sprintf(many + strlen(many), " /d%zu", i);
		strcat(many, ")\n");
		assert_int_equal(load(&cfg, many), -EINVAL);
		assert_contains(err, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=/d16: more than 16 "
				"directories");
	}
	/* Without dynamic sockets it does nothing, and says so. */
	load_ok(&cfg, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=/run/a\n");
	n_warnings = 0;
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	assert_int_equal(n_warnings, 1);
	assert_contains(last_warning, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS "
			"(--dynamic-socket-dir) has no effect without dynamic sockets");
	load_ok(&cfg, "VIRTIOFWD_DYNAMIC_SOCKET_DIRS=/run/a\n"
		"VIRTIOFWD_DYNAMIC_SOCKETS=y\n");
	n_warnings = 0;
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	assert_int_equal(n_warnings, 0);
}

/* The packaged file (its path is the test's argument) loads without a
 * notice or warning and gives a valid configuration. */
static const char *packaged_file;

static void
test_packaged_file(void **state)
{
	struct vfwd_config cfg;

	(void)state;
	if (packaged_file == NULL)
		skip();
	vfwd_config_defaults(&cfg);
	n_notices = n_warnings = 0;
	if (vfwd_config_load_file(&cfg, packaged_file, err, sizeof err) != 0)
		fail_msg("%s: %s", packaged_file, err);
	assert_int_equal(vfwd_config_validate(&cfg, err, sizeof err), 0);
	if (n_notices + n_warnings)
		fail_msg("%s: %s%s", packaged_file, last_notice, last_warning);
	assert_int_equal(vfwd_config_port_control(&cfg), VFWD_PORT_CONTROL_ZMQ);
}

/* The 1.x start-script knobs: accepted, without effect. */
static void
test_start_script_knobs(void **state)
{
	struct vfwd_config cfg, def;

	(void)state;
	n_notices = n_warnings = 0;
	load_ok(&cfg, "VIRTIOFWD_BINARY=@BINDIR@/virtio-forwarder\n");
	vfwd_config_defaults(&def);
	assert_memory_equal(&cfg, &def, sizeof cfg);
	load_ok(&cfg, "VIRTIOFWD_BINARY=\n");
	assert_int_equal(n_notices + n_warnings, 0);
	/* --zero-copy, as 1.x's start script passed it: one notice. */
	ARGS_OK(&cfg, "--zero-copy");
	assert_true(cfg.zero_copy);
	assert_int_equal(n_notices, 1);
	assert_contains(last_notice, "VIRTIOFWD_ZERO_COPY");
	assert_contains(last_notice, "no effect");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_scalar_variables),
		cmocka_unit_test(test_boolean_variables),
		cmocka_unit_test(test_list_variables),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_unknown_variable),
		cmocka_unit_test(test_set_api),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_cpulist),
		cmocka_unit_test(test_cpuset_helpers),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_static_dev),
		cmocka_unit_test(test_devspec),
		cmocka_unit_test(test_parse_pci),
		cmocka_unit_test(test_socket_pattern),
		cmocka_unit_test(test_args_long_and_short),
		cmocka_unit_test(test_args_optional_values),
		cmocka_unit_test(test_args_override_file),
		cmocka_unit_test(test_args_errors),
		cmocka_unit_test(test_args_help_version),
		cmocka_unit_test(test_usage),
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_settings_table),
		cmocka_unit_test(test_options_from_table),
		cmocka_unit_test(test_shipped_1x_file),
		cmocka_unit_test(test_port_control_precedence),
		cmocka_unit_test(test_vfio_token),
		cmocka_unit_test(test_pid_path),
		cmocka_unit_test(test_vfio_bind_list),
		cmocka_unit_test(test_dynamic_socket_dirs),
		cmocka_unit_test(test_vf_profiles),
		cmocka_unit_test(test_devspec_same),
		cmocka_unit_test(test_start_script_knobs),
		cmocka_unit_test(test_packaged_file),
	};

	if (argc > 1)
		packaged_file = argv[1];

	return cmocka_run_group_tests(tests, NULL, NULL);
}
