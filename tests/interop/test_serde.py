"""confluent-kafka's Avro and JSON serialisers, auto-registering against a real `charter serve`."""

from __future__ import annotations

import asyncio
import json
import struct

import pytest
from confluent_kafka.schema_registry import (
    AsyncSchemaRegistryClient,
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)
from confluent_kafka.schema_registry.avro import (
    AsyncAvroDeserializer,
    AsyncAvroSerializer,
    AvroDeserializer,
    AvroSerializer,
)
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

PAYMENT_V1 = json.dumps({
    "type": "record",
    "name": "Payment",
    "namespace": "com.acme.payments",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
    ],
})
PAYMENT_V2 = json.dumps({
    "type": "record",
    "name": "Payment",
    "namespace": "com.acme.payments",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "method", "type": ["null", "string"], "default": None},
    ],
})
PAYMENT_BREAKING = json.dumps({
    "type": "record",
    "name": "Payment",
    "namespace": "com.acme.payments",
    "fields": [{"name": "id", "type": "long"}],
})
USER_JSON = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "User",
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "age": {"type": "integer", "minimum": 0},
        "emails": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["name"],
})


def header_id(message: bytes) -> int:
    magic, schema_id = struct.unpack(">bI", message[:5])
    assert magic == 0
    return int(schema_id)


def fresh(client: SchemaRegistryClient) -> SchemaRegistryClient:
    """A second client with empty caches, as a consumer in another process would have."""
    return SchemaRegistryClient(client.config())


def test_avro_round_trip_with_auto_registration(client: SchemaRegistryClient,
                                                subject: str) -> None:
    topic = subject
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = AvroSerializer(client, PAYMENT_V1)
    payment = {"id": "p-1", "amount": 12.5, "tags": ["card", "eu"]}

    message = serializer(payment, ctx)
    assert message is not None

    registered = client.get_latest_version(f"{topic}-value")
    assert registered.version == 1
    assert header_id(message) == registered.schema_id

    consumer_client = fresh(client)
    assert AvroDeserializer(consumer_client)(message, ctx) == payment
    consumer_client.close()


def test_avro_key_and_value_use_their_own_subjects(client: SchemaRegistryClient,
                                                   subject: str) -> None:
    key_ctx = SerializationContext(subject, MessageField.KEY)
    value_ctx = SerializationContext(subject, MessageField.VALUE)
    key = AvroSerializer(client, '"string"')("order-7", key_ctx)
    value = AvroSerializer(client, PAYMENT_V1)({"id": "p", "amount": 1.0, "tags": []}, value_ctx)
    assert key is not None and value is not None

    assert {f"{subject}-key", f"{subject}-value"} <= set(client.get_subjects())
    consumer_client = fresh(client)
    assert AvroDeserializer(consumer_client)(key, key_ctx) == "order-7"
    consumer_client.close()


