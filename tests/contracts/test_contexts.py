"""Schema contexts, modes and the smaller gaps of #12, over HTTP against the registry app, on
SQLite and PostgreSQL: qualified subjects, one id space per context, the `/contexts/{ctx}/...`
URL forms, `?subject=` on schema ids, context deletion, per-context config and mode,
READONLY_OVERRIDE, `format=resolved` and looking up soft-deleted schemas."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from tests.registry.conftest import Backend
from tests.registry.helpers import USER_BAD, USER_V1, USER_V2, assert_error, body, record

A_SCHEMA = record("A", ("a", "long"))
B_SCHEMA = record("B", ("b", "string"))
C_SCHEMA = record("C", ("c", "int"))
MONEY = record("Money", ("cents", "long"))
INVOICE = json.dumps({"type": "record", "name": "Invoice",
                      "fields": [{"name": "amount", "type": "Money"}]})


def _register(client: TestClient, subject: str, schema: str, **extra: object) -> dict[str, object]:
    r = client.post(f"/subjects/{subject}/versions", json=body(schema, **extra))
    assert r.status_code == 200, r.text
    answer: dict[str, object] = r.json()
    return answer


def test_each_context_has_its_own_ids(client: TestClient) -> None:
    a = _register(client, ":.a:s", A_SCHEMA)
    b = _register(client, ":.b:s", B_SCHEMA)
    c = _register(client, "s", C_SCHEMA)
    assert (a["id"], b["id"], c["id"]) == (1, 1, 1)
    assert len({a["guid"], b["guid"], c["guid"]}) == 3
    # The same text in two contexts is two schemas; in one context, one schema.
    again = _register(client, ":.a:t", B_SCHEMA)
    assert (again["id"], again["version"]) == (2, 1)
    assert _register(client, ":.a:u", B_SCHEMA)["id"] == 2

    def text(path: str) -> str:
        r = client.get(path)
        assert r.status_code == 200, r.text
        return str(r.json()["schema"])

    assert json.loads(text("/schemas/ids/1")) == json.loads(C_SCHEMA)
    assert json.loads(text("/schemas/ids/1?subject=:.a:")) == json.loads(A_SCHEMA)
    assert json.loads(text("/schemas/ids/1?subject=:.b:s")) == json.loads(B_SCHEMA)
    assert json.loads(text("/contexts/.a/schemas/ids/1")) == json.loads(A_SCHEMA)
    assert json.loads(text("/contexts/b/schemas/ids/1")) == json.loads(B_SCHEMA)
    # A plain subject is looked for in the default context, then in the contexts holding it.
    assert json.loads(text("/schemas/ids/2?subject=t")) == json.loads(B_SCHEMA)
    assert_error(client.get("/schemas/ids/2"), 404, 40403)
    assert_error(client.get("/schemas/ids/2?subject=:.b:"), 404, 40403)
    assert_error(client.get("/schemas/ids/1?subject=:.nowhere:"), 404, 40403)
    assert client.get("/schemas/ids/2/subjects?subject=:.a:").json() == [":.a:t", ":.a:u"]
    assert client.get("/contexts/.a/schemas/ids/2/versions").json() == [
        {"subject": ":.a:t", "version": 1}, {"subject": ":.a:u", "version": 1}]
    assert client.get("/schemas/ids/1/schema?subject=:.b:").text == B_SCHEMA.replace(" ", "")
    # One GUID per schema; `/ids` lists the id it has.
    assert client.get(f"/schemas/guids/{a['guid']}/ids").json() == [1]


def test_contexts_are_listed_and_subjects_keep_qualified_names(client: TestClient) -> None:
    assert client.get("/contexts").json() == ["."]
    _register(client, ":.tenant-b:orders", A_SCHEMA)
    _register(client, ":.tenant-a:orders", A_SCHEMA)
    _register(client, "orders", A_SCHEMA)
    assert client.get("/contexts").json() == [".", ".tenant-a", ".tenant-b"]
    assert client.get("/contexts?offset=1&limit=1").json() == [".tenant-a"]
    assert client.get("/subjects").json() == [":.tenant-a:orders", ":.tenant-b:orders", "orders"]
    assert client.get("/subjects?subjectPrefix=:*:").json() == client.get("/subjects").json()
    assert client.get("/subjects?subjectPrefix=:.tenant-a:").json() == [":.tenant-a:orders"]
    assert client.get("/subjects?subjectPrefix=ord").json() == ["orders"]
    assert client.get("/contexts/.tenant-a/subjects").json() == [":.tenant-a:orders"]
    assert [s["subject"] for s in client.get("/contexts/.tenant-b/schemas").json()] == [
        ":.tenant-b:orders"]
    plain = client.get("/subjects/:.tenant-a:orders/versions/1").json()
    assert client.get("/contexts/.tenant-a/subjects/orders/versions/1").json() == plain
    assert plain["subject"] == ":.tenant-a:orders"
    r = client.post("/contexts/.tenant-a/compatibility/subjects/orders/versions/latest",
                    json=body(record("A", ("a", "long"), ("b", "int"), default={"b": 0})))
    assert r.json() == {"is_compatible": True}
    r = client.post("/contexts/.tenant-a/compatibility/subjects/orders/versions/latest?verbose=1",
                    json=body(record("A", ("a", "string"))))
    assert r.json()["is_compatible"] is False
    # `:.:name` is `name` of the default context.
    assert client.get("/subjects/:.:orders/versions/1").json()["subject"] == "orders"
    assert _register(client, ":.:orders", A_SCHEMA)["version"] == 1


def test_a_context_is_deleted_only_when_empty(client: TestClient, backend: Backend) -> None:
    _register(client, ":.gone:s", A_SCHEMA)
    assert_error(client.delete("/contexts/.gone"), 422, 42211)
    assert client.delete("/subjects/:.gone:s").status_code == 200
    body_ = assert_error(client.delete("/contexts/.gone"), 422, 42211)  # soft-deleted counts
    assert body_["message"] == "The specified context '.gone' is not empty."
    assert client.delete("/subjects/:.gone:s?permanent=true").status_code == 200
    assert client.put("/config/:.gone:", json={"compatibility": "NONE"}).status_code == 200
    r = client.delete("/contexts/.gone")
    assert (r.status_code, r.content) == (204, b"")
    assert client.get("/contexts").json() == ["."]
    assert_error(client.get("/config/:.gone:"), 404, 40408)  # its own config went with it
    assert_error(client.delete("/contexts/.gone"), 404, 40401)
    assert_error(client.delete("/contexts/:.:"), 422, 42205)  # the default one
    before = backend.snapshot()
    assert_error(client.delete("/contexts/a:b"), 400, 400)
    assert backend.snapshot() == before


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("POST", "/subjects/:.a:/versions", 422, 42208),  # a context alone is no subject
    ("POST", "/subjects/:.__GLOBAL:s/versions", 422, 42208),  # config and mode only
    ("POST", "/subjects/:.a:__GLOBAL/versions", 422, 42208),
    ("POST", "/subjects/:.a:__EMPTY/versions", 422, 42208),
    ("POST", "/subjects/:...:s/versions", 422, 42208),  # a context name of dots only
    ("POST", "/contexts/a:b/subjects/s/versions", 400, 400),
    ("POST", "/contexts/.a/subjects/:.a:/versions", 422, 42208),
    ("POST", f"/subjects/:.{'x' * 300}:s/versions", 422, 42208),
    ("GET", "/schemas/ids/1?subject=:.a%01:", 422, 42208),
    ("GET", "/contexts/.nowhere/schemas/ids/1", 404, 40403),
    ("GET", "/contexts/.nowhere/subjects/s/versions", 404, 40401),
])
def test_bad_context_input_is_refused_and_stores_nothing(
    client: TestClient, backend: Backend, method: str, path: str, status: int, code: int
) -> None:
    _register(client, "s", A_SCHEMA)
    before = backend.snapshot()
    r = client.request(method, path, json=body(B_SCHEMA))
    assert_error(r, status, code)
    assert backend.snapshot() == before


def test_config_and_mode_per_context(client: TestClient) -> None:
    _register(client, "s", USER_V1)
    _register(client, ":.lax:s", USER_V1)
    assert client.put("/contexts/.lax/config", json={"compatibility": "NONE"}).status_code == 200
    assert client.get("/config/:.lax:").json()["compatibilityLevel"] == "NONE"
    assert client.get("/config/:.lax:s?defaultToGlobal=true").json()[
        "compatibilityLevel"] == "NONE"
    assert_error(client.post("/subjects/s/versions", json=body(USER_BAD)), 409, 409)
    assert _register(client, ":.lax:s", USER_BAD)["version"] == 2
    # A subject's own config wins over its context's.
    assert client.put("/contexts/.lax/config/s", json={"compatibility": "FULL"}).json()[
        "compatibility"] == "FULL"
    assert client.get("/config/:.lax:s").json()["compatibilityLevel"] == "FULL"

    assert client.put("/contexts/.lax/mode", json={"mode": "READONLY"}).status_code == 200
    assert client.get("/mode/:.lax:").json() == {"mode": "READONLY"}
    assert client.get("/mode/:.lax:s?defaultToGlobal=true").json() == {"mode": "READONLY"}
    assert_error(client.get("/mode/:.lax:s"), 404, 40409)
    assert_error(client.post("/subjects/:.lax:t/versions", json=body(USER_V1)), 422, 42205)
    assert _register(client, "t", USER_V1)["version"] == 1  # other contexts are not held
    assert client.delete("/contexts/.lax/mode").status_code == 200
    assert _register(client, ":.lax:t", USER_V1)["version"] == 1


def test_readonly_override_holds_every_subject_and_context(client: TestClient) -> None:
    _register(client, "s", USER_V1)
    assert client.put("/mode/s", json={"mode": "READWRITE"}).status_code == 200
    try:
        # Registry-wide READONLY holds the default context's subjects, but not a subject's
        # own READWRITE, nor other contexts (Confluent's lookup): READONLY_OVERRIDE holds all.
        assert client.put("/mode", json={"mode": "READONLY"}).status_code == 200
        assert _register(client, "s", USER_V2)["version"] == 2
        assert_error(client.post("/subjects/u/versions", json=body(USER_V1)), 422, 42205)
        assert _register(client, ":.other:u", USER_V1)["version"] == 1
        r = client.put("/mode", json={"mode": "readonly_override"})
        assert r.json() == {"mode": "READONLY_OVERRIDE"}
        for subject in ("s", ":.other:u", "new"):
            r = client.post(f"/subjects/{subject}/versions", json=body(record("N", ("n", "int"))))
            assert_error(r, 422, 42205)
        assert client.get("/mode/s").json() == {"mode": "READONLY_OVERRIDE"}
        assert client.get("/mode/nobody").json() == {"mode": "READONLY_OVERRIDE"}
        assert_error(client.delete("/subjects/s"), 422, 42205)
    finally:
        client.delete("/mode")
    assert client.get("/mode/s").json() == {"mode": "READWRITE"}
    assert_error(client.put("/mode", json={"mode": "READONLY_OVERLORD"}), 422, 42204)


def test_references_resolve_within_their_context(client: TestClient) -> None:
    _register(client, "money", record("Money", ("euros", "long")))  # another Money, default
    money = _register(client, ":.b:money", MONEY)
    refs = [{"name": "Money", "subject": "money", "version": 1}]
    invoice = _register(client, ":.b:invoice", INVOICE, references=refs)
    assert invoice["references"] == [{"name": "Money", "subject": ":.b:money", "version": 1}]
    assert client.get("/subjects/:.b:money/versions/1/referencedby").json() == [invoice["id"]]
    assert client.get("/subjects/money/versions/1/referencedby").json() == []
    assert_error(client.delete("/subjects/:.b:money"), 422, 42206)
    resolved = client.get("/contexts/.b/subjects/invoice/versions/1?format=resolved").json()
    amount = json.loads(resolved["schema"])["fields"][0]["type"]
    assert amount["name"] == "Money"
    assert [f["name"] for f in amount["fields"]] == ["cents"]
    assert money["id"] == 1


def test_format_resolved_inlines_avro_references(client: TestClient) -> None:
    _register(client, "money", MONEY)
    refs = [{"name": "Money", "subject": "money", "version": 1}]
    invoice = _register(client, "invoice", INVOICE, references=refs)
    plain = client.get(f"/schemas/ids/{invoice['id']}").json()
    assert json.loads(plain["schema"])["fields"][0]["type"] == "Money"
    for path in (f"/schemas/ids/{invoice['id']}?format=resolved",
                 "/subjects/invoice/versions/1?format=resolved",
                 f"/schemas/guids/{invoice['guid']}?format=resolved"):
        resolved = client.get(path).json()
        amount = json.loads(resolved["schema"])["fields"][0]["type"]
        assert amount["type"] == "record" and amount["name"] == "Money", path
        assert resolved["references"] == refs, path  # the references are still named
    raw = client.get("/subjects/invoice/versions/1/schema?format=resolved").text
    assert json.loads(raw)["fields"][0]["type"]["fields"] == [{"name": "cents", "type": "long"}]
    # Without references the stored text is the whole schema already.
    assert client.get("/subjects/money/versions/1?format=resolved").json()["schema"] == \
        client.get("/subjects/money/versions/1").json()["schema"]


def test_lookup_finds_a_soft_deleted_version_only_when_asked(client: TestClient) -> None:
    _register(client, "s", USER_V1)
    _register(client, "s", USER_V2)
    assert client.delete("/subjects/s/versions/1").status_code == 200
    assert_error(client.post("/subjects/s", json=body(USER_V1)), 404, 40403)
    found = client.post("/subjects/s?deleted=true", json=body(USER_V1)).json()
    assert (found["version"], found["subject"]) == (1, "s")
    assert client.delete("/subjects/s").status_code == 200
    assert_error(client.post("/subjects/s", json=body(USER_V2)), 404, 40401)
    assert client.post("/subjects/s?deleted=true", json=body(USER_V2)).json()["version"] == 2


def test_schema_tags_are_refused_not_dropped(client: TestClient, backend: Backend) -> None:
    before = backend.snapshot()
    tags = [{"entity": {"entityPath": "User.id", "entityType": "SR_FIELD"}, "tags": ["PII"]}]
    for field in ("schemaTagsToAdd", "schemaTagsToRemove"):
        r = client.post("/subjects/s/versions", json=body(USER_V1, **{field: tags}))
        assert_error(r, 422, 422)
    assert backend.snapshot() == before
    assert _register(client, "s", USER_V1, schemaTagsToAdd=[])["version"] == 1


def test_a_plain_subject_query_is_served_from_the_id_cache(
    client: TestClient, backend: Backend
) -> None:
    """Deserialisers send `?subject=<topic subject>`; the default context's cached bodies
    answer them, and a context's ids never come from that cache."""
    service = backend.registry.service
    _register(client, "s", A_SCHEMA)
    _register(client, ":.a:s", B_SCHEMA)
    client.get("/schemas/ids/1")  # cached from here on (when the caches are trusted)
    hits = service.caches.id_hits
    assert json.loads(client.get("/schemas/ids/1?subject=s").json()["schema"]) == \
        json.loads(A_SCHEMA)
    assert service.caches.id_hits == hits + (1 if service.trusted else 0)
    assert json.loads(client.get("/schemas/ids/1?subject=:.a:s").json()["schema"]) == \
        json.loads(B_SCHEMA)
    assert service.caches.id_hits == hits + (1 if service.trusted else 0)
