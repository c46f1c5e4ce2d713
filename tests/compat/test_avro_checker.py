"""The Avro checker's findings: locations into the new schema, old/new values, wording."""

from __future__ import annotations

import json
from typing import Any

from compat import Direction, Finding, Level, SchemaSource, SchemaType, check, check_pair, parse
from compat.avro import AvroSchema


def avro(value: Any) -> AvroSchema:
    schema = parse(SchemaSource(json.dumps(value), SchemaType.AVRO))
    assert isinstance(schema, AvroSchema)
    return schema


def rec(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, **extra, "fields": list(fields)}


def findings(new: Any, old: Any, direction: Direction) -> list[Finding]:
    n, o = avro(new), avro(old)
    if direction is Direction.BACKWARD:
        return list(check_pair(n, o, direction=direction))
    return list(check_pair(o, n, direction=direction))


OLD = rec(
    "Order",
    {"name": "id", "type": "long"},
    {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "DONE"]}},
    {"name": "note", "type": ["null", "string"], "default": None},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                "precision": 10, "scale": 2}},
)
NEW = rec(
    "Order",
    {"name": "id", "type": "int"},
    {"name": "status", "type": {"type": "enum", "name": "Status",
                                "symbols": ["NEW", "DONE", "FAILED"]}},
    {"name": "note", "type": ["null", "string", "long"], "default": None},
    {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal",
                                "precision": 10, "scale": 4}},
    {"name": "owner", "type": "string"},
)


def test_backward_reports_every_problem_at_the_new_schema() -> None:
    got = [(f.rule, f.location, f.old, f.new) for f in findings(NEW, OLD, Direction.BACKWARD)]
    assert got == [
        ("TYPE_MISMATCH", "/fields/0/type", "long", "int"),
        ("DECIMAL_SCALE_MISMATCH", "/fields/3/type/scale", 2, 4),
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/4", None, "owner"),
    ]


def test_forward_points_at_what_the_new_schema_writes() -> None:
    got = [(f.rule, f.location) for f in findings(NEW, OLD, Direction.FORWARD)]
    assert got == [
        ("MISSING_ENUM_SYMBOLS", "/fields/1/type/symbols/2"),
        ("MISSING_UNION_BRANCH", "/fields/2/type/2"),
        ("DECIMAL_SCALE_MISMATCH", "/fields/3/type/scale"),
    ]


def test_messages_speak_of_the_direction() -> None:
    for f in findings(NEW, OLD, Direction.BACKWARD):
        assert f.direction is Direction.BACKWARD
        assert "the new" in f.message and "old data" in f.message
    for f in findings(NEW, OLD, Direction.FORWARD):
        assert f.direction is Direction.FORWARD
        assert "old readers" in f.message or "old union" in f.message


def test_removed_field_points_at_the_fields_of_the_new_record() -> None:
    old = rec("R", {"name": "a", "type": "int"}, {"name": "b", "type": "int"})
    new = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]}
    [finding] = findings(new, old, Direction.FORWARD)
    assert (finding.rule, finding.location, finding.old, finding.new) == (
        "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields", "b", None
    )
    assert "'b'" in finding.message


