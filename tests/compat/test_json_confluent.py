"""Confluent's JSON Schema rules, one by one: the differences they name and how policies weigh
them. The corpus (`corpus/json/confluent/`) covers the families pair by pair; these tests pin
the rules themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest

from compat import Direction, Level, Policy, SchemaSource, SchemaType, Severity, check, check_pair
from compat import parse as parse_source
from compat.json_schema.confluent import LENIENT_COMPATIBLE, STRICT_COMPATIBLE, K
from compat.json_schema.rules import RULES, mirror

D2020 = "https://json-schema.org/draft/2020-12/schema"
S, N, INT = {"type": "string"}, {"type": "number"}, {"type": "integer"}


def parse(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value)
    return parse_source(SchemaSource(text, SchemaType.JSON))


def errors(old: Any, new: Any, level: Level = Level.BACKWARD,
           policy: Policy = Policy.STRICT) -> list[str]:
    result = check(level, parse(new), [parse(old)], policy=policy)
    return sorted(f.rule for f in result.errors)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_every_rule_shows_on_its_own_example(rule_id: str) -> None:
    """The catalogue's example pair produces the rule in the reading it says breaks."""
    rule = RULES[rule_id]
    old, new = parse(rule.example_old), parse(rule.example_new)
    policy = Policy.SOUND if rule_id == "KEYWORD_CHANGED" else Policy.STRICT  # SOUND-only rule
    readings = {
        Direction.BACKWARD: {f.rule: f for f in check_pair(new, old, policy=policy)},
        Direction.FORWARD: {
            f.rule: f
            for f in check_pair(old, new, direction=Direction.FORWARD, policy=policy)
        },
    }
    wanted = {
        "BACKWARD": [Direction.BACKWARD],
        "FORWARD": [Direction.FORWARD],
        "BOTH": [Direction.BACKWARD, Direction.FORWARD],
    }[rule.breaks]
    shown = [readings[d][rule_id] for d in wanted if rule_id in readings[d]]
    assert shown, f"{rule_id}: {rule.example_old} -> {rule.example_new}"
    assert all(f.severity is rule.severity for f in shown)


def test_every_incompatible_difference_and_its_mirror_is_catalogued() -> None:
    for kind in K:
        if kind in STRICT_COMPATIBLE:
            continue
        assert kind.value in RULES, kind
        assert mirror(kind.value) in RULES, kind


def test_lenient_accepts_everything_strict_accepts_and_only_content_model_changes_more() -> None:
    assert STRICT_COMPATIBLE < LENIENT_COMPATIBLE
    extra = LENIENT_COMPATIBLE - STRICT_COMPATIBLE
    assert all("PROPERTIES" in k or "PROPERTY" in k for k in extra)


def test_policy_parses_sound() -> None:
    assert Policy.parse("sound") is Policy.SOUND


def test_allof_of_disjoint_types_to_a_smaller_anyof_is_compatible() -> None:
    """The issue's example: COMBINED_TYPE_EXTENDED + PRODUCT_TYPE_NARROWED, one branch matched.
    The old allOf accepts nothing, so the semantics agree and no warning is added."""
    old = {"type": "object", "properties": {"p": {"allOf": [N, S]}}}
    new = {"type": "object", "properties": {"p": {"anyOf": [S]}}}
    result = check(Level.BACKWARD, parse(new), [parse(old)])
    assert result.findings == ()
    assert errors(old, new, policy=Policy.SOUND) == []
    assert errors(old, new, Level.FORWARD) == ["COMBINED_TYPE_CHANGED"]


def test_union_branches_are_matched_one_to_one_by_a_maximum_matching() -> None:
    """A greedy pairing (first old branch to first compatible new one) would miss this."""
    old = {"anyOf": [{"type": "string", "maxLength": 5}, S]}
    new = {"anyOf": [S, {"type": "string", "maxLength": 6}]}
    assert errors(old, new) == []
    assert errors(old, {"anyOf": [S, {"type": "string", "maxLength": 4}]}) == [
        "COMBINED_TYPE_SUBSCHEMAS_CHANGED"
    ]


def test_sub_verdicts_inside_a_partial_content_model_follow_the_policy() -> None:
    """Under LENIENT the uncovered property is accepted, the type change that made it so is not."""
    old = {"type": "object", "additionalProperties": S}
    new = {"type": "object", "properties": {"b": INT}, "additionalProperties": S}
    assert errors(old, new) == [
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", "TYPE_CHANGED"
    ]
    assert errors(old, new, policy=Policy.LENIENT) == ["TYPE_CHANGED"]


