# SPDX-License-Identifier: BSD-3-Clause
"""The Prometheus endpoint (VIRTIOFWD_METRICS_EP): the daemon's counters in
the text format (checked by promtool), scraped by a real Prometheus, and
hostile clients that leave the daemon and its other services responsive."""

import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from harness import (CTL, Daemon, Proc, receive_start, relay_up, run_daemon_expect_error,
                     send, vf_spec, vm_peer, wait_for, wire_peer)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port, path="/metrics"):
    with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
        return r.status, r.headers.get("Content-Type"), r.read().decode()


def samples(text):
    """{(name, frozenset(labels)): value} of an exposition."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^(\w+)(?:\{(.*)\})? (\S+)$', line)
        assert m, line
        labels = frozenset(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def value(s, name, **labels):
    want = {(k, str(v)) for k, v in labels.items()}
    found = [v for (n, ls), v in s.items() if n == name and want <= ls]
    assert len(found) == 1, (name, labels, found)
    return found[0]


@pytest.fixture
def metrics_daemon(reg, sockdir):
    port = free_port()
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [vf_spec(sockdir) + "=1"],
                                 "VIRTIOFWD_METRICS_EP": "127.0.0.1:%d" % port}))
    wire = reg.add(wire_peer("%s/vf1.sock" % sockdir))
    vm = reg.add(vm_peer(d.socket(1)))
    wait_for(lambda: relay_up(d, 1), what="guest on relay 1")
    return d, wire, vm, port


def test_metrics_match_the_counters(metrics_daemon, sockdir):
    d, wire, vm, port = metrics_daemon
    receive_start(wire)
    send(vm, 3)
    wire.cmd("stop")
    receive_start(vm)
    send(wire, 2)
    dump = d.settled_stats(1)
    status, ctype, text = scrape(port)
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4")
    p = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and p.stdout.strip() == "", p.stdout + p.stderr

    s = samples(text)
    assert value(s, "virtio_forwarder_relays_in_use") == 1
    info = [ls for (n, ls) in s if n == "virtio_forwarder_relay_info"]
    assert dict(info[0])["relay"] == "1"
    assert dict(info[0])["socket"] == d.socket(1)
    assert dict(info[0])["device"] == vf_spec(sockdir)
    assert value(s, "virtio_forwarder_relay_guest_connected", relay=1) == 1
    assert value(s, "virtio_forwarder_relay_device_attached", relay=1) == 1
    assert value(s, "virtio_forwarder_relay_migrating", relay=1) == 0
    for direction in ("vf_to_vm", "vm_to_vf"):
        c = dump[direction]
        assert value(s, "virtio_forwarder_relay_received_packets_total", relay=1,
                     direction=direction) == c["rx_pkts"]
        assert value(s, "virtio_forwarder_relay_sent_bytes_total", relay=1,
                     direction=direction) == c["tx_bytes"]
        assert value(s, "virtio_forwarder_relay_dropped_packets_total", relay=1,
                     direction=direction, reason="queue_full") == c["drop_full_pkts"]
        assert value(s, "virtio_forwarder_relay_dropped_packets_total", relay=1,
                     direction=direction, reason="not_connected") == c["drop_nc_pkts"]
    assert value(s, "virtio_forwarder_relay_received_packets_total", relay=1,
                 direction="vm_to_vf") == 96
    assert value(s, "virtio_forwarder_guest_queue_packets_total", relay=1, queue=0,
                 direction="vf_to_vm") == dump["queues"][0]["to_vm_pkts"] == 64
    assert value(s, "virtio_forwarder_worker_busy_seconds_total", cpu=1) > 0
    assert value(s, "virtio_forwarder_max_ports") >= 32
    assert ("virtio_forwarder_info", frozenset()) not in s


def test_prometheus_scrapes_the_daemon(metrics_daemon, tmp_path):
    """A real Prometheus scrapes the daemon every second while traffic
    flows; its rate of a relay's packets agrees with the daemon's own, and
    after the traffic stops its last value is the daemon's counter."""
    if not shutil.which("prometheus"):
        pytest.skip("prometheus is not installed (Debian package prometheus)")
    d, wire, vm, port = metrics_daemon
    web = free_port()
    conf = tmp_path / "prometheus.yml"
    conf.write_text("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: vfwd\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % port)
    prom = Proc(["prometheus", "--config.file=%s" % conf,
                 "--storage.tsdb.path=%s" % (tmp_path / "data"),
                 "--web.listen-address=127.0.0.1:%d" % web, "--log.level=warn"])
    try:
        def query(q):
            url = "http://127.0.0.1:%d/api/v1/query?%s" % (web, urllib.parse.urlencode({"query": q}))
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    res = json.loads(r.read())["data"]["result"]
            except (urllib.error.URLError, OSError):
                return None
            return float(res[0]["value"][1]) if res else None

        series = 'virtio_forwarder_relay_received_packets_total{relay="1",direction="vm_to_vf"}'
        wait_for(lambda: query(series) is not None or not prom.alive(), timeout=60,
                 what="Prometheus' first scrape")
        assert prom.alive(), prom.output()

        # Steady traffic from the guest side: the wire receives it.
        receive_start(wire)
        vm.cmd("set fwd flowgen")
        vm.cmd("start")
        time.sleep(8)
        prom_rate = query("rate(%s[5s])" % series)
        s0, t0 = d.stats()[1]["vm_to_vf"]["rx_pkts"], time.monotonic()
        time.sleep(5)
        s1, t1 = d.stats()[1]["vm_to_vf"]["rx_pkts"], time.monotonic()
        vm.cmd("stop")
        ours = (s1 - s0) / (t1 - t0)
        assert ours > 1000 and prom_rate, (ours, prom_rate)
        assert 0.6 < prom_rate / ours < 1.6, (prom_rate, ours)

        final = d.settled_stats(1)["vm_to_vf"]["rx_pkts"]
        wait_for(lambda: query(series) == final, timeout=20,
                 what="Prometheus' value to reach the counter %d" % final)
    finally:
        prom.stop()


def test_bad_requests_and_hostile_clients(metrics_daemon):
    d, wire, vm, port = metrics_daemon
    stats_ep = "--stats-ep=" + d.vars["VIRTIOFWD_ZMQ_STATS_EP"]

    def stats_quickly():
        t0 = time.monotonic()
        p = subprocess.run([CTL, stats_ep, "stats", "--json"], capture_output=True,
                           text=True, timeout=30)
        assert p.returncode == 0, p.stderr
        return time.monotonic() - t0

    # Wrong method, unknown path.
    req = urllib.request.Request("http://127.0.0.1:%d/metrics" % port, data=b"x" * 100,
                                 method="POST")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=10)
    assert e.value.code == 405 and "GET" in e.value.headers.get("Allow")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen("http://127.0.0.1:%d/nope" % port, timeout=10)
    assert e.value.code == 404

    # Garbage instead of HTTP: answered with an error or closed.
    with socket.create_connection(("127.0.0.1", port), timeout=10) as c:
        c.sendall(os.urandom(4096) + b"\r\n\r\n")
        try:
            c.recv(4096)
        except (ConnectionResetError, socket.timeout):
            pass

    # Slow clients holding connections with half a request, and a flood of
    # connections: the control services answer at once all along.
    slow = []
    try:
        for _ in range(40):
            try:
                c = socket.create_connection(("127.0.0.1", port), timeout=5)
                c.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
                slow.append(c)
            except OSError:
                break
        assert stats_quickly() < 2.0
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=2).close()
            except OSError:
                pass
        assert stats_quickly() < 2.0
    finally:
        for c in slow:
            c.close()
    # Once they are gone, scrapes work again.  (Until the server has seen
    # the closes, a new connection over its limits is reset.)
    def scrape_ok():
        try:
            return scrape(port)[0] == 200
        except OSError:
            return False
    wait_for(scrape_ok, timeout=30, what="a scrape after the flood")
    assert d.proc.alive()


def test_bad_endpoint_refused(tmp_path):
    for bad in ("abc", "70000", "host.example:9479", "[::1:9479"):
        rc, err = run_daemon_expect_error(tmp_path, {"VIRTIOFWD_METRICS_EP": bad})
        assert rc == 2, err
        assert "VIRTIOFWD_METRICS_EP=%s" % bad in err and "IPV4:PORT" in err, err


def test_endpoint_in_use(reg, sockdir):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        d = Daemon(sockdir, {"VIRTIOFWD_METRICS_EP": "127.0.0.1:%d" % port},
                   wait_ready=False)
        reg.add(d)
        wait_for(lambda: not d.proc.alive(), timeout=30, what="the daemon to give up")
        assert d.proc.p.returncode == 1
        assert "cannot serve HTTP" in d.proc.err, d.proc.err
