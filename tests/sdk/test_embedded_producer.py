"""The in-process producer places records as the broker would, appends a delivery's partitions
side by side, and reports only the records a partition refused; memory:// waits for no disk."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from broker import Broker, Limits, TopicConfig
from broker.placement import keyed_partition
from sdk.errors import DeliveryError
from sdk.transports.base import OutRecord
from sdk.transports.builtin import BrokerProducer
from sdk.transports.embedded import EmbeddedConsumer, EmbeddedProducer, shared_broker


def _everything(broker: Broker, topic: str) -> dict[int, list[tuple[bytes | None, bytes | None]]]:
    out: dict[int, list[tuple[bytes | None, bytes | None]]] = {}
    for p in range(broker.partition_count(topic)):
        got = broker.fetch(topic, p, 0, records_max=10_000).records
        out[p] = [(r.key, r.value) for r in got]
    return out


@pytest.mark.parametrize("flush", ["always", "never"])
def test_keyed_records_land_where_the_broker_puts_them_in_order(
    tmp_path: Path, flush: str
) -> None:
    with Broker(tmp_path, maintenance_interval_ms=None) as broker:
        broker.create_topic("t", TopicConfig(partitions=4, flush=flush))  # type: ignore[arg-type]
        producer = BrokerProducer(broker, lambda: None, linger_ms=0, split_partitions=True)
        keys = [f"k{n % 13}".encode() for n in range(200)]
        producer.send("t", [OutRecord(b"%d" % n, k) for n, k in enumerate(keys)])
        producer.send("t", [OutRecord(b"unkeyed-%d" % n) for n in range(5)])
        producer.close()
        stored = _everything(broker, "t")
    for p, records in stored.items():
        keyed = [(k, v) for k, v in records if k is not None]
        assert all(keyed_partition(k, 4) == p for k, _ in keyed)
        for key in {k for k, _ in keyed}:  # each key's records in the order they were sent
            values = [v for k, v in keyed if k == key]
            assert values == [b"%d" % n for n, k in enumerate(keys) if k == key]
    unkeyed = [p for p, records in stored.items() if any(k is None for k, _ in records)]
    assert len(unkeyed) == 1  # one delivery's unkeyed records share a partition
    assert [v for k, v in stored[unkeyed[0]] if k is None] == [b"unkeyed-%d" % n for n in range(5)]


def test_a_refused_partition_fails_only_its_own_records(tmp_path: Path) -> None:
    limits = Limits(record_bytes_max=100)
    with Broker(tmp_path, limits=limits, maintenance_interval_ms=None) as broker:
        broker.create_topic("t", TopicConfig(partitions=3))
        producer = BrokerProducer(broker, lambda: None, linger_ms=0, split_partitions=True)
        keys = [f"k{n}".encode() for n in range(30)]
        big = keys[0]
        refused = [k for k in keys if keyed_partition(k, 3) == keyed_partition(big, 3)]
        records = [OutRecord(b"x" * (200 if k == big else 10), k) for k in keys]
        with pytest.raises(DeliveryError) as caught:
            producer.send("t", records)
            producer.flush(10)
        assert len(caught.value.failures) == len(refused)
        assert "record_bytes_max" in caught.value.failures[0][1]
        producer.close()
        stored = _everything(broker, "t")
    assert sorted(k for records in stored.values() for k, _ in records if k is not None) == sorted(
        k for k in keys if k not in refused
    )


def test_memory_brokers_wait_for_no_disk_and_file_brokers_do(tmp_path: Path) -> None:
    topic = f"t-{uuid.uuid4().hex[:8]}"
    for url, flush, offsets in (
        (f"memory://{topic}", "never", "memory"),
        ((tmp_path / "log").as_uri(), "always", "always"),
    ):
        consumer = EmbeddedConsumer(url, "g", [topic], "earliest", partitions=2)
        producer = EmbeddedProducer(url)
        try:
            with shared_broker(url) as broker:
                assert broker.describe_topic(topic).config.flush == flush
                assert broker.groups.flush == offsets
                producer.send(topic, [OutRecord(b"v", b"k")])
                producer.flush(10)
                assert sum(broker.offsets(topic, p)[1] for p in range(2)) == 1
        finally:
            producer.close()
            consumer.close()
