"""The broker: topics of partitioned logs, produce and long-poll fetch, groups, maintenance.

Layout of a data directory:

    .lock                         flock'd by the one process that owns the directory
    topics/<topic>/config.json    the topic's settings (TopicConfig), written atomically
    topics/<topic>/<partition>/   one PartitionLog per partition
    groups/<hash>.0, <hash>.1     per consumer group, two slots written in turn (committed
                                  offsets, generation; see broker.group_files)
    producer-ids                  the Kafka listener's reserved block of producer ids
    trash/                        deleted topics on their way out
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import os
import shutil
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from broker.api import (
    FETCH_BYTES_DEFAULT,
    FETCH_RECORDS_DEFAULT,
    FetchedRecords,
    PartitionDescription,
    PartitionLag,
    TopicDescription,
    TopicPartition,
)
from broker.batch_v2 import V2_HEADER_BYTES
from broker.config import Limits, TopicConfig, check_limit, validate_topic_name
from broker.contracts import Contracts, check_values
from broker.errors import (
    CorruptBatchError,
    DataDirLockedError,
    InvalidConfigError,
    LogClosedError,
    OffsetOutOfRangeError,
    TopicExistsError,
    UnknownPartitionError,
    UnknownTopicError,
)
from broker.files import FilePool
from broker.groups import GROUP_RETENTION_MS_DEFAULT, GroupCoordinator, OffsetsFlush
from broker.log import PartitionLog, RawBatches
from broker.observer import BrokerObserver
from broker.placement import keyed_partition
from broker.record import (
    BATCH_HEADER_BYTES,
    BATCH_MAGIC_V2,
    BatchShape,
    EncodedRecords,
    ProducerRecord,
    decode_batch,
    encode_records,
    measure_batch,
    producer_fields,
    record_bytes,
)
from broker.tail import TAIL_BYTES_DEFAULT, TailBudget

__all__ = ["Broker", "PartitionDescription", "PartitionLag", "TopicDescription"]

_BASE_AND_COUNT = struct.Struct(">QI")  # base_offset and record_count, at byte 10 of a batch


@dataclass
class _Topic:
    name: str
    config: TopicConfig
    logs: list[PartitionLog]
    directory: Path
    next_unkeyed: itertools.count[int]


@dataclass(frozen=True, slots=True)
class _Batch:
    """A produce batch as the limit checks and the appends see it, whichever form it came in:
    `records` (the log encodes them, or `records_encoded` holds them encoded already, for one
    partition) or `encoded` (verified bytes, appended as they are, with the `shape` measured
    from them). The largest record, key and header count and the total are kept; `measures`
    gives them per record, to name the one over a limit.
    """

    count: int
    bytes_total: int
    record_bytes_top: int
    key_bytes_top: int  # -1 when no record has a key
    headers_top: int
    records: Sequence[ProducerRecord] = ()
    encoded: bytes = b""
    shape: BatchShape | None = None  # set for the encoded form
    records_encoded: EncodedRecords | None = None

    @classmethod
    def of_records(cls, records: Sequence[ProducerRecord]) -> _Batch:
        total = size_top = headers_top = 0
        key_top = -1
        for record in records:
            key, value, headers = record.key, record.value, record.headers
            if headers:
                size = record_bytes(record)
                headers_top = max(headers_top, len(headers))
            else:  # record_bytes without headers, inlined: this runs for every record
                size = 18 + (len(key) if key else 0) + (len(value) if value else 0)
            if size > size_top:
                size_top = size
            if key is not None and len(key) > key_top:
                key_top = len(key)
            total += size
        return cls(len(records), total, size_top, key_top, headers_top, records=records)

    @classmethod
    def of_encoded_records(
        cls, records: Sequence[ProducerRecord], encoded: EncodedRecords, record_bytes_max: int
    ) -> _Batch:
        total = encoded.bytes_total
        # the total bounds the largest record: measured apart only when the bound is too high
        top = total if total <= record_bytes_max else max(map(record_bytes, records))
        return cls(
            encoded.count,
            total,
            top,
            encoded.key_bytes_top,
            encoded.headers_top,
            records=records,
            records_encoded=encoded,
        )

    @classmethod
    def of_encoded(cls, data: bytes, shape: BatchShape) -> _Batch:
        return cls(
            shape.header.record_count,
            shape.bytes_total,
            shape.record_bytes_top,
            shape.key_bytes_top,
            shape.headers_top,
            encoded=data,
            shape=shape,
        )

    def measures(self) -> tuple[list[int], list[int], list[int]]:
        """Per record: its bytes, its key's length (-1: no key) and its header count."""
        if self.shape is not None:
            return self.shape.measures()
        return (
            [record_bytes(r) for r in self.records],
            [-1 if r.key is None else len(r.key) for r in self.records],
            [len(r.headers) for r in self.records],
        )

    def values(self) -> Sequence[bytes | None]:
        if self.shape is None:
            return [r.value for r in self.records]
        if len(self.shape.values) == self.count:
            return self.shape.values
        # measured without them: the topic's contract changed since
        return measure_batch(
            self.encoded, "produce", length_max=len(self.encoded), values=True
        ).values


