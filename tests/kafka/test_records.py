"""Kafka's v2 record batch: our reader against kio's writer, our writers against kio's reader,
and batches that pass their CRC but lie about their records refused."""

from __future__ import annotations

import datetime
import io
import struct

import pytest
from crc32c import crc32c
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.records.readers import read_batch
from kio.records.schema import NewRecordBatch, Record, RecordHeader
from kio.records.writers import write_new_batch
from kio.static.primitive import TZAwareMicros, i8, i16, i32, i64

from broker import batch_v2
from broker.kafka.errors import CorruptRecordsError, UnsupportedRecordsError
from broker.kafka.records import decode_batch, encode_batch, from_log_batch
from broker.record import (
    BATCH_MAGIC_V2,
    ConsumedRecord,
    ProducerRecord,
    measure_batch,
    rebase_batch,
    v2_of,
)
from broker.record import decode_batch as decode_log_batch
from broker.record import encode_batch as encode_log_batch

LIMITS = {"records_max": 10_000, "uncompressed_bytes_max": 1 << 20}


def _log_records(raw: bytes) -> list[ConsumedRecord]:
    """Our reading of a Kafka batch: the log batch it becomes, decoded by broker.record."""
    log_batch = decode_batch(raw, **LIMITS).log_batch
    return decode_log_batch(log_batch, "t", 0, "test", length_max=len(log_batch))[1]


BASE_S = 1_790_000_000  # whole seconds: kio's reader keeps no milliseconds

