# SPDX-License-Identifier: BSD-3-Clause
"""VF port profiles (issue 22) from every source, against the real daemon.

This machine has no SR-IOV NIC: the stand-in VF is an af_packet port on a
veth whose PF is not in the kernel, so the daemon takes the path of a VF
passed through to a guest: the MAC through the device's own driver (the
veth's MAC changes, which 'ip link' shows), every other setting reported
as needing the PF.  The PF path (rtnetlink) is tested on QEMU's emulated
igb in test_realvf.py, and against recorded netlink exchanges in
tests/unit/test_vfport.c.

Covered: a profile from the configuration file, from ZeroMQ port control
(vfwdctl add --vf-profile, vfwdctl profile), and from OVSDB
(external_ids:attached-mac and virtio_forwarder_<setting>); mac=learn from
the guest's first frames, and again when a second front end takes over
the socket; bad input from each source refused with what is allowed, and
nothing changed.
"""

import re
import subprocess
import time

import pytest

import harness
from harness import Daemon, Pmd, VethNs, relay_up, run_daemon_expect_error, wait_for
from test_ovsdb import OvsdbServer, ovs_daemon, port_args
from test_protocol import pb  # noqa: F401 (the fixture: message classes)

GUEST_MAC = "02:aa:bb:cc:00:01"
GUEST_MAC2 = "02:aa:bb:cc:00:02"


def link_mac(ifname):
    out = harness.sh("ip", "-o", "link", "show", ifname).stdout
    return re.search(r"link/ether ([0-9a-f:]{17})", out).group(1)


def ctl(d, *args):
    return subprocess.run([harness.CTL, "--config", d.conf] + list(args),
                          capture_output=True, text=True, timeout=30)


def relay_json(d, relay):
    import json
    p = ctl(d, "stats", "--json", "-r", str(relay))
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)["relay"][0]


def af_packet(veth, idx=0):
    return "net_af_packet%d,iface=%s" % (idx, veth.host)


def guest(d, relay, mac, extra=()):
    """A DPDK virtio-user "guest" with MAC 'mac' on relay 'relay'."""
    return Pmd(["net_virtio_user0,path=%s,mac=%s" % (d.socket(relay), mac)], extra=extra)


def guest_sends(tp, bursts=2):
    """The guest sends 'bursts' bursts of 32 frames of 64 bytes (testpmd's
    tx_first: its own MAC as the source), then only receives."""
    tp.cmd("set fwd rxonly")
    tp.cmd("start tx_first %d" % bursts)
    time.sleep(0.3)
    tp.cmd("stop")


# ----------------------------------------------------------------------
# Configuration file
# ----------------------------------------------------------------------

def test_config_profile_applied_on_attach(reg, sockdir):
    """VIRTIOFWD_VF_PROFILES: the profile is applied when the relay's
    device attaches; what a VF without a PF here cannot have is said, in
    the log and in stats; the relay stays attached."""
    veth = reg.add(VethNs())
    before = link_mac(veth.host)
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VF_PROFILES": [
        "3:mac=%s,vlan=100,qos=2,spoofchk=on" % GUEST_MAC, "4:mac=learn"]}))
    p = ctl(d, "add", "--virtio-id=3", "--device=" + af_packet(veth))
    assert p.returncode == 0, p.stderr
    assert link_mac(veth.host) == GUEST_MAC != before
    rs = relay_json(d, 3)
    assert rs["vf_profile"] == "mac=%s,vlan=100,qos=2,spoofchk=on" % GUEST_MAC
    assert "mac %s set through its driver (no PF in this host)" % GUEST_MAC \
        in rs["vf_profile_status"], rs
    assert "need the VF's PF in this host's kernel" in rs["vf_profile_status"], rs
    assert "its PF is not in this host's kernel: only the MAC of the profile" in d.proc.err
    assert relay_json(d, 4)["vf_profile"] == "mac=learn"
    # The table view says it too.
    out = ctl(d, "stats", "-r", "3").stdout
    assert "  vf profile mac=%s,vlan=100,qos=2,spoofchk=on\n" % GUEST_MAC in out, out


