"""A bounded pool of open files: the broker's segment and index descriptors.

Every partition log names its files as `PooledFile`s and opens none of them itself. A file is
opened when it is first used and stays open while it is used again; beyond `open_files_max`
open files the least recently used one that nobody is using is closed, and opened again when
it is next needed. So the descriptors a broker holds are bounded however many partitions it
has. A file in use is pinned (`acquire` … `release`): it is never closed under its user, so a
descriptor number is never reused behind a reader's or writer's back. When every open file is
pinned the pool goes over its bound for as long as the pins last.

Closing a file that holds unsynced writes loses nothing: its pages stay in the page cache and
the next `fdatasync`, through whichever descriptor, writes them out.

When the process runs out of descriptors (EMFILE, ENFILE), the pool closes every unpinned
file and tries once more before the error goes to the caller.
"""

from __future__ import annotations

import errno
import os
import resource
import threading
from collections import OrderedDict
from pathlib import Path

__all__ = ["OPEN_FILES_MAX_MIN", "FilePool", "PooledFile", "default_open_files_max"]

OPEN_FILES_MAX_MIN = 16
_OPEN_FILES_MAX_CAP = 65_536
_OUT_OF_DESCRIPTORS = {errno.EMFILE, errno.ENFILE}


def default_open_files_max() -> int:
    """Half the process's descriptor limit (the rest is for connections and the database)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return _OPEN_FILES_MAX_CAP
    return max(OPEN_FILES_MAX_MIN, min(_OPEN_FILES_MAX_CAP, soft // 2))


class PooledFile:
    """One file the pool may hold open: its path and how to open it. `fd` is -1 when closed."""

    __slots__ = ("discarded", "fd", "flags", "mode", "path", "pins")

    def __init__(self, path: Path, flags: int, mode: int = 0o644) -> None:
        self.path = path
        self.flags = flags
        self.mode = mode
        self.fd = -1
        self.pins = 0
        self.discarded = False

    def __repr__(self) -> str:
        return f"PooledFile({self.path.name!r}, fd={self.fd}, pins={self.pins})"


class FilePool:
    """Open files, at most `open_files_max` of them unless all are in use. Thread-safe."""

    def __init__(self, open_files_max: int | None = None) -> None:
        limit = default_open_files_max() if open_files_max is None else open_files_max
        if limit < OPEN_FILES_MAX_MIN:
            raise ValueError(f"open_files_max {limit} < {OPEN_FILES_MAX_MIN}")
        self.open_files_max = limit
        self._lock = threading.Lock()
        self._open: OrderedDict[PooledFile, None] = OrderedDict()  # least recently used first
        self.opened_total = 0  # opens, first and again, for tests and metrics
        self.evicted_total = 0

    @property
    def open_count(self) -> int:
        with self._lock:
            return len(self._open)

    def acquire(self, file: PooledFile) -> int:
        """The file's descriptor, opened if need be, pinned until `release(file)`."""
        with self._lock:
            if file.discarded:
                raise ValueError(f"{file.path} was discarded")
            if file.fd >= 0:
                self._open.move_to_end(file)
                file.pins += 1
                return file.fd
            self._make_room(len(self._open) + 1 - self.open_files_max)
            file.fd = self._os_open(file.path, file.flags, file.mode)
            file.pins = 1
            self._open[file] = None
            self.opened_total += 1
            return file.fd

    def acquire_all(self, files: tuple[PooledFile, ...]) -> list[int]:
        """`acquire` each of `files`, all or none (a failed open releases the others)."""
        fds: list[int] = []
        try:
            for file in files:
                fds.append(self.acquire(file))
        except BaseException:
            for file in files[: len(fds)]:
                self.release(file)
            raise
        return fds

    def release_all(self, files: tuple[PooledFile, ...]) -> None:
        for file in files:
            self.release(file)

    def release(self, file: PooledFile) -> None:
        with self._lock:
            file.pins -= 1
            if file.pins == 0 and file.discarded:
                self._close(file)
            elif len(self._open) > self.open_files_max:
                self._make_room(len(self._open) - self.open_files_max)

    def discard(self, file: PooledFile) -> None:
        """Close the file for good (its segment is closed or deleted); later use is an error."""
        with self._lock:
            file.discarded = True
            if file.pins == 0 and file.fd >= 0:
                self._close(file)

    def close_unused(self, file: PooledFile) -> None:
        """Close the file now if nobody uses it; it opens again on its next use."""
        with self._lock:
            if file.pins == 0 and file.fd >= 0:
                self._close(file)

    def open_fd(self, path: Path, flags: int, mode: int = 0o644) -> int:
        """A descriptor outside the pool (the caller closes it), made room for if need be."""
        with self._lock:
            return self._os_open(path, flags, mode)

    def _os_open(self, path: Path, flags: int, mode: int) -> int:
        try:
            return os.open(path, flags, mode)
        except OSError as exc:
            if exc.errno not in _OUT_OF_DESCRIPTORS or not self._make_room(len(self._open)):
                raise
        return os.open(path, flags, mode)

    def _make_room(self, count: int) -> int:
        """Close up to `count` unpinned files, least recently used first; returns how many."""
        if count <= 0:
            return 0
        victims: list[PooledFile] = []
        for file in self._open:  # least recently used first; pinned ones are rare
            if file.pins == 0:
                victims.append(file)
                if len(victims) == count:
                    break
        for file in victims:
            self._close(file)
        self.evicted_total += len(victims)
        return len(victims)

    def _close(self, file: PooledFile) -> None:
        del self._open[file]
        fd, file.fd = file.fd, -1
        os.close(fd)
