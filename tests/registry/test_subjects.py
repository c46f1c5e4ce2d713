"""Registering, reading and listing subjects, versions and schemas by id."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import (
    JSON_V1,
    MEDIA_TYPE,
    USER_V1,
    USER_V2,
    assert_error,
    body,
    record,
)


def register(client: TestClient, subject: str, schema: str, **extra: object) -> int:
    response = client.post(f"/subjects/{subject}/versions", json=body(schema, **extra))
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_register_returns_an_id_and_version_one(client: TestClient) -> None:
    response = client.post("/subjects/users-value/versions", json=body(USER_V1))
    assert response.status_code == 200
    assert response.headers["content-type"] == MEDIA_TYPE
    # Confluent 8's answer: older clients read only the id.
    answer = response.json()
    assert set(answer) == {"id", "version", "guid", "schemaType", "schema"}
    stored = client.get("/subjects/users-value/versions/1").json()
    assert (answer["version"], answer["schemaType"]) == (1, "AVRO")
    assert (answer["schema"], answer["guid"]) == (stored["schema"], stored["guid"])
    assert client.get("/subjects").json() == ["users-value"]
    assert client.get("/subjects/users-value/versions").json() == [1]


def test_every_accepted_content_type(client: TestClient) -> None:
    client.put("/config/ct", json={"compatibility": "NONE"})
    for index, content_type in enumerate(
        [
            "application/vnd.schemaregistry.v1+json",
            "application/vnd.schemaregistry+json",
            "application/json",
            "text/plain",
            None,
        ]
    ):
        headers = {"content-type": content_type} if content_type else {}
        schema = record(f"R{index}", ("a", "int"))
        response = client.post(
            "/subjects/ct/versions", content=json.dumps(body(schema)), headers=headers
        )
        assert response.status_code == 200, (content_type, response.text)
    assert client.get("/subjects/ct/versions").json() == [1, 2, 3, 4, 5]


def test_get_version_shape(client: TestClient) -> None:
    answer = client.post("/subjects/users/versions", json=body(USER_V1)).json()
    schema_id = answer["id"]
    expected = {
        "subject": "users",
        "version": 1,
        "id": schema_id,
        "guid": answer["guid"],
        "schema": json.dumps(json.loads(USER_V1), separators=(",", ":")),
    }
    assert client.get("/subjects/users/versions/1").json() == expected
    assert client.get("/subjects/users/versions/latest").json() == expected
    assert client.get("/subjects/users/versions/-1").json() == expected
    raw = client.get("/subjects/users/versions/1/schema")
    assert raw.json() == json.loads(USER_V1)


def test_json_schema_type_is_returned_and_avro_omitted(client: TestClient) -> None:
    avro_id = register(client, "a", USER_V1)
    json_id = register(client, "j", JSON_V1, schemaType="JSON")
    assert "schemaType" not in client.get(f"/schemas/ids/{avro_id}").json()
    by_id = client.get(f"/schemas/ids/{json_id}").json()
    assert by_id["schemaType"] == "JSON"
    assert json.loads(by_id["schema"]) == json.loads(JSON_V1)
    assert client.get("/subjects/j/versions/1").json()["schemaType"] == "JSON"


def test_same_schema_same_id_across_subjects_and_no_new_version(client: TestClient) -> None:
    first = register(client, "one", USER_V1)
    again = register(client, "one", USER_V1)
    reformatted = register(client, "one", json.dumps(json.loads(USER_V1), indent=4))
    other = register(client, "two", USER_V1)
    assert first == again == reformatted == other
    assert client.get("/subjects/one/versions").json() == [1]
    assert client.get("/subjects/two/versions").json() == [1]


def test_new_schemas_get_new_ids_and_dense_versions(client: TestClient) -> None:
    first = register(client, "users", USER_V1)
    second = register(client, "users", USER_V2)
    assert second > first
    assert client.get("/subjects/users/versions").json() == [1, 2]
    assert client.get("/subjects/users/versions/latest").json()["version"] == 2
    assert client.get("/subjects/users/versions/1").json()["id"] == first


def test_schema_by_id_and_its_subresources(client: TestClient) -> None:
    schema_id = register(client, "a", USER_V1)
    register(client, "b", USER_V1)
    by_id = client.get(f"/schemas/ids/{schema_id}")
    assert by_id.status_code == 200
    assert by_id.headers["content-type"] == MEDIA_TYPE
    assert json.loads(by_id.json()["schema"]) == json.loads(USER_V1)
    # The second read comes from the cache and is byte-identical.
    assert client.get(f"/schemas/ids/{schema_id}").content == by_id.content
    assert client.get(f"/schemas/ids/{schema_id}?subject=a").content == by_id.content
    assert client.get(f"/schemas/ids/{schema_id}/schema").json() == json.loads(USER_V1)
    assert client.get(f"/schemas/ids/{schema_id}/subjects").json() == ["a", "b"]
    assert client.get(f"/schemas/ids/{schema_id}/versions").json() == [
        {"subject": "a", "version": 1},
        {"subject": "b", "version": 1},
    ]


def test_schema_id_not_found(client: TestClient) -> None:
    assert_error(client.get("/schemas/ids/999"), 404, 40403)
    assert_error(client.get("/schemas/ids/abc"), 404, 40403)
    register(client, "users", USER_V1)
    for odd in ("1_0", "+1", "%201", "-1", "1.0", "%D9%A1"):
        assert_error(client.get(f"/schemas/ids/{odd}"), 404, 40403)
        assert_error(client.get(f"/schemas/ids/{odd}/schema"), 404, 40403)
    assert_error(client.get("/schemas/ids/999/schema"), 404, 40403)
    assert_error(client.get("/schemas/ids/999/subjects"), 404, 40403)
    assert_error(client.get("/schemas/ids/999/versions"), 404, 40403)
    assert_error(client.get("/schemas/ids/x/versions"), 404, 40403)


def test_schema_types(client: TestClient) -> None:
    assert sorted(client.get("/schemas/types").json()) == ["AVRO", "JSON", "PROTOBUF"]


def test_list_schemas_with_filters(client: TestClient) -> None:
    register(client, "orders-value", USER_V1)
    register(client, "orders-value", USER_V2)
    register(client, "users-value", JSON_V1, schemaType="JSON")
    listed = client.get("/schemas").json()
    assert [(s["subject"], s["version"]) for s in listed] == [
        ("orders-value", 1),
        ("orders-value", 2),
        ("users-value", 1),
    ]
    latest = client.get("/schemas", params={"latestOnly": "true"}).json()
    assert [(s["subject"], s["version"]) for s in latest] == [
        ("orders-value", 2),
        ("users-value", 1),
    ]
    prefixed = client.get("/schemas", params={"subjectPrefix": "users"}).json()
    assert [s["subject"] for s in prefixed] == ["users-value"]
    assert prefixed[0]["schemaType"] == "JSON"


def test_list_subjects_with_prefix(client: TestClient) -> None:
    for subject in ("b-value", "a-value", "a-key"):
        register(client, subject, USER_V1)
    assert client.get("/subjects").json() == ["a-key", "a-value", "b-value"]
    assert client.get("/subjects", params={"subjectPrefix": "a-"}).json() == ["a-key", "a-value"]


def test_versions_not_found(client: TestClient) -> None:
    assert_error(client.get("/subjects/nope/versions"), 404, 40401)
    assert_error(client.get("/subjects/nope/versions/1"), 404, 40401)
    assert_error(client.get("/subjects/nope/versions/latest"), 404, 40401)
    register(client, "users", USER_V1)
    assert_error(client.get("/subjects/users/versions/2"), 404, 40402)
    assert_error(client.get("/subjects/users/versions/2/schema"), 404, 40402)


def test_invalid_versions(client: TestClient) -> None:
    register(client, "users", USER_V1)
    for bad in ("0", "-2", "abc", "1.5", str(2**31), "latestt"):
        assert_error(client.get(f"/subjects/users/versions/{bad}"), 422, 42202)
    assert_error(client.delete("/subjects/users/versions/zero"), 422, 42202)


def test_lookup_returns_the_version(client: TestClient) -> None:
    schema_id = register(client, "users", USER_V1)
    register(client, "users", USER_V2)
    found = client.post("/subjects/users", json=body(json.dumps(json.loads(USER_V1), indent=2)))
    assert found.status_code == 200
    data = found.json()
    assert data["subject"] == "users"
    assert data["version"] == 1
    assert data["id"] == schema_id
    assert json.loads(data["schema"]) == json.loads(USER_V1)


def test_lookup_errors(client: TestClient, backend: Backend) -> None:
    assert_error(client.post("/subjects/nope", json=body(USER_V1)), 404, 40401)
    register(client, "users", USER_V1)
    before = backend.snapshot()
    assert_error(client.post("/subjects/users", json=body(USER_V2)), 404, 40403)
    assert_error(client.post("/subjects/users", json=body("{not avro")), 422, 42201)
    assert backend.snapshot() == before


def test_lookup_with_normalize(client: TestClient) -> None:
    register(client, "users", USER_V1)
    reordered = json.dumps(
        {"fields": [{"type": "long", "name": "id"}], "name": "User", "type": "record"}
    )
    # Without normalize the text differs only by key order; with it, the lookup matches.
    normalized = client.post("/subjects/users?normalize=true", json=body(reordered))
    assert normalized.status_code == 200, normalized.text
    assert normalized.json()["version"] == 1


def test_register_with_normalize_stores_the_normal_form(client: TestClient) -> None:
    reordered = json.dumps(
        {
            "fields": [{"type": "long", "name": "id"}],
            "name": "User",
            "type": "record",
            "namespace": "a.b",
        }
    )
    normal = {"type": "record", "name": "a.b.User", "fields": [{"name": "id", "type": "long"}]}
    first = client.post("/subjects/n/versions?normalize=true", json=body(reordered))
    assert first.status_code == 200, first.text
    assert json.loads(client.get("/subjects/n/versions/1").json()["schema"]) == normal
    # The subject's config can ask for normalisation too; then any spelling finds the version.
    client.put("/config/n", json={"normalize": True})
    respelled = json.dumps(json.loads(reordered), indent=3, sort_keys=True)
    again = client.post("/subjects/n/versions", json=body(respelled))
    assert again.json() == first.json()
    assert client.get("/subjects/n/versions").json() == [1]
    assert client.post("/subjects/n", json=body(respelled)).json()["version"] == 1
