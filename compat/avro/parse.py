"""Avro schema text → validated node tree, with references resolved through the caller.

Validation follows the Avro specification and what Confluent's (Java) parser rejects: names,
namespaces, duplicate fields and symbols, union shape, enum defaults and field defaults. Every
error is a `SchemaParseError` whose `location` is a JSON pointer into the offending schema text;
errors in a referenced schema are `ReferenceResolutionError`s naming the reference.

What Java accepts although the specification says otherwise is accepted too, and reported as a
warning finding on the parsed schema: a field default of the wrong size for a fixed type, and
one naming a symbol its enum does not have (Java checks only that both are strings).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

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
from compat.avro.rules import DEFAULT_FIXED_SIZE_MISMATCH, DEFAULT_NOT_AN_ENUM_SYMBOL
from compat.errors import ReferenceResolutionError, SchemaParseError
from compat.model import Direction, Finding, Reference, Resolver, SchemaSource, Severity

__all__ = ["Parsed", "load_json", "parse_tree", "resolve_references"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ORDERS = frozenset({"ascending", "descending", "ignore"})
_INT_RANGE = (-(2**31), 2**31 - 1)
_LONG_RANGE = (-(2**63), 2**63 - 1)
_SHARED = {kind: PrimitiveNode(kind) for kind in PRIMITIVES}

# Keys each kind of schema object defines; anything else is a custom property.
_RECORD_KEYS = frozenset({"type", "name", "namespace", "aliases", "fields"})
_ENUM_KEYS = frozenset({"type", "name", "namespace", "aliases", "symbols", "default"})
_FIXED_KEYS = frozenset({"type", "name", "namespace", "aliases", "size"})
_FIELD_KEYS = frozenset({"name", "type", "default", "aliases", "order"})


def load_json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = (
            f" at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise SchemaParseError(f"the schema is not valid JSON: {reason}{where}") from None


class Parsed:
    """The result of building one schema document: its root node, the named types it saw and
    the warnings about it (none for a referenced schema: those belong to its own subject)."""

    __slots__ = ("names", "root", "warnings")

    def __init__(
        self, root: Node, names: dict[str, NamedNode], warnings: tuple[Finding, ...] = ()
    ) -> None:
        self.root = root
        self.names = names
        self.warnings = warnings


def parse_tree(raw: Any, names: dict[str, NamedNode], *, own_pointers: bool = True) -> Parsed:
    """Validate `raw` and build its nodes. `names` holds named types already known (from
    references) and receives this document's definitions."""
    builder = _Builder(names, own_pointers)
    root = builder.build(raw, "", "")
    return Parsed(root, names, tuple(builder.warnings) if own_pointers else ())


def _fail(reason: str, location: str) -> SchemaParseError:
    return SchemaParseError(reason, location=location or "")


