"""Protobuf finding paths mapped to protoc's source positions, and the imports a `.proto` names."""

from __future__ import annotations

import base64

import pytest

from cli.locate import locator
from cli.proto_imports import imports_of
from compat import Direction, SchemaSource, SchemaType, check_pair, parse
from compat.protobuf.locations import source_positions

TEXT = """syntax = "proto3";
package shop.v1;

message Order {
\tstring id = 1;
  oneof pay { int32 n = 2; string s = 3; }
  map<string, int32> counts = 4;
  optional int64 total = 5;
  enum Status { UNKNOWN = 0; OPEN = 1; }
  message Line { /* é */ int32 q = 1; }
}

enum Top {
  TOP_UNKNOWN = 0;
}
"""


def _where(text: str, needle: str) -> tuple[int, int]:
    """Line and character column of `needle`, counted without protoc."""
    before = text[: text.index(needle)]
    return before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1


@pytest.fixture(scope="module")
def positions() -> object:
    return source_positions(parse(SchemaSource(TEXT, SchemaType.PROTOBUF)))


@pytest.mark.parametrize(
    ("location", "needle"),
    [
        ("#/", "package shop.v1"),
        ("#/Order", "message Order"),
        ("#/Order/id", "string id"),  # after a tab: one character, not protoc's 8 columns
        ("#/Order/pay", "oneof pay"),
        ("#/Order/pay/s", "string s"),
        ("#/Order/s", "string s"),  # a oneof member is found from its message too
        ("#/Order/counts", "map<string"),
        ("#/Order/total", "optional int64"),  # proto3 optional: no oneof of its own
        ("#/Order/Status", "enum Status"),
        ("#/Order/Status/OPEN", "OPEN = 1"),
        ("#/Order/Line/q", "int32 q"),  # after a two-byte character in a comment
        ("#/Top/TOP_UNKNOWN", "TOP_UNKNOWN"),
        ("#/Order/gone", "message Order"),  # removed: the enclosing message
        ("#/Order/pay/gone", "oneof pay"),
        ("#/Gone/x", "package shop.v1"),  # removed message: the file
    ],
)
def test_paths_land_on_the_element_or_its_enclosing_one(
    positions: object, location: str, needle: str
) -> None:
    assert positions.line_column(location) == _where(TEXT, needle)  # type: ignore[attr-defined]


def test_without_a_package_the_root_is_the_syntax_statement() -> None:
    text = '\n\nsyntax = "proto3";\nmessage A { int32 x = 1; }\n'
    where = source_positions(parse(SchemaSource(text, SchemaType.PROTOBUF)))
    assert where.line_column("#/") == (3, 1)
    assert where.line_column("#/A/x") == (4, 13)


def test_every_finding_of_a_real_change_is_placed_on_its_element() -> None:
    old = parse(SchemaSource(TEXT, SchemaType.PROTOBUF))
    new_text = TEXT.replace("int32 q = 1", "string q = 1").replace("string s = 3; ", "")
    new = parse(SchemaSource(new_text, SchemaType.PROTOBUF))
    where = locator(new_text, new)
    placed = {
        f.rule: where.line_column(f.location)
        for f in check_pair(new, old, direction=Direction.BACKWARD)
    }
    assert placed["FIELD_SCALAR_KIND_CHANGED"] == _where(new_text, "string q")
    assert placed["ONEOF_FIELD_REMOVED"] == _where(new_text, "oneof pay")


def test_a_descriptor_has_no_source_so_everything_is_line_one() -> None:
    text_schema = parse(SchemaSource(TEXT, SchemaType.PROTOBUF))
    encoded = base64.b64encode(text_schema.file.SerializeToString()).decode()
    where = source_positions(parse(SchemaSource(encoded, SchemaType.PROTOBUF)))
    assert where.line_column("#/Order/id") == (1, 1)


def test_unused_imports_do_not_print_protoc_warnings(capfd: pytest.CaptureFixture[str]) -> None:
    text = 'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\nmessage A {}\n'
    schema = parse(SchemaSource(text, SchemaType.PROTOBUF))
    capfd.readouterr()
    assert source_positions(schema).line_column("#/A") == (3, 1)
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_imports_are_read_past_comments_strings_and_modifiers() -> None:
    text = """syntax = "proto3";
// import "commented/out.proto";
/* import "block/comment.proto"; */
import "a/b.proto";
import public "c.proto";
import weak 'd.proto';
import "a/b.proto";
option java_package = "import \\"e.proto\\";";
message M { string import = 1; }
"""
    assert imports_of(text) == ["a/b.proto", "c.proto", "d.proto"]
