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

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from broker.errors import CorruptBatchError

__all__ = [
    "COMPRESSION_MASK",
    "CONTROL",
    "TIMESTAMP_TYPE",
    "TRANSACTIONAL",
    "V2_HEADER",
    "V2_HEADER_BYTES",
    "V2_MAGIC",
    "V2Batch",
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


@dataclass(frozen=True, slots=True)
class V2Batch:
    """A verified v2 batch: its producer fields and its records (aiokafka's, which have
    `offset`, `timestamp` (None for -1), `key`, `value` and `headers`, a list of
    (str, bytes | None))."""

    base_offset: int
    producer_id: int
    producer_epoch: int
    base_sequence: int
    base_timestamp_ms: int
    max_timestamp_ms: int
    records: list[Any]
    timestamps_ms: list[int]  # -1 for a record without one

    @property
    def first_timestamp_ms(self) -> int:
        return self.timestamps_ms[0]


def _reader() -> Any:
    # imported on first use: aiokafka's package loads its whole client (~0.1 s), which a
    # process that never meets a v2 batch need not pay
    from aiokafka.record.default_records import DefaultRecordBatch

    return DefaultRecordBatch


def parse(data: bytes, where: str, *, records_max: int) -> V2Batch:
    """Verify the one uncompressed v2 batch that fills `data` and read its records."""
    if len(data) < V2_HEADER_BYTES:
        raise CorruptBatchError(where, f"{len(data)} bytes is shorter than a v2 batch header")
    (
        base_offset,
        length,
        _epoch,
        magic,
        _crc,
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
    padded = memoryview(data + _PAD)[: len(data)]
    try:
        batch = _reader()(padded)
        if not batch.validate_crc():
            raise CorruptBatchError(where, "v2 batch CRC32C mismatch")
        records = list(batch)
    except CorruptBatchError:
        raise
    except Exception as exc:  # aiokafka's CorruptRecordException, UnicodeDecodeError, ...
        raise CorruptBatchError(where, f"records do not parse: {exc}") from None
    if len(records) != count:
        raise CorruptBatchError(where, f"{len(records)} records, the header says {count}")
    if [r.offset for r in records] != list(range(base_offset, base_offset + count)):
        raise CorruptBatchError(where, "offset deltas are not 0, 1, 2, ...")
    stamps = [r.timestamp for r in records]
    if None in stamps:
        stamps = [_NO_TIMESTAMP if ts is None else ts for ts in stamps]
    if max(stamps) != max_ts:
        raise CorruptBatchError(
            where, f"max_timestamp {max_ts} but the records' largest is {max(stamps)}"
        )
    return V2Batch(
        base_offset,
        producer_id,
        producer_epoch,
        base_sequence,
        base_ts,
        max_ts,
        records,
        stamps,
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
    for delta, r in enumerate(batch.records):
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