def test_avro_evolution_reads_old_data_with_the_new_schema(client: SchemaRegistryClient,
                                                           subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    old_message = AvroSerializer(client, PAYMENT_V1)({"id": "a", "amount": 2.0, "tags": []}, ctx)
    new_message = AvroSerializer(client, PAYMENT_V2)(
        {"id": "b", "amount": 3.0, "tags": ["x"], "method": "sepa"}, ctx
    )
    assert old_message is not None and new_message is not None
    assert client.get_versions(f"{subject}-value") == [1, 2]
    assert header_id(old_message) != header_id(new_message)

    consumer_client = fresh(client)
    reader = AvroDeserializer(consumer_client, PAYMENT_V2)
    assert reader(old_message, ctx) == {"id": "a", "amount": 2.0, "tags": [], "method": None}
    assert reader(new_message, ctx) == {"id": "b", "amount": 3.0, "tags": ["x"], "method": "sepa"}
    consumer_client.close()


def test_avro_serializer_with_an_incompatible_schema_gets_409(client: SchemaRegistryClient,
                                                              subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    AvroSerializer(client, PAYMENT_V1)({"id": "a", "amount": 2.0, "tags": []}, ctx)

    with pytest.raises(SchemaRegistryError) as excinfo:
        AvroSerializer(client, PAYMENT_BREAKING)({"id": 5}, ctx)
    assert excinfo.value.http_status_code == 409
    assert client.get_versions(f"{subject}-value") == [1]


def test_json_round_trip_with_auto_registration(client: SchemaRegistryClient,
                                                subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    user = {"name": "Ada", "age": 36, "emails": ["ada@example.org"]}

    message = JSONSerializer(USER_JSON, client)(user, ctx)
    assert message is not None

    registered = client.get_latest_version(f"{subject}-value")
    assert registered.schema.schema_type == "JSON"
    assert json.loads(registered.schema.schema_str) == json.loads(USER_JSON)
    assert header_id(message) == registered.schema_id
    assert json.loads(message[5:]) == user

    consumer_client = fresh(client)
    assert JSONDeserializer(None, schema_registry_client=consumer_client)(message, ctx) == user
    consumer_client.close()


def test_json_same_schema_twice_is_one_version(client: SchemaRegistryClient,
                                               subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    first = JSONSerializer(USER_JSON, client)({"name": "a"}, ctx)
    other_client = fresh(client)
    second = JSONSerializer(USER_JSON, other_client)({"name": "b"}, ctx)
    other_client.close()
    assert first is not None and second is not None
    assert header_id(first) == header_id(second)
    assert client.get_versions(f"{subject}-value") == [1]


def test_json_round_trip_with_a_reference_to_another_subject(client: SchemaRegistryClient,
                                                             subject: str) -> None:
    address = json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        "required": ["street", "city"],
    })
    customer = json.dumps({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "Customer",
        "type": "object",
        "properties": {"name": {"type": "string"}, "address": {"$ref": "address.schema.json"}},
        "required": ["name", "address"],
    })
    address_subject = f"{subject}-address"
    client.register_schema(address_subject, Schema(address, "JSON"))
    reference = SchemaReference("address.schema.json", address_subject, 1)
    ctx = SerializationContext(subject, MessageField.VALUE)
    value = {"name": "Ada", "address": {"street": "1 Analytical Way", "city": "London"}}

    message = JSONSerializer(Schema(customer, "JSON", [reference]), client)(value, ctx)
    assert message is not None

    registered = client.get_latest_version(f"{subject}-value")
    assert [(r.name, r.subject, r.version) for r in registered.schema.references] == [
        ("address.schema.json", address_subject, 1)
    ]
    consumer_client = fresh(client)
    assert JSONDeserializer(None, schema_registry_client=consumer_client)(message, ctx) == value
    consumer_client.close()


def test_avro_serializer_using_the_latest_version(client: SchemaRegistryClient,
                                                  subject: str) -> None:
    client.register_schema(f"{subject}-value", Schema(PAYMENT_V1, "AVRO"))
    latest_id = client.register_schema(f"{subject}-value", Schema(PAYMENT_V2, "AVRO"))
    ctx = SerializationContext(subject, MessageField.VALUE)
    serializer = AvroSerializer(client, PAYMENT_V1,
                                conf={"auto.register.schemas": False, "use.latest.version": True})
    message = serializer({"id": "z", "amount": 9.0, "tags": [], "method": None}, ctx)
    assert message is not None
    assert header_id(message) == latest_id
    assert client.get_versions(f"{subject}-value") == [1, 2]


def test_avro_serializer_without_auto_registration_needs_the_schema_registered(
    client: SchemaRegistryClient, subject: str
) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    serializer = AvroSerializer(client, PAYMENT_V1, conf={"auto.register.schemas": False})
    with pytest.raises(SchemaRegistryError) as excinfo:
        serializer({"id": "a", "amount": 1.0, "tags": []}, ctx)
    assert (excinfo.value.http_status_code, excinfo.value.error_code) == (404, 40401)

    schema_id = client.register_schema(f"{subject}-value", Schema(PAYMENT_V1, "AVRO"))
    message = AvroSerializer(client, PAYMENT_V1, conf={"auto.register.schemas": False})(
        {"id": "a", "amount": 1.0, "tags": []}, ctx
    )
    assert message is not None and header_id(message) == schema_id


def test_json_serializer_with_an_incompatible_schema_gets_409(client: SchemaRegistryClient,
                                                              subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    JSONSerializer(USER_JSON, client)({"name": "Ada"}, ctx)
    retyped = json.loads(USER_JSON)
    retyped["properties"]["name"] = {"type": "integer"}

    with pytest.raises(SchemaRegistryError) as excinfo:
        JSONSerializer(json.dumps(retyped), client)({"name": 7}, ctx)
    assert (excinfo.value.http_status_code, excinfo.value.error_code) == (409, 409)
    assert client.get_versions(f"{subject}-value") == [1]


def test_async_client_and_serialisers_round_trip(registry_url: str, subject: str) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    payment = {"id": "async-1", "amount": 4.25, "tags": ["a"]}

    async def scenario() -> tuple[bytes, object, int]:
        async with (
            AsyncSchemaRegistryClient({"url": registry_url}) as producer_client,
            AsyncSchemaRegistryClient({"url": registry_url}) as consumer_client,
        ):
            serializer = await AsyncAvroSerializer(producer_client, PAYMENT_V1)
            message = await serializer(payment, ctx)
            deserializer = await AsyncAvroDeserializer(consumer_client)
            latest = await producer_client.get_latest_version(f"{subject}-value")
            return message, await deserializer(message, ctx), latest.schema_id

    message, decoded, schema_id = asyncio.run(scenario())
    assert header_id(message) == schema_id
    assert decoded == payment
