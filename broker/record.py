"""Records and the record-batch format: the unit the log appends, checksums and serves.

A batch, as it sits in a segment file and as it travels in the HTTP produce body. All integers
are big-endian; offsets in the first column are from the start of the batch.

    offset size type field
    0      4    u32  batch_length        bytes that follow this field (crc .. last record)
    4      4    u32  crc                 CRC32C (Castagnoli) of bytes [8, 4 + batch_length)
    8      1    u8   magic               format version, always 1
    9      1    u8   attributes          reserved, always 0
    10     8    u64  base_offset         offset of the first record; record i is base_offset + i
    18     4    u32  record_count        at least 1
    22     8    i64  first_timestamp_ms  timestamp of record 0
    30     8    i64  max_timestamp_ms    largest timestamp in the batch
    38     ...       records, record_count times, each laid out as:

        size type field
        8    i64  timestamp_ms
        4    i32  key_length          -1 when the record has no key
        k         key
        4    i32  value_length        -1 when the value is null
        v         value
        2    u16  header_count
                  headers, header_count times:
        2    u16  name_length
        n         name, UTF-8
        4    i32  header_value_length -1 when null
        h         header value

A batch is read only after its length is in range and its CRC matches; a decoded batch must
then consume exactly `batch_length` bytes, or it is corrupt.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from crc32c import crc32c

from broker.errors import CorruptBatchError

__all__ = [
    "BATCH_HEADER",
    "BATCH_HEADER_BYTES",
    "BATCH_MAGIC",
    "BATCH_PREFIX",
    "BatchHeader",
    "BatchShape",
    "ConsumedRecord",
    "Header",
    "ProducerRecord",
    "decode_batch",
    "encode_batch",
    "measure_batch",
    "read_header",
    "rebase_batch",
    "record_bytes",
]

# length, crc, magic, attributes, base_offset, record_count, first_timestamp_ms, max_timestamp_ms
BATCH_HEADER = struct.Struct(">IIBBQIqq")
BATCH_HEADER_BYTES = BATCH_HEADER.size  # 38
# length and crc: the part of the header not covered by the crc
BATCH_PREFIX = struct.Struct(">II")
BATCH_MAGIC = 1
_CRC_START = BATCH_PREFIX.size  # 8
_BASE_OFFSET = struct.Struct(">Q")  # rewritten in place when a batch is re-based
_BASE_OFFSET_AT = 10

_RECORD_HEAD = struct.Struct(">qi")  # timestamp_ms, key_length
_RECORD_HEAD_VALUE = struct.Struct(">qii")  # timestamp_ms, key_length, value_length
_I32 = struct.Struct(">i")
_U16 = struct.Struct(">H")
_NULL = -1
_NO_HEADERS = b"\x00\x00"  # header_count 0

Header = tuple[str, bytes | None]


@dataclass(frozen=True, slots=True)
class ProducerRecord:
    """A record as a producer hands it over; `timestamp_ms` defaults to the append time."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[Header, ...] = ()
    timestamp_ms: int | None = None
    partition: int | None = None


