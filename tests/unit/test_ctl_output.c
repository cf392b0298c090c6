/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the 1.x formats of tools/ctl_output.c: numbers as Python
 * printed them, 1.x's flat stats lines (checked against the example of
 * 1x-operator-surface.md, line for line), and the protobuf text format of
 * the replies 1.x's tools printed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_output.h"

/* config.c wants these from its user. */
void vfwd_config_warn(const char *fmt, ...)
{
	(void)fmt;
}

void vfwd_config_notice(const char *fmt, ...)
{
	(void)fmt;
}

/* What 'print' wrote, as a string the caller frees. */
#define CAPTURE(text, call) do {                                        \
	size_t len_ = 0;                                                \
	FILE *f = open_memstream(&(text), &len_);                       \
	assert_non_null(f);                                             \
	call;                                                           \
	fclose(f);                                                      \
} while (0)

static void
test_python_float(void **state)
{
	static const struct {
		double v;
		const char *repr;
	} cases[] = {
		{ 0.0, "0.0" }, { -0.0, "-0.0" }, { 1.0, "1.0" }, { 2140744.25, "2140744.25" },
		{ 22172006.0, "22172006.0" }, { 1419008384.0, "1419008384.0" },
		{ 123.456, "123.456" }, { 0.0001, "0.0001" }, { 1e-05, "1e-05" },
		{ 1e16, "1e+16" }, { 1.5e16, "1.5e+16" },
		{ 1234567890123456.0, "1234567890123456.0" },
		{ 12345678901234567.0, "1.2345678901234568e+16" }, { 5e-324, "5e-324" },
		{ -2.5, "-2.5" }, { 0.1, "0.1" }, { 1e22, "1e+22" },
		/* A float32 widened, as 1.x's Python got it. */
		{ (double)0.1f, "0.10000000149011612" },
		{ INFINITY, "inf" }, { -INFINITY, "-inf" }, { NAN, "nan" },
	};
	char buf[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ctl_python_float(cases[i].v, buf, sizeof(buf));
		if (strcmp(buf, cases[i].repr))
			fail_msg("%.17g: '%s', Python says '%s'", cases[i].v, buf,
				 cases[i].repr);
	}
}

/* The relay of the spec's example, as a daemon would send it. */
struct example {
	Virtioforwarder__StatsResponse r;
	Virtioforwarder__RelayState rs[2], *rsp[2];
	Virtioforwarder__RelayState__CPU cpu[2];
	Virtioforwarder__RelayState__VHOST vhost[2];
	Virtioforwarder__RelayState__VF vf;
	Virtioforwarder__RelayState__VFtoVM a[2];
	Virtioforwarder__RelayState__VMtoVF b[2];
	Virtioforwarder__WorkerLoad w, *wp;
};

