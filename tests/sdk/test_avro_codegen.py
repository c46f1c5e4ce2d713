"""The generated Avro encoder/decoder agree with the strict validator and with fastavro."""

from __future__ import annotations

import io
import os
import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compat.avro import Node
from sdk.avro_codegen import Invalid, compile_decoder, compile_encoder
from sdk.codecs import avro_schema
from tests.sdk.conftest import order_avro_event
from tests.sdk.test_avro_validation import RECORD, good, json_like, validator_for

EXAMPLES = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "200"))

LOGICAL = {
    "type": "record",
    "name": "L",
    "fields": [
        {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "micros", "type": {"type": "long", "logicalType": "timestamp-micros"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {
            "name": "fx",
            "type": {
                "type": "fixed",
                "name": "Fx",
                "size": 8,
                "logicalType": "decimal",
                "precision": 12,
                "scale": 4,
            },
        },
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "maybe", "type": ["null", "long", "string"], "default": None},
        {"name": "nested", "type": {"type": "map", "values": {"type": "array", "items": "float"}}},
    ],
}


def fastavro_bytes(schema: Any, value: Any) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return out.getvalue()


def fastavro_read(schema: Any, data: bytes) -> Any:
    return fastavro.schemaless_reader(io.BytesIO(data), fastavro.parse_schema(schema), None)


def tree(schema: Any) -> Node:
    return avro_schema(schema).root


def encode(schema: Any, value: Any) -> bytes | None:
    try:
        return b"".join(compile_encoder(tree(schema))([], value))
    except Invalid:
        return None


@pytest.mark.parametrize(
    "schema,value",
    [
        (RECORD, good()),
        (RECORD, {k: v for k, v in good().items() if k not in ("tags", "attrs")}),
        (RECORD, good(tags=[], attrs={}, label="x" * 300, total=-(2**63), count=-1)),
        (
            LOGICAL,
            {
                "when": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
                "micros": 12,
                "day": date(2026, 2, 28),
                "price": Decimal("-1234.50"),
                "fx": Decimal("1.0825"),
                "id": "0b7d3a64-8f2b-4d52-a1c3-2f6d3e3c9b10",
                "maybe": 2**40,
                "nested": {"a": [1.5, -2.0], "": []},
            },
        ),
    ],
)
def test_bytes_equal_fastavro_and_decode_back(schema: Any, value: Any) -> None:
    data = encode(schema, value)
    assert data == fastavro_bytes(schema, value)
    decoded, end = compile_decoder(tree(schema))(data, 0)
    assert end == len(data)
    assert decoded == fastavro_read(schema, data)


def test_order_event(order_avro_schema: Any) -> None:
    event = order_avro_event()
    data = encode(order_avro_schema, event)
    assert data == fastavro_bytes(order_avro_schema, event)
    assert compile_decoder(tree(order_avro_schema))(data, 0)[0] == event


def test_long_arrays_and_strings_use_multibyte_lengths() -> None:
    schema = {"type": "array", "items": "string"}
    value = ["é" * n for n in range(200)]
    data = encode(schema, value)
    assert data == fastavro_bytes(schema, value)
    assert compile_decoder(tree(schema))(data, 0) == (value, len(data))


def test_blocks_with_byte_counts_are_read() -> None:
    # a writer may emit a negative count followed by the block's size in bytes
    data = bytes([3, 4, 2, 4, 0])  # count -2, size 2, items 1 and 2, end
    assert compile_decoder(tree({"type": "array", "items": "int"}))(data, 0) == ([1, 2], 5)


@settings(max_examples=EXAMPLES, deadline=None)
@given(st.fixed_dictionaries({}, optional={k: json_like for k in good()}) | json_like)
def test_encoder_refuses_exactly_what_the_validator_refuses(value: Any) -> None:
    data = encode(RECORD, value)
    assert (data is not None) == validator_for(RECORD).is_valid(value)
    if data is not None:
        assert data == fastavro_bytes(RECORD, value)
        assert compile_decoder(tree(RECORD))(data, 0)[0] == fastavro_read(RECORD, data)


def test_recursive_and_shared_records() -> None:
    schema = {
        "type": "record",
        "name": "Node",
        "fields": [
            {"name": "v", "type": "int"},
            {"name": "next", "type": ["null", "Node"]},
            {
                "name": "pair",
                "type": {
                    "type": "array",
                    "items": {
                        "type": "record",
                        "name": "P",
                        "fields": [{"name": "a", "type": "string"}],
                    },
                },
            },
            {"name": "other", "type": ["null", "P"], "default": None},
        ],
    }
    value = {
        "v": 1,
        "pair": [{"a": "x"}],
        "other": {"a": "y"},
        "next": {"v": 2, "next": None, "pair": [], "other": None},
    }
    data = encode(schema, value)
    assert data == fastavro_bytes(schema, value)
    assert compile_decoder(tree(schema))(data, 0) == (fastavro_read(schema, data), len(data))


@pytest.mark.parametrize("items", ["null", "string"])
def test_hostile_block_counts_are_refused(items: str) -> None:
    decode = compile_decoder(tree({"type": "array", "items": items}))
    huge = bytes([0xFE, 0xFF, 0xFF, 0xFF, 0x0F])  # zigzag of a count near 2**31
    with pytest.raises(ValueError, match="block count"):
        decode(huge, 0)


DECIMAL = {
    "type": "record",
    "name": "D",
    "fields": [
        {
            "name": "amount",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "count", "type": "long"},
        {"name": "small", "type": "int"},
    ],
}


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.decimals(allow_nan=True, allow_infinity=True)
    | st.decimals(places=2, min_value=-(10**7), max_value=10**7)
    | st.decimals(places=3, min_value=-10, max_value=10),
    st.integers(-(2**63), 2**63 - 1),
    st.integers(-(2**31), 2**31 - 1),
)
def test_decimals_and_varints_match_fastavro_and_the_validator(
    amount: Decimal, count: int, small: int
) -> None:
    value = {"amount": amount, "count": count, "small": small}
    data = encode(DECIMAL, value)
    assert (data is not None) == validator_for(DECIMAL).is_valid(value)
    if data is not None:
        assert data == fastavro_bytes(DECIMAL, value)
        decoded, end = compile_decoder(tree(DECIMAL))(data, 0)
        assert end == len(data)
        assert decoded == fastavro_read(DECIMAL, data)


