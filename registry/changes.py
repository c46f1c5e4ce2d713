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
starts after a write was answered, in any process, sees it. A file lock makes each replace
notice a foreign token it overwrites; the file is mapped, so reading it costs no system call.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import secrets
import threading
import weakref
from pathlib import Path

__all__ = ["ChangeMark"]

TOKEN_BYTES = 16


class ChangeMark:
    """The change-mark file of one database, as one process sees it (mapped into memory, so
    a check costs no system call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX)
            try:
                if os.fstat(fd).st_size < TOKEN_BYTES:
                    os.pwrite(fd, secrets.token_bytes(TOKEN_BYTES), 0)
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN)
            self._map = mmap.mmap(fd, TOKEN_BYTES, mmap.MAP_SHARED, mmap.PROT_READ)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        weakref.finalize(self, _close, self._map, fd)
        self._lock = threading.Lock()  # fcntl's locks are per process; this is per thread
        self._foreign = False
        self._seen = self._map[:TOKEN_BYTES]

    def changed(self) -> bool:
        """Whether another process committed a write since the last call. (A read that
        races a replace may see a mix of two tokens: that counts as a change, harmlessly.)"""
        with self._lock:
            now = self._map[:TOKEN_BYTES]
            changed = self._foreign or now != self._seen
            self._seen, self._foreign = now, False
            return changed

    def mark(self) -> None:
        """Tell the other processes of a write this one has committed."""
        token = secrets.token_bytes(TOKEN_BYTES)
        with self._lock:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)  # the read and the replace, as one
            try:
                if self._map[:TOKEN_BYTES] != self._seen:
                    self._foreign = True  # another process wrote since we last looked
                os.pwrite(self._fd, token, 0)
                self._seen = token
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)


def _close(mapped: mmap.mmap, fd: int) -> None:
    mapped.close()
    os.close(fd)
