"""Strict Avro validation: every violation, with its path, before fastavro sees the value."""

from __future__ import annotations

import io
import os
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk import ConfigurationError, ValidationError, Violation
from sdk.avro_check import AvroValidator
from sdk.codecs import AvroCodec, avro_schema
from tests.sdk.conftest import order_avro_event

EXAMPLES = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "200"))

RECORD = {
    "type": "record",
    "name": "Reading",
    "namespace": "t",
    "fields": [
        {"name": "count", "type": "int"},
        {"name": "total", "type": "long"},
        {"name": "ratio", "type": "float"},
        {"name": "label", "type": ["null", "string"]},
        {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["A", "B"]}},
        {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
        {"name": "attrs", "type": {"type": "map", "values": "int"}, "default": {}},
        {"name": "digest", "type": {"type": "fixed", "name": "Digest", "size": 4}},
    ],
}


def good(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "count": 1,
        "total": 2**40,
        "ratio": 0.5,
        "label": None,
        "kind": "A",
        "tags": ["x"],
        "attrs": {"a": 1},
        "digest": b"abcd",
    }
    value.update(changes)
    return value


def validator_for(schema: Any) -> AvroValidator:
    """The validator of a schema given as Python objects (compat's model in between)."""
    return AvroValidator(avro_schema(schema).root)


def violations(value: Any, schema: Any = RECORD) -> list[Violation]:
    validator = validator_for(schema)
    found = validator.violations(value)
    assert validator.is_valid(value) == (not found)
    return found


def test_valid_value_has_no_violations() -> None:
    assert violations(good()) == []


def test_float_into_int_is_rejected_even_when_whole() -> None:
    assert violations(good(count=1.5)) == [Violation("/count", "expected int, got float 1.5")]
    assert [v.path for v in violations(good(count=2.0))] == ["/count"]


def test_bool_is_not_an_int() -> None:
    assert [v.path for v in violations(good(count=True))] == ["/count"]


@pytest.mark.parametrize("value", [2**31, -(2**31) - 1])
def test_int_outside_32_bits_is_rejected(value: int) -> None:
    [found] = violations(good(count=value))
    assert found.path == "/count"
    assert "outside the int range" in found.message


def test_long_range_is_64_bits() -> None:
    assert violations(good(total=2**63 - 1)) == []
    assert [v.path for v in violations(good(total=2**63))] == ["/total"]


def test_unknown_field_is_rejected() -> None:
    [found] = violations(good(colour="red"))
    assert found.path == "/colour"
    assert "unknown field" in found.message


def test_missing_required_field_is_rejected_even_when_nullable() -> None:
    value = good()
    del value["label"], value["count"]
    assert sorted(v.path for v in violations(value)) == ["/count", "/label"]


def test_missing_field_with_default_is_fine() -> None:
    value = good()
    del value["tags"], value["attrs"]
    assert violations(value) == []


def test_every_violation_is_listed_with_its_path() -> None:
    value = good(count="1", kind="C", tags=["ok", 3], attrs={"a": "x"}, digest=b"ab", extra=1)
    assert sorted(v.path for v in violations(value)) == [
        "/attrs/a",
        "/count",
        "/digest",
        "/extra",
        "/kind",
        "/tags/1",
    ]


def test_nested_paths_in_the_order_event(order_avro_schema: dict[str, Any]) -> None:
    event = order_avro_event()
    event["data"]["items"][1]["quantity"] = 1.0
    event["data"]["items"][0]["unitPrice"] = Decimal("9.505")
    event["version"] = "1"
    found = violations(event, order_avro_schema)
    assert sorted(v.path for v in found) == [
        "/data/items/0/unitPrice",
        "/data/items/1/quantity",
        "/version",
    ]


def test_union_of_records_and_recursion() -> None:
    schema = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
    assert violations({"v": 1, "next": {"v": 2, "next": None}}, schema) == []
    assert violations({"v": 1, "next": {"v": "2", "next": None}}, schema) == [
        Violation("/next/v", "expected int, got str '2'")
    ]


def test_json_pointer_escapes_keys() -> None:
    schema = {"type": "map", "values": "int"}
    assert [v.path for v in violations({"a/b~c": "x"}, schema)] == ["/a~1b~0c"]


def test_codec_raises_before_encoding(order_avro_schema: dict[str, Any]) -> None:
    codec = AvroCodec(order_avro_schema)
    event = order_avro_event(orderId=7)
    with pytest.raises(ValidationError) as info:
        codec.encode(event, b"\x00\x00\x00\x00\x01", "orders-value", 1)
    assert info.value.violations == (Violation("/data/orderId", "expected string, got int 7"),)
    assert info.value.subject == "orders-value"


def test_codec_output_is_fastavro_schemaless(order_avro_schema: dict[str, Any]) -> None:
    codec = AvroCodec(order_avro_schema)
    event = order_avro_event()
    data = codec.encode(event, b"\x00\x00\x00\x00\x09", None, 9)
    assert data[:5] == b"\x00\x00\x00\x00\x09"
    decoded = fastavro.schemaless_reader(io.BytesIO(data[5:]), codec.parsed, None)
    assert decoded == event


def test_invalid_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        AvroCodec({"type": "record", "name": "X", "fields": [{"name": "a", "type": "nope"}]})


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.binary(max_size=6)
    | st.sampled_from(["A", "B", "C"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: json_like for k in good()}) | json_like)
def test_fast_check_and_explanation_agree(value: Any) -> None:
    validator = validator_for(RECORD)
    assert validator.is_valid(value) == (validator.violations(value) == [])


def test_a_schema_the_registry_would_refuse_is_a_configuration_error_with_its_place() -> None:
    field = {"name": "n", "type": "int", "default": "1"}
    schema = {"type": "record", "name": "X", "fields": [field]}
    with pytest.raises(ConfigurationError, match="/fields/0/default"):
        AvroCodec(schema)


def test_referenced_types_resolve_through_compat() -> None:
    kind = {"type": "enum", "name": "Kind", "namespace": "t", "symbols": ["A", "B"]}
    reading = {
        "type": "record",
        "name": "R",
        "namespace": "t",
        "fields": [{"name": "kind", "type": "Kind"}],
    }
    codec = AvroCodec(reading, named={"t.Kind": kind})
    data = codec.encode({"kind": "B"}, b"\x00\x00\x00\x00\x01", None, 1)
    assert data == b"\x00\x00\x00\x00\x01\x02"
    assert codec.validator.violations({"kind": "C"}) == [
        Violation("/kind", "'C' is not a symbol of enum t.Kind (A, B)")
    ]
