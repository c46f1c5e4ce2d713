"""Confluent Schema Registry's model of JSON Schema change, rebuilt: the differences it names.

Confluent loads both schemas into a typed model (string, number, object, array, enum, const,
not, combined, empty, false, ...) and walks them together from the *original* schema (the
writer) to the *update* (the reader), naming each difference it meets. A difference type is
compatible or not by membership in a policy's set (`STRICT_COMPATIBLE`, `LENIENT_COMPATIBLE`);
a pair is compatible when every difference is. This module reproduces that walk so that
Charter's STRICT and LENIENT verdicts are Confluent's. It does not judge whether the verdict is
right: `checker` does that, and the format puts the two side by side.

How a raw schema maps onto the model, as Confluent's loader does it:
- `true`, `{}` and annotation-only objects are the empty schema; `false` is the false schema.
- Each group of keywords builds one part: `enum`, `const`, each of `allOf`/`anyOf`/`oneOf`,
  `not`, `if`/`then`/`else`, and the type (`type` as a string; as a list, an `anyOf` of one part
  per type; absent, the types its keywords imply). Several parts make a synthetic `allOf`.
- 2020-12 `prefixItems` is the tuple and `items` beside it the schema of the items after it;
  up to 2019-09 a list `items` is the tuple and `additionalItems` the rest, tuple or not.
- Keywords the model has no place for (`contains`, `propertyNames`, `patternProperties`
  schemas, `if`/`then`/`else` contents, `format`) are not compared at all.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum, auto
from fractions import Fraction
from typing import Any

from compat.json_schema.nodes import Node, accepts_all, as_fraction, json_key, matches

__all__ = [
    "LENIENT_COMPATIBLE",
    "STRICT_COMPATIBLE",
    "Difference",
    "K",
    "differences",
]

class K(StrEnum):
    """Confluent's difference types (`Difference.Type`), named from writer to reader.

    The 2020-12 ones for `minContains`/`maxContains` and `unevaluatedItems` are Confluent's;
    the `unevaluatedProperties` ones are named by analogy with `unevaluatedItems`.
    """

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last_values: list[Any]) -> str:
        return name

    ID_CHANGED = auto()
    DESCRIPTION_CHANGED = auto()
    TITLE_CHANGED = auto()
    DEFAULT_CHANGED = auto()
    SCHEMA_ADDED = auto()
    SCHEMA_REMOVED = auto()
    TYPE_EXTENDED = auto()
    TYPE_NARROWED = auto()
    TYPE_CHANGED = auto()
    MAX_LENGTH_ADDED = auto()
    MAX_LENGTH_REMOVED = auto()
    MAX_LENGTH_INCREASED = auto()
    MAX_LENGTH_DECREASED = auto()
    MIN_LENGTH_ADDED = auto()
    MIN_LENGTH_REMOVED = auto()
    MIN_LENGTH_INCREASED = auto()
    MIN_LENGTH_DECREASED = auto()
    PATTERN_ADDED = auto()
    PATTERN_REMOVED = auto()
    PATTERN_CHANGED = auto()
    MAXIMUM_ADDED = auto()
    MAXIMUM_REMOVED = auto()
    MAXIMUM_INCREASED = auto()
    MAXIMUM_DECREASED = auto()
    MINIMUM_ADDED = auto()
    MINIMUM_REMOVED = auto()
    MINIMUM_INCREASED = auto()
    MINIMUM_DECREASED = auto()
    EXCLUSIVE_MAXIMUM_ADDED = auto()
    EXCLUSIVE_MAXIMUM_REMOVED = auto()
    EXCLUSIVE_MAXIMUM_INCREASED = auto()
    EXCLUSIVE_MAXIMUM_DECREASED = auto()
    EXCLUSIVE_MINIMUM_ADDED = auto()
    EXCLUSIVE_MINIMUM_REMOVED = auto()
    EXCLUSIVE_MINIMUM_INCREASED = auto()
    EXCLUSIVE_MINIMUM_DECREASED = auto()
    MULTIPLE_OF_ADDED = auto()
    MULTIPLE_OF_REMOVED = auto()
    MULTIPLE_OF_EXPANDED = auto()
    MULTIPLE_OF_REDUCED = auto()
    MULTIPLE_OF_CHANGED = auto()
    REQUIRED_ATTRIBUTE_ADDED = auto()
    REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED = auto()
    REQUIRED_ATTRIBUTE_REMOVED = auto()
    MAX_PROPERTIES_ADDED = auto()
    MAX_PROPERTIES_REMOVED = auto()
    MAX_PROPERTIES_INCREASED = auto()
    MAX_PROPERTIES_DECREASED = auto()
    MIN_PROPERTIES_ADDED = auto()
    MIN_PROPERTIES_REMOVED = auto()
    MIN_PROPERTIES_INCREASED = auto()
    MIN_PROPERTIES_DECREASED = auto()
    ADDITIONAL_PROPERTIES_ADDED = auto()
    ADDITIONAL_PROPERTIES_REMOVED = auto()
    ADDITIONAL_PROPERTIES_EXTENDED = auto()
    ADDITIONAL_PROPERTIES_NARROWED = auto()
    UNEVALUATED_PROPERTIES_ADDED = auto()
    UNEVALUATED_PROPERTIES_REMOVED = auto()
    UNEVALUATED_PROPERTIES_EXTENDED = auto()
    UNEVALUATED_PROPERTIES_NARROWED = auto()
    DEPENDENCY_ARRAY_ADDED = auto()
    DEPENDENCY_ARRAY_REMOVED = auto()
    DEPENDENCY_ARRAY_EXTENDED = auto()
    DEPENDENCY_ARRAY_NARROWED = auto()
    DEPENDENCY_ARRAY_CHANGED = auto()
    DEPENDENCY_SCHEMA_ADDED = auto()
    DEPENDENCY_SCHEMA_REMOVED = auto()
    PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL = auto()
    PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL = auto()
    REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL = auto()
    REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL = auto()
    OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL = auto()
    PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL = auto()
    PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL = auto()
    PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL = auto()
    PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    MAX_ITEMS_ADDED = auto()
    MAX_ITEMS_REMOVED = auto()
    MAX_ITEMS_INCREASED = auto()
    MAX_ITEMS_DECREASED = auto()
    MIN_ITEMS_ADDED = auto()
    MIN_ITEMS_REMOVED = auto()
    MIN_ITEMS_INCREASED = auto()
    MIN_ITEMS_DECREASED = auto()
    UNIQUE_ITEMS_ADDED = auto()
    UNIQUE_ITEMS_REMOVED = auto()
    MAX_CONTAINS_ADDED = auto()
    MAX_CONTAINS_REMOVED = auto()
    MAX_CONTAINS_INCREASED = auto()
    MAX_CONTAINS_DECREASED = auto()
    MIN_CONTAINS_ADDED = auto()
    MIN_CONTAINS_REMOVED = auto()
    MIN_CONTAINS_INCREASED = auto()
    MIN_CONTAINS_DECREASED = auto()
    ADDITIONAL_ITEMS_ADDED = auto()
    ADDITIONAL_ITEMS_REMOVED = auto()
    ADDITIONAL_ITEMS_EXTENDED = auto()
    ADDITIONAL_ITEMS_NARROWED = auto()
    UNEVALUATED_ITEMS_ADDED = auto()
    UNEVALUATED_ITEMS_REMOVED = auto()
    UNEVALUATED_ITEMS_EXTENDED = auto()
    UNEVALUATED_ITEMS_NARROWED = auto()
    ITEM_ADDED_TO_OPEN_CONTENT_MODEL = auto()
    ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL = auto()
    ITEM_ADDED_TO_CLOSED_CONTENT_MODEL = auto()
    ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL = auto()
    ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL = auto()
    ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL = auto()
    ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL = auto()
    ENUM_ARRAY_EXTENDED = auto()
    ENUM_ARRAY_NARROWED = auto()
    ENUM_ARRAY_CHANGED = auto()
    COMBINED_TYPE_EXTENDED = auto()
    COMBINED_TYPE_CHANGED = auto()
    PRODUCT_TYPE_EXTENDED = auto()
    PRODUCT_TYPE_NARROWED = auto()
    SUM_TYPE_EXTENDED = auto()
    SUM_TYPE_NARROWED = auto()
    COMBINED_TYPE_SUBSCHEMAS_CHANGED = auto()
    NOT_TYPE_EXTENDED = auto()
    NOT_TYPE_NARROWED = auto()


def _kind(keyword: str, change: str) -> K:
    """The difference type for a change of a keyword: (`maxLength`, `ADDED`) is MAX_LENGTH_ADDED."""
    return K[re.sub(r"(?<!^)(?=[A-Z])", "_", keyword).upper() + "_" + change]


# Each kind's bound keywords as (maximum, minimum) pairs, in the order Confluent compares them
# (`contains`: the count of items matching `contains`). Loosening a bound is compatible: a
# maximum increased or removed, a minimum decreased or removed.
_BOUNDS: dict[str, tuple[tuple[str, str], ...]] = {
    "string": (("maxLength", "minLength"),),
    "number": (("maximum", "minimum"), ("exclusiveMaximum", "exclusiveMinimum")),
    "object": (("maxProperties", "minProperties"),),
    "array": (("maxItems", "minItems"),),
    "contains": (("maxContains", "minContains"),),
}
_LOOSENED_BOUNDS = frozenset(
    kind
    for pairs in _BOUNDS.values()
    for maximum, minimum in pairs
    for kind in (_kind(maximum, "INCREASED"), _kind(maximum, "REMOVED"),
                 _kind(minimum, "DECREASED"), _kind(minimum, "REMOVED"))
)

STRICT_COMPATIBLE: frozenset[str] = _LOOSENED_BOUNDS | frozenset(
    {
        K.ID_CHANGED, K.DESCRIPTION_CHANGED, K.TITLE_CHANGED, K.DEFAULT_CHANGED, K.SCHEMA_REMOVED,
        K.TYPE_EXTENDED, K.PATTERN_REMOVED,
        K.MULTIPLE_OF_REDUCED, K.MULTIPLE_OF_REMOVED, K.REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED,
        K.REQUIRED_ATTRIBUTE_REMOVED, K.DEPENDENCY_ARRAY_NARROWED, K.DEPENDENCY_ARRAY_REMOVED,
        K.DEPENDENCY_SCHEMA_REMOVED, K.ADDITIONAL_PROPERTIES_ADDED,
        K.ADDITIONAL_PROPERTIES_EXTENDED,
        K.PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
        K.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL,
        K.OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL,
        K.PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
        K.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL,
        K.PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
        K.PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, K.UNIQUE_ITEMS_REMOVED,
        K.ADDITIONAL_ITEMS_ADDED, K.ADDITIONAL_ITEMS_EXTENDED,
        K.ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL,
        K.ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, K.ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL,
        K.ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL,
        K.ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
        K.ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL, K.UNEVALUATED_ITEMS_ADDED,
        K.UNEVALUATED_ITEMS_EXTENDED, K.UNEVALUATED_PROPERTIES_ADDED,
        K.UNEVALUATED_PROPERTIES_EXTENDED, K.ENUM_ARRAY_EXTENDED, K.COMBINED_TYPE_EXTENDED,
        K.PRODUCT_TYPE_NARROWED, K.SUM_TYPE_EXTENDED, K.NOT_TYPE_NARROWED,
    }
)
# LENIENT also accepts closing or narrowing an object's content model; the two
# `unevaluatedProperties` entries follow `additionalProperties` by analogy.
LENIENT_COMPATIBLE: frozenset[str] = STRICT_COMPATIBLE | {
    K.ADDITIONAL_PROPERTIES_NARROWED, K.ADDITIONAL_PROPERTIES_REMOVED,
    K.PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL, K.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL,
    K.PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    K.PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL,
    K.UNEVALUATED_PROPERTIES_NARROWED, K.UNEVALUATED_PROPERTIES_REMOVED,
}

_STRING_KEYWORDS = ("minLength", "maxLength", "pattern", "format")
_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_OBJECT_KEYWORDS = (
    "properties", "required", "additionalProperties", "patternProperties", "dependencies",
    "minProperties", "maxProperties", "propertyNames", "dependentRequired", "dependentSchemas",
)
_ARRAY_KEYWORDS = ("items", "additionalItems", "maxItems", "minItems", "uniqueItems",
                   "contains", "prefixItems")
_IMPLIED = (("array", _ARRAY_KEYWORDS), ("object", _OBJECT_KEYWORDS),
            ("number", _NUMBER_KEYWORDS), ("string", _STRING_KEYWORDS))
_CRITERIA = ("allOf", "anyOf", "oneOf")


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference, named from the original (writer) to the update (reader).

    `original`/`update` are JSON pointers into each side's document (a side that lacks the
    element points at its nearest enclosing schema); `name` is the property or item it is about.
    """

    type: str
    original: str
    update: str
    original_value: Any = None
    update_value: Any = None
    name: str = ""
    original_origin: str = ""  # `reference name#pointer` when the element is in a referenced
    update_origin: str = ""  # schema (the pointer then stops at the `$ref` leading there)


