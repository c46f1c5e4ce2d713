"""Fixtures: one registry app per database (SQLite and PostgreSQL), emptied before each test.

PostgreSQL runs on 127.0.0.1:5432 (trust auth); each session creates its own database
`charter_test_<random>` from the `test` maintenance database and drops it at the end.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from registry import Settings, create_app
from registry.http import Registry

PG_HOST = os.environ.get("CHARTER_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CHARTER_TEST_PG_PORT", "5432"))
TABLES = ("schema_references", "subject_versions", "schemas", "configs", "modes", "contexts")


def _pg_admin() -> psycopg.Connection[Any] | None:
    for user in ("postgres", "root"):
        for dbname in ("test", "postgres"):
            try:
                return psycopg.connect(
                    host=PG_HOST,
                    port=PG_PORT,
                    user=user,
                    dbname=dbname,
                    autocommit=True,
                    connect_timeout=3,
                )
            except psycopg.Error:
                continue
    return None


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    admin = _pg_admin()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"charter_test_{secrets.token_hex(6)}"
    user = admin.info.user
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@dataclass
class Backend:
    name: str
    app: FastAPI
    registry: Registry

    def reset(self) -> None:
        with self.engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        self.registry.service.forget()  # the tables changed behind the service's back

    @property
    def engine(self) -> Engine:
        return self.registry.database.engine

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every stored row, to prove a rejected request changed nothing."""
        with self.engine.connect() as conn:
            return {
                table: sorted(tuple(row) for row in conn.execute(text(f"SELECT * FROM {table}")))
                for table in TABLES
            }


def _settings(request: pytest.FixtureRequest, tmp: Path) -> Settings:
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        return Settings(data_dir=tmp, database_url=url)
    return Settings(data_dir=tmp)


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    settings = _settings(request, tmp_path_factory.mktemp(f"registry-{request.param}"))
    app = create_app(settings)
    yield Backend(request.param, app, app.state.registry)
    app.state.registry.close()


@pytest.fixture
def client(backend: Backend) -> Iterator[TestClient]:
    backend.reset()
    # No `with`: the app's lifespan would dispose the shared engine after every test.
    yield TestClient(backend.app, raise_server_exceptions=False)
