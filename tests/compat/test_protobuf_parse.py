"""Protobuf parsing: protoc's descriptors, the printed canonical text, both registration forms."""

from __future__ import annotations

import base64

import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from compat import (
    Reference,
    ReferenceResolutionError,
    SchemaParseError,
    SchemaSource,
    SchemaType,
    parse,
)
from compat.protobuf import ProtobufSchema
from tests.compat.corpus import all_cases

PROTOBUF = SchemaType.PROTOBUF

PROTO3 = """\
syntax = "proto3";
package shop.orders.v1;

import "google/protobuf/timestamp.proto";
import "google/type/money.proto";

option java_package = "com.example.shop";
option java_multiple_files = true;

// An order was placed.
message OrderPlaced {
  string order_id = 1;
  repeated Item items = 2;
  google.protobuf.Timestamp placed_at = 3;
  map<string, string> labels = 4;
  optional string note = 5 [json_name = "remark"];
  oneof payment {
    string card_token = 6;
    google.type.Money cash = 7 [deprecated = true];
  }
  Status status = 8;
  reserved 20, 30 to 40, 100 to max;
  reserved "legacy", "old_total";

  message Item {
    string sku = 1;
    uint32 quantity = 2;
    map<int64, Item> parts = 3;
    repeated double weights = 4 [packed = false];
  }
  enum Status {
    option allow_alias = true;
    STATUS_UNSPECIFIED = 0;
    STATUS_PLACED = 1;
    STATUS_NEW = 1;
    reserved 5, 9 to 11;
    reserved "STATUS_GONE";
  }
}

message Empty {}

service Orders {
  rpc Place(OrderPlaced) returns (Empty);
  rpc Watch(stream Empty) returns (stream OrderPlaced) {
    option deprecated = true;
  }
}
"""

PROTO2 = r"""
syntax = "proto2";
package legacy;

import "google/protobuf/descriptor.proto";

extend google.protobuf.FieldOptions {
  optional string sensitivity = 51234;
  repeated int32 tags = 51235;
}
extend google.protobuf.MessageOptions {
  optional Owner owner = 51236;
}

message Owner {
  optional string team = 1;
  optional int32 level = 2;
  extensions 10 to 20;
}

message Account {
  option (owner) = { team: "payments" level: 2 };
  required string id = 1 [(sensitivity) = "low", (tags) = 1, (tags) = 2];
  optional string name = 2 [default = "n\"a\tme"];
  optional bytes blob = 3 [default = "\001\377"];
  optional double ratio = 4 [default = inf];
  optional Kind kind = 5 [default = KIND_B];
  optional float small = 6 [default = -1.5];
  repeated int64 counts = 7 [packed = true];
  optional group Result = 8 {
    required string url = 9;
  }
  extensions 100 to 199, 1000 to max;
  enum Kind {
    KIND_A = 1;
    KIND_B = 2;
  }
  extend Owner {
    optional bool primary = 10;
  }
}
"""


def _parse(text: str, references: tuple[Reference, ...] = (), resolver=None) -> ProtobufSchema:  # type: ignore[no-untyped-def]
    schema = parse(SchemaSource(text, PROTOBUF, references), resolver)
    assert isinstance(schema, ProtobufSchema)
    return schema


def _without_name(file: descriptor_pb2.FileDescriptorProto) -> bytes:
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(file)
    copy.ClearField("name")
    return copy.SerializeToString(deterministic=True)


EDITION = """
edition = "2023";
package ed;
import public "google/protobuf/duration.proto";
option features.field_presence = IMPLICIT;
message A {
  int32 a = 1;
  string b = 2 [features.field_presence = EXPLICIT];
  int32 r = 3 [features.field_presence = LEGACY_REQUIRED];
  G g = 4 [features.message_encoding = DELIMITED];
  google.protobuf.Duration d = 5;
  message G { int32 x = 1; }
}
enum E { option features.enum_type = CLOSED; E_A = 0; }
"""


@pytest.mark.parametrize("text", [PROTO3, PROTO2, EDITION], ids=["proto3", "proto2", "edition"])
def test_canonical_text_compiles_back_to_the_same_descriptor(text: str) -> None:
    schema = _parse(text)
    again = _parse(schema.canonical_text)
    assert _without_name(again.file) == _without_name(schema.file)
    assert again.canonical_text == schema.canonical_text  # a fixpoint


