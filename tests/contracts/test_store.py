"""Data contracts in the store: metadata and rule sets kept with each schema, part of its
identity, merged with config defaults and overrides, and found by metadata; GUIDs."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import USER_V1, USER_V2, assert_error

OWNER_A = {"properties": {"owner": "team-a"}}
OWNER_B = {"properties": {"owner": "team-b"}}
POSITIVE = {
    "domainRules": [
        {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
         "expr": "message.id > 0", "onFailure": "ERROR"}
    ]
}
USER_RENAMED = json.dumps({"type": "record", "name": "User",
                           "fields": [{"name": "uid", "type": "string"}]})


def post(client: TestClient, subject: str, schema: str, **extra: Any) -> dict[str, Any]:
    response = client.post(f"/subjects/{subject}/versions", json={"schema": schema, **extra})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_metadata_and_rules_are_kept_and_returned(client: TestClient) -> None:
    first = post(client, "orders-value", USER_V1, metadata=OWNER_A, ruleSet=POSITIVE)
    assert first["metadata"] == OWNER_A and first["ruleSet"] == POSITIVE
    for path in ("/subjects/orders-value/versions/1", f"/schemas/ids/{first['id']}",
                 f"/schemas/guids/{first['guid']}"):
        answer = client.get(path).json()
        assert (answer["metadata"], answer["ruleSet"]) == (OWNER_A, POSITIVE), path
    looked_up = client.post("/subjects/orders-value",
                            json={"schema": USER_V1, "metadata": OWNER_A, "ruleSet": POSITIVE})
    assert looked_up.json()["version"] == 1


def test_the_contract_is_part_of_a_versions_identity(client: TestClient) -> None:
    first = post(client, "s", USER_V1, metadata=OWNER_A)
    same = post(client, "s", USER_V1, metadata={"properties": {"owner": "team-a"}})
    assert (same["id"], same["version"], same["guid"]) == (first["id"], 1, first["guid"])
    other = post(client, "s", USER_V1, metadata=OWNER_B)
    assert other["version"] == 2 and other["id"] != first["id"]
    assert other["guid"] != first["guid"]
    ruled = post(client, "s", USER_V1, metadata=OWNER_B, ruleSet=POSITIVE)
    assert ruled["version"] == 3
    # Text alone inherits the latest version's contract: no new version, as Confluent.
    again = post(client, "s", USER_V1)
    assert (again["version"], again["metadata"], again["ruleSet"]) == (3, OWNER_B, POSITIVE)
    assert client.get("/subjects/s/versions").json() == [1, 2, 3]
    # The same schema and contract in another subject is the same schema: same id and GUID.
    elsewhere = post(client, "t", USER_V1, metadata=OWNER_B, ruleSet=POSITIVE)
    assert (elsewhere["id"], elsewhere["guid"]) == (ruled["id"], ruled["guid"])
    assert client.get(f"/schemas/guids/{ruled['guid']}/ids").json() == [ruled["id"]]


def test_latest_with_metadata(client: TestClient) -> None:
    post(client, "m", USER_V1, metadata={"properties": {"owner": "a", "tier": "1"}})
    post(client, "m", USER_V1, metadata={"properties": {"owner": "b", "tier": "1"}})
    post(client, "m", USER_V1, metadata={"properties": {"owner": "a", "tier": "2"}})
    found = client.get("/subjects/m/metadata", params={"key": "owner", "value": "a"})
    assert found.json()["version"] == 3
    both = client.get("/subjects/m/metadata",
                      params=[("key", "owner"), ("key", "tier"), ("value", "a"), ("value", "1")])
    assert both.json()["version"] == 1
    assert_error(client.get("/subjects/m/metadata", params={"key": "owner", "value": "z"}),
                 404, 40403)
    assert_error(client.get("/subjects/nope/metadata", params={"key": "k", "value": "v"}),
                 404, 40401)
    assert_error(client.get("/subjects/m/metadata", params={"key": "owner"}), 400, 400)


def test_config_defaults_and_overrides_merge_as_confluent(client: TestClient) -> None:
    put = client.put("/config/c", json={
        "defaultMetadata": {"properties": {"owner": "platform", "tier": "gold"}},
        "overrideMetadata": {"properties": {"tier": "silver"}},
        "defaultRuleSet": POSITIVE,
    })
    assert put.status_code == 200, put.text
    assert put.json()["overrideMetadata"] == {"properties": {"tier": "silver"}}
    assert client.get("/config/c").json()["defaultRuleSet"] == POSITIVE
    # No metadata in the request: the default applies, then the override over it.
    first = post(client, "c", USER_V1)
    assert first["metadata"] == {"properties": {"owner": "platform", "tier": "silver"}}
    assert first["ruleSet"] == POSITIVE
    # The request's own metadata merges over the default; the override still wins.
    second = post(client, "c", USER_V2, metadata={"properties": {"owner": "me", "tier": "x"}})
    assert second["metadata"] == {"properties": {"owner": "me", "tier": "silver"}}


def test_compatibility_group_compares_only_within_the_group(client: TestClient) -> None:
    client.put("/config/g", json={"compatibility": "BACKWARD", "compatibilityGroup": "major"})
    assert client.get("/config/g").json()["compatibilityGroup"] == "major"
    post(client, "g", USER_V1, metadata={"properties": {"major": "1"}})
    incompatible = client.post("/subjects/g/versions", json={
        "schema": USER_RENAMED, "metadata": {"properties": {"major": "1"}}})
    assert_error(incompatible, 409, 409)
    new_major = post(client, "g", USER_RENAMED, metadata={"properties": {"major": "2"}})
    assert new_major["version"] == 2


def test_deleted_as_negative(client: TestClient) -> None:
    post(client, "d", USER_V1)
    post(client, "d", USER_V2)
    client.delete("/subjects/d/versions/1")
    assert client.get("/subjects/d/versions", params={"deletedAsNegative": "true"}).json() == [
        -1, 2]


@pytest.mark.parametrize("guid", ["not-a-guid", "1234", "g" * 36])
def test_guids_that_are_not_uuids(client: TestClient, guid: str) -> None:
    assert_error(client.get(f"/schemas/guids/{guid}"), 404, 40403)
    assert_error(client.get(f"/schemas/guids/{guid}/ids"), 404, 40403)


def test_an_unknown_guid(client: TestClient) -> None:
    assert_error(client.get(f"/schemas/guids/{uuid.uuid4()}"), 404, 40403)


BAD_CONTRACTS: list[dict[str, Any]] = [
    {"metadata": {"properties": ["owner"]}},
    {"metadata": {"properties": {"owner": 3}}},
    {"metadata": {"tags": {"$.id": "PII"}}},
    {"metadata": "owner=a"},
    {"ruleSet": {"domainRules": [{"name": "r", "kind": "ASSERT", "mode": "WRITE", "type": "CEL"}]}},
    {"ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "SOMETIMES",
                                  "type": "CEL"}]}},
    {"ruleSet": {"domainRules": [{"name": "r", "kind": "CONDITION", "mode": "UPGRADE",
                                  "type": "CEL"}]}},
    {"ruleSet": {"migrationRules": [{"name": "r", "mode": "WRITE", "type": "JSONATA"}]}},
    {"ruleSet": {"domainRules": [{"name": "", "mode": "WRITE", "type": "CEL"}]}},
    {"ruleSet": {"domainRules": [{"name": "r", "mode": "WRITE"}]}},
    {"ruleSet": {"domainRules": [{"name": "r", "mode": "WRITE", "type": "CEL"},
                                 {"name": "r", "mode": "READ", "type": "CEL"}]}},
    {"ruleSet": {"domainRules": "message.id > 0"}},
]


@pytest.mark.parametrize("extra", BAD_CONTRACTS)
def test_malformed_contracts_are_refused_and_nothing_is_stored(
    client: TestClient, backend: Backend, extra: dict[str, Any]
) -> None:
    post(client, "bad", USER_V1)
    before = backend.snapshot()
    assert_error(client.post("/subjects/bad/versions", json={"schema": USER_V2, **extra}),
                 422, 42201)
    config_extra = {("defaultMetadata" if "metadata" in extra else "defaultRuleSet"):
                    next(iter(extra.values()))}
    assert_error(client.put("/config/bad", json=config_extra), 422, 42201)
    assert backend.snapshot() == before


def test_import_carries_guids(client: TestClient) -> None:
    guid = str(uuid.uuid4())
    client.put("/mode/imp", json={"mode": "IMPORT"})
    imported = post(client, "imp", USER_V1, id=300, version=1, guid=guid.upper(),
                    metadata=OWNER_A)
    assert (imported["id"], imported["guid"], imported["metadata"]) == (300, guid, OWNER_A)
    assert client.get(f"/schemas/guids/{guid}").json()["metadata"] == OWNER_A
    assert_error(client.post("/subjects/imp/versions", json={
        "schema": USER_V2, "id": 301, "version": 2, "guid": guid}), 422, 42207)
    assert_error(client.post("/subjects/imp/versions", json={
        "schema": USER_V2, "id": 301, "version": 2, "guid": "nope"}), 422, 422)