static void
example(struct example *e)
{
	int i;

	memset(e, 0, sizeof(*e));
	virtioforwarder__stats_response__init(&e->r);
	for (i = 0; i < 2; i++) {
		virtioforwarder__relay_state__init(&e->rs[i]);
		virtioforwarder__relay_state__cpu__init(&e->cpu[i]);
		virtioforwarder__relay_state__vhost__init(&e->vhost[i]);
		virtioforwarder__relay_state__vfto_vm__init(&e->a[i]);
		virtioforwarder__relay_state__vmto_vf__init(&e->b[i]);
		e->rs[i].cpu = &e->cpu[i];
		e->rs[i].vhost = &e->vhost[i];
		e->rs[i].vf_to_vm = &e->a[i];
		e->rs[i].vm_to_vf = &e->b[i];
		e->cpu[i].has_vf_to_vm = e->cpu[i].has_vm_to_vf = true;
	}
	/* The answer lists relay 1 after relay 0's; 1.x printed id order. */
	e->rsp[0] = &e->rs[1];
	e->rsp[1] = &e->rs[0];
	e->r.n_relay = 2;
	e->r.relay = e->rsp;
	/* A field 1.x did not have: not printed under the 1.x names. */
	virtioforwarder__worker_load__init(&e->w);
	e->w.cpu = 1;
	e->wp = &e->w;
	e->r.n_worker = 1;
	e->r.worker = &e->wp;

	/* Relay 0: inactive. */
	e->rs[0].id = 0;
	e->cpu[0].vf_to_vm = e->cpu[0].vm_to_vf = -1;
	e->vhost[0].vhost_socket_name = "/tmp/virtio-forwarder/virtio-forwarder0.sock";
	e->a[0].internal_state = "idle";
	e->b[0].internal_state = "idle";

	/* Relay 1: the spec's example. */
	e->rs[1].id = 1;
	e->rs[1].active = true;
	e->cpu[1].vf_to_vm = e->cpu[1].vm_to_vf = 1;
	virtioforwarder__relay_state__vf__init(&e->vf);
	e->vf.pci_addr_str = "0000:05:08.1";
	e->rs[1].vf = &e->vf;
	e->vhost[1].vhost_socket_name = "/tmp/virtio-forwarder/virtio-forwarder1.sock";
	e->a[1].active = true;
	e->a[1].internal_state = "forwarding";
	e->a[1].pkts_rx_from_vf = 399703296;
	e->a[1].bytes_rx_from_vf = 25581010944ULL;
	e->a[1].pkts_tx_to_vm = 1369504;
	e->a[1].bytes_tx_to_vm = 87648256;
	e->a[1].pkt_rate_rx_from_vf = 22172006.0f;
	e->a[1].byte_rate_rx_from_vf = 1419008384.0f;
	e->a[1].pkt_rate_tx_to_vm = 2140744.25f;
	e->a[1].byte_rate_tx_to_vm = 137007632.0f;
	e->a[1].pkts_dropped_vm_queue_full = 69048032;
	e->a[1].bytes_dropped_vm_queue_full = 4419074048ULL;
	e->a[1].pkts_dropped_vm_not_connected = 329285760;
	e->a[1].bytes_dropped_vm_not_connected = 21074288640ULL;
	e->b[1].active = true;
	e->b[1].internal_state = "forwarding";
	e->b[1].pkts_rx_from_vm = 361696;
	e->b[1].pkt_rate_rx_from_vm = 0.1f;
}

