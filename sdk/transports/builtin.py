"""The transports' side of Charter's built-in broker, whichever way it is reached.

`BrokerProducer` and `BrokerConsumer` run over any `broker.BrokerAPI`: the in-process
`broker.Broker` (`embedded`: memory://, file://) or the HTTP `broker.client.BrokerClient`
(`http`: charter://). Both answer with the same values, so nothing here adapts one to the
other; the two modules only say how the broker is reached and released.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from broker import BrokerAPI, BrokerError, ProducerRecord, TopicConfig, TopicExistsError
from broker import Consumer as GroupConsumer
from broker.errors import StaleGenerationError, UnknownMemberError
from sdk.errors import TransportError
from sdk.transports.base import OutRecord, RawRecord, TopicPartition
from sdk.transports.batching import Batcher

__all__ = ["BrokerConsumer", "BrokerProducer", "ensure_topic"]


def ensure_topic(broker: BrokerAPI, topic: str, partitions: int) -> None:
    if topic in broker.list_topics():
        return
    with contextlib.suppress(TopicExistsError):  # another client created it meanwhile
        broker.create_topic(topic, TopicConfig(partitions=partitions))


class BrokerProducer:
    """Records are batched per topic; a missing topic is created once, on first use.

    `release` runs once, on close, after the last delivery (it gives the broker back).
    """

    def __init__(
        self,
        broker: BrokerAPI,
        release: Callable[[], None],
        *,
        linger_ms: float = 5.0,
        batch_size: int = 500,
        partitions: int = 1,
        auto_create_topics: bool = True,
    ) -> None:
        self.broker = broker
        self.partitions = partitions
        self.auto_create_topics = auto_create_topics
        self._release = release
        self._known: set[str] = set()  # touched only by deliveries, which run one at a time
        self._batcher = Batcher(self._deliver, linger_ms=linger_ms, batch_size=batch_size)

    def _deliver(self, topic: str, records: list[OutRecord]) -> None:
        if self.auto_create_topics and topic not in self._known:
            ensure_topic(self.broker, topic, self.partitions)
            self._known.add(topic)
        self.broker.produce(topic, [ProducerRecord(r.value, r.key, r.headers) for r in records])

    def send(self, topic: str, records: Sequence[OutRecord]) -> None:
        self._batcher.send(topic, records)

    def flush(self, timeout_s: float) -> None:
        self._batcher.flush()

    def close(self) -> None:
        try:
            self._batcher.close()
        finally:
            self._release()


class BrokerConsumer:
    """A `broker.Consumer` (the broker's group logic) behind the `ConsumerTransport` protocol.

    `release` runs once, on close or when the consumer cannot be set up.
    """

    # what the broker (or the way to it) raises; translated into TransportError
    failures: tuple[type[Exception], ...] = (BrokerError,)

    def __init__(
        self,
        broker: BrokerAPI,
        release: Callable[[], None],
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        partitions: int = 1,
        auto_create_topics: bool = True,
        session_timeout_ms: int = 10_000,
        **options: Any,
    ) -> None:
        self.broker = broker
        self._release = release
        try:
            if auto_create_topics:
                for topic in topics:
                    ensure_topic(broker, topic, partitions)
            self._consumer = GroupConsumer(
                broker,
                topics,
                group=group,
                auto_offset_reset=auto_offset_reset,  # type: ignore[arg-type]
                session_timeout_ms=session_timeout_ms,
                **options,
            )
        except self.failures as exc:
            release()
            raise TransportError(f"cannot join {group!r} on {list(topics)}: {exc}") from exc
        except BaseException:
            release()
            raise

    def poll(self, timeout_s: float, max_records: int) -> list[RawRecord]:
        self._consumer.records_max = max_records
        try:
            got = self._consumer.poll(wait_ms=int(timeout_s * 1000))
        except self.failures as exc:
            raise TransportError(str(exc)) from exc
        return list(map(RawRecord._make, got))  # the same fields, in the same order

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
        try:
            self._consumer.close()
        finally:
            self._release()
