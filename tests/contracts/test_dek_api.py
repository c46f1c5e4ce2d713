"""The DEK registry's HTTP API on the in-process app, SQLite and PostgreSQL: the routes the
Python client does not call (listings, deletes, undeletes, updates), Confluent's error codes,
and bad input refused with nothing stored."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from registry import Settings, create_app
from registry.dek import service as dek_service
from tests.registry.conftest import Backend

KEKS = "/dek-registry/v1/keks"
DEK_TABLES = ("dek_deks", "dek_keks")
SECRET = "api-test-secret"


def _material() -> str:
    return base64.b64encode(secrets.token_bytes(60)).decode()


@pytest.fixture
def api(backend: Backend) -> Iterator[TestClient]:
    with backend.engine.begin() as conn:
        for table in DEK_TABLES:
            conn.execute(text(f"DELETE FROM {table}"))
    yield TestClient(backend.app, raise_server_exceptions=False)


def _snapshot(backend: Backend) -> dict[str, list[tuple[Any, ...]]]:
    with backend.engine.connect() as conn:
        return {t: sorted(tuple(r) for r in conn.execute(text(f"SELECT * FROM {t}")))
                for t in DEK_TABLES}


def _kek(api: TestClient, name: str = "orders", **fields: Any) -> dict[str, Any]:
    body = {"name": name, "kmsType": "local-kms", "kmsKeyId": f"{name}-key", **fields}
    answer = api.post(KEKS, json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _dek(api: TestClient, kek: str, subject: str, **fields: Any) -> dict[str, Any]:
    body = {"subject": subject, "encryptedKeyMaterial": _material(), **fields}
    answer = api.post(f"{KEKS}/{kek}/deks", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _error(answer: httpx.Response) -> tuple[int, int]:
    return answer.status_code, answer.json()["error_code"]


def test_kek_answer_has_confluents_shape(api: TestClient) -> None:
    kek = _kek(api, kmsProps={"b": "2", "a": "1"}, doc="the orders key")
    assert set(kek) == {"name", "kmsType", "kmsKeyId", "kmsProps", "doc", "shared", "ts",
                        "deleted"}
    assert list(kek["kmsProps"]) == ["a", "b"] and kek["shared"] is False
    assert api.get(f"{KEKS}/orders").json() == kek
    bare = _kek(api, "bare")
    assert "doc" not in bare and bare["kmsProps"] == {}


def test_cloud_kms_types_are_stored_under_one_name(api: TestClient) -> None:
    assert _kek(api, "a", kmsType="AWS")["kmsType"] == "aws-kms"
    assert _kek(api, "g", kmsType="gcp")["kmsType"] == "gcp-kms"


def test_dek_answer_has_confluents_shape(api: TestClient) -> None:
    _kek(api)
    dek = _dek(api, "orders", "orders-value")
    assert set(dek) == {"kekName", "subject", "version", "algorithm", "encryptedKeyMaterial",
                        "ts", "deleted"}
    assert (dek["version"], dek["algorithm"]) == (1, "AES256_GCM")
    assert api.get(f"{KEKS}/orders/deks/orders-value").json() == dek
    assert api.get(f"{KEKS}/orders/deks/orders-value/versions/1").json() == dek
    assert api.get(f"{KEKS}/orders/deks/orders-value/versions/latest").json() == dek


def test_versions_and_algorithms_are_kept_apart(api: TestClient) -> None:
    _kek(api)
    for version in (1, 2, 3):
        _dek(api, "orders", "s", version=version)
    _dek(api, "orders", "s", algorithm="AES256_SIV")
    assert api.get(f"{KEKS}/orders/deks/s/versions").json() == [1, 2, 3]
    assert api.get(f"{KEKS}/orders/deks/s/versions?algorithm=AES256_SIV").json() == [1]
    assert api.get(f"{KEKS}/orders/deks/s/versions/latest").json()["version"] == 3
    assert api.get(f"{KEKS}/orders/deks/s/versions/-1").json()["version"] == 3
    gone = api.get(f"{KEKS}/orders/deks/s?algorithm=AES128_GCM")
    assert _error(gone) == (404, 40470) and gone.json()["message"] == "Key 's' not found"


def test_a_subject_with_a_slash_round_trips(api: TestClient) -> None:
    _kek(api)
    _dek(api, "orders", "team/orders-value")
    assert api.get(f"{KEKS}/orders/deks").json() == ["team/orders-value"]
    assert api.get(f"{KEKS}/orders/deks/team%2Forders-value").json()["subject"] == (
        "team/orders-value")


def test_the_subject_in_the_path_creates(api: TestClient) -> None:
    _kek(api)
    made = api.post(f"{KEKS}/orders/deks/path-value", json={"encryptedKeyMaterial": _material()})
    assert made.status_code == 200 and made.json()["subject"] == "path-value"
    other = api.post(f"{KEKS}/orders/deks/path-value",
                     json={"subject": "other", "encryptedKeyMaterial": _material()})
    assert _error(other) == (422, 42271)


def test_soft_delete_listings_and_undelete_of_keks(api: TestClient) -> None:
    _kek(api, "a")
    _kek(api, "b")
    assert api.delete(f"{KEKS}/b").status_code == 204
    assert api.get(KEKS).json() == ["a"]
    assert api.get(f"{KEKS}?deleted=true").json() == ["a", "b"]
    assert _error(api.get(f"{KEKS}/b")) == (404, 40470)
    assert api.get(f"{KEKS}/b?deleted=true").json()["deleted"] is True
    assert api.delete(f"{KEKS}/b").status_code == 204  # a second soft delete is harmless
    assert api.post(f"{KEKS}/b/undelete").status_code == 204
    assert api.get(f"{KEKS}/b").json()["deleted"] is False


def test_permanent_delete_of_a_kek_needs_a_soft_delete_first(api: TestClient) -> None:
    _kek(api)
    first = api.delete(f"{KEKS}/orders?permanent=true")
    assert _error(first) == (404, 40471)
    assert "was not deleted first" in first.json()["message"]
    assert api.delete(f"{KEKS}/orders").status_code == 204
    assert api.delete(f"{KEKS}/orders?permanent=true").status_code == 204
    assert api.get(f"{KEKS}?deleted=true").json() == []
    assert _error(api.delete(f"{KEKS}/orders")) == (404, 40470)


def test_a_kek_with_deks_cannot_be_deleted(api: TestClient) -> None:
    _kek(api)
    _dek(api, "orders", "s")
    refused = api.delete(f"{KEKS}/orders")
    assert _error(refused) == (422, 42272)
    assert refused.json()["message"] == "One or more references exist to the key orders"
    assert api.delete(f"{KEKS}/orders/deks/s").status_code == 204
    assert api.delete(f"{KEKS}/orders").status_code == 204  # only deleted DEKs left
    # A permanent delete needs the DEKs gone for good first.
    assert _error(api.delete(f"{KEKS}/orders?permanent=true")) == (422, 42272)
    assert api.delete(f"{KEKS}/orders/deks/s?permanent=true").status_code == 204
    assert api.delete(f"{KEKS}/orders?permanent=true").status_code == 204


def test_soft_delete_listings_and_undelete_of_deks(api: TestClient) -> None:
    _kek(api)
    for version in (1, 2):
        _dek(api, "orders", "s", version=version)
    _dek(api, "orders", "t")
    assert api.delete(f"{KEKS}/orders/deks/s/versions/2").status_code == 204
    assert api.get(f"{KEKS}/orders/deks/s/versions").json() == [1]
    assert api.get(f"{KEKS}/orders/deks/s/versions?deleted=true").json() == [1, 2]
    assert api.get(f"{KEKS}/orders/deks/s/versions/latest").json()["version"] == 1
    assert _error(api.get(f"{KEKS}/orders/deks/s/versions/2")) == (404, 40470)
    assert api.get(f"{KEKS}/orders/deks/s/versions/2?deleted=true").json()["deleted"] is True
    assert api.post(f"{KEKS}/orders/deks/s/versions/2/undelete").status_code == 204
    assert api.get(f"{KEKS}/orders/deks/s/versions").json() == [1, 2]
    assert api.delete(f"{KEKS}/orders/deks/t").status_code == 204
    assert api.get(f"{KEKS}/orders/deks").json() == ["s"]
    assert api.get(f"{KEKS}/orders/deks?deleted=true").json() == ["s", "t"]
    assert api.post(f"{KEKS}/orders/deks/t/undelete").status_code == 204
    assert api.get(f"{KEKS}/orders/deks").json() == ["s", "t"]


def test_permanent_delete_of_deks_needs_a_soft_delete_first(api: TestClient) -> None:
    _kek(api)
    _dek(api, "orders", "s")
    assert _error(api.delete(f"{KEKS}/orders/deks/s?permanent=true")) == (404, 40471)
    assert _error(api.delete(f"{KEKS}/orders/deks/s/versions/1?permanent=true")) == (
        404, 40471)
    assert api.delete(f"{KEKS}/orders/deks/s/versions/1").status_code == 204
    assert api.delete(f"{KEKS}/orders/deks/s/versions/1?permanent=true").status_code == 204
    assert api.get(f"{KEKS}/orders/deks/s/versions?deleted=true").json() == []
    assert _error(api.delete(f"{KEKS}/orders/deks/s")) == (404, 40470)


def test_deks_of_a_deleted_kek_cannot_be_undeleted(api: TestClient) -> None:
    _kek(api)
    _dek(api, "orders", "s")
    api.delete(f"{KEKS}/orders/deks/s")
    api.delete(f"{KEKS}/orders")
    refused = api.post(f"{KEKS}/orders/deks/s/undelete")
    assert _error(refused) == (404, 40472)
    assert refused.json()["message"] == "Key 'orders' must be undeleted first"
    assert _error(api.post(f"{KEKS}/orders/deks/s/versions/1/undelete")) == (404, 40472)


def test_creating_a_deleted_key_again_undeletes_it(api: TestClient) -> None:
    kek = _kek(api)
    api.delete(f"{KEKS}/orders")
    body = {"name": "orders", "kmsType": "local-kms", "kmsKeyId": "orders-key"}
    assert api.post(KEKS, json=body).json()["deleted"] is False
    changed = {**body, "kmsKeyId": "another"}
    api.delete(f"{KEKS}/orders")
    assert _error(api.post(KEKS, json=changed)) == (409, 40971)  # not the same key
    assert kek["kmsKeyId"] == "orders-key"


def test_update_changes_doc_props_and_keeps_credentials(api: TestClient) -> None:
    _kek(api, kmsProps={"secret": SECRET, "region": "eu"})
    updated = api.put(f"{KEKS}/orders", json={"doc": "new", "kmsProps": {"region": "us"}})
    assert updated.status_code == 200
    assert (updated.json()["doc"], updated.json()["kmsProps"]) == ("new", {"region": "us"})
    # The secret was never answered, was not sent back, and is kept: shared now works.
    shared = api.put(f"{KEKS}/orders", json={"shared": True})
    assert shared.status_code == 200 and shared.json()["shared"] is True
    dek = api.post(f"{KEKS}/orders/deks", json={"subject": "s"})
    assert dek.status_code == 200 and "keyMaterial" in dek.json()
    assert _error(api.put(f"{KEKS}/nobody", json={"doc": "x"})) == (404, 40470)


def test_a_shared_kek_answers_the_same_key_material_each_time(api: TestClient) -> None:
    _kek(api, shared=True, kmsProps={"secret": SECRET})
    made = api.post(f"{KEKS}/orders/deks", json={"subject": "s", "algorithm": "AES256_SIV"})
    assert made.status_code == 200
    material = base64.b64decode(made.json()["keyMaterial"])
    assert material[:2] == b"\x12\x40" and len(material) == 66  # Tink's AesSivKey, 64 bytes
    got = api.get(f"{KEKS}/orders/deks/s?algorithm=AES256_SIV").json()
    assert got["keyMaterial"] == made.json()["keyMaterial"]
    assert got["encryptedKeyMaterial"] == made.json()["encryptedKeyMaterial"]


BAD_KEKS = [
    ({"kmsType": "local-kms", "kmsKeyId": "k"}, 42271),  # no name
    ({"name": "9starts-with-digit", "kmsType": "local-kms", "kmsKeyId": "k"}, 42271),
    ({"name": "has space", "kmsType": "local-kms", "kmsKeyId": "k"}, 42271),
    ({"name": "x" * 65, "kmsType": "local-kms", "kmsKeyId": "k"}, 42271),
    ({"name": "k", "kmsType": "local-kms"}, 42271),  # no kmsKeyId
    ({"name": "k", "kmsKeyId": "k"}, 42271),  # no kmsType
    ({"name": "k", "kmsType": "local-kms", "kmsKeyId": "k", "doc": "d" * 5000}, 42271),
    ({"name": "k", "kmsType": "local-kms", "kmsKeyId": "k",
      "kmsProps": {str(i): "v" for i in range(65)}}, 42271),
    ({"name": "k", "kmsType": "local-kms", "kmsKeyId": "k", "kmsProps": {"a": 1}}, 422),
    ({"name": "k", "kmsType": "aws-kms", "kmsKeyId": "arn", "shared": True}, 42271),
    ({"name": "k", "kmsType": "local-kms", "kmsKeyId": "k", "shared": True}, 42271),  # no secret
]


@pytest.mark.parametrize(("body", "code"), BAD_KEKS)
def test_bad_keks_are_refused_and_nothing_is_stored(
    api: TestClient, backend: Backend, body: dict[str, Any], code: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("LOCAL_SECRET", raising=False)
    _kek(api, "existing")
    before = _snapshot(backend)
    answer = api.post(KEKS, json=body)
    assert answer.status_code == 422 and answer.json()["error_code"] == code
    assert answer.json()["message"]
    assert _snapshot(backend) == before


def test_bad_deks_are_refused_and_nothing_is_stored(api: TestClient, backend: Backend) -> None:
    _kek(api)
    _dek(api, "orders", "s")
    before = _snapshot(backend)
    cases: list[tuple[str, dict[str, Any], tuple[int, int]]] = [
        ("orders", {"subject": "s", "encryptedKeyMaterial": _material()}, (409, 40971)),
        ("nobody", {"subject": "s", "encryptedKeyMaterial": _material()}, (404, 40470)),
        ("orders", {"subject": "t"}, (422, 42271)),  # not shared: material needed
        ("orders", {"subject": "t", "encryptedKeyMaterial": "not base64!"}, (422, 42271)),
        ("orders", {"subject": "t", "encryptedKeyMaterial": "A" * 9000}, (422, 42271)),
        ("orders", {"subject": "t", "encryptedKeyMaterial": _material(),
                    "algorithm": "AES512"}, (422, 42271)),
        ("orders", {"subject": "t", "encryptedKeyMaterial": _material(), "version": 0},
         (422, 42271)),
        ("orders", {"subject": "", "encryptedKeyMaterial": _material()}, (422, 42271)),
        ("orders", {"subject": "a\x00b", "encryptedKeyMaterial": _material()}, (422, 42271)),
        ("orders", {"subject": "x" * 300, "encryptedKeyMaterial": _material()}, (422, 42271)),
        ("bad name", {"subject": "t", "encryptedKeyMaterial": _material()}, (422, 42271)),
    ]
    for kek, body, expected in cases:
        assert _error(api.post(f"{KEKS}/{kek}/deks", json=body)) == expected, body
    assert _snapshot(backend) == before


def test_bad_requests_answer_4xx(api: TestClient) -> None:
    _kek(api)
    assert _error(api.get(f"{KEKS}/orders/deks/s/versions/0")) == (422, 42202)
    assert _error(api.get(f"{KEKS}/orders/deks/s/versions/x")) == (422, 42202)
    assert _error(api.get(f"{KEKS}/orders/deks/s?algorithm=nope")) == (422, 42271)
    assert _error(api.get(f"{KEKS}/bad%20name")) == (422, 42271)
    assert _error(api.post(KEKS, content=b"{", headers={"content-type": "application/json"})
                  ) == (400, 400)
    assert _error(api.post(KEKS, json=[1])) == (422, 422)
    too_big = {"name": "k", "kmsType": "local-kms", "kmsKeyId": "k" * (70 * 1024)}
    assert api.post(KEKS, json=too_big).status_code == 413
    # A context is accepted and not used, as in Confluent's registry: KEK names are global.
    assert api.get(f"{KEKS}/orders?context=.tenant").json()["name"] == "orders"


def test_a_shared_kek_refuses_material_it_cannot_unwrap(api: TestClient) -> None:
    _kek(api, shared=True, kmsProps={"secret": SECRET})
    refused = api.post(f"{KEKS}/orders/deks",
                       json={"subject": "s", "encryptedKeyMaterial": _material()})
    assert _error(refused) == (422, 42271)
    assert api.get(f"{KEKS}/orders/deks?deleted=true").json() == []


def test_the_number_of_keys_is_limited(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dek_service, "KEYS_MAX", 2)
    _kek(api, "a")
    _kek(api, "b")
    assert _error(api.post(KEKS, json={"name": "c", "kmsType": "local-kms", "kmsKeyId": "k"})
                  ) == (409, 40972)
    _dek(api, "a", "s")
    _dek(api, "a", "t")
    assert _error(api.post(f"{KEKS}/a/deks", json={
        "subject": "u", "encryptedKeyMaterial": _material()})) == (409, 40972)


@pytest.mark.postgres
def test_two_registries_on_one_postgres_see_each_others_keys(
    postgres_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    apps = [create_app(Settings(data_dir=tmp_path_factory.mktemp(f"pg-{i}"),
                                database_url=postgres_url)) for i in (1, 2)]
    try:
        one, two = (TestClient(app, raise_server_exceptions=False) for app in apps)
        name = f"k_{secrets.token_hex(4)}"
        _kek(one, name)
        assert two.get(f"{KEKS}/{name}").json()["name"] == name
        _dek(two, name, "s")
        assert one.get(f"{KEKS}/{name}/deks").json() == ["s"]
        assert one.delete(f"{KEKS}/{name}/deks/s").status_code == 204
        assert _error(two.get(f"{KEKS}/{name}/deks/s")) == (404, 40470)
    finally:
        for app in apps:
            app.state.registry.close()
