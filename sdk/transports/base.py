"""The transport protocols, the records they carry, and URL dispatch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from sdk.errors import ConfigurationError

__all__ = [
    "ConsumerTransport",
    "Header",
    "OutRecord",
    "ProducerTransport",
    "RawRecord",
    "TopicPartition",
    "open_consumer",
    "open_producer",
]

Header = tuple[str, bytes | None]
TopicPartition = tuple[str, int]


@dataclass(frozen=True, slots=True)
class OutRecord:
    """A framed record on its way to the broker."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class RawRecord:
    """A record as a transport returns it, before the value is decoded."""

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


def _scheme(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("memory", "file", "charter", "kafka"):
        raise ConfigurationError(
            f"unknown broker URL {url!r}: use memory://, file:///path, charter://host:port "
            "or kafka://host:port"
        )
    return scheme


def open_producer(url: str, options: dict[str, Any]) -> ProducerTransport:
    scheme = _scheme(url)
    if scheme in ("memory", "file"):
        from sdk.transports.embedded import EmbeddedProducer

        return EmbeddedProducer(url, **options)
    if scheme == "charter":
        from sdk.transports.http import HttpProducer

        return HttpProducer(url, **options)
    from sdk.transports.kafka import KafkaProducer

    return KafkaProducer(url, **options)


def open_consumer(
    url: str,
    *,
    group: str | None,
    topics: Sequence[str],
    auto_offset_reset: str,
    options: dict[str, Any],
) -> ConsumerTransport:
    scheme = _scheme(url)
    if scheme in ("memory", "file"):
        from sdk.transports.embedded import EmbeddedConsumer

        return EmbeddedConsumer(url, group, topics, auto_offset_reset, **options)
    if scheme == "charter":
        from sdk.transports.http import HttpConsumer

        return HttpConsumer(url, group, topics, auto_offset_reset, **options)
    from sdk.transports.kafka import KafkaConsumer

    return KafkaConsumer(url, group, topics, auto_offset_reset, **options)
