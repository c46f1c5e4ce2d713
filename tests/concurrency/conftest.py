"""Fixtures: real `charter serve` processes per backend, and two of them on one PostgreSQL."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.interop.server import (
    charter_server,
    scratch_postgres_database,
    serve_backend,
    skip_without_postgres,
)

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module", params=BACKENDS)
def base_url(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "postgres":
        skip_without_postgres()
    work_dir = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    with serve_backend(request.param, work_dir, "charter_concurrency") as server:
        yield server.base_url


@pytest.fixture(scope="module")
def two_servers_one_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    skip_without_postgres()
    work_dir = tmp_path_factory.mktemp("concurrency-two-processes")
    with (
        scratch_postgres_database("charter_concurrency") as url,
        charter_server(work_dir / "a", url) as first,
        charter_server(work_dir / "b", url) as second,
    ):
        yield [first.base_url, second.base_url]


@pytest.fixture
def subject() -> str:
    return f"race-{secrets.token_hex(4)}"
