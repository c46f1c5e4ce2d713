"""One partition's log: a directory of segments named by base offset, with sparse indexes.

Layout of a partition directory:

    00000000000000000000.log        record batches (see broker.record), appended only
    00000000000000000000.index      sparse offset index, entries of OFFSET_ENTRY
    00000000000000000000.timeindex  sparse time index, entries of TIME_ENTRY
    00000000000000000000.producers  idempotent producers' state as of the segment's start
                                    (broker.producer_state), written when it was rolled
    checkpoint                      CHECKPOINT: the log up to here was verified and fsynced

The indexes of the active segment live in memory (it is rebuilt from its batches on open in
any case); a segment's index files are written whole when it is rolled, or when a closed
segment's index had to be rebuilt. Index files are never fsynced: a missing or inconsistent
index is rebuilt from its segment.

The log holds no descriptor itself: its segment files are `PooledFile`s of a `FilePool`
(shared by all the partitions of a broker), which bounds the files held open. Every use of a
descriptor pins its file for the duration, so out of descriptors an append fails whole,
before it writes anything.
A segment's age (for rolling by `segment_age_ms`) counts from its creation by this process;
after a restart the active segment's age starts again.
On open, segments from the checkpoint on are read batch by batch with their checksums
verified; the log is cut at the first torn or corrupt batch, and later segments are removed.
The producers' state is rebuilt on the way: the snapshot of the checkpoint's segment, then
the headers of the magic 2 batches read after it (a missing or corrupt snapshot costs only
the retries of producers that last appended before that segment).
The log holds batches of both kinds of broker.record; the checks and reads here look at the
38-byte header and the checksum alone, which the two kinds share.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import os
import struct
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from crc32c import crc32c

from broker.api import FetchedRecords
from broker.batch_v2 import V2_HEADER_BYTES
from broker.config import TopicConfig
from broker.errors import CorruptBatchError, LogClosedError, OffsetOutOfRangeError
from broker.files import FilePool, PooledFile
from broker.producer_state import ProducerState
from broker.record import (
    BATCH_HEADER_BYTES,
    BATCH_MAGIC_V2,
    BatchHeader,
    ConsumedRecord,
    EncodedRecords,
    ProducerRecord,
    decode_batch,
    encode_records,
    producer_fields,
    read_header,
    rebase_batch,
    wrap_records,
)
from broker.tail import TailBudget, TailRead, TailRecords

__all__ = [
    "CHECKPOINT",
    "OFFSET_ENTRY",
    "TIME_ENTRY",
    "FetchedRecords",
    "PartitionLog",
    "RawBatches",
    "decode_batches",
]

# offset index entry: offset relative to the segment's base (u32), byte position (u32)
OFFSET_ENTRY = struct.Struct(">II")
# time index entry: largest timestamp of all records before the batch (i64),
# the batch's offset relative to the segment's base (u32)
TIME_ENTRY = struct.Struct(">qI")
# checkpoint: segment base offset (u64), byte position in it (u64), CRC32C of the 16 bytes (u32)
CHECKPOINT = struct.Struct(">QQI")
_CHECKPOINT_FILE = "checkpoint"
_SNAPSHOT = ".producers"
_HEAD_BYTES = BATCH_HEADER_BYTES + V2_HEADER_BYTES  # what a scan reads of each batch
_NO_TIMESTAMP = -(2**63)
_LOG_FLAGS = os.O_RDWR | os.O_CREAT | os.O_APPEND
_NEW_FILE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
SEGMENT_BYTES_HARD_MAX = 2**32 - 1  # positions in the offset index are u32


def _name(base_offset: int, suffix: str) -> str:
    return f"{base_offset:020d}{suffix}"


@dataclass
class _Segment:
    base_offset: int
    path: Path
    file: PooledFile
    size_bytes: int = 0
    next_offset: int = 0
    max_timestamp_ms: int = _NO_TIMESTAMP
    created_ms: int = 0
    offset_index: list[tuple[int, int]] = field(default_factory=list)  # (offset, position)
    time_index: list[tuple[int, int]] = field(default_factory=list)  # (max ts before, offset)
    bytes_since_index: int = 0
    index_on_disk: bool = False  # the index files hold the indexes above

    @property
    def index_path(self) -> Path:
        return self.path.with_suffix(".index")

    @property
    def time_path(self) -> Path:
        return self.path.with_suffix(".timeindex")

    @property
    def snapshot_path(self) -> Path:
        return self.path.with_suffix(_SNAPSHOT)

    def close(self, pool: FilePool) -> None:
        pool.discard(self.file)


@dataclass(frozen=True, slots=True)
class RawBatches:
    batches: list[bytes]
    wheres: list[str]  # where each batch was read, for error messages
    log_start_offset: int
    log_end_offset: int
    bytes_read: int


def decode_batches(
    raw: RawBatches, topic: str, partition: int, offset: int, records_max: int
) -> FetchedRecords:
    """The records of `raw` from `offset` on, at most `records_max` (batches are whole)."""
    out: list[ConsumedRecord] = []
    for batch, where in zip(raw.batches, raw.wheres, strict=True):
        header, records = decode_batch(batch, topic, partition, where, length_max=len(batch))
        skip = max(0, offset - header.base_offset)
        out.extend(records[skip : skip + records_max - len(out)])
    return FetchedRecords(out, raw.log_start_offset, raw.log_end_offset, raw.bytes_read)


class PartitionLog:
    """The segmented log of one partition. Thread-safe; every public method takes the lock."""

    def __init__(
        self,
        directory: Path,
        topic: str,
        partition: int,
        config: TopicConfig,
        *,
        clock_ms: Callable[[], int],
        files: FilePool | None = None,
        tail: TailBudget | None = None,
    ) -> None:
        """`tail`: the budget of the broker's in-memory tails (broker.tail); without it,
        every read comes from the segments."""
        self.directory = directory
        self._files = files or FilePool()
        self.topic = topic
        self.partition = partition
        self.config = config
        self._clock_ms = clock_ms
        self._lock = threading.RLock()
        self._segments: list[_Segment] = []
        self._closed = False
        # a failed append that could not be undone: reads and appends refuse, close still closes
        self._failed = False
        self._last_flush_ms = clock_ms()
        self._unflushed = False
        self._durable_end = 0  # offsets below it are on disk, fdatasync'd (set once open)
        self.recovered_truncated_bytes = 0
        self.producers = ProducerState()
        self._tail = None if tail is None else TailRecords(topic, partition, tail)
        fresh = not directory.exists()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            if fresh:  # no checkpoint yet: a log without one is verified from its start
                self._segments.append(self._open_segment(0))
            else:
                self._open()  # what it verified is fsynced before it returns
        except BaseException:
            self.remove()  # nothing of a log that failed to open stays in the pool
            raise
        self._durable_end = self._segments[-1].next_offset

    # ---------------------------------------------------------------- opening and recovery

    def _open(self) -> None:
        for stray in self.directory.glob("*.tmp"):
            stray.unlink()
        bases = sorted(int(p.stem) for p in self.directory.glob("*.log") if p.stem.isdigit())
        for suffix in (".index", ".timeindex", _SNAPSHOT):
            for p in self.directory.glob(f"*{suffix}"):
                if not p.stem.isdigit() or int(p.stem) not in bases:
                    p.unlink()
        if not bases:
            self._segments.append(self._create_segment(0))
            self._write_checkpoint(0, 0)
            return
        cp_base, cp_pos = self._read_checkpoint(bases)
        for i, base in enumerate(bases):
            seg = self._open_segment(base)
            self._segments.append(seg)
            if base < cp_base:
                self._load_closed(seg, bases[i + 1])
            else:
                if base == cp_base:
                    self.producers = self._read_snapshot(seg)
                ok = self._recover(seg, cp_pos if base == cp_base else 0)
                if not ok:
                    for later in bases[i + 1 :]:
                        self._delete_files(self.directory / _name(later, ".log"))
                    break
        if self._segments[-1].size_bytes == 0 and len(self._segments) > 1:
            # an empty active segment must start where the previous one ends
            last = self._segments[-1]
            if last.base_offset != self._segments[-2].next_offset:
                self._segments.pop()
                last.close(self._files)
                self._delete_files(last.path)
                self._segments.append(self._create_segment(self._segments[-1].next_offset))
                self._write_snapshot(self._segments[-1])
        for closed in self._segments[:-1]:
            if not closed.index_on_disk:
                self._write_index_files(closed)
        last = self._segments[-1]
        # what was verified must also be on disk before a checkpoint says so
        self._fsync(last.file)
        self._fsync_dir()
        self._write_checkpoint(last.base_offset, last.size_bytes)

    def _read_checkpoint(self, bases: list[int]) -> tuple[int, int]:
        try:
            raw = (self.directory / _CHECKPOINT_FILE).read_bytes()
            base, pos, crc = CHECKPOINT.unpack(raw)
        except (OSError, struct.error):
            return bases[0], 0
        if crc != crc32c(raw[:16]) or base not in bases:
            return bases[0], 0
        size = (self.directory / _name(base, ".log")).stat().st_size
        if pos > size:
            return base, 0
        return base, pos

    def _write_checkpoint(self, base: int, pos: int) -> None:
        body = struct.pack(">QQ", base, pos)
        tmp = self.directory / (_CHECKPOINT_FILE + ".tmp")
        fd = self._files.open_fd(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, body + struct.pack(">I", crc32c(body)))
        finally:
            os.close(fd)
        os.replace(tmp, self.directory / _CHECKPOINT_FILE)

    def _open_segment(self, base: int) -> _Segment:
        path = self.directory / _name(base, ".log")
        file = PooledFile(path, _LOG_FLAGS)
        fd = self._files.acquire(file)
        try:
            size = os.fstat(fd).st_size
        finally:
            self._files.release(file)
        return _Segment(base, path, file, size, base, created_ms=self._clock_ms())

    def _create_segment(self, base: int) -> _Segment:
        seg = self._open_segment(base)
        self._delete_index_files(seg)
        with contextlib.suppress(FileNotFoundError):
            seg.snapshot_path.unlink()
        return seg

    def _read_snapshot(self, seg: _Segment) -> ProducerState:
        try:
            raw = seg.snapshot_path.read_bytes()
        except OSError:
            return ProducerState()
        return ProducerState.from_snapshot(raw) or ProducerState()

    def _write_snapshot(self, seg: _Segment) -> None:
        """The producers' state as of `seg`'s start, written whole (not fsynced: a torn one
        fails its CRC and is ignored)."""
        tmp = self.directory / (seg.snapshot_path.name + ".tmp")
        self._write_whole(tmp, self.producers.snapshot())
        os.replace(tmp, seg.snapshot_path)

    def _write_whole(self, path: Path, body: bytes) -> None:
        """`body` as the whole of a new (or emptied) file at `path`, not fsynced."""
        fd = self._files.open_fd(path, _NEW_FILE_FLAGS, 0o644)
        try:
            view = memoryview(body)
            written = 0
            while written < len(body):
                written += os.write(fd, view[written:])
        finally:
            os.close(fd)

    def _write_index_files(self, seg: _Segment) -> None:
        """Write the segment's indexes, whole, from memory (never fsynced: see above)."""
        base = seg.base_offset
        bodies = (
            (seg.index_path, b"".join(OFFSET_ENTRY.pack(o - base, p) for o, p in seg.offset_index)),
            (seg.time_path, b"".join(TIME_ENTRY.pack(t, o - base) for t, o in seg.time_index)),
        )
        for path, body in bodies:
            self._write_whole(path, body)
        seg.index_on_disk = True

    def _pread(self, file: PooledFile, size: int, pos: int) -> bytes:
        fd = self._files.acquire(file)
        try:
            return os.pread(fd, size, pos)
        finally:
            self._files.release(file)

    def _fsync(self, file: PooledFile) -> None:
        fd = self._files.acquire(file)
        try:
            os.fsync(fd)
        finally:
            self._files.release(file)

    def _delete_index_files(self, seg: _Segment) -> None:
        for p in (seg.index_path, seg.time_path):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()

    def _load_closed(self, seg: _Segment, next_base: int) -> None:
        """A segment before the checkpoint: trust its bytes (reads still verify), load indexes."""
        if not self._load_indexes(seg):
            self._rebuild(seg, verify=False)
            self._write_index_files(seg)
        else:
            start = seg.offset_index[-1][1] if seg.offset_index else 0
            for _pos, header, _head in self._scan(seg, start, verify=False):
                seg.max_timestamp_ms = max(seg.max_timestamp_ms, header.max_timestamp_ms)
            if seg.time_index:
                seg.max_timestamp_ms = max(seg.max_timestamp_ms, seg.time_index[-1][0])
        seg.next_offset = next_base

    def _load_indexes(self, seg: _Segment) -> bool:
        try:
            raw_o = seg.index_path.read_bytes()
            raw_t = seg.time_path.read_bytes()
        except OSError:
            return False
        if len(raw_o) % OFFSET_ENTRY.size or len(raw_t) % TIME_ENTRY.size:
            return False
        offsets = [(seg.base_offset + r, p) for r, p in OFFSET_ENTRY.iter_unpack(raw_o)]
        times = [(ts, seg.base_offset + r) for ts, r in TIME_ENTRY.iter_unpack(raw_t)]
        if not offsets or [o for _, o in times] != [o for o, _ in offsets]:
            return False
        for (o1, p1), (o2, p2) in itertools.pairwise(offsets):
            if not (o1 < o2 and p1 < p2):
                return False
        # the last entry must point at a batch starting at its offset (a zeroed or stale
        # index would otherwise only show up as read errors later)
        last_offset, last_pos = offsets[-1]
        if offsets[0] != (seg.base_offset, 0) or last_pos + BATCH_HEADER_BYTES > seg.size_bytes:
            return False
        try:
            head = read_header(
                self._pread(seg.file, BATCH_HEADER_BYTES, last_pos),
                self._where(seg, last_pos),
                length_max=seg.size_bytes - last_pos,
            )
        except CorruptBatchError:
            return False
        if head.base_offset != last_offset:
            return False
        seg.offset_index = offsets
        seg.time_index = times
        seg.index_on_disk = True
        return True

    def _recover(self, seg: _Segment, verified_pos: int) -> bool:
        """Verify `seg` batch by batch and rebuild its indexes and the producers' state from
        it; False if it had to be cut."""
        end = self._rebuild(seg, verify=True, verified_pos=verified_pos, learn=True)
        if end < seg.size_bytes:
            self.recovered_truncated_bytes += seg.size_bytes - end
            fd = self._files.acquire(seg.file)
            try:
                os.ftruncate(fd, end)
                os.fsync(fd)
            finally:
                self._files.release(seg.file)
            seg.size_bytes = end
            return False
        return True

    def _rebuild(
        self, seg: _Segment, *, verify: bool, verified_pos: int = 0, learn: bool = False
    ) -> int:
        """Rebuild the indexes of `seg` from its batches (and with `learn` the producers'
        state); returns where the valid data ends."""
        seg.offset_index = []
        seg.time_index = []
        seg.bytes_since_index = 0
        seg.next_offset = seg.base_offset
        seg.max_timestamp_ms = _NO_TIMESTAMP
        seg.index_on_disk = False
        end = 0
        for pos, header, head in self._scan(seg, 0, verify=verify, verified_pos=verified_pos):
            if header.base_offset != seg.next_offset:
                break
            self._index_batch(seg, pos, header)
            end = pos + header.length
            if learn and header.magic == BATCH_MAGIC_V2:
                producer_id, epoch, first, count = producer_fields(head)
                if producer_id >= 0:
                    self.producers.appended(producer_id, epoch, first, count, header.base_offset)
        return end

    def _scan(
        self, seg: _Segment, start: int, *, verify: bool, verified_pos: int = 0
    ) -> Iterator[tuple[int, BatchHeader, bytes]]:
        """Batches from byte `start` until the end or the first torn or corrupt one: their
        position, header and first bytes (for magic 2, the v2 header too).

        With `verify`, checksums are checked from `verified_pos` on (the checkpoint: bytes
        before it were verified and fsynced by an earlier run); headers are always checked.
        """
        pos = start
        size = seg.size_bytes
        while pos + BATCH_HEADER_BYTES <= size:
            try:
                head = self._pread(seg.file, min(_HEAD_BYTES, size - pos), pos)
                header = read_header(head, self._where(seg, pos), length_max=size - pos)
                if verify and pos >= verified_pos:
                    raw = self._pread(seg.file, header.length, pos)
                    if len(raw) != header.length or crc32c(memoryview(raw)[8:]) != header.crc:
                        return
            except CorruptBatchError:
                return
            yield pos, header, head
            pos += header.length

    def _index_batch(self, seg: _Segment, pos: int, header: BatchHeader) -> None:
        if not seg.offset_index or seg.bytes_since_index >= self.config.index_interval_bytes:
            seg.offset_index.append((header.base_offset, pos))
            seg.time_index.append((seg.max_timestamp_ms, header.base_offset))
            seg.bytes_since_index = 0
        seg.bytes_since_index += header.length
        seg.next_offset = header.next_offset
        seg.max_timestamp_ms = max(seg.max_timestamp_ms, header.max_timestamp_ms)

    def _where(self, seg: _Segment, pos: int) -> str:
        return f"{self.topic}[{self.partition}] {seg.path.name}@{pos}"

    # ---------------------------------------------------------------- properties

    @property
    def log_start_offset(self) -> int:
        with self._lock:
            return self._segments[0].base_offset

    @property
    def log_end_offset(self) -> int:
        with self._lock:
            return self._segments[-1].next_offset

    def offsets_if_free(self) -> tuple[int, int] | None:
        """(log start, log end) if no one holds the log's lock now, else None: an append may
        hold it through its fsync, and an event loop must not wait for that."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            return self._segments[0].base_offset, self._segments[-1].next_offset
        finally:
            self._lock.release()

    @property
    def size_bytes(self) -> int:
        with self._lock:
            return sum(s.size_bytes for s in self._segments)

    def segment_bases(self) -> list[int]:
        with self._lock:
            return [s.base_offset for s in self._segments]

    @property
    def open_files(self) -> int:
        """The partition's segment and index files open now (in the pool)."""
        with self._lock:
            return sum(s.file.fd >= 0 for s in self._segments)

    # ---------------------------------------------------------------- appending

    def append(self, records: Sequence[ProducerRecord], now_ms: int | None = None) -> int:
        """Append `records` as one batch; returns its base offset. Flushes per the policy."""
        now = self._clock_ms() if now_ms is None else now_ms
        return self.append_records(encode_records(records, now), records, now)

    def append_records(
        self, encoded: EncodedRecords, records: Sequence[ProducerRecord], now_ms: int
    ) -> int:
        """`append` for records already encoded (`encode_records(records, now_ms)`, by a
        caller that measured them for its limits on the way)."""
        length = BATCH_HEADER_BYTES + encoded.bytes_total
        with self._lock:
            self._check_open()
            self._maybe_roll(length, now_ms)
            active = self._segments[-1]
            base = self._append_encoded(active, wrap_records(active.next_offset, encoded))
            if self._tail is not None:
                self._tail.keep(base, length, encoded, records, now_ms)
            return base

    def append_encoded(self, data: bytes, *, flush: bool = True) -> int:
        """Append a batch encoded elsewhere (verified by the caller), re-based to the log end.

        Returns its base offset. The produce path for batches that arrive encoded (over HTTP,
        magic 1; from the Kafka listener, magic 2: an idempotent producer's batch is checked
        against its sequences first, and a refusal is a SequenceError).
        With `flush=False` the flush policy is left to a later `flush_appended()`, which the
        caller must await before it acknowledges the batch: so several appends can share one
        fdatasync (the Kafka listener's group commit). Fetches see the batch before that.
        """
        producer = (-1, 0, 0, 0)
        if len(data) >= _HEAD_BYTES and data[8] == BATCH_MAGIC_V2:
            producer = producer_fields(data)
        with self._lock:
            self._check_open()
            if producer[0] >= 0:
                self.producers.check(*producer)
            self._maybe_roll(len(data), self._clock_ms())
            active = self._segments[-1]
            base = self._append_encoded(active, rebase_batch(data, active.next_offset), flush)
            if producer[0] >= 0:  # after the write and the flush it asked for
                self.producers.appended(*producer, base)
            return base

    def flush_appended(self) -> None:
        """What the flush policy asks after appends made with `flush=False`: an fdatasync for
        `always`, one if due for `interval_ms`, nothing for `never`.

        The fdatasync runs outside the log's lock, so appends go on meanwhile (the Kafka
        listener appends the next requests while the last ones are flushed); each caller
        returns once an fdatasync that began after its appends has ended (its own, or one
        that covered them already: `_durable_end`).
        """
        with self._lock:
            self._check_open()
            policy = self.config.flush
            if not (
                policy == "always"
                or (
                    policy == "interval_ms"
                    and self._clock_ms() - self._last_flush_ms >= self.config.flush_interval_ms
                )
            ):
                return
            active = self._segments[-1]
            target = active.next_offset
            if self._durable_end >= target:
                return
            file = active.file
            fd = self._files.acquire(file)
        try:
            os.fdatasync(fd)  # earlier segments were fsynced when they were rolled
        finally:
            self._files.release(file)
        with self._lock:
            self._durable_end = max(self._durable_end, target)
            self._last_flush_ms = self._clock_ms()
            if self._durable_end >= self._segments[-1].next_offset:
                self._unflushed = False

    def _append_encoded(self, active: _Segment, data: bytes, flush: bool = True) -> int:
        header = read_header(data, "append", length_max=len(data))
        base = header.base_offset
        if base != active.next_offset:
            raise CorruptBatchError("append", f"base offset {base} != {active.next_offset}")
        pos = active.size_bytes
        file = active.file
        # before a byte is written: out of descriptors, the append fails whole
        fd = self._files.acquire(file)
        try:
            view = memoryview(data)
            written = 0
            try:
                while written < len(data):
                    written += os.write(fd, view[written:])
            except BaseException:
                self._undo_partial_write(fd, pos)
                raise
            active.size_bytes += len(data)
            self._index_batch(active, pos, header)
            self._unflushed = True
            policy = self.config.flush
            if flush and (
                policy == "always"
                or (
                    policy == "interval_ms"
                    and self._clock_ms() - self._last_flush_ms >= self.config.flush_interval_ms
                )
            ):
                self._flush_locked()
        finally:
            self._files.release(file)
        return base

    def _undo_partial_write(self, fd: int, pos: int) -> None:
        """Cut what a failed append wrote (a short write, then ENOSPC): the next batch goes
        where the index expects it. If the cut fails too, the log stops taking appends and
        reads: an append after the stray bytes would be indexed where they are, unreadable,
        and recovery would cut it off with every batch after it."""
        try:
            os.ftruncate(fd, pos)
        except OSError:
            self._failed = True

    def _maybe_roll(self, incoming_bytes: int, now_ms: int) -> None:
        active = self._segments[-1]
        if active.size_bytes == 0:
            return
        too_big = active.size_bytes + incoming_bytes > self.config.segment_bytes
        too_old = now_ms - active.created_ms >= self.config.segment_age_ms
        if too_big or too_old:
            self.roll()

    def roll(self) -> None:
        """Close the active segment (fsynced) and start a new one at the log end."""
        with self._lock:
            self._check_open()
            active = self._segments[-1]
            if active.size_bytes == 0:
                return
            self._fsync(active.file)
            self._durable_end = max(self._durable_end, active.next_offset)
            self._write_index_files(active)
            seg = self._create_segment(active.next_offset)
            seg.next_offset = active.next_offset
            self._segments.append(seg)
            self._write_snapshot(seg)
            self._fsync_dir()
            self._write_checkpoint(seg.base_offset, 0)

    # ---------------------------------------------------------------- flushing

    def flush(self) -> None:
        with self._lock:
            if not self._closed:
                self._flush_locked()

    def flush_if_due(self, now_ms: int) -> None:
        with self._lock:
            if self._closed or not self._unflushed:
                return
            if self.config.flush == "interval_ms" and (
                now_ms - self._last_flush_ms >= self.config.flush_interval_ms
            ):
                self._flush_locked()

    def _flush_locked(self) -> None:
        if self._unflushed:
            active = self._segments[-1].file
            fd = self._files.acquire(active)
            try:
                os.fdatasync(fd)
            finally:
                self._files.release(active)
            self._unflushed = False
            self._durable_end = self._segments[-1].next_offset
        self._last_flush_ms = self._clock_ms()

    def _fsync_dir(self) -> None:
        fd = self._files.open_fd(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # ---------------------------------------------------------------- retention

    def enforce_retention(self, now_ms: int | None = None) -> list[int]:
        """Delete whole closed segments past retention; returns the deleted base offsets."""
        now = self._clock_ms() if now_ms is None else now_ms
        deleted: list[int] = []
        with self._lock:
            self._check_open()
            active = self._segments[-1]
            if active.size_bytes and now - active.created_ms >= self.config.segment_age_ms:
                self.roll()
            retention_ms = self.config.retention_ms
            retention_bytes = self.config.retention_bytes
            while len(self._segments) > 1:
                oldest = self._segments[0]
                expired = retention_ms is not None and (
                    oldest.max_timestamp_ms <= now - retention_ms
                )
                total = sum(s.size_bytes for s in self._segments)
                oversize = retention_bytes is not None and total > retention_bytes
                if not (expired or oversize):
                    break
                self._segments.pop(0)
                oldest.close(self._files)
                self._delete_files(oldest.path)
                deleted.append(oldest.base_offset)
            if deleted:
                self._fsync_dir()
                if self._tail is not None:
                    self._tail.drop_before(self._segments[0].base_offset)
        return deleted

    def expire_tail(self, now_ms: int) -> None:
        """Forget kept batches older than broker.tail's age limit."""
        with self._lock:
            if self._tail is not None:
                self._tail.drop_older(now_ms)

    def _delete_files(self, log_path: Path) -> None:
        for suffix in (".log", ".index", ".timeindex", _SNAPSHOT):
            with contextlib.suppress(FileNotFoundError):
                log_path.with_suffix(suffix).unlink()

    # ---------------------------------------------------------------- reading

    def read(self, offset: int, *, records_max: int, bytes_max: int) -> FetchedRecords:
        """Records from `offset` on, batch by batch, each batch's checksum verified.

        At least one batch is returned when one exists, even if it is larger than `bytes_max`,
        so a consumer always makes progress.
        The tail of the log comes from memory when it is kept there (broker.tail).
        """
        kept: TailRead | None = None
        with self._lock:
            tail = self._tail
            if tail is not None and len(tail):
                self._check_open()
                start = self._segments[0].base_offset
                end = self._segments[-1].next_offset
                if start <= offset <= end:
                    kept = tail.read(offset, records_max=records_max, bytes_max=bytes_max)
            if kept is None:
                raw = self.read_batches(offset, records_max=records_max, bytes_max=bytes_max)
            else:  # after a gap in the tail, what the segments hold, up to the same limits
                after, read_bytes = kept.next_offset, kept.bytes_read
                taken = sum(take for _, _, take in kept.batches)
                raw = RawBatches([], [], start, end, 0)
                if after < end and taken < records_max and read_bytes < bytes_max:
                    raw = self.read_batches(
                        after,
                        records_max=records_max - taken,
                        bytes_max=bytes_max - read_bytes,
                        first_fits=True,
                    )
        # records are made outside the lock: appends to the partition go on meanwhile
        if kept is None:
            return decode_batches(raw, self.topic, self.partition, offset, records_max)
        records = kept.records(self.topic, self.partition)
        if raw.batches:
            records += decode_batches(
                raw, self.topic, self.partition, after, records_max - taken
            ).records
        return FetchedRecords(records, start, end, read_bytes + raw.bytes_read)

    def read_batches(
        self, offset: int, *, records_max: int, bytes_max: int, first_fits: bool = False
    ) -> RawBatches:
        """Whole batches holding the records from `offset` on, checksums verified, not decoded.

        The first batch may start before `offset`, and the last may hold more records than
        `records_max` asks for: readers skip and trim (the HTTP API serves these bytes as is).
        With `first_fits` (a read that continues one begun elsewhere) the first batch too
        must fit in `bytes_max`.
        """
        with self._lock:
            self._check_open()
            start = self._segments[0].base_offset
            end = self._segments[-1].next_offset
            if offset < start or offset > end:
                raise OffsetOutOfRangeError(offset, start, end)
            batches: list[bytes] = []
            wheres: list[str] = []
            read_bytes = 0
            records = 0
            i = self._segment_for(offset)
            while i < len(self._segments) and records < records_max:
                seg = self._segments[i]
                pos = self._position_for(seg, offset)
                if pos >= seg.size_bytes:
                    i += 1
                    continue
                fd = self._files.acquire(seg.file)
                try:
                    while pos < seg.size_bytes and records < records_max:
                        head = os.pread(fd, BATCH_HEADER_BYTES, pos)
                        where = self._where(seg, pos)
                        header = read_header(head, where, length_max=seg.size_bytes - pos)
                        if header.next_offset <= offset:
                            pos += header.length
                            continue
                        if (batches or first_fits) and read_bytes + header.length > bytes_max:
                            return RawBatches(batches, wheres, start, end, read_bytes)
                        raw = os.pread(fd, header.length, pos)
                        if len(raw) != header.length or crc32c(memoryview(raw)[8:]) != header.crc:
                            raise CorruptBatchError(where, "checksum mismatch")
                        batches.append(raw)
                        wheres.append(where)
                        read_bytes += header.length
                        records += header.next_offset - max(offset, header.base_offset)
                        pos += header.length
                        if read_bytes >= bytes_max:
                            return RawBatches(batches, wheres, start, end, read_bytes)
                finally:
                    self._files.release(seg.file)
                i += 1
            return RawBatches(batches, wheres, start, end, read_bytes)

    def _segment_for(self, offset: int) -> int:
        bases = [s.base_offset for s in self._segments]
        return max(0, bisect.bisect_right(bases, offset) - 1)

    def _position_for(self, seg: _Segment, offset: int) -> int:
        if not seg.offset_index or offset < seg.base_offset:
            return 0
        i = bisect.bisect_right(seg.offset_index, (offset, 2**63)) - 1
        return seg.offset_index[i][1] if i >= 0 else 0

    def offset_for_time(self, timestamp_ms: int) -> int:
        """The first offset whose record timestamp is ≥ `timestamp_ms`; the log end if none."""
        with self._lock:
            self._check_open()
            for seg in self._segments:
                if seg.max_timestamp_ms < timestamp_ms:
                    continue
                # entries record the largest timestamp before their batch: the first record
                # at or after timestamp_ms cannot come before the last entry still below it
                i = bisect.bisect_left([ts for ts, _ in seg.time_index], timestamp_ms) - 1
                start = seg.time_index[i][1] if i >= 0 else seg.base_offset
                pos = self._position_for(seg, start)
                while pos < seg.size_bytes:
                    raw_head = self._pread(seg.file, BATCH_HEADER_BYTES, pos)
                    where = self._where(seg, pos)
                    header = read_header(raw_head, where, length_max=seg.size_bytes - pos)
                    if header.max_timestamp_ms >= timestamp_ms:
                        raw = self._pread(seg.file, header.length, pos)
                        _, records = decode_batch(
                            raw, self.topic, self.partition, where, length_max=header.length
                        )
                        for rec in records:
                            if rec.timestamp_ms >= timestamp_ms:
                                return rec.offset
                    pos += header.length
            return self._segments[-1].next_offset

    # ---------------------------------------------------------------- closing

    def _check_open(self) -> None:
        if self._closed or self._failed:
            raise LogClosedError(f"log {self.topic}[{self.partition}]")

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            active = self._segments[-1]
            try:
                self._fsync(active.file)
                self._write_checkpoint(active.base_offset, active.size_bytes)
            finally:
                for seg in self._segments:
                    seg.close(self._files)
                self._closed = True
                if self._tail is not None:
                    self._tail.clear()

    def remove(self) -> None:
        """Close without flushing (the partition is being deleted)."""
        with self._lock:
            for seg in self._segments:
                seg.close(self._files)
            self._closed = True
            if self._tail is not None:
                self._tail.clear()
