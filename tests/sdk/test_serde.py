"""Serializer and Deserializer against a real `charter serve`."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from typing import Any

import pytest

from sdk import (
    ConfigurationError,
    DecodeError,
    Deserializer,
    Event,
    Registry,
    SchemaNotFoundError,
    SchemaReference,
    SchemaResolutionError,
    Serializer,
    ValidationError,
    Violation,
    WireFormatError,
    frame,
    schema_id_of,
)
from tests.sdk.conftest import order_avro_event, order_json_event
from tests.sdk.server import free_port

USER_V1 = {
    "type": "record",
    "name": "User",
    "namespace": "acme",
    "fields": [{"name": "id", "type": "string"}],
}
USER_V2 = {
    "type": "record",
    "name": "User",
    "namespace": "acme",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "tier", "type": "string", "default": "basic"},
    ],
}


def test_avro_round_trip(registry: Registry, topic: str, order_avro_schema: Any) -> None:
    serializer = Serializer(registry, topic=topic, schema=order_avro_schema, auto_register=True)
    data = serializer.serialize(order_avro_event())
    assert serializer.subject == f"{topic}-value"
    assert schema_id_of(data) == serializer.schema_id
    assert registry.latest(f"{topic}-value").schema_id == serializer.schema_id
    assert Deserializer(registry).deserialize(data) == order_avro_event()


def test_json_round_trip(registry: Registry, topic: str, order_json_schema: Any) -> None:
    serializer = Serializer(registry, topic=topic, schema=order_json_schema, auto_register=True)
    data = serializer(order_json_event())
    assert json.loads(data[5:]) == order_json_event()
    assert Deserializer(registry)(data) == order_json_event()


def test_event_objects_serialize_as_their_envelope(
    registry: Registry, topic: str, order_json_schema: Any
) -> None:
    event = Event("order.placed", "/services/orders", order_json_event()["data"])
    serializer = Serializer(registry, topic=topic, schema=order_json_schema, auto_register=True)
    value = Deserializer(registry).deserialize(serializer.serialize(event))
    assert Event.from_dict(value) == event


def test_invalid_value_is_refused_before_the_registry_hears_of_it(
    registry: Registry, topic: str, order_avro_schema: Any
) -> None:
    serializer = Serializer(registry, topic=topic, schema=order_avro_schema, auto_register=True)
    event = order_avro_event(total=Decimal("1.234"))
    event["data"]["items"][0]["quantity"] = 2.0
    with pytest.raises(ValidationError) as info:
        serializer.serialize(event)
    assert [v.path for v in info.value.violations] == ["/data/items/0/quantity", "/data/total"]
    assert info.value.subject == f"{topic}-value"
    assert f"{topic}-value" not in registry.subjects()


def test_invalid_value_with_unreachable_registry_is_still_a_validation_error(
    order_json_schema: Any,
) -> None:
    with Registry(f"http://127.0.0.1:{free_port()}", retries=0) as offline:
        serializer = Serializer(offline, topic="t", schema=order_json_schema, auto_register=True)
        with pytest.raises(ValidationError):
            serializer.serialize(order_json_event(placedAt="2026-02-30T00:00:00Z"))


def test_latest_version_is_used_without_a_schema(registry: Registry, topic: str) -> None:
    schema_id = registry.register(f"{topic}-value", json.dumps(USER_V1))
    serializer = Serializer(registry, topic=topic)
    data = serializer.serialize({"id": "u1"})
    assert schema_id_of(data) == schema_id
    with pytest.raises(ValidationError) as info:
        serializer.serialize({"id": "u1", "tier": "gold"})
    assert info.value.violations[0].path == "/tier"
    assert info.value.schema_id == schema_id


def test_latest_version_is_reread_after_the_ttl(registry_url: str, topic: str) -> None:
    with Registry(registry_url, latest_ttl_s=0) as client:
        client.register(f"{topic}-value", json.dumps(USER_V1))
        serializer = Serializer(client, topic=topic)
        old = serializer.serialize({"id": "u1"})
        new_id = client.register(f"{topic}-value", json.dumps(USER_V2))
        new = serializer.serialize({"id": "u1", "tier": "gold"})
        assert schema_id_of(new) == new_id != schema_id_of(old)


def test_unregistered_schema_without_auto_register(registry: Registry, topic: str) -> None:
    serializer = Serializer(registry, topic=topic, schema=USER_V1)
    with pytest.raises(SchemaNotFoundError):
        serializer.serialize({"id": "u1"})
    registry.register(f"{topic}-value", json.dumps(USER_V1))
    assert Deserializer(registry).deserialize(serializer.serialize({"id": "u1"})) == {"id": "u1"}


@pytest.mark.parametrize(
    ("strategy", "key", "expected"),
    [
        ("topic", False, "{t}-value"),
        ("topic", True, "{t}-key"),
        ("record", False, "acme.User"),
        ("topic_record", False, "{t}-acme.User"),
    ],
)
def test_subject_name_strategies(
    registry: Registry, topic: str, strategy: Any, key: bool, expected: str
) -> None:
    serializer = Serializer(
        registry, topic=topic, key=key, strategy=strategy, schema=USER_V1, auto_register=True
    )
    assert serializer.subject == expected.format(t=topic)
    serializer.serialize({"id": "x"})
    assert expected.format(t=topic) in registry.subjects()


def test_record_strategy_needs_a_schema(registry: Registry) -> None:
    with pytest.raises(ConfigurationError):
        Serializer(registry, topic="t", strategy="record")
    with pytest.raises(ConfigurationError):
        Serializer(registry)


def test_reader_schema_reads_old_events_with_defaults(registry: Registry, topic: str) -> None:
    registry.set_compatibility("BACKWARD", f"{topic}-value")
    old = Serializer(registry, topic=topic, schema=USER_V1, auto_register=True).serialize(
        {"id": "u1"}
    )
    new = Serializer(registry, topic=topic, schema=USER_V2, auto_register=True).serialize(
        {"id": "u2", "tier": "gold"}
    )
    reader = Deserializer(registry, reader_schema=USER_V2)
    assert reader.deserialize(old) == {"id": "u1", "tier": "basic"}
    assert reader.deserialize(new) == {"id": "u2", "tier": "gold"}
    assert Deserializer(registry, reader_schema=USER_V1).deserialize(new) == {"id": "u2"}


def test_reader_that_cannot_read_the_writer(registry: Registry, topic: str) -> None:
    data = Serializer(registry, topic=topic, schema=USER_V1, auto_register=True).serialize(
        {"id": "u1"}
    )
    needs_email = {
        "type": "record",
        "name": "User",
        "namespace": "acme",
        "fields": [{"name": "id", "type": "string"}, {"name": "email", "type": "string"}],
    }
    with pytest.raises(SchemaResolutionError) as info:
        Deserializer(registry, reader_schema=needs_email).deserialize(data)
    assert "email" in str(info.value)


def test_bad_bytes(registry: Registry, topic: str) -> None:
    deserializer = Deserializer(registry)
    with pytest.raises(WireFormatError):
        deserializer.deserialize(b"\x00\x00")
    with pytest.raises(WireFormatError):
        deserializer.deserialize(b'{"id": "u1"}')
    with pytest.raises(SchemaNotFoundError) as info:
        deserializer.deserialize(frame(2**31, b"\x02a"))
    assert info.value.error_code == 40403
    schema_id = registry.register(f"{topic}-value", json.dumps(USER_V1))
    with pytest.raises(DecodeError):
        deserializer.deserialize(frame(schema_id, b"\x80"))  # a varint that never ends
    json_id = registry.register(f"{topic}-j", json.dumps({"type": "object"}), "JSON")
    with pytest.raises(DecodeError):
        deserializer.deserialize(frame(json_id, b"{not json"))


def test_json_deserializer_validates(
    registry: Registry, topic: str, order_json_schema: Any
) -> None:
    schema_id = registry.register(f"{topic}-value", json.dumps(order_json_schema), "JSON")
    bad = order_json_event(currency="eur")
    data = frame(schema_id, json.dumps(bad).encode())
    with pytest.raises(ValidationError) as info:
        Deserializer(registry).deserialize(data)
    assert info.value.violations[0] == Violation("/data/currency", info.value.violations[0].message)
    assert Deserializer(registry, validate=False).deserialize(data) == bad


def test_shared_serializers_across_threads(
    registry: Registry, topic: str, order_avro_schema: Any
) -> None:
    serializer = Serializer(registry, topic=topic, schema=order_avro_schema, auto_register=True)
    deserializer = Deserializer(registry)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(50):
                event = order_avro_event(orderId=f"o-{n}-{i}")
                assert deserializer.deserialize(serializer.serialize(event)) == event
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_schema_references_avro_and_json(registry: Registry, topic: str) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": f"acme.{topic}",
        "fields": [{"name": "city", "type": "string"}],
    }
    registry.register(f"{topic}-address", json.dumps(address))
    ref = SchemaReference(f"acme.{topic}.Address", f"{topic}-address", 1)
    user = {
        "type": "record",
        "name": "User",
        "namespace": f"acme.{topic}",
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "home", "type": f"acme.{topic}.Address"},
        ],
    }
    serializer = Serializer(
        registry, topic=topic, schema=user, references=[ref], auto_register=True
    )
    value = {"id": "u1", "home": {"city": "Lyon"}}
    assert Deserializer(registry).deserialize(serializer.serialize(value)) == value
    with pytest.raises(ValidationError) as info:
        serializer.serialize({"id": "u1", "home": {"city": 5}})
    assert [v.path for v in info.value.violations] == ["/home/city"]

    registry.register(
        f"{topic}-jaddress",
        json.dumps(
            {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        ),
        "JSON",
    )
    jref = SchemaReference("address.json", f"{topic}-jaddress", 1)
    juser = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "home": {"$ref": "address.json"}},
    }
    jserializer = Serializer(
        registry,
        topic=f"{topic}j",
        schema=juser,
        schema_type="JSON",
        references=[jref],
        auto_register=True,
    )
    assert Deserializer(registry).deserialize(jserializer.serialize(value)) == value
    with pytest.raises(ValidationError) as info:
        jserializer.serialize({"id": "u1", "home": {}})
    assert [v.path for v in info.value.violations] == ["/home"]
