"""The per-format plug-in point: each schema format provides one `Format`."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Protocol

from compat.errors import UnknownSchemaTypeError
from compat.model import (
    Direction,
    Finding,
    Policy,
    Resolver,
    Rule,
    Schema,
    SchemaSource,
    SchemaType,
)

__all__ = ["Format", "format_for"]


class Format(Protocol):
    """What a schema format supplies to the engine.

    `check_pair` compares exactly one reader with one writer. `direction` says which of the two
    is the new schema (BACKWARD: the reader; FORWARD: the writer), so that findings point into
    the new schema and speak of 'old' and 'new' the way a person reads a change.
    """

    schema_type: SchemaType
    rules: Mapping[str, Rule]

    def parse(self, source: SchemaSource, resolver: Resolver | None) -> Schema: ...

    def check_pair(
        self, reader: Schema, writer: Schema, *, direction: Direction, policy: Policy
    ) -> Iterator[Finding]: ...


def format_for(schema_type: SchemaType | str) -> Format:
    """The format for a schema type name (imports it lazily to keep `import compat` cheap)."""
    name = schema_type.value if isinstance(schema_type, SchemaType) else schema_type.upper()
    if name == SchemaType.AVRO:
        from compat.avro import AVRO

        avro: Format = AVRO
        return avro
    if name == SchemaType.JSON:
        from compat.json_schema import JSON_SCHEMA

        json_schema: Format = JSON_SCHEMA
        return json_schema
    if name == SchemaType.PROTOBUF:
        from compat.protobuf import PROTOBUF

        protobuf: Format = PROTOBUF
        return protobuf
    raise UnknownSchemaTypeError(str(schema_type))