@dataclass(eq=False, slots=True)
class _Model:
    """One schema of Confluent's model: a kind, the node it was loaded from, and its parts."""

    kind: str  # empty false combined enum const not conditional string number object
    #            array boolean null
    node: Node
    criterion: str = ""
    parts: tuple[Node | _Model, ...] = ()
    integer: bool = False
    tag: str = ""  # which part of its node it is: a keyword's combination, the types, ...

    @property
    def key(self) -> str:
        """Confluent compares combined subschemas as sets of schemas: equal text, one member."""
        contents = self.node.contents
        text = json.dumps(contents, sort_keys=True, default=str)
        return f"{self.kind}:{self.criterion}:{self.tag}:{self.integer}:{text}"


def _typed(node: Node, name: str) -> _Model:
    if name == "integer":
        return _Model("number", node, integer=True, tag=name)
    return _Model(name, node, tag=name)


def load(node: Node) -> _Model:
    n = node.deref()
    contents = n.contents
    if contents is False:
        return _Model("false", n)
    if accepts_all(contents) or not isinstance(contents, dict):
        return _Model("empty", n)
    parts: list[_Model] = []
    if "enum" in contents:
        parts.append(_Model("enum", n))
    if "const" in contents:
        parts.append(_Model("const", n))
    for criterion in _CRITERIA:
        if isinstance(contents.get(criterion), list):
            subs = tuple(n.child(criterion, i) for i in range(len(contents[criterion])))
            parts.append(_Model("combined", n, criterion, subs, tag=criterion))
    if "not" in contents:
        parts.append(_Model("not", n))
    if any(k in contents for k in ("if", "then", "else")):
        parts.append(_Model("conditional", n))
    declared = contents.get("type")
    if isinstance(declared, str):
        parts.append(_typed(n, declared))
    elif isinstance(declared, list):
        types = tuple(_typed(n, t) for t in declared if isinstance(t, str))
        parts.append(_Model("combined", n, "anyOf", types, tag="types"))
    else:
        implied = [_typed(n, t) for t, keys in _IMPLIED if any(k in contents for k in keys)]
        if len(implied) == 1:
            parts.append(implied[0])
        elif implied:
            parts.append(_Model("combined", n, "allOf", tuple(implied), tag="implied"))
    if not parts:
        return _Model("empty", n)
    if len(parts) == 1:
        return parts[0]
    return _Model("combined", n, "allOf", tuple(parts), tag="parts")


