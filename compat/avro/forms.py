"""Text forms of a parsed Avro schema: canonical (as sent), normalized, and the spec's
Parsing Canonical Form."""

from __future__ import annotations

import json
from typing import Any

from compat.avro.nodes import (
    ArrayNode,
    EnumNode,
    FixedNode,
    MapNode,
    NamedNode,
    Node,
    RecordNode,
    UnionNode,
)

__all__ = ["canonical_text", "normalized_text", "parsing_canonical_form"]


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def canonical_text(raw: Any) -> str:
    """What the user sent, whitespace removed, key order kept."""
    return _dumps(raw)


def parsing_canonical_form(root: Node) -> str:
    """The Avro specification's Parsing Canonical Form: only what decoding needs."""
    return _dumps(_pcf(root, set()))


def _pcf(node: Node, seen: set[str]) -> Any:
    if isinstance(node, NamedNode):
        if node.fullname in seen:
            return node.fullname
        seen.add(node.fullname)
        out: dict[str, Any] = {"name": node.fullname, "type": node.kind}
        if isinstance(node, RecordNode):
            out["fields"] = [{"name": f.name, "type": _pcf(f.type, seen)} for f in node.fields]
        elif isinstance(node, EnumNode):
            out["symbols"] = list(node.symbols)
        elif isinstance(node, FixedNode):
            out["size"] = node.size
        return out
    if isinstance(node, ArrayNode):
        return {"type": "array", "items": _pcf(node.items, seen)}
    if isinstance(node, MapNode):
        return {"type": "map", "values": _pcf(node.values, seen)}
    if isinstance(node, UnionNode):
        return [_pcf(b, seen) for b in node.branches]
    return node.kind


def normalized_text(root: Node) -> str:
    """A form equal for schemas that differ only in form (key order, whitespace, how names and
    primitives are spelled) that keeps what resolution and readers use: defaults, aliases,
    logical types, enum defaults, field order attributes, docs and custom properties."""
    return _dumps(_norm(root, set(), ""))


def _props(out: dict[str, Any], props: dict[str, Any]) -> dict[str, Any]:
    for key in sorted(props):
        out[key] = props[key]
    return out


def _norm(node: Node, seen: set[str], space: str) -> Any:
    if isinstance(node, NamedNode):
        if node.fullname in seen:
            return node.fullname
        seen.add(node.fullname)
        out: dict[str, Any] = {"type": node.kind, "name": node.fullname}
        if not node.namespace and space:
            out["namespace"] = ""  # otherwise the enclosing namespace would apply on re-parse
        if node.aliases:
            out["aliases"] = sorted(node.aliases)
        inner = node.namespace
        if isinstance(node, RecordNode):
            fields = []
            for f in node.fields:
                field: dict[str, Any] = {"name": f.name, "type": _norm(f.type, seen, inner)}
                if f.has_default:
                    field["default"] = f.default
                if f.aliases:
                    field["aliases"] = sorted(f.aliases)
                if f.order != "ascending":
                    field["order"] = f.order
                fields.append(_props(field, f.props))
            out["fields"] = fields
        elif isinstance(node, EnumNode):
            out["symbols"] = list(node.symbols)
            if node.default is not None:
                out["default"] = node.default
        elif isinstance(node, FixedNode):
            out["size"] = node.size
        return _props(out, node.props)
    if isinstance(node, ArrayNode):
        return _props({"type": "array", "items": _norm(node.items, seen, space)}, node.props)
    if isinstance(node, MapNode):
        return _props({"type": "map", "values": _norm(node.values, seen, space)}, node.props)
    if isinstance(node, UnionNode):
        return [_norm(b, seen, space) for b in node.branches]
    if node.props:
        return _props({"type": node.kind}, node.props)
    return node.kind
