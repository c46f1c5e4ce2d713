"""Kafka's record batch, message format v2: re-encoded for the log on produce, built on fetch.

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
from broker.record import BATCH_HEADER as LOG_BATCH_HEADER
from broker.record import BATCH_HEADER_BYTES as LOG_BATCH_HEADER_BYTES
from broker.record import BATCH_MAGIC as LOG_BATCH_MAGIC
from broker.record import BATCH_PREFIX as LOG_BATCH_PREFIX
from broker.record import BatchHeader, BatchShape, ConsumedRecord

__all__ = [
    "BATCH_HEADER",
    "BATCH_HEADER_BYTES",
    "KafkaBatch",
    "decode_batch",
    "encode_batch",
    "from_log_batch",
    "with_base_offset",
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
# the log's format (broker.record): a record's timestamp and key length; the header after crc
_LOG_RECORD_HEAD = struct.Struct(">qi")
_LOG_COVERED_HEAD = struct.Struct(">BBQIqq")
_I32 = struct.Struct(">i")
_U16 = struct.Struct(">H")
_U16_MAX = 0xFFFF
_BASE_OFFSET = struct.Struct(">q")
_LOG_NULL = -1


@dataclass(frozen=True, slots=True)
class KafkaBatch:
    """A produced batch, verified and re-encoded in the log's format (`broker.record`)."""

    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    log_batch: bytes  # what `Broker.produce_encoded` appends
    shape: BatchShape  # measured while re-encoding, so the broker need not parse it again


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


