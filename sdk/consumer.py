"""`Consumer`: poll decoded messages from a transport, commit, seek; `run` a handler safely."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sdk.dlq import dead_letter_record, dead_letter_topic
from sdk.errors import (
    ConfigurationError,
    DecodeError,
    SchemaNotFoundError,
    SchemaResolutionError,
    SdkError,
    TransportError,
    ValidationError,
    WireFormatError,
)
from sdk.idempotency import IdempotencyStore, open_store
from sdk.registry import Registry
from sdk.serde import Deserializer, SchemaInput
from sdk.transports.base import (
    ConsumerTransport,
    Header,
    ProducerTransport,
    RawRecord,
    TopicPartition,
)
from sdk.transports.urls import open_consumer, open_producer
from sdk.wire import VALUE_SCHEMA_ID_HEADER, read_id_header, schema_id_of

__all__ = ["Consumer", "Message", "RunStats"]

# the consumer's options its dead-letter producer takes too (producer_options may override)
_PRODUCER_SHARED_OPTIONS = ("auth", "token", "transport")

# Errors that no retry can fix: the bytes go to the dead-letter topic at once.
UNDECODABLE: tuple[type[SdkError], ...] = (
    WireFormatError,
    DecodeError,
    SchemaNotFoundError,
    SchemaResolutionError,
    ValidationError,
)


class Message(NamedTuple):
    """A consumed record. `value` is decoded; if decoding failed, `value` is None and `error`
    says why (the undecoded bytes are in `raw`). A named tuple, immutable like the records it
    is made from: a poll builds hundreds, and a frozen dataclass costs several times more to
    build."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: Any
    headers: tuple[Header, ...]
    schema_id: int | None
    timestamp: datetime
    raw: bytes | None = None
    error: SdkError | None = None

    def header(self, name: str) -> bytes | None:
        """The last value of header `name`, or None."""
        for key, value in reversed(self.headers):
            if key == name:
                return value
        return None

    def __repr__(self) -> str:  # the raw bytes repeat the value: left out, as before
        shown = ", ".join(f"{f}={getattr(self, f)!r}" for f in self._fields if f != "raw")
        return f"Message({shown})"


@dataclass(slots=True)
class RunStats:
    """What `Consumer.run` did."""

    handled: int = 0
    duplicates: int = 0
    retries: int = 0
    dead_lettered: int = 0
    commits: int = 0
    commit_failures: int = 0  # commits refused after a rebalance: those records come again


Handler = Callable[[Message], object]
_new_message = tuple.__new__


def _schema_id(value: bytes, headers: tuple[Header, ...]) -> int | None:
    """The schema id `sdk.wire.locate` finds (None for a GUID header), without copying the
    payload as `locate` does (this runs for every record)."""
    for name, found in headers:
        if name == VALUE_SCHEMA_ID_HEADER and found is not None:
            return read_id_header(found).schema_id
    return schema_id_of(value)


def _event_id(value: Any) -> str | None:
    if isinstance(value, Mapping):
        found = value.get("eventId")
        if isinstance(found, str) and found:
            return found
    return None


