"""Contexts and modes with the real confluent-kafka `SchemaRegistryClient` and its Avro serdes
against a real `charter serve` (SQLite and PostgreSQL), compared with the client's `mock://`
registry where the mock has the call. The mock knows no contexts: it takes `:.ctx:subject` as
a plain name, so for calls within one context it must answer as Charter does, ids aside."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

V1 = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "long"}]})
V2 = json.dumps({"type": "record", "name": "Order", "fields": [
    {"name": "id", "type": "long"}, {"name": "note", "type": "string", "default": ""}]})
OTHER = json.dumps({"type": "record", "name": "Other", "fields": [{"name": "x", "type": "int"}]})


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


def within_one_context(sr: SchemaRegistryClient, subject: str) -> dict[str, Any]:
    """A producer's calls on a qualified subject, as the answers (without ids) say."""
    first = sr.register_schema_full_response(subject, Schema(V1, "AVRO"))
    again = sr.register_schema_full_response(subject, Schema(V1, "AVRO"))
    second = sr.register_schema_full_response(subject, Schema(V2, "AVRO"))
    latest = sr.get_latest_version(subject)
    one = sr.get_version(subject, 1)
    looked_up = sr.lookup_schema(subject, Schema(V2, "AVRO"))
    prefix = subject[: subject.index(":", 2) + 1]
    return {
        "versions": (first.version, again.version, second.version),
        "same_id_again": again.schema_id == first.schema_id,
        "subject": (latest.subject, one.subject, looked_up.subject),
        "latest": (latest.version, json.loads(latest.schema.schema_str)),
        "one": json.loads(one.schema.schema_str),
        "lookup": looked_up.version,
        "listed": sr.get_subjects(subject_prefix=prefix),
        "versions_listed": sorted(sr.get_versions(subject)),  # the mock keeps no order
    }


def test_a_qualified_subject_answers_as_the_clients_mock(
    charter: SchemaRegistryClient, mock: SchemaRegistryClient
) -> None:
    subject = f":.tenant-{secrets.token_hex(3)}:orders-value"
    ours, theirs = within_one_context(charter, subject), within_one_context(mock, subject)
    assert ours == theirs
    assert ours["versions"] == (1, 1, 2) and ours["listed"] == [subject]


def test_ids_are_per_context_and_the_client_resolves_them(
    charter: SchemaRegistryClient, charter_url: str
) -> None:
    tenant = f".t{secrets.token_hex(3)}"
    in_context = SchemaRegistryClient({"url": f"{charter_url}/contexts/{tenant}"})
    try:
        # A fresh context counts its ids from 1, whatever the default context holds.
        registered = in_context.register_schema_full_response(
            "orders-value", Schema(V1, "AVRO"))
        assert (registered.schema_id, registered.version) == (1, 1)
        other = in_context.register_schema_full_response("more-value", Schema(OTHER, "AVRO"))
        assert other.schema_id == 2
        assert tenant in charter.get_contexts()
        assert f":{tenant}:orders-value" in charter.get_subjects()
        # The same id means another schema in another context: the client says which.
        fetched = charter.get_schema(2, subject_name=f":{tenant}:")
        assert json.loads(fetched.schema_str) == json.loads(OTHER)
        assert json.loads(in_context.get_schema(1).schema_str) == json.loads(V1)
        assert charter.get_version(f":{tenant}:orders-value", 1).schema_id == 1

        # Serialise and read back through a client bound to the context's URL.
        serializer = AvroSerializer(in_context, V2)
        ctx = SerializationContext("orders", MessageField.VALUE)
        data = serializer({"id": 7, "note": "hi"}, ctx)
        assert data is not None and int.from_bytes(data[1:5], "big") == 3
        assert AvroDeserializer(in_context)(data, ctx) == {"id": 7, "note": "hi"}
        assert in_context.get_versions("orders-value") == [1, 2]
    finally:
        in_context.close()


def test_references_and_format_resolved_through_the_client(charter: SchemaRegistryClient) -> None:
    tenant = f":.r{secrets.token_hex(3)}:"
    money = json.dumps({"type": "record", "name": "Money",
                        "fields": [{"name": "cents", "type": "long"}]})
    invoice = json.dumps({"type": "record", "name": "Invoice",
                          "fields": [{"name": "amount", "type": "Money"}]})
    charter.register_schema(f"{tenant}money", Schema(money, "AVRO"))
    ref = SchemaReference("Money", "money", 1)  # unqualified: a subject of the same context
    schema_id = charter.register_schema(f"{tenant}invoice", Schema(invoice, "AVRO", [ref]))
    got = charter.get_version(f"{tenant}invoice", 1)
    assert [(r.name, r.subject, r.version) for r in got.schema.references] == [
        ("Money", f"{tenant}money", 1)]
    resolved = charter.get_schema(schema_id, subject_name=tenant, fmt="resolved")
    amount = json.loads(resolved.schema_str)["fields"][0]["type"]
    assert (amount["type"], amount["name"]) == ("record", "Money")


def test_modes_through_the_client(charter: SchemaRegistryClient) -> None:
    tenant = f":.m{secrets.token_hex(3)}:"
    subject = f"{tenant}s-value"
    charter.register_schema(subject, Schema(V1, "AVRO"))
    assert charter.update_mode(tenant, "READONLY") == "READONLY"
    with pytest.raises(SchemaRegistryError) as refused:
        charter.register_schema(subject, Schema(V2, "AVRO"))
    assert (refused.value.http_status_code, refused.value.error_code) == (422, 42205)
    assert charter.delete_mode(tenant) == "READONLY"
    assert charter.register_schema_full_response(subject, Schema(V2, "AVRO")).version == 2

    plain = f"ro-{secrets.token_hex(3)}-value"
    charter.register_schema(plain, Schema(V1, "AVRO"))
    assert charter.update_global_mode("READONLY_OVERRIDE") == "READONLY_OVERRIDE"
    try:
        assert charter.get_global_mode() == "READONLY_OVERRIDE"
        assert charter.get_mode(plain) == "READONLY_OVERRIDE"
        for name in (plain, subject):
            with pytest.raises(SchemaRegistryError) as held:
                charter.register_schema(name, Schema(OTHER, "AVRO"))
            assert held.value.error_code == 42205
        # Reads go on: consumers keep working while the registry is held.
        assert charter.get_latest_version(plain).version == 1
    finally:
        charter.update_global_mode("READWRITE")


def test_lookup_of_a_soft_deleted_version(charter: SchemaRegistryClient) -> None:
    subject = f"del-{secrets.token_hex(3)}-value"
    charter.register_schema(subject, Schema(V1, "AVRO"))
    charter.register_schema(subject, Schema(V2, "AVRO"))
    charter.delete_version(subject, 1)
    with pytest.raises(SchemaRegistryError) as missing:
        charter.lookup_schema(subject, Schema(V1, "AVRO"))
    assert missing.value.http_status_code == 404
    found = charter.lookup_schema(subject, Schema(V1, "AVRO"), deleted=True)
    assert found.version == 1