@pytest.mark.parametrize("value, words", [
    ("3:mac=01:00:5e:00:00:01", "must be a unicast MAC address"),
    ("3:mac=52:54:00:12:34", "must be a unicast MAC address"),
    ("3:vlan=4095", "vlan=4095: must be a VLAN id 1-4094, or 0 for none"),
    ("3:qos=3", "qos=3: a priority needs a VLAN"),
    ("3:colour=blue", "unknown setting 'colour' (allowed: mac, vlan, qos, spoofchk, "
     "trust, max_tx_rate, min_tx_rate)"),
    ("3:trust=maybe", "trust=maybe: must be on or off"),
    ("3:max_tx_rate=100,min_tx_rate=200", "min_tx_rate=200: more than max_tx_rate=100"),
    ("64:mac=learn", "relay 64: must be a relay id 0-63"),
    ("mac=learn", "must be RELAY:PROFILE, e.g. 3:mac=52:54:00:12:34:56,vlan=100"),
    ("mac=52:54:00:12:34:56", "relay mac=52: must be a relay id 0-63"),
])
def test_config_profile_refused(sockdir, value, words):
    rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_VF_PROFILES": [value]})
    assert rc == 2, err
    assert "VIRTIOFWD_VF_PROFILES" in err and words in err, err


# ----------------------------------------------------------------------
# ZeroMQ port control and vfwdctl
# ----------------------------------------------------------------------

def test_zmq_profile(reg, sockdir):
    """vfwdctl add --vf-profile sets the relay's profile with the device;
    vfwdctl profile changes it on the attached device and clears it; an
    add without a profile (a 1.x client) keeps the relay's."""
    veth = reg.add(VethNs())
    d = reg.add(Daemon(sockdir))
    p = ctl(d, "add", "--virtio-id=5", "--device=" + af_packet(veth),
            "--vf-profile=mac=%s,trust=on" % GUEST_MAC)
    assert p.returncode == 0, p.stderr
    assert link_mac(veth.host) == GUEST_MAC
    assert relay_json(d, 5)["vf_profile"] == "mac=%s,trust=on" % GUEST_MAC
    p = ctl(d, "profile", "--virtio-id=5", "--vf-profile=mac=" + GUEST_MAC2)
    assert (p.returncode, p.stdout) == (
        0, "relay 5: VF port profile mac=%s (see stats for what the PF took)\n" % GUEST_MAC2)
    assert link_mac(veth.host) == GUEST_MAC2
    # A conditional add of what is there, without a profile: kept.
    p = ctl(d, "add", "--virtio-id=5", "--device=" + af_packet(veth))
    assert p.returncode == 0, p.stderr
    assert relay_json(d, 5)["vf_profile"] == "mac=" + GUEST_MAC2
    p = ctl(d, "profile", "--virtio-id=5")
    assert p.returncode == 0 and "profile cleared" in p.stdout, p.stdout
    assert "vf_profile" not in relay_json(d, 5)
    # Detach and attach again: the profile is the relay's, not the device's.
    ctl(d, "profile", "--virtio-id=5", "--vf-profile=mac=" + GUEST_MAC)
    assert ctl(d, "remove", "--device=" + af_packet(veth)).returncode == 0
    harness.sh("ip", "link", "set", veth.host, "address", "02:00:00:00:00:99")
    assert ctl(d, "add", "--virtio-id=5", "--device=" + af_packet(veth)).returncode == 0
    assert link_mac(veth.host) == GUEST_MAC