REQUIRED = {
    "type": "record",
    "name": "Req",
    "fields": [
        {"name": "a", "type": "int"},
        {"name": "b", "type": ["null", "string"]},
        {
            "name": "c",
            "type": {"type": "record", "name": "Inner", "fields": [{"name": "x", "type": "long"}]},
        },
    ],
}
_REQUIRED_VALUES = {"a": st.integers(-3, 3), "b": st.none() | st.text(max_size=3),
                    "c": st.fixed_dictionaries({"x": st.integers(0, 5)}) | json_like}


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    st.fixed_dictionaries(
        {}, optional={**_REQUIRED_VALUES, "d": json_like, "": json_like, "x": json_like}
    )
)
def test_records_without_defaults_refuse_missing_and_unknown_fields(value: Any) -> None:
    # such records check their size instead of their keys: the refusals must be the same
    data = encode(REQUIRED, value)
    assert (data is not None) == validator_for(REQUIRED).is_valid(value)
    if data is not None:
        assert data == fastavro_bytes(REQUIRED, value)
        assert compile_decoder(tree(REQUIRED))(data, 0) == (value, len(data))


@pytest.mark.parametrize("prefix", [bytes([3]), bytes([0x81, 0x01])])  # lengths -2 and -65
def test_negative_lengths_are_refused(prefix: bytes) -> None:
    decode = compile_decoder(tree({"type": "array", "items": "string"}))
    data = bytes([2]) + prefix + b"abc" * 30 + bytes([0])
    with pytest.raises((IndexError, ValueError)):
        end = decode(data, 0)[1]
        if end > len(data):
            raise IndexError("truncated payload")


@pytest.mark.parametrize("kind,bits", [("int", 32), ("long", 64)])
def test_integer_ranges_end_where_the_validator_says(kind: str, bits: int) -> None:
    # the encoder checks the range on the zig-zag value, once it needs more than four bytes
    schema = {"type": "record", "name": "N", "fields": [{"name": "n", "type": kind}]}
    low, high = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    for n in (low - 1, low, low + 1, -1, 0, 2**27, high - 1, high, high + 1, 2**bits):
        data = encode(schema, {"n": n})
        assert (data is not None) == validator_for(schema).is_valid({"n": n}) == (low <= n <= high)
        if data is not None:
            assert data == fastavro_bytes(schema, {"n": n})
            assert compile_decoder(tree(schema))(data, 0) == ({"n": n}, len(data))


