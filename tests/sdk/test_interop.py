"""Bytes from Charter's serialisers decode with confluent-kafka's, and the other way round."""

from __future__ import annotations

import json
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from sdk import Deserializer, Registry, Serializer, ValidationError, schema_id_of
from tests.sdk.conftest import order_avro_event, order_json_event


@pytest.fixture
def confluent(registry_url: str) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry_url})


def ctx(topic: str) -> SerializationContext:
    return SerializationContext(topic, MessageField.VALUE)


def test_charter_avro_is_read_by_confluent(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_avro_schema: Any
) -> None:
    data = Serializer(registry, topic=topic, schema=order_avro_schema, auto_register=True)(
        order_avro_event()
    )
    decoded = AvroDeserializer(confluent)(data, ctx(topic))
    assert decoded == order_avro_event()


def test_confluent_avro_is_read_by_charter(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_avro_schema: Any
) -> None:
    serializer = AvroSerializer(confluent, json.dumps(order_avro_schema))
    data = serializer(order_avro_event(), ctx(topic))
    assert data is not None
    assert registry.latest(f"{topic}-value").schema_id == schema_id_of(data)
    assert Deserializer(registry).deserialize(data) == order_avro_event()


def test_confluent_avro_old_version_read_with_a_newer_reader(
    registry: Registry, confluent: SchemaRegistryClient, topic: str
) -> None:
    v1 = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "string"}]}
    v2 = {
        "type": "record",
        "name": "User",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "tier", "type": "string", "default": "basic"},
        ],
    }
    data = AvroSerializer(confluent, json.dumps(v1))({"id": "u1"}, ctx(topic))
    assert data is not None
    assert Deserializer(registry, reader_schema=v2).deserialize(data) == {
        "id": "u1",
        "tier": "basic",
    }


def test_charter_json_is_read_by_confluent(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_json_schema: Any
) -> None:
    data = Serializer(registry, topic=topic, schema=order_json_schema, auto_register=True)(
        order_json_event()
    )
    decoded = JSONDeserializer(None, schema_registry_client=confluent)(data, ctx(topic))
    assert decoded == order_json_event()


def test_confluent_json_is_read_by_charter(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_json_schema: Any
) -> None:
    serializer = JSONSerializer(json.dumps(order_json_schema), confluent)
    data = serializer(order_json_event(), ctx(topic))
    assert data is not None
    assert Deserializer(registry).deserialize(data) == order_json_event()


def test_charter_is_stricter_than_confluent_on_json_formats(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_json_schema: Any
) -> None:
    """confluent-kafka does not assert `format`; Charter refuses the impossible date on read."""
    event = order_json_event(placedAt="2026-02-30T00:00:00Z")
    data = JSONSerializer(json.dumps(order_json_schema), confluent)(event, ctx(topic))
    assert data is not None
    with pytest.raises(ValidationError) as info:
        Deserializer(registry).deserialize(data)
    assert [v.path for v in info.value.violations] == ["/data/placedAt"]


def test_both_clients_agree_on_ids(
    registry: Registry, confluent: SchemaRegistryClient, topic: str, order_avro_schema: Any
) -> None:
    ours = Serializer(registry, topic=topic, schema=order_avro_schema, auto_register=True)
    theirs = AvroSerializer(confluent, json.dumps(order_avro_schema))
    a = ours(order_avro_event())
    b = theirs(order_avro_event(), ctx(topic))
    assert b is not None
    assert a == b