def _as_model(value: Node | _Model) -> _Model:
    return value if isinstance(value, _Model) else load(value)


def _where(node: Node, keyword: str | None = None, *more: str) -> str:
    """The pointer of a keyword of `node` when it has one there, else of the node."""
    if node.frozen or keyword is None:
        return node.path
    contents = node.contents
    if not isinstance(contents, dict) or keyword not in contents:
        return node.path
    tail = "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in (keyword, *more))
    return node.path + tail


@dataclass(slots=True)
class _Context:
    compatible_types: frozenset[str]
    visiting: set[tuple[int, str]] = field(default_factory=set)
    found: list[Difference] = field(default_factory=list)
    # where the current pair really is when it came through a reference out of the document
    origins: list[tuple[str, str]] = field(default_factory=lambda: [("", "")])

    def sub(self) -> _Context:
        return _Context(self.compatible_types, set(self.visiting), origins=self.origins)

    @property
    def compatible(self) -> bool:
        return all(d.type in self.compatible_types for d in self.found)

    def add(
        self, kind: str, o: str, u: str, ov: Any = None, uv: Any = None, name: str = ""
    ) -> None:
        o_origin, u_origin = self.origins[-1]
        self.found.append(Difference(kind, o, u, ov, uv, name, o_origin, u_origin))