def test_named_type_findings_point_at_its_definition() -> None:
    point = rec("Point", {"name": "x", "type": "int"})
    wider = rec("Point", {"name": "x", "type": "int"}, {"name": "y", "type": "int"})
    old = rec("Move", {"name": "from", "type": point}, {"name": "to", "type": "Point"})
    new = rec("Move", {"name": "from", "type": wider}, {"name": "to", "type": "Point"})
    got = [(f.rule, f.location) for f in findings(new, old, Direction.BACKWARD)]
    assert got == [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0/type/fields/1")]


def test_rename_and_alias() -> None:
    old = rec("Customer", {"name": "id", "type": "long"}, namespace="com.old")
    new = rec("Client", {"name": "id", "type": "long"}, namespace="com.new",
              aliases=["com.old.Customer"])
    assert findings(new, old, Direction.BACKWARD) == []
    [finding] = findings(new, old, Direction.FORWARD)
    assert (finding.rule, finding.location, finding.old, finding.new) == (
        "NAME_MISMATCH", "/name", "com.old.Customer", "com.new.Client"
    )


def test_recursive_types_terminate_and_find_deep_problems() -> None:
    def tree(value: str, *extra: dict[str, Any]) -> dict[str, Any]:
        return rec("Tree", {"name": "value", "type": value}, *extra,
                   {"name": "kids", "type": {"type": "array", "items": "Tree"}})

    assert findings(tree("int"), tree("int"), Direction.BACKWARD) == []
    got = [(f.rule, f.location) for f in findings(tree("long"), tree("int"), Direction.FORWARD)]
    assert got == [("TYPE_MISMATCH", "/fields/0/type")]
    got = [(f.rule, f.location) for f in
           findings(tree("int", {"name": "w", "type": "int"}), tree("int"), Direction.BACKWARD)]
    assert got == [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/1")]


def test_union_branch_with_a_deep_problem_reports_the_problem() -> None:
    addr = rec("Address", {"name": "street", "type": "string"})
    wider = rec("Address", {"name": "street", "type": "string"}, {"name": "zip", "type": "int"})
    old = rec("U", {"name": "a", "type": ["null", addr]})
    new = rec("U", {"name": "a", "type": ["null", wider]})
    got = [(f.rule, f.location) for f in findings(new, old, Direction.BACKWARD)]
    assert got == [("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0/type/1/fields/1")]


def test_reader_union_any_matching_branch_is_enough() -> None:
    old = rec("U", {"name": "a", "type": "int"})
    new = rec("U", {"name": "a", "type": ["null", "string", "double"]})
    assert findings(new, old, Direction.BACKWARD) == []
    got = [(f.rule, f.location) for f in findings(new, old, Direction.FORWARD)]
    assert got == [("TYPE_MISMATCH", f"/fields/0/type/{i}") for i in range(3)]


def test_missing_union_branch_backward_points_at_the_new_union() -> None:
    old = rec("U", {"name": "a", "type": ["null", "string", "boolean"]})
    new = rec("U", {"name": "a", "type": ["null", "string"]})
    [finding] = findings(new, old, Direction.BACKWARD)
    assert (finding.rule, finding.location, finding.new) == (
        "MISSING_UNION_BRANCH", "/fields/0/type", "[null, string]"
    )
    assert "boolean" in finding.message


def test_enum_default_lets_unknown_symbols_through() -> None:
    old = {"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"}
    new = {"type": "enum", "name": "E", "symbols": ["A", "B", "C"], "default": "A"}
    assert findings(new, old, Direction.FORWARD) == []
    assert findings(new, dict(old, symbols=["A", "B", "X"]), Direction.BACKWARD) == []


def test_transitive_levels_name_the_version_that_breaks() -> None:
    v1 = avro(rec("R", {"name": "a", "type": "int"}))
    v2 = avro(rec("R", {"name": "a", "type": "int"}, {"name": "b", "type": "int", "default": 0}))
    new = avro(rec("R", {"name": "a", "type": "int"}, {"name": "b", "type": "int"}))
    assert check(Level.BACKWARD, new, [v1, v2]).compatible
    result = check(Level.FULL_TRANSITIVE, new, [v1, v2])
    assert [(f.rule, f.against) for f in result.findings] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", 0)
    ]


def test_fixed_size_and_decimal_on_fixed() -> None:
    def money(size: int, precision: int) -> dict[str, Any]:
        return {"type": "fixed", "name": "Money", "size": size, "logicalType": "decimal",
                "precision": precision, "scale": 2}

    got = [(f.rule, f.location, f.old, f.new)
           for f in findings(money(9, 12), money(8, 10), Direction.BACKWARD)]
    assert got == [
        ("FIXED_SIZE_MISMATCH", "/size", 8, 9),
        ("DECIMAL_PRECISION_MISMATCH", "/precision", 10, 12),
    ]


def test_readable_is_the_backward_verdict() -> None:
    from compat.avro.checker import readable

    narrow = avro(rec("R", {"name": "a", "type": "int"}))
    wide = avro(rec("R", {"name": "a", "type": "long"}))
    assert readable(wide.root, narrow.root)
    assert not readable(narrow.root, wide.root)
