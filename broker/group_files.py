"""A consumer group's state on disk: two slot files, written in turn, in place.

    <stem>.0, <stem>.1    each: SLOT_HEAD, then the body (the group's state as JSON), then
                          whatever an earlier, longer body left (the length says where to stop)

    SLOT_HEAD  magic b"CGS1" (4), sequence (u64), body length (u32), CRC32C of the body (u32)

A save writes the slot that does not hold the newest state, whole from byte 0, and with
`durable` fdatasyncs it before it returns: an overwrite that keeps the file's size writes no
metadata, and a torn one spoils only that slot, so the other still holds the last state
saved. Loading takes the valid slot with the higher sequence. A slot file is created once,
fsynced with its directory. A group saved by an earlier version, as `<stem>.json` (written
whole, renamed into place), is read when no slot is valid; the next save replaces it.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crc32c import crc32c

__all__ = ["SLOT_HEAD", "GroupFiles", "Loaded"]

SLOT_HEAD = struct.Struct(">4sQII")
_MAGIC = b"CGS1"
_SLOTS = 2
_LEGACY = ".json"


@dataclass(frozen=True, slots=True)
class Loaded:
    stem: str
    sequence: int  # of the state loaded (0: from a legacy file)
    data: dict[str, Any]


class GroupFiles:
    """The slot files of the groups under `directory` (not thread-safe: the coordinator
    calls it under its lock)."""

    def __init__(self, directory: Path, *, durable: bool) -> None:
        self.directory = directory
        self.durable = durable
        self._made: set[Path] = set()  # slot files known to exist

    def load_all(self) -> list[Loaded]:
        stems: set[str] = set()
        for path in self.directory.iterdir():
            if path.suffix in (".0", ".1", _LEGACY):
                stems.add(path.stem)
        found = []
        for stem in sorted(stems):
            loaded = self._load(stem)
            if loaded is not None:
                found.append(loaded)
        return found

    def _load(self, stem: str) -> Loaded | None:
        best: tuple[int, bytes] | None = None
        for slot in range(_SLOTS):
            path = self.directory / f"{stem}.{slot}"
            try:
                raw = path.read_bytes()
            except FileNotFoundError:
                continue
            self._made.add(path)
            if len(raw) < SLOT_HEAD.size:
                continue
            magic, sequence, length, crc = SLOT_HEAD.unpack_from(raw)
            body = raw[SLOT_HEAD.size : SLOT_HEAD.size + length]
            if magic != _MAGIC or len(body) != length or crc32c(body) != crc:
                continue  # torn or never finished: the other slot holds the last save
            if best is None or sequence > best[0]:
                best = (sequence, body)
        if best is not None:
            return Loaded(stem, best[0], json.loads(best[1]))
        legacy = self.directory / f"{stem}{_LEGACY}"
        if legacy.exists():
            return Loaded(stem, 0, json.loads(legacy.read_text()))
        return None

    def save(self, stem: str, sequence: int, data: dict[str, Any]) -> None:
        """Write `data` as save number `sequence` (one more than the last) of group `stem`."""
        body = json.dumps(data).encode()
        path = self.directory / f"{stem}.{sequence % _SLOTS}"
        blob = SLOT_HEAD.pack(_MAGIC, sequence, len(body), crc32c(body)) + body
        new = path not in self._made
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            written = 0
            view = memoryview(blob)
            while written < len(blob):
                written += os.pwrite(fd, view[written:], written)
            if self.durable:
                if new:
                    os.fsync(fd)
                else:
                    os.fdatasync(fd)
        finally:
            os.close(fd)
        if new:
            if self.durable:
                self._fsync_directory()
            self._made.add(path)
            with contextlib.suppress(FileNotFoundError):
                (self.directory / f"{stem}{_LEGACY}").unlink()

    def remove(self, stem: str) -> None:
        for suffix in (".0", ".1", _LEGACY):
            path = self.directory / f"{stem}{suffix}"
            self._made.discard(path)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def _fsync_directory(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