_MAX_DEPTH = 100


class _Walk:
    def __init__(self) -> None:
        self.depth = 0

    def compare(
        self, ctx: _Context, o_in: Node | _Model | None, u_in: Node | _Model | None,
        o_at: Node, u_at: Node,
    ) -> None:
        """Confluent's `SchemaDiff.compare`. `o_at`/`u_at` locate a missing side."""
        if o_in is None and u_in is None:
            return
        if o_in is None:
            ctx.add(K.SCHEMA_ADDED, o_at.path, _as_model(u_in).node.path)  # type: ignore[arg-type]
            return
        if u_in is None:
            ctx.add(K.SCHEMA_REMOVED, _as_model(o_in).node.path, u_at.path)
            return
        o, u = _as_model(o_in), _as_model(u_in)
        if o.kind != "combined" and u.kind == "combined":
            if len(u.parts) == 1:
                if self._adopt(ctx, o, u.parts[0]):
                    return
            elif u.criterion in ("anyOf", "oneOf"):
                for part in u.parts:
                    if self._adopt(ctx, o, part, K.SUM_TYPE_EXTENDED, u):
                        return
        elif o.kind == "combined" and u.kind != "combined":
            if len(o.parts) == 1:
                if self._adopt(ctx, o.parts[0], u):
                    return
            elif o.criterion == "allOf":
                for part in o.parts:
                    if self._adopt(ctx, part, u, K.PRODUCT_TYPE_NARROWED, o):
                        return
        if o.kind != u.kind:
            if o.kind != "false" and u.kind != "empty":
                ctx.add(K.TYPE_CHANGED, o.node.path, u.node.path, _type_of(o), _type_of(u))
            return
        key = (id(o.node.contents), f"{o.kind}:{o.tag}")
        if key in ctx.visiting or self.depth > _MAX_DEPTH:
            return
        ctx.visiting.add(key)
        ctx.origins.append((o.node.origin, u.node.origin))
        self.depth += 1
        try:
            getattr(self, "_" + o.kind)(ctx, o, u)
        finally:
            self.depth -= 1
            ctx.origins.pop()
            ctx.visiting.discard(key)

    def _adopt(
        self, ctx: _Context, o: Node | _Model, u: Node | _Model,
        extra: str | None = None, combined: _Model | None = None,
    ) -> bool:
        """Compare `o` with `u` apart; when compatible, keep the differences (and `extra`, the
        name of the shortcut taken through `combined`) and answer True."""
        sub = ctx.sub()
        self.compare(sub, o, u, _node(o), _node(u))
        if not sub.compatible:
            return False
        ctx.found.extend(sub.found)
        if extra and combined is not None:
            if extra == K.SUM_TYPE_EXTENDED:
                ctx.add(extra, _node(o).path, combined.node.path)
            else:
                ctx.add(extra, combined.node.path, _node(u).path)
        return True

    # -- leaves ----------------------------------------------------------------------------

    def _empty(self, ctx: _Context, o: _Model, u: _Model) -> None:
        return

    _false = _boolean = _null = _conditional = _empty

    def _bound(
        self, ctx: _Context, o: _Model, u: _Model, keyword: str,
    ) -> None:
        ov, uv = _number(o.node.contents.get(keyword)), _number(u.node.contents.get(keyword))
        if ov == uv:
            return
        op, up = _where(o.node, keyword), _where(u.node, keyword)
        raw_o, raw_u = o.node.contents.get(keyword), u.node.contents.get(keyword)
        if ov is None:
            ctx.add(_kind(keyword, "ADDED"), op, up, raw_o, raw_u)
        elif uv is None:
            ctx.add(_kind(keyword, "REMOVED"), op, up, raw_o, raw_u)
        elif ov < uv:
            ctx.add(_kind(keyword, "INCREASED"), op, up, raw_o, raw_u)
        else:
            ctx.add(_kind(keyword, "DECREASED"), op, up, raw_o, raw_u)

    def _bounds(self, ctx: _Context, o: _Model, u: _Model, kind: str) -> None:
        for maximum, minimum in _BOUNDS[kind]:
            self._bound(ctx, o, u, maximum)
            self._bound(ctx, o, u, minimum)

    def _string(self, ctx: _Context, o: _Model, u: _Model) -> None:
        self._bounds(ctx, o, u, "string")
        op_, up_ = o.node.contents.get("pattern"), u.node.contents.get("pattern")
        if op_ != up_:
            op, up = _where(o.node, "pattern"), _where(u.node, "pattern")
            kind = (K.PATTERN_ADDED if op_ is None else K.PATTERN_REMOVED if up_ is None
                    else K.PATTERN_CHANGED)
            ctx.add(kind, op, up, op_, up_)

    def _number(self, ctx: _Context, o: _Model, u: _Model) -> None:
        self._bounds(ctx, o, u, "number")
        om = as_fraction(o.node.contents.get("multipleOf"))
        um = as_fraction(u.node.contents.get("multipleOf"))
        if om != um:
            op, up = _where(o.node, "multipleOf"), _where(u.node, "multipleOf")
            raw = (o.node.contents.get("multipleOf"), u.node.contents.get("multipleOf"))
            if om is None:
                kind = K.MULTIPLE_OF_ADDED
            elif um is None:
                kind = K.MULTIPLE_OF_REMOVED
            elif (um / om).denominator == 1:
                kind = K.MULTIPLE_OF_EXPANDED
            elif (om / um).denominator == 1:
                kind = K.MULTIPLE_OF_REDUCED
            else:
                kind = K.MULTIPLE_OF_CHANGED
            ctx.add(kind, op, up, *raw)
        if o.integer != u.integer:
            kind = K.TYPE_EXTENDED if o.integer else K.TYPE_NARROWED
            ctx.add(kind, o.node.path, u.node.path, _type_of(o), _type_of(u))

    def _enum(self, ctx: _Context, o: _Model, u: _Model) -> None:
        ov, uv = o.node.contents["enum"], u.node.contents["enum"]
        okeys, ukeys = {json_key(v) for v in ov}, {json_key(v) for v in uv}
        if okeys == ukeys:
            return
        kind = (K.ENUM_ARRAY_EXTENDED if ukeys >= okeys else K.ENUM_ARRAY_NARROWED
                if okeys >= ukeys else K.ENUM_ARRAY_CHANGED)
        ctx.add(kind, _where(o.node, "enum"), _where(u.node, "enum"), ov, uv)

    def _const(self, ctx: _Context, o: _Model, u: _Model) -> None:
        ov, uv = o.node.contents["const"], u.node.contents["const"]
        if json_key(ov) != json_key(uv):
            ctx.add(K.ENUM_ARRAY_CHANGED, _where(o.node, "const"), _where(u.node, "const"),
                    ov, uv)

    def _not(self, ctx: _Context, o: _Model, u: _Model) -> None:
        sub = ctx.sub()
        # what `not` excludes is compared the other way round
        self.compare(sub, u.node.child("not"), o.node.child("not"), u.node, o.node)
        kind = K.NOT_TYPE_NARROWED if sub.compatible else K.NOT_TYPE_EXTENDED
        ctx.add(kind, _where(o.node, "not"), _where(u.node, "not"),
                o.node.contents["not"], u.node.contents["not"])

    # -- combined --------------------------------------------------------------------------

    def _combined(self, ctx: _Context, o: _Model, u: _Model) -> None:
        op, up = o.node.path, u.node.path
        changed = False
        if o.criterion != u.criterion:
            single_o, single_u = len(o.parts) == 1, len(u.parts) == 1
            if (
                u.criterion == "anyOf"
                or (single_o and single_u)
                or (single_o and u.criterion == "oneOf")
                or (single_u and o.criterion == "allOf")
            ):
                ctx.add(K.COMBINED_TYPE_EXTENDED, op, up, o.criterion, u.criterion)
            else:
                ctx.add(K.COMBINED_TYPE_CHANGED, op, up, o.criterion, u.criterion)
                changed = True
        if changed:
            return
        oparts, uparts = _distinct(o.parts), _distinct(u.parts)
        if len(oparts) < len(uparts):
            kind = K.PRODUCT_TYPE_EXTENDED if u.criterion == "allOf" else K.SUM_TYPE_EXTENDED
            ctx.add(kind, op, up, _members(o), _members(u))
        elif len(oparts) > len(uparts):
            kind = K.PRODUCT_TYPE_NARROWED if o.criterion == "allOf" else K.SUM_TYPE_NARROWED
            ctx.add(kind, op, up, _members(o), _members(u))
        edges: dict[tuple[int, int], list[Difference]] = {}
        for i, opart in enumerate(oparts):
            for j, upart in enumerate(uparts):
                sub = ctx.sub()
                self.compare(sub, opart, upart, _node(opart), _node(upart))
                if sub.compatible:
                    edges[(i, j)] = sub.found
        matching = _maximum_matching(len(oparts), len(uparts), set(edges))
        for edge in sorted(matching):
            ctx.found.extend(edges[edge])
        if len(matching) < min(len(oparts), len(uparts)):
            ctx.add(K.COMBINED_TYPE_SUBSCHEMAS_CHANGED, op, up,
                    o.node.contents.get(o.criterion), u.node.contents.get(u.criterion))

    # -- objects ---------------------------------------------------------------------------

    def _object(self, ctx: _Context, o: _Model, u: _Model) -> None:
        on, un = o.node, u.node
        oc, uc = on.contents, un.contents
        oprops: dict[str, Any] = _dict(oc.get("properties"))
        uprops: dict[str, Any] = _dict(uc.get("properties"))
        oreq, ureq = set(_list(oc.get("required"))), set(_list(uc.get("required")))
        for name in oprops:  # compareRequired: only properties both sides declare
            if name not in uprops:
                continue
            if name in oreq and name not in ureq:
                ctx.add(K.REQUIRED_ATTRIBUTE_REMOVED, _where(on, "required"),
                        _where(un, "required"), name=name)
            elif name in ureq and name not in oreq:
                kind = (K.REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED
                        if _has_default(un.child("properties", name))
                        else K.REQUIRED_ATTRIBUTE_ADDED)
                ctx.add(kind, _where(on, "required"), _where(un, "required"), name=name)
        for name in {**oprops, **uprops}:
            if name in oprops and name in uprops:
                self.compare(ctx, on.child("properties", name), un.child("properties", name),
                             on, un)
            elif name in oprops:
                self._property_removed(ctx, o, u, name)
            else:
                self._property_added(ctx, o, u, name, name in ureq)
        self._dependencies(ctx, on, un)
        self._additional(ctx, on, un, "additionalProperties")
        self._unevaluated(ctx, on, un, "unevaluatedProperties")
        self._bounds(ctx, o, u, "object")

    def _property_removed(self, ctx: _Context, o: _Model, u: _Model, name: str) -> None:
        on, un = o.node, u.node
        prop = on.child("properties", name)
        raw = on.contents["properties"][name]
        if _open_object(un):
            ctx.add(K.PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL, prop.path, un.path, raw, None,
                    name)
            return
        partial = _partial_object(un, name)
        if partial is not None:
            sub = ctx.sub()
            self.compare(sub, prop, partial, on, un)
            ctx.found.extend(sub.found)
            kind = (K.PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL if sub.compatible
                    else K.PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL)
            ctx.add(kind, prop.path, un.path, raw, partial.contents, name)
        elif load(prop).kind == "false":
            ctx.add(K.PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, prop.path, un.path,
                    raw, None, name)
        else:
            ctx.add(K.PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL, prop.path, un.path, raw, None,
                    name)

    def _property_added(
        self, ctx: _Context, o: _Model, u: _Model, name: str, required: bool
    ) -> None:
        on, un = o.node, u.node
        prop = un.child("properties", name)
        raw = un.contents["properties"][name]
        if _open_object(on):
            kind = (K.PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                    if load(prop).kind == "empty" else K.PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL)
            ctx.add(kind, on.path, prop.path, None, raw, name)
            return
        partial = _partial_object(on, name)
        if partial is not None:
            sub = ctx.sub()
            self.compare(sub, partial, prop, on, un)
            ctx.found.extend(sub.found)
            kind = (K.PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL if sub.compatible
                    else K.PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL)
            ctx.add(kind, on.path, prop.path, partial.contents, raw, name)
        if required:
            kind = (K.REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL
                    if _has_default(prop) else K.REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL)
        else:
            kind = K.OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL
        ctx.add(kind, on.path, prop.path, None, raw, name)

    def _dependencies(self, ctx: _Context, on: Node, un: Node) -> None:
        oarrays, oschemas = _dependencies(on)
        uarrays, uschemas = _dependencies(un)
        for name in {**oarrays, **uarrays}:
            o_kw, o_deps = oarrays.get(name, ("", None))
            u_kw, u_deps = uarrays.get(name, ("", None))
            op, up = _where(on, o_kw or None, name), _where(un, u_kw or None, name)
            if u_deps is None:
                ctx.add(K.DEPENDENCY_ARRAY_REMOVED, op, up, o_deps, None, name)
            elif o_deps is None:
                ctx.add(K.DEPENDENCY_ARRAY_ADDED, op, up, None, u_deps, name)
            elif set(o_deps) != set(u_deps):
                kind = (K.DEPENDENCY_ARRAY_EXTENDED if set(u_deps) >= set(o_deps) else
                        K.DEPENDENCY_ARRAY_NARROWED if set(o_deps) >= set(u_deps) else
                        K.DEPENDENCY_ARRAY_CHANGED)
                ctx.add(kind, op, up, o_deps, u_deps, name)
        for name in {**oschemas, **uschemas}:
            o_dep, u_dep = oschemas.get(name), uschemas.get(name)
            if u_dep is None:
                ctx.add(K.DEPENDENCY_SCHEMA_REMOVED, _where(on, o_dep, name), un.path, name=name)
            elif o_dep is None:
                ctx.add(K.DEPENDENCY_SCHEMA_ADDED, on.path, _where(un, u_dep, name), name=name)
            else:
                self.compare(ctx, on.child(o_dep, name), un.child(u_dep, name), on, un)

    def _additional(
        self, ctx: _Context, on: Node, un: Node, keyword: str
    ) -> None:
        """additionalProperties / additionalItems: permitted at all, then their schemas."""
        o_permits, o_schema = _rest(on, keyword)
        u_permits, u_schema = _rest(un, keyword)
        op, up = _where(on, keyword), _where(un, keyword)
        ov, uv = on.contents.get(keyword, True), un.contents.get(keyword, True)
        if o_permits != u_permits:
            ctx.add(_kind(keyword, "ADDED" if u_permits else "REMOVED"), op, up, ov, uv)
        elif o_schema is None and u_schema is not None:
            ctx.add(_kind(keyword, "NARROWED"), op, up, ov, uv)
        elif u_schema is None and o_schema is not None:
            ctx.add(_kind(keyword, "EXTENDED"), op, up, ov, uv)
        else:
            self.compare(ctx, o_schema, u_schema, on, un)

    def _unevaluated(
        self, ctx: _Context, on: Node, un: Node, keyword: str
    ) -> None:
        o_u, u_u = _unevaluated(on, keyword), _unevaluated(un, keyword)
        if o_u is None and u_u is None:
            return
        op, up = _where(on, keyword), _where(un, keyword)
        ov, uv = on.contents.get(keyword), un.contents.get(keyword)
        okind = load(o_u).kind if o_u is not None else None
        ukind = load(u_u).kind if u_u is not None else None
        if o_u is None:
            ctx.add(_kind(keyword, "REMOVED" if ukind == "false" else "NARROWED"), op, up, ov, uv)
        elif u_u is None:
            ctx.add(_kind(keyword, "ADDED" if okind == "false" else "EXTENDED"), op, up, ov, uv)
        elif okind == "false" and ukind != "false":
            ctx.add(_kind(keyword, "ADDED"), op, up, ov, uv)
        elif okind != "false" and ukind == "false":
            ctx.add(_kind(keyword, "REMOVED"), op, up, ov, uv)
        elif okind == "empty" and ukind != "empty":
            ctx.add(_kind(keyword, "NARROWED"), op, up, ov, uv)
        elif okind != "empty" and ukind == "empty":
            ctx.add(_kind(keyword, "EXTENDED"), op, up, ov, uv)
        else:
            self.compare(ctx, o_u, u_u, on, un)

    # -- arrays ----------------------------------------------------------------------------

    def _array(self, ctx: _Context, o: _Model, u: _Model) -> None:
        on, un = o.node, u.node
        oa, ua = _array_model(on), _array_model(un)
        self.compare(ctx, oa.every, ua.every, on, un)
        shared = min(len(oa.tuple), len(ua.tuple))
        for i in range(shared):
            self.compare(ctx, oa.tuple[i], ua.tuple[i], on, un)
        for i in range(shared, len(oa.tuple)):  # positions the update removed
            item = oa.tuple[i]
            raw = item.contents
            if _open_array(un, ua):
                ctx.add(K.ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL, item.path, un.path, raw, None,
                        str(i))
                continue
            partial = _partial_array(un, ua)
            if partial is not None:
                sub = ctx.sub()
                self.compare(sub, item, partial, on, un)
                ctx.found.extend(sub.found)
                kind = (K.ITEM_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL
                        if sub.compatible
                        else K.ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL)
                ctx.add(kind, item.path, un.path, raw, partial.contents, str(i))
            elif load(item).kind == "false":
                ctx.add(K.ITEM_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL, item.path, un.path,
                        raw, None, str(i))
            else:
                ctx.add(K.ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL, item.path, un.path, raw, None,
                        str(i))
        for i in range(shared, len(ua.tuple)):  # positions the update added
            item = ua.tuple[i]
            raw = item.contents
            if _open_array(on, oa):
                kind = (K.ITEM_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL
                        if load(item).kind == "empty" else K.ITEM_ADDED_TO_OPEN_CONTENT_MODEL)
                ctx.add(kind, on.path, item.path, None, raw, str(i))
                continue
            partial = _partial_array(on, oa)
            if partial is not None:
                sub = ctx.sub()
                self.compare(sub, partial, item, on, un)
                ctx.found.extend(sub.found)
                kind = (K.ITEM_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL if sub.compatible
                        else K.ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL)
                ctx.add(kind, on.path, item.path, partial.contents, raw, str(i))
            else:
                ctx.add(K.ITEM_ADDED_TO_CLOSED_CONTENT_MODEL, on.path, item.path, None, raw,
                        str(i))
        self._additional_items(ctx, on, un, oa, ua)
        self._unevaluated(ctx, on, un, "unevaluatedItems")
        self._bounds(ctx, o, u, "array")
        ounique = on.contents.get("uniqueItems") is True
        uunique = un.contents.get("uniqueItems") is True
        if ounique != uunique:
            kind = K.UNIQUE_ITEMS_REMOVED if ounique else K.UNIQUE_ITEMS_ADDED
            ctx.add(kind, _where(on, "uniqueItems"), _where(un, "uniqueItems"), ounique, uunique)
        self._bounds(ctx, o, u, "contains")

    def _additional_items(
        self, ctx: _Context, on: Node, un: Node, oa: _Array, ua: _Array
    ) -> None:
        op = _where(on, oa.rest_keyword or None)
        up = _where(un, ua.rest_keyword or None)
        if oa.permits != ua.permits:
            kind = K.ADDITIONAL_ITEMS_ADDED if ua.permits else K.ADDITIONAL_ITEMS_REMOVED
            ctx.add(kind, op, up, oa.rest_value, ua.rest_value)
        elif oa.rest is None and ua.rest is not None:
            ctx.add(K.ADDITIONAL_ITEMS_NARROWED, op, up, oa.rest_value, ua.rest_value)
        elif ua.rest is None and oa.rest is not None:
            ctx.add(K.ADDITIONAL_ITEMS_EXTENDED, op, up, oa.rest_value, ua.rest_value)
        else:
            self.compare(ctx, oa.rest, ua.rest, on, un)


