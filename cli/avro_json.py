"""JSON lines into the Python values Avro serialisers take, guided by the schema.

`charter produce` reads JSON; an Avro schema's logical types want Python types JSON has not:
decimals (`Decimal`, from a string or number), timestamps (`datetime`, from RFC 3339 or epoch
numbers), dates and times, and bytes (from a string, as Avro's JSON encoding writes them). A
union branch may be given in Avro's JSON encoding, `{"type name": value}`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["avro_from_json"]

_PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def _full_name(schema: dict[str, Any], namespace: str | None) -> tuple[str, str | None]:
    name = str(schema["name"])
    if "." in name:
        return name, name.rsplit(".", 1)[0]
    ns = schema.get("namespace", namespace)
    return (f"{ns}.{name}" if ns else name), ns


def _collect(schema: Any, namespace: str | None, named: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, namespace, named)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and "name" in schema:
            full, namespace = _full_name(schema, namespace)
            named[full] = schema
            named.setdefault(str(schema["name"]).rsplit(".", 1)[-1], schema)
        for f in schema.get("fields", ()):
            _collect(f.get("type"), namespace, named)
        for key in ("items", "values"):
            if key in schema:
                _collect(schema[key], namespace, named)
        if isinstance(kind, dict | list):
            _collect(kind, namespace, named)


def _branch_name(schema: Any) -> str:
    if isinstance(schema, str):
        return schema
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            return str(schema["name"])
        return str(kind)
    return "union"


def _to_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # let the serialiser report it
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _convert(schema: Any, value: Any, named: dict[str, Any]) -> Any:
    if isinstance(schema, str):
        if schema in _PRIMITIVES:
            if schema == "bytes" and isinstance(value, str):
                try:
                    return value.encode("latin-1")  # Avro's JSON encoding of bytes
                except UnicodeEncodeError:
                    return value
            return value
        found = named.get(schema)
        return value if found is None else _convert(found, value, named)
    if isinstance(schema, list):
        if value is None:
            return None
        if isinstance(value, dict) and len(value) == 1:
            ((tag, inner),) = value.items()
            for branch in schema:
                if _branch_name(branch) in (tag, tag.rsplit(".", 1)[-1]):
                    return _convert(branch, inner, named)
        for branch in schema:
            if branch != "null":
                return _convert(branch, value, named)
        return value
    if not isinstance(schema, dict):
        return value
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if (
        logical == "decimal"
        and isinstance(value, str | int | float)
        and not isinstance(value, bool)
    ):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    if logical in ("timestamp-millis", "timestamp-micros", "local-timestamp-millis"):
        return _to_time(value)
    if logical == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return value
    if logical in ("time-millis", "time-micros") and isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            return value
    if kind in ("record", "error") and isinstance(value, dict):
        fields = {f["name"]: f["type"] for f in schema.get("fields", ())}
        return {k: _convert(fields[k], v, named) if k in fields else v for k, v in value.items()}
    if kind == "array" and isinstance(value, list):
        return [_convert(schema.get("items"), v, named) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _convert(schema.get("values"), v, named) for k, v in value.items()}
    if isinstance(kind, str | list | dict) and kind not in (
        "record",
        "error",
        "array",
        "map",
        "enum",
        "fixed",
    ):
        return _convert(kind, value, named)
    return value


def avro_from_json(schema: Any, value: Any) -> Any:
    """`value` (parsed JSON) with Avro logical types and union encodings turned into Python."""
    named: dict[str, Any] = {}
    _collect(schema, None, named)
    return _convert(schema, value, named)