def decode_batch(
    data: bytes, *, records_max: int, uncompressed_bytes_max: int, values: bool = False
) -> KafkaBatch:
    """Verify the one v2 batch that fills `data` (CRC first) and re-encode it for the log.

    `records_max` and `uncompressed_bytes_max` bound what a batch may claim or inflate to;
    with `values` the shape carries each record's value (for a contract check).
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
        log_batch, shape = _to_log_batch(body, count, base_ts, values)
    except (ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
        raise CorruptRecordsError(f"records do not parse: {exc}") from None
    return KafkaBatch(producer_id, producer_epoch, base_sequence, count, log_batch, shape)


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


def _to_log_batch(
    body: bytes, count: int, base_ts: int, with_values: bool
) -> tuple[bytes, BatchShape]:
    """The records of `body` in the log's batch format (broker.record), base offset 0, and
    the batch's shape (`broker.record.measure_batch`'s answer, measured on the way).

    Varints of one or two bytes (deltas, lengths below 8 KiB: the common case) are decoded
    inline, the rest by `_varint`: this loop runs once per produced record.
    """
    parts: list[bytes] = [b""]  # the log batch header goes here
    append = parts.append
    sizes: list[int] = []
    key_lengths: list[int] = []
    header_counts: list[int] = []
    stamps: list[int] = []
    values: list[bytes | None] = []
    pack_head = _LOG_RECORD_HEAD.pack
    pack_i32 = _I32.pack
    pack_u16 = _U16.pack
    varint = _varint
    end_of_body = len(body)
    pos = 0
    first_ts = max_ts = 0
    for index in range(count):
        byte = body[pos]
        if byte < 0x80:
            length = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            length = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            length, pos = varint(body, pos)
        end = pos + length
        if length < 1 or end > end_of_body:
            raise ValueError(f"record {index} length {length} is out of range")
        pos += 1  # record attributes, unused
        byte = body[pos]
        if byte < 0x80:
            ts_delta = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            ts_delta = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            ts_delta, pos = varint(body, pos)
        byte = body[pos]
        if byte < 0x80:
            offset_delta = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            offset_delta = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            offset_delta, pos = varint(body, pos)
        if offset_delta != index:
            raise ValueError(f"record {index} has offset delta {offset_delta}")
        ts = base_ts + ts_delta
        stamps.append(ts)
        if index == 0:
            first_ts = max_ts = ts
        elif ts > max_ts:
            max_ts = ts
        byte = body[pos]
        if byte < 0x80:
            key_length = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            key_length = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            key_length, pos = varint(body, pos)
        if key_length < -1 or pos + key_length > end:
            raise ValueError(f"record {index} key length {key_length} is out of range")
        append(pack_head(ts, key_length))
        key_lengths.append(key_length)
        size = 18
        if key_length > 0:
            append(body[pos : pos + key_length])
            pos += key_length
            size += key_length
        byte = body[pos]
        if byte < 0x80:
            value_length = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            value_length = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            value_length, pos = varint(body, pos)
        if value_length < -1 or pos + value_length > end:
            raise ValueError(f"record {index} value length {value_length} is out of range")
        append(pack_i32(value_length))
        if value_length > 0:
            append(body[pos : pos + value_length])
            pos += value_length
            size += value_length
        if with_values:
            values.append(None if value_length < 0 else body[pos - max(value_length, 0) : pos])
        byte = body[pos]
        if byte < 0x80:
            header_count = (byte >> 1) ^ -(byte & 1)
            pos += 1
        elif body[pos + 1] < 0x80:
            raw = (byte & 0x7F) | body[pos + 1] << 7
            header_count = (raw >> 1) ^ -(raw & 1)
            pos += 2
        else:
            header_count, pos = varint(body, pos)
        if not 0 <= header_count <= min(length, _U16_MAX):
            raise ValueError(f"record {index} header count {header_count} is out of range")
        append(pack_u16(header_count))
        header_counts.append(header_count)
        for _ in range(header_count):
            name_length, pos = varint(body, pos)
            if not 0 <= name_length <= _U16_MAX or pos + name_length > end:
                raise ValueError(f"record {index} header key length {name_length}")
            name = body[pos : pos + name_length]
            name.decode()  # header names are text in the log
            append(pack_u16(name_length))
            append(name)
            pos += name_length
            size += 6 + name_length
            hlen, pos = varint(body, pos)
            if hlen < -1 or pos + hlen > end:
                raise ValueError(f"record {index} header value length {hlen}")
            append(pack_i32(hlen))
            if hlen > 0:
                append(body[pos : pos + hlen])
                pos += hlen
                size += hlen
        sizes.append(size)
        if pos != end:
            raise ValueError(f"record {index} ends at {pos}, its length says {end}")
    if pos != end_of_body:
        raise ValueError(f"{end_of_body - pos} bytes after the last record")
    parts[0] = _LOG_COVERED_HEAD.pack(LOG_BATCH_MAGIC, 0, 0, count, first_ts, max_ts)
    covered = b"".join(parts)
    crc = crc32c(covered)
    header = BatchHeader(len(covered) + 8, crc, 0, count, first_ts, max_ts)
    shape = BatchShape(header, sizes, key_lengths, header_counts, stamps, values)
    return LOG_BATCH_PREFIX.pack(len(covered) + 4, crc) + covered, shape


def with_base_offset(batch: bytes, base_offset: int) -> bytes:
    """The v2 batch with another base offset (a field its CRC does not cover) and leader
    epoch 0: a produced batch as a fetch serves it once the log has placed it."""
    return _BASE_OFFSET.pack(base_offset) + batch[8:12] + b"\x00\x00\x00\x00" + batch[16:]


_VARINTS = [bytes((((n << 1) ^ (n >> 63)),)) for n in range(-1, 64)]  # one-byte varints


def from_log_batch(raw: bytes) -> bytes:
    """One uncompressed v2 batch holding the records of the log batch `raw` (verified by the
    caller), whole: a fetch may start inside it, and clients skip the records before their
    offset, as they do with Kafka's own batches. No record objects are built."""
    _, _, _, _, base_offset, count, first_ts, max_ts = LOG_BATCH_HEADER.unpack_from(raw)
    unpack_head = _LOG_RECORD_HEAD.unpack_from
    unpack_i32 = _I32.unpack_from
    unpack_u16 = _U16.unpack_from
    small = _VARINTS
    body: list[bytes] = []
    append = body.append
    pos = LOG_BATCH_HEADER_BYTES
    one = bytearray()
    for delta in range(count):
        ts, klen = unpack_head(raw, pos)
        pos += 12
        one.clear()
        one.append(0)  # record attributes
        _put_varint(one, ts - first_ts)
        if delta < 63:
            one += small[delta + 1]
        else:
            _put_varint(one, delta)
        if klen == _LOG_NULL:
            one.append(1)
        else:
            _put_varint(one, klen)
            one += raw[pos : pos + klen]
            pos += klen
        (vlen,) = unpack_i32(raw, pos)
        pos += 4
        if vlen == _LOG_NULL:
            one.append(1)
        else:
            _put_varint(one, vlen)
            one += raw[pos : pos + vlen]
            pos += vlen
        (hcount,) = unpack_u16(raw, pos)
        pos += 2
        if hcount < 63:
            one += small[hcount + 1]
        else:
            _put_varint(one, hcount)
        for _ in range(hcount):
            (nlen,) = unpack_u16(raw, pos)
            _put_varint(one, nlen)
            one += raw[pos + 2 : pos + 2 + nlen]
            pos += 2 + nlen
            (hlen,) = unpack_i32(raw, pos)
            pos += 4
            if hlen == _LOG_NULL:
                one.append(1)
            else:
                _put_varint(one, hlen)
                one += raw[pos : pos + hlen]
                pos += hlen
        length = bytearray()
        _put_varint(length, len(one))
        append(bytes(length))
        append(bytes(one))
    after_crc = _AFTER_CRC.pack(
        0, count - 1, first_ts, max_ts, _NO_PRODUCER, -1, -1, count
    ) + b"".join(body)
    head = struct.pack(">qiib", base_offset, len(after_crc) + 9, 0, _MAGIC)
    return head + struct.pack(">I", crc32c(after_crc)) + after_crc


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