@dataclass(frozen=True, slots=True)
class _Array:
    every: Node | None  # the schema of every item (`items` as one schema)
    tuple: tuple[Node, ...]
    permits: bool  # whether items after the tuple are allowed at all
    rest: Node | None  # their schema, None when any item is allowed
    rest_keyword: str  # the keyword that says so ("" when absent)
    rest_value: Any


def _array_model(node: Node) -> _Array:
    contents = node.contents
    modern = node.side.draft.name == "2020-12"
    items = contents.get("items")
    if modern:
        prefix = contents.get("prefixItems")
        if isinstance(prefix, list):
            tuple_ = tuple(node.child("prefixItems", i) for i in range(len(prefix)))
            return _with_rest(node, None, tuple_, "items")
        every = node.child("items") if "items" in contents else None
        return _Array(every, (), True, None, "", True)
    if isinstance(items, list):
        tuple_ = tuple(node.child("items", i) for i in range(len(items)))
        return _with_rest(node, None, tuple_, "additionalItems")
    every = node.child("items") if "items" in contents else None
    return _with_rest(node, every, (), "additionalItems")


def _with_rest(node: Node, every: Node | None, tuple_: tuple[Node, ...], keyword: str) -> _Array:
    if keyword not in node.contents:
        return _Array(every, tuple_, True, None, "", True)
    value = node.contents[keyword]
    if value is False:
        return _Array(every, tuple_, False, None, keyword, value)
    if value is True:
        return _Array(every, tuple_, True, None, keyword, value)
    return _Array(every, tuple_, True, node.child(keyword), keyword, value)


