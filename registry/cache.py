"""Pre-serialised answers of `GET /schemas/ids/{id}`: a schema under an id never changes."""

from __future__ import annotations

import threading

__all__ = ["SchemaCache"]

MIB = 1024 * 1024


class SchemaCache:
    """A bounded id → response-bytes map, emptied whole when a bound is reached (refilling an
    entry costs one indexed read, and the ids in use come back within moments)."""

    def __init__(self, entries_max: int = 100_000, bytes_max: int = 64 * MIB) -> None:
        self.entries_max = entries_max
        self.bytes_max = bytes_max
        self._bodies: dict[int, bytes] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, schema_id: int) -> bytes | None:
        return self._bodies.get(schema_id)

    def put(self, schema_id: int, body: bytes) -> None:
        with self._lock:
            if schema_id in self._bodies:
                return
            if len(self._bodies) >= self.entries_max or self._bytes + len(body) > self.bytes_max:
                self._bodies.clear()
                self._bytes = 0
            self._bodies[schema_id] = body
            self._bytes += len(body)

    def clear(self) -> None:
        with self._lock:
            self._bodies.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._bodies)

    @property
    def size_bytes(self) -> int:
        return self._bytes
