"""Where subschemas live in a JSON Schema document, across drafts 4 to 2020-12."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["LISTS", "MAPS", "SINGLE", "escape", "iter_subschemas", "pointer"]

# Keywords whose value is one subschema.
SINGLE = (
    "additionalItems",
    "additionalProperties",
    "contains",
    "propertyNames",
    "not",
    "if",
    "then",
    "else",
    "unevaluatedItems",
    "unevaluatedProperties",
    "contentSchema",
)
# Keywords whose value is a list of subschemas.
LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
# Keywords whose value maps names to subschemas.
MAPS = ("properties", "patternProperties", "definitions", "$defs", "dependentSchemas")


def escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: object) -> str:
    return "".join("/" + escape(str(t)) for t in tokens)


def iter_subschemas(node: Any) -> Iterator[tuple[tuple[str, ...], Any]]:
    """The direct subschemas of `node` with their relative path."""
    if not isinstance(node, dict):
        return
    for key in SINGLE:
        if key in node and isinstance(node[key], dict | bool):
            yield (key,), node[key]
    for key in LISTS:
        if isinstance(node.get(key), list):
            for i, sub in enumerate(node[key]):
                yield (key, str(i)), sub
    items = node.get("items")
    if isinstance(items, list):
        for i, sub in enumerate(items):
            yield ("items", str(i)), sub
    elif isinstance(items, dict | bool):
        yield ("items",), items
    for key in MAPS:
        if isinstance(node.get(key), dict):
            for name, sub in node[key].items():
                yield (key, name), sub
    deps = node.get("dependencies")
    if isinstance(deps, dict):
        for name, sub in deps.items():
            if isinstance(sub, dict | bool):
                yield ("dependencies", name), sub
