"""The JSON Schema checker's findings: where they point, what they say, and what they cover."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compat import (
    Direction,
    Finding,
    Level,
    Policy,
    Reference,
    SchemaSource,
    SchemaType,
    check,
    check_pair,
    parse,
)
from compat.json_schema.rules import LENIENT_ALLOWED, RULES, mirror


def source(value: Any, *refs: Reference) -> SchemaSource:
    return SchemaSource(json.dumps(value), SchemaType.JSON, tuple(refs))


def findings(
    old: Any, new: Any, level: Level, policy: Policy = Policy.STRICT, resolver: Any = None
) -> list[Finding]:
    return list(
        check(
            level,
            parse(source(new) if not isinstance(new, SchemaSource) else new, resolver),
            [parse(source(old) if not isinstance(old, SchemaSource) else old, resolver)],
            policy=policy,
        ).findings
    )


CLOSED = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": False}
CLOSED_B = {
    "type": "object",
    "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
    "additionalProperties": False,
}


def test_backward_findings_point_into_the_new_reader() -> None:
    (finding,) = findings(
        {"type": "object", "properties": {"a": {"type": "string", "maxLength": 10}}},
        {"type": "object", "properties": {"a": {"type": "string", "maxLength": 5}}},
        Level.BACKWARD,
    )
    assert finding.rule == "MAX_LENGTH_DECREASED"
    assert finding.location == "/properties/a/maxLength"
    assert (finding.old, finding.new) == (10, 5)
    assert finding.direction is Direction.BACKWARD
    assert "new schema rejects data written with the old one" in finding.message


def test_forward_findings_point_into_the_new_writer_and_use_the_mirror_name() -> None:
    (finding,) = findings(
        {"type": "string", "maxLength": 5}, {"type": "string", "maxLength": 10}, Level.FORWARD
    )
    assert finding.rule == "MAX_LENGTH_INCREASED"  # Confluent would say MAX_LENGTH_DECREASED
    assert finding.location == "/maxLength"
    assert (finding.old, finding.new) == (5, 10)
    assert "consumers still on the old schema" in finding.message


def test_forward_property_added_to_closed_model_points_at_the_new_property() -> None:
    (finding,) = findings(CLOSED, CLOSED_B, Level.FORWARD)
    assert finding.rule == "PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL"
    assert finding.location == "/properties/b"
    assert "'b'" in finding.message


def test_removed_property_points_at_the_object_that_lost_it() -> None:
    (finding,) = findings(CLOSED_B, CLOSED, Level.BACKWARD)
    assert finding.rule == "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL"
    assert finding.location == ""
    assert finding.old == {"type": "string"}


def test_every_incompatible_difference_is_reported() -> None:
    old = {
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "n": {"type": "integer"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    new = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "pattern": "^[a-f0-9]+$"},
            "n": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        },
        "required": ["id"],
        "additionalProperties": False,
    }
    got = {(f.rule, f.location) for f in findings(old, new, Level.BACKWARD)}
    assert got == {
        ("PATTERN_ADDED", "/properties/id/pattern"),
        ("MINIMUM_ADDED", "/properties/n/minimum"),
        ("MAX_ITEMS_ADDED", "/properties/tags/maxItems"),
        ("REQUIRED_ATTRIBUTE_ADDED", "/required"),
    }


def test_full_reports_both_directions_separately() -> None:
    got = findings({"type": "string"}, {"type": "integer"}, Level.FULL)
    assert sorted(f.direction for f in got) == [Direction.BACKWARD, Direction.FORWARD]
    assert {f.rule for f in got} == {"TYPE_CHANGED"}


@pytest.mark.parametrize("policy", [Policy.STRICT, Policy.LENIENT])
def test_policy_decides_open_content_model_changes(policy: Policy) -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    got = findings(old, new, Level.FULL, policy)
    expected = ["PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"] if policy is Policy.STRICT else []
    assert [f.rule for f in got] == expected


def test_lenient_does_not_excuse_real_type_changes() -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "integer"}}}
    got = findings(old, new, Level.BACKWARD, Policy.LENIENT)
    assert [f.rule for f in got] == ["TYPE_CHANGED"]


def test_check_pair_is_lazy_and_directional() -> None:
    reader = parse(source({"type": "string", "maxLength": 3}))
    writer = parse(source({"type": "string"}))
    result = check_pair(reader, writer, direction=Direction.BACKWARD)
    assert iter(result) is result
    assert [f.rule for f in result] == ["MAX_LENGTH_ADDED"]
    forward = list(check_pair(reader, writer, direction=Direction.FORWARD))
    assert [f.rule for f in forward] == ["MAX_LENGTH_REMOVED"]


def _store(**schemas: SchemaSource) -> Any:
    return lambda ref: schemas[f"{ref.subject}_{ref.version}"]


def test_referenced_schemas_are_compared_through_their_references() -> None:
    customer = {"type": "object", "properties": {"name": {"type": "string"}}}
    tighter = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 5}}}
    resolver = _store(customer_1=source(customer), customer_2=source(tighter))
    root = {"type": "object", "properties": {"c": {"$ref": "customer.json"}}}
    old = source(root, Reference("customer.json", "customer", 1))
    new = source(root, Reference("customer.json", "customer", 2))
    (finding,) = findings(old, new, Level.FULL, resolver=resolver)
    assert finding.rule == "MAX_LENGTH_ADDED"
    assert finding.location == "/properties/c"  # the $ref that leads out of the document
    assert "customer.json#/properties/name" in finding.message


def test_mutually_recursive_definitions_terminate_and_report_once_per_direction() -> None:
    def tree(value_type: str) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/a",
            "$defs": {
                "a": {"type": "object", "properties": {"b": {"$ref": "#/$defs/b"}}},
                "b": {
                    "type": "object",
                    "properties": {"a": {"$ref": "#/$defs/a"}, "v": {"type": value_type}},
                },
            },
        }

    got = findings(tree("integer"), tree("string"), Level.FULL)
    assert [(f.rule, f.location, f.direction) for f in got] == [
        ("TYPE_CHANGED", "/$defs/b/properties/v", Direction.BACKWARD),
        ("TYPE_CHANGED", "/$defs/b/properties/v", Direction.FORWARD),
    ]


def test_schemas_of_different_drafts_compare_by_meaning_under_sound() -> None:
    old = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    new = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "number",
           "exclusiveMinimum": 0}
    assert [f for f in findings(old, new, Level.FULL, Policy.SOUND) if f.is_error] == []
    # Confluent compares draft 4's boolean flag with nothing: the numeric exclusiveMinimum
    # is new to it (EXCLUSIVE_MINIMUM_ADDED), so STRICT refuses, and warns that no data can tell
    got = findings(old, new, Level.BACKWARD)
    assert [(f.rule, f.severity.value) for f in got] == [
        ("EXCLUSIVE_MINIMUM_ADDED", "error"),
        ("CONFLUENT_REFUSES_HARMLESS_CHANGE", "warning"),
    ]


def test_every_finding_describes_itself_in_one_line() -> None:
    for finding in findings(CLOSED_B, {"type": "integer"}, Level.FULL):
        line = finding.describe()
        assert "\n" not in line
        assert line.startswith(finding.rule)
        assert finding.hint == RULES[finding.rule].fix


def test_catalogue_is_closed_under_mirroring() -> None:
    for rule_id, rule in RULES.items():
        other = mirror(rule_id)
        if rule_id == "KEYWORD_CHANGED":
            continue
        assert other in RULES, rule_id
        assert mirror(other) == rule_id
        if other == rule_id:
            assert rule.breaks == "BOTH", rule_id
        elif rule.breaks != "BOTH":
            assert {rule.breaks, RULES[other].breaks} == {"BACKWARD", "FORWARD"}, rule_id
        assert rule.summary and rule.fix and rule.example_old and rule.example_new
        json.loads(rule.example_old)
        json.loads(rule.example_new)
    assert set(RULES) >= LENIENT_ALLOWED


def test_precomputation_is_cached_on_the_schema() -> None:
    schema = parse(source({"properties": {"a": {"$ref": "#/definitions/a"}},
                           "definitions": {"a": {"type": "string"}}}))
    assert schema.pointers is schema.pointers  # type: ignore[attr-defined]
    assert schema.validator is schema.validator  # type: ignore[attr-defined]
    assert schema.registry is schema.registry  # type: ignore[attr-defined]


def test_recursive_union_changes_are_found_behind_the_recursion() -> None:
    def linked_list(value: dict[str, Any]) -> dict[str, Any]:
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": "#/$defs/node",
            "$defs": {
                "node": {
                    "anyOf": [
                        {"type": "null"},
                        {
                            "type": "object",
                            "properties": {"v": value, "next": {"$ref": "#/$defs/node"}},
                        },
                    ]
                }
            },
        }

    assert findings(linked_list({"type": "integer"}), linked_list({"type": "integer"}),
                    Level.FULL) == []
    got = findings(linked_list({"type": "integer"}), linked_list({"type": "number"}), Level.FULL)
    assert [(f.rule, f.direction) for f in got] == [
        ("COMBINED_TYPE_SUBSCHEMAS_CHANGED", Direction.FORWARD)
    ]
    assert got[0].location == "/$defs/node"  # Confluent names the union, not a branch
