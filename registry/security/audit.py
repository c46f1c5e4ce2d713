"""The audit trail: every write (who, what, which subject or topic, outcome, when).

Each entry is logged at once as one JSON line on the `charter.audit` logger and queued for
the `audit_log` table; a thread writes the queue in batches (one short transaction per batch,
outside the registry's write lock), so auditing costs a request no database round trip. The
queue is bounded: when the database cannot keep up, entries beyond `queue_max` are counted,
logged and dropped rather than holding memory without limit.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from registry.db import Database
from registry.security.models import AuditRow

__all__ = ["AuditEntry", "AuditTrail", "read_entries"]

log = logging.getLogger("charter.audit")
BATCH_LINGER_S = 0.05


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: datetime
    who: str
    via: str  # key, token, anonymous (auth none) or none (not authenticated)
    method: str
    path: str
    kind: str
    names: tuple[str, ...]
    status: int
    outcome: str  # ok, denied or failed

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "who": self.who,
            "via": self.via,
            "method": self.method,
            "path": self.path,
            "kind": self.kind,
            "names": list(self.names),
            "status": self.status,
            "outcome": self.outcome,
        }

    def row(self) -> AuditRow:
        return AuditRow(
            at=self.at,
            who=self.who,
            via=self.via,
            method=self.method,
            path=self.path,
            kind=self.kind,
            names=json.dumps(list(self.names)),
            status=self.status,
            outcome=self.outcome,
        )


def outcome_of(status: int) -> str:
    if status in (401, 403):
        return "denied"
    return "ok" if status < 400 else "failed"


class AuditTrail:
    """Logs entries and writes them to the database from one thread."""

    def __init__(
        self, database: Database, *, queue_max: int = 10_000, batch_max: int = 500
    ) -> None:
        self.database = database
        self.batch_max = batch_max
        self._queue: queue.Queue[AuditEntry | threading.Event] = queue.Queue(maxsize=queue_max)
        self._dropped = 0
        self._thread = threading.Thread(target=self._run, name="charter-audit", daemon=True)
        self._thread.start()

    def record(self, entry: AuditEntry, *, store: bool = True) -> None:
        log.info(json.dumps({"event": "audit", **entry.to_json()}, ensure_ascii=False))
        if not store:
            return
        try:
            self._queue.put_nowait(entry)
        except queue.Full:
            self._dropped += 1
            if self._dropped == 1 or self._dropped % 1000 == 0:
                log.error("audit queue full: %d entries not stored (logged only)", self._dropped)

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every entry queued so far is in the database (tests, shutdown)."""
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout_s)
        except queue.Full:
            return
        done.wait(timeout_s)

    def close(self) -> None:
        self.flush()

    def _run(self) -> None:
        while True:
            batch: list[AuditEntry] = []
            marker: threading.Event | None = None
            item = self._queue.get()
            # Gather what arrives within a moment: one commit (one fsync) for a burst of
            # writes, not one per request (the entries are logged already; flush() ends it).
            deadline = time.monotonic() + BATCH_LINGER_S
            while True:
                if isinstance(item, threading.Event):
                    marker = item
                    break
                batch.append(item)
                if len(batch) >= self.batch_max:
                    break
                try:
                    item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
            if batch:
                self._write(batch)
            if marker is not None:
                marker.set()

    def _write(self, batch: Sequence[AuditEntry]) -> None:
        try:
            with Session(self.database.engine) as session:
                session.add_all([e.row() for e in batch])
                session.commit()
        except Exception:  # the request is long answered: log, never raise into a thread
            log.exception("could not store %d audit entries (they were logged)", len(batch))


def read_entries(database: Database, *, since: datetime | None = None, limit: int = 1000) -> list[
    AuditEntry
]:
    """Entries from `since` on, oldest first, at most `limit` (newest kept)."""
    with Session(database.engine) as session:
        stmt = select(AuditRow).order_by(col(AuditRow.at).desc(), col(AuditRow.id).desc())
        if since is not None:
            stmt = stmt.where(col(AuditRow.at) >= since)
        rows = session.exec(stmt.limit(limit)).all()
    return [
        AuditEntry(
            at=r.at if r.at.tzinfo else r.at.replace(tzinfo=UTC),
            who=r.who,
            via=r.via,
            method=r.method,
            path=r.path,
            kind=r.kind,
            names=tuple(json.loads(r.names)),
            status=r.status,
            outcome=r.outcome,
        )
        for r in reversed(rows)
    ]
