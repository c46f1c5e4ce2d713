"""Subschemas as the checker walks them: contents, reference scope and place in the document."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

import referencing
import referencing.exceptions

from compat.json_schema.keywords import pointer
from compat.json_schema.parse import JsonSchema

__all__ = [
    "EMPTY",
    "Node",
    "accepts_all",
    "as_fraction",
    "json_key",
    "matches",
    "type_of",
    "types_of",
    "values_of",
]

EMPTY: dict[str, Any] = {}

# Keywords that never reject an instance.
ANNOTATIONS = frozenset(
    {
        "$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$vocabulary", "$comment",
        "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly",
        "definitions", "$defs", "format", "contentMediaType", "contentEncoding",
    }
)


@dataclass(frozen=True, slots=True)
class Node:
    """One subschema of one side. `path` points into that side's document; `frozen` paths
    stay at the `$ref` that left the document (a referenced schema has no pointer in it)."""

    contents: Any
    resolver: referencing._core.Resolver[Any]
    side: JsonSchema
    path: str
    frozen: bool = False
    origin: str = ""  # where a frozen node really is: `reference name#pointer`

    @classmethod
    def root(cls, schema: JsonSchema) -> Node:
        return cls(schema.document, schema.resolver, schema, "")

    def child(self, *tokens: str | int) -> Node:
        sub: Any = self.contents
        for token in tokens:
            sub = sub[token]
        resolver = self.resolver
        id_key = "id" if self.side.draft.name == "draft4" else "$id"
        if isinstance(sub, dict) and isinstance(sub.get(id_key), str):
            resolver = resolver.in_subresource(
                self.side.draft.specification.create_resource(sub)
            )
        path = self.path if self.frozen else self.path + pointer(*tokens)
        origin = self.origin + pointer(*tokens) if self.origin else ""
        return Node(sub, resolver, self.side, path, self.frozen, origin)

    def child_or_true(self, *tokens: str | int) -> Node:
        try:
            return self.child(*tokens)
        except (KeyError, IndexError, TypeError):
            return self.with_contents(True)

    def with_contents(self, contents: Any) -> Node:
        """A derived subschema that has no place of its own in the document."""
        return replace(self, contents=contents, frozen=True)

    def deref(self) -> Node:
        """Follow `$ref` until a schema without one; siblings of `$ref` are kept from 2019-09."""
        node = self
        for _ in range(64):
            contents = node.contents
            if not isinstance(contents, dict) or not isinstance(contents.get("$ref"), str):
                return node
            try:
                resolved = node.resolver.lookup(contents["$ref"])
            except referencing.exceptions.Unresolvable:
                return node.with_contents(True)
            target = resolved.contents
            resolver = resolved.resolver
            id_key = "id" if node.side.draft.name == "draft4" else "$id"
            if isinstance(target, dict) and isinstance(target.get(id_key), str):
                resolver = resolver.in_subresource(
                    node.side.draft.specification.create_resource(target)
                )
            where = node.side.pointers.get(id(target)) if isinstance(target, dict) else None
            siblings = {
                k: v for k, v in contents.items() if k != "$ref" and k not in ANNOTATIONS
            }
            if siblings and not node.side.draft.legacy:
                return node.with_contents(_with_ref_target(contents, target, siblings))
            if where is None:
                origin = node.side.external_pointers.get(id(target), "")
                node = Node(target, resolver, node.side, node.path, True, origin)
            else:
                node = Node(target, resolver, node.side, where, False)
        return node.with_contents(True)


_SIBLING_CACHE: dict[tuple[int, int], tuple[Any, Any, dict[str, Any]]] = {}


def _with_ref_target(contents: Any, target: Any, siblings: dict[str, Any]) -> dict[str, Any]:
    """`$ref` beside other keywords (2019-09 on) means both apply: an `allOf` of the two."""
    key = (id(contents), id(target))
    cached = _SIBLING_CACHE.get(key)
    if cached is not None and cached[0] is contents and cached[1] is target:
        return cached[2]
    merged = dict(siblings)
    merged["allOf"] = [target, *siblings.get("allOf", [])]
    if len(_SIBLING_CACHE) > 10_000:
        _SIBLING_CACHE.clear()
    _SIBLING_CACHE[key] = (contents, target, merged)
    return merged


def accepts_all(contents: Any) -> bool:
    if contents is True:
        return True
    return isinstance(contents, dict) and all(k in ANNOTATIONS for k in contents)


def values_of(contents: dict[str, Any]) -> list[Any] | None:
    """The finite set of values a schema allows (`const`/`enum`), or None."""
    if "const" in contents:
        return [contents["const"]]
    enum = contents.get("enum")
    return list(enum) if isinstance(enum, list) else None


def type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def types_of(contents: dict[str, Any]) -> frozenset[str] | None:
    """The JSON types a schema declares (from `type`, else from its values); None: any."""
    declared = contents.get("type")
    if isinstance(declared, str):
        return frozenset({declared})
    if isinstance(declared, list):
        return frozenset(declared)
    values = values_of(contents)
    if values is not None:
        return frozenset(type_of(v) for v in values)
    return None


def json_key(value: Any) -> Any:
    """A hashable key under which JSON-equal values (1 and 1.0) are equal."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type_of(value), value)
    if isinstance(value, int | float):
        return ("number", Fraction(value))
    if isinstance(value, list):
        return ("array", tuple(json_key(v) for v in value))
    if isinstance(value, dict):
        return ("object", tuple(sorted((k, json_key(v)) for k, v in value.items())))
    return ("other", repr(value))


def as_fraction(value: Any) -> Fraction | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def matches(pattern: str, name: str) -> bool:
    try:
        return re.search(pattern, name) is not None
    except re.error:
        return False
