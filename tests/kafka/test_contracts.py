"""Contracts at the broker for Kafka clients: confluent-kafka's serialisers with the registry on
the same `charter serve`; a batch breaking a `validate` topic's contract is a delivery error."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from confluent_kafka import KafkaError, Producer, TopicPartition
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.kafka.conftest import HttpApi, Serve, consumer, drain

pytestmark = pytest.mark.timeout(120)

AVRO = json.dumps(
    {
        "type": "record",
        "name": "Reading",
        "namespace": "charter.test",
        "fields": [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}],
    }
)
JSON_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {"sensor": {"type": "string"}, "value": {"type": "number"}},
        "required": ["sensor", "value"],
        "additionalProperties": False,
    }
)


def _validate_topic(http: HttpApi) -> str:
    name = f"contract-{uuid.uuid4().hex[:8]}"
    http.create_topic(name, partitions=1, contract="validate")
    return name


def _send(producer: Producer, topic: str, value: bytes) -> Any:
    """Produce one record as its own batch; its delivery report (error or None)."""
    reports: list[Any] = []
    producer.produce(topic, value=value, on_delivery=lambda err, msg: reports.append(err))
    assert producer.flush(15) == 0
    return reports[0]


def test_avro_serializer_end_to_end_and_refused_batches_between_good_ones(
    serve: Serve, http: HttpApi
) -> None:
    topic = _validate_topic(http)
    registry = SchemaRegistryClient({"url": serve.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    serialize = AvroSerializer(registry, AVRO)
    producer = Producer({"bootstrap.servers": serve.bootstrap, "linger.ms": 0})
    good_1 = serialize({"sensor": "s-1", "value": 1.5}, ctx)
    assert _send(producer, topic, good_1) is None

    unframed = _send(producer, topic, b'{"sensor": "s-2"}')
    assert unframed is not None and unframed.code() == KafkaError.INVALID_RECORD
    # (librdkafka reports the code; the record-level message is in test_protocol.py)

    unknown_id = _send(producer, topic, b"\x00\x00\x0f\x42\x40" + good_1[5:])
    assert unknown_id is not None and unknown_id.code() == KafkaError.INVALID_RECORD

    broken = _send(producer, topic, good_1[:5] + b"\x06abc")  # a string, then no double
    assert broken is not None and broken.code() == KafkaError.INVALID_RECORD
    assert http.offsets(topic, 0) == (0, 1)

    # one bad record refuses its whole batch: the good ones beside it are not appended
    reports: list[Any] = []
    lingering = Producer({"bootstrap.servers": serve.bootstrap, "linger.ms": 500})
    for value in (serialize({"sensor": "s-3", "value": 3.0}, ctx), b"bad", good_1):
        lingering.produce(topic, value=value, on_delivery=lambda e, m: reports.append(e))
    lingering.flush(15)
    assert len(reports) == 3 and all(e is not None for e in reports)
    assert {e.code() for e in reports} == {KafkaError.INVALID_RECORD}

    good_2 = serialize({"sensor": "s-4", "value": 4.0}, ctx)
    assert _send(producer, topic, good_2) is None
    assert http.offsets(topic, 0) == (0, 2)

    c = consumer(serve.bootstrap)
    c.assign([TopicPartition(topic, 0, 0)])
    got = drain(c, 2)
    c.close()
    deserialize = AvroDeserializer(registry)
    assert [deserialize(m.value(), ctx) for m in got] == [
        {"sensor": "s-1", "value": 1.5},
        {"sensor": "s-4", "value": 4.0},
    ]


def test_json_serializer_end_to_end_on_a_validate_topic(serve: Serve, http: HttpApi) -> None:
    topic = _validate_topic(http)
    registry = SchemaRegistryClient({"url": serve.url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    serialize = JSONSerializer(JSON_SCHEMA, registry)
    producer = Producer({"bootstrap.servers": serve.bootstrap, "linger.ms": 0})
    framed = serialize({"sensor": "j-1", "value": 2}, ctx)
    assert _send(producer, topic, framed) is None
    # framed with the registered id, but breaking the schema: refused by the broker
    wrong = framed[:5] + json.dumps({"sensor": 7}).encode()
    refused = _send(producer, topic, wrong)
    assert refused is not None and refused.code() == KafkaError.INVALID_RECORD
    c = consumer(serve.bootstrap)
    c.assign([TopicPartition(topic, 0, 0)])
    got = drain(c, 1)
    c.close()
    assert JSONDeserializer(JSON_SCHEMA, schema_registry_client=registry)(got[0].value(), ctx) == {
        "sensor": "j-1",
        "value": 2,
    }
    assert http.offsets(topic, 0) == (0, 1)
