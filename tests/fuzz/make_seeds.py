#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora of the fuzz targets (tests/fuzz/corpus/) and
their dictionaries (tests/fuzz/dict/).  Run again after a protocol or
format change; the files are committed, so the fuzzers start from valid
inputs of every kind without this script.

    tests/fuzz/make_seeds.py
"""

import importlib.util
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def proto_module():
    out = tempfile.mkdtemp()
    proto = os.path.join(REPO, "proto", "virtioforwarder.proto")
    subprocess.run(["protoc", "--python_out=" + out, "-I", os.path.dirname(proto), proto],
                   check=True)
    spec = importlib.util.spec_from_file_location(
        "vfwd_pb2", os.path.join(out, "virtioforwarder_pb2.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def config_seeds():
    with open(os.path.join(REPO, "packaging", "virtioforwarder")) as f:
        write("config_file", "shipped", f.read())
    write("config_file", "arrays",
          'VIRTIOFWD_CPU_MASK=0x6\nVIRTIOFWD_STATIC_VFS=("0000:05:08.1=1" "net_null0=2")\n'
          'VIRTIOFWD_CPU_PINS=("1:2,3" "4:1")\nVIRTIOFWD_EAL_ARGS="--no-huge -m 512"\n'
          'VIRTIOFWD_BIND_VFIO_PCI=("0000:05:08.1" "eth4:2")\n')
    write("config_file", "quoting",
          "# comment\nexport VIRTIOFWD_LOG_LEVEL='7'\nVIRTIOFWD_SOCKET_DIR=\"/run/vfwd\" # x\n"
          "VIRTIOFWD_OVSDB_SOCK_PATH=tcp:127.0.0.1:6640\nVIRTIOFWD_POLL_MODE=adaptive\n"
          "VIRTIOFWD_DYNAMIC_SOCKETS=true\nVIRTIOFWD_VHOST_CLIENT=1\n")
    args = [
        ["--help"],
        ["-c", "1,2", "-l", "7", "-d", "-C"],
        ["--cpus=0x3", "--add-pci-vf", "0000:05:08.1=1", "--virtio-cpu", "1:1,2"],
        ["-Z", "ipc:///tmp/pc", "-S", "tcp://127.0.0.1:5555", "--nodaemon=log_syslog"],
        ["-O", "unix:/run/openvswitch/db.sock", "-p", "/run/vfwd.pid", "--version"],
    ]
    for i, a in enumerate(args):
        write("config_args", "args%d" % i, "\0".join(a))


def ipc_seeds():
    write("ipc", "add_del", "add_port 0000:05:08.1 3\ndel_port 0000:05:08.1\n")
    write("ipc", "devargs", "# devargs\nadd_port net_null0,size=64 7\n\nadd_port net_tap0,iface=t0\n"
          "del_port net_null0,size=64\r\n")
    write("ipc", "errors", "add_port eth0 99\ndel_port\nfrobnicate x\nadd_port lo 1\n\tadd_port "
          "0000:00:1f.7 63 extra words\n")


def ovsdb_seeds():
    reply = (b'{"id":1,"result":{"Interface":{'
             b'"0a1b2c3d-0000-0000-0000-000000000001":{"new":{"name":"p0",'
             b'"external_ids":["map",[["virtio_forwarder","3"],'
             b'["virtio_forwarder_device","net_null0"],["iface-id","port-a"]]]}},'
             b'"0a1b2c3d-0000-0000-0000-000000000002":{"new":{"name":"eth1",'
             b'"external_ids":["map",[["virtio_forwarder","4"]]]}}}},"error":null}')
    update = (b'{"id":null,"method":"update","params":[null,{"Interface":{'
              b'"0a1b2c3d-0000-0000-0000-000000000001":{"old":{},"new":{"name":"p0",'
              b'"external_ids":["map",[["virtio_forwarder","5"],'
              b'["virtio_forwarder_device","net_null1"],'
              b'["attached-mac","52:54:00:12:34:56"],["virtio_forwarder_vlan","100"],'
              b'["virtio_forwarder_mac","learn"],["virtio_forwarder_trust","on"]]]}},'
              b'"0a1b2c3d-0000-0000-0000-000000000003":{"new":{"name":"p\\u0032",'
              b'"external_ids":["map",[["virtio_forwarder","3"],'
              b'["virtio_forwarder_device","0000:00:02.0"]]]}}}}]}')
    delete = (b'{"id":null,"method":"update","params":[null,{"Interface":{'
              b'"0a1b2c3d-0000-0000-0000-000000000001":{"old":{"name":"p0"}}}}]}')
    echo = b'{"id":"echo","method":"echo","params":[]}'
    refused = b'{"id":1,"result":null,"error":{"error":"unknown database"}}'
    # First byte: how the stream is cut (below 64: 1-16 byte pieces).
    write("ovsdb", "sync_small_pieces", b"\x07" + reply + b"\n" + update + echo + delete)
    write("ovsdb", "sync_middle_pieces", b"\x55" + reply + update + echo + delete)
    write("ovsdb", "sync_large_pieces", b"\xc1" + reply + update + b"  " + delete)
    write("ovsdb", "echo_first", b"\x02" + echo + reply)
    write("ovsdb", "refused", b"\x90" + refused)


def zmq_seeds():
    pb = proto_module()
    Req = pb.PortControlRequest
    reqs = []
    r = Req(op=Req.ADD, virtio_id=5)
    a = r.pci_addrs.add()
    a.domain, a.bus, a.slot, a.function = 0, 5, 8, 1
    reqs.append(("add_pci", r))
    reqs.append(("add_devargs", Req(op=Req.ADD, virtio_id=6, device=["net_null3"])))
    reqs.append(("add_bond", Req(op=Req.ADD, virtio_id=7, name="net_bonding1", mode=4,
                                 device=["net_null4", "net_null5"])))
    reqs.append(("remove", Req(op=Req.REMOVE, device=["0000:00:01.0"], conditional=False)))
    reqs.append(("remove_bond", Req(op=Req.REMOVE, name="net_bonding0")))
    reqs.append(("add_sock", Req(op=Req.ADD_SOCK, vhost_path="/tmp/vm9.sock",
                                 device=["net_null9"])))
    # The model's vhost library finds a file in the way of a socket named busy*.
    reqs.append(("add_sock_busy", Req(op=Req.ADD_SOCK, vhost_path="/tmp/busy.sock",
                                      device=["net_null10"])))
    reqs.append(("remove_sock", Req(op=Req.REMOVE_SOCK, vhost_path="/tmp/vm1.sock")))
    reqs.append(("query", Req(op=Req.QUERY_PCI, vhost_path="/tmp/vm0.sock")))
    # VF port profiles: with a device, and alone.
    r = Req(op=Req.ADD, virtio_id=8, device=["net_null8"])
    r.vf_profile.mac = "52:54:00:12:34:56"
    r.vf_profile.vlan, r.vf_profile.qos, r.vf_profile.spoofchk = 100, 3, True
    reqs.append(("add_profile", r))
    r = Req(op=Req.SET_PROFILE, virtio_id=8)
    r.vf_profile.mac = "learn"
    r.vf_profile.trust, r.vf_profile.max_tx_rate, r.vf_profile.min_tx_rate = False, 1000, 10
    reqs.append(("set_profile", r))
    reqs.append(("clear_profile", Req(op=Req.SET_PROFILE, virtio_id=8)))
    for name, m in reqs:
        write("zmq_port_control", name, m.SerializeToString())
    write("zmq_port_control", "add_then_remove",
          reqs[1][1].SerializeToString() + b"#SEP" +
          Req(op=Req.REMOVE, device=["net_null3"]).SerializeToString())
    write("zmq_stats", "all", pb.StatsRequest().SerializeToString())
    write("zmq_stats", "some", pb.StatsRequest(relay=[0, 1, 63], include_inactive=False,
                                               delay=500, include_queues=True).SerializeToString())
    write("zmq_config", "empty", pb.ConfigRequest().SerializeToString())
    C = pb.CoreSchedRequest
    write("zmq_core_sched", "get", C(op=C.GET_EAL_CORES).SerializeToString())
    u = C(op=C.UPDATE)
    m = u.relay_cpu_map.add()
    m.relay_number, m.vf2virtio_cpu, m.virtio2vf_cpu = 0, 1, 3
    write("zmq_core_sched", "update", u.SerializeToString())


def dicts():
    """Dictionaries: the words each parser looks for."""
    d = os.path.join(HERE, "dict")
    os.makedirs(d, exist_ok=True)
    import re
    with open(os.path.join(REPO, "src", "config.c")) as f:
        names = sorted(set(re.findall(r'"((?:VIRTIOFWD|VIO4WD)_[A-Z_0-9]+)"', f.read())))
    words = names + ["=", "=(", ")", '"', "'", "#", "\n", "export ", "true", "false",
                     "0x", ",", ":", "-", "%u", "ipc://", "tcp://", "unix:", "tcp:",
                     "net_null0", "0000:05:08.1", "log_syslog", "adaptive", "busy"]
    with open(os.path.join(d, "config_file.dict"), "w") as f:
        f.write("# Words of the configuration file (make_seeds.py)\n")
        for i, w in enumerate(words):
            f.write('w%d="%s"\n' % (i, w.replace("\\", "\\\\").replace('"', '\\"')
                                       .replace("\n", "\\x0a")))
    out = subprocess.run([os.path.join(REPO, "build", "src", "virtio-forwarder"), "--help"],
                         capture_output=True, text=True).stdout
    opts = sorted(set(re.findall(r"(--[a-z][a-z0-9-]*)", out)))
    opts += sorted(set(re.findall(r"^\s*(-[a-zA-Z])\b", out, re.M)))
    with open(os.path.join(d, "config_args.dict"), "w") as f:
        f.write("# Options of the command line (make_seeds.py)\n")
        for i, w in enumerate(opts + ["\\x00", "=", "0x3", "1,2", "0000:05:08.1=1"]):
            f.write('w%d="%s"\n' % (i, w))
    with open(os.path.join(d, "ipc.dict"), "w") as f:
        f.write("# Words of IPC command files\n")
        for i, w in enumerate(["add_port ", "del_port ", "\\x0a", "#", " ", "\\x09", "\\x0d",
                               "net_null", "net_tap0,iface=", ",", "0000:", ":00.", "eth0",
                               "lo", "63", "64"]):
            f.write('w%d="%s"\n' % (i, w))
    with open(os.path.join(d, "ovsdb.dict"), "w") as f:
        f.write("# Tokens of the OVSDB JSON-RPC stream\n")
        for i, w in enumerate(['{', '}', '[', ']', ':', ',', '\\"', '\\\\', '\\\\u00',
                               'null', 'true', 'false', '\\"id\\"', '\\"method\\"',
                               '\\"params\\"', '\\"result\\"', '\\"error\\"',
                               '\\"update\\"', '\\"echo\\"', '\\"Interface\\"',
                               '\\"new\\"', '\\"old\\"', '\\"name\\"',
                               '\\"external_ids\\"', '\\"map\\"',
                               '\\"virtio_forwarder\\"', '\\"virtio_forwarder_device\\"',
                               '\\"iface-id\\"', '1', '-1', '1e999']):
            f.write('w%d="%s"\n' % (i, w))
    with open(os.path.join(d, "zmq.dict"), "w") as f:
        f.write("# Pieces of protobuf requests, and the request separator\n")
        for i, w in enumerate(["#SEP", "net_bonding0", "net_null", "/tmp/vm0.sock",
                               "/tmp/vm1.sock", "0000:00:01.0", "0000:00:02.0",
                               "\\x08\\x00", "\\x08\\x01", "\\x08\\x02", "\\x08\\x03",
                               "\\x08\\x04", "\\x12", "\\x18", "\\x20\\x00",
                               "\\x2a", "\\x30", "\\x3a", "\\x42", "\\x0a",
                               "\\xff\\xff\\xff\\xff\\x0f", "/tmp/busy.sock"]):
            f.write('w%d="%s"\n' % (i, w))


def main():
    dicts()
    config_seeds()
    ipc_seeds()
    ovsdb_seeds()
    zmq_seeds()
    return 0


if __name__ == "__main__":
    sys.exit(main())
