"""Whether another process has changed a SQLite registry database: `PRAGMA data_version`.

PostgreSQL tells each process of the others' writes (`registry.coherence`); SQLite has no
notices, but every connection can ask whether any other connection has committed since it
last asked. The service asks that once per request it would answer from memory, and forgets
everything it keeps when the answer is yes: memory then stays exact however many processes
(`charter serve --workers N`, a second server on the same file) write to the database.
The service's own writes count too; they are rare, so forgetting after them costs little.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref

__all__ = ["DataVersion"]


class DataVersion:
    """One read-only connection to the database file, kept to watch its data version."""

    def __init__(self, path: str) -> None:
        # It only ever reads; a read-only URI would need the WAL's shared-memory file first.
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        weakref.finalize(self, self._connection.close)
        self._lock = threading.Lock()
        self._seen = self._read()

    def _read(self) -> int:
        row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def changed(self) -> bool:
        """Whether another connection committed since the last call (or since creation)."""
        with self._lock:
            now = self._read()
            changed, self._seen = now != self._seen, now
            return changed
