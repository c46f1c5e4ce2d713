from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broker import Broker, Limits


class FakeClock:
    """Milliseconds that move only when a test says so."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self.now_ms = start_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> None:
        self.now_ms += ms


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def broker(tmp_path: Path, clock: FakeClock) -> Iterator[Broker]:
    b = Broker(tmp_path / "data", clock_ms=clock, maintenance_interval_ms=None, limits=Limits())
    yield b
    b.close()
