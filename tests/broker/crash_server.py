"""The broker behind its HTTP API, for the crash test.

Usage: python -m tests.broker.crash_server DATA_DIR PORT
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from broker import Broker
from broker.http import create_router


def main(data_dir: str, port: int) -> None:
    broker = Broker(data_dir, maintenance_interval_ms=None)
    app = FastAPI()
    app.include_router(create_router(broker))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
