"""`normalize=true`: what Confluent's normalisation changes, on registration, lookup and the
compatibility endpoints (which check the normalised form, as registering would store it)."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.helpers import assert_error, body

MONEY = {"type": "record", "name": "Money", "namespace": "com.acme",
         "fields": [{"name": "cents", "type": "long"}]}
PLACE = {"type": "record", "name": "Place", "namespace": "com.acme",
         "fields": [{"name": "city", "type": "string"}]}
ORDER = {"type": "record", "name": "Order", "namespace": "com.acme",
         "fields": [{"name": "total", "type": "com.acme.Money"},
                    {"name": "ship_to", "type": "com.acme.Place"}]}
REFS = [{"name": "com.acme.Money", "subject": "money", "version": 1},
        {"name": "com.acme.Place", "subject": "place", "version": 1}]


def post(client: TestClient, path: str, schema: Any, **extra: Any) -> Any:
    text = schema if isinstance(schema, str) else json.dumps(schema)
    return client.post(path, json=body(text, **extra))


def seed_references(client: TestClient) -> None:
    for subject, schema in (("money", MONEY), ("place", PLACE)):
        assert post(client, f"/subjects/{subject}/versions", schema).status_code == 200


def test_normalised_avro_keeps_referenced_types_as_references(client: TestClient) -> None:
    """The normal form names referenced types instead of copying them in, so the stored
    schema parses again with its references: the subject's next registration and its
    compatibility checks work (a copied-in type would be defined twice)."""
    seed_references(client)
    first = post(client, "/subjects/order/versions?normalize=true", ORDER, references=REFS)
    assert first.status_code == 200, first.text
    stored = json.loads(client.get("/subjects/order/versions/1").json()["schema"])
    assert [f["type"] for f in stored["fields"]] == ["com.acme.Money", "com.acme.Place"]

    longer = {**ORDER, "fields": [*ORDER["fields"],
                                   {"name": "note", "type": "string", "default": ""}]}
    check = post(client, "/compatibility/subjects/order/versions/latest?normalize=true",
                 longer, references=REFS)
    assert check.status_code == 200, check.text
    assert check.json() == {"is_compatible": True}
    second = post(client, "/subjects/order/versions?normalize=true", longer, references=REFS)
    assert second.status_code == 200, second.text
    assert second.json()["id"] != first.json()["id"]


def test_normalize_ignores_the_order_of_references(client: TestClient) -> None:
    """Confluent's normal form sorts references: listed in another order they name the
    same schema only under normalize."""
    seed_references(client)
    assert post(client, "/subjects/order/versions", ORDER, references=REFS).status_code == 200
    swapped = list(reversed(REFS))
    assert_error(post(client, "/subjects/order", ORDER, references=swapped), 404, 40403)
    found = post(client, "/subjects/order?normalize=true", ORDER, references=swapped)
    assert found.status_code == 200, found.text
    assert found.json()["version"] == 1


def test_compatibility_with_normalize_reports_on_the_normal_form(client: TestClient) -> None:
    """The findings of a check with normalize=true describe the normalised schema (JSON
    Schema's normal form sorts `type` lists), not the text as sent."""
    old = {"type": "object", "properties": {"a": {"type": ["string", "integer", "boolean"]}}}
    new = {"type": "object", "properties": {"a": {"type": ["string", "boolean"]}}}
    assert post(client, "/subjects/j/versions", old, schemaType="JSON").status_code == 200
    path = "/compatibility/subjects/j/versions/latest?verbose=true"
    plain = post(client, path, new, schemaType="JSON").json()
    normal = post(client, path + "&normalize=true", new, schemaType="JSON").json()
    assert plain["is_compatible"] is False and normal["is_compatible"] is False
    assert 'to ["string","boolean"]' in plain["messages"][0]
    assert 'to ["boolean","string"]' in normal["messages"][0]


def test_subject_normalize_config_applies_to_compatibility_checks(client: TestClient) -> None:
    old = {"type": "object", "properties": {"a": {"type": ["string", "integer", "boolean"]}}}
    new = {"type": "object", "properties": {"a": {"type": ["string", "boolean"]}}}
    assert post(client, "/subjects/j/versions", old, schemaType="JSON").status_code == 200
    client.put("/config/j", json={"normalize": True})
    path = "/compatibility/subjects/j/versions?verbose=true"
    result = post(client, path, new, schemaType="JSON").json()
    assert 'to ["boolean","string"]' in result["messages"][0]
