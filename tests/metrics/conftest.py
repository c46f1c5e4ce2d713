"""One real `charter serve`, Kafka listener on, shared by the metrics tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.kafka.conftest import Serve, start_serve
from tests.serving import checked


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    with checked(start_serve(tmp_path_factory.mktemp("metrics"))) as running:
        yield running
