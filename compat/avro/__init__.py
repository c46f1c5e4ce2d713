"""Avro for Charter's compatibility engine: parsing, text forms and schema resolution checks.

`AVRO` is the `compat.formats.Format` the engine looks up; `AvroSchema` is its schema type.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compat.avro.checker import check_nodes
from compat.avro.rules import RULES
from compat.avro.schema import AvroSchema, parse_avro
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

__all__ = ["AVRO", "AvroFormat", "AvroSchema"]


class AvroFormat:
    """Avro's plug-in for `compat`. `policy` has no meaning for Avro and is ignored."""

    schema_type: SchemaType = SchemaType.AVRO
    rules: Mapping[str, Rule] = RULES

    def parse(self, source: SchemaSource, resolver: Resolver | None) -> Schema:
        return parse_avro(source, resolver)

    def check_pair(
        self, reader: Schema, writer: Schema, *, direction: Direction, policy: Policy
    ) -> Iterator[Finding]:
        if not isinstance(reader, AvroSchema) or not isinstance(writer, AvroSchema):
            raise TypeError("the Avro format compares AvroSchema objects only")
        return check_nodes(reader.root, writer.root, direction)


AVRO = AvroFormat()
