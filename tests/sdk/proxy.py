"""A fault-injecting HTTP proxy in front of the real registry: counts requests and can answer
the next few with 503, to test the client's retries and caches without mocking it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class Proxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.requests: list[str] = []
        self.fail_next = 0
        self.lock = threading.Lock()


@contextmanager
def fault_proxy(upstream: str) -> Iterator[tuple[str, Proxy]]:
    state = Proxy(upstream)
    client = httpx.Client(base_url=upstream, timeout=10)

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            with state.lock:
                state.requests.append(f"{self.command} {self.path}")
                failing = state.fail_next > 0
                state.fail_next -= failing
            if failing:
                payload = b'{"error_code": 50001, "message": "injected failure"}'
                self.send_response(503)
            else:
                answer = client.request(
                    self.command,
                    self.path,
                    content=body,
                    headers={"Content-Type": "application/json"},
                )
                payload = answer.content
                self.send_response(answer.status_code)
            self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        client.close()
