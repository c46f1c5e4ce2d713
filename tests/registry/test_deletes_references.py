"""Soft and permanent deletes, references, and 42206 for a schema still referenced."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import USER_V1, USER_V2, assert_error, body

MONEY = json.dumps(
    {
        "type": "record",
        "name": "Money",
        "namespace": "com.acme",
        "fields": [{"name": "cents", "type": "long"}],
    }
)
INVOICE = json.dumps(
    {
        "type": "record",
        "name": "Invoice",
        "namespace": "com.acme",
        "fields": [{"name": "total", "type": "com.acme.Money"}],
    }
)
MONEY_REF = {"name": "com.acme.Money", "subject": "money", "version": 1}


def register(client: TestClient, subject: str, schema: str, **extra: object) -> int:
    response = client.post(f"/subjects/{subject}/versions", json=body(schema, **extra))
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_soft_delete_version_then_permanent(client: TestClient) -> None:
    register(client, "users", USER_V1)
    register(client, "users", USER_V2)
    assert_error(client.delete("/subjects/users/versions/1?permanent=true"), 404, 40407)
    assert client.delete("/subjects/users/versions/1").json() == 1
    assert client.get("/subjects/users/versions").json() == [2]
    assert client.get("/subjects/users/versions?deleted=true").json() == [1, 2]
    assert_error(client.get("/subjects/users/versions/1"), 404, 40402)
    kept = client.get("/subjects/users/versions/1?deleted=true")
    assert kept.status_code == 200
    assert kept.json()["version"] == 1
    assert_error(client.delete("/subjects/users/versions/1"), 404, 40406)
    v1_id = client.get("/subjects/users/versions/1?deleted=true").json()["id"]
    assert client.get(f"/schemas/ids/{v1_id}").status_code == 200  # cached while held
    assert client.delete("/subjects/users/versions/1?permanent=true").json() == 1
    assert client.get("/subjects/users/versions?deleted=true").json() == [2]
    assert_error(client.get(f"/schemas/ids/{v1_id}"), 404, 40403)
    assert_error(client.delete("/subjects/users/versions/1?permanent=true"), 404, 40402)
    assert_error(client.delete("/subjects/users/versions/7"), 404, 40402)
    assert_error(client.delete("/subjects/nobody/versions/1"), 404, 40401)


def test_delete_latest_version(client: TestClient) -> None:
    register(client, "users", USER_V1)
    register(client, "users", USER_V2)
    assert client.delete("/subjects/users/versions/latest").json() == 2
    assert client.get("/subjects/users/versions/latest").json()["version"] == 1


def test_soft_delete_subject_then_permanent(client: TestClient) -> None:
    schema_id = register(client, "users", USER_V1)
    register(client, "users", USER_V2)
    client.put("/config/users", json={"compatibility": "NONE"})
    assert_error(client.delete("/subjects/users?permanent=true"), 404, 40405)
    assert client.delete("/subjects/users").json() == [1, 2]
    assert client.get("/subjects").json() == []
    assert client.get("/subjects?deleted=true").json() == ["users"]
    assert_error(client.get("/subjects/users/versions"), 404, 40401)
    assert client.get("/subjects/users/versions?deleted=true").json() == [1, 2]
    assert_error(client.delete("/subjects/users"), 404, 40404)
    # A soft-deleted schema still answers by id, for consumers of old data.
    assert client.get(f"/schemas/ids/{schema_id}").status_code == 200
    assert client.get(f"/schemas/ids/{schema_id}/subjects").json() == []
    assert client.get(f"/schemas/ids/{schema_id}/subjects?deleted=true").json() == ["users"]
    assert client.delete("/subjects/users?permanent=true").json() == [1, 2]
    assert client.get("/subjects?deleted=true").json() == []
    # Held by no version any more, the id is gone, as in Confluent's registry.
    assert_error(client.get(f"/schemas/ids/{schema_id}"), 404, 40403)
    assert_error(client.get(f"/schemas/ids/{schema_id}/schema"), 404, 40403)
    assert_error(client.get(f"/schemas/ids/{schema_id}/subjects?deleted=true"), 404, 40403)
    assert_error(client.delete("/subjects/users"), 404, 40401)
    # Permanent deletion also drops the subject's own config.
    assert_error(client.get("/config/users"), 404, 40408)


def test_versions_continue_after_soft_delete_and_ids_are_never_reused(client: TestClient) -> None:
    first = register(client, "users", USER_V1)
    client.delete("/subjects/users")
    again = register(client, "users", USER_V1)
    assert again == first
    assert client.get("/subjects/users/versions").json() == [2]
    client.delete("/subjects/users")
    client.delete("/subjects/users?permanent=true")
    other = register(client, "other", USER_V2)
    assert other > first
    assert register(client, "users", USER_V1) == first
    assert client.get("/subjects/users/versions").json() == [1]


def test_reference_registration_and_referencedby(client: TestClient) -> None:
    money = register(client, "money", MONEY)
    invoice = register(client, "invoice", INVOICE, references=[MONEY_REF])
    assert invoice != money
    view = client.get("/subjects/invoice/versions/1").json()
    assert view["references"] == [MONEY_REF]
    assert client.get(f"/schemas/ids/{invoice}").json()["references"] == [MONEY_REF]
    assert client.get("/subjects/money/versions/1/referencedby").json() == [invoice]
    assert client.get("/subjects/money/versions/latest/referencedby").json() == [invoice]
    found = client.post("/subjects/invoice", json=body(INVOICE, references=[MONEY_REF]))
    assert found.json()["id"] == invoice


def test_reference_with_latest_version_is_stored_concretely(client: TestClient) -> None:
    register(client, "money", MONEY)
    latest = dict(MONEY_REF, version=-1)
    invoice = register(client, "invoice", INVOICE, references=[latest])
    assert client.get(f"/schemas/ids/{invoice}").json()["references"] == [MONEY_REF]


def test_referenced_schema_cannot_be_deleted(client: TestClient, backend: Backend) -> None:
    register(client, "money", MONEY)
    register(client, "invoice", INVOICE, references=[MONEY_REF])
    before = backend.snapshot()
    assert_error(client.delete("/subjects/money/versions/1"), 422, 42206)
    assert_error(client.delete("/subjects/money"), 422, 42206)
    assert backend.snapshot() == before
    # Once the referrer is gone for good, the referenced schema can go.
    client.delete("/subjects/invoice")
    assert_error(client.delete("/subjects/money"), 422, 42206)
    client.delete("/subjects/invoice?permanent=true")
    assert client.delete("/subjects/money").json() == [1]


def test_unresolvable_references(client: TestClient, backend: Backend) -> None:
    before = backend.snapshot()
    assert_error(
        client.post("/subjects/invoice/versions", json=body(INVOICE, references=[MONEY_REF])),
        422,
        42201,
    )
    assert_error(client.post("/subjects/invoice/versions", json=body(INVOICE)), 422, 42201)
    bad_version = dict(MONEY_REF, version=0)
    assert_error(
        client.post("/subjects/invoice/versions", json=body(INVOICE, references=[bad_version])),
        422,
        42201,
    )
    assert_error(client.get("/subjects/nobody/versions/1/referencedby"), 404, 40401)
    assert backend.snapshot() == before


def test_json_schema_reference(client: TestClient) -> None:
    address = json.dumps({"type": "object", "properties": {"street": {"type": "string"}}})
    person = json.dumps({"type": "object", "properties": {"home": {"$ref": "address.json"}}})
    register(client, "address", address, schemaType="JSON")
    ref = {"name": "address.json", "subject": "address", "version": 1}
    person_id = register(client, "person", person, schemaType="JSON", references=[ref])
    assert client.get("/subjects/address/versions/1/referencedby").json() == [person_id]
