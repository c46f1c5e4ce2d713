"""The audit trail's writes wait out a PostgreSQL at its connection limit, as requests do: an
entry recorded while every connection the database gives is taken lands in `audit_log` once
one is given back, and is not dropped as a failed write."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from sqlalchemy import event

from registry import Settings
from registry.db import CONNECT_RETRY_S, Database
from registry.security.audit import AuditEntry, AuditTrail, read_entries
from tests.concurrency.conftest import postgres_with_connection_limit
from tests.interop.server import skip_without_postgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

LIMIT = 3  # connections the role may hold
WAIT_S = 30.0  # for the writer's first retry; the test fails rather than wait longer


def _entry() -> AuditEntry:
    return AuditEntry(at=datetime.now(UTC), who="k-audit", via="key", method="POST",
                      path="/subjects/limited-value/versions", kind="subject",
                      names=("limited-value",), status=200, outcome="ok")


def test_an_audit_write_at_the_connection_limit_lands_once_a_connection_is_free(
    caplog: pytest.LogCaptureFixture,
) -> None:
    skip_without_postgres()
    with postgres_with_connection_limit(LIMIT) as url:
        database = Database(Settings(database_url=url))
        database.migrate()
        database.engine.dispose()  # the pool holds none of the role's connections now
        attempts = threading.Semaphore(0)

        @event.listens_for(database.engine, "do_connect")
        def _attempted(*_: Any) -> None:  # each connection the pool asks PostgreSQL for
            attempts.release()

        libpq_url = url.replace("postgresql+psycopg://", "postgresql://")
        held = [psycopg.connect(libpq_url, connect_timeout=5) for _ in range(LIMIT)]
        trail = AuditTrail(database)
        try:
            with caplog.at_level(logging.ERROR, logger="charter.audit"):
                entry = _entry()
                trail.record(entry)
                # Two attempts: the first was refused at the limit and the pool asked again.
                deadline = time.monotonic() + WAIT_S
                for _ in range(2):
                    assert attempts.acquire(timeout=max(0.0, deadline - time.monotonic())), (
                        "the audit writer did not ask for a connection again"
                    )
                stored = held[0].execute("SELECT count(*) FROM audit_log").fetchone()
                assert stored == (0,)  # no connection to write with yet
                for conn in held:
                    conn.close()
                held.clear()
                trail.flush(timeout_s=CONNECT_RETRY_S + 10)
            assert [e for e in read_entries(database) if e.who == entry.who] == [entry]
            assert not [r for r in caplog.records if "could not store" in r.getMessage()]
        finally:
            for conn in held:
                conn.close()
            trail.close()
            database.dispose()
