"""Strict validation of Python values against an Avro schema, before fastavro encodes them.

fastavro's writer quietly truncates a float written to an int field, drops unknown keys and
writes null for a missing nullable field. Charter refuses all of those: ints must be `int`
(not `bool`, not `float`) and within their 32/64-bit range, records take no unknown fields and
need every field that has no default.

An `AvroValidator` is built once per schema. `is_valid` is the hot path: the schema is compiled
into Python source (one function per record, array and map) so a valid value costs a few
type checks. `violations` walks the value slowly and lists every violation with its path.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sdk.errors import ConfigurationError, Violation

__all__ = ["AvroValidator"]

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_LONG_MIN, _LONG_MAX = -(2**63), 2**63 - 1
_FLOAT_MAX = 3.4028234663852886e38
_INF = float("inf")
_MISSING = object()


class _Node:
    __slots__ = ()


class _Prim(_Node):
    __slots__ = ("kind", "logical", "precision", "raw", "scale")

    def __init__(
        self, kind: str, logical: str | None, precision: int, scale: int, raw: Any = None
    ) -> None:
        self.kind, self.logical, self.precision, self.scale = kind, logical, precision, scale
        self.raw = raw if raw is not None else kind


class _Record(_Node):
    __slots__ = ("defaults", "fields", "name", "names")

    def __init__(self, name: str) -> None:
        self.name = name
        self.fields: list[tuple[str, _Node, bool]] = []  # name, type, has default
        self.names: frozenset[str] = frozenset()
        self.defaults: dict[str, Any] = {}  # field name -> default as written in the schema


class _Enum(_Node):
    __slots__ = ("name", "order", "symbols")

    def __init__(self, name: str, symbols: list[str]) -> None:
        self.name, self.symbols, self.order = name, frozenset(symbols), list(symbols)


class _Fixed(_Node):
    __slots__ = ("logical", "name", "precision", "raw", "scale", "size")

    def __init__(
        self,
        name: str,
        size: int,
        logical: str | None,
        precision: int,
        scale: int,
        raw: Any = None,
    ) -> None:
        self.name, self.size, self.logical = name, size, logical
        self.precision, self.scale, self.raw = precision, scale, raw


class _Array(_Node):
    __slots__ = ("items",)

    def __init__(self, items: _Node) -> None:
        self.items = items


class _Map(_Node):
    __slots__ = ("values",)

    def __init__(self, values: _Node) -> None:
        self.values = values


class _Union(_Node):
    __slots__ = ("branches",)

    def __init__(self, branches: list[_Node]) -> None:
        self.branches = branches


def _full_name(name: str, namespace: str | None) -> str:
    if "." in name or not namespace:
        return name
    return f"{namespace}.{name}"


class _Builder:
    def __init__(self, named: Mapping[str, Any]) -> None:
        self.names: dict[str, _Node] = {}
        self.pending = dict(named)  # referenced schemas, parsed on first use

    def build(self, schema: Any, namespace: str | None) -> _Node:
        if isinstance(schema, str):
            return self._by_name(schema, namespace)
        if isinstance(schema, list):
            return _Union([self.build(branch, namespace) for branch in schema])
        if not isinstance(schema, Mapping):
            raise ConfigurationError(f"not an Avro schema: {schema!r}")
        kind = schema.get("type")
        logical = schema.get("logicalType")
        if isinstance(kind, (Mapping, list)):
            return self.build(kind, namespace)
        if kind in _PRIMITIVES:
            return _Prim(
                kind,
                logical,
                int(schema.get("precision", 0)),
                int(schema.get("scale", 0)),
                dict(schema),
            )
        if kind == "array":
            return _Array(self.build(schema["items"], namespace))
        if kind == "map":
            return _Map(self.build(schema["values"], namespace))
        if kind in ("record", "error", "enum", "fixed"):
            name = _full_name(schema["name"], schema.get("namespace", namespace))
            inner_ns = name.rpartition(".")[0] or None
            node: _Node
            if kind == "enum":
                node = _Enum(name, list(schema["symbols"]))
                self.names[name] = node
                return node
            if kind == "fixed":
                node = _Fixed(
                    name,
                    int(schema["size"]),
                    logical,
                    int(schema.get("precision", 0)),
                    int(schema.get("scale", 0)),
                    dict(schema),
                )
                self.names[name] = node
                return node
            record = _Record(name)
            self.names[name] = record
            for entry in schema["fields"]:
                record.fields.append(
                    (entry["name"], self.build(entry["type"], inner_ns), "default" in entry)
                )
                if "default" in entry:
                    record.defaults[entry["name"]] = entry["default"]
            record.names = frozenset(f[0] for f in record.fields)
            return record
        if isinstance(kind, str):
            return self._by_name(kind, namespace)
        raise ConfigurationError(f"not an Avro schema: {schema!r}")

    def _by_name(self, name: str, namespace: str | None) -> _Node:
        if name in _PRIMITIVES:
            return _Prim(name, None, 0, 0)
        for candidate in (_full_name(name, namespace), name):
            if candidate in self.names:
                return self.names[candidate]
            if candidate in self.pending:
                return self.build(self.pending.pop(candidate), None)
        raise ConfigurationError(f"unknown Avro type name {name!r}")


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


class _Compiler:
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

    def callable_for(self, node: _Node) -> Callable[[Any], bool]:
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

    def expr(self, node: _Node, var: str) -> str:
        if isinstance(node, _Prim):
            return self._prim(node, var)
        if isinstance(node, _Enum):
            return f"(type({var}) is str and {var} in {self._const(node.symbols)})"
        if isinstance(node, _Fixed):
            if node.logical == "decimal":
                return f"_dec({var}, {node.precision}, {node.scale})"
            return f"(type({var}) in _bytes and len({var}) == {node.size})"
        if isinstance(node, _Union):
            return "(" + " or ".join(self.expr(b, var) for b in node.branches) + ")"
        return f"{self.function(node)}({var})"

    def _prim(self, node: _Prim, v: str) -> str:
        kind, logical = node.kind, node.logical
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
            if logical == "decimal":
                return f"_dec({v}, {node.precision}, {node.scale})"
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

    def function(self, node: _Node) -> str:
        key = id(node)
        if key in self.done:
            return self.done[key]
        name = f"_f{len(self.done)}"
        self.done[key] = name
        body: list[str] = [f"def {name}(v):"]
        if isinstance(node, _Record):
            body.append(f"    if type(v) is not dict or not v.keys() <= {self._const(node.names)}:")
            body.append("        return False")
            for field, field_node, has_default in node.fields:
                body.append(f"    x = v.get({field!r}, _M)")
                check = self.expr(field_node, "x")
                if has_default:
                    body.append(f"    if x is not _M and not {check}:")
                else:
                    body.append(f"    if not {check}:")
                body.append("        return False")
        elif isinstance(node, _Array):
            body.append("    if type(v) not in _seq:")
            body.append("        return False")
            body.append("    for x in v:")
            body.append(f"        if not {self.expr(node.items, 'x')}:")
            body.append("            return False")
        elif isinstance(node, _Map):
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


def _type_name(node: _Node) -> str:
    if isinstance(node, _Prim):
        return f"{node.kind} ({node.logical})" if node.logical else node.kind
    if isinstance(node, (_Record, _Enum, _Fixed)):
        return node.name
    if isinstance(node, _Array):
        return f"array<{_type_name(node.items)}>"
    if isinstance(node, _Map):
        return f"map<{_type_name(node.values)}>"
    assert isinstance(node, _Union)
    return "union [" + ", ".join(_type_name(b) for b in node.branches) + "]"


class AvroValidator:
    """Strict validator for one Avro schema (JSON already parsed into Python objects).

    `named` supplies the schemas of referenced named types by full name.
    """

    def __init__(self, schema: Any, *, named: Mapping[str, Any] | None = None) -> None:
        self._root = _Builder(named or {}).build(schema, None)
        self._compiler = _Compiler()
        self._check = self._compiler.callable_for(self._root)

    def is_valid(self, value: Any) -> bool:
        return self._check(value)

    def violations(self, value: Any) -> list[Violation]:
        """Every violation in `value`, each with the JSON pointer of where it is."""
        return list(self._walk(self._root, value, ""))

    def _matches(self, node: _Node, value: Any) -> bool:
        return self._compiler.callable_for(node)(value)

    def _walk(self, node: _Node, value: Any, path: str) -> Iterator[Violation]:
        if isinstance(node, _Union):
            if any(self._matches(branch, value) for branch in node.branches):
                return
            candidates = [
                b for b in node.branches if not (isinstance(b, _Prim) and b.kind == "null")
            ]
            if len(candidates) == 1 and value is not None:
                yield from self._walk(candidates[0], value, path)
                return
            yield Violation(path, f"expected {_type_name(node)}, got {_describe(value)}")
            return
        if isinstance(node, _Record):
            if type(value) is not dict:
                yield Violation(path, f"expected record {node.name}, got {_describe(value)}")
                return
            for key in value:
                if key not in node.names:
                    yield Violation(
                        _pointer(path, key),
                        f"unknown field {key!r}: record {node.name} has no such field",
                    )
            for field, field_node, has_default in node.fields:
                if field not in value:
                    if not has_default:
                        yield Violation(
                            _pointer(path, field), f"required field {field!r} is missing"
                        )
                    continue
                yield from self._walk(field_node, value[field], _pointer(path, field))
            return
        if isinstance(node, _Array):
            if type(value) not in (list, tuple):
                yield Violation(path, f"expected {_type_name(node)}, got {_describe(value)}")
                return
            for index, item in enumerate(value):
                yield from self._walk(node.items, item, _pointer(path, index))
            return
        if isinstance(node, _Map):
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
    def _leaf_message(node: _Node, value: Any) -> str:
        if isinstance(node, _Enum):
            symbols = ", ".join(sorted(node.symbols))
            return f"{value!r} is not a symbol of enum {node.name} ({symbols})"
        if (
            isinstance(node, _Fixed)
            and node.logical != "decimal"
            and type(value) in (bytes, bytearray)
        ):
            return f"expected {node.size} bytes for fixed {node.name}, got {len(value)}"
        if isinstance(node, (_Prim, _Fixed)) and node.logical == "decimal":
            return (
                f"expected a finite Decimal with at most {node.scale} decimal places"
                f"{f' and {node.precision} digits' if node.precision else ''}, "
                f"got {_describe(value)}"
            )
        if isinstance(node, _Prim) and type(value) is int and node.kind in ("int", "long"):
            low, high = (_INT_MIN, _INT_MAX) if node.kind == "int" else (_LONG_MIN, _LONG_MAX)
            return f"{value} is outside the {node.kind} range [{low}, {high}]"
        if isinstance(node, _Prim) and node.kind == "float" and type(value) in (int, float):
            return f"{value} is outside the 32-bit float range"
        return f"expected {_type_name(node)}, got {_describe(value)}"
