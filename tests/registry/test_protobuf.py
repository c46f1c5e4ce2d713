"""PROTOBUF in the registry: both registration forms, `?format=serialized`, references,
Confluent's compatibility findings, bad input and payload checks — on SQLite and PostgreSQL."""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient
from google.protobuf import descriptor_pb2

from compat import SchemaSource, SchemaType, parse
from compat.protobuf import ProtobufSchema
from compat.protobuf.indexes import encode_message_indexes
from tests.registry.conftest import Backend
from tests.registry.helpers import assert_error, body

ORDER_V1 = """\
syntax = "proto3";
package shop;

import "google/protobuf/timestamp.proto";

message OrderPlaced {
  string id = 1;
  repeated Item items = 2;
  google.protobuf.Timestamp placed_at = 3;
  message Item {
    string sku = 1;
    int32 quantity = 2;
  }
}
"""
ORDER_V2 = ORDER_V1.replace("  message Item {", "  string note = 4;\n  message Item {")
ORDER_BAD = ORDER_V1.replace("int32 quantity = 2;", "string quantity = 2;")


def _proto(text: str) -> dict[str, object]:
    return body(text, "PROTOBUF")


def _descriptor_of(text: str) -> str:
    schema = parse(SchemaSource(text, SchemaType.PROTOBUF))
    assert isinstance(schema, ProtobufSchema)
    return schema.serialized


def _register(client: TestClient, subject: str, text: str, **extra: object) -> int:
    response = client.post(f"/subjects/{subject}/versions", json={**_proto(text), **extra})
    assert response.status_code == 200, response.text
    schema_id = response.json()["id"]
    assert isinstance(schema_id, int)
    return schema_id


def test_types_lists_protobuf(client: TestClient) -> None:
    assert client.get("/schemas/types").json() == ["AVRO", "JSON", "PROTOBUF"]


def test_text_and_descriptor_are_one_schema(client: TestClient) -> None:
    first = _register(client, "orders-value", ORDER_V1)
    # What confluent-kafka's ProtobufSerializer sends: base64 of the FileDescriptorProto.
    again = _register(client, "orders-value", _descriptor_of(ORDER_V1))
    assert again == first
    assert client.get("/subjects/orders-value/versions").json() == [1]
    found = client.post("/subjects/orders-value", json=_proto(_descriptor_of(ORDER_V1)))
    assert found.status_code == 200, found.text
    assert (found.json()["id"], found.json()["version"]) == (first, 1)


def test_text_by_default_and_base64_with_format_serialized(client: TestClient) -> None:
    schema_id = _register(client, "orders-value", ORDER_V1)
    text = client.get(f"/schemas/ids/{schema_id}").json()
    assert text["schemaType"] == "PROTOBUF"
    assert "message OrderPlaced {" in text["schema"]
    assert "google.protobuf.Timestamp placed_at = 3;" in text["schema"]
    for path in (f"/schemas/ids/{schema_id}?format=serialized",
                 "/subjects/orders-value/versions/1?format=serialized",
                 "/subjects/orders-value/versions/latest?format=serialized"):
        answer = client.get(path).json()
        assert answer["schemaType"] == "PROTOBUF", path
        file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(answer["schema"]))
        assert [m.name for m in file.message_type] == ["OrderPlaced"], path
        assert list(file.dependency) == ["google/protobuf/timestamp.proto"], path
    # A format the type does not know answers the stored text, as for Avro and JSON.
    assert client.get(f"/schemas/ids/{schema_id}?format=resolved").json() == text
    assert client.get("/subjects/orders-value/versions/1").json()["schema"] == text["schema"]


def test_avro_ignores_format_serialized(client: TestClient) -> None:
    response = client.post("/subjects/a/versions", json=body('"string"'))
    schema_id = response.json()["id"]
    answer = client.get(f"/schemas/ids/{schema_id}?format=serialized").json()
    assert answer == {"schema": '"string"'}


def test_compatibility_findings_carry_rule_and_location(client: TestClient) -> None:
    _register(client, "orders-value", ORDER_V1)
    assert _register(client, "orders-value", ORDER_V2) > 0
    check = client.post(
        "/compatibility/subjects/orders-value/versions/latest?verbose=true",
        json=_proto(ORDER_BAD),
    )
    assert check.status_code == 200, check.text
    assert check.json()["is_compatible"] is False
    [message] = [m for m in check.json()["messages"] if "FIELD_SCALAR_KIND_CHANGED" in m]
    assert "#/OrderPlaced/Item/quantity" in message
    refused = client.post("/subjects/orders-value/versions", json=_proto(ORDER_BAD))
    assert_error(refused, 409, 409)


def test_imports_resolve_through_references(client: TestClient) -> None:
    common = 'syntax = "proto3";\npackage common;\nmessage Money { int64 units = 1; }\n'
    _register(client, "money", common)
    order = ('syntax = "proto3";\nimport "common/money.proto";\n'
             "message Order { common.Money price = 1; }\n")
    refs = [{"name": "common/money.proto", "subject": "money", "version": 1}]
    schema_id = _register(client, "order", order, references=refs)
    answer = client.get(f"/schemas/ids/{schema_id}").json()
    assert answer["references"] == refs
    missing = client.post("/subjects/order2/versions", json=_proto(order))
    data = assert_error(missing, 422, 42201)
    assert "common/money.proto" in data["message"]


BAD = {
    "syntax error": 'syntax = "proto3";\nmessage A {\n  int32 n = 1\n}\n',
    "duplicate number": 'syntax = "proto3"; message A { int32 a = 1; int32 b = 1; }',
    "number out of range": 'syntax = "proto3"; message A { int32 a = 536870912; }',
    "reserved clash": 'syntax = "proto3"; message A { reserved 2; int32 a = 2; }',
    "unknown type": 'syntax = "proto3"; message A { Nope n = 1; }',
    "unknown import": 'syntax = "proto3"; import "x/y.proto"; message A {}',
    "truncated base64": _descriptor_of(ORDER_V1)[:-3],
    "base64 of garbage": base64.b64encode(b"\xff\xfe\xfd\xfc").decode(),
}


@pytest.mark.parametrize("text", BAD.values(), ids=list(BAD))
def test_bad_protobuf_is_42201_and_stores_nothing(
    client: TestClient, backend: Backend, text: str
) -> None:
    _register(client, "s", ORDER_V1)
    before = backend.snapshot()
    for path in ("/subjects/s/versions", "/subjects/s", "/compatibility/subjects/s/versions"):
        data = assert_error(client.post(path, json=_proto(text)), 422, 42201)
        assert data["message"].startswith("Invalid schema")
    assert backend.snapshot() == before


def test_payload_check_reads_indexes_and_message(client: TestClient, backend: Backend) -> None:
    text = ('syntax = "proto2"; package p;'
            " message A { required int32 n = 1; message B { optional string s = 1; } }")
    schema_id = _register(client, "p", text)
    check = backend.registry.service.payload_check(schema_id)
    assert check is not None
    assert check(b"\x00" + b"\x08\x05") is None  # [0]: A with n = 5
    assert check(encode_message_indexes([0, 0]) + b"\x0a\x01x") is None  # A.B with s = "x"
    assert "required fields of p.A" in (check(b"\x00") or "")
    assert "message indexes" in (check(encode_message_indexes([3])) or "")
    assert "not Protobuf binary" in (check(b"\x00\x0a\x05ab") or "")
    assert "message indexes" in (check(b"") or "")
