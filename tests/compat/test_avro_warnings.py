"""Avro defaults Java's parser accepts although they do not fit: accepted, with a warning.

Java's Avro parser (and so Confluent) checks only that a fixed or enum field default is a
string. Charter stores such schemas as Confluent does and reports each as a WARNING finding of
the schema, once per check, never deciding the verdict.
"""

from __future__ import annotations

import json
from typing import Any

import avro.schema
import pytest

from compat import (
    Level,
    Reference,
    SchemaParseError,
    SchemaSource,
    SchemaType,
    Severity,
    check,
    iter_findings,
    parse,
)
from compat.catalog import all_rules

FIXED = {"type": "fixed", "name": "Hash", "size": 4}
ENUM = {"type": "enum", "name": "Status", "namespace": "t", "symbols": ["NEW", "DONE"]}


def record(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"type": "record", "name": "R", "namespace": "t", "fields": list(fields)}


def parsed(schema: Any) -> Any:
    return parse(SchemaSource(json.dumps(schema), SchemaType.AVRO))


CASES = [
    (record({"name": "h", "type": FIXED, "default": "ab"}), "DEFAULT_FIXED_SIZE_MISMATCH",
     "/fields/0/default"),
    (record({"name": "s", "type": ENUM, "default": "OPEN"}), "DEFAULT_NOT_AN_ENUM_SYMBOL",
     "/fields/0/default"),
    # inside a default: the pointer goes down into the default's value
    (record({"name": "s", "type": {"type": "array", "items": ENUM}, "default": ["NEW", "X"]}),
     "DEFAULT_NOT_AN_ENUM_SYMBOL", "/fields/0/default/1"),
    (record({"name": "m", "type": {"type": "map", "values": FIXED}, "default": {"a/b": ""}}),
     "DEFAULT_FIXED_SIZE_MISMATCH", "/fields/0/default/a~1b"),
    (record({"name": "in", "type": {"type": "record", "name": "In", "fields": [
        {"name": "h", "type": FIXED}]}, "default": {"h": "abcde"}}),
     "DEFAULT_FIXED_SIZE_MISMATCH", "/fields/0/default/h"),
    # a union default fitting only an enum branch, and only with a warning
    (record({"name": "s", "type": [ENUM, "null"], "default": "OPEN"}),
     "DEFAULT_NOT_AN_ENUM_SYMBOL", "/fields/0/default"),
]


@pytest.mark.parametrize(("schema", "rule", "location"), CASES)
def test_accepted_as_java_accepts_with_one_warning(
    schema: dict[str, Any], rule: str, location: str
) -> None:
    avro.schema.parse(json.dumps(schema))  # the reference implementation accepts it too
    [warning] = parsed(schema).warnings
    assert (warning.rule, warning.location, warning.severity) == (
        rule,
        location,
        Severity.WARNING,
    )
    assert warning.message.endswith(".") and warning.hint
    assert all_rules()[rule].severity is Severity.WARNING


def test_a_default_that_fits_cleanly_gives_no_warning() -> None:
    fine = record(
        {"name": "h", "type": FIXED, "default": "abcd"},
        {"name": "s", "type": ENUM, "default": "DONE"},
        {"name": "u", "type": ["t.Status", "string"], "default": "OPEN"},  # fits the string
    )
    assert parsed(fine).warnings == ()


@pytest.mark.parametrize(
    "field",
    [
        {"name": "h", "type": FIXED, "default": 1234},  # not a string: Java refuses too
        {"name": "h", "type": FIXED, "default": "\u0100bcd"},  # not bytes
        {"name": "s", "type": ENUM, "default": ["NEW"]},
    ],
)
def test_what_is_not_even_a_string_stays_an_error(field: dict[str, Any]) -> None:
    with pytest.raises(SchemaParseError) as info:
        parsed(record(field))
    assert info.value.location == "/fields/0/default"


def test_an_enum_types_own_default_must_still_be_a_symbol() -> None:
    # Java refuses this one ("The Enum Default: ... is not in the enum symbol set")
    with pytest.raises(SchemaParseError):
        parsed({**ENUM, "default": "OPEN"})


def test_warnings_are_reported_once_and_never_decide() -> None:
    old = parsed(record({"name": "id", "type": "long"}))
    new = parsed(
        record({"name": "id", "type": "long"}, {"name": "h", "type": FIXED, "default": "ab"})
    )
    result = check(Level.FULL_TRANSITIVE, new, [old, old])
    assert result.compatible
    assert [f.rule for f in result.findings] == ["DEFAULT_FIXED_SIZE_MISMATCH"]
    [message] = result.messages()
    assert message.startswith("WARNING DEFAULT_FIXED_SIZE_MISMATCH at /fields/1/default: ")
    # about the schema itself: reported without history and at level NONE too
    assert [f.rule for f in iter_findings(Level.NONE, new, [])] == ["DEFAULT_FIXED_SIZE_MISMATCH"]


def test_errors_come_first_and_still_decide() -> None:
    old = parsed(record({"name": "id", "type": "long"}))
    new = parsed(record({"name": "id", "type": "int"}, {"name": "s", "type": ENUM,
                                                         "default": "OPEN"}))
    result = check(Level.BACKWARD, new, [old])
    assert not result.compatible
    assert [f.rule for f in result.errors] == ["TYPE_MISMATCH"]
    assert result.messages()[1].startswith("WARNING DEFAULT_NOT_AN_ENUM_SYMBOL at /fields/1/")


def test_a_referenced_schemas_warnings_stay_with_it() -> None:
    holder = record({"name": "s", "type": ENUM, "default": "OPEN"})
    user = {"type": "record", "name": "U", "namespace": "t",
            "fields": [{"name": "r", "type": "t.R"}]}
    schema = parse(
        SchemaSource(json.dumps(user), SchemaType.AVRO, (Reference("t.R", "holder", 1),)),
        lambda _: SchemaSource(json.dumps(holder), SchemaType.AVRO),
    )
    assert schema.warnings == ()
