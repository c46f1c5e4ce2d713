"""The tails kept in memory (broker.tail): a fetch answers the same as from the segments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from broker import Broker, ProducerRecord, TopicConfig
from broker.record import encode_batch
from tests.broker.conftest import FakeClock
from tests.broker.property import examples

records = st.builds(
    ProducerRecord,
    value=st.none() | st.binary(max_size=64),
    key=st.none() | st.binary(max_size=8),
    headers=st.lists(
        st.tuples(st.text(max_size=6), st.none() | st.binary(max_size=8)), max_size=2
    ).map(tuple),
    timestamp_ms=st.none() | st.integers(0, 2**40),
    partition=st.none(),
)
# a produce of records, an encoded batch (never kept) or the clock moving on
steps = st.lists(
    st.one_of(
        st.tuples(st.just("produce"), st.lists(records, min_size=1, max_size=6)),
        st.tuples(st.just("encoded"), st.lists(records, min_size=1, max_size=3)),
        st.tuples(st.just("tick"), st.integers(1, 40_000)),
    ),
    min_size=1,
    max_size=12,
)


def pair(tmp_path: Path, clock: FakeClock, tail_bytes: int) -> tuple[Broker, Broker]:
    brokers = (
        Broker(
            tmp_path / "tail", clock_ms=clock, maintenance_interval_ms=None, tail_bytes=tail_bytes
        ),
        Broker(tmp_path / "disk", clock_ms=clock, maintenance_interval_ms=None, tail_bytes=0),
    )
    for b in brokers:
        b.create_topic("t", TopicConfig(partitions=1))
    return brokers


@settings(max_examples=examples(60), deadline=None)
@given(
    steps,
    st.integers(1, 8),
    st.sampled_from([1, 60, 400, 1 << 20]),
    st.sampled_from([300, 2000, 1 << 20]),
)
def test_fetches_answer_as_the_segments_do(
    tmp_path_factory: pytest.TempPathFactory,
    plan: list[tuple[str, Any]],
    records_max: int,
    bytes_max: int,
    tail_bytes: int,
) -> None:
    tmp = tmp_path_factory.mktemp("tail")
    clock = FakeClock()
    kept, disk = pair(tmp, clock, tail_bytes)
    try:
        for kind, arg in plan:
            for b in (kept, disk):
                if kind == "produce":
                    b.produce("t", arg, partition=0)
                elif kind == "encoded":
                    batch = [r._replace(timestamp_ms=r.timestamp_ms or 7) for r in arg]
                    b.produce_encoded(
                        "t", encode_batch(0, batch, [r.timestamp_ms for r in batch]), partition=0
                    )
            if kind == "tick":
                clock.advance(arg)
                kept.run_maintenance()
        end = disk.offsets("t", 0)[1]
        for offset in range(end + 1):
            a = kept.fetch("t", 0, offset, records_max=records_max, bytes_max=bytes_max)
            b = disk.fetch("t", 0, offset, records_max=records_max, bytes_max=bytes_max)
            assert a == b
        assert kept.tail.bytes <= tail_bytes
    finally:
        kept.close()
        disk.close()
    assert kept.tail.bytes == 0


def test_the_tail_serves_what_was_appended_without_reading_the_segment(
    broker: Broker,
) -> None:
    broker.create_topic("t", TopicConfig(partitions=1))
    broker.produce(
        "t",
        [ProducerRecord(b"v%d" % i, key=b"k", headers=(("h", b"x"),)) for i in range(3)],
        partition=0,
    )
    segment = next((broker.data_dir / "topics" / "t" / "0").glob("*.log"))
    data = segment.read_bytes()
    segment.write_bytes(data[:-1] + bytes([data[-1] ^ 0xFF]))  # the disk copy is now corrupt
    got = broker.fetch("t", 0, 1)
    assert [(r.offset, r.key, r.value, r.headers) for r in got.records] == [
        (1, b"k", b"v1", (("h", b"x"),)),
        (2, b"k", b"v2", (("h", b"x"),)),
    ]


def test_records_that_would_not_come_back_the_same_are_not_kept(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=1))
    value = bytearray(b"mutable")
    headers = [["h", memoryview(b"1")]]
    broker.produce("t", [ProducerRecord(value, headers=headers)], partition=0)  # type: ignore[arg-type]
    value[:] = b"changed"
    (record,) = broker.fetch("t", 0, 0).records
    assert (record.value, record.headers) == (b"mutable", (("h", b"1"),))
    assert type(record.value) is bytes
    assert broker.tail.bytes == 0


def test_a_list_reused_by_its_caller_does_not_change_what_is_served(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=1))
    batch = [ProducerRecord(b"a"), ProducerRecord(b"b")]
    broker.produce("t", batch, partition=0)
    batch[:] = [ProducerRecord(b"z")]
    assert [r.value for r in broker.fetch("t", 0, 0).records] == [b"a", b"b"]


def test_the_budget_drops_the_oldest_and_is_given_back(tmp_path: Path, clock: FakeClock) -> None:
    broker = Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None, tail_bytes=2000)
    broker.create_topic("t", TopicConfig(partitions=2))
    for i in range(20):
        broker.produce("t", [ProducerRecord(b"%03d" % i + b"x" * 100)], partition=i % 2)
        assert 0 < broker.tail.bytes <= 2000
    # the oldest came from the segments, the newest from memory: the same answer
    assert [r.value[:3] for r in broker.fetch("t", 0, 0, records_max=100).records] == [
        b"%03d" % i for i in range(0, 20, 2)
    ]
    clock.advance(60_000)
    broker.run_maintenance()
    assert broker.tail.bytes == 0
    broker.produce("t", [ProducerRecord(b"new")], partition=1)
    assert broker.tail.bytes > 0
    broker.delete_topic("t")
    assert broker.tail.bytes == 0
    broker.close()


def test_retention_forgets_kept_batches_with_their_segments(
    tmp_path: Path, clock: FakeClock
) -> None:
    broker = Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None)
    broker.create_topic("t", TopicConfig(partitions=1, segment_bytes=4096, retention_bytes=1))
    for i in range(30):
        broker.produce("t", [ProducerRecord(b"%03d" % i + b"y" * 100)], partition=0)
    before = broker.tail.bytes
    broker.run_maintenance()
    start, end = broker.offsets("t", 0)
    assert start > 0
    assert broker.tail.bytes < before
    assert [r.offset for r in broker.fetch("t", 0, start, records_max=100).records] == list(
        range(start, end)
    )
    broker.close()
    assert broker.tail.bytes == 0


def test_many_small_batches_some_dropped_answer_as_the_segments_do(
    tmp_path: Path, clock: FakeClock
) -> None:
    kept, disk = pair(tmp_path, clock, 40_000)
    try:
        for i in range(400):
            for b in (kept, disk):
                b.produce("t", [ProducerRecord(b"%04d" % i, key=b"k")] * (1 + i % 3), partition=0)
        assert 0 < kept.tail.bytes <= 40_000
        end = disk.offsets("t", 0)[1]
        for offset in range(0, end, 7):
            for records_max, bytes_max in ((1, 1 << 20), (50, 1 << 20), (500, 600)):
                a = kept.fetch("t", 0, offset, records_max=records_max, bytes_max=bytes_max)
                b = disk.fetch("t", 0, offset, records_max=records_max, bytes_max=bytes_max)
                assert a == b
    finally:
        kept.close()
        disk.close()
