"""Idempotency stores: which events a consumer group has already handled, by `eventId`.

`open_store(url)` gives a store for `sqlite:///relative.db` or `sqlite:////absolute.db` (the
stdlib's sqlite3; `sqlite://` alone is in memory), or for `postgresql://…` (psycopg). A
consumer records an event after its handler succeeds and before it commits, so an event
redelivered after a crash in between is skipped rather than handled twice.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

from sdk.errors import ConfigurationError

__all__ = ["IdempotencyStore", "PostgresStore", "SqliteStore", "open_store"]

_TABLE = "charter_handled_events"


class IdempotencyStore(Protocol):
    def seen(self, scope: str, event_id: str) -> bool:
        """True if `event_id` was recorded under `scope` (a consumer group)."""

    def record(self, scope: str, event_id: str) -> None:
        """Remember `event_id` under `scope`; recording twice is harmless."""

    def close(self) -> None: ...


class SqliteStore:
    def __init__(self, path: str = ":memory:") -> None:
        import sqlite3

        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (scope TEXT NOT NULL,"
                " event_id TEXT NOT NULL, handled_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP,"
                " PRIMARY KEY (scope, event_id))"
            )

    def seen(self, scope: str, event_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                f"SELECT 1 FROM {_TABLE} WHERE scope = ? AND event_id = ?", (scope, event_id)
            ).fetchone()
        return row is not None

    def record(self, scope: str, event_id: str) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT OR IGNORE INTO {_TABLE} (scope, event_id) VALUES (?, ?)",
                (scope, event_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresStore:
    def __init__(self, url: str) -> None:
        import psycopg

        self._db: Any = psycopg.connect(url, autocommit=True)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {_TABLE} (scope TEXT NOT NULL,"
                " event_id TEXT NOT NULL, handled_at TIMESTAMPTZ NOT NULL DEFAULT now(),"
                " PRIMARY KEY (scope, event_id))"
            )

    def seen(self, scope: str, event_id: str) -> bool:
        with self._lock:
            row = self._db.execute(
                f"SELECT 1 FROM {_TABLE} WHERE scope = %s AND event_id = %s", (scope, event_id)
            ).fetchone()
        return row is not None

    def record(self, scope: str, event_id: str) -> None:
        with self._lock:
            self._db.execute(
                f"INSERT INTO {_TABLE} (scope, event_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                (scope, event_id),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(url: str) -> IdempotencyStore:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        # SQLAlchemy's convention: sqlite:///relative.db, sqlite:////absolute/path.db
        path = parts.path[1:] if parts.path.startswith("/") else parts.path
        return SqliteStore(path or ":memory:")
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return PostgresStore(url.replace("postgresql+psycopg://", "postgresql://", 1))
    raise ConfigurationError(
        f"unknown idempotency store URL {url!r}: use sqlite:///path or postgresql://…"
    )
