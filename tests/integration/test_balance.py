# SPDX-License-Identifier: BSD-3-Clause
"""The CPU load balancer, 'vfwdctl balance', against the real daemon: two
workers (EAL --lcores maps worker lcores 1 and 2 onto this machine's two
CPUs), relays crowded on one of them by VIRTIOFWD_CPU_PINS, and DPDK
virtio-user guests sending on them."""

import re
import signal as sigmod
import subprocess
import time

import pytest

from harness import two_worker_vars, CTL, Daemon, Pmd, Proc, wait_for


def two_workers(sockdir, pins="--virtio-cpu=1:1,1;--virtio-cpu=2:1,1", **more):
    return Daemon(sockdir, two_worker_vars(VIRTIOFWD_CPU_PINS=pins, **more))


def balance(d, *args, conf=True):
    argv = [CTL] + (["--config", d.conf] if conf else []) + ["balance"] + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=60)


def cpus(d, relay):
    info = d.stats()[relay]["info"]
    return int(info["cpu_vf_to_vm"]), int(info["cpu_vm_to_vf"])


def guests_sending(reg, d, relays):
    """One testpmd with a virtio-user port on each relay's socket, sending
    (txonly) into every relay; returns when the daemon sees the traffic."""
    tp = reg.add(Pmd(["net_virtio_user%d,path=%s" % (r, d.socket(r)) for r in relays]))
    tp.cmd("set fwd txonly")
    tp.cmd("start")

    def flowing():
        s = d.stats()
        return all(s[r]["info"]["guest"] == "connected" and s[r]["vm_to_vf"]["rx_pkts"] > 10000
                   for r in relays)
    wait_for(flowing, timeout=30, what="traffic on relays %s" % (relays,))
    # The rates the balancer reads cover the last second.
    time.sleep(1.2)
    return tp


