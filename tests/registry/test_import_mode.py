"""IMPORT mode: registering with explicit ids and versions to migrate a registry."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import USER_BAD, USER_V1, USER_V2, assert_error, body


def test_import_keeps_ids_and_versions(client: TestClient, backend: Backend) -> None:
    assert client.put("/mode", json={"mode": "IMPORT"}).json() == {"mode": "IMPORT"}
    first = client.post("/subjects/users/versions", json=body(USER_V1, id=100, version=3))
    assert (first.json()["id"], first.json()["version"]) == (100, 3)
    # Incompatible schemas are imported as they were: history is not re-judged.
    second = client.post("/subjects/users/versions", json=body(USER_BAD, id=42, version=5))
    assert (second.json()["id"], second.json()["version"]) == (42, 5)
    assert client.get("/subjects/users/versions").json() == [3, 5]
    assert client.get("/subjects/users/versions/3").json()["id"] == 100
    assert client.get("/schemas/ids/42").status_code == 200
    # Importing the same thing again is a no-op.
    again = client.post("/subjects/users/versions", json=body(USER_V1, id=100, version=3))
    assert (again.json()["id"], again.json()["version"]) == (100, 3)
    before = backend.snapshot()
    assert_error(
        client.post("/subjects/users/versions", json=body(USER_V2, id=100, version=6)), 422, 42207
    )
    assert_error(
        client.post("/subjects/users/versions", json=body(USER_V1, id=7, version=6)), 422, 42207
    )
    assert_error(
        client.post("/subjects/users/versions", json=body(USER_V2, id=8, version=3)), 422, 42205
    )
    assert backend.snapshot() == before
    # Back in READWRITE, new ids continue above every imported one; versions continue too.
    client.put("/mode", json={"mode": "READWRITE"})
    client.put("/config/users", json={"compatibility": "NONE"})
    new = client.post("/subjects/users/versions", json=body(USER_V2))
    assert (new.json()["id"], new.json()["version"]) == (101, 6)
    assert client.get("/subjects/users/versions").json() == [3, 5, 6]


def test_explicit_version_outside_import_mode_is_refused(client: TestClient) -> None:
    assert_error(client.post("/subjects/users/versions", json=body(USER_V1, version=4)), 422, 42205)
    assert_error(client.post("/subjects/users/versions", json=body(USER_V1, id=9)), 422, 42205)
    schema_id = client.post("/subjects/users/versions", json=body(USER_V1)).json()["id"]
    # Giving the id the schema already has is accepted, as Confluent does.
    same = client.post("/subjects/users/versions", json=body(USER_V1, id=schema_id))
    assert (same.json()["id"], same.json()["version"]) == (schema_id, 1)


def test_subject_import_mode(client: TestClient) -> None:
    client.put("/mode/legacy", json={"mode": "IMPORT"})
    imported = client.post("/subjects/legacy/versions", json=body(USER_V1, id=500, version=1))
    assert (imported.json()["id"], imported.json()["version"]) == (500, 1)
    assert_error(
        client.post("/subjects/other/versions", json=body(USER_V2, id=501, version=1)), 422, 42205
    )


def test_minus_one_id_and_version_mean_not_given(client: TestClient) -> None:
    first = client.post("/subjects/users/versions", json=body(USER_V1, id=-1, version=-1))
    assert first.status_code == 200, first.text
    assert client.get("/subjects/users/versions").json() == [1]
