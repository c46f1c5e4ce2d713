"""Serve the broker's HTTP API (broker.http) on a free port in a thread, for `charter://` tests,
until `charter serve` mounts it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

STARTUP_S = 30.0


@contextlib.contextmanager
def broker_http(data_dir: Path) -> Iterator[str]:
    """Yields `charter://127.0.0.1:PORT` with the broker's API behind it."""
    import uvicorn
    from fastapi import FastAPI

    from broker import Broker
    from broker.http import create_router
    from tests.sdk.server import free_port

    broker = Broker(data_dir)
    app = FastAPI()
    app.include_router(create_router(broker))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="broker-http", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/broker/topics", timeout=1.0)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise RuntimeError("the broker's HTTP server did not start") from None
                time.sleep(0.05)
        yield f"charter://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        broker.close()
