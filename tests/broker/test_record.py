from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker.errors import CorruptBatchError
from broker.placement import keyed_partition, murmur2, to_positive
from broker.record import (
    BATCH_HEADER_BYTES,
    ProducerRecord,
    decode_batch,
    encode_batch,
    encode_records,
    rebase_batch,
    record_bytes,
    wrap_records,
)
from tests.broker.property import examples

records = st.builds(
    ProducerRecord,
    value=st.none() | st.binary(max_size=64),
    key=st.none() | st.binary(max_size=16),
    headers=st.lists(
        st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=8)), max_size=3
    ).map(tuple),
    timestamp_ms=st.none(),
    partition=st.none(),
)


@settings(max_examples=examples(100), deadline=None)
@given(st.lists(records, min_size=1, max_size=20), st.integers(0, 2**40), st.integers(0, 2**42))
def test_batches_round_trip(batch: list[ProducerRecord], base: int, ts: int) -> None:
    stamps = [ts + i for i in range(len(batch))]
    raw = encode_batch(base, batch, stamps)
    header, decoded = decode_batch(raw, "t", 3, "test", length_max=len(raw))
    assert header.base_offset == base
    assert header.record_count == len(batch)
    assert header.first_timestamp_ms == ts
    assert header.max_timestamp_ms == stamps[-1]
    for i, (sent, got) in enumerate(zip(batch, decoded, strict=True)):
        assert (got.offset, got.partition, got.timestamp_ms) == (base + i, 3, stamps[i])
        assert (got.key, got.value, got.headers) == (sent.key, sent.value, sent.headers)


def test_every_flipped_byte_is_detected() -> None:
    raw = encode_batch(7, [ProducerRecord(b"value", b"key", (("h", b"x"),))], [1])
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x41
        with pytest.raises(CorruptBatchError):
            decode_batch(bytes(bad), "t", 0, "test", length_max=len(raw) + 1000)


def test_short_and_truncated_batches_are_corrupt_not_struct_errors() -> None:
    raw = encode_batch(0, [ProducerRecord(b"v" * 50)], [1])
    for cut in (0, 5, BATCH_HEADER_BYTES - 1, BATCH_HEADER_BYTES, len(raw) - 1):
        with pytest.raises(CorruptBatchError):
            decode_batch(raw[:cut], "t", 0, "test", length_max=len(raw))


def test_rebase_rewrites_offset_and_checksum() -> None:
    raw = encode_batch(0, [ProducerRecord(b"a"), ProducerRecord(b"b")], [1, 2])
    header, got = decode_batch(rebase_batch(raw, 40), "t", 0, "x", length_max=len(raw))
    assert header.base_offset == 40
    assert [r.offset for r in got] == [40, 41]


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        # vectors from Kafka's own tests of Utils.murmur2
        (b"21", -973932308),
        (b"foobar", -790332482),
        (b"a-little-bit-long-string", -985981536),
        (b"a-little-bit-longer-string", -1486304829),
        (b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971),
        (b"abc", 479470107),
    ],
)
def test_murmur2_matches_kafka(key: bytes, expected: int) -> None:
    assert murmur2(key) == expected


def test_to_positive_clears_the_sign_bit() -> None:
    assert to_positive(-973932308) == 1173551340
    assert to_positive(-(2**31)) == 0
    assert keyed_partition(b"21", 7) == 1173551340 % 7


@settings(max_examples=examples(100), deadline=None)
@given(
    st.lists(records, min_size=1, max_size=20),
    st.lists(st.none() | st.integers(0, 2**42), min_size=20, max_size=20),
)
def test_encoded_records_measure_what_the_limits_check(
    batch: list[ProducerRecord], stamps: list[int | None]
) -> None:
    batch = [r._replace(timestamp_ms=ts) for r, ts in zip(batch, stamps, strict=False)]
    now = 2**43
    encoded = encode_records(batch, now)
    assert encoded.bytes_total == sum(map(record_bytes, batch)) == len(encoded.body)
    keys = [len(r.key) for r in batch if r.key is not None]
    assert encoded.key_bytes_top == max(keys, default=-1)
    assert encoded.headers_top == max(len(r.headers) for r in batch)
    assert encoded.keyed == any(r.key is not None for r in batch)
    assert encoded.plain and not encoded.placed
    wanted = [now if r.timestamp_ms is None else r.timestamp_ms for r in batch]
    assert (encoded.first_timestamp_ms, encoded.max_timestamp_ms) == (wanted[0], max(wanted))
    assert encoded.timestamps_ms in (None, wanted)
    assert encoded.timestamps_ms is not None or set(wanted) == {now}
    assert wrap_records(5, encoded) == encode_batch(5, batch, wanted)


def test_records_that_decode_otherwise_are_not_plain() -> None:
    def plain(record: ProducerRecord) -> bool:
        return encode_records([ProducerRecord(b"ok"), record], 0).plain

    assert plain(ProducerRecord(b"v", b"k", (("h", b"x"), ("n", None))))
    assert not plain(ProducerRecord(bytearray(b"v")))
    assert not plain(ProducerRecord(b"v", memoryview(b"k")))
    assert not plain(ProducerRecord(b"v", headers=[("h", b"x")]))  # type: ignore[arg-type]
    assert not plain(ProducerRecord(b"v", headers=(["h", b"x"],)))  # type: ignore[arg-type]
    assert not plain(ProducerRecord(b"v", headers=(("h", bytearray(b"x")),)))
    assert not plain(ProducerRecord(b"v", headers=[]))  # type: ignore[arg-type]
    assert encode_records([ProducerRecord(b"v", partition=2)], 0).placed
