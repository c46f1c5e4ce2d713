"""Avro: parsing through `compat.avro`, the normalised form, and payload checks with fastavro."""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro

import compat
from compat import Schema, SchemaSource, SchemaType
from compat.avro import AvroSchema
from registry.schemas.base import PayloadCheck, parse_translated

__all__ = ["FORMAT", "AvroFormat"]

_NAMED = frozenset({"record", "error", "enum", "fixed"})


def _avro(schema: Schema) -> AvroSchema:
    if not isinstance(schema, AvroSchema):
        raise TypeError(f"the Avro format was given a {schema.schema_type} schema")
    return schema


def _fold(node: Any, referenced: frozenset[str]) -> Any:
    """`node` with every definition of a referenced named type replaced by its name."""
    if isinstance(node, list):
        return [_fold(branch, referenced) for branch in node]
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind in _NAMED and node.get("name") in referenced:
        return node["name"]
    if kind in ("record", "error"):
        fields = [{**f, "type": _fold(f["type"], referenced)} for f in node.get("fields", [])]
        return {**node, "fields": fields}
    if kind == "array":
        return {**node, "items": _fold(node["items"], referenced)}
    if kind == "map":
        return {**node, "values": _fold(node["values"], referenced)}
    return node


class AvroFormat:
    schema_type = SchemaType.AVRO

    def parse(self, source: SchemaSource, resolver: compat.Resolver) -> Schema:
        return parse_translated(source, resolver)

    def normalized_text(self, schema: Schema) -> str:
        avro = _avro(schema)
        # compat's normal form spells out every type it reaches, referenced ones too; the
        # registry keeps those as references (by name), as Confluent does, so the stored
        # text parses again with its references instead of defining their types twice.
        referenced = frozenset(n for n, node in avro.names.items() if node.pointer is None)
        if not referenced:
            return avro.normalized_text
        folded = _fold(json.loads(avro.normalized_text), referenced)
        return json.dumps(folded, separators=(",", ":"), ensure_ascii=False)

    def formatted(self, schema: Schema, output: str) -> str | None:
        """`resolved` (Confluent's `?format=resolved`): the schema with the types its
        references define written inline, so it parses with no registry at hand."""
        avro = _avro(schema)
        if output.lower() != "resolved" or all(n.pointer is not None
                                               for n in avro.names.values()):
            return None  # without references the stored text is already whole
        return avro.normalized_text

    def payload_check(self, schema: Schema) -> PayloadCheck:
        parsed = _avro(schema).parsed

        def check(payload: bytes) -> str | None:
            stream = io.BytesIO(payload)
            try:
                fastavro.schemaless_reader(stream, parsed, None)
            except Exception as exc:  # fastavro raises many unrelated types for bad bytes
                return f"not Avro binary of this schema ({type(exc).__name__}: {exc})"
            left = len(payload) - stream.tell()
            if left:
                return f"{left} bytes are left over after the Avro value"
            return None

        return check


FORMAT = AvroFormat()
