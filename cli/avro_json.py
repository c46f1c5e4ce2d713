"""JSON lines into the Python values Avro serialisers take, guided by the schema.

`charter produce` reads JSON; an Avro schema's logical types want Python types JSON has not:
decimals (`Decimal`, from a string or number), timestamps (`datetime`, from RFC 3339 or epoch
numbers), dates and times, and bytes (from a string, as Avro's JSON encoding writes them). A
union branch may be given in Avro's JSON encoding, `{"type name": value}`.

The conversion walks compat's Avro model (`compat.avro`), so names resolve as the registry
resolves them.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from compat import CompatError, SchemaSource
from compat.avro import (
    ArrayNode,
    AvroSchema,
    MapNode,
    NamedNode,
    Node,
    PrimitiveNode,
    RecordNode,
    UnionNode,
    parse_avro,
)

__all__ = ["avro_from_json"]

_TIMESTAMPS = frozenset({"timestamp-millis", "timestamp-micros", "local-timestamp-millis"})


def _branch_matches(branch: Node, tag: str) -> bool:
    """Whether `tag`, the key of `{"type name": value}`, names this union branch."""
    if isinstance(branch, NamedNode):
        return tag in (branch.fullname, branch.name)
    return tag == branch.kind


def _to_time(value: Any) -> Any:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # let the serialiser report it
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return value


def _logical(node: Node, value: Any) -> Any:
    logical = node.logical_type
    if node.decimal is not None:
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            try:
                return Decimal(str(value))
            except InvalidOperation:
                return value
        return value
    if logical in _TIMESTAMPS:
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
    if node.kind == "bytes" and isinstance(value, str):
        try:
            return value.encode("latin-1")  # Avro's JSON encoding of bytes
        except UnicodeEncodeError:
            return value
    return value


def _convert(node: Node, value: Any) -> Any:
    if isinstance(node, UnionNode):
        if value is None:
            return None
        if isinstance(value, dict) and len(value) == 1:
            ((tag, inner),) = value.items()
            for branch in node.branches:
                if _branch_matches(branch, tag):
                    return _convert(branch, inner)
        for branch in node.branches:
            if branch.kind != "null":
                return _convert(branch, value)
        return value
    if isinstance(node, RecordNode):
        if not isinstance(value, dict):
            return value
        fields = node.by_name
        return {k: _convert(fields[k].type, v) if k in fields else v for k, v in value.items()}
    if isinstance(node, ArrayNode):
        return [_convert(node.items, v) for v in value] if isinstance(value, list) else value
    if isinstance(node, MapNode):
        if not isinstance(value, dict):
            return value
        return {k: _convert(node.values, v) for k, v in value.items()}
    if isinstance(node, PrimitiveNode) or node.decimal is not None:
        return _logical(node, value)
    return value  # enums and fixed types take JSON's strings as they are


@lru_cache(maxsize=16)  # `charter produce` converts every line with the same schema
def _parsed(text: str) -> AvroSchema | None:
    try:
        return parse_avro(SchemaSource(text))
    except CompatError:
        return None


def avro_from_json(schema: AvroSchema | Any, value: Any) -> Any:
    """`value` (parsed JSON) with Avro logical types and union encodings turned into Python.

    `schema` is a parsed `AvroSchema`, or the schema as Python objects; one that does not
    parse alone (it uses references) leaves `value` as it is, for the serialiser to judge.
    """
    parsed = schema if isinstance(schema, AvroSchema) else _parsed(json.dumps(schema))
    return value if parsed is None else _convert(parsed.root, value)
