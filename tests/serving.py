"""A `charter serve` child a fixture shares: stopped when the fixture ends, and failed if its
log shows a traceback (a test that passed over a server that crashed inside did not pass)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol, TypeVar

LOG_TAIL_CHARS = 3000  # of the log shown when it holds a traceback


class Running(Protocol):
    """A started serve: its data directory (`serve.log` inside) and how to stop it."""

    @property
    def data_dir(self) -> Path: ...

    def stop(self) -> None: ...


R = TypeVar("R", bound=Running)


@contextlib.contextmanager
def checked(running: R) -> Iterator[R]:
    """`running` for the block; then stopped, and its `serve.log` free of tracebacks."""
    try:
        yield running
    finally:
        running.stop()
        log = (running.data_dir / "serve.log").read_text()
        assert "Traceback" not in log, log[-LOG_TAIL_CHARS:]
