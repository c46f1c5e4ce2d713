"""Charter's model of an Avro schema: one node per type, named types shared.

This is the one Avro model of the code base: the compatibility checker, the SDK's strict
validator and its generated encoders and decoders, and the CLI's JSON conversion all walk it.
Nodes are built once per schema by `compat.avro.parse` (reach them through
`AvroSchema.root`) and never change afterwards, so walkers may key memos on node identity.

    Node                  `kind` is the Avro type name: "int", "record", "array", "union"...
    ├── PrimitiveNode     null, boolean, int, long, float, double, bytes, string
    ├── NamedNode         `fullname`, `name`, `namespace`, `aliases`
    │   ├── RecordNode    `fields` (each a `Field`), `by_name`
    │   ├── EnumNode      `symbols`, `symbol_set`, `default`
    │   └── FixedNode     `size`
    ├── ArrayNode         `items`
    ├── MapNode           `values`
    └── UnionNode         `branches`

Every node keeps the attributes Avro does not interpret in `props` (logicalType, precision,
doc, custom properties); `logical_type` and `decimal` read the ones serialisers act on.

`pointer` on a named type is the JSON pointer of its definition in the schema's own text, or
None when it is defined in a referenced schema. Unnamed types carry no pointer: their place is
the slot (field type, array items, union branch...) that holds them, recorded on the parent;
slot pointers, too, are None inside referenced schemas (the checker then points at the place
the new schema uses the referenced type).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "NAMED_KINDS",
    "PRIMITIVES",
    "ArrayNode",
    "EnumNode",
    "Field",
    "FixedNode",
    "MapNode",
    "NamedNode",
    "Node",
    "PrimitiveNode",
    "RecordNode",
    "UnionNode",
]

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
"""The Avro primitive type names (the only definition in Charter)."""

NAMED_KINDS = frozenset({"record", "error", "enum", "fixed"})
"""The `type` values that define a named type ("error" is parsed as a record)."""


class Node:
    __slots__ = ("decimal", "kind", "props")

    def __init__(self, kind: str, props: dict[str, Any] | None = None) -> None:
        self.kind = kind
        # Attributes kept for the normalized form (logicalType, doc, custom properties...).
        self.props: dict[str, Any] = props or {}
        # (precision, scale) when the type carries the decimal logical type.
        self.decimal: tuple[int, int] | None = None

    @property
    def pointer(self) -> str | None:
        return None

    @property
    def logical_type(self) -> str | None:
        """The `logicalType` attribute as written, or None."""
        logical = self.props.get("logicalType")
        return logical if isinstance(logical, str) else None

    def label(self) -> str:
        """How a message names this type: 'long', 'record com.acme.Order', 'decimal(10,2)'."""
        if self.decimal is not None:
            return f"{self.kind} decimal({self.decimal[0]},{self.decimal[1]})"
        return self.kind


class PrimitiveNode(Node):
    __slots__ = ()


class NamedNode(Node):
    __slots__ = ("alias_names", "aliases", "definition", "fullname", "name", "namespace")

    def __init__(
        self,
        kind: str,
        fullname: str,
        aliases: frozenset[str],
        definition: str | None,
        props: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(kind, props)
        self.fullname = fullname
        self.namespace, _, self.name = fullname.rpartition(".")
        self.aliases = aliases  # fully qualified
        self.alias_names = frozenset(a.rpartition(".")[2] for a in aliases)
        self.definition = definition

    @property
    def pointer(self) -> str | None:
        return self.definition

    def label(self) -> str:
        return f"{super().label()} {self.fullname}"

    def matches_name(self, writer: NamedNode) -> bool:
        """The Avro rule: same unqualified name, or a reader alias names the writer type."""
        return (
            self.name == writer.name
            or writer.fullname in self.aliases
            or writer.name in self.alias_names
        )


class Field:
    __slots__ = (
        "aliases",
        "default",
        "has_default",
        "index",
        "name",
        "order",
        "pointer",
        "props",
        "type",
        "type_pointer",
    )

    def __init__(
        self,
        name: str,
        type_: Node,
        index: int,
        pointer: str | None,
        *,
        aliases: tuple[str, ...] = (),
        has_default: bool = False,
        default: Any = None,
        order: str = "ascending",
        props: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.type = type_
        self.index = index
        self.pointer = pointer
        self.type_pointer = None if pointer is None else f"{pointer}/type"
        self.aliases = aliases
        self.has_default = has_default
        self.default = default
        self.order = order
        self.props: dict[str, Any] = props or {}


class RecordNode(NamedNode):
    __slots__ = ("by_name", "fields")

    def set_fields(self, fields: list[Field]) -> None:
        self.fields: tuple[Field, ...] = tuple(fields)
        self.by_name: dict[str, Field] = {f.name: f for f in fields}

    def writer_field_for(self, reader_field: Field) -> Field | None:
        """The field of this (writer) record that feeds `reader_field`: by name, then alias."""
        found = self.by_name.get(reader_field.name)
        if found is None:
            for alias in reader_field.aliases:
                found = self.by_name.get(alias)
                if found is not None:
                    break
        return found


class EnumNode(NamedNode):
    __slots__ = ("default", "symbol_set", "symbols")

    def set_symbols(self, symbols: tuple[str, ...], default: str | None) -> None:
        self.symbols = symbols
        self.symbol_set = frozenset(symbols)
        self.default = default


class FixedNode(NamedNode):
    __slots__ = ("size",)

    def set_size(self, size: int) -> None:
        self.size = size


class ArrayNode(Node):
    __slots__ = ("items", "items_pointer")

    def __init__(self, items: Node, items_pointer: str | None, props: dict[str, Any]) -> None:
        super().__init__("array", props)
        self.items = items
        self.items_pointer = items_pointer


class MapNode(Node):
    __slots__ = ("values", "values_pointer")

    def __init__(self, values: Node, values_pointer: str | None, props: dict[str, Any]) -> None:
        super().__init__("map", props)
        self.values = values
        self.values_pointer = values_pointer


class UnionNode(Node):
    __slots__ = ("branch_pointers", "branches")

    def __init__(
        self, branches: tuple[Node, ...], branch_pointers: tuple[str | None, ...]
    ) -> None:
        super().__init__("union")
        self.branches = branches
        self.branch_pointers = branch_pointers
