"""Kafka's record batch, message format v2: the one reader of it in Charter.

The log stores the batches Kafka clients produce as they came (see broker.record, magic 2),
so this reader serves the produce path (verify before appending) and every reader of the
log (decode records for the HTTP API, the SDK and the console). Integers are big-endian;
offsets in the first column are from the start of the batch.

    offset size type  field
    0      8    i64   base_offset            first offset; the broker assigns it on append
    8      4    i32   batch_length           bytes that follow this field
    12     4    i32   partition_leader_epoch
    16     1    i8    magic                  2
    17     4    u32   crc                    CRC32C (Castagnoli) of bytes [21, 12 + batch_length)
    21     2    i16   attributes             bits 0-2 compression (0 none, 1 gzip, 2 snappy,
                                             3 lz4, 4 zstd), bit 3 timestamp type, bit 4
                                             transactional, bit 5 control batch
    23     4    i32   last_offset_delta      record_count - 1 for a producer's batch
    27     8    i64   base_timestamp         timestamps of the records are deltas from it, ms
    35     8    i64   max_timestamp          largest timestamp in the batch, ms
    43     8    i64   producer_id            -1 unless idempotent
    51     2    i16   producer_epoch
    53     4    i32   base_sequence          sequence number of the first record
    57     4    i32   record_count
    61     ...        records (compressed as a whole when attributes say so), each:

        type    field
        varint  length               bytes of the record after this field
        i8      attributes           unused, 0
        varlong timestamp_delta      from base_timestamp
        varint  offset_delta         from base_offset
        varint  key_length           -1 for no key
                key
        varint  value_length         -1 for a null value
                value
        varint  header_count
                headers, header_count times:
        varint  header_key_length
                header_key           UTF-8
        varint  header_value_length  -1 for null
                header_value

Varints are zig-zag encoded, seven bits per byte, least significant group first.

The records are read by aiokafka's compiled reader (`DefaultRecordBatch`), which checks the
CRC32C, that every length stays inside the batch, that each record ends where its length
says, that header keys are UTF-8 and that no byte follows the last record. What it leaves
to its caller is checked here: the length field, magic, attributes (0 only: uncompressed,
create-time, non-transactional; the Kafka listener inflates gzip batches first), the
record count against the caller's maximum and against last_offset_delta, offset deltas
0, 1, 2, ... and the header's max_timestamp against the records. Its varint decoder does
not look at the end of the buffer (a cut-off varint reads on until a byte without the
continuation bit): the batch is handed to it followed by zero bytes, where any such read
stops, and the bounds checks that follow refuse the record.
"""

from __future__ import annotations

import contextlib
import gc
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from crc32c import crc32c

from broker.errors import CorruptBatchError

__all__ = [
    "COMPRESSION_MASK",
    "CONTROL",
    "CRC_START",
    "LENGTH_PREFIX_BYTES",
    "TIMESTAMP_TYPE",
    "TRANSACTIONAL",
    "V2_HEADER",
    "V2_HEADER_BYTES",
    "V2_MAGIC",
    "V2Batch",
    "load_reader",
    "parse",
    "record_sizes",
]

# base_offset, batch_length, leader_epoch, magic, crc, attributes, last_offset_delta,
# base_timestamp, max_timestamp, producer_id, producer_epoch, base_sequence, record_count
V2_HEADER = struct.Struct(">qiibIhiqqqhii")
V2_HEADER_BYTES = V2_HEADER.size  # 61
V2_MAGIC = 2
LENGTH_PREFIX_BYTES = 12  # base_offset and batch_length: not counted by batch_length
COMPRESSION_MASK = 0x07
TIMESTAMP_TYPE = 0x08
TRANSACTIONAL = 0x10
CONTROL = 0x20
_NO_TIMESTAMP = -1
_PAD = bytes(16)  # where aiokafka's unbounded varint reads end (see the docstring)
CRC_START = 21  # the CRC32C covers the batch from here (attributes on)
_OFFSET = attrgetter("offset")
_TIMESTAMP = attrgetter("timestamp")
_KEY = attrgetter("key")  # keys and values are bytes: objects the collector does not track
_VALUE = attrgetter("value")
_HEADERS = attrgetter("headers")


@dataclass(frozen=True, slots=True)
class V2Batch:
    """A verified v2 batch: its producer fields and what the broker needs of its records.
    `records` (aiokafka's, with `offset`, `timestamp` (None for -1), `key`, `value` and
    `headers`, a list of (str, bytes | None)) only when asked for: see `parse`."""

    data: bytes
    base_offset: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    base_timestamp_ms: int
    max_timestamp_ms: int
    timestamps_ms: list[int]  # -1 for a record without one
    keys: list[bytes | None]
    header_counts: list[int]
    values: list[bytes | None]  # when asked for
    records: list[Any]  # when asked for

    @property
    def first_timestamp_ms(self) -> int:
        return self.timestamps_ms[0]


_reader: Any = None