def test_double_and_float_arrays_refuse_what_the_validator_refuses() -> None:
    schema = {
        "type": "record",
        "name": "A",
        "fields": [
            {"name": "d", "type": {"type": "array", "items": "double"}},
            {"name": "f", "type": {"type": "array", "items": "float"}},
        ],
    }
    for d, f in (([1.5, 2, -0.0], [0.5, 3]), ([1.5, "x"], []), ([], [1e39]), ([True], [])):
        value = {"d": d, "f": f}
        data = encode(schema, value)
        assert (data is not None) == validator_for(schema).is_valid(value)
        if data is not None:
            assert data == fastavro_bytes(schema, value)


def test_enum_indexes_outside_the_symbols_are_refused() -> None:
    symbols = [f"S{n}" for n in range(70)]
    decode = compile_decoder(tree({"type": "enum", "name": "E", "symbols": symbols}))
    assert decode(bytes([4]), 0) == ("S2", 1)
    assert decode(bytes([0x8A, 0x01]), 0) == ("S69", 2)  # index 69: two bytes
    for data in (bytes([1]), bytes([3]), bytes([0x8C, 0x01]), bytes([0x80, 0x02])):
        with pytest.raises(ValueError, match="enum index"):  # -1, -2, 70, 128
            decode(data, 0)


WIDE = {  # more than 16 fields: decoded into a copied dict of the names, some stored directly
    "type": "record",
    "name": "W",
    "fields": [
        *({"name": f"s{n}", "type": "string"} for n in range(6)),
        *({"name": f"l{n}", "type": "long"} for n in range(6)),
        {"name": "flag", "type": "boolean"},
        {"name": "ratio", "type": "double"},
        {"name": "none", "type": "null"},
        {"name": "maybe", "type": ["null", "string"], "default": None},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "marks", "type": {"type": "array", "items": "long"}},
        {"name": "cells", "type": {"type": "array", "items": "double"}},
        {"name": "attrs", "type": {"type": "map", "values": "int"}},
        {"name": "opts", "type": {"type": "array", "items": ["null", "string", "long"]}},
        {"name": "maybes", "type": {"type": "map", "values": ["null", "double"]}},
        {"name": "when", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def wide_value(items: int, text: str = "value") -> dict[str, Any]:
    return {
        **{f"s{n}": text * n for n in range(6)},
        **{f"l{n}": (-1) ** n * 7**(n * 4) for n in range(6)},
        "flag": True,
        "ratio": -0.25,
        "none": None,
        "maybe": "é" if items % 2 else None,
        "tags": [f"t{n}" * (n % 5) for n in range(items)],
        "marks": [n * 1_000_003 * (-1) ** n for n in range(items)],
        "cells": [n / 3 for n in range(items)],
        "attrs": {f"k{n}": n - 40 for n in range(items)},
        "opts": [None if n % 3 == 0 else f"o{n}" if n % 3 == 1 else -n for n in range(items)],
        "maybes": {f"m{n}": None if n % 2 else n / 7 for n in range(items)},
        "when": datetime(2026, 11, 26, 20, 15, 3, 123000, tzinfo=UTC),
    }


@pytest.mark.parametrize("items", [0, 1, 3, 64, 65, 200])  # blocks of one-byte and longer counts
def test_wide_records_and_large_blocks_match_fastavro(items: int) -> None:
    value = wide_value(items, "é" if items == 65 else "value")
    data = encode(WIDE, value)
    assert data == fastavro_bytes(WIDE, value)
    assert compile_decoder(tree(WIDE))(data, 0) == (fastavro_read(WIDE, data), len(data))


def test_negative_counts_of_several_bytes_are_read() -> None:
    # count -70 (zig-zag 139: two bytes), its block's byte size 70 (zig-zag 140), 70 ones
    data = bytes([0x8B, 0x01, 0x8C, 0x01]) + bytes([2]) * 70 + bytes([0])
    assert compile_decoder(tree({"type": "array", "items": "long"}))(data, 0) == (
        [1] * 70,
        len(data),
    )


def test_every_truncation_is_refused() -> None:
    value = wide_value(3)
    data = encode(WIDE, value)
    decode = compile_decoder(tree(WIDE))
    for cut in range(len(data)):
        with pytest.raises((IndexError, ValueError, struct.error)):
            if decode(data[:cut], 0)[1] > cut:
                raise IndexError("truncated payload")
