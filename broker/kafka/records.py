"""Kafka's record batch v2 on the listener: produced batches checked and wrapped for the log,
and the log's own (magic 1) batches converted for a fetch.

The layout and the one reader of v2 batches are broker.batch_v2's. A produced batch is
checked here for what the listener refuses with its own codes (magic, compression codec,
transactions; the CRC of a compressed batch before it is inflated, within a bound), then
verified record by record and wrapped as a magic 2 log batch by `broker.record.wrap_v2`.
Magic 2 batches are served by a fetch as the log stores them; `from_log_batch` builds the
v2 batch for a batch the HTTP API or the SDK wrote.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from crc32c import crc32c

from broker.batch_v2 import (
    COMPRESSION_MASK,
    CONTROL,
    CRC_START,
    LENGTH_PREFIX_BYTES,
    TIMESTAMP_TYPE,
    TRANSACTIONAL,
    V2_HEADER,
    V2_HEADER_BYTES,
    V2_MAGIC,
)
from broker.errors import CorruptBatchError
from broker.kafka.errors import CorruptRecordsError, UnsupportedRecordsError
from broker.record import BATCH_HEADER as LOG_BATCH_HEADER
from broker.record import BATCH_HEADER_BYTES as LOG_BATCH_HEADER_BYTES
from broker.record import BatchShape, ConsumedRecord, wrap_v2

__all__ = ["KafkaBatch", "decode_batch", "encode_batch", "from_log_batch"]

_CRC_AT = 17
_ATTRIBUTES = struct.Struct(">h")
_LENGTH = struct.Struct(">i")
_CRC = struct.Struct(">I")
_AFTER_CRC = struct.Struct(">hiqqqhii")  # attributes .. record_count
_GZIP = 1
_COMPRESSION_NAMES = {2: "snappy", 3: "lz4", 4: "zstd"}
_NO_PRODUCER = -1
# the log's format (broker.record): a record's timestamp and key length
_LOG_RECORD_HEAD = struct.Struct(">qi")
_I32 = struct.Struct(">i")
_U16 = struct.Struct(">H")
_LOG_NULL = -1


@dataclass(frozen=True, slots=True)
class KafkaBatch:
    """A produced batch, verified and wrapped in the log's format (broker.record, magic 2)."""

    producer_id: int
    producer_epoch: int
    base_sequence: int
    record_count: int
    log_batch: bytes  # what `Broker.produce_encoded` appends
    shape: BatchShape  # measured while verifying, so the broker need not parse it again


def _put_varint(out: bytearray, value: int) -> None:
    raw = (value << 1) ^ (value >> 63)
    while raw > 0x7F:
        out.append((raw & 0x7F) | 0x80)
        raw >>= 7
    out.append(raw)


def decode_batch(
    data: bytes, *, records_max: int, uncompressed_bytes_max: int, values: bool = False
) -> KafkaBatch:
    """Verify the one v2 batch that fills `data` and wrap it for the log (a gzip batch
    inflated first, within `uncompressed_bytes_max`).

    `records_max` bounds the records a batch may claim; with `values` the shape carries each
    record's value (for a contract check).
    """
    if len(data) < V2_HEADER_BYTES:
        raise CorruptRecordsError(f"{len(data)} bytes is shorter than a record batch header")
    (
        _base,
        length,
        _epoch,
        magic,
        crc,
        attributes,
        _last_delta,
        _base_ts,
        _max_ts,
        producer_id,
        producer_epoch,
        base_sequence,
        count,
    ) = V2_HEADER.unpack_from(data)
    if magic != V2_MAGIC:
        raise UnsupportedRecordsError(f"record batch magic {magic}; only format v2 is accepted")
    if length + LENGTH_PREFIX_BYTES != len(data):
        raise CorruptRecordsError(
            f"batch_length {length} does not match the {len(data)} bytes sent "
            "(one record batch per partition)"
        )
    if attributes & (TRANSACTIONAL | CONTROL):
        raise UnsupportedRecordsError("transactional and control batches are not supported")
    if attributes & TIMESTAMP_TYPE:
        raise UnsupportedRecordsError("log-append-time batches are the broker's to make")
    codec = attributes & COMPRESSION_MASK
    if codec:
        if codec != _GZIP:
            name = _COMPRESSION_NAMES.get(codec, f"codec {codec}")
            raise UnsupportedRecordsError(
                f"{name} compression is not supported; use none or gzip"
            )
        if crc32c(memoryview(data)[CRC_START:]) != crc:
            raise CorruptRecordsError("record batch CRC32C mismatch")
        data = _inflated(data, attributes & ~COMPRESSION_MASK, uncompressed_bytes_max)
    try:
        log_batch, shape = wrap_v2(data, records_max=records_max, values=values)
    except CorruptBatchError as exc:
        raise CorruptRecordsError(exc.reason) from None
    return KafkaBatch(producer_id, producer_epoch, base_sequence, count, log_batch, shape)


def _inflated(data: bytes, attributes: int, bytes_max: int) -> bytes:
    """The gzip batch `data` (CRC verified) as an uncompressed one: records inflated, the
    attributes without the codec, batch_length and CRC rewritten."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        body = inflater.decompress(memoryview(data)[V2_HEADER_BYTES:], bytes_max + 1)
    except zlib.error as exc:
        raise CorruptRecordsError(f"gzip records do not inflate: {exc}") from None
    if len(body) > bytes_max or inflater.unconsumed_tail:
        raise CorruptRecordsError(f"gzip records inflate beyond {bytes_max} bytes")
    if not inflater.eof:
        raise CorruptRecordsError("gzip records are truncated")
    head = bytearray(data[:V2_HEADER_BYTES])
    _LENGTH.pack_into(head, 8, V2_HEADER_BYTES - LENGTH_PREFIX_BYTES + len(body))
    _ATTRIBUTES.pack_into(head, CRC_START, attributes)
    _CRC.pack_into(head, _CRC_AT, crc32c(body, crc32c(memoryview(head)[CRC_START:])))
    return bytes(head) + body


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
    head = struct.pack(">qiib", base_offset, len(after_crc) + 9, 0, V2_MAGIC)
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
        V2_MAGIC,
    )
    return head + struct.pack(">I", crc32c(after_crc)) + after_crc
