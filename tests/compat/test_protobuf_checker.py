"""Protobuf compatibility beyond the corpus: locations, sentences, directions, properties."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from compat import (
    Direction,
    Level,
    Reference,
    Schema,
    SchemaSource,
    SchemaType,
    Severity,
    check,
    parse,
)
from compat.protobuf.diff import COMPATIBLE, Change
from compat.protobuf.rules import MIRROR, RULES
from tests.compat.corpus import CORPUS, all_cases

PROTOBUF = SchemaType.PROTOBUF
EXAMPLES = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "25"))


def _schema(text: str) -> Schema:
    return parse(SchemaSource(text, PROTOBUF))


ORDER_V1 = """
syntax = "proto3";
package shop;
message OrderPlaced {
  string id = 1;
  repeated Item items = 2;
  message Item { string sku = 1; int32 quantity = 2; }
}
"""


def test_a_finding_names_rule_path_and_both_values() -> None:
    old = _schema(ORDER_V1)
    new = _schema(ORDER_V1.replace("repeated Item items = 2;", "repeated string items = 2;"))
    [finding] = check(Level.BACKWARD, new, [old]).findings
    assert finding.rule == "FIELD_KIND_CHANGED"
    assert finding.location == "#/OrderPlaced/items"
    assert (finding.old, finding.new) == ("shop.OrderPlaced.Item", "string")
    assert "shop.OrderPlaced.Item" in finding.message and "string" in finding.message
    assert finding.hint == RULES["FIELD_KIND_CHANGED"].fix
    assert finding.direction is Direction.BACKWARD
    assert finding.describe().startswith("FIELD_KIND_CHANGED at #/OrderPlaced/items: ")


def test_nested_paths_and_new_names() -> None:
    old = _schema(ORDER_V1)
    new = _schema(ORDER_V1.replace("int32 quantity = 2;", "string count = 2;"))
    findings = check(Level.BACKWARD, new, [old]).findings
    assert {(f.rule, f.location) for f in findings} == {
        ("FIELD_SCALAR_KIND_CHANGED", "#/OrderPlaced/Item/count"),
        ("FIELD_NAME_CHANGED", "#/OrderPlaced/Item/count"),
    }


def test_forward_findings_are_named_for_the_change_and_placed_in_the_new_schema() -> None:
    old = _schema('syntax = "proto2"; message A { optional int32 a = 1; }')
    new = _schema('syntax = "proto2"; message A { optional int32 a = 1; required int32 b = 2; }'
                  " message B {}")
    result = check(Level.FORWARD, new, [old])
    assert {(f.rule, f.location) for f in result.findings} == {
        ("REQUIRED_FIELD_ADDED", "#/A/b"),  # Confluent, reading with the old schema: ..._REMOVED
        ("MESSAGE_ADDED", "#/B"),  # Confluent: MESSAGE_REMOVED
    }
    assert all(f.direction is Direction.FORWARD for f in result.findings)
    required = next(f for f in result.findings if f.rule == "REQUIRED_FIELD_ADDED")
    assert (required.old, required.new) == (None, "b")


def test_a_removed_field_is_placed_by_its_old_name_and_the_hint_names_it() -> None:
    old = _schema('syntax = "proto3"; message A { int32 n = 1; string note = 7; }')
    new = _schema('syntax = "proto3"; message A { int32 n = 1; }')
    result = check(Level.FULL, new, [old])
    assert result.compatible
    [warning] = result.warnings  # once, though both directions find it
    assert warning.direction is Direction.BACKWARD
    assert warning.rule == "FIELD_NUMBER_NOT_RESERVED"
    assert warning.location == "#/A/note"
    assert warning.severity is Severity.WARNING
    assert "7" in warning.message
    assert warning.hint == 'Add `reserved 7;` and `reserved "note";` to the message.'
    assert result.messages()[0].startswith("WARNING FIELD_NUMBER_NOT_RESERVED at #/A/note")


def test_package_change_is_at_the_root() -> None:
    old = _schema('syntax = "proto3"; package a; message M {}')
    new = _schema('syntax = "proto3"; package b; message M {}')
    [finding] = check(Level.BACKWARD, new, [old]).findings
    assert (finding.rule, finding.location, finding.old, finding.new) == (
        "PACKAGE_CHANGED", "#/", "a", "b"
    )


def test_a_referenced_types_findings_point_into_the_referenced_type() -> None:
    case = next(c for c in all_cases() if c.id == "protobuf/reference_new_version_incompatible")
    old = parse(case.history[0], case.resolver)
    new = parse(case.new, case.resolver)
    locations = {(f.rule, f.location) for f in check(Level.BACKWARD, new, [old]).findings}
    assert locations == {
        ("FIELD_SCALAR_KIND_CHANGED", "#/Money/units"),
        ("FIELD_NAMED_TYPE_CHANGED", "#/Order/price"),
    }


def test_every_incompatible_confluent_difference_is_a_catalogued_rule() -> None:
    for change in Change:
        if change not in COMPATIBLE:
            assert change.value in RULES, change
            assert RULES[change.value].severity is Severity.ERROR
    for confluent, charter in MIRROR.items():
        assert RULES[confluent].severity is RULES[charter].severity is Severity.ERROR


def test_the_corpus_exercises_every_protobuf_rule_and_cites_its_source() -> None:
    cases = [c for c in all_cases() if c.schema_type is PROTOBUF]
    assert len(cases) >= 60
    expected = set().union(*(set().union(*c.expect.values()) for c in cases))
    assert expected == set(RULES)
    for path in sorted((CORPUS / "protobuf").glob("*.json")):
        raw = json.loads(Path(path).read_text())
        assert raw.get("cites"), f"{path.name} cites no rule"
    texts = [s.text for c in cases for s in (*c.history, c.new)]
    assert any('"proto2"' in t for t in texts) and any('"proto3"' in t for t in texts)
    assert any(c.subjects for c in cases)
    assert any("google/protobuf/" in t for t in texts) and any("google/type/" in t for t in texts)


# --- properties ------------------------------------------------------------------------------

SCALARS = ["int32", "int64", "uint32", "uint64", "sint32", "sint64", "bool", "string", "bytes",
           "fixed32", "sfixed32", "fixed64", "sfixed64", "float", "double", "E",
           "google.protobuf.Timestamp", "Inner"]
LABELS = ["", "optional ", "repeated "]


@st.composite
def messages(draw: st.DrawFn) -> str:
    numbers = draw(st.lists(st.integers(1, 40), min_size=1, max_size=8, unique=True))
    lines = []
    oneof = []
    for i, number in enumerate(numbers):
        kind = draw(st.sampled_from(SCALARS))
        if draw(st.integers(0, 5)) == 0:
            oneof.append(f"    {kind} f{i} = {number};")
        elif draw(st.integers(0, 6)) == 0:
            lines.append(f"  map<string, {kind}> f{i} = {number};")
        else:
            lines.append(f"  {draw(st.sampled_from(LABELS))}{kind} f{i} = {number};")
    if oneof:
        lines += ["  oneof choice {", *oneof, "  }"]
    return "\n".join([
        'syntax = "proto3";',
        "package prop;",
        'import "google/protobuf/timestamp.proto";',
        "enum E { E_ZERO = 0; E_ONE = 1; }",
        "message Inner { int32 x = 1; }",
        "message M {",
        *lines,
        "}",
        "",
    ])


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=messages())
def test_every_schema_is_compatible_with_itself_and_its_canonical_text(text: str) -> None:
    schema = _schema(text)
    canonical = _schema(schema.canonical_text)
    assert canonical.canonical_text == schema.canonical_text
    for level in Level:
        assert check(level, schema, [schema]).compatible
        assert not check(level, canonical, [schema]).findings


@settings(max_examples=EXAMPLES, deadline=None)
@given(old=messages(), new=messages())
def test_full_is_backward_and_forward(old: str, new: str) -> None:
    a, b = _schema(old), _schema(new)
    backward = check(Level.BACKWARD, b, [a])
    forward = check(Level.FORWARD, b, [a])
    full = check(Level.FULL, b, [a])
    assert full.compatible == (backward.compatible and forward.compatible)
    assert {f.rule for f in full.errors} == {f.rule for f in (*backward.errors, *forward.errors)}
    # Swapping old and new swaps the readings (names mirrored where Confluent has a mirror).
    mirrored = {MIRROR.get(r, r) for r in (f.rule for f in check(Level.BACKWARD, a, [b]).errors)}
    assert {f.rule for f in forward.errors} == mirrored


def test_every_catalogue_example_shows_its_rule() -> None:
    for rule in RULES.values():
        header = 'syntax = "proto2";' if "required" in rule.example_old + rule.example_new else (
            'syntax = "proto3";'
        )
        old = _schema(f"{header}\n{rule.example_old}\n")
        new = _schema(f"{header}\n{rule.example_new}\n")
        backward = {f.rule for f in check(Level.BACKWARD, new, [old]).findings}
        forward = {f.rule for f in check(Level.FORWARD, new, [old]).findings}
        if rule.breaks == "BACKWARD":
            assert rule.id in backward, rule.id
        elif rule.breaks == "FORWARD":
            assert rule.id in forward, rule.id
        else:
            assert rule.id in backward | forward, rule.id


def test_oneof_findings_are_placed_where_the_new_schema_has_them() -> None:
    separate = _schema('syntax = "proto3"; message A { int32 n = 1; string s = 2; }')
    shared = _schema('syntax = "proto3"; message A { oneof id { int32 n = 1; string s = 2; } }')
    [into] = check(Level.BACKWARD, shared, [separate]).findings
    assert (into.rule, into.location) == ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/A/id")
    [out] = check(Level.FORWARD, separate, [shared]).findings
    assert (out.rule, out.location) == ("MULTIPLE_FIELDS_MOVED_TO_ONEOF", "#/A")


def test_a_re_checked_type_under_the_same_name_says_what_changed_inside_it() -> None:
    case = next(c for c in all_cases() if c.id == "protobuf/reference_new_version_incompatible")
    old = parse(case.history[0], case.resolver)
    new = parse(case.new, case.resolver)
    for level in (Level.BACKWARD, Level.FORWARD):
        [named] = [f for f in check(level, new, [old]).findings
                   if f.rule == "FIELD_NAMED_TYPE_CHANGED"]
        assert (named.old, named.new) == ("common.Money", "common.Money")
        assert named.message == (
            "The field's message type common.Money keeps its name, but its definition changed "
            "incompatibly: FIELD_SCALAR_KIND_CHANGED at #/Money/units."
        )


def test_the_inside_of_a_re_checked_type_is_named_for_the_direction() -> None:
    money_v1 = 'syntax = "proto2"; package common; message Money { optional int64 units = 1; }'
    money_v2 = ('syntax = "proto2"; package common;'
                " message Money { optional int64 units = 1; required string code = 2; }")
    order = ('syntax = "proto2"; package shop; import "common/money.proto";'
             " message Order { optional common.Money price = 1; }")
    texts = {1: money_v1, 2: money_v2}

    def resolve(ref: Reference) -> SchemaSource:
        return SchemaSource(texts[ref.version], PROTOBUF)

    def version(n: int) -> Schema:
        ref = Reference("common/money.proto", "money", n)
        return parse(SchemaSource(order, PROTOBUF, (ref,)), resolve)

    old, new = version(1), version(2)
    messages = {f.direction: f.message for f in check(Level.FULL, new, [old]).findings
                if f.rule == "FIELD_NAMED_TYPE_CHANGED"}
    # Charter names changes from the old schema to the new one in both directions.
    assert messages[Direction.BACKWARD].endswith("REQUIRED_FIELD_ADDED at #/Money/code.")
    assert messages[Direction.FORWARD].endswith("REQUIRED_FIELD_ADDED at #/Money/code.")


def test_full_reports_a_change_warning_once_not_once_per_direction() -> None:
    old = _schema('syntax = "proto3"; message A { int32 n = 1; string s = 2; }')
    new = _schema('syntax = "proto3"; message A { int32 count = 1; }')
    full = check(Level.FULL, new, [old])
    assert sorted(f.rule for f in full.warnings) == [
        "FIELD_NAME_CHANGED", "FIELD_NUMBER_NOT_RESERVED"
    ]
    assert len(full.messages()) == 2
    forward = check(Level.FORWARD, new, [old])  # a level of one direction keeps them
    assert sorted(f.rule for f in forward.warnings) == [
        "FIELD_NAME_CHANGED", "FIELD_NUMBER_NOT_RESERVED"
    ]
    # Against two versions, each version's warnings are its own.
    transitive = check(Level.FULL_TRANSITIVE, new, [old, old])
    assert len(transitive.warnings) == 4