def _records_in(got: RawBatches, offset: int) -> int:
    """Records at or after `offset` in the batches (their headers were verified on read)."""
    count = 0
    for batch in got.batches:
        base, records = _BASE_AND_COUNT.unpack_from(batch, 10)
        count += base + records - max(offset, base)
    return count


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Broker:
    """An embedded broker over one data directory. Thread-safe.

    `clock_ms` supplies record timestamps, segment ages, retention and session timeouts (tests
    pass a fake one); long-poll waits use the monotonic clock. With `maintenance_interval_ms`
    a daemon thread runs `run_maintenance` that often; without it, call it yourself.
    At most `open_files_max` segment and index files are held open, the least recently used
    closed first (default: half the process's descriptor limit; see broker.files).
    `observer` (settable later) is told of every append, served fetch and waiting fetch.
    `offsets_flush` is when a group's commit is durable (see broker.groups): `always`;
    `never`; or `memory`, never written, for a broker whose data dies with the process (the
    SDK's memory://).
    `tail_bytes` bounds the batches kept in memory for fetches of the partitions' ends
    (broker.tail; 0: none).
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        limits: Limits | None = None,
        contracts: Contracts | None = None,
        clock_ms: Callable[[], int] = _wall_clock_ms,
        maintenance_interval_ms: int | None = 1000,
        group_retention_ms: int = GROUP_RETENTION_MS_DEFAULT,
        open_files_max: int | None = None,
        observer: BrokerObserver | None = None,
        offsets_flush: OffsetsFlush = "always",
        tail_bytes: int = TAIL_BYTES_DEFAULT,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.tail = TailBudget(tail_bytes)
        self._offsets_flush: OffsetsFlush = offsets_flush
        self.observer = observer
        self.files = FilePool(open_files_max)
        self._group_retention_ms = group_retention_ms
        self.limits = limits or Limits()
        self.contracts = contracts
        self._clock_ms = clock_ms
        self._lock = threading.RLock()
        self._appended = threading.Condition(self._lock)
        self._appends = 0  # appends announced so far (see _wait_for_records)
        self._append_listeners: list[Callable[[], None]] = []
        self._topics: dict[str, _Topic] = {}
        self._closed = False
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(self.data_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock_fd)
            raise DataDirLockedError(str(self.data_dir)) from None
        try:
            self._open_data_dir()
        except BaseException:
            for topic in self._topics.values():
                for log in topic.logs:
                    log.remove()
            os.close(self._lock_fd)  # closing the descriptor releases the lock
            raise
        self._stop = threading.Event()
        self._maintenance: threading.Thread | None = None
        if maintenance_interval_ms is not None:
            self._maintenance = threading.Thread(
                target=self._maintain,
                args=(maintenance_interval_ms / 1000,),
                name="charter-broker-maintenance",
                daemon=True,
            )
            self._maintenance.start()

    def _open_data_dir(self) -> None:
        self._topics_dir = self.data_dir / "topics"
        self._trash_dir = self.data_dir / "trash"
        self._topics_dir.mkdir(exist_ok=True)
        shutil.rmtree(self._trash_dir, ignore_errors=True)
        self._trash_dir.mkdir()
        for directory in sorted(self._topics_dir.iterdir()):
            config_path = directory / "config.json"
            if not config_path.exists():  # a create that did not finish
                shutil.rmtree(directory)
                continue
            config = TopicConfig.from_json(json.loads(config_path.read_text()))
            self._topics[directory.name] = self._open_topic(directory.name, config)
        self.groups = GroupCoordinator(
            self.data_dir / "groups",
            partitions_of=self.partition_count,
            clock_ms=self._clock_ms,
            limits=self.limits,
            offsets_of=self.offsets,
            retention_ms=self._group_retention_ms,
            flush=self._offsets_flush,
        )

    # ------------------------------------------------------------------ topics

    def _open_topic(self, name: str, config: TopicConfig) -> _Topic:
        directory = self._topics_dir / name
        logs: list[PartitionLog] = []
        try:
            for p in range(config.partitions):
                logs.append(self._open_log(directory, name, p, config))
        except BaseException:
            for log in logs:  # nothing of a topic that failed to open stays in the pool
                log.remove()
            raise
        return _Topic(name, config, logs, directory, itertools.count())

    def _open_log(self, directory: Path, name: str, p: int, config: TopicConfig) -> PartitionLog:
        return PartitionLog(
            directory / str(p),
            name,
            p,
            config,
            clock_ms=self._clock_ms,
            files=self.files,
            tail=self.tail if self.tail.bytes_max else None,
        )

    def create_topic(self, name: str, config: TopicConfig | None = None) -> TopicDescription:
        config = (config or TopicConfig()).validated(self.limits)
        validate_topic_name(name, self.limits)
        self._check_contract_source(config)
        with self._lock:
            self._check_open()
            if name in self._topics:
                raise TopicExistsError(name)
            check_limit("topics_max", len(self._topics) + 1, self.limits.topics_max)
            directory = self._topics_dir / name
            if directory.exists():
                shutil.rmtree(directory)
            directory.mkdir()
            try:
                topic = self._open_topic(name, config)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
            try:
                self._write_config(directory, config)
            except BaseException:  # out of descriptors, say: the topic is not half made
                for log in topic.logs:
                    log.remove()
                shutil.rmtree(directory, ignore_errors=True)
                raise
            self._topics[name] = topic
            return self._describe(topic)

    def _check_contract_source(self, config: TopicConfig) -> None:
        if config.contract != "none" and self.contracts is None:
            raise InvalidConfigError(
                "contract", f"{config.contract!r} needs a contract source; the broker has none"
            )

    def _write_config(self, directory: Path, config: TopicConfig) -> None:
        tmp = directory / "config.json.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        with os.fdopen(self.files.open_fd(tmp, flags, 0o644), "wb") as f:
            f.write(json.dumps(config.to_json(), indent=2).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, directory / "config.json")
        fd = self.files.open_fd(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def list_topics(self) -> list[str]:
        with self._lock:
            return sorted(self._topics)

    def describe_topic(self, name: str) -> TopicDescription:
        with self._lock:
            return self._describe(self._topic(name))

    def _describe(self, topic: _Topic) -> TopicDescription:
        parts = tuple(
            PartitionDescription(
                p,
                log.log_start_offset,
                log.log_end_offset,
                log.size_bytes,
                len(log.segment_bases()),
                log.open_files,
            )
            for p, log in enumerate(topic.logs)
        )
        return TopicDescription(topic.name, topic.config, parts)

    def delete_topic(self, name: str) -> None:
        with self._lock:
            topic = self._topic(name)
            del self._topics[name]
            for log in topic.logs:
                log.remove()
            trash = self._trash_dir / f"{name}-{uuid.uuid4().hex}"
            os.replace(topic.directory, trash)
            shutil.rmtree(trash, ignore_errors=True)
        self._notify_appended()
        self.groups.forget_topic(name)

    def alter_topic(self, name: str, **changes: Any) -> TopicDescription:
        """Change settings; `partitions` may only grow. Log settings apply to all partitions."""
        with self._lock:
            topic = self._topic(name)
            try:
                config = topic.config.updated(**changes).validated(self.limits)
            except TypeError as exc:
                raise InvalidConfigError(", ".join(sorted(changes)), str(exc)) from None
            if config.partitions < topic.config.partitions:
                raise InvalidConfigError(
                    "partitions",
                    f"{config.partitions} < {topic.config.partitions}: partitions only grow",
                )
            self._check_contract_source(config)
            grown = config.partitions > topic.config.partitions
            for log in topic.logs:
                log.config = config
            for p in range(topic.config.partitions, config.partitions):
                topic.logs.append(self._open_log(topic.directory, name, p, config))
            self._write_config(topic.directory, config)
            topic.config = config
            description = self._describe(topic)
        if grown:
            self.groups.topic_changed(name)
        return description

    def partition_count(self, name: str) -> int:
        with self._lock:
            return len(self._topic(name).logs)

    def topic_config(self, name: str) -> TopicConfig:
        with self._lock:
            return self._topic(name).config

    def _topic(self, name: str) -> _Topic:
        self._check_open()
        topic = self._topics.get(name)
        if topic is None:
            raise UnknownTopicError(name)
        return topic

    def _log(self, name: str, partition: int) -> PartitionLog:
        topic = self._topic(name)
        if not 0 <= partition < len(topic.logs):
            raise UnknownPartitionError(name, partition, len(topic.logs))
        return topic.logs[partition]

    # ------------------------------------------------------------------ produce

    def produce(
        self, topic: str, records: Sequence[ProducerRecord], *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        """Append `records` atomically; returns (partition, offset) for each record, in order.

        Every record is checked (limits, partition, contract) before anything is appended; a
        rejection names the record's index. Keyed records go to Kafka's murmur2 partition;
        the unkeyed records of one call all go to one partition, chosen in turn per call.
        Records of one partition are appended as one batch.
        """
        if not records:
            raise InvalidConfigError("records", "a produce batch holds at least one record")
        if partition is not None or all(r.key is None for r in records):
            # one partition, most likely: encoded once, measured on the way
            try:
                encoded = encode_records(records, self._clock_ms())
            except (struct.error, TypeError, OverflowError):
                encoded = None  # not encodable as given: the checks below name record and rule
            if encoded is not None and not encoded.placed:
                batch = _Batch.of_encoded_records(records, encoded, self.limits.record_bytes_max)
                return self._produce(topic, batch, partition)
        return self._produce(topic, _Batch.of_records(records), partition)

    def produce_encoded(
        self,
        topic: str,
        batch: bytes,
        *,
        partition: int | None = None,
        shape: BatchShape | None = None,
        flush: bool = True,
        first_only: bool = False,
    ) -> list[tuple[int, int]]:
        """Produce one encoded batch (broker.record's format, magic 1 or 2, any base offset),
        atomically.

        When every record carries a timestamp and the batch goes to one partition (an explicit
        `partition`, or no keys), the verified bytes are appended as they came, re-based;
        otherwise the batch is decoded and produced as its records (in magic 1). A negative
        timestamp means "stamp it on append". Checks and placement are `produce`'s. A magic
        2 batch of an idempotent producer is checked against the partition's sequences as it
        is appended (broker.producer_state).
        A caller that built `batch` itself (the Kafka listener) passes the `shape` it measured
        on the way, and the batch is not parsed again; without the values a contract needs,
        they are read from the batch. With `flush=False` an appended-as-is batch waits for
        `flush_appended(topic, partition)` to meet the flush policy (see PartitionLog).
        With `first_only` an appended-as-is batch answers its first record's place alone.
        """
        where = f"produce batch for {topic!r}"
        length_max = self.limits.batch_bytes_max + BATCH_HEADER_BYTES + V2_HEADER_BYTES
        with self._lock:
            contract = self._topic(topic).config.contract
        if shape is None:
            shape = measure_batch(batch, where, length_max=length_max, values=contract != "none")
        keyed = shape.key_bytes_top >= 0
        unstamped = min(shape.timestamps_ms) < 0
        if unstamped and shape.header.magic == BATCH_MAGIC_V2 and producer_fields(batch)[0] >= 0:
            # re-stamped, it would be appended in magic 1, where no sequence is checked
            raise CorruptBatchError(where, "an idempotent producer's records carry timestamps")
        if unstamped or (keyed and partition is None):
            _, decoded = decode_batch(batch, topic, -1, where, length_max=length_max)
            records = [
                ProducerRecord(
                    r.value, r.key, r.headers, None if r.timestamp_ms < 0 else r.timestamp_ms
                )
                for r in decoded
            ]
            return self.produce(topic, records, partition=partition)
        header = shape.header
        if (header.first_timestamp_ms, header.max_timestamp_ms) != (
            shape.timestamps_ms[0],
            max(shape.timestamps_ms),
        ):
            raise CorruptBatchError(where, "header timestamps do not match the records")
        return self._produce(
            topic, _Batch.of_encoded(batch, shape), partition, flush=flush, first_only=first_only
        )

    def flush_appended(self, topic: str, partition: int) -> None:
        """Meet the flush policy for appends made with `flush=False` (see PartitionLog)."""
        with self._lock:
            log = self._log(topic, partition)
        try:
            log.flush_appended()
        except LogClosedError:
            self._log(topic, partition)  # deleted meanwhile: UnknownTopicError
            raise

    def _produce(
        self,
        topic: str,
        batch: _Batch,
        partition: int | None,
        *,
        flush: bool = True,
        first_only: bool = False,
    ) -> list[tuple[int, int]]:
        """The one produce path: limits, contract, partitions, then the appends."""
        self._check_limits(batch)
        with self._lock:
            found = self._topic(topic)
            logs = list(found.logs)
            contract = found.config.contract
        # contract checks may call the registry, and appends fsync: neither holds the broker
        # lock, so fetches and other partitions' produces go on meanwhile
        if contract != "none":
            check_values(topic, contract, batch.values(), self.contracts)
        count = len(logs)
        if partition is not None and not 0 <= partition < count:
            raise UnknownPartitionError(topic, partition, count)
        records = batch.records
        if batch.shape is not None or batch.records_encoded is not None or (
            all(r.partition is None for r in records)
            and (partition is not None or all(r.key is None for r in records))
        ):
            # the common case: the whole batch goes to one partition
            only = next(found.next_unkeyed) % count if partition is None else partition
            if batch.records_encoded is not None:
                base = self._append(
                    topic, logs[only], batch.records_encoded, flush, batch.count,
                    BATCH_HEADER_BYTES + batch.bytes_total, records,
                )
            elif batch.shape is None:
                base = self._append(
                    topic, logs[only], records, flush, batch.count,
                    BATCH_HEADER_BYTES + batch.bytes_total,
                )
            else:
                base = self._append(
                    topic, logs[only], batch.encoded, flush, batch.count, len(batch.encoded)
                )
            if first_only:
                return [(only, base)]
            return list(zip(itertools.repeat(only), range(base, base + batch.count)))
        for record in records:
            p = record.partition if record.partition is not None else partition
            if p is not None and not 0 <= p < count:
                raise UnknownPartitionError(topic, p, count)
        by_partition: dict[int, list[int]] = {}
        unkeyed: int | None = None
        for i, record in enumerate(records):
            p = record.partition if record.partition is not None else partition
            if p is None and record.key is not None:
                p = keyed_partition(record.key, count)
            elif p is None:
                if unkeyed is None:
                    unkeyed = next(found.next_unkeyed) % count
                p = unkeyed
            by_partition.setdefault(p, []).append(i)
        result: list[tuple[int, int]] = [(0, 0)] * len(records)
        for p, indexes in by_partition.items():
            part = [records[i] for i in indexes]
            observed = self.observer is not None  # the size is for the observer alone
            size = BATCH_HEADER_BYTES + sum(map(record_bytes, part)) if observed else 0
            base = self._append(topic, logs[p], part, True, len(part), size)
            for n, i in enumerate(indexes):
                result[i] = (p, base + n)
        return result

    def _append(
        self,
        topic: str,
        log: PartitionLog,
        batch: Sequence[ProducerRecord] | bytes | EncodedRecords,
        flush: bool,
        records: int,
        size_bytes: int,
        of_records: Sequence[ProducerRecord] = (),
    ) -> int:
        """Append one batch of `records` that the log stores in `size_bytes` (an
        EncodedRecords batch: `of_records`, encoded)."""
        try:
            if isinstance(batch, bytes):
                base = log.append_encoded(batch, flush=flush)
            elif isinstance(batch, EncodedRecords):
                base = log.append_records(batch, of_records, self._clock_ms())
            else:
                base = log.append(batch, self._clock_ms())
        except LogClosedError:
            self._topic(topic)  # deleted meanwhile: UnknownTopicError
            raise
        observer = self.observer
        if observer is not None:
            observer.produced(topic, records, size_bytes)
        self._notify_appended()
        return base

    def _notify_appended(self) -> None:
        with self._lock:
            self._appends += 1  # lets a fetch that looked before this see it (no lost wake-up)
            self._appended.notify_all()
            listeners = list(self._append_listeners)
        for listener in listeners:
            listener()

    def add_append_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        """Call `listener()` (from the appending thread) after every append, topic deletion
        and close, so an asynchronous waiter can re-check its partitions; returns a function
        that removes it. Listeners must be quick and never raise."""
        with self._lock:
            self._append_listeners.append(listener)

        def remove() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._append_listeners.remove(listener)

        return remove

    def _check_limits(self, batch: _Batch) -> None:
        limits = self.limits
        check_limit("batch_records_max", batch.count, limits.batch_records_max, what="batch")
        if (
            batch.record_bytes_top > limits.record_bytes_max
            or batch.key_bytes_top > limits.key_bytes_max
            or batch.headers_top > limits.headers_per_record_max
        ):
            for i, (size, key, headers) in enumerate(zip(*batch.measures(), strict=True)):
                what = f"record {i}"
                check_limit("record_bytes_max", size, limits.record_bytes_max, what=what)
                check_limit("key_bytes_max", key, limits.key_bytes_max, what=what)
                check_limit(
                    "headers_per_record_max", headers, limits.headers_per_record_max, what=what
                )
        check_limit("batch_bytes_max", batch.bytes_total, limits.batch_bytes_max, what="batch")

    # ------------------------------------------------------------------ fetch

    def fetch(
        self,
        topic: str,
        partition: int,
        offset: int,
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
        observe: bool = True,
    ) -> FetchedRecords:
        """Records from `offset`; waits up to `wait_ms` for the first one to arrive."""
        return self.fetch_many(
            {(topic, partition): offset},
            records_max=records_max,
            bytes_max=bytes_max,
            wait_ms=wait_ms,
            observe=observe,
        )[(topic, partition)]

    def fetch_many(
        self,
        positions: Mapping[TopicPartition, int],
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
        observe: bool = True,
    ) -> dict[TopicPartition, FetchedRecords]:
        """Long-poll several partitions: returns as soon as any has records or `wait_ms` ends.

        `records_max` and `bytes_max` bound the whole answer, not each partition. The
        observer is told what was served unless `observe` is false (a caller that reports
        itself what it serves, or reads for its own use).
        """
        self._check_fetch(positions, records_max, bytes_max, wait_ms)
        logs, bounds = self._wait_for_records(positions, wait_ms)
        observer = self.observer if observe else None
        out: dict[TopicPartition, FetchedRecords] = {}
        records_left, bytes_left = records_max, bytes_max
        for tp, off in positions.items():
            start, end = bounds[tp]
            if records_left <= 0 or bytes_left <= 0 or end <= off:
                # the bounds seen by the wait: no second look at a log an append may hold
                out[tp] = FetchedRecords([], start, end, 0)
                continue
            try:  # from the log's tail in memory when it is kept there (broker.tail)
                got = logs[tp].read(off, records_max=records_left, bytes_max=bytes_left)
            except LogClosedError:
                self._log(*tp)  # deleted meanwhile: UnknownTopicError
                raise
            out[tp] = got
            records_left -= len(got.records)
            bytes_left -= got.bytes_read
            if observer is not None and got.records:
                observer.fetched(tp[0], len(got.records), got.bytes_read)
        return out

    def fetch_many_batches(
        self,
        positions: Mapping[TopicPartition, int],
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
        observe: bool = True,
    ) -> dict[TopicPartition, RawBatches]:
        """As `fetch_many`, but whole verified batches from the segments, undecoded (see
        PartitionLog.read_batches).

        The first batch of a partition may hold records before the asked offset and the last
        may go past `records_max`: the HTTP API and the Kafka listener serve these bytes as
        they are on disk. (`fetch_many` is the same loop over `PartitionLog.read`, which
        skips and trims, and serves the logs' tails from memory.)
        """
        self._check_fetch(positions, records_max, bytes_max, wait_ms)
        logs, bounds = self._wait_for_records(positions, wait_ms)
        out: dict[TopicPartition, RawBatches] = {}
        records_left, bytes_left = records_max, bytes_max
        for tp, off in positions.items():
            start, end = bounds[tp]
            if records_left <= 0 or bytes_left <= 0 or end <= off:
                # the bounds seen by the wait: no second look at a log an append may hold
                out[tp] = RawBatches([], [], start, end, 0)
                continue
            try:
                got = logs[tp].read_batches(off, records_max=records_left, bytes_max=bytes_left)
            except LogClosedError:
                self._log(*tp)  # deleted meanwhile: UnknownTopicError
                raise
            out[tp] = got
            served = _records_in(got, off)
            records_left -= served
            bytes_left -= got.bytes_read
            observer = self.observer
            if observe and observer is not None and got.batches:
                observer.fetched(tp[0], served, got.bytes_read)
        return out

    def _check_fetch(
        self,
        positions: Mapping[TopicPartition, int],
        records_max: int,
        bytes_max: int,
        wait_ms: int,
    ) -> None:
        limits = self.limits
        check_limit("fetch_records_max", records_max, limits.fetch_records_max, what="fetch")
        check_limit("fetch_bytes_max", bytes_max, limits.fetch_bytes_max, what="fetch")
        check_limit("poll_timeout_ms_max", wait_ms, limits.poll_timeout_ms_max, what="fetch")
        check_limit(
            "fetch_partitions_max", len(positions), limits.fetch_partitions_max, what="fetch"
        )
        if not positions:
            raise InvalidConfigError("fetch", "name at least one partition")
        if records_max < 1 or bytes_max < 1 or wait_ms < 0:
            raise InvalidConfigError("fetch", "records_max and bytes_max ≥ 1, wait_ms ≥ 0")

    def _wait_for_records(
        self, positions: Mapping[TopicPartition, int], wait_ms: int
    ) -> tuple[dict[TopicPartition, PartitionLog], dict[TopicPartition, tuple[int, int]]]:
        """The partitions' logs and their (start, end) offsets once one has a record at or
        after its position, or time is up.

        The broker lock is held only to find the logs and to wait: reading a log's offsets
        takes the log's lock, which an append holds through its fsync, and a fetch waiting
        for it under the broker lock would stall every produce and fetch of the broker. A
        wait is skipped if an append was announced since the logs were looked at.
        """
        deadline = time.monotonic() + wait_ms / 1000
        while True:
            with self._lock:
                logs = {tp: self._log(*tp) for tp in positions}
                announced = self._appends
            bounds: dict[TopicPartition, tuple[int, int]] = {}
            ready = False
            for tp, off in positions.items():
                log = logs[tp]
                start, end = log.log_start_offset, log.log_end_offset
                if not start <= off <= end:
                    raise OffsetOutOfRangeError(off, start, end)
                bounds[tp] = (start, end)
                ready = ready or end > off
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0:
                return logs, bounds
            with self._lock:
                if self._appends == announced:
                    with self.long_poll():
                        self._appended.wait(remaining)

    @contextlib.contextmanager
    def long_poll(self) -> Iterator[None]:
        """Tell the observer a fetch waits for records while in the block (the broker's own
        waits, and those of the HTTP API and the Kafka listener, which await appends)."""
        observer = self.observer
        if observer is None:
            yield
            return
        observer.waiting(1)
        try:
            yield
        finally:
            observer.waiting(-1)

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        """(log start offset, log end offset) of a partition."""
        with self._lock:  # not held while the log's lock is waited for (see _wait_for_records)
            log = self._log(topic, partition)
        return log.log_start_offset, log.log_end_offset

    def offsets_if_free(self, topic: str, partition: int) -> tuple[int, int] | None:
        """`offsets`, or None rather than wait while the partition's log is busy (see
        PartitionLog.offsets_if_free)."""
        with self._lock:
            log = self._log(topic, partition)
        return log.offsets_if_free()

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        with self._lock:
            log = self._log(topic, partition)
        try:
            return log.offset_for_time(timestamp_ms)
        except LogClosedError:
            self._log(topic, partition)  # deleted meanwhile: UnknownTopicError
            raise

    def lag(self, group: str) -> list[PartitionLag]:
        """Per partition the group has committed or owns: committed offset, log end, lag."""
        description = self.groups.describe(group)
        wanted = set(description.committed)
        for member in description.members:
            wanted.update(member.partitions)
        out: list[PartitionLag] = []
        with self._lock:
            for topic, partition in sorted(wanted):
                if topic not in self._topics:
                    continue
                start, end = self.offsets(topic, partition)
                committed = description.committed.get((topic, partition))
                lag = end - max(committed if committed is not None else start, start)
                out.append(PartitionLag(topic, partition, committed, end, lag))
        return out

    # ------------------------------------------------------------------ maintenance

    def run_maintenance(self, now_ms: int | None = None) -> None:
        """Retention, interval flushes, session expiry and the tails' age limit, once."""
        now = self._clock_ms() if now_ms is None else now_ms
        with self._lock:
            if self._closed:
                return
            logs = [log for topic in self._topics.values() for log in topic.logs]
        for log in logs:
            with contextlib.suppress(LogClosedError):
                log.enforce_retention(now)
                log.flush_if_due(now)
                log.expire_tail(now)
        self.groups.expire(now)

    def _maintain(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            self.run_maintenance()

    def flush(self) -> None:
        with self._lock:
            for topic in self._topics.values():
                for log in topic.logs:
                    log.flush()

    def _check_open(self) -> None:
        if self._closed:
            raise LogClosedError("broker")

    def close(self) -> None:
        self._stop.set()
        if self._maintenance is not None:
            self._maintenance.join()
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for topic in self._topics.values():
                for log in topic.logs:
                    log.close()
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
        self._notify_appended()

    def __enter__(self) -> Broker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
