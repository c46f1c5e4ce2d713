"""Fixtures: the registry's in-process app per database (from tests/registry) and one real
`charter serve` per database for the confluent-kafka client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.interop.server import serve_backend, skip_without_postgres
from tests.registry.conftest import backend, client, postgres_url

__all__ = ["backend", "charter_url", "client", "postgres_url"]


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def charter_url(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "postgres":
        skip_without_postgres()
    work_dir = tmp_path_factory.mktemp(f"contracts-{request.param}")
    with serve_backend(request.param, work_dir, "charter_contracts") as server:
        yield server.base_url
