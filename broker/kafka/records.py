"""Kafka's record batch, message format v2: decoded on produce, encoded on fetch.

kio ships a reader and writer for this format, but its reader rounds every record's
timestamp down to whole seconds (seek-by-time needs milliseconds) and builds a datetime per
record; so the listener reads and writes batches here, by this layout. Integers are
big-endian; offsets in the first column are from the start of the batch.

    offset size type  field
    0      8    i64   base_offset            first offset; the broker assigns it on produce
    8      4    i32   batch_length           bytes that follow this field
    12     4    i32   partition_leader_epoch
    16     1    i8    magic                  2
    17     4    u32   crc                    CRC32C (Castagnoli) of bytes [21, 12 + batch_length)
    21     2    i16   attributes             bits 0-2 compression (0 none, 1 gzip, 2 snappy,
                                             3 lz4, 4 zstd), bit 3 timestamp type, bit 4
                                             transactional, bit 5 control batch
    23     4    i32   last_offset_delta      record_count - 1 for a producer's batch
    27     8    i64   base_timestamp         timestamp of the first record, ms
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
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from crc32c import crc32c

from broker.kafka.errors import CorruptRecordsError, UnsupportedRecordsError
from broker.record import ConsumedRecord, Header, ProducerRecord

__all__ = [
    "BATCH_HEADER",
    "BATCH_HEADER_BYTES",
    "KafkaBatch",
    "decode_batch",
    "encode_batch",
]

# base_offset, batch_length, leader_epoch, magic, crc, attributes, last_offset_delta,
# base_timestamp, max_timestamp, producer_id, producer_epoch, base_sequence, record_count
BATCH_HEADER = struct.Struct(">qiibIhiqqqhii")
BATCH_HEADER_BYTES = BATCH_HEADER.size  # 61
_LENGTH_PREFIX_BYTES = 12  # base_offset and batch_length: not counted by batch_length
_CRC_START = 21
_AFTER_CRC = struct.Struct(">hiqqqhii")  # attributes .. record_count
_MAGIC = 2
_COMPRESSION_MASK = 0x07
_TRANSACTIONAL = 0x10
_CONTROL = 0x20
_GZIP = 1
_COMPRESSION_NAMES = {2: "snappy", 3: "lz4", 4: "zstd"}
_NO_PRODUCER = -1


@dataclass(frozen=True, slots=True)
class KafkaBatch:
    """A produced batch, verified and decoded: what the sequence checks and the log need."""

    producer_id: int
    producer_epoch: int
    base_sequence: int
    records: list[ProducerRecord]


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at `pos`: (value, position after it). At most 10 bytes."""
    shift = 0
    raw = 0
    while True:
        byte = buf[pos]  # IndexError past the end: the caller reports a truncated record
        pos += 1
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), pos
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")


def _put_varint(out: bytearray, value: int) -> None:
    raw = (value << 1) ^ (value >> 63)
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)


def _bytes(buf: bytes, pos: int, what: str) -> tuple[bytes | None, int]:
    length, pos = _varint(buf, pos)
    if length == -1:
        return None, pos
    if length < 0 or pos + length > len(buf):
        raise ValueError(f"{what} length {length} is out of range")
    return buf[pos : pos + length], pos + length


def decode_batch(data: bytes, *, records_max: int, uncompressed_bytes_max: int) -> KafkaBatch:
    """Verify the one v2 batch that fills `data` (CRC first) and decode its records.

    `records_max` and `uncompressed_bytes_max` bound what a batch may claim or inflate to.
    """
    if len(data) < BATCH_HEADER_BYTES:
        raise CorruptRecordsError(f"{len(data)} bytes is shorter than a record batch header")
    (
        _base,
        length,
        _epoch,
        magic,
        crc,
        attributes,
        _last_delta,
        base_ts,
        _max_ts,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    ) = BATCH_HEADER.unpack_from(data)
    if magic != _MAGIC:
        raise UnsupportedRecordsError(f"record batch magic {magic}; only format v2 is accepted")
    if length + _LENGTH_PREFIX_BYTES != len(data):
        raise CorruptRecordsError(
            f"batch_length {length} does not match the {len(data)} bytes sent "
            "(one record batch per partition)"
        )
    if crc32c(memoryview(data)[_CRC_START:]) != crc:
        raise CorruptRecordsError("record batch CRC32C mismatch")
    if attributes & (_TRANSACTIONAL | _CONTROL):
        raise UnsupportedRecordsError("transactional and control batches are not supported")
    if not 1 <= count <= records_max:
        raise CorruptRecordsError(f"record count {count} outside [1, {records_max}]")
    body = _uncompressed(data, attributes & _COMPRESSION_MASK, uncompressed_bytes_max)
    try:
        records = _decode_records(body, count, base_ts)
    except (ValueError, IndexError, UnicodeDecodeError) as exc:
        raise CorruptRecordsError(f"records do not parse: {exc}") from None
    return KafkaBatch(producer_id, producer_epoch, base_sequence, records)


