/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfwdctl: the operator's command-line client of virtio-forwarder.
 *
 *   vfwdctl [global options] COMMAND [options]
 *
 * It also stands in for the six Python tools of 1.x, which scripts and
 * runbooks call by name: installed as symlinks to this program, the name
 * it is run under picks the 1.x tool, with 1.x's own command line
 * (cmd_1x.c).
 *
 * This file is main and the dispatch to the commands (cmd_*.c); what the
 * commands share is the tools' client library (tools/meson.build), which
 * calls back into neither.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_1x.h"
#include "cmd_balance.h"
#include "cmd_migrate.h"
#include "cmd_pin.h"
#include "cmd_port.h"
#include "cmd_stats.h"
#include "ctl.h"
#include "ctl_client.h"

/* ------------------------------------------------------------------ */
/* Commands                                                            */
/* ------------------------------------------------------------------ */

struct command {
	const char *name;
	enum ctl_port_op port_op;        /* CTL_PORT_NONE: not port control */
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *summary;
};

static int cmd_help(struct ctl *c, int argc, char **argv);

static const struct command commands[] = {
	{ "add", CTL_PORT_ADD, NULL, "attach a device or a bond to a relay" },
	{ "remove", CTL_PORT_REMOVE, NULL, "detach a device or a bond" },
	{ "add_sock", CTL_PORT_ADD_SOCK, NULL,
	  "open a vhost-user socket with its device (dynamic sockets)" },
	{ "remove_sock", CTL_PORT_REMOVE_SOCK, NULL,
	  "close a vhost-user socket and detach its device" },
	{ "query", CTL_PORT_QUERY, NULL, "print the device serving a socket" },
	{ "profile", CTL_PORT_PROFILE, NULL, "set or clear a relay's VF port profile" },
	{ "stats", CTL_PORT_NONE, ctl_cmd_stats,
	  "relay counters, rates and worker load" },
	{ "pin", CTL_PORT_NONE, ctl_cmd_pin,
	  "show or change the relay-to-CPU map" },
	{ "load", CTL_PORT_NONE, ctl_cmd_load, "live bars of the workers' load" },
	{ "balance", CTL_PORT_NONE, ctl_cmd_balance,
	  "the CPU load balancer: spread the relays over the workers" },
	{ "migrate-check", CTL_PORT_NONE, ctl_cmd_migrate_check,
	  "before a live migration: does the destination offer the guest's features?" },
	{ "help", CTL_PORT_NONE, cmd_help, "help on a command" },
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f, const char *prog)
{
	size_t i;

	fprintf(f,
"Usage: %s [GLOBAL OPTIONS] COMMAND [OPTIONS]\n"
"Controls a running virtio-forwarder through its ZeroMQ services.\n"
"\n"
"Commands:\n", prog);
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
"\n"
"Global options (also accepted after the command):\n"
"  --config=FILE           read the endpoints from FILE (default\n"
"                          " CTL_DEFAULT_CONFIG " when readable)\n"
"  --port-control-ep=EP    port control service [VIRTIOFWD_ZMQ_PORT_CONTROL_EP]\n"
"  --stats-ep=EP           stats service [VIRTIOFWD_ZMQ_STATS_EP]\n"
"  --core-sched-ep=EP      core scheduling service [VIRTIOFWD_ZMQ_CORE_SCHED_EP]\n"
"  --config-ep=EP          config service [VIRTIOFWD_ZMQ_CONFIG_EP]\n"
"                          (also --zmq-port-control-ep, --zmq-stats-ep, ...)\n"
"  --timeout=MS            wait at most MS for an answer (default %d)\n"
"  -q, --quiet             no confirmation line after a change\n"
"  -h, --help              this help; '%s COMMAND --help' for a command\n"
"  --version               print the version\n"
"\n"
"Exit status: 0 done, 1 the daemon refused or did not answer, 2 usage error.\n"
"Run as one of the six 1.x tool names (virtioforwarder_port_control.py,\n"
"virtioforwarder_stats.py, virtioforwarder_core_pinner.py,\n"
"virtioforwarder_monitor_load.py, virtioforwarder_core_scheduler.py,\n"
"virtioforwarder_config.py) it takes that tool's 1.x flags and prints its\n"
"1.x output.  See vfwdctl(1).\n", CTL_DEFAULT_TIMEOUT_MS, prog);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int
run_command(struct ctl *c, const struct command *cmd, int argc, char **argv)
{
	c->cmd = cmd->name;
	if (cmd->run == NULL)
		return ctl_cmd_port(c, cmd->port_op, argc, argv);
	return cmd->run(c, argc, argv);
}

/* "help COMMAND" is "COMMAND --help". */
static int
cmd_help(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd;
	char *args[3];

	if (argc < 2) {
		usage(stdout, c->prog);
		return CTL_EXIT_OK;
	}
	if (argc > 2)
		return ctl_usage_error(c, "give one command name");
	cmd = find_command(argv[1]);
	if (cmd == NULL || cmd->run == cmd_help)
		return ctl_usage_error(c, "'%s': no such command", argv[1]);
	args[0] = argv[1];
	args[1] = (char *)"--help";
	args[2] = NULL;
	return run_command(c, cmd, 2, args);
}

static int
run_vfwdctl(struct ctl *c, int argc, char **argv)
{
	const struct command *cmd;
	int rc;

	/* Global options up to the command word. */
	rc = ctl_parse_global(c, argc, argv);
	if (rc == CTL_PARSE_HELP) {
		usage(stdout, c->prog);
		return CTL_EXIT_OK;
	}
	if (rc != 0)
		return ctl_parse_status(rc);
	if (optind >= argc)
		return ctl_usage_error(c, "no command given (commands: add, remove, "
				       "add_sock, remove_sock, query, stats, pin, "
				       "load, help)");
	cmd = find_command(argv[optind]);
	if (cmd == NULL)
		return ctl_usage_error(c, "'%s': no such command (allowed: add, remove, "
				       "add_sock, remove_sock, query, stats, pin, "
				       "load, help)", argv[optind]);
	return run_command(c, cmd, argc - optind, argv + optind);
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const char *base;
	int idx, rc;

	memset(&c, 0, sizeof(c));
	base = argc > 0 && argv[0] != NULL ? argv[0] : "vfwdctl";
	if (strrchr(base, '/') != NULL)
		base = strrchr(base, '/') + 1;
	c.prog = base;
	c.timeout_ms = CTL_DEFAULT_TIMEOUT_MS;
	/* Output of a pipe is read line by line (watch mode, tests). */
	setvbuf(stdout, NULL, _IOLBF, 0);

	idx = ctl_1x_index(base);
	if (argc < 1)
		rc = ctl_usage_error(&c, "no arguments at all");
	else if (idx >= 0)
		rc = ctl_1x_run(&c, idx, argc, argv);
	else
		rc = run_vfwdctl(&c, argc, argv);
	ctl_client_close();
	if (fflush(stdout) != 0 && rc == CTL_EXIT_OK) {
		/* A full disk or a closed pipe must not look like success. */
		fprintf(stderr, "%s: writing the output: %s\n", c.prog, strerror(errno));
		rc = CTL_EXIT_FAIL;
	}
	return rc;
}
