"""Charter's broker embedded in the process: `memory://[name]` or `file:///path`.

One `broker.Broker` serves every producer and consumer of the process that names the same
URL (a data directory is owned by one process). A `file://` broker closes when the last of
them closes; a `memory://` broker lives, in a temporary directory, until the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from broker import Broker, BrokerError, ProducerRecord, TopicConfig, TopicExistsError
from broker import Consumer as BrokerConsumer
from broker.errors import StaleGenerationError, UnknownMemberError
from sdk.errors import ConfigurationError, TransportError
from sdk.transports.base import RawRecord, TopicPartition
from sdk.transports.batching import BatchingProducer

__all__ = ["EmbeddedConsumer", "EmbeddedProducer", "shared_broker"]

_brokers: dict[str, tuple[Broker, int, Path | None]] = {}
_brokers_lock = threading.Lock()


def _key_and_dir(url: str) -> tuple[str, Path | None]:
    parts = urlsplit(url)
    if parts.scheme == "memory":
        return f"memory://{parts.netloc}{parts.path}", None
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost") or not path:
        raise ConfigurationError(f"{url!r}: a file broker URL is file:///absolute/path")
    resolved = Path(path).resolve()
    return f"file://{resolved}", resolved


def acquire(url: str) -> tuple[str, Broker]:
    key, directory = _key_and_dir(url)
    with _brokers_lock:
        found = _brokers.get(key)
        if found is not None:
            _brokers[key] = (found[0], found[1] + 1, found[2])
            return key, found[0]
        temp = None
        if directory is None:
            temp = Path(tempfile.mkdtemp(prefix="charter-memory-broker-"))
            directory = temp
        try:
            broker = Broker(directory)
        except BrokerError as exc:
            raise TransportError(f"cannot open the broker at {url!r}: {exc}") from exc
        _brokers[key] = (broker, 1, temp)
        return key, broker


def release(key: str) -> None:
    with _brokers_lock:
        broker, count, temp = _brokers[key]
        # a memory:// broker lives as long as the process, like an in-memory database
        if count > 1 or temp is not None:
            _brokers[key] = (broker, count - 1, temp)
            return
        del _brokers[key]
    broker.close()


@atexit.register
def _close_memory_brokers() -> None:
    with _brokers_lock:
        found = [(b, t) for b, _, t in _brokers.values() if t is not None]
    for broker, temp in found:
        with contextlib.suppress(Exception):
            broker.close()
        shutil.rmtree(temp, ignore_errors=True)


class shared_broker:
    """`with shared_broker(url) as broker:` the process's broker for `url` (admin, tests)."""

    def __init__(self, url: str) -> None:
        self._key, self.broker = acquire(url)

    def __enter__(self) -> Broker:
        return self.broker

    def __exit__(self, *exc: object) -> None:
        release(self._key)


def ensure_topic(broker: Broker, topic: str, partitions: int) -> None:
    if topic in broker.list_topics():
        return
    with contextlib.suppress(TopicExistsError):  # another client created it meanwhile
        broker.create_topic(topic, TopicConfig(partitions=partitions))


class EmbeddedProducer(BatchingProducer):
    def __init__(
        self,
        url: str,
        *,
        linger_ms: float = 5.0,
        batch_size: int = 500,
        partitions: int = 1,
        auto_create_topics: bool = True,
    ) -> None:
        self._key, self.broker = acquire(url)
        super().__init__(
            linger_ms=linger_ms,
            batch_size=batch_size,
            partitions=partitions,
            auto_create_topics=auto_create_topics,
        )

    def _ensure_topic(self, topic: str) -> None:
        ensure_topic(self.broker, topic, self.partitions)

    def _produce(self, topic: str, records: list[ProducerRecord]) -> None:
        self.broker.produce(topic, records)

    def _release(self) -> None:
        release(self._key)


class LogConsumer:
    """A `broker.Consumer` over a broker, or over anything shaped like one (the HTTP adapter)."""

    # what the broker (or the way to it) raises; translated into TransportError
    failures: tuple[type[Exception], ...] = (BrokerError,)

    def __init__(
        self,
        broker: Any,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        session_timeout_ms: int = 10_000,
        **options: Any,
    ) -> None:
        self.broker = broker
        try:
            self._consumer = BrokerConsumer(
                broker,
                topics,
                group=group,
                auto_offset_reset=auto_offset_reset,  # type: ignore[arg-type]
                session_timeout_ms=session_timeout_ms,
                **options,
            )
        except self.failures as exc:
            raise TransportError(f"cannot join {group!r} on {list(topics)}: {exc}") from exc

    def poll(self, timeout_s: float, max_records: int) -> list[RawRecord]:
        self._consumer.records_max = max_records
        try:
            got = self._consumer.poll(wait_ms=int(timeout_s * 1000))
        except self.failures as exc:
            raise TransportError(str(exc)) from exc
        return [
            RawRecord(r.topic, r.partition, r.offset, r.timestamp_ms, r.key, r.value, r.headers)
            for r in got
        ]

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            self._consumer.commit(offsets)
        except (StaleGenerationError, UnknownMemberError) as exc:
            raise TransportError(f"commit rejected after a rebalance: {exc}") from exc
        except self.failures as exc:
            raise TransportError(str(exc)) from exc

    def assignment(self) -> list[TopicPartition]:
        return list(self._consumer.assignment())

    def seek(self, tp: TopicPartition, offset: int) -> None:
        try:
            self._consumer.seek(tp, offset)
        except self.failures as exc:
            raise TransportError(str(exc)) from exc

    def seek_to_beginning(self) -> None:
        self._consumer.seek_to_beginning()

    def seek_to_time(self, timestamp_ms: int) -> None:
        self._consumer.seek_to_time(timestamp_ms)

    def end_offsets(self) -> dict[TopicPartition, int] | None:
        return {tp: self.broker.offsets(*tp)[1] for tp in self._consumer.assignment()}

    def close(self) -> None:
        self._consumer.close()


class EmbeddedConsumer(LogConsumer):
    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        partitions: int = 1,
        auto_create_topics: bool = True,
        **options: Any,
    ) -> None:
        self._key, broker = acquire(url)
        try:
            if auto_create_topics:
                for topic in topics:
                    ensure_topic(broker, topic, partitions)
            super().__init__(broker, group, topics, auto_offset_reset, **options)
        except BaseException:
            release(self._key)
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            release(self._key)
