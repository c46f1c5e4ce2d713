"""Under a 1,024-descriptor limit, 1,100 idle connections do not take the server down."""

from __future__ import annotations

import contextlib
import resource
import socket
import time
from pathlib import Path

import httpx

from tests.resilience.server import serve

NOFILE = 1024
IDLE = 1100


def test_1100_idle_connections_under_1024_descriptors(tmp_path: Path) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < IDLE + 200:
        raise AssertionError(f"the test itself needs {IDLE + 200} descriptors; hard limit {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, IDLE + 200), hard))
    try:
        with serve(
            tmp_path / "d", ["--header-timeout-s", "2", "--idle-timeout-s", "2"], nofile=NOFILE
        ) as served:
            host, port = served.url.removeprefix("http://").split(":")
            sockets = []
            for _ in range(IDLE):
                with contextlib.suppress(OSError):
                    sockets.append(socket.create_connection((host, int(port)), timeout=5))
            time.sleep(1)
            during = served.open_fds()
            # The idle connections time out (the server closes them) or their clients go.
            deadline = time.monotonic() + 60
            status = 0
            while time.monotonic() < deadline:
                with contextlib.suppress(httpx.TransportError):
                    status = httpx.get(f"{served.url}/health", timeout=2).status_code
                    if status == 200:
                        break
                time.sleep(0.5)
            recovered_s = 60 - (deadline - time.monotonic())
            for sock in sockets:
                sock.close()
            time.sleep(3)
            assert httpx.get(f"{served.url}/subjects", timeout=5).status_code == 200
            after = served.open_fds()
            log = served.log_path.read_text()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    print(
        f"\ndescriptors: {len(sockets)} idle connections opened; server fds {during} while "
        f"held, {after} after; /health 200 after {recovered_s:.1f} s; log {len(log)} bytes"
    )
    assert status == 200
    assert after < 100  # nothing leaked
    assert log.count("Traceback") == 0
    assert log.count("out of file descriptors") <= 2  # once per interval, not per attempt
