"""JSON Schema: parsing through `compat.json_schema`, its normalised form, payload checks."""

from __future__ import annotations

import orjson

import compat
from compat import Schema, SchemaSource, SchemaType
from compat.json_schema import JsonSchema
from registry.schemas.base import PayloadCheck, parse_translated

__all__ = ["FORMAT", "JsonSchemaFormat"]


def _json(schema: Schema) -> JsonSchema:
    if not isinstance(schema, JsonSchema):
        raise TypeError(f"the JSON Schema format was given a {schema.schema_type} schema")
    return schema


class JsonSchemaFormat:
    schema_type = SchemaType.JSON

    def parse(self, source: SchemaSource, resolver: compat.Resolver) -> Schema:
        return parse_translated(source, resolver)

    def normalized_text(self, schema: Schema) -> str:
        # Referenced documents are resolved by name, never copied in: the text is its own.
        return _json(schema).normalized_text

    def formatted(self, schema: Schema, output: str) -> str | None:
        return None  # one text form only

    def payload_check(self, schema: Schema) -> PayloadCheck:
        validator = _json(schema).validator

        def check(payload: bytes) -> str | None:
            try:
                instance = orjson.loads(payload)
            except orjson.JSONDecodeError as exc:
                return f"not UTF-8 JSON ({exc})"
            found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
            if not found:
                return None
            first = found[0]
            where = "/" + "/".join(str(p) for p in first.absolute_path)
            more = f" (and {len(found) - 1} more)" if len(found) > 1 else ""
            return f"at {where}: {first.message}{more}"

        return check


FORMAT = JsonSchemaFormat()
