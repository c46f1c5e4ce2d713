"""On Kafka, events published with the SDK are read by confluent-kafka's own consumer and
deserialiser, and the other way round: a team can mix clients on one topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition
from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from sdk import Consumer, Event, Producer, Registry, Serializer
from sdk.transports.kafka import bootstrap_servers
from tests.flow.conftest import load_schema
from tests.flow.test_transports import drain

pytestmark = pytest.mark.timeout(120)


def _body(n: int) -> dict[str, Any]:
    return {
        "orderId": f"ord-{n}",
        "customerId": "cus-1",
        "items": [{"sku": "MUG", "quantity": 2, "unitPrice": Decimal("9.50")}],
        "total": Decimal("19.00"),
        "currency": "EUR",
        "placedAt": datetime(2026, 11, 26, 20, 15, 3, tzinfo=UTC),
    }


def test_sdk_and_confluent_kafka_read_each_other_on_kafka(
    kafka_url: str, registry: Registry, registry_url: str, topic: str
) -> None:
    schema = json.dumps(load_schema("examples/order.placed.avsc"))
    ours = Serializer(registry, topic=topic, schema=schema, auto_register=True)
    with Producer(kafka_url, registry=registry, serializers={topic: ours}) as producer:
        producer.publish(topic, Event("order.placed", "/services/orders", _body(1)), key="cus-1")

    confluent = SchemaRegistryClient({"url": registry_url})
    servers = bootstrap_servers(kafka_url)
    theirs = KafkaProducer({"bootstrap.servers": servers, "partitioner": "murmur2_random"})
    value = Event("order.placed", "/services/orders", _body(2)).to_dict()
    ctx = SerializationContext(topic, MessageField.VALUE)
    theirs.produce(topic, value=AvroSerializer(confluent, schema)(value, ctx), key=b"cus-1")
    assert theirs.flush(10) == 0

    reader = KafkaConsumer(
        {"bootstrap.servers": servers, "group.id": "interop", "enable.auto.commit": False}
    )
    reader.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    decode = AvroDeserializer(confluent)
    read: list[Any] = []
    for _ in range(40):
        m = reader.poll(0.5)
        if m is not None and m.error() is None:
            read.append(decode(m.value(), ctx))
        if len(read) == 2:
            break
    reader.close()
    assert [r["data"]["orderId"] for r in read] == ["ord-1", "ord-2"]
    assert read[0]["data"]["total"] == Decimal("19.00")

    with Consumer(kafka_url, registry=registry, group=None, topics=[topic]) as consumer:
        got = drain(consumer, 2)
    assert [m.value["data"]["orderId"] for m in got] == ["ord-1", "ord-2"]
    assert {m.schema_id for m in got} == {ours.schema_id}


def test_a_consumers_settings_reach_no_admin_client(kafka_url: str, topic: str) -> None:
    """A consumer given consumer-only librdkafka settings (`fetch.wait.max.ms`) makes its
    topics through an admin client: librdkafka warns of every setting a handle ignores
    (`CONFWARN` on stderr), and none reaches the admin client now."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from sdk.transports.kafka import KafkaConsumer\n"
        "c = KafkaConsumer(sys.argv[1], 'confwarn', [sys.argv[2]], 'earliest',\n"
        "                  config={'fetch.wait.max.ms': 10, 'fetch.min.bytes': 1})\n"
        "c.poll(0.5, 10)\n"
        "c.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, kafka_url, f"{topic}-made-by-consumer"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "CONFWARN" not in done.stderr, done.stderr


def test_a_producer_starts_before_its_kafka_does() -> None:
    """The producer lists the topics as it starts, but a Kafka that does not answer yet
    fails no construction: the first send finds out, as it did before that listing."""
    from cli.spawn import free_port
    from sdk.transports.kafka import KafkaProducer

    producer = KafkaProducer(f"kafka://127.0.0.1:{free_port()}")  # nothing listens there
    try:
        assert producer._known == set()
    finally:
        producer.close()