class Consumer:
    """Reads `topics` of `broker` (a URL, see `sdk.transports`) as a member of `group`.

    `group=None` reads every partition without a group (nothing to commit). Values are decoded
    through `Deserializer` (resolved to `reader_schema` when given; JSON validated on read
    unless `validate=False`). Other options go to the
    transport (e.g. `session_timeout_ms`; `config` for confluent-kafka).
    """

    def __init__(
        self,
        broker: str,
        *,
        registry: Registry,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str = "earliest",
        reader_schema: SchemaInput | None = None,
        validate: bool = True,
        max_records: int = 500,
        producer_options: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> None:
        if isinstance(topics, str):
            topics = [topics]
        if not topics:
            raise ConfigurationError("a consumer reads at least one topic")
        if auto_offset_reset not in ("earliest", "latest"):
            raise ConfigurationError(
                f"auto_offset_reset is earliest or latest, not {auto_offset_reset!r}"
            )
        self.url = broker
        self.registry = registry
        self.group = group
        self.topics = tuple(topics)
        self.max_records = max_records
        self.deserializer = Deserializer(registry, reader_schema=reader_schema, validate=validate)
        # the dead-letter producer speaks to the same server as the same principal
        credentials = {k: options[k] for k in _PRODUCER_SHARED_OPTIONS if k in options}
        self._producer_options = {**credentials, **(producer_options or {})}
        self._transport: ConsumerTransport = open_consumer(
            broker,
            group=group,
            topics=self.topics,
            auto_offset_reset=auto_offset_reset,
            options=options,
        )
        self._returned: dict[TopicPartition, int] = {}
        self._stamp = (0, datetime.fromtimestamp(0, tz=UTC))  # the last one made, reused
        self._dlq: ProducerTransport | None = None
        self._closed = False

    # ------------------------------------------------------------------ reading

    def poll(self, timeout_s: float = 1.0) -> list[Message]:
        """Messages that arrived, waiting up to `timeout_s` for the first."""
        raw = self._transport.poll(timeout_s, self.max_records)
        decode = self._decode
        try:
            messages = [decode(r) for r in raw]
        except Exception:
            # the registry could not be asked: give the records back to the next poll
            firsts: dict[TopicPartition, int] = {}
            for r in raw:
                firsts.setdefault((r.topic, r.partition), r.offset)
            for tp, offset in firsts.items():
                self._transport.seek(tp, offset)
            raise
        returned = self._returned
        for m in messages:
            returned[m[0], m[1]] = m[2] + 1  # (topic, partition) -> offset + 1
        return messages

    def _decode(self, r: RawRecord) -> Message:
        topic, partition, offset, timestamp_ms, key, value, headers = r
        if timestamp_ms == self._stamp[0]:  # a batch's records mostly share their millisecond
            stamp = self._stamp[1]
        else:
            stamp = datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)
            self._stamp = (timestamp_ms, stamp)
        if value is None:
            return Message(topic, partition, offset, key, None, headers, None, stamp)
        try:
            schema_id, decoded = self.deserializer.deserialize_with_id(value, headers)
        except UNDECODABLE as exc:
            try:
                schema_id = _schema_id(value, headers)
            except UNDECODABLE:
                schema_id = None
            return Message(
                topic, partition, offset, key, None, headers, schema_id, stamp, raw=value,
                error=exc,
            )
        # tuple.__new__ with the fields in order: what Message(...) does, without its frame
        fields = (topic, partition, offset, key, decoded, headers, schema_id, stamp, value, None)
        return _new_message(Message, fields)

    def commit(self) -> None:
        """Commit every message returned by `poll` so far."""
        if self.group is None or not self._returned:
            return
        offsets = dict(self._returned)
        self._transport.commit(offsets)
        for tp, offset in offsets.items():
            if self._returned.get(tp) == offset:
                del self._returned[tp]

    def assignment(self) -> list[TopicPartition]:
        return self._transport.assignment()

    def seek(self, topic: str, partition: int, offset: int) -> None:
        """Read `partition` of `topic` from `offset` on the next poll."""
        self._returned.pop((topic, partition), None)
        self._transport.seek((topic, partition), offset)

    def seek_to_beginning(self) -> None:
        self._returned.clear()
        self._transport.seek_to_beginning()

    def seek_to_time(self, when: datetime | int) -> None:
        """Every partition to its first record at or after `when` (a datetime or epoch ms)."""
        ms = when if isinstance(when, int) else int(when.timestamp() * 1000)
        self._returned.clear()
        self._transport.seek_to_time(ms)

    def end_offsets(self) -> dict[TopicPartition, int] | None:
        """Log end offsets of the assigned partitions, if the broker reports them reliably."""
        return self._transport.end_offsets()

    # ------------------------------------------------------------------ the handling loop

    def run(
        self,
        handler: Handler,
        *,
        retries: int = 3,
        backoff_s: float = 0.2,
        dead_letter: bool = True,
        idempotency: IdempotencyStore | str | None = None,
        poll_timeout_s: float = 0.5,
        max_messages: int | None = None,
        idle_timeout_s: float | None = None,
        stop: threading.Event | None = None,
    ) -> RunStats:
        """Handle messages until `stop` is set, `max_messages` were seen or nothing arrived
        for `idle_timeout_s`. At least once: offsets are committed after the handler succeeds.

        A failing handler is called again up to `retries` times (back-off doubling from
        `backoff_s`); then the record goes to `<topic>.dlq` (see `sdk.dlq`), or with
        `dead_letter=False` the error propagates uncommitted. Records that cannot be decoded go
        to the dead-letter topic without retries. With an `idempotency` store (or its URL),
        events whose `eventId` this group handled before are skipped.
        """
        if retries < 0 or backoff_s < 0:
            raise ConfigurationError("retries and backoff_s are at least 0")
        store = open_store(idempotency) if isinstance(idempotency, str) else idempotency
        scope = self.group or ""
        stats = RunStats()
        seen = 0
        idle_since = time.monotonic()
        try:
            while not (stop is not None and stop.is_set()):
                if max_messages is not None and seen >= max_messages:
                    break
                messages = self.poll(poll_timeout_s)
                if not messages:
                    if (
                        idle_timeout_s is not None
                        and time.monotonic() - idle_since >= idle_timeout_s
                    ):
                        break
                    continue
                idle_since = time.monotonic()
                if max_messages is not None and seen + len(messages) > max_messages:
                    keep = messages[: max_messages - seen]
                    self.rewind(messages[len(keep) :])
                    messages = keep
                dead = False
                for m in messages:
                    seen += 1
                    dead = (
                        self._handle(
                            m, handler, retries, backoff_s, dead_letter, store, scope, stats
                        )
                        or dead
                    )
                if dead and self._dlq is not None:
                    self._dlq.flush(30.0)  # dead letters are durable before the commit
                if self.group is not None:
                    try:
                        self.commit()
                        stats.commits += 1
                    except TransportError:
                        # the group moved on (a rebalance): whoever owns these partitions now
                        # reads them again from the last commit, and at least once still holds
                        stats.commit_failures += 1
        finally:
            if store is not None and isinstance(idempotency, str):
                store.close()
        return stats

    def rewind(self, rest: Sequence[Message]) -> None:
        """Give back messages returned by the last poll but not handled: the next poll returns
        them again, and `commit` covers only the messages before them."""
        firsts: dict[TopicPartition, int] = {}
        for m in rest:
            firsts.setdefault((m.topic, m.partition), m.offset)
        for (topic, partition), offset in firsts.items():
            self.seek(topic, partition, offset)
            # everything before `offset` in this partition was handled: it may be committed
            self._returned[(topic, partition)] = offset

    def _handle(
        self,
        m: Message,
        handler: Handler,
        retries: int,
        backoff_s: float,
        dead_letter: bool,
        store: IdempotencyStore | None,
        scope: str,
        stats: RunStats,
    ) -> bool:
        """Handle one message; True if it went to the dead-letter topic."""
        if m.error is not None:
            if not dead_letter:
                raise m.error
            self._dead_letter(m, m.error, attempts=0, stage="decode")
            stats.dead_lettered += 1
            return True
        event_id = _event_id(m.value) if store is not None else None
        if store is not None and event_id is not None and store.seen(scope, event_id):
            stats.duplicates += 1
            return False
        attempt = 0
        while True:
            attempt += 1
            try:
                handler(m)
                break
            except Exception as exc:
                if attempt > retries:
                    if not dead_letter:
                        raise
                    self._dead_letter(m, exc, attempts=attempt, stage="handle")
                    stats.dead_lettered += 1
                    return True
                stats.retries += 1
                time.sleep(backoff_s * 2 ** (attempt - 1))
        if store is not None and event_id is not None:
            store.record(scope, event_id)
        stats.handled += 1
        return False

    def _dead_letter(self, m: Message, error: BaseException, *, attempts: int, stage: str) -> None:
        if self._dlq is None:
            options = {"linger_ms": 0, **self._producer_options}
            self._dlq = open_producer(self.url, options)
        record = RawRecord(m.topic, m.partition, m.offset, 0, m.key, m.raw, m.headers)
        self._dlq.send(
            dead_letter_topic(m.topic),
            [dead_letter_record(record, error, attempts=attempts, stage=stage)],
        )

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._dlq is not None:
                with contextlib.suppress(TransportError):
                    self._dlq.close()
        finally:
            self._transport.close()

    def __enter__(self) -> Consumer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