def _uncompressed(data: bytes, codec: int, bytes_max: int) -> bytes:
    body = data[BATCH_HEADER_BYTES:]
    if codec == 0:
        return body
    if codec != _GZIP:
        name = _COMPRESSION_NAMES.get(codec, f"codec {codec}")
        raise UnsupportedRecordsError(f"{name} compression is not supported; use none or gzip")
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(body, bytes_max + 1)
    except zlib.error as exc:
        raise CorruptRecordsError(f"gzip records do not inflate: {exc}") from None
    if len(out) > bytes_max or inflater.unconsumed_tail:
        raise CorruptRecordsError(f"gzip records inflate beyond {bytes_max} bytes")
    if not inflater.eof:
        raise CorruptRecordsError("gzip records are truncated")
    return out


def _decode_records(body: bytes, count: int, base_ts: int) -> list[ProducerRecord]:
    out: list[ProducerRecord] = []
    pos = 0
    for index in range(count):
        length, pos = _varint(body, pos)
        end = pos + length
        if length < 1 or end > len(body):
            raise ValueError(f"record {index} length {length} is out of range")
        pos += 1  # record attributes, unused
        ts_delta, pos = _varint(body, pos)
        offset_delta, pos = _varint(body, pos)
        if offset_delta != index:
            raise ValueError(f"record {index} has offset delta {offset_delta}")
        key, pos = _bytes(body, pos, "key")
        value, pos = _bytes(body, pos, "value")
        header_count, pos = _varint(body, pos)
        if header_count < 0 or header_count > length:
            raise ValueError(f"record {index} header count {header_count} is out of range")
        headers: list[Header] = []
        for _ in range(header_count):
            name, pos = _bytes(body, pos, "header key")
            if name is None:
                raise ValueError("a header key is null")
            hvalue, pos = _bytes(body, pos, "header value")
            headers.append((name.decode(), hvalue))
        if pos != end:
            raise ValueError(f"record {index} ends at {pos}, its length says {end}")
        timestamp = base_ts + ts_delta
        out.append(
            ProducerRecord(value, key, tuple(headers), timestamp if timestamp >= 0 else None)
        )
    if pos != len(body):
        raise ValueError(f"{len(body) - pos} bytes after the last record")
    return out


def encode_batch(records: Sequence[ConsumedRecord]) -> bytes:
    """One uncompressed v2 batch of `records` (consecutive offsets), as a fetch serves it."""
    base_offset = records[0].offset
    base_ts = records[0].timestamp_ms
    max_ts = base_ts
    body = bytearray()
    one = bytearray()
    for record in records:
        one.clear()
        one.append(0)
        ts = record.timestamp_ms
        max_ts = ts if ts > max_ts else max_ts
        _put_varint(one, ts - base_ts)
        _put_varint(one, record.offset - base_offset)
        key, value = record.key, record.value
        if key is None:
            one.append(1)  # zig-zag -1
        else:
            _put_varint(one, len(key))
            one += key
        if value is None:
            one.append(1)
        else:
            _put_varint(one, len(value))
            one += value
        _put_varint(one, len(record.headers))
        for name, hvalue in record.headers:
            raw = name.encode()
            _put_varint(one, len(raw))
            one += raw
            if hvalue is None:
                one.append(1)
            else:
                _put_varint(one, len(hvalue))
                one += hvalue
        _put_varint(body, len(one))
        body += one
    after_crc = (
        _AFTER_CRC.pack(
            0,
            records[-1].offset - base_offset,
            base_ts,
            max_ts,
            _NO_PRODUCER,
            -1,
            -1,
            len(records),
        )
        + body
    )
    head = struct.pack(
        ">qiib",
        base_offset,
        len(after_crc) + 9,  # leader epoch, magic and crc, then what the crc covers
        0,
        _MAGIC,
    )
    return head + struct.pack(">I", crc32c(after_crc)) + after_crc
