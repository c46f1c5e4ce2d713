"""Strict validation of Python values against an Avro schema, before fastavro encodes them.

fastavro's writer quietly truncates a float written to an int field, drops unknown keys and
writes null for a missing nullable field. Charter refuses all of those: ints must be `int`
(not `bool`, not `float`) and within their 32/64-bit range, records take no unknown fields and
need every field that has no default.

An `AvroValidator` is built once per schema, from compat's Avro model (`compat.avro`).
`is_valid` is the hot path: the schema is compiled into Python source (one function per
record, array and map) so a valid value costs a few type checks. `violations` walks the
value slowly and lists every violation with its path.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from compat.avro import (
    ArrayNode,
    EnumNode,
    FixedNode,
    MapNode,
    NamedNode,
    Node,
    PrimitiveNode,
    RecordNode,
    UnionNode,
)
from sdk.errors import Violation

__all__ = ["AvroValidator", "CheckCompiler"]

_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_FLOAT_MAX = 3.4028234663852886e38
_INF = float("inf")
_MISSING = object()


# --- the compiled fast check -------------------------------------------------------------


def _decimal_ok(value: Any, precision: int, scale: int) -> bool:
    if type(value) is not decimal.Decimal or not value.is_finite():
        return False
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    if exponent < -scale:
        return False
    return not precision or len(digits) + exponent + scale <= precision


def _float32_ok(value: Any) -> bool:
    if type(value) is float:
        return -_FLOAT_MAX <= value <= _FLOAT_MAX or value != value or value in (_INF, -_INF)
    return type(value) is int and -_FLOAT_MAX <= value <= _FLOAT_MAX


class CheckCompiler:
    """Compiles the fast type check of a node into Python source; the encoder generator reuses
    its expressions (and environment) so that it refuses exactly what the validator refuses."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.env: dict[str, Any] = {
            "_M": _MISSING,
            "_dec": _decimal_ok,
            "_f32": _float32_ok,
            "_datetime": _dt.datetime,
            "_date": _dt.date,
            "_time": _dt.time,
            "_UUID": uuid.UUID,
            "_bytes": (bytes, bytearray),
            "_seq": (list, tuple),
        }
        self.done: dict[int, str] = {}
        self.counter = 0
        self.emitted = 0
        self.callables: dict[int, Callable[[Any], bool]] = {}

    def callable_for(self, node: Node) -> Callable[[Any], bool]:
        """A function checking `node`, compiled with every function it needs."""
        found = self.callables.get(id(node))
        if found is not None:
            return found
        expr = self.expr(node, "v")
        name = f"_check{len(self.callables)}"
        source = [*self.lines[self.emitted :], f"def {name}(v):", f"    return {expr}"]
        self.emitted = len(self.lines)
        exec("\n".join(source), self.env)  # source generated from the schema above
        check: Callable[[Any], bool] = self.env[name]
        self.callables[id(node)] = check
        return check

    def _const(self, value: Any) -> str:
        self.counter += 1
        name = f"_c{self.counter}"
        self.env[name] = value
        return name

    def expr(self, node: Node, var: str) -> str:
        if isinstance(node, PrimitiveNode):
            return self._prim(node, var)
        if isinstance(node, EnumNode):
            return f"(type({var}) is str and {var} in {self._const(node.symbol_set)})"
        if isinstance(node, FixedNode):
            if node.decimal is not None:
                return f"_dec({var}, {node.decimal[0]}, {node.decimal[1]})"
            return f"(type({var}) in _bytes and len({var}) == {node.size})"
        if isinstance(node, UnionNode):
            return "(" + " or ".join(self.expr(b, var) for b in node.branches) + ")"
        return f"{self.function(node)}({var})"

    def _prim(self, node: PrimitiveNode, v: str) -> str:
        kind, logical = node.kind, node.logical_type
        if kind == "null":
            return f"{v} is None"
        if kind == "boolean":
            return f"type({v}) is bool"
        if kind == "string":
            return (
                f"(type({v}) is str or isinstance({v}, _UUID))"
                if logical == "uuid"
                else f"type({v}) is str"
            )
        if kind == "bytes":
            if node.decimal is not None:
                return f"_dec({v}, {node.decimal[0]}, {node.decimal[1]})"
            return f"type({v}) in _bytes"
        if kind == "float":
            return f"_f32({v})"
        if kind == "double":
            return f"(type({v}) is float or type({v}) is int)"
        low, high = (_INT_MIN, _INT_MAX) if kind == "int" else (_LONG_MIN, _LONG_MAX)
        plain = f"(type({v}) is int and {low} <= {v} <= {high})"
        if logical == "date":
            return f"({plain} or isinstance({v}, _date))"
        if logical in ("time-millis", "time-micros"):
            return f"({plain} or isinstance({v}, _time))"
        if logical is not None and "timestamp" in logical:
            return f"({plain} or isinstance({v}, _datetime))"
        return plain

    def function(self, node: Node) -> str:
        key = id(node)
        if key in self.done:
            return self.done[key]
        name = f"_f{len(self.done)}"
        self.done[key] = name
        body: list[str] = [f"def {name}(v):"]
        if isinstance(node, RecordNode):
            names = self._const(frozenset(node.by_name))
            body.append(f"    if type(v) is not dict or not v.keys() <= {names}:")
            body.append("        return False")
            for field in node.fields:
                body.append(f"    x = v.get({field.name!r}, _M)")
                check = self.expr(field.type, "x")
                if field.has_default:
                    body.append(f"    if x is not _M and not {check}:")
                else:
                    body.append(f"    if not {check}:")
                body.append("        return False")
        elif isinstance(node, ArrayNode):
            body.append("    if type(v) not in _seq:")
            body.append("        return False")
            body.append("    for x in v:")
            body.append(f"        if not {self.expr(node.items, 'x')}:")
            body.append("            return False")
        elif isinstance(node, MapNode):
            body.append("    if type(v) is not dict:")
            body.append("        return False")
            body.append("    for k, x in v.items():")
            body.append(f"        if type(k) is not str or not {self.expr(node.values, 'x')}:")
            body.append("            return False")
        body.append("    return True")
        self.lines.extend(body)
        return name


