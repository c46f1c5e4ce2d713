"""JSON Schema for Charter: parsing (drafts 4 to 2020-12) and Confluent's compatibility rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compat.json_schema.parse import JsonSchema, parse_json_schema
from compat.json_schema.rules import RULES
from compat.model import Direction, Finding, Policy, Resolver, Rule, SchemaSource, SchemaType

__all__ = ["JSON_SCHEMA", "JsonSchema", "JsonSchemaFormat"]


class JsonSchemaFormat:
    schema_type: SchemaType = SchemaType.JSON
    rules: Mapping[str, Rule] = RULES

    def parse(self, source: SchemaSource, resolver: Resolver | None) -> JsonSchema:
        return parse_json_schema(source, resolver)

    def check_pair(
        self, reader: object, writer: object, *, direction: Direction, policy: Policy
    ) -> Iterator[Finding]:
        from compat.json_schema.verdict import check_pair

        if not isinstance(reader, JsonSchema) or not isinstance(writer, JsonSchema):
            raise TypeError("both schemas must be JSON schemas")
        return check_pair(reader, writer, direction=direction, policy=policy)


JSON_SCHEMA = JsonSchemaFormat()