def test_balance_once(reg, sockdir):
    """Relays 1 and 2 both on worker 1, both busy: a dry run says what it
    would do and moves nothing; a round moves one relay's busy direction to
    worker 2; the next round finds the load balanced and leaves it."""
    d = reg.add(two_workers(sockdir))
    guests_sending(reg, d, [1, 2])
    assert cpus(d, 1) == (1, 1) and cpus(d, 2) == (1, 1)

    dry = balance(d, "--once", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    # Both relays on worker 1: spread 1; the plan splits them (about 0).
    assert re.search(r"would move 1 relay: load spread 1\.000 -> 0\.[0-2]", dry.stdout), \
        dry.stdout
    assert cpus(d, 1) == (1, 1) and cpus(d, 2) == (1, 1)

    r = balance(d, "--once")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "moved 1 relay" in r.stdout, r.stdout
    vm_to_vf = sorted([cpus(d, 1)[1], cpus(d, 2)[1]])
    assert vm_to_vf == [1, 2], (cpus(d, 1), cpus(d, 2), r.stdout)
    assert d.log_has("core scheduling: relay "), d.proc.err[-2000:]

    time.sleep(1.2)
    again = balance(d, "--once")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "balanced enough" in again.stdout, again.stdout
    assert sorted([cpus(d, 1)[1], cpus(d, 2)[1]]) == [1, 2]


def test_balance_keeps_pins_and_idle(reg, sockdir):
    """--keep-pins leaves the relays of VIRTIOFWD_CPU_PINS (of the file the
    balancer reads) where they are and balances the others around them; a
    relay whose guest sends nothing never moves."""
    from harness import config_text
    d = reg.add(two_workers(sockdir))
    # Relay 3's guest is connected but sends nothing.
    quiet = reg.add(Pmd(["net_virtio_user3,path=%s" % d.socket(3)]))
    quiet.cmd("set fwd rxonly")
    quiet.cmd("start")
    guests_sending(reg, d, [1, 2])
    idle = cpus(d, 3)
    assert cpus(d, 1) == (1, 1) and cpus(d, 2) == (1, 1)

    # Both busy relays pinned: nothing may move, whatever the gain.
    r = balance(d, "--once", "--keep-pins", "--sensitivity=0")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "moved" not in r.stdout, r.stdout
    assert cpus(d, 1) == (1, 1) and cpus(d, 2) == (1, 1)

    # Only relay 1 pinned in the balancer's file: relay 2 goes.
    only1 = dict(d.vars, VIRTIOFWD_CPU_PINS="--virtio-cpu=1:1,1")
    conf = sockdir / "only1.conf"
    conf.write_text(config_text(only1))
    r = subprocess.run([CTL, "--config", str(conf), "balance", "--once", "--keep-pins"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "relay 2: VF to VM on CPU" in r.stdout, r.stdout
    assert cpus(d, 1) == (1, 1)
    assert cpus(d, 2)[1] == 2, (cpus(d, 2), r.stdout)
    assert cpus(d, 3) == idle


def test_balance_service_loop(reg, sockdir):
    """The service form: rounds every --interval; it waits for a daemon
    that is not there yet, saying so once, balances once it comes, and
    stops cleanly on SIGTERM."""
    d = reg.add(two_workers(sockdir))
    conf = d.conf
    d.stop()
    bal = reg.add(Proc([CTL, "--config", conf, "--timeout=2000", "balance", "--interval=0.5",
                        "--log-level=7"]))
    bal.close = lambda: bal.stop()
    wait_for(lambda: "trying again every round" in bal.err, timeout=10,
             what="the balancer noticing the daemon is away")
    time.sleep(1.5)
    assert bal.err.count("trying again") == 1, bal.err
    d.start()
    wait_for(lambda: "the daemon answers again" in bal.out, timeout=10,
             what="the balancer reaching the daemon\n" + bal.out + bal.err)
    guests_sending(reg, d, [1, 2])
    wait_for(lambda: sorted([cpus(d, 1)[1], cpus(d, 2)[1]]) == [1, 2], timeout=15,
             what="the balancer spreading the relays\n" + bal.out)
    assert "moved 1 relay" in bal.out, bal.out
    bal.signal(sigmod.SIGTERM)
    assert bal.wait(timeout=10) == 0, bal.output()
    assert "stopped" in bal.out


@pytest.mark.parametrize("args,words", [
    (["--sensitivity=11"], ["--sensitivity=11", "0 to 10"]),
    (["--sensitivity=x"], ["--sensitivity=x"]),
    (["--interval=0"], ["--interval=0", "0.1 to 3600"]),
    (["--log-level=8"], ["--log-level", "8"]),
    (["extra"], ["unexpected argument", "extra"]),
])
def test_balance_usage(tmp_path, args, words):
    conf = tmp_path / "empty.conf"
    conf.write_text("# nothing: the defaults\n")
    p = subprocess.run([CTL, "--config", str(conf), "balance"] + args, capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2, p.stdout + p.stderr
    assert len(p.stderr.splitlines()) == 1, p.stderr
    for w in words:
        assert w in p.stderr, p.stderr


def test_balance_without_core_sched(reg, sockdir):
    """A daemon that does not serve core scheduling: one clear line, exit 1."""
    d = reg.add(two_workers(sockdir, VIO4WD_CORE_SCHED_ENABLE="false"))
    r = balance(d, "--once", "--timeout=500")
    assert r.returncode == 1, r.stdout + r.stderr
    assert len(r.stderr.splitlines()) == 1, r.stderr
    assert "VIO4WD_CORE_SCHED_ENABLE=true" in r.stderr, r.stderr


def test_balance_bad_config(tmp_path):
    """A configuration file the balancer cannot use: exit 2, which the
    systemd unit does not restart on."""
    conf = tmp_path / "bad.conf"
    conf.write_text("VIO4WD_CORE_SCHED_SENSITIVITY=lots\n")
    p = subprocess.run([CTL, "--config", str(conf), "balance", "--once"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "VIO4WD_CORE_SCHED_SENSITIVITY" in p.stderr, p.stderr
