"""`AvroSchema`: a parsed, validated Avro schema and its text forms."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from compat.avro.fastavro_bridge import parse_with_fastavro
from compat.avro.forms import canonical_text, normalized_text, parsing_canonical_form
from compat.avro.nodes import NamedNode, Node
from compat.avro.parse import load_json, parse_tree, resolve_references
from compat.errors import SchemaParseError
from compat.model import Finding, Resolver, Schema, SchemaSource, SchemaType

__all__ = ["AvroSchema", "parse_avro"]


class AvroSchema(Schema):
    """An Avro schema. Build it with `parse_avro` (or `compat.parse`); treat it as immutable."""

    schema_type = SchemaType.AVRO

    def __init__(
        self,
        source: SchemaSource,
        raw: Any,
        root: Node,
        names: dict[str, NamedNode],
        parsed: Any,
        named_schemas: dict[str, Any],
        warnings: tuple[Finding, ...] = (),
    ) -> None:
        self.source = source
        self.raw = raw
        self.root = root
        self.names = names
        self.parsed = parsed  # fastavro's parsed schema, for serialisers
        self.named_schemas = named_schemas  # fastavro's named types, references included
        self.warnings = warnings

    @cached_property
    def canonical_text(self) -> str:
        return canonical_text(self.raw)

    @cached_property
    def normalized_text(self) -> str:
        return normalized_text(self.root)

    @cached_property
    def parsing_canonical_form(self) -> str:
        """The Avro specification's Parsing Canonical Form (referenced types expanded)."""
        return parsing_canonical_form(self.root)

    def __repr__(self) -> str:
        return f"AvroSchema({self.canonical_text[:80]!r})"


def parse_avro(source: SchemaSource, resolver: Resolver | None = None) -> AvroSchema:
    names: dict[str, NamedNode] = {}
    fastavro_names: dict[str, Any] = {}
    try:
        resolve_references(source.references, resolver, names, fastavro_names)
        raw = load_json(source.text)
        tree = parse_tree(raw, names)
        parsed = parse_with_fastavro(raw, fastavro_names)
    except RecursionError:
        raise SchemaParseError("the schema nests types too deeply to parse") from None
    return AvroSchema(source, raw, tree.root, tree.names, parsed, fastavro_names, tree.warnings)