def test_min_contains_decreased_is_compatible_and_increased_is_not() -> None:
    base = {"$schema": D2020, "type": "array", "contains": S}
    assert errors({**base, "minContains": 3}, {**base, "minContains": 2}) == []
    assert errors({**base, "minContains": 2}, {**base, "minContains": 3}) == [
        "MIN_CONTAINS_INCREASED"
    ]
    assert errors({**base, "minContains": 3}, {**base, "minContains": 2}, Level.FORWARD) == [
        "MIN_CONTAINS_DECREASED"
    ]


def test_prefix_item_covered_by_unevaluated_items_is_compatible() -> None:
    old = {"$schema": D2020, "type": "array", "prefixItems": [S], "unevaluatedItems": INT}
    new = {"$schema": D2020, "type": "array", "prefixItems": [S, INT], "unevaluatedItems": INT}
    assert errors(old, new, Level.FULL) == []
    assert errors(old, new, Level.FULL, Policy.SOUND) == []


def test_draft7_additional_items_count_without_a_tuple() -> None:
    old, new = {"type": "array", "additionalItems": True}, {"type": "array",
                                                            "additionalItems": False}
    result = check(Level.BACKWARD, parse(new), [parse(old)])
    assert [f.rule for f in result.errors] == ["ADDITIONAL_ITEMS_REMOVED"]
    assert [f.rule for f in result.warnings] == ["CONFLUENT_REFUSES_HARMLESS_CHANGE"]
    assert errors(old, new, policy=Policy.SOUND) == []
    changed = {"type": "array", "additionalItems": N}
    assert errors({"type": "array", "additionalItems": S}, changed, Level.FULL) == [
        "TYPE_CHANGED", "TYPE_CHANGED"
    ]


def test_required_names_that_no_property_declares_are_not_compared() -> None:
    old = {"type": "object", "properties": {"a": S}, "required": ["x"]}
    new = {"type": "object", "properties": {"a": S}, "required": ["y"]}
    result = check(Level.BACKWARD, parse(new), [parse(old)])
    assert result.compatible
    (warning,) = result.warnings
    assert warning.rule == "CONFLUENT_ACCEPTS_BREAKING_CHANGE"
    assert warning.severity is Severity.WARNING
    assert errors(old, new, policy=Policy.SOUND) == ["REQUIRED_ATTRIBUTE_ADDED"]


def test_keywords_outside_the_model_are_not_compared() -> None:
    for old, new in (
        ({"type": "array", "contains": S}, {"type": "array", "contains": INT}),
        ({"type": "object", "propertyNames": {"maxLength": 3}},
         {"type": "object", "propertyNames": {"maxLength": 2}}),
        ({"type": "object", "patternProperties": {"^x": S}},
         {"type": "object", "patternProperties": {"^x": INT}}),
        ({"if": {"required": ["a"]}, "then": {"required": ["b"]}},
         {"if": {"required": ["a"]}, "then": {"required": ["c"]}}),
        ({"type": "string", "format": "email"}, {"type": "string", "format": "uri"}),
    ):
        assert errors(old, new, Level.FULL) == [], (old, new)
        assert errors(old, new, Level.FULL, Policy.LENIENT) == [], (old, new)


def test_unopen_content_model_of_unevaluated_properties() -> None:
    closed = {"$schema": D2020, "type": "object", "properties": {"a": S},
              "unevaluatedProperties": False}
    wider = {**closed, "properties": {"a": S, "b": INT}}
    assert errors(closed, wider) == []
    assert errors(closed, wider, Level.FORWARD) == ["PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL"]
    opened = {"$schema": D2020, "type": "object", "properties": {"a": S}}
    assert errors(opened, closed) == ["UNEVALUATED_PROPERTIES_REMOVED"]
    assert errors(opened, closed, policy=Policy.LENIENT) == []


def test_reference_cycles_terminate_in_confluents_walk() -> None:
    def tree(leaf: dict[str, Any]) -> dict[str, Any]:
        return {
            "$schema": D2020,
            "$ref": "#/$defs/t",
            "$defs": {
                "t": {
                    "type": "object",
                    "properties": {
                        "v": leaf,
                        "kids": {"type": "array", "items": {"$ref": "#/$defs/t"}},
                    },
                }
            },
        }

    assert errors(tree(INT), tree(INT), Level.FULL) == []
    assert errors(tree(INT), tree(N), Level.FULL) == ["TYPE_EXTENDED"]