class ConsumedRecord(NamedTuple):
    """A record as the log serves it (a named tuple: decoding builds many of them)."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: tuple[Header, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchHeader:
    length: int  # whole batch in bytes, the length field included
    crc: int
    base_offset: int
    record_count: int
    first_timestamp_ms: int
    max_timestamp_ms: int

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.record_count


def record_bytes(record: ProducerRecord) -> int:
    """Bytes the record takes inside a batch (what `record_bytes_max` limits)."""
    size = 8 + 4 + 4 + 2 + len(record.key or b"") + len(record.value or b"")
    for name, value in record.headers:
        size += 2 + len(name.encode()) + 4 + len(value or b"")
    return size


def encode_batch(
    base_offset: int, records: Sequence[ProducerRecord], timestamps_ms: Sequence[int]
) -> bytes:
    """One batch holding `records`, with `timestamps_ms[i]` as record i's timestamp."""
    if not records:
        raise ValueError("a batch holds at least one record")
    parts: list[bytes] = [b""]  # the header goes here once the body is known
    pack_ts_key = _RECORD_HEAD.pack
    pack_ts_key_vlen = _RECORD_HEAD_VALUE.pack
    pack_i32 = _I32.pack
    pack_u16 = _U16.pack
    for record, ts in zip(records, timestamps_ms, strict=True):
        key = record.key
        value = record.value
        if key is None and value is not None:
            parts.append(pack_ts_key_vlen(ts, _NULL, len(value)))
            parts.append(value)
        else:
            if key is None:
                parts.append(pack_ts_key(ts, _NULL))
            else:
                parts.append(pack_ts_key(ts, len(key)))
                parts.append(key)
            if value is None:
                parts.append(pack_i32(_NULL))
            else:
                parts.append(pack_i32(len(value)))
                parts.append(value)
        if not record.headers:
            parts.append(_NO_HEADERS)
            continue
        parts.append(pack_u16(len(record.headers)))
        for name, hvalue in record.headers:
            raw = name.encode()
            parts.append(pack_u16(len(raw)))
            parts.append(raw)
            if hvalue is None:
                parts.append(pack_i32(_NULL))
            else:
                parts.append(pack_i32(len(hvalue)))
                parts.append(hvalue)
    body = b"".join(parts)
    covered = (
        struct.pack(
            ">BBQIqq",
            BATCH_MAGIC,
            0,
            base_offset,
            len(records),
            timestamps_ms[0],
            max(timestamps_ms),
        )
        + body
    )
    return BATCH_PREFIX.pack(len(covered) + 4, crc32c(covered)) + covered


def rebase_batch(batch: bytes, base_offset: int) -> bytes:
    """The same batch with a new base offset and its crc recomputed."""
    buf = bytearray(batch)
    _BASE_OFFSET.pack_into(buf, _BASE_OFFSET_AT, base_offset)
    BATCH_PREFIX.pack_into(buf, 0, len(buf) - 4, crc32c(memoryview(buf)[_CRC_START:]))
    return bytes(buf)


def read_header(buf: bytes | memoryview, where: str, *, length_max: int) -> BatchHeader:
    """The header at the start of `buf` (at least BATCH_HEADER_BYTES long), shape-checked."""
    length, crc, magic, attributes, base, count, first_ts, max_ts = BATCH_HEADER.unpack_from(buf)
    total = length + 4
    if total < BATCH_HEADER_BYTES or total > length_max:
        raise CorruptBatchError(where, f"batch length {total} outside [38, {length_max}]")
    if magic != BATCH_MAGIC or attributes != 0:
        raise CorruptBatchError(where, f"unknown magic {magic} or attributes {attributes}")
    if count < 1:
        raise CorruptBatchError(where, "record count is 0")
    return BatchHeader(total, crc, base, count, first_ts, max_ts)


@dataclass(frozen=True, slots=True)
class BatchShape:
    """What a produce needs to know of an encoded batch without decoding its records."""

    header: BatchHeader
    sizes: list[int]  # record_bytes of each record
    key_lengths: list[int]  # -1 for no key
    header_counts: list[int]
    timestamps_ms: list[int]
    values: list[bytes | None]  # only when asked for


def measure_batch(buf: bytes, where: str, *, length_max: int, values: bool = False) -> BatchShape:
    """Verify the batch that fills `buf` and measure its records (no record objects built)."""
    if len(buf) < BATCH_HEADER_BYTES:
        raise CorruptBatchError(where, f"{len(buf)} bytes is shorter than a batch header")
    header = read_header(buf, where, length_max=length_max)
    if header.length != len(buf):
        raise CorruptBatchError(where, f"batch length {header.length} but {len(buf)} bytes")
    if crc32c(memoryview(buf)[_CRC_START:]) != header.crc:
        raise CorruptBatchError(where, "checksum mismatch")
    sizes: list[int] = []
    keys: list[int] = []
    counts: list[int] = []
    stamps: list[int] = []
    vals: list[bytes | None] = []
    unpack_head = _RECORD_HEAD.unpack_from
    unpack_i32 = _I32.unpack_from
    unpack_u16 = _U16.unpack_from
    pos = BATCH_HEADER_BYTES
    try:
        for _ in range(header.record_count):
            start = pos
            ts, klen = unpack_head(buf, pos)
            if klen < _NULL:
                raise struct.error(f"negative key length {klen}")
            pos += 12 + max(klen, 0)
            (vlen,) = unpack_i32(buf, pos)
            if vlen < _NULL:
                raise struct.error(f"negative value length {vlen}")
            pos += 4
            if values:
                vals.append(None if vlen == _NULL else buf[pos : pos + vlen])
            pos += max(vlen, 0)
            (hcount,) = unpack_u16(buf, pos)
            pos += 2
            for _ in range(hcount):
                (nlen,) = unpack_u16(buf, pos)
                buf[pos + 2 : pos + 2 + nlen].decode()  # names must decode when read back
                pos += 2 + nlen
                (hlen,) = unpack_i32(buf, pos)
                if hlen < _NULL:
                    raise struct.error(f"negative header length {hlen}")
                pos += 4 + max(hlen, 0)
            sizes.append(pos - start)
            keys.append(klen)
            counts.append(hcount)
            stamps.append(ts)
    except (struct.error, UnicodeDecodeError) as exc:
        raise CorruptBatchError(where, f"records do not parse: {exc}") from None
    if pos != len(buf):
        raise CorruptBatchError(where, f"records end at byte {pos} of a {len(buf)}-byte batch")
    return BatchShape(header, sizes, keys, counts, stamps, vals)


