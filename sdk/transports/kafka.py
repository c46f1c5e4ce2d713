"""Kafka through confluent-kafka: `kafka://host:port[,host:port]`.

Producers use the `murmur2_random` partitioner, so a keyed record lands in the partition
Kafka's Java clients and Charter's broker choose. Consumers commit explicitly (no auto
commit) and create missing topics with `partitions` partitions. `config` adds or overrides
librdkafka settings. `charter://` comes here too when the server runs a Kafka listener
(`sdk.transports.charter`), with `watermarks=True`: Charter's broker reports its log end
offsets exactly, so `end_offsets` answers them.

A record the broker refuses as INVALID_RECORD (a topic's contract on Charter's broker, or
Kafka's own record checks) fails with its whole batch; librdkafka keeps the broker's
record-level message to itself, so the failure names the record by partition and key.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
)
from confluent_kafka import (
    TopicPartition as KafkaTopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic  # type: ignore[attr-defined]

from sdk.errors import ConfigurationError, DeliveryError, TransportError
from sdk.transports.base import Header, OutRecord, RawRecord, TopicPartition

__all__ = ["KafkaConsumer", "KafkaProducer", "bootstrap_servers", "ensure_topics"]

_ADMIN_TIMEOUT_S = 15.0
_START_LIST_TIMEOUT_S = 2.0  # the producer's listing of topics as it starts
_POLL_EVERY_SENDS = 256
_new_record = tuple.__new__
_ANY_PARTITION = -1  # librdkafka's RD_KAFKA_PARTITION_UA: the partitioner chooses


def bootstrap_servers(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "kafka" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Kafka URL is kafka://host:port[,host:port]")
    return parts.netloc


# a consumer's own librdkafka settings: an admin client (a producer handle inside librdkafka)
# made from a consumer's config warns of each one it is given
_CONSUMER_ONLY = frozenset(
    {
        "group.id",
        "group.instance.id",
        "group.protocol",
        "group.remote.assignor",
        "partition.assignment.strategy",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "coordinator.query.interval.ms",
        "max.poll.interval.ms",
        "enable.auto.commit",
        "auto.commit.interval.ms",
        "enable.auto.offset.store",
        "auto.offset.reset",
        "queued.min.messages",
        "queued.max.messages.kbytes",
        "fetch.wait.max.ms",
        "fetch.queue.backoff.ms",
        "fetch.message.max.bytes",
        "max.partition.fetch.bytes",
        "fetch.max.bytes",
        "fetch.min.bytes",
        "fetch.error.backoff.ms",
        "isolation.level",
        "enable.partition.eof",
        "check.crcs",
        "on_commit",
    }
)


def _admin_config(config: Mapping[str, Any], servers: str) -> dict[str, Any]:
    out = {k: v for k, v in config.items() if k not in _CONSUMER_ONLY}
    out["bootstrap.servers"] = servers
    return out


def _topic_names(client: Any, servers: str, timeout_s: float = _ADMIN_TIMEOUT_S) -> set[str]:
    try:
        return set(client.list_topics(timeout=timeout_s).topics)
    except KafkaException as exc:
        raise TransportError(f"cannot reach Kafka at {servers}: {exc}") from exc


def ensure_topics(
    servers: str,
    topics: Sequence[str],
    partitions: int,
    config: Mapping[str, Any],
    *,
    client: Any = None,
) -> None:
    """Create the topics that do not exist yet (an existing topic is left as it is).

    `client`, a confluent-kafka producer or consumer of `servers`, lists the topics over its
    own connection; without one, and to create what is missing, an admin client is made (a
    client of its own costs threads, a connection and a bootstrap)."""
    admin = None
    if client is None:
        client = admin = AdminClient(_admin_config(config, servers))
    existing = _topic_names(client, servers)
    missing = [t for t in dict.fromkeys(topics) if t not in existing]
    if not missing:
        return
    if admin is None:
        admin = AdminClient(_admin_config(config, servers))
    futures = admin.create_topics([NewTopic(t, partitions, 1) for t in missing])
    for topic, future in futures.items():
        try:
            future.result(timeout=_ADMIN_TIMEOUT_S)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TransportError(f"cannot create topic {topic!r}: {exc}") from exc


def _reason(error: KafkaError, message: Any) -> str:
    if error.code() == KafkaError.INVALID_RECORD:
        return (
            f"ContractViolation: the record of key {message.key()!r} to partition "
            f"{message.partition()} was refused with its batch by the broker's checks of the "
            f"topic's contract (Kafka INVALID_RECORD: {error.str()})"
        )
    return f"{error.name()}: {error.str()}"


class KafkaProducer:
    def __init__(
        self,
        url: str,
        *,
        linger_ms: float = 5.0,
        batch_size: int = 500,
        partitions: int = 1,
        auto_create_topics: bool = True,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        self.servers = bootstrap_servers(url)
        self._config = dict(config or {})
        self.partitions = partitions
        self.auto_create_topics = auto_create_topics
        self._known: set[str] = set()
        self._sends = 0
        self._failures: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self._producer = Producer(
            {
                "bootstrap.servers": self.servers,
                "partitioner": "murmur2_random",
                "linger.ms": linger_ms,
                "batch.num.messages": batch_size,
                "acks": "all",
                # one request in flight per connection keeps per-key order through retries
                "max.in.flight.requests.per.connection": 1,
                # only failures call back into Python (flush still waits for every record)
                "delivery.report.only.error": True,
                "on_delivery": self._on_delivery,
                **self._config,
            }
        )
        if auto_create_topics:
            # The topics that exist, learned now over the producer's own connection rather
            # than on the first send: a new librdkafka client retires its bootstrap
            # connection once it learns the broker's id, and a request caught on it waits
            # out the 50 ms reconnect pause (reconnect.backoff.ms / 2), in about half of the
            # starts measured on a local broker. A send to a topic not seen here lists again.
            # Best effort: a Kafka that does not answer soon is found out by the first send,
            # as before, so a service may start before its broker does.
            with contextlib.suppress(TransportError):
                self._known.update(
                    _topic_names(self._producer, self.servers, _START_LIST_TIMEOUT_S)
                )

    def _on_delivery(self, error: KafkaError | None, message: Any) -> None:
        if error is not None:
            with self._lock:
                self._failures.append((str(message.topic()), _reason(error, message)))

    def send(self, topic: str, records: Sequence[OutRecord]) -> None:
        if self.auto_create_topics and topic not in self._known:
            ensure_topics(
                self.servers, [topic], self.partitions, self._config, client=self._producer
            )
            self._known.add(topic)
        produce = self._producer.produce
        for value, key, headers in records:
            try:
                # every argument by position (partition, callbacks and timestamp at their
                # defaults): confluent-kafka's argument parser builds and hashes a str for
                # each keyword it looks up, a quarter of produce()'s own cost per record
                produce(topic, value, key, _ANY_PARTITION, None, None, 0,
                        list(headers) if headers else None)
            except BufferError:  # the local queue is full: let deliveries drain it
                self._produce_when_room(topic, value, key, headers)
            except KafkaException as exc:  # refused before it left (e.g. too large)
                with self._lock:
                    self._failures.append((topic, str(exc)))
        # only failures call back, and flush() serves those too: a poll per send was a
        # quarter of this method's time
        self._sends += 1
        if self._sends % _POLL_EVERY_SENDS == 0:
            self._producer.poll(0)

    def _produce_when_room(
        self, topic: str, value: bytes | None, key: bytes | None, headers: Sequence[Header]
    ) -> None:
        while True:
            self._producer.poll(0.05)
            try:
                self._producer.produce(topic, value, key, _ANY_PARTITION, None, None, 0,
                                       list(headers) or None)
                return
            except BufferError:
                continue
            except KafkaException as exc:
                with self._lock:
                    self._failures.append((topic, str(exc)))
                return

    def flush(self, timeout_s: float) -> None:
        left = self._producer.flush(timeout_s)
        with self._lock:
            failures, self._failures = self._failures, []
        if left:
            failures.append(("*", f"{left} record(s) not acknowledged within {timeout_s} s"))
        if failures:
            raise DeliveryError(failures)

    def close(self) -> None:
        try:
            self.flush(30.0)
        finally:
            # release librdkafka's threads and connections now rather than when collected;
            # what flush could not deliver was reported by it, so nothing is left to wait for
            release = getattr(self._producer, "close", None)  # newer confluent-kafka only
            if release is not None:
                self._producer.purge()
                release()


def _kafka_offsets(offsets: Mapping[TopicPartition, int]) -> list[KafkaTopicPartition]:
    return [KafkaTopicPartition(t, p, o) for (t, p), o in offsets.items()]


class KafkaConsumer:
    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        session_timeout_ms: int = 10_000,
        partitions: int = 1,
        auto_create_topics: bool = True,
        config: Mapping[str, Any] | None = None,
        watermarks: bool = False,
        commit_interval_ms: int = 100,
    ) -> None:
        self.servers = bootstrap_servers(url)
        self.watermarks = watermarks
        self.group = group
        self.topics = list(topics)
        extra = dict(config or {})
        if auto_create_topics:
            ensure_topics(self.servers, self.topics, partitions, extra)
        self._pending: dict[TopicPartition, int] = {}  # seeks waiting for an assignment
        self._lock = threading.Lock()
        # commits: sent without waiting, one at a time; offsets given meanwhile wait for it
        self._uncommitted: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}  # everything given, for close()
        self._in_flight = False
        self._sent: dict[TopicPartition, int] = {}  # the commit in flight, until answered
        self._commit_failure: str | None = None
        self._commit_interval_s = commit_interval_ms / 1000
        self._commit_sent = 0.0  # time.monotonic() of the last commit sent
        self._consumer = Consumer(
            {
                "bootstrap.servers": self.servers,
                "group.id": group or f"charter-reader-{uuid.uuid4().hex}",
                "auto.offset.reset": auto_offset_reset,
                "enable.auto.commit": False,
                "session.timeout.ms": session_timeout_ms,
                "heartbeat.interval.ms": max(100, session_timeout_ms // 4),
                "on_commit": self._on_commit,
                **extra,
            }
        )
        if group is None:
            # from where auto_offset_reset says, not from the (random, unused) group's
            # committed offsets: a key limited to group prefixes may not ask for those
            start = OFFSET_BEGINNING if auto_offset_reset == "earliest" else OFFSET_END
            every = self._all_partitions()
            self._consumer.assign([KafkaTopicPartition(t.topic, t.partition, start) for t in every])
        else:
            self._consumer.subscribe(
                self.topics, on_assign=self._on_assign, on_revoke=self._on_revoke
            )

    def _all_partitions(self) -> list[KafkaTopicPartition]:
        metadata = self._consumer.list_topics(timeout=_ADMIN_TIMEOUT_S)
        out: list[KafkaTopicPartition] = []
        for topic in self.topics:
            found = metadata.topics.get(topic)
            if found is None or found.error is not None:
                raise TransportError(f"topic {topic!r} is not available in Kafka")
            out.extend(KafkaTopicPartition(topic, p) for p in sorted(found.partitions))
        return out

    def _on_assign(self, consumer: Any, partitions: list[KafkaTopicPartition]) -> None:
        with self._lock:
            for tp in partitions:
                offset = self._pending.pop((tp.topic, tp.partition), None)
                if offset is not None:
                    tp.offset = offset
        consumer.assign(partitions)

    def _on_revoke(self, consumer: Any, partitions: list[KafkaTopicPartition]) -> None:
        # what was handled of the partitions going away is committed before they go; if that
        # fails, their next owner reads those records again (at least once)
        with self._lock:
            gone = {(tp.topic, tp.partition) for tp in partitions}
            offsets = {tp: o for tp, o in self._uncommitted.items() if tp in gone}
            for tp in gone:  # the commit in flight may yet fail: commit its offsets again
                if tp in self._sent:
                    offsets.setdefault(tp, self._sent.pop(tp))
            for tp in gone:  # if they come back, another member may have committed since
                self._uncommitted.pop(tp, None)
                self._committed.pop(tp, None)
        if offsets:
            with contextlib.suppress(KafkaException):
                consumer.commit(offsets=_kafka_offsets(offsets), asynchronous=False)

    def _on_commit(self, error: KafkaError | None, partitions: list[KafkaTopicPartition]) -> None:
        """Called back from poll() (and close()) when a commit is answered."""
        refused = [tp for tp in partitions or () if tp.error is not None]
        with self._lock:
            self._in_flight = False
            sent, self._sent = self._sent, {}
            failed = error is not None and error.code() != KafkaError._NO_OFFSET
            if failed:
                self._commit_failure = str(error)
            elif refused:
                self._commit_failure = f"{refused[0].topic}[{refused[0].partition}]: " + str(
                    refused[0].error
                )
            if failed or refused:
                # not committed: they go again with the next commit, or on close (offsets
                # given since are newer and win)
                for tp, offset in sent.items():
                    self._uncommitted.setdefault(tp, offset)

    def _send_commit(self) -> None:
        now = time.monotonic()
        with self._lock:
            if self._in_flight or not self._uncommitted:
                return
            if now - self._commit_sent < self._commit_interval_s:
                return  # sent by a later poll or commit, or on close
            offsets, self._uncommitted = self._uncommitted, {}
            self._in_flight = True
            self._sent = dict(offsets)
            self._commit_sent = now
        try:
            self._consumer.commit(offsets=_kafka_offsets(offsets), asynchronous=True)
        except KafkaException as exc:
            with self._lock:
                self._in_flight = False
                self._sent = {}
                for tp, offset in offsets.items():  # tried again with the next commit
                    self._uncommitted.setdefault(tp, offset)
            raise TransportError(f"commit failed: {exc}") from exc

    def poll(self, timeout_s: float, max_records: int) -> list[RawRecord]:
        try:
            # consume() waits until it has max_records or the timeout ends: wait for the first
            # record only, then take what is already buffered
            first = self._consumer.poll(timeout_s)
            got = [] if first is None else [first]
            if first is not None and max_records > 1:
                got.extend(self._consumer.consume(num_messages=max_records - 1, timeout=0))
        except KafkaException as exc:
            raise TransportError(str(exc)) from exc
        if self._uncommitted:  # the commit in flight was answered during the poll
            try:
                self._send_commit()
            except TransportError as exc:  # the records are returned; commit() raises it
                with self._lock:
                    self._commit_failure = exc.message
        out: list[RawRecord] = []
        append = out.append
        for m in got:
            error = m.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.retriable() or error.code() == KafkaError.UNKNOWN_TOPIC_OR_PART:
                    continue
                if self.group is None and error.code() == KafkaError.GROUP_AUTHORIZATION_FAILED:
                    continue  # librdkafka asks for the coordinator of a group it never uses
                raise TransportError(f"Kafka: {error}")
            # a record without error has its topic, partition, offset and timestamp; its
            # headers are (str, bytes | None) pairs. tuple.__new__ with the fields in order
            # is what RawRecord(...) does, without its Python frame
            headers = m.headers()
            append(
                _new_record(
                    RawRecord,
                    (
                        m.topic(),
                        m.partition(),
                        m.offset(),
                        m.timestamp()[1],
                        m.key(),
                        m.value(),
                        tuple(headers) if headers else (),
                    ),
                )
            )
        return out

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Queue `offsets` for the group and send them without waiting for the answer.

        A synchronous commit per poll costs the consumer a round trip each time, and a commit
        per poll costs the broker a write each time: so one commit is in flight at a time, at
        most one per `commit_interval_ms`, and offsets given meanwhile go with the next (sent
        by a later poll or commit). A revoke commits what was handled of the partitions going
        away, and `close` commits what is left and waits for it; a crash in between reads
        those records again (at least once, as with any commit after handling). A refusal of
        an earlier commit raises `TransportError` here, on the next call."""
        if self.group is None:
            return
        with self._lock:
            failure, self._commit_failure = self._commit_failure, None
            self._uncommitted.update(offsets)
            self._committed.update(offsets)
        if failure is not None:
            raise TransportError(f"commit rejected after a rebalance: {failure}")
        self._send_commit()

    def assignment(self) -> list[TopicPartition]:
        return [(tp.topic, tp.partition) for tp in self._consumer.assignment()]

    def _seek_all(self, targets: dict[TopicPartition, int]) -> None:
        assigned = self.assignment()
        failed: dict[TopicPartition, int] = {}
        for tp, offset in targets.items():
            if tp not in assigned:  # applied when the partition is assigned
                with self._lock:
                    self._pending[tp] = offset
                continue
            try:
                self._consumer.seek(KafkaTopicPartition(tp[0], tp[1], offset))
            except KafkaException:  # assigned but not fetching yet: reassign with the offset
                failed[tp] = offset
        if failed:
            now = self._consumer.position([KafkaTopicPartition(t, p) for t, p in assigned])
            positions = {(tp.topic, tp.partition): tp.offset for tp in now}
            self._consumer.assign(
                [
                    KafkaTopicPartition(t, p, failed.get((t, p), positions.get((t, p), -1001)))
                    for t, p in assigned
                ]
            )

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self._seek_all({tp: offset})

    def _partitions_now(self) -> list[TopicPartition]:
        assigned = self.assignment()
        if assigned or self.group is None:
            return assigned
        # not assigned yet: every partition of the topics, applied when they are assigned
        return [(tp.topic, tp.partition) for tp in self._all_partitions()]

    def seek_to_beginning(self) -> None:
        self._seek_all({tp: OFFSET_BEGINNING for tp in self._partitions_now()})

    def seek_to_time(self, timestamp_ms: int) -> None:
        wanted = [KafkaTopicPartition(t, p, timestamp_ms) for t, p in self._partitions_now()]
        try:
            found = self._consumer.offsets_for_times(wanted, timeout=_ADMIN_TIMEOUT_S)
        except KafkaException as exc:
            raise TransportError(f"offsets for time failed: {exc}") from exc
        # -1: no record at or after the time; read from the end then
        self._seek_all({(tp.topic, tp.partition): tp.offset for tp in found})

    def end_offsets(self) -> dict[TopicPartition, int] | None:
        if not self.watermarks:
            return None  # some Kafka-protocol brokers (Tansu) report wrong high watermarks
        ends: dict[TopicPartition, int] = {}
        try:
            for topic, partition in self._partitions_now():
                tp = KafkaTopicPartition(topic, partition)
                _low, high = self._consumer.get_watermark_offsets(
                    tp, timeout=_ADMIN_TIMEOUT_S, cached=False
                )
                ends[(topic, partition)] = high
        except KafkaException as exc:
            raise TransportError(f"log end offsets: {exc}") from exc
        return ends

    def close(self) -> None:
        try:
            with self._lock:
                # again, synchronously: whatever is still in flight is then answered too
                final = dict(self._committed) if self._uncommitted or self._in_flight else {}
                self._uncommitted = {}
            if final and self.group is not None:
                assigned = set(self.assignment())
                mine = {tp: o for tp, o in final.items() if tp in assigned}
                if mine:
                    with contextlib.suppress(KafkaException):  # read again: at least once
                        self._consumer.commit(offsets=_kafka_offsets(mine), asynchronous=False)
        finally:
            self._consumer.close()
