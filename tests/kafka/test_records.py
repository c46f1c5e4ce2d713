"""Kafka's v2 record batch: our reader against kio's writer, our writer against kio's reader."""

from __future__ import annotations

import datetime
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kio.records.readers import read_batch
from kio.records.schema import NewRecordBatch, Record, RecordHeader
from kio.records.writers import write_new_batch
from kio.static.primitive import TZAwareMicros, i8, i16, i32, i64

from broker.kafka.errors import CorruptRecordsError, UnsupportedRecordsError
from broker.kafka.records import decode_batch, encode_batch, from_log_batch, with_base_offset
from broker.record import ConsumedRecord, ProducerRecord, measure_batch, rebase_batch
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


@settings(max_examples=60, deadline=None)
@given(records)
def test_batches_kio_writes_decode_to_the_same_records(items: list) -> None:  # type: ignore[type-arg]
    raw = _kio_batch(items)
    decoded = decode_batch(raw, **LIMITS)
    assert (decoded.producer_id, decoded.producer_epoch, decoded.base_sequence) == (4711, 2, 9)
    assert decoded.record_count == len(items)
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
    # and what we read of it is the log batch again, millisecond timestamps included
    assert decode_batch(raw, **LIMITS).log_batch[8:] == rebase_batch(log_batch, 0)[8:]


@settings(max_examples=60, deadline=None)
@given(records)
def test_the_shape_measured_on_conversion_is_the_one_the_broker_measures(items: list) -> None:  # type: ignore[type-arg]
    decoded = decode_batch(_kio_batch(items), **LIMITS, values=True)
    again = measure_batch(
        decoded.log_batch, "test", length_max=len(decoded.log_batch), values=True
    )
    assert decoded.shape == again


def test_a_produced_batch_takes_the_offset_the_log_gave_it() -> None:
    raw = _kio_batch([(b"k", b"v", [], 0), (None, b"w", [], 1)])
    placed = with_base_offset(raw, 12_345)
    batch, _ = read_batch(placed, 0)  # still verifies: the CRC does not cover the offset
    assert batch.base_offset == 12_345
    assert [r.offset for r in batch.records] == [12_345, 12_346]
