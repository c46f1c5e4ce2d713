"""The transports' side of Charter's built-in broker, whichever way it is reached.

`BrokerProducer` and `BrokerConsumer` run over any `broker.BrokerAPI`: the in-process
`broker.Broker` (`embedded`: memory://, file://) or the HTTP `broker.client.BrokerClient`
(`http`: charter://). Both answer with the same values, so nothing here adapts one to the
other; the two modules only say how the broker is reached and released.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from broker import BrokerAPI, BrokerError, ProducerRecord, TopicConfig, TopicExistsError
from broker import Consumer as GroupConsumer
from broker.config import FlushPolicy
from broker.errors import StaleGenerationError, UnknownMemberError
from broker.placement import keyed_partition
from sdk.errors import TransportError
from sdk.transports.base import OutRecord, RawRecord, TopicPartition
from sdk.transports.batching import Batcher, Undelivered

__all__ = ["BrokerConsumer", "BrokerProducer", "ensure_topic"]

_SIDE_BY_SIDE_MAX = 8  # appends of one delivery under way at once
SESSION_TIMEOUT_MS_DEFAULT = 10_000  # a group member's, unless the consumer is given one


def ensure_topic(
    broker: BrokerAPI, topic: str, partitions: int, flush: FlushPolicy = "always"
) -> None:
    """Create `topic` unless it exists, with `partitions` and the flush policy `flush`."""
    if topic in broker.list_topics():
        return
    with contextlib.suppress(TopicExistsError):  # another client created it meanwhile
        broker.create_topic(topic, TopicConfig(partitions=partitions, flush=flush))


# a producer remembers the partitions of up to 16,384 keys of up to 64 bytes per partition
# count, for up to 8 counts (then it forgets and starts again): a dict look-up per record
# instead of murmur2 in Python
_CACHED_KEYS_MAX = 16_384
_CACHED_KEY_BYTES_MAX = 64
_CACHED_COUNTS_MAX = 8
_new_record = tuple.__new__  # ProducerRecord(value, key, headers) without its __new__
# a ConsumedRecord's fields as a RawRecord, without RawRecord._make's Python frame
_raw_record = functools.partial(tuple.__new__, RawRecord)


class BrokerProducer:
    """Records are batched per topic; a missing topic is created once, on first use (with
    `topic_flush`, see `ensure_topic`).

    With `split_partitions` (an in-process broker) the producer places records itself, as a
    Kafka client does and by the broker's rule (keyed: murmur2; unkeyed: one partition per
    delivery, in turn), and hands the broker one batch per partition. Batches for partitions
    of a topic that fsyncs every append are appended side by side, so their fsyncs overlap
    instead of queueing; a delivery still ends only when all its batches are appended, so
    the records of a key keep their order. Without it each delivery is one `produce` call
    (one request, over HTTP) that the broker places.

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
        topic_flush: FlushPolicy = "always",
        split_partitions: bool = False,
    ) -> None:
        self.broker = broker
        self.partitions = partitions
        self.topic_flush: FlushPolicy = topic_flush
        self.auto_create_topics = auto_create_topics
        self.split_partitions = split_partitions
        self._release = release
        # touched only by deliveries, which run one at a time
        self._known: set[str] = set()
        self._fsyncs: dict[str, bool] = {}  # per topic: does every append fsync?
        self._turn = itertools.count()
        self._placed: dict[int, dict[bytes, int]] = {}  # key -> partition, per count
        self._pool: ThreadPoolExecutor | None = None
        self._batcher = Batcher(self._deliver, linger_ms=linger_ms, batch_size=batch_size)

    def _deliver(self, topic: str, records: list[OutRecord]) -> None:
        if self.auto_create_topics and topic not in self._known:
            ensure_topic(self.broker, topic, self.partitions, self.topic_flush)
            self._known.add(topic)
        if not self.split_partitions:
            self.broker.produce(
                topic, [ProducerRecord(r.value, r.key, r.headers) for r in records]
            )
            return
        count = self.broker.partition_count(topic)
        placed = self._placed.get(count)
        if placed is None or len(placed) >= _CACHED_KEYS_MAX:
            if len(self._placed) >= _CACHED_COUNTS_MAX:
                self._placed.clear()
            placed = self._placed[count] = {}
        parts: dict[int, list[ProducerRecord]] = {}
        unkeyed: int | None = None
        new, record_type = _new_record, ProducerRecord
        for value, key, headers in records:  # per record: kept lean
            if key is None:
                if unkeyed is None:
                    unkeyed = next(self._turn) % count
                p = unkeyed
            else:
                p = placed.get(key, -1)
                if p < 0:
                    p = keyed_partition(key, count)
                    if len(key) <= _CACHED_KEY_BYTES_MAX:
                        placed[key] = p
            part = parts.get(p)
            if part is None:
                part = parts[p] = []
            part.append(new(record_type, (value, key, headers, None, None)))
        if len(parts) == 1 or not self._fsyncs_appends(topic):
            failures = []
            for p, part in parts.items():
                try:
                    self.broker.produce(topic, part, partition=p)
                except Exception as exc:
                    failures.append((len(part), exc))
        else:
            failures = self._produce_side_by_side(topic, parts)
        if failures:
            raise Undelivered(
                sum(n for n, _ in failures), f"{type(failures[0][1]).__name__}: {failures[0][1]}"
            )

    def _fsyncs_appends(self, topic: str) -> bool:
        found = self._fsyncs.get(topic)
        if found is None:
            found = self._fsyncs[topic] = self.broker.describe_topic(topic).config.flush == "always"
        return found

    def _produce_side_by_side(
        self, topic: str, parts: dict[int, list[ProducerRecord]]
    ) -> list[tuple[int, Exception]]:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=_SIDE_BY_SIDE_MAX, thread_name_prefix="charter-append"
            )
        pool = self._pool
        futures = [
            (len(part), pool.submit(self.broker.produce, topic, part, partition=p))
            for p, part in parts.items()
        ]
        failures: list[tuple[int, Exception]] = []
        for size, future in futures:  # every one is waited for, failed or not
            exc = future.exception()
            if isinstance(exc, Exception):
                failures.append((size, exc))
            elif exc is not None:
                raise exc
        return failures

    def send(self, topic: str, records: Sequence[OutRecord]) -> None:
        self._batcher.send(topic, records)

    def flush(self, timeout_s: float) -> None:
        self._batcher.flush()

    def close(self) -> None:
        try:
            self._batcher.close()
        finally:
            if self._pool is not None:
                self._pool.shutdown()
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
        session_timeout_ms: int = SESSION_TIMEOUT_MS_DEFAULT,
        topic_flush: FlushPolicy = "always",
        **options: Any,
    ) -> None:
        self.broker = broker
        self._release = release
        try:
            if auto_create_topics:
                for topic in topics:
                    ensure_topic(broker, topic, partitions, topic_flush)
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
        return list(map(_raw_record, got))  # the same fields, in the same order

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
