"""Example instances: a value one schema accepts and another rejects, found by bounded search.

Candidates are drawn from both schemas (their bounds, enum values, declared properties and
items, one level of each combination) plus a few values of every JSON type, and checked with
`jsonschema` itself, so a witness is never a guess: it validates under the one schema and not
under the other. The search is bounded (depth, candidates per schema, total).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

from compat.json_schema.nodes import Node, as_fraction
from compat.json_schema.parse import JsonSchema

__all__ = ["examples", "find_common", "find_witness", "valid"]

_GENERIC: tuple[Any, ...] = (None, True, False, 0, 1, -1, 2.5, "", "a", "abc", [], {}, ["a"],
                             [1], {"a": 1}, {"a": "a"})
_PER_NODE = 24
_TOTAL = 600
_DEPTH = 4


def valid(schema: JsonSchema, instance: Any) -> bool:
    try:
        return bool(schema.validator.is_valid(instance))
    except Exception:  # an unresolvable remote reference proves nothing either way
        return False


def find_witness(accepts: JsonSchema, rejects: JsonSchema) -> Any | None:
    """A value valid under `accepts` and invalid under `rejects`, or None if none was found.

    A found value is wrapped in a one-element tuple so that `None` (JSON null) can be one.
    """
    seen: set[str] = set()
    for candidate in itertools.islice(_candidates(accepts, rejects), _TOTAL):
        key = repr(candidate)
        if key in seen:
            continue
        seen.add(key)
        if valid(accepts, candidate) and not valid(rejects, candidate):
            return (candidate,)
    return None


def find_common(schema: JsonSchema, other: JsonSchema) -> Any | None:
    """A value both schemas accept (wrapped as in `find_witness`), or None. Of the first few
    found, the one with the most to it, so that it shows what the refused change is about."""
    found: list[Any] = []
    for candidate in itertools.islice(_candidates(schema, other), _TOTAL):
        if valid(schema, candidate) and valid(other, candidate):
            found.append(candidate)
            if len(found) >= 12:
                break
    if not found:
        return None
    return (max(found, key=lambda v: len(json.dumps(v, default=str))),)


def _candidates(first: JsonSchema, second: JsonSchema) -> Iterator[Any]:
    yield from examples(Node.root(first))
    yield from examples(Node.root(second))
    yield from _GENERIC


def examples(node: Node, depth: int = 0) -> list[Any]:
    """Up to a few dozen values shaped by `node`: inside, on and just beyond its bounds."""
    n = node.deref()
    contents = n.contents
    if not isinstance(contents, dict) or depth > _DEPTH:
        return list(_GENERIC[:6])
    out: list[Any] = []
    if "const" in contents:
        out.append(contents["const"])
    if isinstance(contents.get("enum"), list):
        out.extend(contents["enum"])
    for keyword in ("default", "examples"):
        if keyword == "examples" and isinstance(contents.get(keyword), list):
            out.extend(contents[keyword])
        elif keyword == "default" and keyword in contents:
            out.append(contents[keyword])
    for keyword in ("allOf", "anyOf", "oneOf"):
        if isinstance(contents.get(keyword), list):
            for i in range(len(contents[keyword])):
                out.extend(examples(n.child(keyword, i), depth + 1)[:8])
    for keyword in ("then", "else"):
        if isinstance(contents.get(keyword), dict):
            out.extend(examples(n.child(keyword), depth + 1)[:6])
    declared = contents.get("type")
    types = [declared] if isinstance(declared, str) else declared if isinstance(
        declared, list) else _implied(contents)
    for t in types:
        out.extend(_typed(n, t, depth))
    return out[:_PER_NODE] if len(out) > _PER_NODE else out


def _implied(contents: dict[str, Any]) -> list[str]:
    found = [t for t, keys in (
        ("object", ("properties", "required", "additionalProperties", "patternProperties",
                    "dependentRequired", "dependentSchemas", "dependencies",
                    "unevaluatedProperties", "minProperties", "maxProperties")),
        ("array", ("items", "prefixItems", "contains", "additionalItems", "minItems",
                   "maxItems", "uniqueItems", "unevaluatedItems", "minContains", "maxContains")),
        ("number", ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")),
        ("string", ("minLength", "maxLength", "pattern")),
    ) if any(k in contents for k in keys)]
    return found or ["null", "boolean", "integer", "number", "string", "array", "object"]


def _typed(n: Node, t: str, depth: int) -> list[Any]:
    c = n.contents
    if t == "null":
        return [None]
    if t == "boolean":
        return [True, False]
    if t in ("integer", "number"):
        return _numbers(c, t == "integer")
    if t == "string":
        low = c.get("minLength", 0) if isinstance(c.get("minLength"), int) else 0
        high = c.get("maxLength") if isinstance(c.get("maxLength"), int) else None
        lengths = {0, 1, 3, low, max(low - 1, 0), low + 1}
        if high is not None:
            lengths |= {high, high + 1, max(high - 1, 0)}
        return ["a" * k for k in sorted(lengths)]
    if t == "array":
        return _arrays(n, depth)
    if t == "object":
        return _objects(n, depth)
    return []


def _numbers(c: dict[str, Any], integer: bool) -> list[Any]:
    points: set[Any] = {0, 1, -1}
    for keyword in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        value = c.get(keyword)
        if isinstance(value, int | float) and not isinstance(value, bool):
            points |= {value, value - 1, value + 1}
            if not integer:
                points |= {value - 0.5, value + 0.5}
    step = as_fraction(c.get("multipleOf"))
    if step is not None:
        for k in (1, 2, 3):
            points.add(int(step * k) if (step * k).denominator == 1 else float(step * k))
    if not integer:
        points |= {0.5, 2.5}
    out = sorted(points, key=float)
    return [int(v) if integer and float(v).is_integer() else v for v in out
            if not integer or float(v).is_integer()]


def _arrays(n: Node, depth: int) -> list[Any]:
    c = n.contents
    modern = n.side.draft.name == "2020-12"
    prefix_key = "prefixItems" if modern else "items"
    prefix = c.get(prefix_key) if isinstance(c.get(prefix_key), list) else []
    rest_key = "items" if modern else "additionalItems"
    if not modern and not prefix:
        rest_key = "items"
    heads: list[Any] = [[]]
    for i in range(len(prefix)):
        values = examples(n.child(prefix_key, i), depth + 1)[:3] or [None]
        heads = [[*h, v] for h in heads for v in values][:6]
    rest_values = (examples(n.child(rest_key), depth + 1)[:4]
                   if isinstance(c.get(rest_key), dict) else [1, "a"])
    if "contains" in c and isinstance(c["contains"], dict):
        rest_values = examples(n.child("contains"), depth + 1)[:3] + rest_values
    out: list[Any] = []
    for head in heads:
        out.append(head)
        for v in rest_values[:4]:
            out.append([*head, v])
            out.append([*head, v, v])
            out.append([*head, v, v, v])
    return out


def _objects(n: Node, depth: int) -> list[Any]:
    c = n.contents
    props = c.get("properties") if isinstance(c.get("properties"), dict) else {}
    required = [r for r in c.get("required", []) if isinstance(r, str)] if isinstance(
        c.get("required"), list) else []
    values: dict[str, list[Any]] = {
        name: examples(n.child("properties", name), depth + 1)[:4] or [None] for name in props
    }
    base = {name: (values[name][0] if name in values else "a") for name in required}
    out: list[Any] = [dict(base), {}]
    for name, vals in values.items():
        for v in vals:
            out.append({**base, name: v})
    for name in required:
        out.append({k: v for k, v in base.items() if k != name})
    full = {name: vals[0] for name, vals in values.items()}
    out.append({**full, **base})
    patterns = c.get("patternProperties") if isinstance(c.get("patternProperties"), dict) else {}
    extras = ["zz", "Z-9", *(_name_for(p) for p in patterns)]
    for extra in extras:
        for v in (1, "a", None):
            out.append({**base, extra: v})
    for keyword in ("dependentRequired", "dependencies"):
        for name in c.get(keyword, {}) if isinstance(c.get(keyword), dict) else {}:
            out.append({**base, name: values.get(name, ["a"])[0]})
    return out


def _name_for(pattern: str) -> str:
    """A property name the pattern probably matches (good enough for candidates)."""
    text = pattern.lstrip("^").rstrip("$")
    return "".join(ch for ch in text if ch.isalnum() or ch == "_") or "p"