def _check_name(name: Any, where: str, what: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise _fail(
            f"{what} {json.dumps(name)} is not a valid Avro name "
            "(letters, digits and _, not starting with a digit)",
            where,
        )
    return name


def _check_fullname(name: Any, where: str) -> str:
    if not isinstance(name, str) or not name:
        raise _fail(f"name {json.dumps(name)} must be a non-empty string", where)
    for part in name.split("."):
        _check_name(part, where)
    return name


class _Builder:
    def __init__(self, names: dict[str, NamedNode], own_pointers: bool) -> None:
        self.names = names
        self.own_pointers = own_pointers
        self.warnings: list[Finding] = []

    # -- dispatch -----------------------------------------------------------------------

    def build(self, raw: Any, at: str, namespace: str) -> Node:
        if isinstance(raw, str):
            return self._reference(raw, at, namespace)
        if isinstance(raw, list):
            return self._union(raw, at, namespace)
        if isinstance(raw, dict):
            return self._object(raw, at, namespace)
        raise _fail(
            f"a schema must be a type name, an object or an array (union), not {json.dumps(raw)}",
            at,
        )

    def _reference(self, name: str, at: str, namespace: str) -> Node:
        if name in PRIMITIVES:
            return _SHARED[name]
        # A short name is relative to the enclosing namespace. Java falls back to the null
        # namespace when that fails; fastavro (our serialiser) does not, so neither do we.
        fullname = f"{namespace}.{name}" if "." not in name and namespace else name
        found = self.names.get(fullname)
        if found is None:
            raise _fail(
                f"unknown type {fullname!r}: not a primitive type nor a named type defined "
                "before this point",
                at,
            )
        return found

    def _object(self, raw: dict[str, Any], at: str, namespace: str) -> Node:
        if "type" not in raw:
            raise _fail('a schema object needs a "type"', at)
        kind = raw["type"]
        if not isinstance(kind, str):
            raise _fail(
                '"type" in a schema object must be a string; write a union or a nested '
                "type directly instead of wrapping it in an object",
                f"{at}/type",
            )
        if kind in PRIMITIVES:
            return self._primitive(kind, raw, at)
        if kind in ("record", "error"):
            return self._record(raw, at, namespace)
        if kind == "enum":
            return self._enum(raw, at, namespace)
        if kind == "fixed":
            return self._fixed(raw, at, namespace)
        if kind == "array":
            if "items" not in raw:
                raise _fail('an array needs "items"', at)
            items = self.build(raw["items"], f"{at}/items", namespace)
            props = {k: v for k, v in raw.items() if k not in ("type", "items")}
            return ArrayNode(items, self._own(f"{at}/items"), props)
        if kind == "map":
            if "values" not in raw:
                raise _fail('a map needs "values"', at)
            values = self.build(raw["values"], f"{at}/values", namespace)
            props = {k: v for k, v in raw.items() if k not in ("type", "values")}
            return MapNode(values, self._own(f"{at}/values"), props)
        return self._reference(kind, f"{at}/type", namespace)

    # -- unnamed types --------------------------------------------------------------------

    def _primitive(self, kind: str, raw: dict[str, Any], at: str) -> Node:
        props = {k: v for k, v in raw.items() if k != "type"}
        if not props:
            return _SHARED[kind]
        node = PrimitiveNode(kind, props)
        if kind == "bytes":
            _check_decimal(props, at)
            node.decimal = _decimal(props)
        return node

    def _union(self, raw: list[Any], at: str, namespace: str) -> Node:
        branches: list[Node] = []
        pointers: list[str | None] = []
        seen: dict[str, int] = {}
        for i, item in enumerate(raw):
            where = f"{at}/{i}"
            if isinstance(item, list):
                raise _fail("a union may not directly contain another union", where)
            node = self.build(item, where, namespace)
            key = node.fullname if isinstance(node, NamedNode) else node.kind
            if key in seen:
                raise _fail(
                    f"the union already has a {key} branch at index {seen[key]}; a union holds "
                    "each unnamed type once and each named type once",
                    where,
                )
            seen[key] = i
            branches.append(node)
            pointers.append(self._own(where))
        return UnionNode(tuple(branches), tuple(pointers))

    # -- named types ----------------------------------------------------------------------

    def _naming(self, raw: dict[str, Any], at: str, namespace: str) -> tuple[str, frozenset[str]]:
        if "name" not in raw:
            raise _fail(f'a {raw["type"]} needs a "name"', at)
        name = raw["name"]
        _check_fullname(name, f"{at}/name")
        if "." in name:
            fullname = name
            space = name.rpartition(".")[0]
        else:
            space = raw.get("namespace", namespace)
            if space is None:
                space = ""
            if not isinstance(space, str):
                raise _fail("namespace must be a string", f"{at}/namespace")
            if space:
                _check_fullname(space, f"{at}/namespace")
            fullname = f"{space}.{name}" if space else name
        if fullname.rpartition(".")[2] in PRIMITIVES:
            raise _fail(f"a named type may not be called {name!r}", f"{at}/name")
        if fullname in self.names:
            raise _fail(f"the type {fullname} is defined twice", f"{at}/name")
        aliases_raw = raw.get("aliases", [])
        if not isinstance(aliases_raw, list):
            raise _fail("aliases must be an array of names", f"{at}/aliases")
        aliases = []
        for i, alias in enumerate(aliases_raw):
            _check_fullname(alias, f"{at}/aliases/{i}")
            aliases.append(alias if "." in alias or not space else f"{space}.{alias}")
        return fullname, frozenset(aliases)

    def _own(self, at: str) -> str | None:
        """Nodes keep pointers only into the schema being registered, not into references."""
        return at if self.own_pointers else None

    def _record(self, raw: dict[str, Any], at: str, namespace: str) -> Node:
        fullname, aliases = self._naming(raw, at, namespace)
        props = {k: v for k, v in raw.items() if k not in _RECORD_KEYS}
        node = RecordNode("record", fullname, aliases, self._own(at), props)
        self.names[fullname] = node  # before the fields: a record may refer to itself
        inner = node.namespace
        fields_raw = raw.get("fields")
        if not isinstance(fields_raw, list):
            raise _fail('a record needs "fields", an array of field objects', at)
        fields: list[Field] = []
        seen: set[str] = set()
        for i, field_raw in enumerate(fields_raw):
            where = f"{at}/fields/{i}"
            if not isinstance(field_raw, dict):
                raise _fail("a field must be an object with a name and a type", where)
            fname = _check_name(field_raw.get("name"), f"{where}/name", "field name")
            if fname in seen:
                raise _fail(f"the record already has a field named {fname!r}", f"{where}/name")
            seen.add(fname)
            if "type" not in field_raw:
                raise _fail(f'field {fname!r} needs a "type"', where)
            ftype = self.build(field_raw["type"], f"{where}/type", inner)
            faliases_raw = field_raw.get("aliases", [])
            if not isinstance(faliases_raw, list):
                raise _fail("field aliases must be an array of names", f"{where}/aliases")
            faliases = tuple(
                _check_name(a, f"{where}/aliases/{j}", "alias") for j, a in enumerate(faliases_raw)
            )
            order = field_raw.get("order", "ascending")
            if order not in _ORDERS:
                raise _fail(
                    'order must be "ascending", "descending" or "ignore"', f"{where}/order"
                )
            has_default = "default" in field_raw
            default = field_raw.get("default")
            if has_default:
                problem = _default_problem(ftype, default, f"{where}/default", self.warnings)
                if problem:
                    raise _fail(
                        f"the default of field {fname!r} does not match its type: {problem}",
                        f"{where}/default",
                    )
            fields.append(
                Field(
                    fname,
                    ftype,
                    i,
                    self._own(where),
                    aliases=faliases,
                    has_default=has_default,
                    default=default,
                    order=order,
                    props={k: v for k, v in field_raw.items() if k not in _FIELD_KEYS},
                )
            )
        node.set_fields(fields)
        return node

    def _enum(self, raw: dict[str, Any], at: str, namespace: str) -> Node:
        fullname, aliases = self._naming(raw, at, namespace)
        symbols_raw = raw.get("symbols")
        if not isinstance(symbols_raw, list):
            raise _fail('an enum needs "symbols", an array of names', at)
        seen: set[str] = set()
        for i, symbol in enumerate(symbols_raw):
            _check_name(symbol, f"{at}/symbols/{i}", "symbol")
            if symbol in seen:
                raise _fail(f"the symbol {symbol!r} appears twice", f"{at}/symbols/{i}")
            seen.add(symbol)
        default = raw.get("default")
        if "default" in raw and default not in seen:
            raise _fail(
                f"the enum default {json.dumps(default)} is not one of its symbols",
                f"{at}/default",
            )
        props = {k: v for k, v in raw.items() if k not in _ENUM_KEYS}
        node = EnumNode("enum", fullname, aliases, self._own(at), props)
        node.set_symbols(tuple(symbols_raw), default)
        self.names[fullname] = node
        return node

    def _fixed(self, raw: dict[str, Any], at: str, namespace: str) -> Node:
        fullname, aliases = self._naming(raw, at, namespace)
        size = raw.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _fail('a fixed needs "size", a non-negative integer', f"{at}/size")
        props = {k: v for k, v in raw.items() if k not in _FIXED_KEYS}
        node = FixedNode("fixed", fullname, aliases, self._own(at), props)
        node.set_size(size)
        _check_decimal(props, at, size)
        node.decimal = _decimal(props)
        self.names[fullname] = node
        return node


def _check_decimal(props: dict[str, Any], at: str, fixed_size: int | None = None) -> None:
    """Reject the decimal attributes serialisers (fastavro) refuse, with a location."""
    if props.get("logicalType") != "decimal":
        return
    precision = props.get("precision")
    scale = props.get("scale", 0)
    if not isinstance(precision, int) or isinstance(precision, bool) or precision <= 0:
        raise _fail("a decimal needs a positive integer precision", f"{at}/precision")
    if not isinstance(scale, int) or isinstance(scale, bool) or scale < 0:
        raise _fail("a decimal scale must be a non-negative integer", f"{at}/scale")
    if scale > precision:
        raise _fail(
            f"the decimal scale {scale} is greater than its precision {precision}", f"{at}/scale"
        )
    if fixed_size is not None:
        most = math.floor(math.log10(2 ** (8 * fixed_size - 1) - 1)) if fixed_size else 0
        if precision > most:
            raise _fail(
                f"a {fixed_size}-byte fixed holds at most {most} decimal digits, "
                f"not precision {precision}",
                f"{at}/precision",
            )


def _decimal(props: dict[str, Any]) -> tuple[int, int] | None:
    """(precision, scale) of a decimal logical type (already validated), or None."""
    if props.get("logicalType") != "decimal":
        return None
    return int(props["precision"]), int(props.get("scale", 0))


def _default_problem(node: Node, value: Any, at: str, warnings: list[Finding]) -> str | None:
    """Why `value` is not a valid JSON default for `node`, or None when it is.

    `at` is the pointer of `value` in the schema text. Defaults Java accepts although they do
    not fit (see the module docstring) are valid here and add a warning to `warnings`.
    """
    kind = node.kind
    if kind == "null":
        return None if value is None else f"{json.dumps(value)} is not null"
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{json.dumps(value)} is not a boolean"
    if kind in ("int", "long"):
        low, high = _INT_RANGE if kind == "int" else _LONG_RANGE
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"{json.dumps(value)} is not an {kind}"
    if kind in ("float", "double"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return None
        return f"{json.dumps(value)} is not a number"
    if kind in ("bytes", "string"):
        if not isinstance(value, str):
            return f"{json.dumps(value)} is not a string"
        if kind == "bytes" and any(ord(c) > 255 for c in value):
            return "a bytes default may only hold code points 0-255"
        return None
    if isinstance(node, FixedNode):
        if not isinstance(value, str) or any(ord(c) > 255 for c in value):
            return f"{json.dumps(value)} is not a string of bytes"
        if len(value) != node.size:
            warnings.append(_fixed_default_warning(node, value, at))
        return None
    if isinstance(node, EnumNode):
        if not isinstance(value, str):
            return f"{json.dumps(value)} is not a symbol of {node.fullname}"
        if value not in node.symbol_set:
            warnings.append(_enum_default_warning(node, value, at))
        return None
    if isinstance(node, ArrayNode):
        if not isinstance(value, list):
            return f"{json.dumps(value)} is not an array"
        return _first(
            _default_problem(node.items, v, f"{at}/{i}", warnings) for i, v in enumerate(value)
        )
    if isinstance(node, MapNode):
        if not isinstance(value, dict):
            return f"{json.dumps(value)} is not an object"
        return _first(
            _default_problem(node.values, v, f"{at}/{_escape(k)}", warnings)
            for k, v in value.items()
        )
    if isinstance(node, UnionNode):
        # Avro 1.12: a union default may match any branch (earlier versions: the first). A
        # branch it fits cleanly wins over one it fits only with warnings.
        warned: list[Finding] | None = None
        for branch in node.branches:
            found: list[Finding] = []
            if _default_problem(branch, value, at, found) is None:
                if not found:
                    return None
                if warned is None:
                    warned = found
        if warned is not None:
            warnings.extend(warned)
            return None
        return f"{json.dumps(value)} matches no branch of the union"
    if isinstance(node, RecordNode):
        if not isinstance(value, dict):
            return f"{json.dumps(value)} is not an object"
        for field in node.fields:
            if field.name in value:
                where = f"{at}/{_escape(field.name)}"
                problem = _default_problem(field.type, value[field.name], where, warnings)
                if problem:
                    return f"field {field.name!r}: {problem}"
            elif not field.has_default:
                return f"field {field.name!r} is missing and has no default"
        return None
    return None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _fixed_default_warning(node: FixedNode, value: str, at: str) -> Finding:
    return Finding(
        rule=DEFAULT_FIXED_SIZE_MISMATCH,
        location=at,
        message=(
            f"the default {json.dumps(value)} holds {len(value)} bytes, but {node.fullname} is "
            f"{node.size} bytes wide; Java's Avro parser (and so Confluent) accepts it, and a "
            "reader that fills the field in from this default gets a value of the wrong size."
        ),
        hint=f"give a default of exactly {node.size} bytes, or no default.",
        direction=Direction.BACKWARD,
        new=value,
        severity=Severity.WARNING,
    )


def _enum_default_warning(node: EnumNode, value: str, at: str) -> Finding:
    return Finding(
        rule=DEFAULT_NOT_AN_ENUM_SYMBOL,
        location=at,
        message=(
            f"the default {json.dumps(value)} is not a symbol of {node.fullname} "
            f"({', '.join(node.symbols)}); Java's Avro parser (and so Confluent) accepts it, "
            "as it checks only that the default is a string, but a reader that fills the "
            "field in from this default fails."
        ),
        hint=f"use one of the symbols of {node.fullname} as the default, or add the symbol.",
        direction=Direction.BACKWARD,
        new=value,
        severity=Severity.WARNING,
    )


def _first(problems: Iterable[str | None]) -> str | None:
    for problem in problems:
        if problem:
            return problem
    return None


def resolve_references(
    references: tuple[Reference, ...],
    resolver: Resolver | None,
    names: dict[str, NamedNode],
    fastavro_names: dict[str, Any],
    *,
    stack: tuple[tuple[str, int], ...] = (),
    done: set[tuple[str, int]] | None = None,
) -> None:
    """Parse every referenced schema (depth first) so its named types are known in `names`.

    `fastavro_names` receives fastavro's parsed named schemas for the same types.
    """
    from compat.avro.fastavro_bridge import parse_with_fastavro

    done = set() if done is None else done
    for ref in references:
        key = (ref.subject, ref.version)
        if key in stack:
            chain = " -> ".join(f"{s}/{v}" for s, v in (*stack, key))
            raise ReferenceResolutionError(ref.name, f"references form a cycle: {chain}")
        if key in done:
            continue
        if resolver is None:
            raise ReferenceResolutionError(ref.name, "no resolver was given for references")
        try:
            source: SchemaSource = resolver(ref)
        except LookupError as exc:
            raise ReferenceResolutionError(
                ref.name, f"subject {ref.subject!r} version {ref.version} not found ({exc})"
            ) from None
        resolve_references(
            source.references, resolver, names, fastavro_names, stack=(*stack, key), done=done
        )
        try:
            raw = load_json(source.text)
            parse_tree(raw, names, own_pointers=False)
            parse_with_fastavro(raw, fastavro_names)
        except ReferenceResolutionError:
            raise
        except SchemaParseError as exc:
            raise ReferenceResolutionError(
                ref.name, f"the referenced schema is invalid: {exc.message}"
            ) from None
        done.add(key)
