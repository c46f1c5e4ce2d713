"""The transport protocols and the records they carry. Imports no transport (URL dispatch
lives in `sdk.transports.urls`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

__all__ = [
    "ConsumerTransport",
    "Header",
    "OutRecord",
    "ProducerTransport",
    "RawRecord",
    "TopicPartition",
]

Header = tuple[str, bytes | None]
TopicPartition = tuple[str, int]


class OutRecord(NamedTuple):
    """A framed record on its way to the broker (a named tuple: one per published event)."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[Header, ...] = ()


class RawRecord(NamedTuple):
    """A record as a transport returns it, before the value is decoded (a named tuple: a
    poll builds hundreds; its fields are those of the broker's `ConsumedRecord`, in order)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()


class ProducerTransport(Protocol):
    def send(self, topic: str, records: Sequence[OutRecord]) -> None:
        """Queue `records` for `topic` in order; failures surface from `flush`."""

    def flush(self, timeout_s: float) -> None:
        """Wait until every queued record is acknowledged; `DeliveryError` if any was not."""

    def close(self) -> None: ...


class ConsumerTransport(Protocol):
    def poll(self, timeout_s: float, max_records: int) -> list[RawRecord]: ...

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit the next offset to read for each partition."""

    def assignment(self) -> list[TopicPartition]: ...

    def seek(self, tp: TopicPartition, offset: int) -> None: ...

    def seek_to_beginning(self) -> None: ...

    def seek_to_time(self, timestamp_ms: int) -> None: ...

    def end_offsets(self) -> dict[TopicPartition, int] | None:
        """The log end offset of every assigned partition, or None if the broker cannot say."""

    def close(self) -> None: ...
