"""The broker core counts in-process produce, fetch and long polls into `Metrics` too."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from broker import Broker, Consumer, ProducerRecord, TopicConfig
from registry.metrics import Metrics


def samples(metrics: Metrics) -> dict[tuple[str, str], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, s.labels.get("topic", ""))] = s.value
    return out


def test_in_process_produce_fetch_and_waits_are_counted(tmp_path: Path) -> None:
    with Broker(tmp_path, maintenance_interval_ms=None) as broker:
        metrics = Metrics(broker=broker)
        broker.observer = metrics
        broker.create_topic("local", TopicConfig(partitions=3))
        keyed = [ProducerRecord(f"v{n}".encode(), key=f"k{n}".encode()) for n in range(12)]
        broker.produce("local", keyed)  # split by key: one batch per partition
        broker.produce_encoded(
            "local", _encoded([ProducerRecord(b"enc", timestamp_ms=1)]), partition=1
        )
        stored = sum(p.size_bytes for p in broker.describe_topic("local").partitions)
        got = samples(metrics)
        assert got[("charter_broker_produced_records_total", "local")] == 13
        assert got[("charter_broker_produced_bytes_total", "local")] == stored

        consumer = Consumer(broker, ["local"])
        read = []
        deadline = time.monotonic() + 10
        while len(read) < 13 and time.monotonic() < deadline:
            read += consumer.poll(wait_ms=100)
        assert len(read) == 13
        got = samples(metrics)
        assert got[("charter_broker_fetched_records_total", "local")] == 13
        assert got[("charter_broker_fetched_bytes_total", "local")] == stored
        # an offset-for-time probe of the Kafka listener's kind is not a fetch served
        broker.fetch("local", 1, 0, records_max=1, bytes_max=1, observe=False)
        assert samples(metrics)[("charter_broker_fetched_records_total", "local")] == 13

        waiter = threading.Thread(target=lambda: read.extend(consumer.poll(wait_ms=20_000)))
        waiter.start()
        deadline = time.monotonic() + 10
        while samples(metrics)[("charter_broker_long_polls_waiting", "")] < 1:
            assert time.monotonic() < deadline, "the in-process long poll was never gauged"
            time.sleep(0.01)
        broker.produce("local", [ProducerRecord(b"wake")], partition=2)
        waiter.join(10)
        assert read[-1].value == b"wake"
        assert samples(metrics)[("charter_broker_long_polls_waiting", "")] == 0


def _encoded(records: list[ProducerRecord]) -> bytes:
    from broker.record import encode_batch

    return encode_batch(0, records, [r.timestamp_ms or 0 for r in records])
