# SPDX-License-Identifier: BSD-3-Clause
"""The one client of DPDK's telemetry socket, for the integration tests
and the benchmarks.

Every DPDK process (the daemon, dpdk-testpmd) answers JSON commands such
as "/ethdev/stats,0" or "/eal/heap_list" on the SOCK_SEQPACKET socket
/var/run/dpdk/<file prefix>/dpdk_telemetry.v2: on connecting it sends a
greeting with the largest answer it will send (max_output_len), then one
answer per command, {"<command without its parameter>": value}.

It lives here, beside harness.py, because the integration tests are its
main users and import it as they import harness; the benchmarks (bench/)
already put this directory on sys.path to use harness, and do the same for
this module.  Standard library only: bench/pvp.sh and bench/cost.sh run it
with Debian's /usr/bin/python3 and nothing else.
"""

import json
import os
import socket
import time

# Where DPDK puts the run-time files of a file prefix.
RUN_DIR = "/var/run/dpdk"

# An answer no DPDK process of ours waits longer than this to give, in
# seconds: a process that does not answer is stuck, and saying so beats
# waiting for ever.
TIMEOUT = 10.0


def socket_path(prefix):
    """The telemetry socket of the DPDK process with EAL file prefix
    'prefix'."""
    return os.path.join(RUN_DIR, prefix, "dpdk_telemetry.v2")


class Telemetry:
    """One connection to a telemetry socket, for any number of commands
    (a benchmark asks for counters many times a second; a new connection
    for each would cost the process under measurement a thread wake-up
    more each time)."""

    def __init__(self, path, timeout=TIMEOUT):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.settimeout(timeout)
            self.sock.connect(path)
            greeting = json.loads(self.sock.recv(65536).decode())
        except BaseException:
            self.sock.close()
            raise
        # The process never sends more in one answer; one recv() of that
        # size takes a whole answer off the packet socket.
        self.maxlen = int(greeting.get("max_output_len", 16384))

    @classmethod
    def of(cls, prefix, timeout=TIMEOUT):
        """A connection to the process with EAL file prefix 'prefix'."""
        return cls(socket_path(prefix), timeout)

    def query(self, command):
        """The value of the answer to 'command' (e.g. "/eal/heap_info,0")."""
        self.sock.send(command.encode())
        answer = json.loads(self.sock.recv(self.maxlen).decode())
        return answer[command.split(",", 1)[0]]

    def port_stats(self, port):
        """The basic counters of ethdev port 'port' (ipackets, opackets...)."""
        return self.query("/ethdev/stats,%d" % port)

    def port_packets(self, nports):
        """(time, RX packets, TX packets) of ports 0 to nports - 1, summed;
        the time is the middle of the reads (time.monotonic())."""
        t0 = time.monotonic()
        st = [self.port_stats(p) for p in range(nports)]
        t1 = time.monotonic()
        return ((t0 + t1) / 2, sum(x["ipackets"] for x in st),
                sum(x["opackets"] for x in st))

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def query(prefix, command, timeout=TIMEOUT):
    """One command to the DPDK process with EAL file prefix 'prefix', on a
    connection of its own; returns the answer's value."""
    with Telemetry.of(prefix, timeout) as t:
        return t.query(command)
