"""Idempotent producers: InitProducerId's ids and epochs, and per-partition sequence checks.

A producer with `enable.idempotence` numbers its batches per partition; the broker appends a
batch whose base sequence is the next expected one, answers a retried batch (one of the last
five) with the offset it was first given, and refuses a gap with OUT_OF_ORDER_SEQUENCE_NUMBER.
The table lives in memory: after a restart a producer's first batch per partition is taken as
it comes (its retries from before the restart are not recognised as duplicates).
"""

from __future__ import annotations

import collections
import time
from dataclasses import dataclass, field

from kio.schema.errors import ErrorCode

__all__ = ["Decision", "ProducerTable"]

_RECENT_BATCHES = 5  # what Kafka keeps per producer and partition (max.in.flight ≤ 5)
_SEQUENCE_WRAP = 1 << 31


@dataclass
class _Sequences:
    epoch: int
    next_sequence: int
    recent: collections.deque[tuple[int, int, int]] = field(
        default_factory=lambda: collections.deque(maxlen=_RECENT_BATCHES)
    )  # (first sequence, last sequence, base offset)


@dataclass(frozen=True, slots=True)
class Decision:
    """`append` the batch, or answer with `error` (NONE with `offset` for a duplicate)."""

    append: bool
    error: ErrorCode = ErrorCode.none
    offset: int = -1


_APPEND = Decision(True)


class ProducerTable:
    """Producer ids, epochs and sequences; bounded, the least recently initialised dropped."""

    def __init__(self, producers_max: int) -> None:
        self._producers_max = producers_max
        # ids start from the clock so that ids given before a restart are not handed out again
        self._next_id = time.time_ns() // 1_000_000
        self._epochs: collections.OrderedDict[int, int] = collections.OrderedDict()
        self._sequences: dict[tuple[int, str, int], _Sequences] = {}

    def init(self, producer_id: int, epoch: int) -> tuple[int, int]:
        """A new (id, epoch 0), or the next epoch of a known id the producer names."""
        if producer_id >= 0 and self._epochs.get(producer_id) == epoch:
            new_epoch = epoch + 1
        else:
            producer_id, new_epoch = self._next_id, 0
            self._next_id += 1
        self._remember(producer_id, new_epoch)
        return producer_id, new_epoch

    def _remember(self, producer_id: int, epoch: int) -> None:
        self._epochs[producer_id] = epoch
        self._epochs.move_to_end(producer_id)
        while len(self._epochs) > self._producers_max:
            gone, _ = self._epochs.popitem(last=False)
            for key in [k for k in self._sequences if k[0] == gone]:
                del self._sequences[key]

    def check(
        self, producer_id: int, epoch: int, topic: str, partition: int, first: int, count: int
    ) -> Decision:
        if producer_id < 0:
            return _APPEND
        known_epoch = self._epochs.get(producer_id)
        if known_epoch is not None and epoch < known_epoch:
            return Decision(False, ErrorCode.invalid_producer_epoch)
        state = self._sequences.get((producer_id, topic, partition))
        if state is None or epoch > state.epoch:
            # unknown to this process (new, or from before a restart): take it as it comes
            return _APPEND
        last = (first + count - 1) % _SEQUENCE_WRAP
        for seen_first, seen_last, offset in state.recent:
            if (seen_first, seen_last) == (first, last):
                return Decision(False, ErrorCode.none, offset)
        if first != state.next_sequence:
            return Decision(False, ErrorCode.out_of_order_sequence_number)
        return _APPEND

    def appended(
        self,
        producer_id: int,
        epoch: int,
        topic: str,
        partition: int,
        first: int,
        count: int,
        base_offset: int,
    ) -> None:
        if producer_id < 0:
            return
        key = (producer_id, topic, partition)
        state = self._sequences.get(key)
        if state is None or epoch > state.epoch:
            state = self._sequences[key] = _Sequences(epoch, 0)
        last = (first + count - 1) % _SEQUENCE_WRAP
        state.next_sequence = (last + 1) % _SEQUENCE_WRAP
        state.recent.append((first, last, base_offset))
        if producer_id not in self._epochs:
            self._remember(producer_id, epoch)