@pytest.mark.parametrize("text", [PROTO3, PROTO2], ids=["proto3", "proto2"])
def test_normalized_text_describes_the_same_messages(text: str) -> None:
    schema = _parse(text)
    normal = _parse(schema.normalized_text)
    assert normal.normalized_text == schema.normalized_text
    pool_a, pool_b = schema.pool, normal.pool
    for message in schema.file.message_type:
        name = f"{schema.file.package}.{message.name}"
        a, b = pool_a.FindMessageTypeByName(name), pool_b.FindMessageTypeByName(name)
        assert sorted((f.number, f.name, f.type) for f in a.fields) == sorted(
            (f.number, f.name, f.type) for f in b.fields
        )


def test_every_corpus_schema_round_trips_through_its_canonical_text() -> None:
    count = 0
    for case in all_cases():
        if case.schema_type is not PROTOBUF:
            continue
        for source in [*case.history, case.new]:
            schema = parse(source, case.resolver)
            assert isinstance(schema, ProtobufSchema)
            again = parse(SchemaSource(schema.canonical_text, PROTOBUF, source.references),
                          case.resolver)
            assert isinstance(again, ProtobufSchema)
            assert _without_name(again.file) == _without_name(schema.file), case.id
            count += 1
    assert count >= 120


def test_the_printer_keeps_what_the_source_says() -> None:
    text = _parse(PROTO3).canonical_text
    for line in (
        "map<string, string> labels = 4;",
        'optional string note = 5 [json_name = "remark"];',
        "google.type.Money cash = 7 [deprecated = true];",
        "reserved 20, 30 to 40, 100 to max;",
        "map<int64, Item> parts = 3;",
        "repeated double weights = 4 [packed = false];",
        "rpc Watch(stream Empty) returns (stream OrderPlaced) {",
        'option java_package = "com.example.shop";',
        "option allow_alias = true;",
        "reserved 9 to 11;" if False else "reserved 5, 9 to 11;",
    ):
        assert line in text, line
    legacy = _parse(PROTO2).canonical_text
    for line in (
        'option (owner) = { team: "payments" level: 2 };',
        'required string id = 1 [(sensitivity) = "low", (tags) = 1, (tags) = 2];',
        "optional group Result = 8 {",
        "extensions 100 to 199;",
        "extensions 1000 to max;",
        "optional Kind kind = 5 [default = KIND_B];",
        "extend Owner {",
    ):
        assert line in legacy, line


def test_text_and_descriptor_of_one_file_are_one_schema() -> None:
    text = _parse(PROTO3)
    descriptor = _parse(text.serialized)
    assert descriptor.canonical_text == text.canonical_text
    assert descriptor.fingerprint() == text.fingerprint()
    assert descriptor.fingerprint(normalize=True) == text.fingerprint(normalize=True)


def test_what_confluent_kafkas_serializer_registers_is_the_same_schema() -> None:
    """confluent-kafka registers base64 of a generated class's `DESCRIPTOR.file.serialized_pb`."""
    from confluent_kafka.schema_registry.common.protobuf import _schema_to_str

    text = _parse(PROTO3)
    pool = descriptor_pool.DescriptorPool()
    for file in text.files:
        generated = descriptor_pb2.FileDescriptorProto()
        generated.CopyFrom(file)
        if file is text.file:
            generated.name = "shop/orders/v1/orders.proto"
        pool.Add(generated)
    cls = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("shop.orders.v1.OrderPlaced")
    )
    registered = _schema_to_str(cls.DESCRIPTOR.file)
    assert _parse(registered).fingerprint() == text.fingerprint()


def test_serialized_is_base64_of_the_compiled_descriptor() -> None:
    schema = _parse(PROTO3)
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(schema.serialized))
    assert [m.name for m in file.message_type] == ["OrderPlaced", "Empty"]
    assert list(file.dependency) == ["google/protobuf/timestamp.proto", "google/type/money.proto"]


