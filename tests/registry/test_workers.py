"""`charter serve --workers 2`: two processes on one port, each answering from its own memory,
agree after writes made through the other (SQLite: at once, through the change mark of
`registry.changes`; PostgreSQL: once the change notice arrives, within the 1 s issue 10 sets).

Which worker answers a connection is read from Linux's /proc: the worker whose descriptors
hold the connection's socket."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cli.spawn import spawn_serve
from tests.registry.helpers import USER_V1

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="needs Linux /proc")

CONNECTIONS_MAX = 400  # fresh connections tried to reach a given worker
NOTICE_S = 1.0


def _socket_inode(server_port: int, client_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                local, remote = fields[1], fields[2]
                if (int(local.rsplit(":", 1)[1], 16) == server_port
                        and int(remote.rsplit(":", 1)[1], 16) == client_port):
                    return fields[9]
    return None


def _owner(pids: list[int], inode: str) -> int | None:
    target = f"socket:[{inode}]"
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in fds.iterdir():
            try:
                if os.readlink(fd) == target:
                    return pid
            except OSError:
                continue
    return None


def _workers(server_port: int) -> list[int]:
    """The pids of the processes that listen on the port (the workers, not their parent)."""
    inode = None
    with open("/proc/net/tcp") as lines:
        next(lines)
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == server_port and fields[3] == "0A":
                inode = fields[9]
    assert inode is not None
    target = f"socket:[{inode}]"
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(os.readlink(fd) == target for fd in (proc / "fd").iterdir()):
                found.append(int(proc.name))
        except OSError:
            continue
    return sorted(found)


class Worker:
    """Requests over fresh connections until one is answered by the worker asked for."""

    def __init__(self, port: int, pids: list[int]) -> None:
        self.port = port
        self.pids = pids

    def request(self, method: str, path: str, data: Any = None,
                worker: int | None = None) -> tuple[int, int, Any]:
        """(worker pid, status, JSON body)."""
        body = b"" if data is None else json.dumps(data).encode()
        head = (f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n")
        for _ in range(CONNECTIONS_MAX):
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                owner = None
                deadline = time.monotonic() + 5
                while owner is None and time.monotonic() < deadline:  # until it is accepted
                    inode = _socket_inode(self.port, sock.getsockname()[1])
                    owner = _owner(self.pids, inode) if inode not in (None, "0") else None
                if worker is not None and owner != worker:
                    continue
                sock.sendall(head.encode() + body)
                status, answer = _read(sock)
                assert owner is not None
                return owner, status, answer
        raise AssertionError(f"no connection reached worker {worker}")


def _read(sock: socket.socket) -> tuple[int, Any]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = next(int(v) for k, _, v in (line.partition(b":") for line in lines[1:])
                  if k.strip().lower() == b"content-length")
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(lines[0].split()[1]), json.loads(rest[:length])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Worker]]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    with spawn_serve(tmp_path / "data", database_url=url,
                     extra_args=["--workers", "2"]) as base:
        port = int(base.rsplit(":", 1)[1])
        deadline = time.monotonic() + 30
        pids = _workers(port)
        while len(pids) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
            pids = _workers(port)
        assert len(pids) == 2, pids
        yield request.param, Worker(port, pids)


def test_two_workers_on_one_port_agree_after_writes(workers: tuple[str, Worker]) -> None:
    database, server = workers
    one, two = server.pids
    seen = {server.request("GET", "/health")[0] for _ in range(40)}
    # Both answer the port (each must be reached, and soon: the kernel spreads connections).
    server.request("GET", "/subjects", worker=one)
    server.request("GET", "/subjects", worker=two)
    assert seen <= {one, two}

    register, lookup, schema = "/subjects/s/versions", "/subjects/s", {"schema": USER_V1}
    _, status, created = server.request("POST", register, schema, worker=one)
    assert status == 200
    # What Confluent's clients rely on right after registering: the id and the version
    # are there through every worker at once (misses are never kept).
    assert server.request("GET", f"/schemas/ids/{created['id']}", worker=two)[1] == 200
    for _ in range(3):  # the third from the second worker's memory
        _, status, found = server.request("POST", lookup, schema, worker=two)
        assert (status, found["version"]) == (200, 1)
        _, status, again = server.request("POST", register, schema, worker=two)
        assert (status, again["id"], again["version"]) == (200, created["id"], 1)

    assert server.request("DELETE", "/subjects/s/versions/1", worker=one)[1] == 200
    deadline = time.monotonic() + (0 if database == "sqlite" else NOTICE_S)
    while True:
        status = server.request("POST", lookup, schema, worker=two)[1]
        if status == 404 or time.monotonic() > deadline:
            break
    assert status == 404
    _, status, again = server.request("POST", register, schema, worker=two)
    assert (status, again["version"]) == (200, 2)  # a new version, not the remembered one
    assert server.request("GET", "/subjects/s/versions", worker=one)[2] == [2]

    assert server.request("PUT", "/mode/s", {"mode": "READONLY"}, worker=one)[1] == 200
    deadline = time.monotonic() + (0 if database == "sqlite" else NOTICE_S)
    while True:
        status = server.request("POST", register, schema, worker=two)[1]
        if status == 422 or time.monotonic() > deadline:
            break
    assert status == 422
