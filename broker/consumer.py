"""A consumer: group membership, positions, polling, commits and seeks.

Runs against any `BrokerAPI`: the in-process `Broker` or, over HTTP, a `BrokerClient`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Sequence
from typing import Literal

from broker.api import Assignor, BrokerAPI, TopicPartition
from broker.errors import (
    InvalidConfigError,
    OffsetOutOfRangeError,
    StaleGenerationError,
    UnknownMemberError,
)
from broker.record import ConsumedRecord

__all__ = ["Consumer", "OffsetReset"]

OffsetReset = Literal["earliest", "latest", "none"]


class Consumer:
    """Reads `topics` alone (group None: every partition) or as a member of `group`.

    Positions live in the consumer, as in Kafka: a partition without one starts at the group's
    committed offset, else per `auto_offset_reset`. `poll` heartbeats; when the group has moved
    to a new generation it fetches the new assignment and drops positions it no longer owns.
    """

    def __init__(
        self,
        broker: BrokerAPI,
        topics: Sequence[str],
        *,
        group: str | None = None,
        auto_offset_reset: OffsetReset = "earliest",
        session_timeout_ms: int = 10_000,
        assignor: Assignor = "range",
        client_id: str = "consumer",
        records_max: int = 500,
        bytes_max: int = 1024 * 1024,
    ) -> None:
        if auto_offset_reset not in ("earliest", "latest", "none"):
            raise InvalidConfigError("auto_offset_reset", repr(auto_offset_reset))
        self.broker = broker
        self.topics = tuple(topics)
        self.group = group
        self.auto_offset_reset = auto_offset_reset
        self.session_timeout_ms = session_timeout_ms
        self.assignor: Assignor = assignor
        self.client_id = client_id
        self.records_max = records_max
        self.bytes_max = bytes_max
        self.member_id: str | None = None
        self.generation = -1
        self._assigned: tuple[TopicPartition, ...] = ()
        self._positions: dict[TopicPartition, int] = {}
        self._turn = 0
        self._join()

    # ------------------------------------------------------------------ membership

    def _join(self) -> None:
        if self.group is None:
            self._set_assignment(
                tuple((t, p) for t in self.topics for p in range(self.broker.partition_count(t)))
            )
            return
        assignment = self.broker.groups.join(
            self.group,
            self.topics,
            member_id=self.member_id,
            session_timeout_ms=self.session_timeout_ms,
            assignor=self.assignor,
            client_id=self.client_id,
        )
        self.member_id = assignment.member_id
        self.generation = assignment.generation
        self._set_assignment(assignment.partitions)

    def _set_assignment(self, partitions: tuple[TopicPartition, ...]) -> None:
        self._assigned = partitions
        self._positions = {tp: o for tp, o in self._positions.items() if tp in partitions}

    def assignment(self) -> tuple[TopicPartition, ...]:
        return self._assigned

    def heartbeat(self) -> bool:
        """Keep the membership alive; True if the assignment changed."""
        if self.group is None or self.member_id is None:
            return False
        try:
            self.broker.groups.heartbeat(self.group, self.member_id, self.generation)
            return False
        except StaleGenerationError:
            assignment = self.broker.groups.sync(self.group, self.member_id)
            self.generation = assignment.generation
            # positions reset to the committed offsets: another member may have moved them
            self._positions = {}
            self._set_assignment(assignment.partitions)
            return True
        except UnknownMemberError:
            self.member_id = None
            self._positions = {}
            self._join()
            return True

    # ------------------------------------------------------------------ positions

    def position(self, tp: TopicPartition) -> int:
        if tp not in self._positions:
            self._positions[tp] = self._initial_position(tp)
        return self._positions[tp]

    def _initial_position(self, tp: TopicPartition) -> int:
        start, end = self.broker.offsets(*tp)
        if self.group is not None:
            committed = self.broker.groups.committed(self.group, *tp)
            if committed is not None and start <= committed <= end:
                return committed
        return self._reset(tp, start, end)

    def _reset(self, tp: TopicPartition, start: int, end: int) -> int:
        if self.auto_offset_reset == "earliest":
            return start
        if self.auto_offset_reset == "latest":
            return end
        raise OffsetOutOfRangeError(self._positions.get(tp, -1), start, end)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        start, end = self.broker.offsets(*tp)
        if not start <= offset <= end:
            raise OffsetOutOfRangeError(offset, start, end)
        self._positions[tp] = offset

    def seek_to_beginning(self, tps: Iterable[TopicPartition] | None = None) -> None:
        for tp in self._assigned if tps is None else tps:
            self._positions[tp] = self.broker.offsets(*tp)[0]

    def seek_to_end(self, tps: Iterable[TopicPartition] | None = None) -> None:
        for tp in self._assigned if tps is None else tps:
            self._positions[tp] = self.broker.offsets(*tp)[1]

    def seek_to_time(self, timestamp_ms: int, tps: Iterable[TopicPartition] | None = None) -> None:
        """Each partition to its first record with a timestamp ≥ `timestamp_ms`."""
        for tp in self._assigned if tps is None else tps:
            self._positions[tp] = self.broker.offset_for_time(*tp, timestamp_ms)

    # ------------------------------------------------------------------ polling and commits

    def poll(self, wait_ms: int = 0) -> list[ConsumedRecord]:
        """Records from the owned partitions, waiting up to `wait_ms` for the first.

        A group member waits in slices of a third of its session timeout and heartbeats
        between them, so a long poll never lets its membership lapse.
        """
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            self.heartbeat()
            remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
            slice_ms = remaining_ms
            if self.group is not None:
                slice_ms = min(remaining_ms, max(1, self.session_timeout_ms // 3))
            if not self._assigned:
                if remaining_ms == 0:
                    return []
                time.sleep(slice_ms / 1000)
                continue
            out = self._fetch(slice_ms)
            if out or time.monotonic() >= deadline:
                return out

    def _fetch(self, wait_ms: int) -> list[ConsumedRecord]:
        # start each fetch at the next partition, so a busy one cannot starve the rest
        self._turn = (self._turn + 1) % len(self._assigned)
        order = self._assigned[self._turn :] + self._assigned[: self._turn]
        positions = {tp: self.position(tp) for tp in order}
        try:
            fetched = self.broker.fetch_many(
                positions, records_max=self.records_max, bytes_max=self.bytes_max, wait_ms=wait_ms
            )
        except OffsetOutOfRangeError:
            for tp in self._assigned:
                start, end = self.broker.offsets(*tp)
                if not start <= positions[tp] <= end:
                    self._positions[tp] = self._reset(tp, start, end)
            return []
        out: list[ConsumedRecord] = []
        for tp, got in fetched.items():
            if got.records:
                out.extend(got.records)
                self._positions[tp] = got.records[-1].offset + 1
        return out

    def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        """Commit `offsets`, or the current position of every owned partition."""
        if offsets is None:
            offsets = {tp: o for tp, o in self._positions.items() if tp in self._assigned}
        if not offsets or self.group is None:
            return
        self.broker.groups.commit(
            self.group, offsets, member_id=self.member_id, generation=self.generation
        )

    def close(self) -> None:
        if self.group is not None and self.member_id is not None:
            with contextlib.suppress(UnknownMemberError):
                self.broker.groups.leave(self.group, self.member_id)
            self.member_id = None