def test_normalize_ignores_the_order_of_fields_options_and_imports() -> None:
    a = _parse(
        'syntax = "proto3"; import "google/protobuf/duration.proto";'
        ' import "google/protobuf/timestamp.proto";'
        ' option java_package = "p"; option go_package = "g";'
        " message A { google.protobuf.Timestamp t = 2; int32 n = 1 [deprecated = true,"
        " json_name = \"x\"]; google.protobuf.Duration d = 3; }"
    )
    b = _parse(
        'syntax = "proto3"; import "google/protobuf/timestamp.proto";'
        ' import "google/protobuf/duration.proto";'
        ' option go_package = "g"; option java_package = "p";'
        ' message A { int32 n = 1 [json_name = "x", deprecated = true];'
        " google.protobuf.Duration d = 3; google.protobuf.Timestamp t = 2; }"
    )
    assert a.canonical_text != b.canonical_text
    assert a.fingerprint() != b.fingerprint()
    assert a.normalized_text == b.normalized_text
    assert a.fingerprint(normalize=True) == b.fingerprint(normalize=True)


def test_normalize_keeps_the_order_of_messages() -> None:
    """The wire format's message indexes depend on it."""
    a = _parse('syntax = "proto3"; message A {} message B {}')
    b = _parse('syntax = "proto3"; message B {} message A {}')
    assert a.normalized_text != b.normalized_text


def test_same_schema_in_another_layout_is_the_same_canonical_text() -> None:
    compact = _parse('syntax="proto3";package p;message A{int32 n=1;/* c */string s=2;}')
    spaced = _parse('syntax = "proto3";\n\npackage p;\n\n// doc\nmessage A {\n  int32 n = 1;\n'
                    '  string s = 2;\n}\n')
    assert compact.canonical_text == spaced.canonical_text


def test_type_names_are_written_as_short_as_they_stay_unambiguous() -> None:
    text = _parse(
        'syntax = "proto3"; package a.b;'
        " message Money { int64 units = 1; }"
        " message Order { message Money { string s = 1; } Money local = 1;"
        " a.b.Money outer = 2; }"
    ).canonical_text
    assert "  Money local = 1;" in text
    assert "  b.Money outer = 2;" in text  # plain `Money` would mean the nested one


def test_well_known_types_resolve_without_references() -> None:
    schema = _parse(
        'syntax = "proto3";'
        ' import "google/protobuf/any.proto"; import "google/protobuf/struct.proto";'
        ' import "google/protobuf/wrappers.proto"; import "google/protobuf/empty.proto";'
        ' import "google/type/date.proto"; import "google/type/latlng.proto";'
        ' import "google/type/datetime.proto";'
        " message A { google.protobuf.Any a = 1; google.protobuf.Struct s = 2;"
        " google.protobuf.StringValue w = 3; google.type.Date d = 4;"
        " google.type.LatLng where = 5; google.type.DateTime when = 6; }"
    )
    names = {f.name for f in schema.files}
    assert "google/type/datetime.proto" in names
    assert "google/protobuf/duration.proto" in names  # imported by datetime.proto


def test_imports_resolve_through_references() -> None:
    common = SchemaSource(
        'syntax = "proto3"; package common; message Money { int64 units = 1; }', PROTOBUF
    )
    seen: list[Reference] = []

    def resolver(reference: Reference) -> SchemaSource:
        seen.append(reference)
        return common

    ref = Reference("common/money.proto", "money-value", 3)
    schema = _parse(
        'syntax = "proto3"; import "common/money.proto";'
        " message Order { common.Money price = 1; }",
        (ref,),
        resolver,
    )
    assert seen == [ref]
    assert schema.file_references == {"common/money.proto": ref}
    assert [f.name for f in schema.files][:1] == ["common/money.proto"]


