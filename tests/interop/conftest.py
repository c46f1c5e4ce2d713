"""Fixtures: one real `charter serve` per storage backend, shared by the interop tests."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from tests.interop.server import serve_backend, skip_without_postgres

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="session", params=BACKENDS)
def registry_url(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "postgres":
        skip_without_postgres()
    work_dir = tmp_path_factory.mktemp(f"interop-{request.param}")
    with serve_backend(request.param, work_dir, "charter_interop") as server:
        yield server.base_url


@pytest.fixture
def client(registry_url: str) -> Iterator[SchemaRegistryClient]:
    # A fresh client per test, so the client's own caches never hide what the server answers.
    sr = SchemaRegistryClient({"url": registry_url})
    yield sr
    sr.close()


@pytest.fixture
def subject(request: pytest.FixtureRequest) -> str:
    """A subject name no other test uses (the server is shared by the whole session)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "-", request.node.originalname).strip("-")
    return f"{stem}-{secrets.token_hex(3)}"