def _open_array(node: Node, model: _Array) -> bool:
    if not model.permits or model.rest is not None:
        return False
    uneval = _unevaluated(node, "unevaluatedItems")
    return uneval is None or load(uneval).kind == "empty"


def _partial_array(node: Node, model: _Array) -> Node | None:
    if model.rest is not None:
        return model.rest
    if model.permits:
        uneval = _unevaluated(node, "unevaluatedItems")
        if uneval is not None and load(uneval).kind not in ("false", "empty"):
            return uneval
    return None


def _rest(node: Node, keyword: str) -> tuple[bool, Node | None]:
    value = node.contents.get(keyword, True)
    if value is False:
        return False, None
    if value is True:
        return True, None
    return True, node.child(keyword)


def _unevaluated(node: Node, keyword: str) -> Node | None:
    if node.side.draft.legacy or keyword not in node.contents:
        return None
    return node.child(keyword)


def _open_object(node: Node) -> bool:
    contents = node.contents
    if _dict(contents.get("patternProperties")):
        return False
    permits, schema = _rest(node, "additionalProperties")
    if not permits or schema is not None:
        return False
    if "additionalProperties" in contents:
        return True
    uneval = _unevaluated(node, "unevaluatedProperties")
    return uneval is None or load(uneval).kind == "empty"


