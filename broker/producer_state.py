"""Idempotent producers' sequences in one partition, kept by its log from the v2 batches it holds.

A Kafka producer with `enable.idempotence` numbers its batches per partition. The log checks
each magic 2 batch of such a producer (producer id ≥ 0) as it appends it, under its lock:
a batch equal to one of the producer's last five is a retry (DuplicateSequenceError, with
the offset it was first given), a batch of an older epoch is refused
(ProducerFencedError), and a gap in the sequence, or a new epoch not starting at 0, is
refused (OutOfOrderSequenceError). A producer the partition does not know is taken as it
comes. The state is rebuilt when a log opens, as Kafka's is, from a snapshot and the batch
headers after it: `snapshot()` is written when a segment is rolled (the state as of that
segment's start), and the segments from the checkpoint on are read in any case on open.

At most `producers_max` producers are kept per partition, the one that appended least
recently forgotten first (Kafka expires idle producer ids likewise).

Snapshot layout (big-endian): u8 version 1, u32 producer count, then per producer i64 id,
i16 epoch, u8 batch count and per batch i32 first sequence, i32 last sequence, i64 base
offset; then the CRC32C of all that, u32. A snapshot that does not verify is ignored.

The errors subclass InvalidConfigError: to the HTTP API (which may carry a v2 batch) they
are a produce request it cannot take, 422; the Kafka listener answers each with its code.
"""

from __future__ import annotations

import collections
import struct
from dataclasses import dataclass, field

from crc32c import crc32c

from broker.errors import InvalidConfigError

__all__ = [
    "PRODUCERS_MAX",
    "RECENT_BATCHES",
    "DuplicateSequenceError",
    "OutOfOrderSequenceError",
    "ProducerFencedError",
    "ProducerState",
    "SequenceError",
]

RECENT_BATCHES = 5  # what Kafka keeps per producer and partition (max.in.flight ≤ 5)
PRODUCERS_MAX = 1_000
_SEQUENCE_WRAP = 1 << 31
_VERSION = 1
_HEAD = struct.Struct(">BI")
_PRODUCER = struct.Struct(">qhB")
_BATCH = struct.Struct(">iiq")
_CRC = struct.Struct(">I")


class SequenceError(InvalidConfigError):
    """An idempotent producer's batch that is not appended; see the subclasses."""

    def __init__(self, reason: str) -> None:
        super().__init__("producer sequence", reason)


class DuplicateSequenceError(SequenceError):
    """A retry of a batch the partition holds: `base_offset` is where it was appended."""

    def __init__(self, producer_id: int, first: int, base_offset: int) -> None:
        super().__init__(
            f"producer {producer_id}: sequence {first} is already stored at {base_offset}"
        )
        self.base_offset = base_offset


class OutOfOrderSequenceError(SequenceError):
    pass


class ProducerFencedError(SequenceError):
    pass


@dataclass
class _Producer:
    epoch: int
    recent: collections.deque[tuple[int, int, int]] = field(
        default_factory=lambda: collections.deque(maxlen=RECENT_BATCHES)
    )  # (first sequence, last sequence, base offset), oldest first


class ProducerState:
    """The producers of one partition; not thread-safe (the log calls it under its lock)."""

    def __init__(self, producers_max: int = PRODUCERS_MAX) -> None:
        self.producers_max = producers_max
        self._producers: collections.OrderedDict[int, _Producer] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._producers)

    def check(self, producer_id: int, epoch: int, first: int, count: int) -> None:
        """Raise unless the batch may be appended (see the module docstring)."""
        known = self._producers.get(producer_id)
        if known is None:
            return
        if epoch < known.epoch:
            raise ProducerFencedError(
                f"producer {producer_id}: epoch {epoch} is older than {known.epoch}"
            )
        if epoch > known.epoch:
            if first != 0:
                raise OutOfOrderSequenceError(
                    f"producer {producer_id}: epoch {epoch} starts at sequence {first}, not 0"
                )
            return
        last = (first + count - 1) % _SEQUENCE_WRAP
        for seen_first, seen_last, offset in known.recent:
            if (seen_first, seen_last) == (first, last):
                raise DuplicateSequenceError(producer_id, first, offset)
        expected = (known.recent[-1][1] + 1) % _SEQUENCE_WRAP if known.recent else 0
        if first != expected:
            raise OutOfOrderSequenceError(
                f"producer {producer_id}: sequence {first}, expected {expected}"
            )

    def appended(
        self, producer_id: int, epoch: int, first: int, count: int, base_offset: int
    ) -> None:
        known = self._producers.get(producer_id)
        if known is None or known.epoch != epoch:
            known = self._producers[producer_id] = _Producer(epoch)
        known.recent.append((first, (first + count - 1) % _SEQUENCE_WRAP, base_offset))
        self._producers.move_to_end(producer_id)
        while len(self._producers) > self.producers_max:
            self._producers.popitem(last=False)

    def snapshot(self) -> bytes:
        parts = [_HEAD.pack(_VERSION, len(self._producers))]
        for producer_id, known in self._producers.items():
            parts.append(_PRODUCER.pack(producer_id, known.epoch, len(known.recent)))
            parts.extend(_BATCH.pack(*batch) for batch in known.recent)
        body = b"".join(parts)
        return body + _CRC.pack(crc32c(body))

    @classmethod
    def from_snapshot(cls, raw: bytes, producers_max: int = PRODUCERS_MAX) -> ProducerState | None:
        """The state a snapshot holds; None if it does not verify."""
        if len(raw) < _HEAD.size + _CRC.size:
            return None
        body, (crc,) = raw[: -_CRC.size], _CRC.unpack_from(raw, len(raw) - _CRC.size)
        if crc32c(body) != crc:
            return None
        state = cls(producers_max)
        try:
            version, count = _HEAD.unpack_from(body)
            if version != _VERSION:
                return None
            pos = _HEAD.size
            for _ in range(count):
                producer_id, epoch, batches = _PRODUCER.unpack_from(body, pos)
                pos += _PRODUCER.size
                known = _Producer(epoch)
                for _ in range(batches):
                    known.recent.append(_BATCH.unpack_from(body, pos))
                    pos += _BATCH.size
                state._producers[producer_id] = known
        except struct.error:
            return None
        if pos != len(body):
            return None
        while len(state._producers) > producers_max:
            state._producers.popitem(last=False)
        return state
