"""`sdk.protobuf` in-process: what the publish check refuses and how it names the field, the
framing of message indexes, and decoding of framed bytes, on dynamic messages (no registry)."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import message_factory

from compat import SchemaSource
from compat.protobuf import parse_protobuf
from compat.protobuf.indexes import encode_message_indexes
from sdk.errors import DecodeError, SchemaResolutionError, ValidationError
from sdk.protobuf import MessageValidator, ProtobufCodec, ProtobufFile, is_known_file

PROTO3 = """\
syntax = "proto3";
package t.v3;

enum Color { COLOR_UNSPECIFIED = 0; RED = 1; BLUE = 2; }
enum Size { SIZE_UNSPECIFIED = 0; SMALL = 1; }

message Tree {
  Color color = 1;
  Size size = 2;
  Color other = 3;
  repeated Tree children = 4;
  Tree left = 5;
  map<string, Leaf> leaves = 6;
  repeated Color palette = 7;
  Color class = 8;
  oneof pick { Color picked = 9; string label = 10; }
}

message Leaf {
  map<int32, Color> by_number = 1;
  Wrapper wrapper = 2;
}

message Wrapper { Leaf leaf = 1; }

message Plain { string name = 1; repeated int64 numbers = 2; }
"""

PROTO2 = """\
syntax = "proto2";
package t.v2;

enum Kind { A = 1; B = 2; }

message Form {
  required string id = 1;
  optional Kind kind = 2;
  map<string, Part> parts = 3;
  message Part { required int32 n = 1; }
}
"""


def _classes(text: str) -> tuple[Any, dict[str, Any]]:
    schema = parse_protobuf(SchemaSource(text))
    pool = schema.pool
    file = pool.FindFileByName(schema.file.name)
    classes = {
        name: message_factory.GetMessageClass(descriptor)
        for name, descriptor in file.message_types_by_name.items()
    }
    return ProtobufFile(file, schema.file), classes


@pytest.fixture(scope="module")
def v3() -> dict[str, Any]:
    return _classes(PROTO3)[1]


def _paths(validator: MessageValidator, message: Any) -> list[str]:
    return [v.path for v in validator.violations(message)]


def test_known_enum_numbers_pass_and_unknown_ones_are_named(v3: dict[str, Any]) -> None:
    tree = v3["Tree"]
    validator = MessageValidator(tree.DESCRIPTOR)
    good = tree(color=1, size=1, other=2, palette=[0, 1, 2], picked=2)
    good.children.add(color=2).children.add(color=1)
    good.left.left.left.color = 2
    good.leaves["a"].by_number[1] = 2
    good.leaves["a"].wrapper.leaf.by_number[7] = 1
    assert validator.enums_valid(good) and validator.violations(good) == []
    assert validator.enums_valid(tree())

    cases = [
        (tree(color=7), "/color"),
        (tree(size=3), "/size"),
        (tree(other=9), "/other"),
        (tree(palette=[1, 5]), "/palette/1"),
        (tree(picked=4), "/picked"),
        (tree(**{"class": 3}), "/class"),  # a field named by a Python keyword
    ]
    deep = tree()
    deep.left.left.left.color = 9  # recursion through a singular field
    cases.append((deep, "/left/left/left/color"))
    nested = tree()
    nested.children.add().children.add(size=8)
    cases.append((nested, "/children/0/children/0/size"))
    in_map = tree()
    in_map.leaves["k/1"].wrapper.leaf.by_number[3] = 11
    cases.append((in_map, "/leaves/k~11/wrapper/leaf/by_number/3"))
    for message, path in cases:
        assert not validator.enums_valid(message), path
        assert _paths(validator, message) == [path]
    message = validator.violations(tree(color=7))[0].message
    assert message == (
        "field 'color': 7 is not a value of enum t.v3.Color "
        "(COLOR_UNSPECIFIED=0, RED=1, BLUE=2)"
    )


def test_a_message_without_open_enums_costs_no_check(v3: dict[str, Any]) -> None:
    assert MessageValidator(v3["Plain"].DESCRIPTOR).check is None
    assert MessageValidator(v3["Tree"].DESCRIPTOR).check is not None


def test_proto2_required_fields_are_named_and_closed_enums_need_no_check() -> None:
    form_class = _classes(PROTO2)[1]["Form"]
    codec = ProtobufCodec(form_class)
    assert codec.validator.check is None  # closed enums refuse unknown numbers themselves
    form = form_class()
    form.parts["x"].SetInParent()
    with pytest.raises(ValidationError) as info:
        codec.encode(form, b"\x00\x00\x00\x00\x07", "s", 7)
    assert {v.path for v in info.value.violations} == {"/id", "/parts/x/n"}
    assert info.value.subject == "s" and info.value.schema_id == 7
    with pytest.raises(ValueError):
        form.kind = 5  # type: ignore[assignment]


def test_encode_frames_with_the_message_indexes(v3: dict[str, Any]) -> None:
    header = b"\x00\x00\x00\x00\x2a"
    for name, path in (("Tree", [0]), ("Leaf", [1]), ("Plain", [3])):
        message = v3[name]()
        codec = ProtobufCodec(type(message))
        assert codec.path == path
        framed = codec.encode(message, header, None, 42)
        assert framed == header + encode_message_indexes(path) + message.SerializeToString()
    # A mapping in Protobuf's JSON mapping is taken too; a bad one is a violation.
    plain = ProtobufCodec(v3["Plain"])
    expected = v3["Plain"](name="x").SerializeToString()
    assert plain.encode({"name": "x"}, header, None, 42) == header + b"\x02\x06" + expected
    with pytest.raises(ValidationError, match="nope"):
        plain.encode({"nope": 1}, header, None, 42)


def test_decoding_framed_bytes_by_message_index() -> None:
    file, classes = _classes(PROTO3)
    decode = file.decoder(42, None)
    header = b"\x00\x00\x00\x00\x2a"
    leaf = classes["Leaf"]()
    leaf.by_number[1] = 2
    for message in (classes["Tree"](color=1), leaf, classes["Plain"](name="p")):
        framed = ProtobufCodec(type(message)).encode(message, header, None, 42)
        for _ in range(2):  # the second read goes through the remembered index bytes
            back = decode(framed)
            assert back.DESCRIPTOR.full_name == message.DESCRIPTOR.full_name
            assert back.SerializeToString() == message.SerializeToString()
    with pytest.raises(DecodeError, match="message indexes"):
        decode(header + b"\x02\x0a")  # path [5]: the file has four messages
    with pytest.raises(DecodeError, match="message indexes"):
        decode(header + b"\x02")  # the count promises an index that never comes
    with pytest.raises(DecodeError, match=r"does not decode as t\.v3\.Tree"):
        decode(header + b"\x00\xff\xff\xff")
    reader = file.decoder(42, classes["Plain"])
    with pytest.raises(SchemaResolutionError, match=r"wrote a t\.v3\.Tree message"):
        reader(header + b"\x00")


def test_known_files_are_the_ones_registries_resolve_built_in() -> None:
    assert is_known_file("google/protobuf/timestamp.proto")
    assert is_known_file("google/type/money.proto")
    assert is_known_file("confluent/meta.proto")
    assert not is_known_file("shop/common.proto")