static const char flat_expected[] =
	"relay_0.active=False\n"
	"relay_0.cpu.vf_to_vm=-1\n"
	"relay_0.cpu.vm_to_vf=-1\n"
	"relay_0.vhost.vhost_socket_name=/tmp/virtio-forwarder/virtio-forwarder0.sock\n"
	"relay_0.vf_to_vm.active=False\n"
	"relay_0.vf_to_vm.internal_state=idle\n"
	"relay_0.vf_to_vm.cpu_-1.pkts_rx_from_vf=0\n"
	"relay_0.vf_to_vm.cpu_-1.bytes_rx_from_vf=0\n"
	"relay_0.vf_to_vm.cpu_-1.pkts_tx_to_vm=0\n"
	"relay_0.vf_to_vm.cpu_-1.bytes_tx_to_vm=0\n"
	"relay_0.vf_to_vm.cpu_-1.pkt_rate_rx_from_vf=0.0\n"
	"relay_0.vf_to_vm.cpu_-1.byte_rate_rx_from_vf=0.0\n"
	"relay_0.vf_to_vm.cpu_-1.pkt_rate_tx_to_vm=0.0\n"
	"relay_0.vf_to_vm.cpu_-1.byte_rate_tx_to_vm=0.0\n"
	"relay_0.vf_to_vm.cpu_-1.pkts_dropped_vm_queue_full=0\n"
	"relay_0.vf_to_vm.cpu_-1.bytes_dropped_vm_queue_full=0\n"
	"relay_0.vf_to_vm.cpu_-1.pkts_dropped_vm_not_connected=0\n"
	"relay_0.vf_to_vm.cpu_-1.bytes_dropped_vm_not_connected=0\n"
	"relay_0.vm_to_vf.active=False\n"
	"relay_0.vm_to_vf.internal_state=idle\n"
	"relay_0.vm_to_vf.cpu_-1.pkts_rx_from_vm=0\n"
	"relay_0.vm_to_vf.cpu_-1.bytes_rx_from_vm=0\n"
	"relay_0.vm_to_vf.cpu_-1.pkts_tx_to_vf=0\n"
	"relay_0.vm_to_vf.cpu_-1.bytes_tx_to_vf=0\n"
	"relay_0.vm_to_vf.cpu_-1.pkt_rate_rx_from_vm=0.0\n"
	"relay_0.vm_to_vf.cpu_-1.byte_rate_rx_from_vm=0.0\n"
	"relay_0.vm_to_vf.cpu_-1.pkt_rate_tx_to_vf=0.0\n"
	"relay_0.vm_to_vf.cpu_-1.byte_rate_tx_to_vf=0.0\n"
	"relay_0.vm_to_vf.cpu_-1.pkts_dropped_vf_queue_full=0\n"
	"relay_0.vm_to_vf.cpu_-1.bytes_dropped_vf_queue_full=0\n"
	"relay_0.vm_to_vf.cpu_-1.pkts_dropped_vf_not_connected=0\n"
	"relay_0.vm_to_vf.cpu_-1.bytes_dropped_vf_not_connected=0\n"
	"relay_1.active=True\n"
	"relay_1.cpu.vf_to_vm=1\n"
	"relay_1.cpu.vm_to_vf=1\n"
	"relay_1.vf.pci_addr_str=0000:05:08.1\n"
	"relay_1.vhost.vhost_socket_name=/tmp/virtio-forwarder/virtio-forwarder1.sock\n"
	"relay_1.vf_to_vm.active=True\n"
	"relay_1.vf_to_vm.internal_state=forwarding\n"
	"relay_1.vf_to_vm.cpu_1.pkts_rx_from_vf=399703296\n"
	"relay_1.vf_to_vm.cpu_1.bytes_rx_from_vf=25581010944\n"
	"relay_1.vf_to_vm.cpu_1.pkts_tx_to_vm=1369504\n"
	"relay_1.vf_to_vm.cpu_1.bytes_tx_to_vm=87648256\n"
	"relay_1.vf_to_vm.cpu_1.pkt_rate_rx_from_vf=22172006.0\n"
	"relay_1.vf_to_vm.cpu_1.byte_rate_rx_from_vf=1419008384.0\n"
	"relay_1.vf_to_vm.cpu_1.pkt_rate_tx_to_vm=2140744.25\n"
	"relay_1.vf_to_vm.cpu_1.byte_rate_tx_to_vm=137007632.0\n"
	"relay_1.vf_to_vm.cpu_1.pkts_dropped_vm_queue_full=69048032\n"
	"relay_1.vf_to_vm.cpu_1.bytes_dropped_vm_queue_full=4419074048\n"
	"relay_1.vf_to_vm.cpu_1.pkts_dropped_vm_not_connected=329285760\n"
	"relay_1.vf_to_vm.cpu_1.bytes_dropped_vm_not_connected=21074288640\n"
	"relay_1.vm_to_vf.active=True\n"
	"relay_1.vm_to_vf.internal_state=forwarding\n"
	"relay_1.vm_to_vf.cpu_1.pkts_rx_from_vm=361696\n"
	"relay_1.vm_to_vf.cpu_1.bytes_rx_from_vm=0\n"
	"relay_1.vm_to_vf.cpu_1.pkts_tx_to_vf=0\n"
	"relay_1.vm_to_vf.cpu_1.bytes_tx_to_vf=0\n"
	"relay_1.vm_to_vf.cpu_1.pkt_rate_rx_from_vm=0.10000000149011612\n"
	"relay_1.vm_to_vf.cpu_1.byte_rate_rx_from_vm=0.0\n"
	"relay_1.vm_to_vf.cpu_1.pkt_rate_tx_to_vf=0.0\n"
	"relay_1.vm_to_vf.cpu_1.byte_rate_tx_to_vf=0.0\n"
	"relay_1.vm_to_vf.cpu_1.pkts_dropped_vf_queue_full=0\n"
	"relay_1.vm_to_vf.cpu_1.bytes_dropped_vf_queue_full=0\n"
	"relay_1.vm_to_vf.cpu_1.pkts_dropped_vf_not_connected=0\n"
	"relay_1.vm_to_vf.cpu_1.bytes_dropped_vf_not_connected=0\n";

