"""The broker's one API shape: what the in-process `Broker` and the HTTP `BrokerClient` share.

`BrokerAPI` (topics, produce, fetch, offsets, lag) and `GroupsAPI` (its `groups`: membership,
commits) are satisfied by `broker.Broker` and by `broker.client.BrokerClient` alike, and both
answer with the frozen values below, so code written against the protocols (the group
`Consumer`, the SDK's transports, the Kafka listener) runs unchanged in process or remote.
Errors are the broker's own exceptions (`broker.errors`) on both sides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from broker.config import TopicConfig
from broker.record import ConsumedRecord, ProducerRecord

__all__ = [
    "FETCH_BYTES_DEFAULT",
    "FETCH_RECORDS_DEFAULT",
    "Assignment",
    "Assignor",
    "BrokerAPI",
    "FetchedRecords",
    "GroupDescription",
    "GroupsAPI",
    "MemberDescription",
    "PartitionDescription",
    "PartitionLag",
    "TopicDescription",
    "TopicPartition",
]

TopicPartition = tuple[str, int]
Assignor = Literal["range", "roundrobin"]
FETCH_RECORDS_DEFAULT = 500
FETCH_BYTES_DEFAULT = 1024 * 1024


# ---------------------------------------------------------------------- values


@dataclass(frozen=True, slots=True)
class PartitionDescription:
    partition: int
    log_start_offset: int
    log_end_offset: int
    size_bytes: int
    segments: int
    open_files: int = 0  # segment and index files held open now (the broker bounds them)


@dataclass(frozen=True, slots=True)
class TopicDescription:
    name: str
    config: TopicConfig
    partitions: tuple[PartitionDescription, ...]


@dataclass(frozen=True, slots=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    log_end_offset: int
    lag: int


@dataclass(frozen=True, slots=True)
class FetchedRecords:
    """One partition's answer to a fetch: its records from the asked offset, and its bounds.

    `bytes_read` counts the whole batches read (the first may start before the offset).
    """

    records: list[ConsumedRecord]
    log_start_offset: int
    log_end_offset: int
    bytes_read: int


@dataclass(frozen=True, slots=True)
class Assignment:
    group: str
    member_id: str
    generation: int
    partitions: tuple[TopicPartition, ...]


@dataclass(frozen=True, slots=True)
class MemberDescription:
    member_id: str
    topics: tuple[str, ...]
    partitions: tuple[TopicPartition, ...]


@dataclass(frozen=True, slots=True)
class GroupDescription:
    group: str
    generation: int
    assignor: str
    members: tuple[MemberDescription, ...]
    committed: dict[TopicPartition, int]


# ---------------------------------------------------------------------- protocols


class GroupsAPI(Protocol):
    """Consumer groups: the broker assigns partitions; commits name member and generation."""

    def join(
        self,
        group: str,
        topics: Iterable[str],
        *,
        member_id: str | None = None,
        session_timeout_ms: int = 10_000,
        assignor: Assignor = "range",
        client_id: str = "consumer",
    ) -> Assignment:
        """Join (or re-join as `member_id`); a new member starts a new generation."""
        ...

    def heartbeat(self, group: str, member_id: str, generation: int) -> None:
        """Keep the membership alive; `StaleGenerationError` when the group has moved on."""
        ...

    def sync(self, group: str, member_id: str) -> Assignment:
        """The member's assignment in the current generation."""
        ...

    def leave(self, group: str, member_id: str) -> None: ...

    def commit(
        self,
        group: str,
        offsets: Mapping[TopicPartition, int],
        *,
        member_id: str | None = None,
        generation: int = -1,
    ) -> None:
        """Durably record the next offset to consume per partition."""
        ...

    def committed(self, group: str, topic: str, partition: int) -> int | None: ...

    def list_groups(self) -> list[str]: ...

    def delete(self, group: str) -> None:
        """Remove a group that has no members, with its committed offsets."""
        ...

    def describe(self, group: str) -> GroupDescription:
        """Members, their partitions and the committed offsets (an unknown group is empty)."""
        ...


class BrokerAPI(Protocol):
    """Topics of partitioned logs, atomic produce, long-poll fetch, offsets and groups."""

    @property
    def groups(self) -> GroupsAPI: ...

    def create_topic(self, name: str, config: TopicConfig | None = None) -> TopicDescription: ...

    def list_topics(self) -> list[str]: ...

    def describe_topic(self, name: str) -> TopicDescription: ...

    def alter_topic(self, name: str, **changes: Any) -> TopicDescription:
        """Change settings (TopicConfig's fields); `partitions` may only grow."""
        ...

    def delete_topic(self, name: str) -> None: ...

    def partition_count(self, name: str) -> int: ...

    def produce(
        self, topic: str, records: Sequence[ProducerRecord], *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        """Append `records` atomically; (partition, offset) of each record, in order."""
        ...

    def fetch(
        self,
        topic: str,
        partition: int,
        offset: int,
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
    ) -> FetchedRecords:
        """Records from `offset`; waits up to `wait_ms` for the first one to arrive."""
        ...

    def fetch_many(
        self,
        positions: Mapping[TopicPartition, int],
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
    ) -> dict[TopicPartition, FetchedRecords]:
        """Long-poll several partitions; the limits bound the whole answer."""
        ...

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        """(log start offset, log end offset) of a partition."""
        ...

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int: ...

    def lag(self, group: str) -> list[PartitionLag]:
        """Per partition the group has committed or owns: committed offset, log end, lag."""
        ...

    def close(self) -> None: ...
