"""Charter's SDK with data contracts end to end: the GUID header written as confluent-kafka's
`header_schema_id_serializer` writes it (byte for byte), each side reading the other's; rule
dead letters on publish; READ rules on consume; rules of a pinned schema."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from sdk import Consumer, Deserializer, Producer, Registry, Serializer, wire
from sdk.dlq import dead_letter_topic
from sdk.errors import ConfigurationError
from sdk.rules import RuleError

AVRO = json.dumps({"type": "record", "name": "Tick", "namespace": "charter.test",
                   "fields": [{"name": "n", "type": "long"},
                              {"name": "who", "type": "string", "confluent:tags": ["PII"]}]})
JSON = json.dumps({"type": "object", "properties": {"n": {"type": "integer"},
                                                    "who": {"type": "string"}}})
POSITIVE = {"name": "positive", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
            "expr": "message.n > 0"}


@pytest.fixture(scope="module")
def clients(charter_url: str) -> Iterator[tuple[SchemaRegistryClient, Registry]]:
    sr = SchemaRegistryClient({"url": charter_url})
    registry = Registry(charter_url)
    yield sr, registry
    registry.close()
    sr.close()


def register(url: str, subject: str, schema: str, kind: str = "AVRO",
             rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema}
    if kind != "AVRO":
        body["schemaType"] = kind
    if rules:
        body["ruleSet"] = {"domainRules": rules}
    answer = httpx.post(f"{url}/subjects/{subject}/versions", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    registered: dict[str, Any] = answer.json()
    return registered


@pytest.mark.parametrize("field", [MessageField.VALUE, MessageField.KEY])
def test_avro_header_bytes_are_the_clients(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry], field: str
) -> None:
    sr, registry = clients
    topic = f"hdr-{secrets.token_hex(3)}"
    key = field == MessageField.KEY
    subject = f"{topic}-{'key' if key else 'value'}"
    guid = register(charter_url, subject, AVRO)["guid"]
    theirs_headers: list[tuple[str, bytes]] = []
    theirs = AvroSerializer(sr, AVRO, conf={
        "auto.register.schemas": False, "use.latest.version": True,
        "schema.id.serializer": header_schema_id_serializer,
    })({"n": 7, "who": "ann@example.com"}, SerializationContext(topic, field, theirs_headers))
    ours_headers: list[tuple[str, bytes | None]] = []
    ours = Serializer(registry, topic=topic, key=key, schema_id_location="header").serialize(
        {"n": 7, "who": "ann@example.com"}, ours_headers)
    name = wire.KEY_SCHEMA_ID_HEADER if key else wire.VALUE_SCHEMA_ID_HEADER
    assert ours_headers == theirs_headers == [(name, wire.guid_header(guid))]
    assert ours == theirs and ours[:1] != b"\x00"  # the payload, unframed
    # each side reads the other's record
    read = AvroDeserializer(sr)  # (it refuses header records of 5 payload bytes or fewer)
    value = {"n": 7, "who": "ann@example.com"}
    assert read(ours, SerializationContext(topic, field, ours_headers)) == value
    assert Deserializer(registry).deserialize(theirs, theirs_headers, key=key) == value


def test_json_header_and_pinned_schema(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    sr, registry = clients
    topic = f"hdr-{secrets.token_hex(3)}"
    guid = register(charter_url, f"{topic}-value", JSON, "JSON")["guid"]
    value = {"n": 1, "who": "bea@example.com"}
    ours_headers: list[tuple[str, bytes | None]] = []
    ours = Serializer(registry, topic=topic, schema=JSON, schema_type="JSON",
                      schema_id_location="header").serialize(value, ours_headers)
    theirs_headers: list[tuple[str, bytes]] = []
    theirs = JSONSerializer(JSON, sr, conf={
        "auto.register.schemas": False, "schema.id.serializer": header_schema_id_serializer,
    })(value, SerializationContext(topic, MessageField.VALUE, theirs_headers))
    assert ours_headers == theirs_headers == [(wire.VALUE_SCHEMA_ID_HEADER,
                                               wire.guid_header(guid))]
    assert json.loads(ours) == json.loads(theirs) == value
    read = JSONDeserializer(None, schema_registry_client=sr)
    assert read(ours, SerializationContext(topic, MessageField.VALUE, ours_headers)) == value
    assert Deserializer(registry).deserialize(theirs, theirs_headers) == value


def test_the_header_needs_the_records_headers(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    _, registry = clients
    topic = f"hdr-{secrets.token_hex(3)}"
    register(charter_url, f"{topic}-value", AVRO)
    serializer = Serializer(registry, topic=topic, schema_id_location="header")
    with pytest.raises(ConfigurationError, match="headers="):
        serializer.serialize({"n": 1, "who": "x"})
    with pytest.raises(ConfigurationError, match="schema_id_location"):
        Serializer(registry, topic=topic, schema_id_location="payload")  # type: ignore[arg-type]


def test_producer_and_consumer_with_header_ids_rules_and_dead_letters(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    """Publish through the built-in broker: a good value goes with the GUID header; a value
    failing a DLQ rule is refused and lands, as JSON with `__rule.*` headers, in
    `<topic>.dlq`; the consumer reads the header record and applies the READ rule."""
    _, registry = clients
    topic = f"sdk-{secrets.token_hex(3)}"
    dlq_rule = {"name": "small", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                "expr": "message.n < 100", "onFailure": "DLQ"}
    mask = {"name": "mask", "kind": "TRANSFORM", "mode": "READ", "type": "CEL_FIELD",
            "tags": ["PII"], "expr": "'***'"}
    register(charter_url, f"{topic}-value", AVRO, rules=[POSITIVE, dlq_rule, mask])
    broker = f"memory://rules-{secrets.token_hex(3)}"
    header = Serializer(registry, topic=topic, schema_id_location="header")
    with Producer(broker, registry=registry, serializers={topic: header}, linger_ms=0) as producer:
        header.dead_letters = producer.dead_letters_of(topic)
        producer.publish(topic, {"n": 5, "who": "ann"})
        with pytest.raises(RuleError) as refused:
            producer.publish(topic, {"n": 500, "who": "bob"})
        assert (refused.value.rule, refused.value.action) == ("small", "DLQ")
        with pytest.raises(RuleError) as refused:
            producer.publish(topic, {"n": 0, "who": "cy"})
        assert (refused.value.rule, refused.value.action) == ("positive", "ERROR")
        producer.flush()
    with Consumer(broker, registry=registry, group=None, topics=[topic]) as consumer:
        got = consumer.poll(5.0)
    assert [(m.value, m.error) for m in got] == [({"n": 5, "who": "***"}, None)]
    assert [name for name, _ in got[0].headers] == [wire.VALUE_SCHEMA_ID_HEADER]
    with Consumer(broker, registry=registry, group=None,
                  topics=[dead_letter_topic(topic)]) as consumer:
        dead = consumer.poll(5.0)
    assert len(dead) == 1
    raw = dead[0].raw  # JSON, not framed: the consumer hands the bytes over undecoded
    assert raw is not None and json.loads(raw) == {"n": 500, "who": "bob"}
    headers = dict(dead[0].headers)
    assert headers["__rule.name"] == b"small" and headers["__rule.mode"] == b"WRITE"
    assert headers["__rule.topic"] == topic.encode()


def test_a_pinned_schema_runs_its_versions_rules(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    """Charter's Serializer enforces the rules of the version it writes with, pinned or
    latest, looked up or registered (confluent-kafka's only with `use.latest.version`)."""
    _, registry = clients
    topic = f"pin-{secrets.token_hex(3)}"
    register(charter_url, f"{topic}-value", AVRO, rules=[POSITIVE])
    pinned = Serializer(registry, topic=topic, schema=AVRO)
    assert pinned.serialize({"n": 1, "who": "a"})[:1] == b"\x00"
    with pytest.raises(RuleError, match="positive"):
        pinned.serialize({"n": -1, "who": "a"})
    # and the consumer side: a READ (here WRITEREAD) rule refuses what slipped past
    bad = wire.frame(pinned.schema_id, b"\x01\x02a")  # n = -1, who = "a", in Avro binary
    with pytest.raises(RuleError, match="positive"):
        Deserializer(registry).deserialize(bad)


def test_write_transforms_leave_the_callers_value_and_replays_skip_their_rule(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    _, registry = clients
    topic = f"mask-{secrets.token_hex(3)}"
    mask = {"name": "mask", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
            "tags": ["PII"], "expr": "'***'"}
    register(charter_url, f"{topic}-value", AVRO, rules=[POSITIVE, mask])
    serializer = Serializer(registry, topic=topic)
    value = {"n": 3, "who": "ann@example.com"}
    written = serializer.serialize(value)
    assert value == {"n": 3, "who": "ann@example.com"}
    assert Deserializer(registry).deserialize(written) == {"n": 3, "who": "***"}
    # a record re-sent from a dead-letter topic names the rule that refused it, which it skips
    replay: list[tuple[str, bytes | None]] = [("__rule.name", b"positive")]
    assert serializer.serialize({"n": -3, "who": "x"}, replay)
    with pytest.raises(RuleError):
        serializer.serialize({"n": -3, "who": "x"}, [("__rule.name", b"other")])


def test_field_rules_follow_json_references_as_confluent_does(
    charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    from confluent_kafka.schema_registry.rule_registry import RuleRegistry
    from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
    from confluent_kafka.serialization import SerializationError

    sr, registry = clients
    topic = f"ref-{secrets.token_hex(3)}"
    address = json.dumps({"type": "object", "properties": {"city": {"type": "string"}}})
    register(charter_url, f"{topic}-address", address, "JSON")
    body = {"schemaType": "JSON",
            "schema": json.dumps({"type": "object",
                                  "properties": {"ship": {"$ref": "address.json"}}}),
            "references": [{"name": "address.json", "subject": f"{topic}-address",
                            "version": 1}],
            "ruleSet": {"domainRules": [
                {"name": "oslo", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
                 "expr": "fullName == '$.ship.city' ; value == 'Oslo'"}]}}
    answer = httpx.post(f"{charter_url}/subjects/{topic}-value/versions", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    rules = RuleRegistry()
    rules.register_executor(CelFieldExecutor())
    theirs = JSONSerializer(None, sr, conf={"auto.register.schemas": False,
                                           "use.latest.version": True}, rule_registry=rules)
    ours = Serializer(registry, topic=topic)
    ctx = SerializationContext(topic, MessageField.VALUE, [])
    assert theirs({"ship": {"city": "Oslo"}}, ctx) and ours.serialize({"ship": {"city": "Oslo"}})
    with pytest.raises(SerializationError):
        theirs({"ship": {"city": "Rome"}}, ctx)
    with pytest.raises(RuleError, match="/ship/city"):
        ours.serialize({"ship": {"city": "Rome"}})
