# SPDX-License-Identifier: BSD-3-Clause
"""Start-up: bad configuration is refused with a message naming the variable
or option, the value and what is allowed; good edge cases start."""

import os

import pytest

from harness import DAEMON, Daemon, run_daemon_expect_error

BAD = [
    ({"VIRTIOFWD_LOG_LEVEL": "9"}, (), ["VIRTIOFWD_LOG_LEVEL=9", "0 to 7"]),
    ({"VIRTIOFWD_CPU_MASK": "1", "VIRTIOFWD_MASTER_LCORE": "1"}, (),
     ["VIRTIOFWD_MASTER_LCORE", "worker"]),
    ({"VIRTIOFWD_CPU_PINS": "--virtio-cpu=3:0"}, (), ["relay 3", "CPU 0", "not a worker"]),
    ({"VIRTIOFWD_CPU_PINS": "--virtio-cpu=64:1"}, (), ["64"]),
    ({"VIRTIOFWD_STATIC_VFS": "0000:05:08.1=64"}, (), ["VIRTIOFWD_STATIC_VFS", "64"]),
    ({"VIRTIOFWD_STATIC_VFS": "0000:05:08.1"}, (), ["VIRTIOFWD_STATIC_VFS"]),
    ({"VIRTIOFWD_SOCKET_FNAME_PATTERN": "vf.sock"}, (),
     ["VIRTIOFWD_SOCKET_FNAME_PATTERN", "%u"]),
    ({"VIRTIOFWD_SOCKET_OWNER": "no-such-user-vfwd"}, (),
     ["VIRTIOFWD_SOCKET_OWNER=no-such-user-vfwd", "no such user"]),
    ({"VIRTIOFWD_SOCKET_GROUP": "no-such-group-vfwd"}, (),
     ["VIRTIOFWD_SOCKET_GROUP=no-such-group-vfwd", "no such group"]),
    ({"VIRTIOFWD_CPU_MASK": "1,97"}, (), ["VIRTIOFWD_CPU_MASK", "97", "not available"]),
    ({"VIRTIOFWD_CPU_MASK": "zero"}, (), ["VIRTIOFWD_CPU_MASK=zero"]),
    ({"VIRTIOFWD_BIND_VFIO_PCI": "ens3:0"}, (), ["VIRTIOFWD_BIND_VFIO_PCI=ens3:0",
                                                 "from 1 to 4096"]),
    ({"VIRTIOFWD_VFIO_VF_TOKEN": "1"}, (), ["VIRTIOFWD_VFIO_VF_TOKEN=1", "or 0 for"]),
    ({"VIRTIOFWD_EAL_ARGS": "", "VIRTIOFWD_HUGETLBFS_MOUNT_POINT": "/tmp"}, (),
     ["VIRTIOFWD_HUGETLBFS_MOUNT_POINT=/tmp", "hugetlbfs"]),
    ({}, ("--no-such-option",), ["no-such-option"]),
    ({}, ("--loglevel=12",), ["--loglevel=12", "0 to 7"]),
    ({}, ("stray",), ["stray"]),
]


@pytest.mark.parametrize("variables,args,words", BAD,
                         ids=["%d" % i for i in range(len(BAD))])
def test_bad_configuration_refused(tmp_path, variables, args, words):
    rc, err = run_daemon_expect_error(tmp_path, variables, args)
    assert rc != 0
    for w in words:
        assert w in err, "%r not in: %s" % (w, err)
    # Refused before anything was created.
    assert not any(n.endswith(".sock") for n in os.listdir(tmp_path))


def test_bad_eal_argument_explained(tmp_path):
    rc, err = run_daemon_expect_error(tmp_path, {"VIRTIOFWD_EAL_ARGS":
                                                 "--no-huge --definitely-not-eal"})
    assert rc != 0
    assert "VIRTIOFWD_EAL_ARGS" in err


def test_missing_config_file(tmp_path):
    import subprocess
    p = subprocess.run([DAEMON, "--config", str(tmp_path / "nope")],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert str(tmp_path / "nope") in p.stderr


def test_help_and_version():
    import subprocess
    p = subprocess.run([DAEMON, "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "--virtio-cpu" in p.stdout
    p = subprocess.run([DAEMON, "--version"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "virtio-forwarder" in p.stdout


def test_second_daemon_refused(reg, sockdir):
    reg.add(Daemon(sockdir))
    rc, err = run_daemon_expect_error(sockdir, {"VIRTIOFWD_PID_DIR": str(sockdir)})
    assert rc != 0 and "another virtio-forwarder is running" in err


def test_default_owner_missing_is_a_warning(reg, sockdir):
    """1.x aborted when libvirt-qemu did not exist; here a missing default
    owner or group is a warning and the sockets stay root's."""
    d = Daemon(sockdir, {})
    reg.add(d)
    d.stop()
    with open(d.conf) as f:
        text = "".join(l for l in f if "SOCKET_OWNER" not in l and "SOCKET_GROUP" not in l)
    with open(d.conf, "w") as f:
        f.write(text)
    d.start()
    assert d.proc.alive()
    if not _user_exists("libvirt-qemu"):
        assert "libvirt-qemu" in d.proc.err and "warning" in d.proc.err


def _user_exists(name):
    import pwd
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def test_static_device_that_fails_leaves_others(reg, sockdir):
    """A device that cannot be probed is logged; the daemon and the other
    relays keep working."""
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_STATIC_VFS": [
        "net_af_packet9,iface=no-such-if-vfwd=2",
        "net_vhost1,iface=%s/vf1.sock=1" % sockdir]}))
    assert "no-such-if-vfwd" in d.proc.err
    s = d.stats()
    assert 2 not in s
    assert s[1]["info"]["device"].startswith("net_vhost1")


def test_dynamic_sockets_creates_none(reg, sockdir):
    d = reg.add(Daemon(sockdir, {"VIRTIOFWD_DYNAMIC_SOCKETS": "true"}))
    assert not any(n.endswith(".sock") for n in os.listdir(sockdir))
    assert d.stop() == 0