def test_reference_may_be_a_descriptor_with_references_of_its_own() -> None:
    base = _parse('syntax = "proto3"; package base; message Id { string v = 1; }')
    middle = _parse(
        'syntax = "proto3"; package mid; import "base/id.proto";'
        " message Ref { base.Id id = 1; }",
        (Reference("base/id.proto", "id", 1),),
        lambda r: base.source,
    )
    subjects = {
        ("id", 1): base.source,
        ("ref", 1): SchemaSource(middle.serialized, PROTOBUF,
                                 (Reference("base/id.proto", "id", 1),)),
    }
    top = _parse(
        'syntax = "proto3"; import "mid/ref.proto"; message Top { mid.Ref r = 1; }',
        (Reference("mid/ref.proto", "ref", 1),),
        lambda r: subjects[(r.subject, r.version)],
    )
    assert [f.name for f in top.files] == ["base/id.proto", "mid/ref.proto", "schema.proto"]


# --- invalid schemas ------------------------------------------------------------------------

INVALID_TEXTS = {
    "syntax error": ('syntax = "proto3"; message A { int32 n = 1 }', "line 1"),
    "missing semicolon": ('syntax = "proto3";\nmessage A {\n  int32 n = 1\n}\n', "line 4"),
    "unknown syntax": ('syntax = "proto4"; message A {}', "proto4"),
    "duplicate field number": (
        'syntax = "proto3";\nmessage A {\n  int32 a = 1;\n  int32 b = 1;\n}', "line 4"),
    "duplicate field name": ('syntax = "proto3"; message A { int32 a = 1; string a = 2; }',
                             "already defined"),
    "field number zero": ('syntax = "proto3"; message A { int32 a = 0; }', "positive"),
    "field number too large": ('syntax = "proto3"; message A { int32 a = 536870912; }',
                               "536870911"),
    "label inside a oneof": (
        'syntax = "proto3"; message A { oneof x { repeated int32 a = 1; } }', "label"),
    "number clashes with reserved": (
        'syntax = "proto3"; message A { reserved 2; int32 a = 2; }', "reserved"),
    "name clashes with reserved": (
        'syntax = "proto3"; message A { reserved "a"; int32 a = 2; }', "reserved"),
    "unknown type": ('syntax = "proto3"; message A { Missing m = 1; }', "not defined"),
    "unknown import": ('syntax = "proto3"; import "nowhere/x.proto"; message A {}', "nowhere"),
    "required in proto3": ('syntax = "proto3"; message A { required int32 a = 1; }',
                           "Required"),
    "default in proto3": ('syntax = "proto3"; message A { int32 a = 1 [default = 3]; }',
                          "default"),
    "proto3 enum must start at zero": (
        'syntax = "proto3"; enum E { E_ONE = 1; } message A { E e = 1; }', "zero"),
    "map with a float key": ('syntax = "proto3"; message A { map<float, int32> m = 1; }',
                             "key"),
    "duplicate message": ('syntax = "proto3"; message A {} message A {}', "already defined"),
    "duplicate enum value without alias": (
        'syntax = "proto3"; enum E { E_A = 0; E_B = 0; }', "allow_alias"),
    "unknown option": ('syntax = "proto3"; option no_such_option = 1; message A {}',
                       "no_such_option"),
    "not a schema at all": ("this is not protobuf", "line 1"),
    "avro text": ('{"type": "record", "name": "A", "fields": []}', "line 1"),
    "empty": ("   ", "empty"),
}


