"""The batches last appended to each partition, kept in memory as their producer handed them.

A consumer that keeps up with its producers (in the same process: the SDK's `memory://` and
`file://`) reads what was appended a moment ago. `Broker.fetch` serves those records from
here, without reading the segment and decoding the batch again; older records, the raw
batches the HTTP API and the Kafka listener serve, and everything after a restart come from
the segments, checksums verified. A batch is kept only once it is appended (and, per the
topic's flush policy, fsynced): a fetch sees it here exactly when it would see it on disk.

Only batches whose records are, field for field, what decoding them gives back are kept
(`EncodedRecords.plain`: bytes keys and values, tuples of headers), so a fetch answers the
same from either place. The records are kept as the immutable values they came as; nothing
is copied.

All the logs of a broker share one `TailBudget` of bytes. An append that goes over it drops
its own partition's oldest batches; the broker's maintenance drops batches older than
`TAIL_AGE_MS_MAX`, so idle partitions give their share back.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass

from broker.record import ConsumedRecord, EncodedRecords, ProducerRecord

__all__ = ["TAIL_AGE_MS_MAX", "TAIL_BYTES_DEFAULT", "TailBudget", "TailRead", "TailRecords"]

TAIL_BYTES_DEFAULT = 32 * 1024 * 1024
TAIL_AGE_MS_MAX = 30_000
# what a kept record costs beyond its bytes in the batch (its tuple and the objects' headers)
_RECORD_OVERHEAD_BYTES = 128


class TailBudget:
    """The bytes the tails of one broker's partitions may hold together. Thread-safe."""

    def __init__(self, bytes_max: int = TAIL_BYTES_DEFAULT) -> None:
        if bytes_max < 0:
            raise ValueError(f"tail bytes_max {bytes_max} < 0")
        self.bytes_max = bytes_max
        self._lock = threading.Lock()
        self.bytes = 0

    def add(self, size: int) -> bool:
        """Count `size` more bytes; True while the total is within the budget."""
        with self._lock:
            self.bytes += size
            return self.bytes <= self.bytes_max

    def remove(self, size: int) -> bool:
        with self._lock:
            self.bytes -= size
            return self.bytes <= self.bytes_max


@dataclass(frozen=True, slots=True)
class _Kept:
    base_offset: int
    next_offset: int
    length: int  # the batch's bytes in its segment (what a fetch's bytes_max counts)
    cost: int  # what it counts against the budget
    records: Sequence[ProducerRecord]
    timestamps_ms: list[int] | None  # None: every record has `timestamp_ms`
    timestamp_ms: int
    kept_ms: int


@dataclass(frozen=True, slots=True)
class TailRead:
    """What a read found kept: `(batch, skip, take)` per batch, the bytes of those batches
    and the offset after them. `records()` builds the records, outside the log's lock."""

    batches: list[tuple[_Kept, int, int]]
    bytes_read: int
    next_offset: int

    def records(self, topic: str, partition: int) -> list[ConsumedRecord]:
        out: list[ConsumedRecord] = []
        new = tuple.__new__
        cls = ConsumedRecord
        for batch, skip, take in self.batches:
            records = batch.records
            if skip or take < len(records):
                records = records[skip : skip + take]
            first = batch.base_offset + skip
            stamps = batch.timestamps_ms
            if stamps is None:
                ts = batch.timestamp_ms
                out += [
                    new(cls, (topic, partition, first + j, ts, r[1], r[0], r[2]))
                    for j, r in enumerate(records)
                ]
            else:
                out += [
                    new(cls, (topic, partition, first + j, stamps[skip + j], r[1], r[0], r[2]))
                    for j, r in enumerate(records)
                ]
        return out


class TailRecords:
    """One partition's kept batches, oldest first, possibly with gaps (a batch that was not
    kept). Not thread-safe: the partition's log calls it under its lock."""

    def __init__(self, topic: str, partition: int, budget: TailBudget) -> None:
        self.topic = topic
        self.partition = partition
        self._budget = budget
        self._kept: list[_Kept] = []  # from index _first on; the ones before are dropped
        self._first = 0

    def __len__(self) -> int:
        return len(self._kept) - self._first

    def _drop_oldest(self) -> bool:
        """Forget the oldest kept batch; True if the budget is met now."""
        within = self._budget.remove(self._kept[self._first].cost)
        self._first += 1
        if self._first == len(self._kept):
            self._kept.clear()
            self._first = 0
        elif self._first >= 64 and 2 * self._first >= len(self._kept):
            del self._kept[: self._first]
            self._first = 0
        return within

    def keep(
        self,
        base_offset: int,
        length: int,
        encoded: EncodedRecords,
        records: Sequence[ProducerRecord],
        now_ms: int,
    ) -> None:
        """Keep the batch just appended at `base_offset` (if its records can be served as
        they are, and the budget has room once this partition's oldest batches are gone)."""
        if not encoded.plain:
            return
        cost = length + _RECORD_OVERHEAD_BYTES * encoded.count
        self._kept.append(
            _Kept(
                base_offset,
                base_offset + encoded.count,
                length,
                cost,
                tuple(records),  # the caller may reuse its list; the records are immutable
                encoded.timestamps_ms,
                encoded.first_timestamp_ms,
                now_ms,
            )
        )
        within = self._budget.add(cost)
        while not within and len(self):
            within = self._drop_oldest()

    def drop_before(self, offset: int) -> None:
        """Forget batches wholly before `offset` (retention removed them from the log)."""
        while len(self) and self._kept[self._first].next_offset <= offset:
            self._drop_oldest()

    def drop_older(self, now_ms: int, age_ms_max: int = TAIL_AGE_MS_MAX) -> None:
        while len(self) and now_ms - self._kept[self._first].kept_ms > age_ms_max:
            self._drop_oldest()

    def clear(self) -> None:
        while len(self):
            self._drop_oldest()

    def read(self, offset: int, *, records_max: int, bytes_max: int) -> TailRead | None:
        """The kept batches holding the records from `offset` on, under the rules of
        `PartitionLog.read` (whole batches, at least one; `bytes_max` stops before a batch
        that would go over it; at most `records_max` records); None unless a kept batch
        holds `offset`. Stops at a gap (the caller reads on from the segments)."""
        kept, first = self._kept, self._first
        if first == len(kept) or not kept[first].base_offset <= offset < kept[-1].next_offset:
            return None
        i = bisect.bisect_right(kept, offset, lo=first, key=_base_offset) - 1
        if kept[i].next_offset <= offset:
            return None  # in a gap
        found: list[tuple[_Kept, int, int]] = []
        records = read_bytes = 0
        expected = kept[i].base_offset
        for n in range(i, len(kept)):
            batch = kept[n]
            if batch.base_offset != expected or (found and read_bytes + batch.length > bytes_max):
                break
            skip = offset - batch.base_offset if offset > batch.base_offset else 0
            take = min(batch.next_offset - batch.base_offset - skip, records_max - records)
            found.append((batch, skip, take))
            records += take
            read_bytes += batch.length
            expected = batch.next_offset
            if records >= records_max or read_bytes >= bytes_max:
                break
        return TailRead(found, read_bytes, expected)


def _base_offset(kept: _Kept) -> int:
    return kept.base_offset