static void
test_flat_1x(void **state)
{
	struct example e;
	char *text = NULL;

	(void)state;
	example(&e);
	CAPTURE(text, ctl_print_flat_1x(f, &e.r, false));
	assert_string_equal(text, flat_expected);
	free(text);

	/* -z: the statistics that are zero go, nothing else. */
	text = NULL;
	CAPTURE(text, ctl_print_flat_1x(f, &e.r, true));
	assert_non_null(strstr(text, "relay_0.cpu.vf_to_vm=-1\n"));
	assert_non_null(strstr(text, "relay_0.vf_to_vm.active=False\n"
			       "relay_0.vf_to_vm.internal_state=idle\n"
			       "relay_0.vm_to_vf.active=False\n"));
	assert_non_null(strstr(text, "relay_1.vm_to_vf.cpu_1.pkts_rx_from_vm=361696\n"
			       "relay_1.vm_to_vf.cpu_1.pkt_rate_rx_from_vm="
			       "0.10000000149011612\n"));
	assert_null(strstr(text, "=0\n"));
	assert_null(strstr(text, "=0.0\n"));
	free(text);
}

static void
test_text_format(void **state)
{
	Virtioforwarder__PortControlResponse pr =
		VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__INIT;
	struct example e;
	char *text = NULL;

	(void)state;
	/* The reply of the spec, as 1.x's port control tool printed it. */
	pr.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__ERROR;
	pr.has_error_code = true;
	pr.error_code = -2;
	pr.error_code_source = "0000:05:08.1: not attached to any relay";
	pr.has_virtio_id = true;        /* new: not printed */
	pr.virtio_id = 3;
	CAPTURE(text, ctl_print_text(f, &pr.base));
	assert_string_equal(text, "status: ERROR\nerror_code: -2\nerror_code_source: "
			    "\"0000:05:08.1: not attached to any relay\"\n");
	free(text);

	/* Strings are escaped as the text format does. */
	pr.status = VIRTIOFORWARDER__PORT_CONTROL_RESPONSE__STATUS__OK;
	pr.has_error_code = false;
	pr.error_code_source = NULL;
	pr.query_string = "a\"b'c\\d\ne\tf\001\xc3\xa9";
	text = NULL;
	CAPTURE(text, ctl_print_text(f, &pr.base));
	assert_string_equal(text, "status: OK\nquery_string: "
			    "\"a\\\"b\\'c\\\\d\\ne\\tf\\001\\303\\251\"\n");
	free(text);

	/* Nested messages, fields in number order, floats as Python wrote
	 * the float32 (0.1, not 0.10000000149011612), no new fields. */
	example(&e);
	text = NULL;
	CAPTURE(text, ctl_print_text(f, &e.r.base));
	{
		static const char start[] =
			"status: OK\nrelay {\n  id: 1\n  active: true\n"
			"  cpu {\n    vf_to_vm: 1\n    vm_to_vf: 1\n  }\n"
			"  vhost {\n    vhost_socket_name: \"/tmp/virtio-forwarder/"
			"virtio-forwarder1.sock\"\n  }\n  vf {\n    pci_addr_str: "
			"\"0000:05:08.1\"\n  }\n  vf_to_vm {\n    active: true\n";

		if (strncmp(text, start, strlen(start)) != 0)
			fail_msg("%s", text);
	}
	assert_non_null(strstr(text, "    pkt_rate_rx_from_vf: 22172006.0\n"));
	/* The shortest of 6 or more digits that is the same float32, as
	 * Python's text_format writes it: not 2140744.25. */
	assert_non_null(strstr(text, "    pkt_rate_tx_to_vm: 2140744.2\n"));
	assert_non_null(strstr(text, "    pkt_rate_rx_from_vm: 0.1\n"));
	assert_non_null(strstr(text, "  socket_id: 0\n}\nrelay {\n  id: 0\n"));
	assert_null(strstr(text, "worker"));
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_python_float),
		cmocka_unit_test(test_flat_1x),
		cmocka_unit_test(test_text_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
