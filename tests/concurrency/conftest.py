"""Fixtures: real `charter serve` processes per backend, and two of them on one PostgreSQL."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterator

import pytest

from tests.interop.server import (
    PG_HOST,
    PG_PORT,
    charter_server,
    postgres_admin_url,
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


@contextlib.contextmanager
def postgres_with_connection_limit(limit: int) -> Iterator[str]:
    """A scratch database owned by a new role that may hold only `limit` connections (a
    superuser is never refused), as a PostgreSQL shared with other clients refuses a burst;
    yields its SQLAlchemy URL; drops both."""
    import psycopg
    from psycopg import sql

    admin_url = postgres_admin_url()
    assert admin_url is not None
    name = f"charter_limited_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN CONNECTION LIMIT {}").format(
            sql.Identifier(name), sql.Literal(limit)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
            sql.Identifier(name), sql.Identifier(name)))
    try:
        yield f"postgresql+psycopg://{name}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))
