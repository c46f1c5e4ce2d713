"""Warnings where Confluent's verdict and the data part ways: their example instances are checked
with `jsonschema` against both schemas, and they never change a verdict."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from compat import Direction, Level, Policy, SchemaSource, SchemaType, check, parse
from compat.json_schema.verdict import ACCEPTS, REFUSES, confluent_findings
from tests.compat.corpus import Case, all_cases

JSON_CASES = [c for c in all_cases() if c.schema_type is SchemaType.JSON and len(c.history) == 1]


def _validator(source: SchemaSource) -> Any:
    document = json.loads(source.text)
    cls = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    return cls(document)


@pytest.mark.parametrize("case", JSON_CASES, ids=[c.id for c in JSON_CASES])
def test_warning_instances_validate_as_they_claim(case: Case) -> None:
    old_source, new_source = case.history[0], case.new
    old, new = parse(old_source), parse(new_source)
    validators = {"old": _validator(old_source), "new": _validator(new_source)}
    for policy in Policy:
        for level in (Level.BACKWARD, Level.FORWARD):
            result = check(level, new, [old], policy=policy)
            for warning in result.warnings:
                writer, reader = ("old", "new") if warning.direction is Direction.BACKWARD else (
                    "new", "old")
                instance = warning.new
                if warning.rule == ACCEPTS:
                    assert validators[writer].is_valid(instance), (policy, level, instance)
                    assert not validators[reader].is_valid(instance), (policy, level, instance)
                    assert json.dumps(instance, sort_keys=True, separators=(",", ":"))[:40] in (
                        warning.message
                    )
                else:
                    assert warning.rule == REFUSES
                    if instance is not None:
                        assert validators[writer].is_valid(instance)
                        assert validators[reader].is_valid(instance)
                assert warning.describe().startswith("WARNING ")


@pytest.mark.parametrize("case", JSON_CASES, ids=[c.id for c in JSON_CASES])
def test_warnings_never_change_the_strict_or_lenient_verdict(case: Case) -> None:
    old, new = parse(case.history[0]), parse(case.new)
    for policy in (Policy.STRICT, Policy.LENIENT):
        for direction in Direction:
            reader, writer = (new, old) if direction is Direction.BACKWARD else (old, new)
            level = Level(direction.value)
            result = check(level, new, [old], policy=policy)
            confluent = confluent_findings(reader, writer, direction=direction, policy=policy)
            assert [f.rule for f in result.errors] == [f.rule for f in confluent]
            assert result.compatible == (not confluent)


def test_sound_refuses_wrong_acceptances_and_warns_of_needless_refusals() -> None:
    def src(value: Any) -> Any:
        return parse(SchemaSource(json.dumps(value), SchemaType.JSON))

    old = src({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["x"]})
    new = src({"type": "object", "properties": {"a": {"type": "string"}}, "required": ["y"]})
    assert check(Level.BACKWARD, new, [old]).compatible
    sound = check(Level.BACKWARD, new, [old], policy=Policy.SOUND)
    assert not sound.compatible and not sound.warnings

    old = src({"type": "array", "additionalItems": True})
    new = src({"type": "array", "additionalItems": False})
    assert not check(Level.BACKWARD, new, [old]).compatible
    sound = check(Level.BACKWARD, new, [old], policy=Policy.SOUND)
    assert sound.compatible
    assert [f.rule for f in sound.warnings] == [REFUSES]
    assert "ADDITIONAL_ITEMS_REMOVED" in sound.warnings[0].message