def test_zmq_profile_refused(reg, sockdir, pb):
    """Bad profiles: vfwdctl refuses them itself (the daemon's parser),
    and the daemon refuses them from a client that does not check, with
    the setting and what is allowed; nothing changes."""
    import zmq
    veth = reg.add(VethNs())
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VF_PROFILES": ["6:mac=" + GUEST_MAC]}))
    assert ctl(d, "add", "--virtio-id=6", "--device=" + af_packet(veth)).returncode == 0
    for bad, words in (("vlan=9999", "vlan=9999: must be a VLAN id 1-4094"),
                       ("mac=zz:zz", "must be a unicast MAC address"),
                       ("speed=fast", "unknown setting 'speed'")):
        p = ctl(d, "profile", "--virtio-id=6", "--vf-profile=" + bad)
        assert p.returncode == 2 and words in p.stderr, p.stderr
    # Past vfwdctl: a raw PortControlRequest.
    pb = pb.new
    ctx = zmq.Context()
    s = ctx.socket(zmq.REQ)
    s.setsockopt(zmq.RCVTIMEO, 10000)
    s.connect(d.vars["VIRTIOFWD_ZMQ_PORT_CONTROL_EP"])
    try:
        for fields, words in (({"vlan": 5000}, "vf_profile: vlan=5000: must be a VLAN id"),
                              ({"qos": 5}, "vf_profile: qos=5: a priority needs a VLAN"),
                              ({"mac": "ff:ff:ff:ff:ff:ff"}, "vf_profile: mac=ff:ff:ff:ff:ff:ff")):
            q = pb.PortControlRequest(op=pb.PortControlRequest.SET_PROFILE, virtio_id=6)
            for k, v in fields.items():
                setattr(q.vf_profile, k, v)
            s.send(q.SerializeToString())
            r = pb.PortControlResponse.FromString(s.recv())
            assert r.status == pb.PortControlResponse.ERROR and r.error_code == -22, r
            assert words in r.error_code_source, r
    finally:
        s.close(linger=0)
        ctx.term()
    assert relay_json(d, 6)["vf_profile"] == "mac=" + GUEST_MAC
    assert link_mac(veth.host) == GUEST_MAC


# ----------------------------------------------------------------------
# mac=learn
# ----------------------------------------------------------------------

def test_learn_mac_from_guest(reg, sockdir):
    """mac=learn: the guest's MAC is taken from its first frames and set
    on the VF; a second front end taking over the socket with another MAC
    is learned within a second of its first frames."""
    veth = reg.add(VethNs())
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VF_PROFILES": ["7:mac=learn"]}))
    assert ctl(d, "add", "--virtio-id=7", "--device=" + af_packet(veth)).returncode == 0
    start = link_mac(veth.host)
    tp = reg.add(guest(d, 7, GUEST_MAC))
    wait_for(lambda: relay_up(d, 7), what="guest on relay 7")
    assert link_mac(veth.host) == start          # nothing sent yet
    guest_sends(tp)
    wait_for(lambda: link_mac(veth.host) == GUEST_MAC, timeout=5, what="learned MAC set")
    assert relay_json(d, 7)["vf_learned_mac"] == GUEST_MAC
    assert "relay 7: the guest's MAC is %s (learned from its frames): setting it on " \
        "the VF" % GUEST_MAC in d.proc.err
    tp.close()

    # Another front end (a migrated guest, a new VM) on the same socket.
    tp2 = reg.add(guest(d, 7, GUEST_MAC2))
    wait_for(lambda: relay_up(d, 7), what="second guest on relay 7")
    guest_sends(tp2)
    wait_for(lambda: link_mac(veth.host) == GUEST_MAC2, timeout=1.5,
             what="new MAC learned within a second")
    assert relay_json(d, 7)["vf_learned_mac"] == GUEST_MAC2


def peer_rx(veth):
    """Packets the namespace's end of the stand-in's wire received."""
    out = veth.ns_exec("cat", "/sys/class/net/%s/statistics/rx_packets" % veth.peer).stdout
    return int(out)


