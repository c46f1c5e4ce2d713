"""One log, every client: what a Kafka client writes, the SDK and the HTTP API read, and the
other way round, on the same `charter serve`."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from confluent_kafka import Producer as KafkaProducer
from confluent_kafka import TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from broker import ProducerRecord
from sdk import Consumer, Event, Producer, Registry, Serializer
from tests.flow.conftest import load_schema
from tests.flow.test_transports import drain as sdk_drain
from tests.kafka.conftest import HttpApi, Serve, consumer, drain

pytestmark = pytest.mark.timeout(120)


def _order(n: int) -> dict[str, Any]:
    return {
        "orderId": f"ord-{n}",
        "customerId": "cus-1",
        "items": [{"sku": "MUG", "quantity": 2, "unitPrice": Decimal("9.50")}],
        "total": Decimal("19.00"),
        "currency": "EUR",
        "placedAt": datetime(2026, 11, 26, 20, 15, 3, tzinfo=UTC),
    }


def test_kafka_clients_and_the_sdk_read_each_others_events(serve: Serve, http: HttpApi) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    http.create_topic(topic, partitions=1, contract="validate")
    schema = json.dumps(load_schema("examples/order.placed.avsc"))
    broker_url = "charter://" + serve.url.split("://", 1)[1]
    with Registry(serve.url) as registry:
        ours = Serializer(registry, topic=topic, schema=schema, auto_register=True)
        with Producer(broker_url, registry=registry, serializers={topic: ours}) as producer:
            producer.publish(topic, Event("order.placed", "/services/orders", _order(1)))

        confluent = SchemaRegistryClient({"url": serve.url})
        ctx = SerializationContext(topic, MessageField.VALUE)
        value = Event("order.placed", "/services/orders", _order(2)).to_dict()
        theirs = KafkaProducer({"bootstrap.servers": serve.bootstrap})
        theirs.produce(topic, value=AvroSerializer(confluent, schema)(value, ctx), key=b"cus-1")
        assert theirs.flush(10) == 0

        reader = consumer(serve.bootstrap)
        reader.assign([TopicPartition(topic, 0, 0)])
        decode = AvroDeserializer(confluent)
        read = [decode(m.value(), ctx) for m in drain(reader, 2)]
        reader.close()
        assert [r["data"]["orderId"] for r in read] == ["ord-1", "ord-2"]
        assert read[1]["data"]["total"] == Decimal("19.00")

        with Consumer(broker_url, registry=registry, group=None, topics=[topic]) as sdk:
            got = sdk_drain(sdk, 2)
        assert [m.value["data"]["orderId"] for m in got] == ["ord-1", "ord-2"]
        assert {m.schema_id for m in got} == {ours.schema_id}
        assert got[1].key == b"cus-1"


def test_records_keep_keys_headers_and_timestamps_across_http_and_kafka(
    serve: Serve, http: HttpApi
) -> None:
    topic = f"raw-{uuid.uuid4().hex[:8]}"
    http.create_topic(topic, partitions=2)
    stamp = 1_790_000_000_123
    http.produce(
        topic,
        [ProducerRecord(b"from-http", b"k1", (("h", b"1"), ("n", None)), stamp)],
        partition=1,
    )
    kafka = KafkaProducer({"bootstrap.servers": serve.bootstrap})
    kafka.produce(
        topic,
        value=b"from-kafka",
        key=b"k2",
        partition=1,
        timestamp=stamp + 1,
        headers=[("h", b"2")],
    )
    kafka.produce(topic, value=None, key=b"tombstone", partition=1, timestamp=stamp + 2)
    assert kafka.flush(10) == 0

    reader = consumer(serve.bootstrap)
    reader.assign([TopicPartition(topic, 1, 0)])
    got = drain(reader, 3)
    reader.close()
    assert [(m.value(), m.key(), m.timestamp()[1]) for m in got] == [
        (b"from-http", b"k1", stamp),
        (b"from-kafka", b"k2", stamp + 1),
        (None, b"tombstone", stamp + 2),
    ]
    assert got[0].headers() == [("h", b"1"), ("n", None)]

    fetched = http.fetch(topic, 1, 0).records
    assert [(r.value, r.key, r.timestamp_ms, r.headers) for r in fetched] == [
        (b"from-http", b"k1", stamp, (("h", b"1"), ("n", None))),
        (b"from-kafka", b"k2", stamp + 1, (("h", b"2"),)),
        (None, b"tombstone", stamp + 2, ()),
    ]
