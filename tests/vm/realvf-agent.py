# SPDX-License-Identifier: BSD-3-Clause
"""The test agent of the real-VF tests' L1 guest (tests/vm/init-realvf).

Runs chrooted in the host's own root (read-only, over 9p), on a virtio
serial port whose other end is a Unix socket of the host's test.  One JSON
object per line each way: the host sends {"id": N, "cmd": "shell command",
"timeout": seconds}, the agent runs the command with sh and answers
{"id": N, "rc": status, "out": "stdout and stderr"} (rc -1: timed out).
Commands run one at a time; a long-running process is started in the
background by the command itself (its output to a file, usually on the
read-write share, which the host reads directly).  Standard library only.
"""

import json
import os
import subprocess
import sys


def main():
    port = sys.argv[1]
    fd = os.open(port, os.O_RDWR)
    rf = os.fdopen(fd, "rb", buffering=0)
    wf = os.fdopen(os.dup(fd), "wb", buffering=0)
    wf.write(b'{"ready": true}\n')
    buf = b""
    while True:
        chunk = rf.read(65536)
        if not chunk:
            # The host side is not connected: the port reads end of file
            # until it is.
            import time
            time.sleep(0.1)
            continue
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            if not line.strip():
                continue
            req = json.loads(line)
            try:
                p = subprocess.run(["sh", "-c", req["cmd"]], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   timeout=req.get("timeout", 60))
                rc, out = p.returncode, p.stdout
            except subprocess.TimeoutExpired as e:
                rc, out = -1, e.stdout or b""
            reply = {"id": req["id"], "rc": rc, "out": out.decode(errors="replace")}
            wf.write(json.dumps(reply).encode() + b"\n")


if __name__ == "__main__":
    main()