def load_reader() -> Any:
    """aiokafka's batch reader, imported on first use: its package loads its whole client
    (~0.1 s), which a process that never meets a v2 batch need not pay; the Kafka listener
    loads it as it starts, so no request waits for it."""
    global _reader
    if _reader is None:
        from aiokafka.record.default_records import DefaultRecordBatch

        _reader = DefaultRecordBatch
    return _reader


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Reading a batch builds two tracked objects per record (the record, its header list),
    all alive until the batch is read: the cyclic collector, run every 700 allocations, would
    walk them again and again (measured: reading took three times as long). They hold no
    cycles, so the collector is paused while they are made. Another thread may resume it
    early (it only runs then, as it would anyway); it is never left paused by this."""
    was_enabled = gc.isenabled()
    if was_enabled:
        gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse(
    data: bytes, where: str, *, records_max: int, values: bool = False, records: bool = False
) -> V2Batch:
    """Verify the one uncompressed v2 batch that fills `data` and read its records: their
    timestamps, keys and header counts, with `values` their values, with `records` aiokafka's
    record objects (for a reader that serves every field).

    Without `records`, the record objects are dropped before the cyclic collector resumes
    (see `_cyclic_gc_paused`), so a produce leaves it nothing to walk.
    """
    if len(data) < V2_HEADER_BYTES:
        raise CorruptBatchError(where, f"{len(data)} bytes is shorter than a v2 batch header")
    (
        base_offset,
        length,
        _epoch,
        magic,
        crc,
        attributes,
        last_delta,
        base_ts,
        max_ts,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    ) = V2_HEADER.unpack_from(data)
    if magic != V2_MAGIC:
        raise CorruptBatchError(where, f"v2 batch with magic {magic}")
    if length + LENGTH_PREFIX_BYTES != len(data):
        raise CorruptBatchError(where, f"batch_length {length} but {len(data)} bytes")
    if attributes != 0:
        raise CorruptBatchError(
            where,
            f"v2 attributes {attributes:#x}: only uncompressed producer batches with create "
            "time are stored (no transactional, control or log-append-time batches)",
        )
    if not 1 <= count <= records_max:
        raise CorruptBatchError(where, f"record count {count} outside [1, {records_max}]")
    if last_delta != count - 1:
        raise CorruptBatchError(where, f"last offset delta {last_delta} for {count} records")
    # the CRC by the crc32c package (hardware CRC32C; aiokafka's validate_crc is slower)
    if crc32c(memoryview(data)[CRC_START:]) != crc:
        raise CorruptBatchError(where, "v2 batch CRC32C mismatch")
    padded = memoryview(data + _PAD)[: len(data)]
    with _cyclic_gc_paused():
        try:
            read = list((_reader or load_reader())(padded))
        except Exception as exc:  # aiokafka's CorruptRecordException, UnicodeDecodeError, ...
            raise CorruptBatchError(where, f"records do not parse: {exc}") from None
        if len(read) != count:
            raise CorruptBatchError(where, f"{len(read)} records, the header says {count}")
        if list(map(_OFFSET, read)) != list(range(base_offset, base_offset + count)):
            raise CorruptBatchError(where, "offset deltas are not 0, 1, 2, ...")
        stamps = list(map(_TIMESTAMP, read))
        keys = list(map(_KEY, read))
        header_counts = list(map(len, map(_HEADERS, read)))
        vals = list(map(_VALUE, read)) if values else []
        if not records:
            del read  # freed while the collector is paused: it never sees them
            read = []
    if None in stamps:
        stamps = [_NO_TIMESTAMP if ts is None else ts for ts in stamps]
    if max(stamps) != max_ts:
        raise CorruptBatchError(
            where, f"max_timestamp {max_ts} but the records' largest is {max(stamps)}"
        )
    return V2Batch(
        data,
        base_offset,
        producer_id,
        producer_epoch,
        base_sequence,
        base_ts,
        max_ts,
        stamps,
        keys,
        header_counts,
        vals,
        read,
    )


def _varint_bytes(value: int) -> int:
    raw = (value << 1) ^ (value >> 63)
    size = 1
    while raw > 0x7F:
        raw >>= 7
        size += 1
    return size


def record_sizes(batch: V2Batch) -> list[int]:
    """Each record's bytes in the batch, its length varint included (what a limit on a
    record's size measures for this kind). Computed from the records, for the rare batch
    whose total does not already bound every record below the limit."""
    sizes: list[int] = []
    base_ts = batch.base_timestamp_ms
    records = batch.records or parse(
        batch.data, "measure", records_max=len(batch.keys), records=True
    ).records
    for delta, r in enumerate(records):
        ts = _NO_TIMESTAMP if r.timestamp is None else r.timestamp
        size = 1 + _varint_bytes(ts - base_ts) + _varint_bytes(delta)
        for part in (r.key, r.value):
            size += 1 if part is None else _varint_bytes(len(part)) + len(part)
        headers: Sequence[tuple[str, bytes | None]] = r.headers
        size += _varint_bytes(len(headers))
        for name, value in headers:
            raw = name.encode()
            size += _varint_bytes(len(raw)) + len(raw)
            size += 1 if value is None else _varint_bytes(len(value)) + len(value)
        sizes.append(_varint_bytes(size) + size)
    return sizes
