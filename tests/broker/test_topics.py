from __future__ import annotations

from pathlib import Path

import pytest

from broker import (
    Broker,
    ContractViolationError,
    DataDirLockedError,
    InvalidConfigError,
    LimitExceededError,
    Limits,
    ProducerRecord,
    TopicConfig,
    TopicExistsError,
    UnknownPartitionError,
    UnknownTopicError,
    keyed_partition,
)
from tests.broker.conftest import FakeClock


def test_topic_lifecycle_survives_a_restart(tmp_path: Path, clock: FakeClock) -> None:
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        b.create_topic("orders", TopicConfig(partitions=3, retention_ms=60_000))
        b.create_topic("audit")
        with pytest.raises(TopicExistsError):
            b.create_topic("orders")
        b.produce("orders", [ProducerRecord(b"a", key=b"k1")])
        b.alter_topic("orders", partitions=5, flush="never")
        with pytest.raises(InvalidConfigError):
            b.alter_topic("orders", partitions=2)
        b.delete_topic("audit")
        assert b.list_topics() == ["orders"]
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        d = b.describe_topic("orders")
        assert d.config.partitions == 5 and d.config.flush == "never"
        assert d.config.retention_ms == 60_000
        assert sum(p.log_end_offset for p in d.partitions) == 1
        assert b.list_topics() == ["orders"]
        with pytest.raises(UnknownTopicError):
            b.describe_topic("audit")
        b.create_topic("audit")  # the name is free again, and empty
        assert b.describe_topic("audit").partitions[0].log_end_offset == 0


def test_one_process_per_data_dir(tmp_path: Path) -> None:
    with Broker(tmp_path, maintenance_interval_ms=None), pytest.raises(DataDirLockedError):
        Broker(tmp_path, maintenance_interval_ms=None)


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "sp ace", "x" * 250])
def test_bad_topic_names(broker: Broker, name: str) -> None:
    with pytest.raises((InvalidConfigError, LimitExceededError)):
        broker.create_topic(name)


def test_keyed_records_land_where_kafka_puts_them(broker: Broker) -> None:
    broker.create_topic("k", TopicConfig(partitions=7))
    keys = [b"21", b"foobar", b"abc", b"user-1", b"user-2", b""]
    placed = broker.produce("k", [ProducerRecord(b"v", key=k) for k in keys])
    assert [p for p, _ in placed] == [keyed_partition(k, 7) for k in keys]
    assert placed[0][0] == (1173551340 % 7)


def test_unkeyed_batches_spread_over_partitions(broker: Broker) -> None:
    broker.create_topic("u", TopicConfig(partitions=4))
    seen = {
        broker.produce("u", [ProducerRecord(b"v"), ProducerRecord(b"w")])[0][0] for _ in range(8)
    }
    assert seen == {0, 1, 2, 3}


def test_produce_returns_offsets_in_order_and_fetch_reads_them(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=2))
    placed = broker.produce("t", [ProducerRecord(b"%d" % i, key=b"same") for i in range(5)])
    p = placed[0][0]
    assert placed == [(p, i) for i in range(5)]
    got = broker.fetch("t", p, 2).records
    assert [(r.offset, r.value) for r in got] == [(2, b"2"), (3, b"3"), (4, b"4")]


def test_limits_reject_with_the_limit_named(tmp_path: Path) -> None:
    limits = Limits(
        record_bytes_max=200,
        batch_records_max=3,
        batch_bytes_max=400,
        topics_max=1,
        partitions_max=4,
        fetch_records_max=10,
        poll_timeout_ms_max=100,
        fetch_partitions_max=1,
        group_name_bytes_max=3,
        commit_partitions_max=1,
        groups_max=1,
    )
    with Broker(tmp_path, limits=limits, maintenance_interval_ms=None) as b:
        b.create_topic("t")
        cases = [
            (
                lambda: b.produce("t", [ProducerRecord(b"x"), ProducerRecord(b"y" * 300)]),
                "record_bytes_max",
                "record 1",
            ),
            (lambda: b.produce("t", [ProducerRecord(b"x")] * 4), "batch_records_max", "batch"),
            (lambda: b.produce("t", [ProducerRecord(b"x" * 150)] * 3), "batch_bytes_max", "batch"),
            (lambda: b.create_topic("second"), "topics_max", ""),
            (lambda: b.alter_topic("t", partitions=5), "partitions_max", "partitions"),
            (lambda: b.fetch("t", 0, 0, records_max=11), "fetch_records_max", "fetch"),
            (
                lambda: b.fetch("t", 0, 0, records_max=5, wait_ms=101),
                "poll_timeout_ms_max",
                "fetch",
            ),
            (
                lambda: b.fetch_many({("t", 0): 0, ("t", 1): 0}, records_max=5),
                "fetch_partitions_max",
                "fetch",
            ),
            (lambda: b.groups.join("long", ["t"]), "group_name_bytes_max", "group name"),
            (
                lambda: b.groups.commit("g", {("t", 0): 0, ("t", 1): 0}),
                "commit_partitions_max",
                "commit",
            ),
            (lambda: (b.groups.join("g1", ["t"]), b.groups.join("g2", ["t"])), "groups_max", ""),
            (  # more headers than the record format's u16 count holds: a limit, no struct.error
                lambda: b.produce("t", [ProducerRecord(b"x", None, (("h", b""),) * 70_000)]),
                "record_bytes_max",
                "record 0",
            ),
        ]
        for call, limit, what in cases:
            with pytest.raises(LimitExceededError) as info:
                call()
            assert (info.value.limit, info.value.what) == (limit, what)
        assert b.describe_topic("t").partitions[0].log_end_offset == 0
        with pytest.raises(UnknownPartitionError):
            b.produce("t", [ProducerRecord(b"x")], partition=1)


