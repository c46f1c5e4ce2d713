"""JSON values turned into what an Avro schema's types take (for `charter produce`)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

from cli.avro_json import avro_from_json
from compat import Reference, SchemaSource
from compat.avro import parse_avro

SCHEMA = {
    "type": "record",
    "name": "Thing",
    "namespace": "t",
    "fields": [
        {
            "name": "price",
            "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
        },
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": ["null", {"type": "int", "logicalType": "date"}]},
        {"name": "raw", "type": "bytes"},
        {
            "name": "inner",
            "type": {
                "type": "record",
                "name": "Inner",
                "fields": [
                    {
                        "name": "n",
                        "type": {
                            "type": "bytes",
                            "logicalType": "decimal",
                            "precision": 4,
                            "scale": 1,
                        },
                    }
                ],
            },
        },
        {"name": "many", "type": {"type": "array", "items": "Inner"}},
        # after "inner": Avro names a type only once it is defined
        {"name": "tag", "type": ["null", "string", "Inner"], "default": None},
    ],
}


def test_logical_types_unions_and_named_types_convert() -> None:
    value = {
        "price": "9.50",
        "at": "2026-11-26T20:15:03Z",
        "day": "2026-11-26",
        "raw": "\u00ffA",
        "tag": {"t.Inner": {"n": 1.5}},
        "inner": {"n": "2.5"},
        "many": [{"n": 3}],
    }
    got = avro_from_json(SCHEMA, value)
    assert got == {
        "price": Decimal("9.50"),
        "at": datetime(2026, 11, 26, 20, 15, 3, tzinfo=UTC),
        "day": date(2026, 11, 26),
        "raw": b"\xffA",
        "tag": {"n": Decimal("1.5")},
        "inner": {"n": Decimal("2.5")},
        "many": [{"n": Decimal("3")}],
    }


def test_values_that_do_not_convert_are_left_for_the_serialiser_to_report() -> None:
    got = avro_from_json(SCHEMA, {"price": "lots", "at": "yesterday", "day": None, "tag": "x"})
    assert got == {"price": "lots", "at": "yesterday", "day": None, "tag": "x"}


def test_a_parsed_schema_resolves_referenced_types() -> None:
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "t",
        "fields": [
            {
                "name": "amount",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2},
            }
        ],
    }
    schema = {
        "type": "record",
        "name": "Order",
        "namespace": "t",
        "fields": [{"name": "total", "type": ["null", "Money"]}],
    }
    ref = Reference("t.Money", "money", 1)
    parsed = parse_avro(
        SchemaSource(json.dumps(schema), references=(ref,)),
        lambda _: SchemaSource(json.dumps(money)),
    )
    got = avro_from_json(parsed, {"total": {"Money": {"amount": "1.25"}}})
    assert got == {"total": {"amount": Decimal("1.25")}}
    # the schema alone names a type it does not define: left for the serialiser to judge
    assert avro_from_json(schema, {"total": "x"}) == {"total": "x"}
