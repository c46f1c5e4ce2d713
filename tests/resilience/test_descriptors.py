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


def test_a_broker_out_of_descriptors_answers_503_and_leaks_nothing(tmp_path: Path) -> None:
    """With every descriptor taken by idle connections, creating a topic (which must open
    segment files) answers 503 with a Confluent-style body on a connection already open, logs
    one line, and leaves no half-made topic; once the connections go, the same call works and
    the server is back to its descriptors before."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, IDLE + 200), hard))
    try:
        # no connection cap and no timeouts in the way: the descriptors run out first
        args = ["--connections-max", "5000", "--header-timeout-s", "60", "--idle-timeout-s", "60"]
        with serve(tmp_path / "d", args, nofile=NOFILE) as served, httpx.Client(
            base_url=served.url, timeout=10
        ) as client:
            assert client.get("/broker/topics").status_code == 200  # the connection kept open
            before = served.open_fds()
            sockets = []
            for _ in range(IDLE):
                with contextlib.suppress(OSError):
                    sockets.append(socket.create_connection((*_host_port(served.url),), timeout=5))
            time.sleep(1)
            answers = [
                client.post("/broker/topics", json={"name": "late", "partitions": 4})
                for _ in range(20)
            ]
            listed = client.get("/broker/topics")
            for sock in sockets:
                sock.close()
            time.sleep(2)  # the server sees them close
            created = httpx.post(
                f"{served.url}/broker/topics", json={"name": "late", "partitions": 4}, timeout=10
            )
            after = served.open_fds()
            log = served.log_path.read_text()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    statuses = [a.status_code for a in answers]
    print(f"\nout of descriptors: {statuses.count(503)} of 20 creates got 503; fds {before} "
          f"before, {after} after; log {log.count('out of file descriptors')} lines")
    assert set(statuses) == {503}, [a.text for a in answers]
    assert answers[0].json()["error_code"] == 50302
    assert answers[0].json()["message"] == "The server is out of resources; retry later"
    assert answers[0].headers["retry-after"] == "1"
    assert listed.status_code in (200, 503) and "late" not in listed.text
    assert created.status_code == 201, created.text
    assert after <= before + 5  # nothing leaked (the pool may hold the new topic's files)
    assert "Traceback" not in log
    assert log.count("answering 503") == 1  # once per interval, not per request


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)
