"""Recently produced batches in the form they arrived in, so a fetch serves them unconverted.

A produced v2 batch is appended to the log in the log's own format (broker.record); a fetch
must serve v2 again. For batches that came through this listener, the bytes the producer sent
are the answer, once their base offset is the one the log assigned (the batch CRC does not
cover it). The cache keeps them, least recently added dropped first, within `bytes_max`.

Entries are keyed by the partition log's process-unique id and the batch's base offset, and
a fetch consults the cache only for a batch it has just read (checksum verified) from the
log at that base offset with the same record count: the log is the truth, and what the cache
answers is its record-for-record equal. Anything else (batches written over HTTP or by the
SDK, or before a restart) is converted from the log's bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["BatchCache"]


class BatchCache:
    """v2 batches by (log id, base offset), at most `bytes_max` in all. Thread-safe."""

    def __init__(self, bytes_max: int) -> None:
        self.bytes_max = bytes_max
        self._entries: OrderedDict[tuple[int, int], tuple[int, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def put(self, log_id: int, base_offset: int, record_count: int, batch: bytes) -> None:
        if len(batch) > self.bytes_max:
            return
        with self._lock:
            old = self._entries.pop((log_id, base_offset), None)
            if old is not None:
                self._bytes -= len(old[1])
            self._entries[(log_id, base_offset)] = (record_count, batch)
            self._bytes += len(batch)
            while self._bytes > self.bytes_max:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= len(dropped)

    def get(self, log_id: int, base_offset: int, record_count: int) -> bytes | None:
        with self._lock:
            entry = self._entries.get((log_id, base_offset))
            if entry is None or entry[0] != record_count:
                self.misses += 1
                return None
            self.hits += 1
            return entry[1]
