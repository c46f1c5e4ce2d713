"""Records and the record-batch format: the unit the log appends, checksums and serves.

A batch, as it sits in a segment file and as it travels in the HTTP produce body. All integers
are big-endian; offsets in the first column are from the start of the batch.

    offset size type field
    0      4    u32  batch_length        bytes that follow this field (crc .. last record)
    4      4    u32  crc                 CRC32C (Castagnoli) of bytes [8, 4 + batch_length)
    8      1    u8   magic               1, this layout; 2, a Kafka v2 batch (below)
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

Magic 2: a Kafka record batch (format v2, see broker.batch_v2), kept as a Kafka client
produced it. The same 38-byte header (attributes 0), then the v2 batch verbatim:

    offset size      field
    0      38        the header above, magic 2; record_count, first_timestamp_ms and
                     max_timestamp_ms are the v2 batch's (its record count, record 0's
                     timestamp, its max_timestamp), so the log's indexes read no further
    38     length-34 the v2 batch, uncompressed, with its base_offset equal to the header's
                     and its partition_leader_epoch 0 (both set on append; the v2 CRC does
                     not cover them, so the v2 batch stays valid as it is served)

The CRC rule is magic 1's: the header's crc covers every byte from offset 8 on, the v2
batch (and its own CRC32C) included, so every reader of the log checks one checksum
whichever kind it meets. Compressed v2 batches are inflated on produce and stored
uncompressed (attributes and CRC of the v2 batch rewritten): readers never inflate, and the
produce path inflates in any case to validate the records. A partition may hold both kinds;
the HTTP API and the SDK write magic 1, the Kafka listener magic 2.

`record_bytes_max` and `batch_bytes_max` count the records' bytes as their batch stores
them: for magic 1 the record layout above, for magic 2 each record's v2 encoding (its length
varint included) and the v2 records section as a whole.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from crc32c import crc32c

from broker import batch_v2
from broker.batch_v2 import V2_HEADER_BYTES, V2Batch
from broker.errors import CorruptBatchError

__all__ = [
    "BATCH_HEADER",
    "BATCH_HEADER_BYTES",
    "BATCH_MAGIC",
    "BATCH_MAGIC_V2",
    "BATCH_PREFIX",
    "PRODUCER_FIELDS",
    "BatchHeader",
    "BatchShape",
    "ConsumedRecord",
    "EncodedRecords",
    "Header",
    "ProducerRecord",
    "decode_batch",
    "encode_batch",
    "encode_records",
    "measure_batch",
    "producer_fields",
    "read_header",
    "rebase_batch",
    "record_bytes",
    "v2_of",
    "wrap_records",
    "wrap_v2",
]

# length, crc, magic, attributes, base_offset, record_count, first_timestamp_ms, max_timestamp_ms
BATCH_HEADER = struct.Struct(">IIBBQIqq")
BATCH_HEADER_BYTES = BATCH_HEADER.size  # 38
# length and crc: the part of the header not covered by the crc
BATCH_PREFIX = struct.Struct(">II")
BATCH_MAGIC = 1
BATCH_MAGIC_V2 = 2
_CRC_START = BATCH_PREFIX.size  # 8
_BASE_OFFSET = struct.Struct(">Q")  # rewritten in place when a batch is re-based
_BASE_OFFSET_AT = 10
_MAGIC_AT = 8
_V2_AT = BATCH_HEADER_BYTES  # where a magic 2 batch's v2 batch starts
_V2_BASE_AND_EPOCH = struct.Struct(">qii")  # base_offset, batch_length, leader epoch
# producer_id, producer_epoch, base_sequence, record_count: at byte 43 of the v2 batch
PRODUCER_FIELDS = struct.Struct(">qhii")
_PRODUCER_AT = _V2_AT + 43
_COVERED_HEAD = struct.Struct(">BBQIqq")  # the header after the crc

_RECORD_HEAD = struct.Struct(">qi")  # timestamp_ms, key_length
_RECORD_HEAD_VALUE = struct.Struct(">qii")  # timestamp_ms, key_length, value_length
_I32 = struct.Struct(">i")
_U16 = struct.Struct(">H")
_NULL = -1
_NO_HEADERS = b"\x00\x00"  # header_count 0
_NULL_LENGTH = b"\xff\xff\xff\xff"  # a length of -1: no key, no value, no header value
_EMPTY: tuple[()] = ()  # the usual headers: none

Header = tuple[str, bytes | None]


class ProducerRecord(NamedTuple):
    """A record as a producer hands it over; `timestamp_ms` defaults to the append time (a
    named tuple: producers make one per record, and the encoder unpacks it in one step)."""

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
    magic: int = BATCH_MAGIC

    @property
    def next_offset(self) -> int:
        return self.base_offset + self.record_count


def record_bytes(record: ProducerRecord) -> int:
    """Bytes the record takes inside a batch (what `record_bytes_max` limits)."""
    size = 8 + 4 + 4 + 2 + len(record.key or b"") + len(record.value or b"")
    for name, value in record.headers:
        size += 2 + len(name.encode()) + 4 + len(value or b"")
    return size


@dataclass(frozen=True, slots=True)
class EncodedRecords:
    """The records section of a magic 1 batch (`encode_records`), measured on the way: what
    the limit checks need, the timestamps the header needs, and three facts about the
    records that decide how they are placed and kept."""

    body: bytes
    count: int
    bytes_total: int  # the records' bytes, len(body); the largest record is measured apart
    key_bytes_top: int  # -1 when no record has a key
    headers_top: int
    first_timestamp_ms: int
    max_timestamp_ms: int
    timestamps_ms: list[int] | None  # None: every record has first_timestamp_ms
    placed: bool  # some record names its partition
    keyed: bool  # some record has a key
    # keys, values and header values are bytes or None and headers tuples of tuples: the
    # records are, field for field, what decoding the batch gives back (see PartitionLog)
    plain: bool


# a header name's length and UTF-8 bytes, as a batch stores them, for the names seen last
_HEADER_NAMES_MAX = 1024
_header_names: dict[str, bytes] = {}


def _header_name(name: str) -> bytes:
    raw = name.encode()
    if len(_header_names) >= _HEADER_NAMES_MAX:
        _header_names.clear()
    found = _header_names[name] = _U16.pack(len(raw)) + raw
    return found


def encode_records(
    records: Sequence[ProducerRecord],
    now_ms: int,
    timestamps_ms: Sequence[int] | None = None,
) -> EncodedRecords:
    """The records section of a batch holding `records`, each stamped with
    `timestamps_ms[i]` when given, else its own `timestamp_ms`, else `now_ms`.

    One pass over the records, which runs for every record produced: kept lean (one
    `extend` per field group, the header names' bytes remembered, sizes summed once).
    """
    if not records:
        raise ValueError("a batch holds at least one record")
    if timestamps_ms is not None:
        new = tuple.__new__
        records = [
            new(ProducerRecord, (r[0], r[1], r[2], ts, r[4]))
            for r, ts in zip(records, timestamps_ms, strict=True)
        ]
    parts: list[bytes] = []
    extend = parts.extend
    pack_head = _RECORD_HEAD_VALUE.pack
    pack_ts_key = _RECORD_HEAD.pack
    pack_i32 = _I32.pack
    pack_u16 = _U16.pack
    names = _header_names
    key_top = -1
    headers_top = 0
    plain = True
    placed = stamped = False
    for value, key, headers, ts, partition in records:
        if ts is None:
            ts = now_ms
        else:
            stamped = True
        if partition is not None:
            placed = True
        if key is None:
            if value is None:
                extend((pack_head(ts, _NULL, _NULL),))
            else:
                extend((pack_head(ts, _NULL, len(value)), value))
                if type(value) is not bytes:
                    plain = False
        else:
            klen = len(key)
            if klen > key_top:
                key_top = klen
            if value is None:
                extend((pack_ts_key(ts, klen), key, _NULL_LENGTH))
            else:
                extend((pack_ts_key(ts, klen), key, pack_i32(len(value)), value))
                if type(value) is not bytes:
                    plain = False
            if type(key) is not bytes:
                plain = False
        if headers is _EMPTY:
            extend((_NO_HEADERS,))
            continue
        count = len(headers)
        if count > headers_top:
            headers_top = count
        if type(headers) is not tuple:
            plain = False
        extend((pack_u16(count),))
        for header in headers:
            name, hvalue = header
            raw = names.get(name)
            if raw is None:
                raw = _header_name(name)
            if hvalue is None:
                extend((raw, _NULL_LENGTH))
            else:
                extend((raw, pack_i32(len(hvalue)), hvalue))
                if type(hvalue) is not bytes:
                    plain = False
            if type(header) is not tuple:
                plain = False
    body = b"".join(parts)
    stamps = None
    first_ts = max_ts = now_ms
    if stamped:
        stamps = [now_ms if r[3] is None else r[3] for r in records]
        first_ts, max_ts = stamps[0], max(stamps)
    return EncodedRecords(
        body,
        len(records),
        len(body),
        key_top,
        headers_top,
        first_ts,
        max_ts,
        stamps,
        placed,
        key_top >= 0,
        plain,
    )


def wrap_records(base_offset: int, encoded: EncodedRecords) -> bytes:
    """The magic 1 batch of base offset `base_offset` around `encoded`'s records."""
    covered_head = _COVERED_HEAD.pack(
        BATCH_MAGIC,
        0,
        base_offset,
        encoded.count,
        encoded.first_timestamp_ms,
        encoded.max_timestamp_ms,
    )
    body = encoded.body
    crc = crc32c(body, crc32c(covered_head))
    return BATCH_PREFIX.pack(len(covered_head) + len(body) + 4, crc) + covered_head + body


def encode_batch(
    base_offset: int, records: Sequence[ProducerRecord], timestamps_ms: Sequence[int]
) -> bytes:
    """One batch holding `records`, with `timestamps_ms[i]` as record i's timestamp."""
    return wrap_records(base_offset, encode_records(records, 0, timestamps_ms))


def rebase_batch(batch: bytes, base_offset: int) -> bytes:
    """The same batch with a new base offset and its crc recomputed (for magic 2 the v2
    batch's base offset too, and its leader epoch 0)."""
    buf = bytearray(batch)
    _BASE_OFFSET.pack_into(buf, _BASE_OFFSET_AT, base_offset)
    if buf[_MAGIC_AT] == BATCH_MAGIC_V2:
        _, v2_length, _ = _V2_BASE_AND_EPOCH.unpack_from(buf, _V2_AT)
        _V2_BASE_AND_EPOCH.pack_into(buf, _V2_AT, base_offset, v2_length, 0)
    BATCH_PREFIX.pack_into(buf, 0, len(buf) - 4, crc32c(memoryview(buf)[_CRC_START:]))
    return bytes(buf)


def read_header(buf: bytes | memoryview, where: str, *, length_max: int) -> BatchHeader:
    """The header at the start of `buf` (at least BATCH_HEADER_BYTES long), shape-checked."""
    length, crc, magic, attributes, base, count, first_ts, max_ts = BATCH_HEADER.unpack_from(buf)
    total = length + 4
    if total < BATCH_HEADER_BYTES or total > length_max:
        raise CorruptBatchError(where, f"batch length {total} outside [38, {length_max}]")
    if magic not in (BATCH_MAGIC, BATCH_MAGIC_V2) or attributes != 0:
        raise CorruptBatchError(where, f"unknown magic {magic} or attributes {attributes}")
    if count < 1:
        raise CorruptBatchError(where, "record count is 0")
    if magic == BATCH_MAGIC_V2 and total < BATCH_HEADER_BYTES + V2_HEADER_BYTES:
        raise CorruptBatchError(where, f"magic 2 batch of {total} bytes holds no v2 header")
    return BatchHeader(total, crc, base, count, first_ts, max_ts, magic)


def producer_fields(batch: bytes | memoryview) -> tuple[int, int, int, int]:
    """(producer id, epoch, base sequence, record count) of a magic 2 batch, from the first
    BATCH_HEADER_BYTES + V2_HEADER_BYTES bytes of it."""
    pid, epoch, sequence, count = PRODUCER_FIELDS.unpack_from(batch, _PRODUCER_AT)
    return pid, epoch, sequence, count


def v2_of(batch: bytes) -> memoryview:
    """The v2 batch inside a magic 2 batch, as the log stores (and a Kafka fetch serves) it."""
    return memoryview(batch)[_V2_AT:]


def wrap_v2(v2: bytes, *, records_max: int, values: bool = False) -> tuple[bytes, BatchShape]:
    """Verify the uncompressed v2 batch `v2` (broker.batch_v2) and wrap it as a magic 2 batch
    of base offset 0; with its shape measured on the way (values when asked for)."""
    parsed = batch_v2.parse(v2, "produce", records_max=records_max, values=values)
    count = len(parsed.keys)
    covered_head = _COVERED_HEAD.pack(
        BATCH_MAGIC_V2, 0, 0, count, parsed.first_timestamp_ms, parsed.max_timestamp_ms
    )
    crc = crc32c(v2, crc32c(covered_head))
    length = len(covered_head) + len(v2) + 4
    header = BatchHeader(
        length + 4, crc, 0, count, parsed.first_timestamp_ms, parsed.max_timestamp_ms,
        BATCH_MAGIC_V2,
    )
    data = BATCH_PREFIX.pack(length, crc) + covered_head + v2
    return data, _v2_shape(header, parsed, len(v2) - V2_HEADER_BYTES)


@dataclass(frozen=True, slots=True)
class BatchShape:
    """What a produce needs to know of an encoded batch without decoding its records: the
    largest record, key and header count and the total (limit checks), the timestamps
    (stamping and header checks), the values when asked for (contracts), and `measures`,
    which gives each record's bytes, key length (-1: no key) and header count, to name the
    record over a limit. For magic 2, `record_bytes_top` is the records' total (a bound
    above the largest; `measures` computes the sizes when a limit needs them)."""

    header: BatchHeader
    bytes_total: int
    record_bytes_top: int
    key_bytes_top: int  # -1 when no record has a key
    headers_top: int
    timestamps_ms: list[int]
    values: list[bytes | None]  # only when asked for
    measures: Callable[[], tuple[list[int], list[int], list[int]]]


def _v1_shape(
    header: BatchHeader,
    sizes: list[int],
    keys: list[int],
    counts: list[int],
    stamps: list[int],
    values: list[bytes | None],
) -> BatchShape:
    return BatchShape(
        header,
        sum(sizes),
        max(sizes),
        max(keys),
        max(counts),
        stamps,
        values,
        lambda: (sizes, keys, counts),
    )


def _v2_shape(header: BatchHeader, parsed: V2Batch, body_bytes: int) -> BatchShape:
    keys = parsed.keys
    key_top = max(map(len, filter(None, keys)), default=-1)
    if key_top < 0 and b"" in keys:
        key_top = 0

    def measures() -> tuple[list[int], list[int], list[int]]:
        lengths = [-1 if k is None else len(k) for k in keys]
        return batch_v2.record_sizes(parsed), lengths, parsed.header_counts

    return BatchShape(
        header,
        body_bytes,
        body_bytes,
        key_top,
        max(parsed.header_counts),
        parsed.timestamps_ms,
        parsed.values,
        measures,
    )


def _parse_v2(
    buf: bytes | memoryview, header: BatchHeader, where: str, *, values: bool, records: bool
) -> V2Batch:
    """The v2 batch inside the verified magic 2 batch `buf`, checked against its header."""
    parsed = batch_v2.parse(
        bytes(buf[_V2_AT:]),
        where,
        records_max=header.record_count,
        values=values,
        records=records,
    )
    if (len(parsed.keys), parsed.first_timestamp_ms, parsed.max_timestamp_ms) != (
        header.record_count,
        header.first_timestamp_ms,
        header.max_timestamp_ms,
    ):
        raise CorruptBatchError(where, "the v2 batch does not match its header")
    return parsed


def _verified(buf: bytes | memoryview, where: str, length_max: int) -> BatchHeader:
    if len(buf) < BATCH_HEADER_BYTES:
        raise CorruptBatchError(where, f"{len(buf)} bytes is shorter than a batch header")
    header = read_header(buf, where, length_max=length_max)
    if header.length != len(buf):
        raise CorruptBatchError(where, f"batch length {header.length} but {len(buf)} bytes")
    if crc32c(memoryview(buf)[_CRC_START:]) != header.crc:
        raise CorruptBatchError(where, "checksum mismatch")
    return header


def measure_batch(buf: bytes, where: str, *, length_max: int, values: bool = False) -> BatchShape:
    """Verify the batch that fills `buf` and measure its records (no record objects built
    for magic 1)."""
    header = _verified(buf, where, length_max)
    if header.magic == BATCH_MAGIC_V2:
        body_bytes = header.length - _V2_AT - V2_HEADER_BYTES
        parsed = _parse_v2(buf, header, where, values=values, records=False)
        return _v2_shape(header, parsed, body_bytes)
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
    return _v1_shape(header, sizes, keys, counts, stamps, vals)


def decode_batch(
    buf: bytes | memoryview, topic: str, partition: int, where: str, *, length_max: int
) -> tuple[BatchHeader, list[ConsumedRecord]]:
    """Verify and decode the one batch that fills `buf` exactly (either kind)."""
    header = _verified(buf, where, length_max)
    if header.magic == BATCH_MAGIC_V2:
        parsed = _parse_v2(buf, header, where, values=False, records=True)
        new = tuple.__new__
        cls = ConsumedRecord
        base = header.base_offset
        return header, [
            new(cls, (topic, partition, base + i, ts, r.key, r.value, tuple(r.headers)))
            for i, (r, ts) in enumerate(zip(parsed.records, parsed.timestamps_ms, strict=True))
        ]
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
