"""Avro for Charter: the Avro model, parsing, text forms and schema resolution checks.

`parse_avro` turns schema text (references resolved through the caller's `Resolver`) into an
`AvroSchema`, whose `root` is the tree of nodes documented in `compat.avro.nodes`: Charter's one
model of an Avro schema. `AVRO` is the `compat.formats.Format` the engine looks up.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compat.avro.checker import check_nodes
from compat.avro.nodes import (
    PRIMITIVES,
    ArrayNode,
    EnumNode,
    Field,
    FixedNode,
    MapNode,
    NamedNode,
    Node,
    PrimitiveNode,
    RecordNode,
    UnionNode,
)
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

__all__ = [
    "AVRO",
    "PRIMITIVES",
    "ArrayNode",
    "AvroFormat",
    "AvroSchema",
    "EnumNode",
    "Field",
    "FixedNode",
    "MapNode",
    "NamedNode",
    "Node",
    "PrimitiveNode",
    "RecordNode",
    "UnionNode",
    "parse_avro",
]


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
