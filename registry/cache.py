"""Pre-serialised answers of `GET /schemas/ids/{id}`: a schema under an id never changes."""

from __future__ import annotations

import threading

__all__ = ["SchemaCache"]


class SchemaCache:
    """A bounded id → response-bytes map; cleared whole when full (ids are cheap to refill)."""

    def __init__(self, entries_max: int = 100_000) -> None:
        self.entries_max = entries_max
        self._bodies: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def get(self, schema_id: int) -> bytes | None:
        return self._bodies.get(schema_id)

    def put(self, schema_id: int, body: bytes) -> None:
        with self._lock:
            if len(self._bodies) >= self.entries_max:
                self._bodies.clear()
            self._bodies[schema_id] = body

    def clear(self) -> None:
        with self._lock:
            self._bodies.clear()

    def __len__(self) -> int:
        return len(self._bodies)
