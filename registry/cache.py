"""Bounded in-memory maps for the service's caches, with a fill rule that cannot go stale.

Every `Memo` of one service shares a `Generation`. An invalidation bumps it; a value read from
the database is only kept if the generation is the one taken *before* the read began, so a
read that raced a change (or a change notice from another process) is simply not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["MISSING", "Generation", "Memo", "Missing", "SchemaCache"]

MIB = 1024 * 1024
K = TypeVar("K")
V = TypeVar("V")


class Missing:
    """The type of `MISSING`, what `Memo.get` returns for a key it does not hold."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()


class Generation:
    """A counter of invalidations, shared by the memos of one owner."""

    def __init__(self) -> None:
        self._value = 0
        self.lock = threading.Lock()

    def token(self) -> int:
        return self._value

    def bump(self) -> None:
        with self.lock:
            self._value += 1

    def current(self, token: int) -> bool:
        return token == self._value


class Memo(Generic[K, V]):
    """A bounded key → value map, emptied whole when a bound is reached (refilling an entry
    costs one indexed read, and the keys in use come back within moments)."""

    def __init__(
        self,
        generation: Generation | None = None,
        *,
        entries_max: int = 100_000,
        bytes_max: int | None = None,
        size: Callable[[V], int] | None = None,
    ) -> None:
        self.generation = generation or Generation()
        self.entries_max = entries_max
        self.bytes_max = bytes_max
        self._size = size
        self._values: dict[K, V] = {}
        self._bytes = 0

    def get(self, key: K) -> V | Missing:
        return self._values.get(key, MISSING)

    def put(self, key: K, value: V, token: int | None = None) -> None:
        """Keep `value` unless an invalidation happened since `token` was taken."""
        size = self._size(value) if self._size else 0
        with self.generation.lock:
            if token is not None and not self.generation.current(token):
                return
            if key in self._values:
                return
            over_bytes = self.bytes_max is not None and self._bytes + size > self.bytes_max
            if len(self._values) >= self.entries_max or over_bytes:
                self._values.clear()
                self._bytes = 0
            self._values[key] = value
            self._bytes += size

    def drop(self, key: K) -> None:
        with self.generation.lock:
            if key in self._values:
                self._bytes -= self._size(self._values[key]) if self._size else 0
                del self._values[key]
        self.generation.bump()

    def clear(self) -> None:
        with self.generation.lock:
            self._values.clear()
            self._bytes = 0
        self.generation.bump()

    def __len__(self) -> int:
        return len(self._values)

    @property
    def size_bytes(self) -> int:
        return self._bytes


class SchemaCache(Memo[int, bytes]):
    """Pre-serialised answers of `GET /schemas/ids/{id}`, bounded by entries and bytes."""

    def __init__(
        self,
        generation: Generation | None = None,
        *,
        entries_max: int = 100_000,
        bytes_max: int = 64 * MIB,
    ) -> None:
        super().__init__(generation, entries_max=entries_max, bytes_max=bytes_max, size=len)
