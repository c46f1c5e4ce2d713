"""Engines, the registry-wide write lock and migrations.

Writes are rare and each one is short, so the registry serialises them all: a process lock
plus, on PostgreSQL, a transaction-scoped advisory lock (several processes may share one
database), or on SQLite `BEGIN IMMEDIATE` with a busy timeout.

A PostgreSQL shared with other clients may be at its connection limit (`max_connections`, or
a role's or database's) when a burst of requests asks for more connections. A connection it
refuses so is asked of the pool again, for a few seconds (connections are soon given back,
and the pool hands out an idle one first), rather than the request failing with 500.
"""

from __future__ import annotations

import importlib.util
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.pool import PoolProxiedConnection, QueuePool
from sqlmodel import Session

from alembic import command
from registry.settings import Settings

__all__ = ["Database", "alembic_dir"]

# Arbitrary keys naming Charter's locks in PostgreSQL's advisory-lock space.
WRITE_LOCK_KEY = 0x43_68_61_72_01
MIGRATION_LOCK_KEY = 0x43_68_61_72_02


def alembic_dir() -> Path:
    """The migration scripts, whatever the working directory.

    An installed wheel carries them as the `charter_migrations` package (setup.py maps the
    top-level `alembic/` folder to that name); a source checkout, editable installs included,
    has the `alembic/` folder itself beside the `registry` package.
    """
    spec = importlib.util.find_spec("charter_migrations")
    installed = list(spec.submodule_search_locations or ()) if spec is not None else []
    checkout = Path(__file__).resolve().parent.parent / "alembic"
    for path in [*map(Path, installed), checkout]:
        if (path / "env.py").is_file():
            return path
    raise RuntimeError(
        f"the migrations directory is missing: no charter_migrations package and no {checkout}"
    )


# How PostgreSQL words a refusal at a connection limit (SQLSTATE 53300, which libpq does not
# pass on for a connection refused at start-up), and how long such a refusal is retried.
_AT_LIMIT = ("too many clients", "too many connections", "remaining connection slots")
CONNECT_RETRY_S = 10.0
CONNECT_BACKOFF_MAX_S = 0.5


class _PatientPool(QueuePool):
    """A queue pool whose checkout waits out a refusal at the database's connection limit."""

    def connect(self) -> PoolProxiedConnection:
        deadline = time.monotonic() + CONNECT_RETRY_S
        delay = 0.02
        while True:
            try:
                return super().connect()
            except Exception as exc:  # the driver's own error, before SQLAlchemy wraps it
                if not any(words in str(exc) for words in _AT_LIMIT):
                    raise
                if time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay * random.uniform(0.5, 1.0))  # jittered: a burst spreads out
            delay = min(delay * 2, CONNECT_BACKOFF_MAX_S)


def _sqlite_engine(settings: Settings, url: str) -> Engine:
    engine = create_engine(
        url,
        connect_args={
            "check_same_thread": False,
            "timeout": settings.sqlite_busy_timeout_ms / 1000,
        },
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, so writes can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if ":memory:" not in url:
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))

    return engine


class Database:
    """Owns the engine and hands out read and write sessions."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = settings.resolved_database_url
        self.is_sqlite = self.url.startswith("sqlite")
        self._write_lock = threading.Lock()
        # Called after each committed write (registry.changes marks it for other processes).
        self.committed: list[Callable[[], None]] = []
        if self.is_sqlite:
            if ":memory:" not in self.url and self.url.startswith("sqlite:///"):
                Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
            self.engine = _sqlite_engine(settings, self.url)
        else:
            self.engine = create_engine(
                self.url,
                poolclass=_PatientPool,
                pool_pre_ping=True,
                pool_size=10,
                max_overflow=30,
                connect_args={"connect_timeout": 10},
            )

    @contextmanager
    def reading(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def writing(self) -> Iterator[Session]:
        """One serialised write transaction: commits on success, rolls back on any error."""
        with self._write_lock, Session(self.engine, expire_on_commit=False) as session:
            if self.is_sqlite:
                session.connection(execution_options={"sqlite_begin": "BEGIN IMMEDIATE"})
            else:
                session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
            for hook in self.committed:
                hook()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def migrate(self) -> None:
        """Bring the tables to the newest migration (safe with several processes starting)."""
        config = Config()
        config.set_main_option("script_location", str(alembic_dir()))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        with self.engine.connect() as conn:
            if self.is_sqlite:
                # Processes starting together on one file take turns instead of failing: one
                # transaction holds the write lock from the first revision to the last. Begun
                # here, it is the caller's to alembic, which otherwise ends a transaction after
                # each revision on SQLite; a process whose turn came in between ran the rest,
                # and this one then ran them again ("duplicate column").
                conn = conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
                conn.begin()
            else:
                conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
                conn.commit()
            try:
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
                conn.commit()
            finally:
                if not self.is_sqlite:
                    conn.rollback()
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY}
                    )
                    conn.commit()

    def dispose(self) -> None:
        self.engine.dispose()
