"""Strict JSON Schema validation: formats asserted, every violation listed with its path."""

from __future__ import annotations

from typing import Any

import pytest

from sdk import ConfigurationError, ValidationError
from sdk.codecs import JsonCodec
from tests.sdk.conftest import order_json_event


def paths(error: ValidationError) -> list[str]:
    return sorted(v.path for v in error.violations)


def encode(codec: JsonCodec, value: Any) -> bytes:
    return codec.encode(value, b"\x00\x00\x00\x00\x03", "orders-value", 3)


def test_valid_event_encodes_as_compact_utf8_json(order_json_schema: dict[str, Any]) -> None:
    data = encode(JsonCodec(order_json_schema), order_json_event(customerId="Zoë"))
    assert data[:5] == b"\x00\x00\x00\x00\x03"
    assert b'"customerId":"Zo\xc3\xab"' in data


def test_impossible_date_is_rejected(order_json_schema: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        encode(JsonCodec(order_json_schema), order_json_event(placedAt="2026-02-30T00:00:00Z"))
    assert paths(info.value) == ["/data/placedAt"]
    assert "date-time" in info.value.violations[0].message


def test_every_violation_is_listed(order_json_schema: dict[str, Any]) -> None:
    event = order_json_event(currency="euro", colour="red")
    event["data"]["items"][0]["quantity"] = 1.5
    del event["data"]["items"][1]["sku"]
    del event["source"]
    with pytest.raises(ValidationError) as info:
        encode(JsonCodec(order_json_schema), event)
    assert paths(info.value) == [
        "",
        "/data",
        "/data/currency",
        "/data/items/0/quantity",
        "/data/items/1",
    ]
    messages = " ".join(v.message for v in info.value.violations)
    assert "source" in messages and "colour" in messages and "sku" in messages


def test_integer_range_and_type(order_json_schema: dict[str, Any]) -> None:
    event = order_json_event()
    event["data"]["items"][0]["quantity"] = 2**31
    event["version"] = "1"
    with pytest.raises(ValidationError) as info:
        encode(JsonCodec(order_json_schema), event)
    assert paths(info.value) == ["/data/items/0/quantity", "/version"]


def test_python_values_without_json_form_are_violations(
    order_json_schema: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError):
        encode(JsonCodec(order_json_schema), order_json_event(orderId={1, 2}))


def test_invalid_schema_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        JsonCodec({"type": "object", "properties": {"a": {"type": "no-such-type"}}})
