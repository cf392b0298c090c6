/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pin command (1.x: virtioforwarder_core_pinner.py): shows the
 * relay-to-CPU map, moves relays to other worker CPUs through the core
 * scheduling service, or lists the worker CPUs.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_pin.h"
#include "ctl.h"
#include "ctl_client.h"
#include "ctl_query.h"
#include "virtioforwarder.pb-c.h"

enum {
	OPT_VIRTIO_CPU = OPT_CMD_BASE,
	OPT_CORES,
};

struct pin_args {
	struct vfwd_pin pins[VFWD_MAX_RELAYS];
	bool pinned[VFWD_MAX_RELAYS];
	unsigned int n_pins;
	bool cores;
};

static const struct option pin_options[] = {
	{ "virtio-cpu", required_argument, NULL, OPT_VIRTIO_CPU },
	{ "cores",      no_argument,       NULL, OPT_CORES },
	{ NULL, 0, NULL, 0 },
};

static void
pin_help(const struct ctl *c)
{
	const char *cmd = " pin";

	printf(
"Usage: %s%s                       show the relay-to-CPU map\n"
"       %s%s --virtio-cpu=R:C[,C]...  move relays to worker CPUs\n"
"       %s%s --cores                  list the worker CPUs\n"
"\n"
"  --virtio-cpu=R:C[,C]  relay R (0-63) to CPU C (0-127); with two CPUs the\n"
"                        first serves VF to VM, the second VM to VF.\n"
"                        Repeatable; also several separated by ';', as in\n"
"                        VIRTIOFWD_CPU_PINS.  The CPUs must be worker CPUs.\n"
"  --cores               print the worker CPUs (GET_EAL_CORES)\n"
"  --core-sched-ep=EP, --zmq-core-sched-ep=EP\n"
"                        core scheduling endpoint [VIRTIOFWD_ZMQ_CORE_SCHED_EP];\n"
"                        the daemon serves it with VIO4WD_CORE_SCHED_ENABLE\n"
"  --config-ep=EP, --zmq-config-ep=EP\n"
"                        config endpoint, read for the map [VIRTIOFWD_ZMQ_CONFIG_EP];\n"
"                        without it the map comes from the stats service\n"
"  --config=FILE, --timeout=MS, -q/--quiet, -h/--help: see '%s --help'\n"
"A load balancer, if one runs, may move the relays again.\n",
	       c->prog, cmd, c->prog, cmd, c->prog, cmd,
	       c->prog);
}