optional_bytes = st.none() | st.binary(max_size=40)
records = st.lists(
    st.tuples(
        optional_bytes,
        optional_bytes,
        st.lists(st.tuples(st.text(max_size=8), optional_bytes), max_size=3),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=20,
)


def _kio_batch(
    items: list[tuple[bytes | None, bytes | None, list[tuple[str, bytes | None]], int]],
) -> bytes:
    buf = io.BytesIO()
    write_new_batch(
        buf,
        NewRecordBatch(
            producer_id=i64(4711),
            producer_epoch=i16(2),
            base_sequence=i32(9),
            attributes=i16(0),
            records=tuple(
                Record(
                    attributes=i8(0),
                    timestamp=TZAwareMicros.parse(
                        datetime.datetime.fromtimestamp(BASE_S + seconds, datetime.UTC)
                    ),
                    offset=i64(n),
                    key=key,
                    value=value,
                    headers=tuple(RecordHeader(key=k.encode(), value=v) for k, v in headers),
                )
                for n, (key, value, headers, seconds) in enumerate(items)
            ),
        ),
    )
    return buf.getvalue()


def _with_crc(batch: bytes | bytearray) -> bytes:
    """The v2 batch with its CRC recomputed: damage that the CRC alone does not catch."""
    out = bytearray(batch)
    struct.pack_into(">I", out, 17, crc32c(bytes(out[21:])))
    return bytes(out)


def test_the_compiled_reader_is_the_one_used() -> None:
    from aiokafka.record.default_records import DefaultRecordBatch

    assert "_crecords" in DefaultRecordBatch.__module__  # aiokafka's C extension loaded


@settings(max_examples=60, deadline=None)
@given(records)
def test_batches_kio_writes_are_stored_verbatim_and_decode_to_the_same_records(
    items: list,  # type: ignore[type-arg]
) -> None:
    raw = _kio_batch(items)
    decoded = decode_batch(raw, **LIMITS)
    assert (decoded.producer_id, decoded.producer_epoch, decoded.base_sequence) == (4711, 2, 9)
    assert decoded.record_count == len(items)
    assert decoded.log_batch[8] == BATCH_MAGIC_V2
    assert bytes(v2_of(decoded.log_batch)) == raw
    assert [(r.key, r.value, list(r.headers), r.timestamp_ms) for r in _log_records(raw)] == [
        (key, value, headers, (BASE_S + seconds) * 1000) for key, value, headers, seconds in items
    ]


@settings(max_examples=60, deadline=None)
@given(records, st.integers(0, 2**40))
def test_batches_we_write_are_read_by_kio(items: list, base_offset: int) -> None:  # type: ignore[type-arg]
    ours = [
        ConsumedRecord("t", 0, base_offset + n, (BASE_S + s) * 1000, key, value, tuple(headers))
        for n, (key, value, headers, s) in enumerate(items)
    ]
    raw = encode_batch(ours)
    batch, size = read_batch(raw, 0)  # kio verifies the CRC and the lengths
    assert size == len(raw)
    assert batch.base_offset == base_offset
    assert [(r.offset, r.key, r.value) for r in batch.records] == [
        (r.offset, r.key, r.value) for r in ours
    ]
    assert [
        [(h.key.decode() if h.key else "", h.value) for h in r.headers] for r in batch.records
    ] == [list(r.headers) for r in ours]
    assert [int(r.timestamp.timestamp() * 1000) for r in batch.records] == [
        r.timestamp_ms for r in ours
    ]


def test_millisecond_timestamps_survive_the_round_trip() -> None:
    ours = [ConsumedRecord("t", 0, 5 + n, 1_790_000_000_123 + n, None, b"v") for n in range(3)]
    decoded = _log_records(encode_batch(ours))
    assert [r.timestamp_ms for r in decoded] == [r.timestamp_ms for r in ours]
    assert [(r.key, r.value) for r in decoded] == [(None, b"v")] * 3


def test_every_flipped_byte_is_caught() -> None:
    raw = encode_batch([ConsumedRecord("t", 0, 0, 1, b"key", b"value", (("h", b"x"),))])
    for at in range(len(raw)):
        broken = bytearray(raw)
        broken[at] ^= 0x41
        if at < 8 or 12 <= at < 16:  # base offset and leader epoch: the broker's to set
            continue
        with pytest.raises((CorruptRecordsError, UnsupportedRecordsError)):
            decode_batch(bytes(broken), **LIMITS)


def _record_starts(raw: bytes) -> list[int]:
    """Where each record of an uncompressed v2 batch starts (for the damage below)."""
    starts = []
    pos = 61
    while pos < len(raw):
        starts.append(pos)
        shift = length = 0
        while True:
            byte = raw[pos]
            pos += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        pos += (length >> 1) ^ -(length & 1)
    return starts


def test_batches_whose_crc_holds_but_whose_records_lie_are_refused() -> None:
    items = [(b"k", b"value-0", [("h", b"x")], 0), (None, b"value-1", [], 1)]
    raw = _kio_batch(items)
    first, second = _record_starts(raw)
    cases: dict[str, bytes] = {}
    longer = bytearray(raw)
    longer[first] += 2  # record 0 claims one byte more (zig-zag: +2 is +1)
    cases["record length"] = _with_crc(longer)
    delta = bytearray(raw)
    delta[second + 3] = 4  # record 1's offset delta 2 (attributes, ts delta, then it)
    cases["offset delta"] = _with_crc(delta)
    count = bytearray(raw)
    struct.pack_into(">i", count, 57, 3)
    cases["record count"] = _with_crc(count)
    last = bytearray(raw)
    struct.pack_into(">i", last, 23, 5)
    cases["last offset delta"] = _with_crc(last)
    stamp = bytearray(raw)
    struct.pack_into(">q", stamp, 35, (BASE_S + 7) * 1000)
    cases["max timestamp"] = _with_crc(stamp)
    trailing = bytearray(raw + b"\x00")
    struct.pack_into(">i", trailing, 8, len(trailing) - 12)
    cases["a byte after the last record"] = _with_crc(trailing)
    cut = bytearray(raw[:-1] + b"\x81")  # the last varint runs off the end of the batch
    cases["a varint cut off at the end"] = _with_crc(cut)
    name = bytearray(raw)
    at = raw.index(b"\x02h") + 1  # header key "h" (length varint 2 = 1)
    name[at] = 0xFF
    cases["a header key that is not UTF-8"] = _with_crc(name)
    for what, bad in cases.items():
        with pytest.raises(CorruptRecordsError):
            decode_batch(bad, **LIMITS)
            pytest.fail(f"{what} was not refused")


def test_limits_bound_what_a_batch_may_claim() -> None:
    raw = encode_batch([ConsumedRecord("t", 0, 0, 1, None, b"v") for _ in range(5)])
    with pytest.raises(CorruptRecordsError, match="record count 5"):
        decode_batch(raw, records_max=4, uncompressed_bytes_max=1 << 20)


@settings(max_examples=60, deadline=None)
@given(records, st.integers(0, 2**40))
def test_log_batches_served_as_kafka_batches_read_back_by_kio(items: list, base: int) -> None:  # type: ignore[type-arg]
    producer = [
        ProducerRecord(value, key, tuple(headers), (BASE_S + s) * 1000)
        for key, value, headers, s in items
    ]
    log_batch = encode_log_batch(base, producer, [r.timestamp_ms or 0 for r in producer])
    raw = from_log_batch(log_batch)
    batch, size = read_batch(raw, 0)  # kio verifies the CRC and the lengths
    assert size == len(raw)
    assert batch.base_offset == base
    assert [(r.offset, r.key, r.value) for r in batch.records] == [
        (base + n, r.key, r.value) for n, r in enumerate(producer)
    ]
    assert [
        [(h.key.decode() if h.key else "", h.value) for h in r.headers] for r in batch.records
    ] == [list(r.headers) for r in producer]
    # and stored again as a v2 batch, it reads as the same records, milliseconds included
    stored = rebase_batch(decode_batch(raw, **LIMITS).log_batch, base)
    _, again = decode_log_batch(stored, "t", 0, "x", length_max=len(stored))
    _, first = decode_log_batch(log_batch, "t", 0, "x", length_max=len(log_batch))
    assert again == first


@settings(max_examples=60, deadline=None)
@given(records)
def test_the_shape_measured_on_produce_is_the_one_the_broker_measures(items: list) -> None:  # type: ignore[type-arg]
    raw = _kio_batch(items)
    decoded = decode_batch(raw, **LIMITS, values=True)
    again = measure_batch(
        decoded.log_batch, "test", length_max=len(decoded.log_batch), values=True
    )
    fields = ("header", "bytes_total", "key_bytes_top", "headers_top", "timestamps_ms", "values")
    assert [getattr(decoded.shape, f) for f in fields] == [getattr(again, f) for f in fields]
    sizes, keys, headers = again.measures()
    assert sum(sizes) == again.bytes_total == len(raw) - 61  # each record's v2 bytes
    assert keys == [-1 if key is None else len(key) for key, _, _, _ in items]
    assert headers == [len(h) for _, _, h, _ in items]
    assert again.values == [value for _, value, _, _ in items]


def test_a_stored_batch_takes_the_offset_the_log_gave_it() -> None:
    raw = _kio_batch([(b"k", b"v", [], 0), (None, b"w", [], 1)])
    placed = rebase_batch(decode_batch(raw, **LIMITS).log_batch, 12_345)
    batch, _ = read_batch(bytes(v2_of(placed)), 0)  # the v2 CRC still holds
    assert batch.base_offset == 12_345
    assert batch.partition_leader_epoch == 0
    assert [r.offset for r in batch.records] == [12_345, 12_346]
    _, ours = decode_log_batch(placed, "t", 0, "x", length_max=len(placed))
    assert [r.offset for r in ours] == [12_345, 12_346]


def test_a_stored_v2_batch_damaged_on_disk_is_caught() -> None:
    raw = _kio_batch([(b"k", b"v", [], 0)])
    stored = bytearray(rebase_batch(decode_batch(raw, **LIMITS).log_batch, 3))
    for at in range(8, len(stored)):
        broken = bytearray(stored)
        broken[at] ^= 0x10
        with pytest.raises(Exception, match="corrupt record batch"):
            decode_log_batch(bytes(broken), "t", 0, "x", length_max=len(stored))


def test_parse_refuses_what_the_listener_inflates_or_refuses_first() -> None:
    raw = bytearray(_kio_batch([(None, b"v", [], 0)]))
    struct.pack_into(">h", raw, 21, 1)  # gzip
    with pytest.raises(Exception, match="attributes"):
        batch_v2.parse(_with_crc(raw), "test", records_max=10)
