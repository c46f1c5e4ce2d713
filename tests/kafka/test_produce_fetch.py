"""confluent-kafka's Producer and Consumer against `charter serve`: acks, placement, seeks."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer, TopicPartition

from broker import keyed_partition
from tests.kafka.conftest import HttpApi, Serve, consumer, drain

pytestmark = pytest.mark.timeout(120)


def produce_all(bootstrap: str, topic: str, values: list[bytes], **config: Any) -> list[Any]:
    """Produce `values` (keyed by index), flush; the delivery reports (error, partition, offset)."""
    reports: list[Any] = []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, **config})
    for i, value in enumerate(values):
        producer.produce(
            topic,
            value=value,
            key=f"key-{i}".encode(),
            headers=[("n", str(i).encode())],
            on_delivery=lambda err, msg: reports.append((err, msg.partition(), msg.offset())),
        )
    assert producer.flush(30) == 0
    return reports


def stored(http: HttpApi, topic: str) -> dict[bytes, Any]:
    """Every record of the topic read through the HTTP API, by value."""
    out: dict[bytes, Any] = {}
    for p in range(len(http.describe_topic(topic)["partitions"])):
        offset, end = http.offsets(topic, p)
        while offset < end:
            got = http.fetch(topic, p, offset)
            for r in got.records:
                assert r.value is not None
                out[r.value] = r
            offset = got.records[-1].offset + 1
    return out


@pytest.mark.parametrize("acks", ["0", "1", "all"])
def test_every_acks_setting_stores_every_record(
    serve: Serve, http: HttpApi, topic: str, acks: str
) -> None:
    values = [f"{acks}-{i}".encode() for i in range(300)]
    reports = produce_all(serve.bootstrap, topic, values, acks=acks)
    assert len(reports) == 300 and all(err is None for err, _, _ in reports)
    if acks != "0":  # acks=0 gets no offsets back
        assert all(offset >= 0 for _, _, offset in reports)
    deadline = time.monotonic() + 10
    while len(stored(http, topic)) < 300 and time.monotonic() < deadline:
        time.sleep(0.1)  # acks=0: the client does not wait for the append
    records = stored(http, topic)
    assert set(records) == set(values)
    for i, value in enumerate(values):
        assert records[value].key == f"key-{i}".encode()
        assert records[value].headers == (("n", str(i).encode()),)


def test_keyed_records_land_on_the_murmur2_partition(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    values = [f"m-{i}".encode() for i in range(60)]
    reports = produce_all(serve.bootstrap, topic, values, partitioner="murmur2_random")
    placed = {p for _, p, _ in reports}
    assert len(placed) == 3  # keys spread over every partition
    records = stored(http, topic)
    for i, value in enumerate(values):
        expected = keyed_partition(f"key-{i}".encode(), 3)
        assert records[value].partition == expected
    # the broker places keyed records it is given without a partition the same way
    http.produce(topic, [_record(b"k-http", b"key-7")])
    assert stored(http, topic)[b"k-http"].partition == keyed_partition(b"key-7", 3)


def _record(value: bytes, key: bytes) -> Any:
    from broker import ProducerRecord

    return ProducerRecord(value, key)


def test_a_consumer_reads_in_order_with_keys_headers_and_timestamps(
    serve: Serve, topic: str
) -> None:
    values = [f"o-{i}".encode() for i in range(200)]
    producer = Producer({"bootstrap.servers": serve.bootstrap, "linger.ms": 2})
    base = 1_800_000_000_000
    for i, value in enumerate(values):
        producer.produce(
            topic, value=value, key=b"same", partition=1, timestamp=base + i, headers={"h": b"v"}
        )
    assert producer.flush(30) == 0
    c = consumer(serve.bootstrap)
    c.assign([TopicPartition(topic, 1, 0)])
    got = drain(c, 200)
    c.close()
    assert [m.value() for m in got] == values
    assert [m.offset() for m in got] == list(range(200))
    assert all(m.key() == b"same" and m.headers() == [("h", b"v")] for m in got)
    assert [m.timestamp()[1] for m in got] == [base + i for i in range(200)]


def test_seek_by_offset_and_by_time(serve: Serve, topic: str) -> None:
    producer = Producer({"bootstrap.servers": serve.bootstrap})
    base = 1_800_000_000_000
    for i in range(50):
        producer.produce(topic, value=f"s-{i}".encode(), partition=0, timestamp=base + 1000 * i)
        producer.flush(10)  # one batch each, so the time index has many entries
    c = consumer(serve.bootstrap)
    found = c.offsets_for_times([TopicPartition(topic, 0, base + 20_500)], timeout=10)
    assert found[0].offset == 21  # the first record at or after the time
    past = c.offsets_for_times([TopicPartition(topic, 0, base + 10**9)], timeout=10)
    assert past[0].offset == -1  # none at or after: Kafka answers -1
    low, high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
    assert (low, high) == (0, 50)
    c.assign([TopicPartition(topic, 0, found[0].offset)])
    assert drain(c, 1)[0].value() == b"s-21"
    c.seek(TopicPartition(topic, 0, 7))
    assert drain(c, 1)[0].value() == b"s-7"
    c.close()


def test_a_fetch_long_polls_until_a_record_arrives(serve: Serve, topic: str) -> None:
    c = consumer(serve.bootstrap, **{"fetch.wait.max.ms": 2000})
    c.assign([TopicPartition(topic, 2, 0)])
    assert c.poll(0.5) is None
    producer = Producer({"bootstrap.servers": serve.bootstrap})
    producer.produce(topic, value=b"late", partition=2)
    assert producer.flush(10) == 0
    assert drain(c, 1)[0].value() == b"late"
    c.close()


def test_an_unknown_topic_is_a_delivery_error(serve: Serve) -> None:
    errors: list[Any] = []
    producer = Producer({"bootstrap.servers": serve.bootstrap, "message.timeout.ms": 2000})
    producer.produce("no-such-topic", value=b"x", on_delivery=lambda e, m: errors.append(e))
    producer.flush(10)
    assert len(errors) == 1 and errors[0] is not None
    assert errors[0].code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError._MSG_TIMED_OUT)


def test_an_idempotent_producer_gets_a_producer_id_and_its_records_once(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    values = [f"i-{i}".encode() for i in range(500)]
    reports = produce_all(serve.bootstrap, topic, values, **{"enable.idempotence": True})
    assert all(err is None for err, _, _ in reports)
    assert set(stored(http, topic)) == set(values)
    assert sum(e - s for s, e in (http.offsets(topic, p) for p in range(3))) == 500
