"""Compatibility on registration (409) and the /compatibility endpoints."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import USER_BAD, USER_V1, USER_V2, assert_error, body, record


def register(client: TestClient, subject: str, schema: str, **extra: object) -> int:
    response = client.post(f"/subjects/{subject}/versions", json=body(schema, **extra))
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def test_incompatible_registration_is_409_and_stores_nothing(
    client: TestClient, backend: Backend
) -> None:
    register(client, "users", USER_V1)
    before = backend.snapshot()
    error = assert_error(client.post("/subjects/users/versions", json=body(USER_BAD)), 409, 409)
    assert "incompatible" in error["message"]
    assert backend.snapshot() == before


def test_level_none_accepts_anything(client: TestClient) -> None:
    register(client, "users", USER_V1)
    client.put("/config/users", json={"compatibility": "NONE"})
    register(client, "users", USER_BAD)
    assert client.get("/subjects/users/versions").json() == [1, 2]


def test_subject_level_overrides_global(client: TestClient) -> None:
    client.put("/config", json={"compatibility": "NONE"})
    register(client, "users", USER_V1)
    client.put("/config/users", json={"compatibility": "BACKWARD"})
    assert_error(client.post("/subjects/users/versions", json=body(USER_BAD)), 409, 409)


def test_type_change_is_incompatible(client: TestClient) -> None:
    register(client, "users", USER_V1)
    schema = json.dumps({"type": "object"})
    assert_error(
        client.post("/subjects/users/versions", json=body(schema, schemaType="JSON")), 409, 409
    )


def test_transitive_checks_every_live_version(client: TestClient) -> None:
    a = record("R", ("a", "int"))
    ab = record("R", ("a", "int"), ("b", "int"), default={"b": 0})
    b = record("R", ("b", "int"), default={"b": 0})
    client.put("/config/t", json={"compatibility": "FORWARD"})
    register(client, "t", a)
    register(client, "t", ab)
    # FORWARD: old readers must read the new data. `b` drops `a`, which v1 needs (no default).
    client.put("/config/t", json={"compatibility": "FORWARD_TRANSITIVE"})
    check = client.post("/compatibility/subjects/t/versions?verbose=true", json=body(b))
    assert check.json()["is_compatible"] is False
    one = client.post("/compatibility/subjects/t/versions/2", json=body(b))
    assert one.status_code == 200


def test_check_against_latest_and_all(client: TestClient) -> None:
    register(client, "users", USER_V1)
    good = client.post("/compatibility/subjects/users/versions/latest", json=body(USER_V2))
    assert good.json() == {"is_compatible": True}
    bad = client.post("/compatibility/subjects/users/versions/1", json=body(USER_BAD))
    assert bad.json() == {"is_compatible": False}
    verbose = client.post(
        "/compatibility/subjects/users/versions/1?verbose=true", json=body(USER_BAD)
    ).json()
    assert verbose["is_compatible"] is False
    assert verbose["messages"] and all(isinstance(m, str) for m in verbose["messages"])
    assert "email" in " ".join(verbose["messages"])
    every = client.post("/compatibility/subjects/users/versions?verbose=True", json=body(USER_V2))
    assert every.json() == {"is_compatible": True, "messages": []}


def test_check_errors(client: TestClient) -> None:
    # As Confluent: a numbered version of a missing subject is a missing version ...
    assert_error(
        client.post("/compatibility/subjects/nobody/versions/1", json=body(USER_V1)), 404, 40402
    )
    # ... and with no history there is nothing to break.
    empty = client.post("/compatibility/subjects/nobody/versions", json=body(USER_V1))
    assert empty.json() == {"is_compatible": True}
    latest = client.post("/compatibility/subjects/nobody/versions/latest", json=body(USER_V1))
    assert latest.json() == {"is_compatible": True}
    register(client, "users", USER_V1)
    assert_error(
        client.post("/compatibility/subjects/users/versions/5", json=body(USER_V2)), 404, 40402
    )
    assert_error(
        client.post("/compatibility/subjects/users/versions/nope", json=body(USER_V2)), 422, 42202
    )
    assert_error(client.post("/compatibility/subjects/users/versions", json=body("{")), 422, 42201)


def test_json_schema_policy_is_applied(client: TestClient) -> None:
    open_ = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})
    closed = json.dumps(
        {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
    )
    register(client, "j", open_, schemaType="JSON")
    # Closing an open content model: STRICT (Confluent's default) rejects it, LENIENT allows it.
    strict = client.post(
        "/compatibility/subjects/j/versions/latest?verbose=true",
        json=body(closed, schemaType="JSON"),
    ).json()
    assert strict["is_compatible"] is False
    assert any("additionalProperties" in m for m in strict["messages"])
    client.put("/config/j", json={"compatibilityPolicy": "LENIENT"})
    lenient = client.post(
        "/compatibility/subjects/j/versions/latest", json=body(closed, schemaType="JSON")
    ).json()
    assert lenient == {"is_compatible": True}
    register(client, "j", closed, schemaType="JSON")


def test_sound_policy_refuses_what_confluent_accepts(client: TestClient) -> None:
    props = {"a": {"type": "string"}}
    old = json.dumps({"type": "object", "properties": props})
    # Requiring an undeclared property: Confluent's rules accept it, yet old data lacks it.
    new = json.dumps({"type": "object", "properties": props, "required": ["zz"]})
    register(client, "snd", old, schemaType="JSON")
    strict = client.post(
        "/compatibility/subjects/snd/versions/latest?verbose=true",
        json=body(new, schemaType="JSON"),
    ).json()
    assert strict["is_compatible"] is True
    warning = "WARNING CONFLUENT_ACCEPTS_BREAKING_CHANGE"
    assert any(m.startswith(warning) for m in strict["messages"])
    put = client.put("/config/snd", json={"compatibilityPolicy": "SOUND"})
    assert put.json()["compatibilityPolicy"] == "SOUND"
    sound = client.post(
        "/compatibility/subjects/snd/versions/latest", json=body(new, schemaType="JSON")
    ).json()
    assert sound == {"is_compatible": False}
