# SPDX-License-Identifier: BSD-3-Clause
import os
import shutil

import pytest

import harness


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "variant: a test run again on another QEMU or virtqueue layout "
        "(test_vm.py); the ASan pass leaves these out (-m 'not variant'), as the "
        "daemon's own code is the same on every layout")
    if not os.path.exists(harness.DAEMON):
        raise pytest.UsageError("daemon not built: %s (run meson/ninja first, "
                                "or set VFWD_BUILD)" % harness.DAEMON)
    if os.geteuid() != 0:
        raise pytest.UsageError("the integration tests need root (DPDK, netns)")
    if shutil.which(harness.TESTPMD) is None:
        raise pytest.UsageError("dpdk-testpmd not found (Debian package dpdk-dev)")


def _registry():
    r = harness.Registry()
    yield r
    errors = r.cleanup()
    if errors:
        pytest.fail("\n".join(errors))


@pytest.fixture
def reg():
    """Tracks what a test starts; ends all of it afterwards, pass or fail."""
    yield from _registry()


@pytest.fixture(scope="module")
def mreg():
    """The same for what a module's tests share (one daemon for many
    tests): ended after the module's last test."""
    yield from _registry()


@pytest.fixture
def sockdir(tmp_path):
    """A short directory for sockets (unix socket paths are limited)."""
    d = tmp_path / "s"
    d.mkdir()
    return d