class FakeContracts:
    """Schema 1 and 2 are registered under orders-value; schema 2 wants payloads b'ok...'."""

    def is_registered(self, subject: str, schema_id: int) -> bool:
        return subject == "orders-value" and schema_id in (1, 2)

    def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        return None if schema_id == 1 or payload.startswith(b"ok") else "payload is not ok"


def framed(schema_id: int, payload: bytes) -> bytes:
    return b"\x00" + schema_id.to_bytes(4, "big") + payload


@pytest.mark.parametrize(
    ("setting", "value", "reason"),
    [
        ("none", b"\x07", None),
        ("id", b"\x07", "shorter than the 5-byte"),
        ("id", b"\x01" + b"\x00" * 8, "not the wire-format magic byte"),
        ("id", framed(9, b"ok"), "schema id 9 is not registered under subject 'orders-value'"),
        ("id", framed(2, b"bad"), None),
        ("id", None, "null"),
        ("validate", framed(2, b"bad"), "payload is not ok"),
        ("validate", framed(2, b"ok!"), None),
        ("validate", framed(1, b"anything"), None),
    ],
)
def test_contract_enforcement_is_atomic(
    tmp_path: Path, setting: str, value: bytes | None, reason: str | None
) -> None:
    with Broker(tmp_path, contracts=FakeContracts(), maintenance_interval_ms=None) as b:
        b.create_topic("orders", TopicConfig(contract=setting))  # type: ignore[arg-type]
        batch = [ProducerRecord(framed(1, b"first")), ProducerRecord(value)]
        if reason is None:
            assert [o for _, o in b.produce("orders", batch, partition=0)] == [0, 1]
            return
        with pytest.raises(ContractViolationError) as info:
            b.produce("orders", batch, partition=0)
        assert info.value.index == 1
        assert reason in info.value.reason
        assert b.offsets("orders", 0) == (0, 0)


def test_contract_settings_need_a_contract_source(broker: Broker) -> None:
    with pytest.raises(InvalidConfigError):
        broker.create_topic("x", TopicConfig(contract="id"))
    broker.create_topic("x")
    with pytest.raises(InvalidConfigError):
        broker.alter_topic("x", contract="validate")


def test_retention_runs_in_maintenance(broker: Broker, clock: FakeClock) -> None:
    broker.create_topic("r", TopicConfig(segment_bytes=4096, retention_ms=1_000))
    for _ in range(50):
        broker.produce("r", [ProducerRecord(b"x" * 200)])
    clock.advance(5_000)
    broker.produce("r", [ProducerRecord(b"fresh")])
    broker.run_maintenance()
    start, end = broker.offsets("r", 0)
    assert end == 51 and start > 0
    assert broker.fetch("r", 0, start, records_max=1000).records[-1].value == b"fresh"


def test_concurrent_producers_and_a_long_polling_consumer(broker: Broker) -> None:
    import threading

    broker.create_topic("c", TopicConfig(partitions=3, segment_bytes=8192))
    producers = 4
    batches = 30

    def produce(worker: int) -> None:
        for n in range(batches):
            key = b"w%d" % worker
            broker.produce(
                "c", [ProducerRecord(b"%d:%d:%d" % (worker, n, i), key=key) for i in range(5)]
            )

    threads = [threading.Thread(target=produce, args=(w,)) for w in range(producers)]
    seen: list[bytes] = []
    positions = {("c", p): 0 for p in range(3)}

    def consume() -> None:
        while len(seen) < producers * batches * 5:
            got = broker.fetch_many(positions, records_max=50, wait_ms=5_000)
            for tp, fetched in got.items():
                for r in fetched.records:
                    assert r.offset == positions[tp]
                    positions[tp] += 1
                    seen.append(r.value or b"")

    reader = threading.Thread(target=consume)
    reader.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader.join(timeout=60)
    assert not reader.is_alive()
    per_worker: dict[bytes, list[tuple[int, int]]] = {}
    for v in seen:
        w, n, i = v.split(b":")
        per_worker.setdefault(w, []).append((int(n), int(i)))
    # one key, one partition: each producer's records arrive in the order it sent them
    assert all(got == sorted(got) and len(got) == batches * 5 for got in per_worker.values())


def test_a_failed_open_releases_the_data_dir(tmp_path: Path) -> None:
    with Broker(tmp_path, maintenance_interval_ms=None) as b:
        b.create_topic("t")
    config = tmp_path / "topics" / "t" / "config.json"
    good = config.read_text()
    config.write_text('{"partitions": 1, "colour": "blue"}')
    with pytest.raises(InvalidConfigError):
        Broker(tmp_path, maintenance_interval_ms=None)
    config.write_text(good)
    with Broker(tmp_path, maintenance_interval_ms=None) as b:
        assert b.list_topics() == ["t"]


def test_one_registry_lookup_per_schema_id_per_batch(tmp_path: Path) -> None:
    class Counting(FakeContracts):
        lookups = 0

        def is_registered(self, subject: str, schema_id: int) -> bool:
            Counting.lookups += 1
            return super().is_registered(subject, schema_id)

    with Broker(tmp_path, contracts=Counting(), maintenance_interval_ms=None) as b:
        b.create_topic("orders", TopicConfig(contract="id"))
        batch = [ProducerRecord(framed(1 + i % 2, b"ok")) for i in range(100)]
        b.produce("orders", batch)
        assert Counting.lookups == 2