def _partial_object(node: Node, name: str) -> Node | None:
    for pattern in _dict(node.contents.get("patternProperties")):
        if matches(pattern, name):
            return node.child("patternProperties", pattern)
    permits, schema = _rest(node, "additionalProperties")
    if schema is not None:
        return schema
    if permits and "additionalProperties" not in node.contents:
        uneval = _unevaluated(node, "unevaluatedProperties")
        if uneval is not None and load(uneval).kind not in ("false", "empty"):
            return uneval
    return None


def _dependencies(node: Node) -> tuple[dict[str, tuple[str, list[Any]]], dict[str, str]]:
    arrays: dict[str, tuple[str, list[Any]]] = {}
    schemas: dict[str, str] = {}
    for keyword in ("dependencies", "dependentRequired", "dependentSchemas"):
        for name, dep in _dict(node.contents.get(keyword)).items():
            if isinstance(dep, list):
                arrays[name] = (keyword, dep)
            else:
                schemas[name] = keyword
    return arrays, schemas


def _has_default(node: Node) -> bool:
    if isinstance(node.contents, dict) and "default" in node.contents:
        return True
    target = node.deref().contents
    return isinstance(target, dict) and "default" in target


def _distinct(parts: tuple[Node | _Model, ...]) -> list[_Model]:
    seen: dict[str, _Model] = {}
    for part in parts:
        model = _as_model(part)
        seen.setdefault(model.key, model)
    return list(seen.values())


