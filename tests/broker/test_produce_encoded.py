"""Producing a batch that arrives encoded (the HTTP path): same outcome as `produce`."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from crc32c import crc32c

from broker import (
    Broker,
    ContractViolationError,
    CorruptBatchError,
    LimitExceededError,
    Limits,
    ProducerRecord,
    TopicConfig,
    keyed_partition,
)
from broker.record import BATCH_PREFIX, encode_batch
from tests.broker.conftest import FakeClock
from tests.broker.test_topics import FakeContracts, framed


def values(broker: Broker, topic: str, partition: int) -> list[tuple[int, bytes | None, int]]:
    got = broker.fetch(topic, partition, 0, records_max=1000).records
    return [(r.offset, r.value, r.timestamp_ms) for r in got]


def test_stamped_batches_are_appended_as_they_came(broker: Broker, clock: FakeClock) -> None:
    broker.create_topic("t", TopicConfig(partitions=2))
    broker.produce("t", [ProducerRecord(b"first")], partition=1)
    records = [ProducerRecord(b"a", headers=(("h", b"1"),)), ProducerRecord(None, key=b"k")]
    placed = broker.produce_encoded("t", encode_batch(77, records, [5, 9]), partition=1)
    assert placed == [(1, 1), (1, 2)]
    assert values(broker, "t", 1) == [(0, b"first", clock.now_ms), (1, b"a", 5), (2, None, 9)]
    unkeyed = broker.produce_encoded("t", encode_batch(0, [ProducerRecord(b"x")], [1]))
    assert len(unkeyed) == 1


def test_unstamped_or_keyed_batches_take_the_decoding_path(
    broker: Broker, clock: FakeClock
) -> None:
    broker.create_topic("t", TopicConfig(partitions=5))
    records = [ProducerRecord(b"v", key=b"21"), ProducerRecord(b"w", key=b"foobar")]
    placed = broker.produce_encoded("t", encode_batch(0, records, [-1, 3]))
    assert [p for p, _ in placed] == [keyed_partition(b"21", 5), keyed_partition(b"foobar", 5)]
    p, o = placed[0]
    assert broker.fetch("t", p, o).records[0].timestamp_ms == clock.now_ms


def test_limits_and_contracts_name_the_record(tmp_path: Path) -> None:
    limits = Limits(record_bytes_max=100, key_bytes_max=4)
    with Broker(
        tmp_path, limits=limits, contracts=FakeContracts(), maintenance_interval_ms=None
    ) as b:
        b.create_topic("orders", TopicConfig(contract="validate"))
        ok = ProducerRecord(framed(2, b"ok"))
        big = encode_batch(0, [ok, ok, ProducerRecord(framed(2, b"ok" * 60))], [1, 1, 1])
        with pytest.raises(LimitExceededError) as info:
            b.produce_encoded("orders", big, partition=0)
        assert (info.value.limit, info.value.what) == ("record_bytes_max", "record 2")
        long_key = encode_batch(0, [ok, ProducerRecord(framed(2, b"ok"), key=b"12345")], [1, 1])
        with pytest.raises(LimitExceededError) as info:
            b.produce_encoded("orders", long_key, partition=0)
        assert (info.value.limit, info.value.what) == ("key_bytes_max", "record 1")
        bad = encode_batch(0, [ok, ProducerRecord(framed(2, b"nope"))], [1, 1])
        with pytest.raises(ContractViolationError) as violation:
            b.produce_encoded("orders", bad, partition=0)
        assert violation.value.index == 1
        assert b.offsets("orders", 0) == (0, 0)


def resealed(batch: bytearray) -> bytes:
    BATCH_PREFIX.pack_into(batch, 0, len(batch) - 4, crc32c(bytes(batch[8:])))
    return bytes(batch)


def test_lies_and_damage_are_refused(broker: Broker) -> None:
    broker.create_topic("t")
    good = encode_batch(0, [ProducerRecord(b"a"), ProducerRecord(b"b")], [10, 20])
    lying = bytearray(good)
    struct.pack_into(">q", lying, 30, 5)  # max timestamp below a record's
    with pytest.raises(CorruptBatchError):
        broker.produce_encoded("t", resealed(lying), partition=0)
    bad_name = bytearray(encode_batch(0, [ProducerRecord(b"a", headers=(("é", None),))], [1]))
    at = bytes(bad_name).index("é".encode())
    bad_name[at] = 0xFF
    with pytest.raises(CorruptBatchError):
        broker.produce_encoded("t", resealed(bad_name), partition=0)
    flipped = bytearray(good)
    flipped[-1] ^= 1
    with pytest.raises(CorruptBatchError):
        broker.produce_encoded("t", bytes(flipped), partition=0)
    assert broker.offsets("t", 0) == (0, 0)