/* "1:2,3" or "1:2;3:4,5": every pin checked by the daemon's own parser. */
static int
add_pins(struct ctl *c, struct pin_args *a, const char *arg)
{
	char buf[1024], err[VFWD_ERR_MAX], *tok, *save = NULL;
	struct vfwd_pin pin;
	bool any = false;

	if (strlen(arg) >= sizeof(buf))
		return ctl_usage_error(c, "--virtio-cpu: too long");
	snprintf(buf, sizeof(buf), "%s", arg);
	for (tok = strtok_r(buf, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
		if (tok[strspn(tok, " \t")] == '\0')
			continue;
		if (vfwd_parse_pin(tok, &pin, err, sizeof(err)) != 0)
			return ctl_usage_error(c, "--virtio-cpu=%s: %s", tok, err);
		if (a->pinned[pin.relay])
			return ctl_usage_error(c, "--virtio-cpu: relay %u is given twice",
					       pin.relay);
		a->pinned[pin.relay] = true;
		a->pins[a->n_pins++] = pin;
		any = true;
	}
	if (!any)
		return ctl_usage_error(c, "--virtio-cpu: no pin given (RELAY:CPU or "
				       "RELAY:CPU,CPU)");
	return 0;
}

static int
pin_option(struct ctl *c, void *ctx, int opt, const char *arg)
{
	struct pin_args *a = ctx;

	switch (opt) {
	case OPT_VIRTIO_CPU:
		return add_pins(c, a, arg);
	case OPT_CORES:
		a->cores = true;
		return 0;
	default:
		return ctl_usage_error(c, "unexpected option");
	}
}

static int
show_cores(struct ctl *c)
{
	Virtioforwarder__CoreSchedRequest q = VIRTIOFORWARDER__CORE_SCHED_REQUEST__INIT;
	Virtioforwarder__CoreSchedResponse *r;
	char list[1024];

	q.op = VIRTIOFORWARDER__CORE_SCHED_REQUEST__OP__GET_EAL_CORES;
	r = ctl_core_sched_query(c, &q);
	if (r == NULL)
		return CTL_EXIT_FAIL;
	ctl_format_cores(r, list, sizeof(list));
	printf("%s\n", list);
	virtioforwarder__core_sched_response__free_unpacked(r, NULL);
	return CTL_EXIT_OK;
}

static int
update(struct ctl *c, const struct pin_args *a)
{
	char err[VFWD_ERR_MAX];
	unsigned int i;
	int rc;

	rc = ctl_core_sched_update(c, a->pins, a->n_pins, err, sizeof(err));
	if (rc == -EINTR)
		return CTL_EXIT_OK;
	if (rc != 0) {
		ctl_error(c, "%s", err);
		return CTL_EXIT_FAIL;
	}
	if (!c->quiet)
		for (i = 0; i < a->n_pins; i++)
			printf("relay %u: VF to VM on CPU %d, VM to VF on CPU %d\n",
			       a->pins[i].relay, a->pins[i].cpu_vf_to_vm,
			       a->pins[i].cpu_vm_to_vf);
	return CTL_EXIT_OK;
}

static void
print_map_line(bool *header, unsigned int relay, int c0, int c1)
{
	char a[16], b[16];

	if (!*header)
		printf("%-6s %9s %9s\n", "relay", "vf_to_vm", "vm_to_vf");
	*header = true;
	snprintf(a, sizeof(a), "%d", c0);
	snprintf(b, sizeof(b), "%d", c1);
	printf("%-6u %9s %9s\n", relay, c0 >= 0 ? a : "-", c1 >= 0 ? b : "-");
}

/* The map from the config service.  Returns 0, or -1 (quietly) when the
 * service is off or does not answer, to fall back to stats. */
static int
map_from_config(struct ctl *c)
{
	Virtioforwarder__ConfigRequest q = VIRTIOFORWARDER__CONFIG_REQUEST__INIT;
	Virtioforwarder__ConfigResponse *r;
	char err[VFWD_ERR_MAX];
	bool header = false;
	uint8_t *reply;
	size_t len, i;

	if (ctl_request(c, CTL_SVC_CONFIG, &q.base, &reply, &len, err, sizeof(err)) != 0)
		return -1;
	r = virtioforwarder__config_response__unpack(NULL, len, reply);
	free(reply);
	if (r == NULL || r->status != VIRTIOFORWARDER__CONFIG_RESPONSE__STATUS__OK) {
		if (r != NULL)
			virtioforwarder__config_response__free_unpacked(r, NULL);
		return -1;
	}
	for (i = 0; i < r->n_relay_cpu_map; i++) {
		const Virtioforwarder__RelayCPU *m = r->relay_cpu_map[i];

		print_map_line(&header, (unsigned int)m->relay_number, m->vf2virtio_cpu,
			       m->virtio2vf_cpu);
	}
	if (!header)
		printf("no relay is running or pinned\n");
	virtioforwarder__config_response__free_unpacked(r, NULL);
	return 0;
}

/* The map from the CPUs in the stats answer: the relays running now. */
static int
map_from_stats(struct ctl *c)
{
	Virtioforwarder__StatsRequest q = VIRTIOFORWARDER__STATS_REQUEST__INIT;
	Virtioforwarder__StatsResponse *r;
	bool header = false;
	int status;
	size_t i;

	q.has_include_inactive = true;
	q.include_inactive = true;
	r = ctl_stats_query(c, &q, &status);
	if (r == NULL)
		return status;
	for (i = 0; i < r->n_relay; i++) {
		const Virtioforwarder__RelayState *rs = r->relay[i];
		const Virtioforwarder__RelayState__CPU *cpu = rs->cpu;
		int c0 = cpu && cpu->has_vf_to_vm ? cpu->vf_to_vm : -1;
		int c1 = cpu && cpu->has_vm_to_vf ? cpu->vm_to_vf : -1;

		if (c0 >= 0 || c1 >= 0)
			print_map_line(&header, rs->id, c0, c1);
	}
	if (!header)
		printf("no relay is running\n");
	virtioforwarder__stats_response__free_unpacked(r, NULL);
	return CTL_EXIT_OK;
}

int
ctl_cmd_pin(struct ctl *c, int argc, char **argv)
{
	struct pin_args *a;
	int rc;

	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		ctl_error(c, "out of memory");
		return CTL_EXIT_FAIL;
	}
	rc = ctl_parse(c, argc, argv, pin_options, "", pin_option, a);
	if (rc == CTL_PARSE_HELP)
		pin_help(c);
	if (rc != 0) {
		rc = ctl_parse_status(rc);
		goto out;
	}
	if (optind < argc) {
		rc = ctl_usage_error(c, "unexpected argument '%s' (pins are given as "
				     "--virtio-cpu=RELAY:CPU[,CPU])", argv[optind]);
		goto out;
	}
	if (a->cores && a->n_pins > 0) {
		rc = ctl_usage_error(c, "--cores and --virtio-cpu exclude each other");
		goto out;
	}
	if (a->cores)
		rc = show_cores(c);
	else if (a->n_pins > 0)
		rc = update(c, a);
	else if (map_from_config(c) != 0)
		rc = map_from_stats(c);
	else
		rc = CTL_EXIT_OK;
out:
	free(a);
	return rc;
}
