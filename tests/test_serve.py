"""``nianbao serve`` as a user starts it: processes sharing one port, replaced
when one dies, all stopped by one signal."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> set[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return {int(c) for c in f.read().split()}


def answered(url: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=30) as r:
                return json.loads(r.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_two_processes_share_the_port_a_dead_one_is_replaced_and_a_signal_stops_all(sample_index, tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}/search.json?q=" + urllib.parse.quote("政府信息")
    server = subprocess.Popen([sys.executable, "-m", "nianbao", "serve", "--index", str(sample_index), "--port", str(port), "--processes", "2"],
                              stderr=subprocess.PIPE, text=True, env={**os.environ, "TMPDIR": str(tmp_path)})  # fmt: skip
    try:
        assert answered(url)["total"] == 5
        first = children(server.pid)
        assert len(first) == 2
        with ThreadPoolExecutor(16) as pool:  # many at once, over both processes
            assert [r["total"] for r in pool.map(lambda _: answered(url), range(48))] == [5] * 48
        (shared,) = tmp_path.glob("nianbao-matches-*")  # where the processes share the query's matches
        assert list(shared.glob("*/*.npy"))

        os.kill(min(first), signal.SIGKILL)
        deadline = time.monotonic() + 30
        while len(now := children(server.pid)) < 2 or min(first) in now:
            assert time.monotonic() < deadline, now
            time.sleep(0.1)
        assert len(now & first) == 1  # the other went on
        assert answered(url)["total"] == 5

        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
        assert not shared.exists()
        for pid in now:
            assert not os.path.exists(f"/proc/{pid}") or "zombie" in open(f"/proc/{pid}/status").read().lower()
        assert "starting another" in server.stderr.read()
    finally:
        server.kill()
        server.wait()


def test_a_port_in_use_is_one_clear_line(sample_index):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "nianbao", "serve", "--index", str(sample_index), "--port", str(port)],
                              capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1].startswith(f"error: cannot listen on 127.0.0.1:{port}: ")
    assert "Traceback" not in done.stderr


def test_processes_that_fail_as_they_start_stop_the_server_with_an_error():
    # What fails one at once (a broken install, an index it cannot read) would fail the next.
    code = "from nianbao.cli import serve_forked\ndef run():\n    raise RuntimeError('cannot start')\nserve_forked(run, 2)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "RuntimeError: cannot start" in done.stderr
    assert done.stderr.strip().splitlines()[-1] == "error: a server process stopped as it started (exit 1); stopping"


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6_loopback(), reason="this machine has no IPv6 loopback to listen on")
def test_an_ipv6_host_is_listened_on(sample_index):
    with socket.socket(socket.AF_INET6) as s:
        s.bind(("::1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "nianbao", "serve", "--index", str(sample_index), "--host", "::1", "--port", str(port)],
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        assert answered(f"http://[::1]:{port}/search.json?q=")["total"] == 5
    finally:
        server.terminate()
        server.wait(timeout=30)
