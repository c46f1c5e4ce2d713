"""One real `charter serve`, Kafka listener on, shared by the metrics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kafka.conftest import Serve, start_serve


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    running = start_serve(tmp_path_factory.mktemp("metrics"))
    try:
        yield running
    finally:
        running.stop()
        log = (running.data_dir / "serve.log").read_text()
        assert "Traceback" not in log, log[-3000:]
