"""Bad input is a 4xx with a code and a message, never a 500, and changes nothing stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from registry import Settings, create_app
from registry.app import build_registry
from tests.registry.conftest import Backend
from tests.registry.helpers import JSON_V1, USER_V1, assert_error, body

WRITE_ENDPOINTS = [
    ("POST", "/subjects/users/versions"),
    ("POST", "/subjects/users"),
    ("POST", "/compatibility/subjects/users/versions"),
    ("POST", "/compatibility/subjects/users/versions/latest"),
    ("PUT", "/config"),
    ("PUT", "/config/users"),
    ("PUT", "/mode"),
    ("PUT", "/mode/users"),
]


@pytest.fixture
def seeded(client: TestClient, backend: Backend) -> Iterator[TestClient]:
    assert client.post("/subjects/users/versions", json=body(USER_V1)).status_code == 200
    before = backend.snapshot()
    yield client
    assert backend.snapshot() == before


@pytest.mark.parametrize(
    "payload",
    [b"{", b"{'schema': 1}", b"not json", b"\xff\xfe", b"", b"   ", b'{"schema": "x",}'],
)
def test_malformed_json_bodies(seeded: TestClient, payload: bytes) -> None:
    for method, path in WRITE_ENDPOINTS:
        response = seeded.request(method, path, content=payload)
        assert_error(response, 400, 400)


@pytest.mark.parametrize("payload", [[], "schema", 12, None, True])
def test_bodies_that_are_not_objects(seeded: TestClient, payload: object) -> None:
    for method, path in WRITE_ENDPOINTS:
        response = seeded.request(method, path, content=json.dumps(payload))
        assert_error(response, 422, 422)


def test_wrongly_typed_fields(seeded: TestClient) -> None:
    path = "/subjects/users/versions"
    assert_error(seeded.post(path, json={"schema": 12}), 422, 422)
    assert_error(seeded.post(path, json={"schema": USER_V1, "references": "x"}), 422, 422)
    assert_error(seeded.post(path, json={"schema": USER_V1, "references": [{"name": 1}]}), 422, 422)
    assert_error(seeded.post(path, json={"schema": USER_V1, "version": "one"}), 422, 422)
    assert_error(seeded.post(path, json={}), 422, 42201)
    assert_error(seeded.post(path, json={"schema": ""}), 422, 42201)
    assert_error(seeded.post(path, json={"schema": None}), 422, 42201)


@pytest.mark.parametrize(
    ("schema", "schema_type"),
    [
        ('{"type": "record"}', None),
        ('{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nope"}]}', None),
        ('{"type": "enum", "name": "E", "symbols": ["A", "A"]}', None),
        ("{not json at all", None),
        ('"not-a-type"', "AVRO"),
        ('{"type": 12}', "JSON"),
        ('{"properties": []}', "JSON"),
        ("[1, 2", "JSON"),
        ('{"$ref": "missing.json"}', "JSON"),
    ],
)
def test_invalid_schemas(seeded: TestClient, schema: str, schema_type: str | None) -> None:
    for path in (
        "/subjects/users/versions",
        "/subjects/users",
        "/compatibility/subjects/users/versions",
        "/compatibility/subjects/users/versions/1",
    ):
        assert_error(seeded.post(path, json=body(schema, schema_type)), 422, 42201)


@pytest.mark.parametrize("schema_type", ["PROTOBUF", "XML", "", "avro2"])
def test_unknown_schema_types(seeded: TestClient, schema_type: str) -> None:
    response = seeded.post(
        "/subjects/users/versions", json={"schema": JSON_V1, "schemaType": schema_type}
    )
    if schema_type == "":  # an empty type means the default, AVRO, which this text is not
        assert response.status_code == 422
    else:
        assert_error(response, 422, 42201)


def test_oversize_schema_is_42209(seeded: TestClient, backend: Backend) -> None:
    limit = backend.registry.settings.schema_bytes_max
    doc = json.dumps({"type": "string", "doc": "x" * limit})
    assert_error(seeded.post("/subjects/users/versions", json=body(doc)), 422, 42209)
    assert_error(seeded.post("/subjects/users", json=body(doc)), 422, 42209)


def test_oversize_request_is_413(seeded: TestClient, backend: Backend) -> None:
    limit = backend.registry.settings.request_bytes_max
    payload = b'{"schema": "' + b"x" * limit + b'"}'
    assert_error(seeded.post("/subjects/users/versions", content=payload), 413, 41301)


@pytest.mark.parametrize(
    "raw",
    [
        "a%00b",  # NUL
        "line%0Abreak",
        "tab%09",
        "%1F",
        "%7F",
        "x" * 256,
        "%20padded",
        "__GLOBAL",
    ],
)
def test_invalid_subject_names(seeded: TestClient, raw: str) -> None:
    for method, path in [
        ("POST", f"/subjects/{raw}/versions"),
        ("POST", f"/subjects/{raw}"),
        ("GET", f"/subjects/{raw}/versions"),
        ("DELETE", f"/subjects/{raw}"),
        ("PUT", f"/config/{raw}"),
        ("PUT", f"/mode/{raw}"),
    ]:
        response = seeded.request(method, path, json=body(USER_V1))
        assert_error(response, 422, 42208)


def test_unicode_and_encoded_slash_subjects(client: TestClient, backend: Backend) -> None:
    names = {"ünïcødé-✓": "%C3%BCn%C3%AFc%C3%B8d%C3%A9-%E2%9C%93", "team/orders": "team%2Forders"}
    names["a%2Fb"] = "a%252Fb"  # a literal percent sign survives
    names["x" * 255] = "x" * 255
    for subject, encoded in names.items():
        response = client.post(f"/subjects/{encoded}/versions", json=body(USER_V1))
        assert response.status_code == 200, (subject, response.text)
        view = client.get(f"/subjects/{encoded}/versions/1").json()
        assert view["subject"] == subject
    assert sorted(client.get("/subjects").json()) == sorted(names)
    # A raw slash is a different path, not the subject `team/orders`.
    assert client.get("/subjects/team/orders/versions").status_code == 404


def test_odd_query_values(seeded: TestClient) -> None:
    assert_error(seeded.delete("/subjects/users?permanent=perhaps"), 422, 422)
    assert_error(seeded.get("/subjects?deleted=2"), 422, 422)
    assert_error(seeded.post("/subjects/users?normalize=yesno", json=body(USER_V1)), 422, 422)


def test_unexpected_errors_have_error_bodies(backend: Backend) -> None:
    boom = APIRouter()

    @boom.get("/boom")
    def explode() -> None:
        raise RuntimeError("secret detail /etc/passwd")

    @boom.get("/store-boom")
    def store_explode() -> None:
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    app = create_app(backend.registry.settings, registry=backend.registry, extra_routers=[boom])
    client = TestClient(app, raise_server_exceptions=False)
    data = assert_error(client.get("/boom"), 500, 50000)
    assert "secret" not in data["message"] and "Traceback" not in data["message"]
    assert_error(client.get("/store-boom"), 500, 50001)


def test_health_is_503_when_the_database_does_not_answer(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"
    )
    registry = build_registry(settings, prepare=False)
    client = TestClient(create_app(settings, registry=registry), raise_server_exceptions=False)
    assert_error(client.get("/health"), 503, 50001)
    assert_error(client.get("/subjects"), 500, 50001)
    assert client.get("/").status_code == 200


@pytest.mark.parametrize(
    ("schema", "schema_type"),
    [
        ('{"type": "string", "doc": "\\ud800"}', None),
        ('{"type": "object", "description": "\\udfff"}', "JSON"),
        ('{"type": "record", "name": "\\ud800", "fields": []}', None),
        ('{"type": "\\ud800"}', "JSON"),
        ('{"type": "\\ud800x"}', None),
    ],
)
def test_unpaired_surrogates_are_invalid_schemas(
    seeded: TestClient, schema: str, schema_type: str | None
) -> None:
    for path in ("/subjects/users/versions", "/subjects/users"):
        assert_error(seeded.post(path, json=body(schema, schema_type)), 422, 42201)


def test_control_characters_in_schemas_are_kept_escaped(client: TestClient) -> None:
    field = '{"name": "a", "type": "int", "doc": "\\u0000\\n"}'
    schema = '{"type": "record", "name": "R", "fields": [' + field + "]}"
    response = client.post("/subjects/ctl/versions", json=body(schema))
    assert response.status_code == 200, response.text
    stored = client.get("/subjects/ctl/versions/1").json()["schema"]
    assert json.loads(stored)["fields"][0]["doc"] == "\x00\n"


def test_invalid_reference_subjects(seeded: TestClient) -> None:
    for subject, status, code in (("a\x00b", 422, 42201), ("", 422, 42201), ("\ud800", 400, 400)):
        ref = {"name": "x", "subject": subject, "version": 1}
        response = seeded.post(
            "/subjects/users/versions",
            content=json.dumps(body(USER_V1, references=[ref])),
        )
        assert_error(response, status, code)
    for name in ("a\x00b", "tab\t"):
        ref = {"name": name, "subject": "users", "version": 1}
        response = seeded.post(
            "/subjects/users/versions",
            content=json.dumps(body(USER_V1, references=[ref])),
        )
        assert_error(response, 422, 42201)


BIG = 10**20


def test_out_of_range_numbers(client: TestClient, backend: Backend) -> None:
    assert client.post("/subjects/b/versions", json=body(USER_V1)).status_code == 200
    for path in (f"/schemas/ids/{BIG}", f"/schemas/ids/{2**31}", f"/schemas/ids/{BIG}/schema"):
        assert_error(client.get(path), 404, 40403)
    assert_error(client.get(f"/schemas/ids/{BIG}/versions"), 404, 40403)
    assert client.get(f"/subjects?offset={BIG}&limit={BIG}").json() == []
    client.put("/mode", json={"mode": "IMPORT"}, params={"force": "true"})
    before = backend.snapshot()
    too_far = {"name": "x", "subject": "b", "version": 2**31}
    cases = [
        (body(USER_V1, references=[too_far]), 42201),
        (body(USER_V1, references=[dict(too_far, version=BIG)]), 422),
        (body(USER_V1, id=BIG, version=1), 422),
        (body(USER_V1, id=2**31, version=1), 422),
        (body(USER_V1, id=-5, version=1), 422),
        (body(USER_V1, id=1, version=BIG), 422),
        (body(USER_V1, id=1, version=2**31), 42202),
    ]
    for payload, code in cases:
        assert_error(client.post("/subjects/c/versions", json=payload), 422, code)
    assert backend.snapshot() == before


def _nested(depth: int, leaf: str) -> str:
    return '{"type": "array", "items": ' * depth + leaf + "}" * depth


def test_deeply_nested_schemas_are_4xx(client: TestClient) -> None:
    client.put("/config", json={"compatibility": "FULL_TRANSITIVE"})
    for depth in (60, 900, 5000):
        for old, new, schema_type in (
            ('"int"', '"long"', None),
            ('{"type": "string"}', '{"type": "integer"}', "JSON"),
        ):
            subject = f"deep-{depth}-{schema_type}"
            for leaf in (old, new):
                response = client.post(
                    f"/subjects/{subject}/versions", json=body(_nested(depth, leaf), schema_type)
                )
                assert response.status_code in (200, 409, 422), response.text
            check = client.post(
                f"/compatibility/subjects/{subject}/versions?verbose=true",
                json=body(_nested(depth, new), schema_type),
            )
            assert check.status_code in (200, 422), check.text


def test_error_bodies_survive_unpaired_surrogates_in_messages() -> None:
    from registry.http import error_response

    response = error_response(422, 42201, "bad name \ud800")
    assert json.loads(response.body) == {"error_code": 42201, "message": "bad name \ud800"}