def decode_batch(
    buf: bytes | memoryview, topic: str, partition: int, where: str, *, length_max: int
) -> tuple[BatchHeader, list[ConsumedRecord]]:
    """Verify and decode the one batch that fills `buf` exactly."""
    if len(buf) < BATCH_HEADER_BYTES:
        raise CorruptBatchError(where, f"{len(buf)} bytes is shorter than a batch header")
    header = read_header(buf, where, length_max=length_max)
    if header.length != len(buf):
        raise CorruptBatchError(where, f"batch length {header.length} but {len(buf)} bytes")
    view = memoryview(buf)
    if crc32c(view[_CRC_START:]) != header.crc:
        raise CorruptBatchError(where, "checksum mismatch")
    try:
        records = _decode_records(bytes(buf), header, topic, partition)
    except (struct.error, UnicodeDecodeError, IndexError) as exc:
        raise CorruptBatchError(where, f"records do not parse: {exc}") from None
    return header, records


def _decode_records(
    raw: bytes, header: BatchHeader, topic: str, partition: int
) -> list[ConsumedRecord]:
    # Lengths are trusted only after the crc matched; slicing never reads past `raw`, and
    # a length that overruns leaves `pos` beyond the end, which the final check catches.
    out: list[ConsumedRecord] = []
    append = out.append
    new = tuple.__new__
    cls = ConsumedRecord
    unpack_head = _RECORD_HEAD.unpack_from
    unpack_i32 = _I32.unpack_from
    unpack_u16 = _U16.unpack_from
    pos = BATCH_HEADER_BYTES
    offset = header.base_offset
    for _ in range(header.record_count):
        ts, klen = unpack_head(raw, pos)
        pos += 12
        if klen >= 0:
            key: bytes | None = raw[pos : pos + klen]
            pos += klen
        elif klen == _NULL:
            key = None
        else:
            raise struct.error(f"negative key length {klen}")
        (vlen,) = unpack_i32(raw, pos)
        pos += 4
        if vlen >= 0:
            value: bytes | None = raw[pos : pos + vlen]
            pos += vlen
        elif vlen == _NULL:
            value = None
        else:
            raise struct.error(f"negative value length {vlen}")
        (hcount,) = unpack_u16(raw, pos)
        pos += 2
        headers: tuple[Header, ...] = ()
        if hcount:
            items: list[Header] = []
            for _ in range(hcount):
                (nlen,) = unpack_u16(raw, pos)
                pos += 2
                name = raw[pos : pos + nlen].decode()
                pos += nlen
                (hlen,) = unpack_i32(raw, pos)
                pos += 4
                hvalue = None
                if hlen >= 0:
                    hvalue = raw[pos : pos + hlen]
                    pos += hlen
                elif hlen != _NULL:
                    raise struct.error(f"negative header length {hlen}")
                items.append((name, hvalue))
            headers = tuple(items)
        append(new(cls, (topic, partition, offset, ts, key, value, headers)))
        offset += 1
    if pos != len(raw):
        raise struct.error(f"records end at byte {pos} of a {len(raw)}-byte batch")
    return out
