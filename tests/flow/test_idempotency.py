"""Idempotency stores: SQLite (the default) and PostgreSQL, opened by URL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from sdk import ConfigurationError, IdempotencyStore, PostgresStore, SqliteStore, open_store


def _postgres_url() -> str | None:
    import psycopg

    for user in ("postgres", "root"):
        url = f"postgresql://{user}@127.0.0.1:5432/test"
        try:
            psycopg.connect(url, connect_timeout=3).close()
            return url
        except psycopg.Error:
            continue
    return None


@pytest.fixture(params=["sqlite-file", "sqlite-memory", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[IdempotencyStore]:
    if request.param == "sqlite-file":
        found = open_store(f"sqlite:///{tmp_path / 'handled.db'}")
    elif request.param == "sqlite-memory":
        found = open_store("sqlite://")
    else:
        url = _postgres_url()
        if url is None:
            pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
        found = open_store(url.replace("postgresql://", "postgresql+psycopg://"))
        assert isinstance(found, PostgresStore)
    yield found
    found.close()


def test_a_recorded_event_is_seen_in_its_scope_only(store: IdempotencyStore) -> None:
    scope, other = f"g-{uuid.uuid4().hex}", f"h-{uuid.uuid4().hex}"
    assert not store.seen(scope, "evt-1")
    store.record(scope, "evt-1")
    store.record(scope, "evt-1")  # twice is harmless
    assert store.seen(scope, "evt-1")
    assert not store.seen(scope, "evt-2")
    assert not store.seen(other, "evt-1")


def test_a_sqlite_store_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "handled.db"
    first = SqliteStore(str(path))
    first.record("g", "evt-1")
    first.close()
    again = open_store(f"sqlite:///{path}")
    assert again.seen("g", "evt-1")
    again.close()


def test_an_unknown_store_url_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="idempotency store URL"):
        open_store("redis://127.0.0.1:6379")
