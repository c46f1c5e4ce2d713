"""The real confluent-kafka client's data-contract calls against Charter (SQLite and
PostgreSQL) and against the client's own `mock://` registry: the same answers, ids aside."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import (
    Metadata,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

ORDER = json.dumps({
    "type": "record", "name": "Order",
    "fields": [{"name": "id", "type": "long"}, {"name": "amount_cents", "type": "long"}],
})
RULES = {"domainRules": [{"name": "positive", "kind": "CONDITION", "mode": "WRITE",
                          "type": "CEL", "expr": "message.amount_cents > 0",
                          "onFailure": "ERROR"}]}


def _contract(metadata: dict[str, Any] | None, rules: dict[str, Any] | None) -> Schema:
    return Schema(
        ORDER, "AVRO",
        metadata=Metadata.from_dict(metadata) if metadata is not None else None,
        rule_set=RuleSet.from_dict(rules) if rules is not None else None,
    )


def _properties(schema: Schema) -> dict[str, str] | None:
    metadata = schema.metadata
    if metadata is None or metadata.properties is None:
        return None
    return dict(metadata.properties.properties)


def _rules(schema: Schema) -> list[tuple[Any, ...]] | None:
    if schema.rule_set is None or not schema.rule_set.domain_rules:
        return None
    return [(r.name, r.kind.value if r.kind else None, r.mode.value if r.mode else None,
             r.type, r.expr, r.on_failure) for r in schema.rule_set.domain_rules]


def scenario(sr: SchemaRegistryClient, subject: str) -> dict[str, Any]:
    """What a data-contract user does, as the answers (without ids) say it went."""
    owner_a = _contract({"properties": {"owner": "team-a"}}, None)
    owner_b = _contract({"properties": {"owner": "team-b"}}, RULES)
    first = sr.register_schema_full_response(subject, owner_a)
    same_as_a = _contract({"properties": {"owner": "team-a"}}, None)
    again = sr.register_schema_full_response(subject, same_as_a)
    second = sr.register_schema_full_response(subject, owner_b)
    latest_a = sr.get_latest_with_metadata(subject, {"owner": "team-a"})
    latest_b = sr.get_latest_with_metadata(subject, {"owner": "team-b"})
    looked_up = sr.lookup_schema(subject, owner_b)
    try:
        sr.get_latest_with_metadata(subject, {"owner": "nobody"})
        missing: int | None = None
    except SchemaRegistryError as exc:
        missing = exc.http_status_code
    return {
        "versions": (first.version, second.version),
        "same_again": again.schema_id == first.schema_id,
        "new_id_for_new_metadata": second.schema_id != first.schema_id,
        "guids_are_uuids": all(str(uuid.UUID(str(r.guid))) == r.guid for r in (first, second)),
        "latest_a": (latest_a.version, _properties(latest_a.schema), _rules(latest_a.schema)),
        "latest_b": (latest_b.version, _properties(latest_b.schema), _rules(latest_b.schema)),
        "lookup": (looked_up.version, _properties(looked_up.schema), _rules(looked_up.schema)),
        "missing": missing,
    }


def serialise_with_latest_metadata(sr: SchemaRegistryClient, subject: str) -> tuple[int, Any]:
    """AvroSerializer picks the version by metadata (no auto-registration); the bytes carry
    that version's id and read back."""
    sr.register_schema(subject, _contract({"properties": {"owner": "team-a"}}, None))
    sr.register_schema(subject, _contract({"properties": {"owner": "team-b"}}, None))
    wanted = sr.get_latest_with_metadata(subject, {"owner": "team-a"})
    topic = subject.removesuffix("-value")
    serializer = AvroSerializer(sr, conf={
        "auto.register.schemas": False, "use.latest.with.metadata": {"owner": "team-a"}})
    ctx = SerializationContext(topic, MessageField.VALUE)
    data = serializer({"id": 1, "amount_cents": 250}, ctx)
    assert data is not None and data[0] == 0
    written_id = int.from_bytes(data[1:5], "big")
    assert written_id == wanted.schema_id
    return wanted.version or 0, AvroDeserializer(sr)(data, ctx)


@pytest.fixture
def charter(charter_url: str) -> Iterator[SchemaRegistryClient]:
    sr = SchemaRegistryClient({"url": charter_url})
    yield sr
    sr.close()


@pytest.fixture
def mock() -> Iterator[SchemaRegistryClient]:
    sr = SchemaRegistryClient.new_client({"url": f"mock://{secrets.token_hex(4)}"})
    yield sr
    sr.close()


def test_contract_calls_answer_as_the_clients_mock(
    charter: SchemaRegistryClient, mock: SchemaRegistryClient
) -> None:
    subject = f"orders-{secrets.token_hex(3)}-value"
    ours, theirs = scenario(charter, subject), scenario(mock, subject)
    assert ours == theirs
    assert ours["versions"] == (1, 2) and ours["missing"] == 404


def test_serialiser_with_use_latest_with_metadata(
    charter: SchemaRegistryClient, mock: SchemaRegistryClient
) -> None:
    subject = f"pay-{secrets.token_hex(3)}-value"
    ours, theirs = (serialise_with_latest_metadata(sr, subject) for sr in (charter, mock))
    assert ours == theirs == (1, {"id": 1, "amount_cents": 250})


def test_register_answers_what_the_client_reads(charter: SchemaRegistryClient) -> None:
    subject = f"g-{secrets.token_hex(3)}-value"
    registered = charter.register_schema_full_response(
        subject, _contract({"properties": {"owner": "x"}}, RULES))
    assert registered.version == 1 and registered.guid is not None
    by_guid = charter.get_schema_by_guid(registered.guid)
    assert _properties(by_guid) == {"owner": "x"} and _rules(by_guid) is not None
    # A second subject holding the same schema and contract shares its id and GUID.
    other = charter.register_schema_full_response(
        f"h-{secrets.token_hex(3)}-value", _contract({"properties": {"owner": "x"}}, RULES))
    assert (other.schema_id, other.guid) == (registered.schema_id, registered.guid)
