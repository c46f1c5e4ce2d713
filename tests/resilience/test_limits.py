"""Bodies are refused before they are read whole; slow and idle connections are closed."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time

import httpx
import pytest

from tests.resilience.server import Served, serve

BIG_BYTES = 95 * 1024 * 1024
CHUNK = b"x" * (1024 * 1024)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    with serve(
        tmp_path_factory.mktemp("limits"), ["--header-timeout-s", "1", "--body-timeout-s", "1"]
    ) as s:
        yield s


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=30)


def _send_body(sock: socket.socket, head: bytes, chunks: int, chunked: bool) -> None:
    """Send `head`, then up to `chunks` MiB of body, until the server stops reading."""
    try:
        sock.sendall(head)
        for _ in range(chunks):
            if chunked:
                sock.sendall(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
            else:
                sock.sendall(CHUNK)
    except OSError:
        pass  # the server answered and closed: exactly what is expected


def _answer(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while b"\r\n\r\n" not in data:
        got = sock.recv(65536)
        assert got, data
        data += got
    head, _, rest = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    while len(rest) < length:
        got = sock.recv(65536)
        assert got
        rest += got
    return status, json.loads(rest[:length])


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize(
    "path", ["/broker/groups/g/members", "/subjects/s/versions", "/broker/topics/t/records"]
)
def test_a_95_mb_body_is_refused_without_being_read(
    served: Served, path: str, chunked: bool
) -> None:
    before = served.rss_kib()
    framing = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % BIG_BYTES
    head = b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n%s\r\n\r\n" % (
        path.encode(),
        framing,
    )
    with _connect(served.url) as sock:
        sender = threading.Thread(target=_send_body, args=(sock, head, 95, chunked))
        sender.start()
        status, body = _answer(sock)
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sender.join()
    grown_kib = served.rss_kib() - before
    print(
        f"\n95 MB body to {path} ({'chunked' if chunked else 'sized'}): "
        f"{status}, resident memory grew {grown_kib} KiB"
    )
    assert status == 413
    assert body["error_code"] == 41301  # registry.errors.RequestTooLarge, on every route
    assert grown_kib < 40 * 1024  # far below the 95 MB sent: the body was never held whole
    assert httpx.get(f"{served.url}/health").status_code == 200


def test_a_half_sent_request_line_is_closed(served: Served) -> None:
    with _connect(served.url) as sock:
        sock.sendall(b"GET /subjects HTTP/1.1\r\nHost: x\r\n")  # headers never finish
        began = time.monotonic()
        assert sock.recv(1024) == b""  # closed by the server
        assert time.monotonic() - began < 20


def test_an_idle_connection_that_never_sends_is_closed(served: Served) -> None:
    with _connect(served.url) as sock:
        assert sock.recv(1024) == b""


def test_a_body_that_stops_arriving_gets_408(served: Served) -> None:
    with _connect(served.url) as sock:
        sock.sendall(
            b"POST /subjects/s/versions HTTP/1.1\r\nHost: x\r\n"
            b'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"sch'
        )
        status, body = _answer(sock)
    assert status == 408
    assert body["error_code"] == 40801
    assert httpx.get(f"{served.url}/subjects").json() == []