@pytest.mark.parametrize(
    ("text", "expected"), INVALID_TEXTS.values(), ids=list(INVALID_TEXTS)
)
def test_invalid_text_is_a_parse_error_with_protocs_message(text: str, expected: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        _parse(text)
    assert expected.lower() in info.value.message.lower(), info.value.message
    assert not isinstance(info.value, ReferenceResolutionError)


def _descriptor(build) -> str:  # type: ignore[no-untyped-def]
    file = descriptor_pb2.FileDescriptorProto(name="x.proto", syntax="proto3")
    build(file)
    return base64.b64encode(file.SerializeToString()).decode()


def _duplicate_numbers(file: descriptor_pb2.FileDescriptorProto) -> None:
    message = file.message_type.add(name="A")
    message.field.add(name="a", number=1, type=5, label=1)
    message.field.add(name="b", number=1, type=5, label=1)


def _unknown_type(file: descriptor_pb2.FileDescriptorProto) -> None:
    message = file.message_type.add(name="A")
    message.field.add(name="a", number=1, type=11, label=1, type_name=".nowhere.B")


def _unknown_dependency(file: descriptor_pb2.FileDescriptorProto) -> None:
    file.dependency.append("other/file.proto")
    file.message_type.add(name="A")


def _escaping_dependency(file: descriptor_pb2.FileDescriptorProto) -> None:
    file.dependency.append("../../etc/passwd.proto")
    file.message_type.add(name="A")


def _number_out_of_range(file: descriptor_pb2.FileDescriptorProto) -> None:
    message = file.message_type.add(name="A")
    message.field.add(name="a", number=-5, type=5, label=1)


GOOD = _descriptor(lambda f: f.message_type.add(name="A").field.add(
    name="a", number=1, type=5, label=1))

INVALID_DESCRIPTORS = {
    "truncated base64": (GOOD[: len(GOOD) - 3], "base64"),
    "truncated descriptor": (base64.b64encode(base64.b64decode(GOOD)[:-2]).decode(),
                             "FileDescriptorProto"),
    "base64 of garbage": (base64.b64encode(b"\xff\xff\xff\xff").decode(), "FileDescriptorProto"),
    "base64 of nothing": ("AAAA", "FileDescriptorProto"),
    "duplicate field numbers": (_descriptor(_duplicate_numbers), "descriptor"),
    "unknown type name": (_descriptor(_unknown_type), "descriptor"),
    "import without a reference": (_descriptor(_unknown_dependency), "other/file.proto"),
    "import escaping the directory": (_descriptor(_escaping_dependency), "invalid path"),
    "negative field number": (_descriptor(_number_out_of_range), "descriptor"),
}


@pytest.mark.parametrize(
    ("text", "expected"), INVALID_DESCRIPTORS.values(), ids=list(INVALID_DESCRIPTORS)
)
def test_invalid_descriptor_is_a_parse_error(text: str, expected: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        _parse(text)
    assert expected.lower() in info.value.message.lower(), info.value.message


def test_reference_problems_name_the_reference() -> None:
    text = 'syntax = "proto3"; import "a.proto"; message M { A a = 1; }'
    ref = (Reference("a.proto", "a", 1),)
    with pytest.raises(ReferenceResolutionError, match="no resolver"):
        _parse(text, ref)

    def missing(reference: Reference) -> SchemaSource:
        raise LookupError("no such version")

    with pytest.raises(ReferenceResolutionError, match="not found"):
        _parse(text, ref, missing)
    with pytest.raises(ReferenceResolutionError, match="does not compile") as info:
        _parse(text, ref, lambda r: SchemaSource('syntax = "proto3"; message A {', PROTOBUF))
    assert info.value.name == "a.proto"
    with pytest.raises(ReferenceResolutionError, match="not a Protobuf"):
        _parse(text, ref, lambda r: SchemaSource('"string"', SchemaType.AVRO))
    with pytest.raises(ReferenceResolutionError, match="relative path"):
        _parse(text, (Reference("../escape.proto", "a", 1),), lambda r: SchemaSource("", PROTOBUF))


def test_reference_cycles_are_reported() -> None:
    a = SchemaSource('syntax = "proto3"; import "b.proto"; message A {}', PROTOBUF,
                     (Reference("b.proto", "b", 1),))
    b = SchemaSource('syntax = "proto3"; import "a.proto"; message B {}', PROTOBUF,
                     (Reference("a.proto", "a", 1),))
    sources = {"a": a, "b": b}
    with pytest.raises(ReferenceResolutionError, match="cycle"):
        _parse(a.text, a.references, lambda r: sources[r.subject])


def test_parse_errors_compare_by_value() -> None:
    def error() -> SchemaParseError:
        with pytest.raises(SchemaParseError) as info:
            _parse('syntax = "proto3"; message A { int32 n = 1 }')
        return info.value

    assert error() == error()


def test_a_flood_of_errors_is_cut_short() -> None:
    fields = "".join(f" Missing{i} f{i} = {i};" for i in range(1, 40))
    with pytest.raises(SchemaParseError) as info:
        _parse(f'syntax = "proto3"; message A {{{fields} }}')
    assert "Missing1" in info.value.message
    assert "and 29 more errors" in info.value.message
    assert "Missing39" not in info.value.message
