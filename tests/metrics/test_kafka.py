"""Broker metrics count every path once: the Kafka listener, the HTTP API, waiting fetches.

Bytes are those of record batches as the log stores them (broker.record's format), whichever
protocol carried them, so a topic's produced bytes equal its log's growth.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable

from confluent_kafka import Producer, TopicPartition

from broker import ProducerRecord
from broker.client import BrokerClient
from tests.kafka.conftest import Serve, consumer, drain
from tests.metrics.test_metrics import scrape, value

WAIT_S = 15.0


def log_bytes(client: BrokerClient, topic: str) -> int:
    return sum(p.size_bytes for p in client.describe_topic(topic).partitions)


def eventually(served: Serve, check: Callable[[float], bool]) -> float:
    """The long-poll gauge once `check` accepts it (scraped until then, WAIT_S at most)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        waiting = value(scrape(served.url), "charter_broker_long_polls_waiting")
        if check(waiting):
            return waiting
        assert time.monotonic() < deadline, f"long polls waiting stayed at {waiting}"
        time.sleep(0.05)


def test_produce_and_fetch_through_kafka_and_http_count_once(served: Serve) -> None:
    topic = f"km-{uuid.uuid4().hex[:8]}"
    client = BrokerClient(served.url)
    client.create_topic(topic)

    def moved(before: dict, after: dict, name: str) -> float:
        return value(after, name, topic=topic) - value(before, name, topic=topic)

    start = scrape(served.url)
    kafka_values = [f"kafka-{n}".encode() * (n + 1) for n in range(7)]
    producer = Producer({"bootstrap.servers": served.bootstrap, "linger.ms": 5})
    for v in kafka_values:
        producer.produce(topic, v, key=b"k", partition=0)
    assert producer.flush(WAIT_S) == 0
    after_kafka = scrape(served.url)
    stored_kafka = log_bytes(client, topic)
    assert moved(start, after_kafka, "charter_broker_produced_records_total") == 7
    assert moved(start, after_kafka, "charter_broker_produced_bytes_total") == stored_kafka

    http_values = [b"http-a", b"http-bb", b"http-ccc"]
    client.produce(topic, [ProducerRecord(v) for v in http_values], partition=0)
    after_http = scrape(served.url)
    assert moved(after_kafka, after_http, "charter_broker_produced_records_total") == 3
    # one batch: a 38-byte header and, per record, 18 bytes and its value
    http_bytes = 38 + sum(18 + len(v) for v in http_values)
    assert moved(after_kafka, after_http, "charter_broker_produced_bytes_total") == http_bytes
    assert log_bytes(client, topic) == stored_kafka + http_bytes
    assert moved(start, after_http, "charter_broker_fetched_records_total") == 0

    c = consumer(served.bootstrap)
    try:
        c.assign([TopicPartition(topic, 0, 0)])
        got = drain(c, 10)
    finally:
        c.close()
    assert [m.value() for m in got] == kafka_values + http_values
    fetched = scrape(served.url)
    assert moved(after_http, fetched, "charter_broker_fetched_records_total") == 10
    assert moved(after_http, fetched, "charter_broker_fetched_bytes_total") == log_bytes(
        client, topic)
    assert moved(after_http, fetched, "charter_broker_produced_records_total") == 0

    # an HTTP fetch from offset 8 serves the HTTP batch's records 8 and 9, the whole batch
    assert [r.value for r in client.fetch(topic, 0, 8).records] == http_values[1:]
    again = scrape(served.url)
    assert moved(fetched, again, "charter_broker_fetched_records_total") == 2
    assert moved(fetched, again, "charter_broker_fetched_bytes_total") == http_bytes
    client.close()


def test_kafka_and_http_fetches_held_waiting_are_gauged(served: Serve) -> None:
    topic = f"kw-{uuid.uuid4().hex[:8]}"
    client = BrokerClient(served.url)
    client.create_topic(topic)
    assert eventually(served, lambda n: n == 0) == 0

    c = consumer(served.bootstrap, **{"fetch.wait.max.ms": 1000})
    stop = threading.Event()
    polled: list[bytes | None] = []

    def poll() -> None:
        while not stop.is_set():
            m = c.poll(0.1)
            if m is not None and m.error() is None:
                polled.append(m.value())

    c.assign([TopicPartition(topic, 0, 0)])
    poller = threading.Thread(target=poll)
    poller.start()
    try:
        assert eventually(served, lambda n: n >= 1) >= 1  # the consumer's fetch waits
    finally:
        stop.set()
        poller.join()
        c.close()
    assert polled == []
    assert eventually(served, lambda n: n == 0) == 0  # and is no longer counted once it ends

    answers: list[list[bytes | None]] = []
    fetcher = threading.Thread(target=lambda: answers.append(
        [r.value for r in BrokerClient(served.url).fetch(topic, 0, 0, wait_ms=20_000).records]))
    fetcher.start()
    try:
        assert eventually(served, lambda n: n >= 1) == 1  # the HTTP long poll waits
        client.produce(topic, [ProducerRecord(b"wake")], partition=0)
    finally:
        fetcher.join(WAIT_S)
    assert answers == [[b"wake"]]
    assert eventually(served, lambda n: n == 0) == 0
    client.close()