def test_spoof_check_in_the_relay(reg, sockdir):
    """spoofchk=on with an explicit MAC: the relay itself drops the guest's
    frames with another source MAC, and counts them as spoofed, whatever
    the PF enforces (here there is none); frames with the profile's MAC
    pass.  With spoofchk=off, or mac=learn, nothing is dropped."""
    veth = reg.add(VethNs())
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_VF_PROFILES": [
        "9:mac=%s,spoofchk=on" % GUEST_MAC]}))
    assert ctl(d, "add", "--virtio-id=9", "--device=" + af_packet(veth)).returncode == 0
    forger = reg.add(guest(d, 9, GUEST_MAC2))
    wait_for(lambda: relay_up(d, 9), what="guest on relay 9")
    rx0 = peer_rx(veth)
    guest_sends(forger, bursts=2)
    st = wait_for(lambda: (lambda r: r if r["vm_to_vf"].get("pkts_dropped_spoofed") == 64
                           else None)(relay_json(d, 9)), timeout=10, what="64 spoofed")
    v = st["vm_to_vf"]
    assert v["pkts_rx_from_vm"] == 64 and v["pkts_tx_to_vf"] == 0, v
    assert v["bytes_dropped_spoofed"] == 64 * 64, v
    assert peer_rx(veth) == rx0
    out = ctl(d, "stats", "-r", "9").stdout
    assert re.search(r"VM to VF +dropped: .* spoofed 64\n", out), out
    forger.close()

    honest = reg.add(guest(d, 9, GUEST_MAC))
    wait_for(lambda: relay_up(d, 9), what="second guest on relay 9")
    guest_sends(honest, bursts=1)
    wait_for(lambda: relay_json(d, 9)["vm_to_vf"]["pkts_tx_to_vf"] == 32, what="32 sent")
    assert relay_json(d, 9)["vm_to_vf"]["pkts_dropped_spoofed"] == 64
    wait_for(lambda: peer_rx(veth) >= rx0 + 32, what="32 on the wire")

    # Off: the forger's frames go through.
    assert ctl(d, "profile", "--virtio-id=9",
               "--vf-profile=mac=%s,spoofchk=off" % GUEST_MAC).returncode == 0
    honest.close()
    forger = reg.add(guest(d, 9, GUEST_MAC2))
    wait_for(lambda: relay_up(d, 9), what="third guest on relay 9")
    guest_sends(forger, bursts=1)
    wait_for(lambda: relay_json(d, 9)["vm_to_vf"]["pkts_tx_to_vf"] == 64, what="64 sent")
    assert relay_json(d, 9)["vm_to_vf"]["pkts_dropped_spoofed"] == 64


# ----------------------------------------------------------------------
# OVSDB
# ----------------------------------------------------------------------

def test_ovsdb_profile(reg, sockdir):
    """external_ids:attached-mac (what Nova and os-vif write) programs the
    VF's MAC; virtio_forwarder_<setting> keys add the rest; a change of
    the row changes the profile; a bad key is logged and changes nothing."""
    veth = reg.add(VethNs())
    srv = reg.add(OvsdbServer(sockdir)).start()
    srv.vsctl("init")
    srv.vsctl("add-br", "br0")
    d = ovs_daemon(reg, sockdir, srv)
    wait_for(lambda: "ovsdb: 1 interfaces in the table" in d.proc.err, what="first sync")
    srv.vsctl(*port_args("p8", 8, af_packet(veth)))
    srv.vsctl("set", "interface", "p8", 'external_ids:attached-mac="%s"' % GUEST_MAC,
              'external_ids:virtio_forwarder_trust="on"')
    wait_for(lambda: link_mac(veth.host) == GUEST_MAC, what="attached-mac set")
    wait_for(lambda: relay_json(d, 8).get("vf_profile") == "mac=%s,trust=on" % GUEST_MAC,
             what="profile in stats")
    srv.vsctl("set", "interface", "p8", 'external_ids:attached-mac="%s"' % GUEST_MAC2)
    wait_for(lambda: link_mac(veth.host) == GUEST_MAC2, what="new attached-mac set")
    # The line comes through the daemon's stderr pipe, which may lag the
    # link's change under load: waited for, not looked for once.
    wait_for(lambda: "ovsdb: relay 8: VF port profile of %s (interface p8): mac=%s,trust=on" % (
        af_packet(veth), GUEST_MAC2) in d.proc.err, what="the new profile logged")

    mark = len(d.proc.err)
    srv.vsctl("set", "interface", "p8", 'external_ids:virtio_forwarder_vlan="5000"')
    wait_for(lambda: "vlan=5000: must be a VLAN id 1-4094" in d.proc.err[mark:],
             what="bad key logged")
    assert "the relay keeps its profile" in d.proc.err[mark:]
    srv.vsctl("remove", "interface", "p8", "external_ids", "virtio_forwarder_vlan")
    srv.vsctl("set", "interface", "p8", 'external_ids:virtio_forwarder_colour="blue"')
    wait_for(lambda: "unknown setting 'colour'" in d.proc.err[mark:], what="unknown key")
    assert relay_json(d, 8)["vf_profile"] == "mac=%s,trust=on" % GUEST_MAC2
    assert link_mac(veth.host) == GUEST_MAC2
    assert relay_json(d, 8)["vf"]["pci_addr_str"] == af_packet(veth)