def _maximum_matching(left: int, right: int, edges: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """Kuhn's augmenting paths; the partitions are a handful of subschemas."""
    match_right: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j in range(right):
            if (i, j) in edges and j not in seen:
                seen.add(j)
                if j not in match_right or augment(match_right[j], seen):
                    match_right[j] = i
                    return True
        return False

    for i in range(left):
        augment(i, set())
    return {(i, j) for j, i in match_right.items()}


def _node(value: Node | _Model) -> Node:
    return value.node if isinstance(value, _Model) else value


def _number(value: Any) -> Fraction | None:
    return as_fraction(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _members(model: _Model) -> Any:
    """A combination as a message shows it: its `type` list, or its keyword's subschemas."""
    contents = model.node.contents
    key = "type" if model.tag == "types" else model.criterion
    return contents.get(key) if isinstance(contents, dict) else None


def _type_of(model: _Model) -> str:
    """How a kind reads in a message."""
    if model.kind == "number":
        return "integer" if model.integer else "number"
    if model.kind == "combined":
        return model.criterion
    return {"empty": "any value", "false": "no value"}.get(model.kind, model.kind)


def differences(original: Node, update: Node, compatible_types: frozenset[str]) -> Iterator[
    Difference
]:
    """Every difference Confluent names from `original` (writer) to `update` (reader).

    `compatible_types` is the policy's set: it decides the sub-verdicts that steer the walk
    (whether a property is covered by a partially open content model, which union branches
    match), as in Confluent, where the same set is carried down.
    """
    ctx = _Context(compatible_types)
    _Walk().compare(ctx, original, update, original, update)
    yield from ctx.found
