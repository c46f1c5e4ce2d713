"""Whether another process has changed a SQLite registry database: a change mark beside it.

PostgreSQL tells each process of the others' writes (`registry.coherence`); SQLite has no
notices. So each committed registry write replaces a random token in a small file beside the
database (`registry.db-changes`), and before the service answers from memory it reads the
token: a token it did not write itself means another process wrote, and it forgets everything
it keeps. Memory then stays exact however many processes (`charter serve --workers N`, a second
server on the same file) write to the database. SQLite's own `PRAGMA data_version` would do
the same but counts every write to the file, the audit trail's included, which would empty the
memory after every audited request.

The token is written after the commit and before the write is answered, so a request that
starts after a write was answered, in any process, sees it. File locks keep the token's read
and replace whole, and a replace notices a foreign token it overwrites.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
import weakref
from pathlib import Path

__all__ = ["ChangeMark"]

TOKEN_BYTES = 16


class ChangeMark:
    """The change-mark file of one database, as one process sees it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        weakref.finalize(self, os.close, self._fd)
        self._lock = threading.Lock()  # fcntl's locks are per process; this is per thread
        self._foreign = False
        with self._lock:
            self._seen = self._read(fcntl.LOCK_SH)

    def _read(self, lock: int) -> bytes:
        fcntl.lockf(self._fd, lock)
        try:
            return os.pread(self._fd, TOKEN_BYTES, 0)
        finally:
            if lock == fcntl.LOCK_SH:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def changed(self) -> bool:
        """Whether another process committed a write since the last call."""
        with self._lock:
            now = self._read(fcntl.LOCK_SH)
            changed = self._foreign or now != self._seen
            self._seen, self._foreign = now, False
            return changed

    def mark(self) -> None:
        """Tell the other processes of a write this one has committed."""
        token = secrets.token_bytes(TOKEN_BYTES)
        with self._lock:
            try:
                if self._read(fcntl.LOCK_EX) != self._seen:
                    self._foreign = True  # another process wrote since we last looked
                os.pwrite(self._fd, token, 0)
                self._seen = token
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)