# --- the slow walk that explains ---------------------------------------------------------


def _pointer(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _describe(value: Any) -> str:
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def _type_name(node: Node) -> str:
    if isinstance(node, PrimitiveNode):
        logical = node.logical_type
        return f"{node.kind} ({logical})" if logical else node.kind
    if isinstance(node, NamedNode):
        return node.fullname
    if isinstance(node, ArrayNode):
        return f"array<{_type_name(node.items)}>"
    if isinstance(node, MapNode):
        return f"map<{_type_name(node.values)}>"
    assert isinstance(node, UnionNode)
    return "union [" + ", ".join(_type_name(b) for b in node.branches) + "]"


class AvroValidator:
    """Strict validator for one Avro schema, given as the root of compat's Avro model
    (`compat.avro.AvroSchema.root`; `sdk.codecs.avro_schema` builds one from Python objects)."""

    def __init__(self, root: Node) -> None:
        self._root = root
        self._compiler = CheckCompiler()
        self._check = self._compiler.callable_for(root)

    def is_valid(self, value: Any) -> bool:
        return self._check(value)

    def violations(self, value: Any) -> list[Violation]:
        """Every violation in `value`, each with the JSON pointer of where it is."""
        return list(self._walk(self._root, value, ""))

    def _matches(self, node: Node, value: Any) -> bool:
        return self._compiler.callable_for(node)(value)

    def _walk(self, node: Node, value: Any, path: str) -> Iterator[Violation]:
        if isinstance(node, UnionNode):
            if any(self._matches(branch, value) for branch in node.branches):
                return
            candidates = [b for b in node.branches if b.kind != "null"]
            if len(candidates) == 1 and value is not None:
                yield from self._walk(candidates[0], value, path)
                return
            yield Violation(path, f"expected {_type_name(node)}, got {_describe(value)}")
            return
        if isinstance(node, RecordNode):
            if type(value) is not dict:
                yield Violation(path, f"expected record {node.fullname}, got {_describe(value)}")
                return
            for key in value:
                if key not in node.by_name:
                    yield Violation(
                        _pointer(path, key),
                        f"unknown field {key!r}: record {node.fullname} has no such field",
                    )
            for field in node.fields:
                if field.name not in value:
                    if not field.has_default:
                        yield Violation(
                            _pointer(path, field.name),
                            f"required field {field.name!r} is missing",
                        )
                    continue
                yield from self._walk(field.type, value[field.name], _pointer(path, field.name))
            return
        if isinstance(node, ArrayNode):
            if type(value) not in (list, tuple):
                yield Violation(path, f"expected {_type_name(node)}, got {_describe(value)}")
                return
            for index, item in enumerate(value):
                yield from self._walk(node.items, item, _pointer(path, index))
            return
        if isinstance(node, MapNode):
            if type(value) is not dict:
                yield Violation(path, f"expected {_type_name(node)}, got {_describe(value)}")
                return
            for key, item in value.items():
                if type(key) is not str:
                    yield Violation(path, f"map keys must be strings, got {_describe(key)}")
                    continue
                yield from self._walk(node.values, item, _pointer(path, key))
            return
        if self._matches(node, value):
            return
        yield Violation(path, self._leaf_message(node, value))

    @staticmethod
    def _leaf_message(node: Node, value: Any) -> str:
        if isinstance(node, EnumNode):
            symbols = ", ".join(sorted(node.symbols))
            return f"{value!r} is not a symbol of enum {node.fullname} ({symbols})"
        if (
            isinstance(node, FixedNode)
            and node.decimal is None
            and type(value) in (bytes, bytearray)
        ):
            return f"expected {node.size} bytes for fixed {node.fullname}, got {len(value)}"
        if node.decimal is not None:
            precision, scale = node.decimal
            return (
                f"expected a finite Decimal with at most {scale} decimal places"
                f" and {precision} digits, got {_describe(value)}"
            )
        if isinstance(node, PrimitiveNode) and type(value) is int and node.kind in ("int", "long"):
            low, high = (_INT_MIN, _INT_MAX) if node.kind == "int" else (_LONG_MIN, _LONG_MAX)
            return f"{value} is outside the {node.kind} range [{low}, {high}]"
        if isinstance(node, PrimitiveNode) and node.kind == "float" and type(value) in (int, float):
            return f"{value} is outside the 32-bit float range"
        return f"expected {_type_name(node)}, got {_describe(value)}"
