"""Avro binary encoders and decoders generated as Python source for one schema.

The generators walk compat's Avro model (`compat.avro.AvroSchema.root`).

fastavro interprets the schema for every value it writes or reads; these functions are
specialised to one schema instead, which makes them faster than fastavro's compiled code for
the record shapes events have. The encoder validates while it writes, with exactly the strict
checks of `AvroValidator` (a value it refuses is explained by `AvroValidator.violations`), and
its bytes equal fastavro's: logical types go through fastavro's own converters.

A schema the generator does not handle raises `Unsupported`; callers then use fastavro.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import struct
import sys
from collections.abc import Callable
from typing import Any

from compat.avro import (
    ArrayNode,
    EnumNode,
    FixedNode,
    MapNode,
    Node,
    PrimitiveNode,
    RecordNode,
    UnionNode,
)
from sdk.avro_check import CheckCompiler

__all__ = [
    "Invalid",
    "Unsupported",
    "compile_decoder",
    "compile_encoder",
    "compile_framed_decoder",
]

_INT = (-(2**31), 2**31 - 1)
_STRING = PrimitiveNode("string")  # map keys
_LONG = (-(2**63), 2**63 - 1)


class Unsupported(Exception):
    """The generator does not handle this schema; use fastavro."""


class Invalid(Exception):
    """Raised by a generated encoder at the first value that breaks the schema."""


# Encoding tables: the varint bytes of every zig-zag value below 2**14, the same with both
# bytes continued (a 14-bit group followed by more), and the prefix of every length below 2**13.
_VARINT = tuple(
    bytes([z]) if z < 128 else bytes([z & 127 | 128, z >> 7]) for z in range(16384)
)
_CONTINUED = tuple(bytes([z & 127 | 128, z >> 7 | 128]) for z in range(16384))
_LENGTH = tuple(_VARINT[n + n] for n in range(8192))


def _write_varint(out: list[bytes], zigzag: int) -> None:
    # fourteen bits per append: timestamps in milliseconds take six bytes
    while zigzag > 16383:
        out.append(_CONTINUED[zigzag & 16383])
        zigzag >>= 14
    out.append(_VARINT[zigzag])


def _zigzag_bytes(value: int) -> bytes:
    """The varint of a small non-negative int (an enum index, a union branch)."""
    out: list[bytes] = []
    _write_varint(out, value << 1)
    return b"".join(out)


def _read_varint(data: bytes, i: int, first: int) -> tuple[int, int]:
    result = first & 127
    byte = data[i]
    result |= (byte & 127) << 7
    if byte < 128:
        return result, i + 1
    byte = data[i + 1]
    result |= (byte & 127) << 14
    if byte < 128:
        return result, i + 2
    byte = data[i + 2]
    result |= (byte & 127) << 21
    if byte < 128:
        return result, i + 3
    byte = data[i + 3]
    result |= (byte & 127) << 28
    if byte < 128:
        return result, i + 4
    byte = data[i + 4]
    result |= (byte & 127) << 35
    if byte < 128:
        return result, i + 5
    byte = data[i + 5]
    result |= (byte & 127) << 42
    if byte < 128:
        return result, i + 6
    i += 6
    shift = 49
    while True:
        byte = data[i]
        i += 1
        result |= (byte & 127) << shift
        if byte < 128:
            return result, i
        shift += 7
        if shift > 70:
            raise ValueError("varint longer than 10 bytes")


# Decoding tables. A varint's zig-zag value is u = sum(d_k << 7k) over its 7-bit groups d_k;
# the decoded integer is u >> 1, complemented when u is odd. u >> 1 is additive over the bytes:
# (d_0 >> 1) + sum(d_k << (7k - 1)), so each further byte costs a tuple index and one addition
# (no shifts or masks on multi-digit ints), and the sign comes from the first byte alone.
# one-byte varints, decoded, by their byte; None for the first byte of a longer one
_ZIGZAG1 = tuple((z >> 1) ^ -(z & 1) if z < 128 else None for z in range(256))
# a one-byte block count, by its byte; None for a longer or a negative one (a byte size follows)
_COUNT1 = tuple(z >> 1 if z < 128 and not z & 1 else None for z in range(256))
_FIRST = tuple((z & 127) >> 1 for z in range(256))  # the first byte's share of u >> 1
_ODD = tuple(bool(z & 1) for z in range(256))
_GROUP = tuple(tuple((y & 127) << (7 * k - 1) for y in range(256)) for k in range(1, 10))
# a one-byte length prefix: the offset just past the bytes it counts, from the prefix's own
# offset; odd prefixes are negative lengths, sent past any payload so the read fails
_PAST = 1 << 62
_LENGTH1 = tuple(
    None if z > 127 else _PAST if z & 1 else 1 + (z >> 1) for z in range(256)
)  # None: a prefix of two bytes or more
_RANGES = tuple(range(n) for n in range(65))  # a block's items: making a range costs more
_DOUBLES = tuple(struct.Struct(f"<{n}d").unpack_from for n in range(65))
_FLOATS = tuple(struct.Struct(f"<{n}f").unpack_from for n in range(65))


def _read_enum(data: bytes, i: int, symbols: tuple[str, ...]) -> tuple[str, int]:
    """An enum index of two bytes or more at `i`, or an invalid one: (symbol, offset after)."""
    zigzag, end = _read_varint(data, i + 1, data[i]) if data[i] > 127 else (data[i], i + 1)
    index = (zigzag >> 1) ^ -(zigzag & 1)
    if not 0 <= index < len(symbols):
        raise ValueError(f"enum index {index} is outside the {len(symbols)} symbols")
    return symbols[index], end


def _read_length(data: bytes, i: int) -> tuple[int, int]:
    """A length prefix of two bytes or more at `i`: (length, offset after the prefix)."""
    zigzag, i = _read_varint(data, i + 1, data[i])
    if zigzag & 1:
        raise ValueError("negative length")
    return zigzag >> 1, i


def _read_count(data: bytes, i: int) -> tuple[int, int]:
    """A block count of two bytes or more, or a negative one (its block's size in bytes
    follows, and is skipped): (count, offset after them)."""
    zigzag, i = _read_varint(data, i + 1, data[i]) if data[i] > 127 else (data[i], i + 1)
    count = (zigzag >> 1) ^ -(zigzag & 1)
    if count < 0:
        count = -count
        i = _read_varint(data, i + 1, data[i])[1] if data[i] > 127 else i + 1
    return count, i


def _block(count: int, limit: int) -> range:
    """The items of a block of more than 64: hostile counts are refused, those that
    outnumber the bytes left (items of a byte or more) or _ZERO_SIZE_MAX (items of none).
    A block of 64 or fewer ends by itself: an item read past the payload raises."""
    if count > limit:
        raise ValueError("block count exceeds the payload")
    return range(count)


def _logical_key(node: PrimitiveNode | FixedNode) -> str | None:
    """The key of fastavro's converters for the node's logical type, when fastavro has one."""
    logical = node.logical_type
    if logical is None:
        return None
    key = f"{node.kind}-{logical}"
    import fastavro.write

    return key if key in fastavro.write.LOGICAL_WRITERS else None


def _fastavro_schema(node: PrimitiveNode | FixedNode) -> dict[str, Any]:
    """The node as the schema dict fastavro's logical converters read (size, precision...)."""
    if isinstance(node, FixedNode):
        return {"type": "fixed", "name": node.fullname, "size": node.size, **node.props}
    return {"type": node.kind, **node.props}


def _python_default(node: Node, value: Any) -> Any:
    """A schema default (JSON form) as the Python value the encoder takes."""
    if isinstance(node, UnionNode):
        return _python_default(node.branches[0], value)
    if isinstance(node, RecordNode):
        if not isinstance(value, dict):
            raise Unsupported("record default is not an object")
        result = {}
        for field in node.fields:
            if field.name in value:
                result[field.name] = _python_default(field.type, value[field.name])
            elif field.has_default:
                result[field.name] = _python_default(field.type, field.default)
        return result
    if isinstance(node, ArrayNode):
        return [_python_default(node.items, v) for v in value]
    if isinstance(node, MapNode):
        return {k: _python_default(node.values, v) for k, v in value.items()}
    if isinstance(node, FixedNode) or (isinstance(node, PrimitiveNode) and node.kind == "bytes"):
        if node.decimal is not None:
            raise Unsupported("decimal defaults")
        if not isinstance(value, str):
            raise Unsupported("bytes default is not a string")
        return value.encode("latin-1")
    if node.kind in ("float", "double") and isinstance(value, str):
        raise Unsupported("NaN/Infinity defaults")
    return value


class _EncoderGen:
    def __init__(self, root: Node) -> None:
        import fastavro.write

        self.checks = CheckCompiler()
        self.env = self.checks.env
        self.env.update(
            {
                "_Bad": Invalid,
                "_vl": _write_varint,
                "_VB": _VARINT,
                "_VC": _CONTINUED,
                "_LB": _LENGTH,
                "_DP": tuple(struct.Struct(f"<{n}d").pack for n in range(65)),
                "_FP": tuple(struct.Struct(f"<{n}f").pack for n in range(65)),
                "_pack": struct.pack,
                "_pd": struct.Struct("<d").pack,
                "_pf": struct.Struct("<f").pack,
                "_LW": fastavro.write.LOGICAL_WRITERS,
                "_Decimal": decimal.Decimal,
            }
        )
        self.lines: list[str] = []
        self.functions: dict[int, str] = {}
        self.counter = 0
        body = self.stmts(root, "v", 1, 0)
        # required fields are read with v[name]: a missing one raises KeyError, which is the
        # same refusal as the sentinel failing its type check, at less cost per field
        self.lines.extend(
            ["def _encode(o, v):", "  try:", *body, "  except KeyError: raise _Bad", "  return o"]
        )

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"_k{self.counter}"
        self.env[name] = value
        return name

    def _long(self, var: str, ind: str, bounds: tuple[int, int]) -> list[str]:
        # zig-zag maps [-2**(w-1), 2**(w-1)) onto [0, 2**w): one comparison with 2**w checks
        # the range, and only for values too long for the inline cases
        limit = 2 ** 32 if bounds == _INT else 2 ** 64
        return [
            f"{ind}if type({var}) is not int: raise _Bad",
            f"{ind}z = {var} + {var} if {var} >= 0 else ~({var} + {var})",
            f"{ind}if z < 16384: o.append(_VB[z])",
            f"{ind}elif z < 268435456:",  # up to four bytes inline: a call costs more
            f"{ind}    o.append(_VC[z & 16383])",
            f"{ind}    o.append(_VB[z >> 14])",
            f"{ind}elif z < {limit}: _vl(o, z)",
            f"{ind}else: raise _Bad",
        ]

    def _count(self, var: str, ind: str) -> list[str]:
        """The length prefix of `var`'s contents (a string's bytes, an array's items)."""
        return [
            f"{ind}n = len({var})",
            f"{ind}if n < 8192: o.append(_LB[n])",
            f"{ind}else: _vl(o, n + n)",
        ]

    def _length_prefixed(self, var: str, ind: str) -> list[str]:
        return [*self._count(var, ind), f"{ind}o.append({var})"]

    def stmts(self, node: Node, var: str, depth: int, level: int) -> list[str]:
        ind = "    " * depth
        if isinstance(node, PrimitiveNode):
            return self._prim(node, var, ind)
        if isinstance(node, EnumNode):
            index = self.const({s: _zigzag_bytes(i) for i, s in enumerate(node.symbols)})
            return [
                f"{ind}z = {index}.get({var}) if type({var}) is str else None",
                f"{ind}if z is None: raise _Bad",
                f"{ind}o.append(z)",
            ]
        if isinstance(node, FixedNode):
            key = _logical_key(node)
            lines = []
            if key is not None and node.decimal is not None:
                precision, scale = node.decimal
                lines.append(f"{ind}if not _dec({var}, {precision}, {scale}): raise _Bad")
                raw = self.const(_fastavro_schema(node))
                lines.append(f"{ind}{var} = _LW[{key!r}]({var}, {raw})")
            lines.append(
                f"{ind}if type({var}) not in _bytes or len({var}) != {node.size}: raise _Bad"
            )
            lines.append(f"{ind}o.append({var})")
            return lines
        if isinstance(node, RecordNode):
            return [f"{ind}{self.record(node)}(o, {var})"]
        if isinstance(node, ArrayNode):
            item = f"x{level + 1}"
            items = node.items
            if (
                isinstance(items, PrimitiveNode)
                and items.kind in ("double", "float")
                and items.logical_type is None
            ):  # the items checked, then packed by one precompiled struct
                check = (
                    f"type({item}) is not float and type({item}) is not int"
                    if items.kind == "double"
                    else f"not _f32({item})"
                )
                table, code = ("_DP", "d") if items.kind == "double" else ("_FP", "f")
                return [
                    f"{ind}if type({var}) is not list and type({var}) is not tuple: raise _Bad",
                    f"{ind}if {var}:",
                    *self._count(var, ind + "    "),
                    f"{ind}    for {item} in {var}:",
                    f"{ind}        if {check}: raise _Bad",
                    f"{ind}    o.append({table}[n](*{var}) if n < 65 "
                    f"else _pack(f'<{{n}}{code}', *{var}))",
                    f"{ind}o.append(b'\\x00')",
                ]
            return [
                f"{ind}if type({var}) is not list and type({var}) is not tuple: raise _Bad",
                f"{ind}if {var}:",
                *self._count(var, ind + "    "),
                f"{ind}    for {item} in {var}:",
                *self.stmts(node.items, item, depth + 2, level + 1),
                f"{ind}o.append(b'\\x00')",
            ]
        if isinstance(node, MapNode):
            key, item = f"k{level + 1}", f"x{level + 1}"
            return [
                f"{ind}if type({var}) is not dict: raise _Bad",
                f"{ind}if {var}:",
                *self._count(var, ind + "    "),
                f"{ind}    for {key}, {item} in {var}.items():",
                f"{ind}        if type({key}) is not str: raise _Bad",
                f"{ind}        e = {key}.encode()",
                *self._length_prefixed("e", ind + "        "),
                *self.stmts(node.values, item, depth + 2, level + 1),
                f"{ind}o.append(b'\\x00')",
            ]
        if isinstance(node, UnionNode):
            lines = []
            for position, branch in enumerate(node.branches):
                keyword = "if" if position == 0 else "elif"
                test = (
                    f"{var} is None"
                    if isinstance(branch, PrimitiveNode) and branch.kind == "null"
                    else self.checks.expr(branch, var)
                )
                lines.append(f"{ind}{keyword} {test}:")
                lines.append(f"{ind}    o.append({_zigzag_bytes(position)!r})")
                lines.extend(self.stmts(branch, var, depth + 1, level))
            lines.append(f"{ind}else: raise _Bad")
            return lines
        raise Unsupported(type(node).__name__)

    def _prim(self, node: PrimitiveNode, var: str, ind: str) -> list[str]:
        kind, key = node.kind, _logical_key(node)
        if kind == "null":
            return [f"{ind}if {var} is not None: raise _Bad"]
        if kind == "boolean":
            return [
                f"{ind}if {var} is True: o.append(b'\\x01')",
                f"{ind}elif {var} is False: o.append(b'\\x00')",
                f"{ind}else: raise _Bad",
            ]
        if kind == "double":
            return [
                f"{ind}if type({var}) is not float and type({var}) is not int: raise _Bad",
                f"{ind}o.append(_pd({var}))",
            ]
        if kind == "float":
            return [f"{ind}if not _f32({var}): raise _Bad", f"{ind}o.append(_pf({var}))"]
        if kind == "string":
            lines = []
            if key is not None:  # uuid
                lines.append(f"{ind}if isinstance({var}, _UUID): {var} = str({var})")
            lines.append(f"{ind}if type({var}) is not str: raise _Bad")
            lines.append(f"{ind}e = {var}.encode()")
            return lines + self._length_prefixed("e", ind)
        if kind == "bytes":
            if key is not None and node.decimal is not None:
                precision, scale = node.decimal
                if precision > 28 or not precision:  # beyond the default context: fastavro
                    return [
                        f"{ind}if not _dec({var}, {precision}, {scale}): raise _Bad",
                        f"{ind}e = _LW[{key!r}]({var}, {self.const(_fastavro_schema(node))})",
                        *self._length_prefixed("e", ind),
                    ]
                # _decimal_ok's checks and fastavro's bytes, from one as_tuple(): within the
                # checked precision scaleb is exact, so the unscaled integer is fastavro's
                return [
                    f"{ind}if type({var}) is not _Decimal or not {var}.is_finite(): raise _Bad",
                    f"{ind}t = {var}.as_tuple()",
                    f"{ind}z = t[2]",
                    f"{ind}if z < {-scale} or len(t[1]) + z > {precision - scale}: raise _Bad",
                    f"{ind}z = int({var}.scaleb({scale}))",
                    f"{ind}e = z.to_bytes((z.bit_length() + 8) >> 3, 'big', signed=True)",
                    *self._length_prefixed("e", ind),
                ]
            return [
                f"{ind}if type({var}) not in _bytes: raise _Bad",
                *self._length_prefixed(var, ind),
            ]
        bounds = _INT if kind == "int" else _LONG
        lines = []
        if key is not None:
            accepted = {"date": "_date", "time-millis": "_time", "time-micros": "_time"}.get(
                node.logical_type or "", "_datetime"
            )
            lines.append(f"{ind}if type({var}) is not int and isinstance({var}, {accepted}):")
            raw = self.const(_fastavro_schema(node))
            lines.append(f"{ind}    {var} = _LW[{key!r}]({var}, {raw})")
        return lines + self._long(var, ind, bounds)

    def record(self, node: RecordNode) -> str:
        name = self.functions.get(id(node))
        if name is not None:
            return name
        name = f"_w{len(self.functions)}"
        self.functions[id(node)] = name
        # Every field without a default is read with v[name] (KeyError when missing); u counts
        # the keys the fields found, so v has a key that is no field exactly when
        # len(v) != u: the refusal of `v.keys() <= fields` without walking the keys.
        optional = sum(field.has_default for field in node.fields)
        body = [f"def {name}(o, v):"]
        if optional:
            body += ["    if type(v) is not dict: raise _Bad", f"    u = {len(node.fields)}"]
        else:
            body.append(f"    if type(v) is not dict or len(v) != {len(node.fields)}: raise _Bad")
        for field in node.fields:
            if not field.has_default:
                body.append(f"    x0 = v[{field.name!r}]")
            else:
                default = _python_default(field.type, field.default)
                if not self.checks.callable_for(field.type)(default):
                    raise Unsupported(f"default of {field.name!r} does not match its type")
                body.append(f"    x0 = v.get({field.name!r}, _M)")
                body.append("    if x0 is _M:")
                body.append(f"        x0 = {self.const(default)}")
                body.append("        u -= 1")
            body.extend(self.stmts(field.type, "x0", 1, 0))
        if optional:
            body.append("    if len(v) != u: raise _Bad")
        self.lines.extend(body)
        return name


def compile_encoder(root: Node) -> Callable[[list[bytes], Any], list[bytes]]:
    """`encode(parts, value)`: appends the pieces of `value`'s Avro binary encoding to the
    list `parts` (`b"".join` them), or raises `Invalid` when the value breaks the schema
    (then nothing useful is in `parts`). A list of pieces joined once costs less than
    growing a bytearray piece by piece."""
    gen = _EncoderGen(root)
    source = "\n".join([*gen.checks.lines[gen.checks.emitted :], *gen.lines])
    exec(source, gen.env)  # source generated from the schema above
    encode: Callable[[list[bytes], Any], list[bytes]] = gen.env["_encode"]
    return encode


class _DecoderGen:
    def __init__(self, root: Node) -> None:
        import fastavro.read

        self.env: dict[str, Any] = {
            "_rv": _read_varint,
            "_rc": _read_count,
            "_C1": _COUNT1,
            "_block": _block,
            "_rl": _read_length,
            "_enum": _read_enum,
            "_ZZ": _ZIGZAG1,
            "_H0": _FIRST,
            "_ODD": _ODD,
            "_L1": _LENGTH1,
            "_DS": _DOUBLES,
            "_R": _RANGES,
            "_FS": _FLOATS,
            **{f"_T{k}": table for k, table in enumerate(_GROUP, 1)},
            "_ud": struct.Struct("<d").unpack_from,
            "_uf": struct.Struct("<f").unpack_from,
            "_unpack": struct.unpack_from,
            "_Decimal": decimal.Decimal,
            "_from_bytes": int.from_bytes,
            "_delta": _dt.timedelta,
            "_epoch": _dt.datetime(1970, 1, 1, tzinfo=_dt.UTC),
            "_epoch_naive": _dt.datetime(1970, 1, 1),
            "_LR": fastavro.read.LOGICAL_READERS,
        }
        self.lines: list[str] = []
        self.functions: dict[int, str] = {}
        self.counter = 0
        self.uses: dict[int, int] = {}
        _count_record_uses(root, self.uses)
        if isinstance(root, RecordNode):  # the record's own function, one call fewer
            self.lines.append(f"_decode = {self.record(root)}")
        else:
            body = self.stmts(root, "v", 1, 0)
            self.lines.extend(["def _decode(b, i):", *body, "    return v, i"])

    def const(self, value: Any) -> str:
        self.counter += 1
        name = f"_k{self.counter}"
        self.env[name] = value
        return name

    @staticmethod
    def _varint(target: str, ind: str) -> list[str]:
        """Reads a zig-zag varint into `target`: one byte through a table, longer ones with
        their ten bytes unrolled (ints and longs are often several bytes: timestamps six)."""
        lines = [
            f"{ind}z = _ZZ[b[i]]",
            f"{ind}if z is not None:",
            f"{ind}    {target} = z",
            f"{ind}    i += 1",
            f"{ind}else:",
            f"{ind}    z = b[i]",
            f"{ind}    m = _H0[z]",
        ]
        inner = ind + "    "
        for k in range(1, 10):
            lines += [
                f"{inner}y = b[i + {k}]",
                f"{inner}m += _T{k}[y]",
                f"{inner}if y < 128:",
                f"{inner}    i += {k + 1}",
                f"{inner}    {target} = ~m if _ODD[z] else m",
                f"{inner}else:",
            ]
            inner += "    "
        lines.append(f"{inner}raise ValueError('varint longer than 10 bytes')")
        return lines

    @staticmethod
    def _count(count: str, ind: str) -> list[str]:
        """Reads a block count into `count` (a negative one's byte size is skipped)."""
        return [
            f"{ind}{count} = _C1[b[i]]",
            f"{ind}if {count} is None: {count}, i = _rc(b, i)",
            f"{ind}else: i += 1",
        ]

    def stmts(self, node: Node, var: str, depth: int, level: int) -> list[str]:
        ind = "    " * depth
        if isinstance(node, PrimitiveNode):
            return self._prim(node, var, ind)
        if isinstance(node, EnumNode):
            # a one-byte index straight to its symbol; None for a longer or invalid one
            symbols = self.const(node.symbols)
            table = self.const(
                tuple(
                    node.symbols[z >> 1]
                    if z < 128 and not z & 1 and z >> 1 < len(node.symbols)
                    else None
                    for z in range(256)
                )
            )
            return [
                f"{ind}{var} = {table}[b[i]]",
                f"{ind}if {var} is None: {var}, i = _enum(b, i, {symbols})",
                f"{ind}else: i += 1",
            ]
        if isinstance(node, FixedNode):
            lines = [f"{ind}{var} = b[i:i + {node.size}]", f"{ind}i += {node.size}"]
            key = _logical_key(node)
            if key is not None and node.decimal is not None:
                lines.append(f"{ind}{var} = {self._logical(node, key, var)}")
            return lines
        if isinstance(node, RecordNode):
            if self.uses.get(id(node), 0) > 1:  # shared or recursive: its own function
                return [f"{ind}{var}, i = {self.record(node)}(b, i)"]
            lines = []  # used once: inlined, which saves a call per record read
            for index, field in enumerate(node.fields):
                lines.extend(self.stmts(field.type, f"{var}_{index}", depth, level))
            values = [f"{var}_{index}" for index in range(len(node.fields))]
            lines.extend(self._dict(node, var, values, ind))
            return lines
        if isinstance(node, (ArrayNode, MapNode)):
            item, count = f"x{level + 1}", f"c{level + 1}"
            limit = "len(b) - i" if _min_bytes(node) else str(_ZERO_SIZE_MAX)
            lines = [
                f"{ind}{var} = {'[]' if isinstance(node, ArrayNode) else '{}'}",
                *self._count(count, ind),
                f"{ind}while {count}:",
            ]
            inner = ind + "        "
            items = node.items if isinstance(node, ArrayNode) else None
            if (
                isinstance(items, PrimitiveNode)
                and items.kind in ("double", "float")
                and items.logical_type is None
            ):
                code, size = ("d", 8) if items.kind == "double" else ("f", 4)
                table = "_DS" if code == "d" else "_FS"
                lines += [
                    f"{ind}    if {count} < 65: {var}.extend({table}[{count}](b, i))",
                    f"{ind}    else:",
                    f"{ind}        _block({count}, {limit})",
                    f"{ind}        {var}.extend(_unpack(f'<{{{count}}}{code}', b, i))",
                    f"{ind}    i += {size} * {count}",
                ]
            else:
                lines.append(
                    f"{ind}    for _ in _R[{count}] if {count} < 65 else _block({count}, {limit}):"
                )
                if isinstance(node, ArrayNode) and _assigned_only(node.items):
                    # each assignment of the item appends instead: no local in between
                    for line in self.stmts(node.items, "@", depth + 2, level + 1):
                        head, sep, expr = line.partition("@ = ")
                        lines.append(f"{head}{var}.append({expr})" if sep else line)
                elif isinstance(node, ArrayNode):
                    lines.extend(self.stmts(node.items, item, depth + 2, level + 1))
                    lines.append(f"{inner}{var}.append({item})")
                else:
                    key = f"k{level + 1}"
                    lines.extend(self._prim(_STRING, key, inner))
                    if _assigned_only(node.values):
                        lines.extend(self.stmts(node.values, f"{var}[{key}]", depth + 2, level + 1))
                    else:
                        lines.extend(self.stmts(node.values, item, depth + 2, level + 1))
                        lines.append(f"{inner}{var}[{key}] = {item}")
            lines.extend(self._count(count, ind + "    "))
            return lines
        if isinstance(node, UnionNode):
            if len(node.branches) > 63:
                raise Unsupported("unions of more than 63 branches")
            lines = [f"{ind}n = b[i]", f"{ind}i += 1"]
            for index, branch in enumerate(node.branches):
                lines.append(f"{ind}{'if' if index == 0 else 'elif'} n == {index << 1}:")
                lines.extend(self.stmts(branch, var, depth + 1, level) or [f"{ind}    pass"])
            lines.append(f"{ind}else: raise IndexError('union index ' + str(n))")
            return lines
        raise Unsupported(type(node).__name__)

    def _prim(self, node: PrimitiveNode, var: str, ind: str) -> list[str]:
        kind, key = node.kind, _logical_key(node)
        if kind == "null":
            return [f"{ind}{var} = None"]
        if kind == "boolean":
            return [f"{ind}{var} = b[i] == 1", f"{ind}i += 1"]
        if kind == "double":
            return [f"{ind}{var} = _ud(b, i)[0]", f"{ind}i += 8"]
        if kind == "float":
            return [f"{ind}{var} = _uf(b, i)[0]", f"{ind}i += 4"]
        if kind in ("string", "bytes"):
            # the slice's end moves i past the contents (its start is read first)
            decode = ".decode()" if kind == "string" else ""
            lines = [
                f"{ind}n = _L1[b[i]]",
                f"{ind}if n is not None:",
                f"{ind}    {var} = b[i + 1:(i := i + n)]{decode}",
                f"{ind}else:",
                f"{ind}    n, i = _rl(b, i)",
                f"{ind}    {var} = b[i:(i := i + n)]{decode}",
            ]
        else:
            # inline: ints and longs are often several bytes (timestamps: six)
            lines = self._varint(var, ind)
        if key is not None:
            lines.append(f"{ind}{var} = {self._logical(node, key, var)}")
        return lines

    def _logical(self, node: PrimitiveNode | FixedNode, key: str, var: str) -> str:
        """An expression converting the raw value in `var`, equal to fastavro's readers."""
        if node.decimal is not None and node.decimal[0] <= 28:  # the default context's
            # times 1E-scale: the unscaled digits with the exponent -scale, exact within the
            # precision, as scaleb is, without scaleb's argument parsing
            unit = self.const(decimal.Decimal(1).scaleb(-node.decimal[1]))
            return f"_Decimal(_from_bytes({var}, 'big', signed=True)) * {unit}"
        # timedelta(days, seconds, microseconds, milliseconds): exact for ints
        if key == "long-timestamp-millis":
            return f"_epoch + _delta(0, 0, 0, {var})"
        if key == "long-timestamp-micros":
            return f"_epoch + _delta(0, 0, {var})"
        if key == "long-local-timestamp-millis":
            return f"_epoch_naive + _delta(0, 0, 0, {var})"
        if key == "long-local-timestamp-micros":
            return f"_epoch_naive + _delta(0, 0, {var})"
        raw = self.const(_fastavro_schema(node))
        return f"_LR[{key!r}]({var}, {raw}, {raw})"

    def _dict(self, node: RecordNode, var: str, values: list[str], ind: str) -> list[str]:
        """`var` = the record's dict of `values`. CPython builds a display of more than 16
        items one insertion at a time, resizing as it grows; copying a dict of the keys and
        storing into it does not resize."""
        if len(node.fields) <= 16:
            pairs = ", ".join(f"{f.name!r}: {v}" for f, v in zip(node.fields, values, strict=True))
            return [f"{ind}{var} = {{{pairs}}}"]
        keys = self.const(_keys(node))
        return [f"{ind}{var} = {keys}.copy()"] + [
            f"{ind}{var}[{f.name!r}] = {v}" for f, v in zip(node.fields, values, strict=True)
        ]

    def record(self, node: RecordNode) -> str:
        name = self.functions.get(id(node))
        if name is not None:
            return name
        name = f"_r{len(self.functions)}"
        self.functions[id(node)] = name
        body = [f"def {name}(b, i):"]
        if len(node.fields) <= 16:
            for index, field in enumerate(node.fields):
                body.extend(self.stmts(field.type, f"f{index}", 1, 0))
            values = [f"f{index}" for index in range(len(node.fields))]
            body.extend(self._dict(node, "d", values, "    "))
        else:
            # the dict first (see _dict), and the fields that are decoded by assignments
            # alone stored into it as they are read rather than kept in locals
            keys = self.const(_keys(node))
            body.append(f"    d = {keys}.copy()")
            for index, field in enumerate(node.fields):
                kind = field.type
                if _assigned_only(kind):
                    body.extend(self.stmts(kind, f"d[{field.name!r}]", 1, 0))
                elif isinstance(kind, PrimitiveNode) and kind.kind == "null":
                    pass  # the copied dict holds None already
                else:
                    body.extend(self.stmts(kind, f"f{index}", 1, 0))
                    body.append(f"    d[{field.name!r}] = f{index}")
        body.append("    return d, i")
        self.lines.extend(body)
        return name


_ZERO_SIZE_MAX = 1_000_000  # items that take no bytes (nulls, empty records) per block


def _keys(node: RecordNode) -> dict[str, None]:
    """A dict of the record's field names, to copy. The names are interned, as the
    compiler interns the same names in the generated code: a store finds its key by
    identity rather than by comparing the characters."""
    return dict.fromkeys(sys.intern(f.name) for f in node.fields)


def _assigned_only(node: Node) -> bool:
    """Whether the decoder's code for `node` only assigns its target (each line that names
    it is `target = <expression>`), so the target may be a dict item or an append."""
    if isinstance(node, UnionNode):  # each branch assigns once (a null one, None)
        return all(
            _assigned_only(branch) or (isinstance(branch, PrimitiveNode) and branch.kind == "null")
            for branch in node.branches
        )
    return (
        isinstance(node, PrimitiveNode) and node.kind != "null" and _logical_key(node) is None
    )


def _min_bytes(node: ArrayNode | MapNode) -> bool:
    """Whether every item of the array (or entry of the map) takes at least one byte."""
    if isinstance(node, MapNode):
        return True  # the key's length
    return _takes_bytes(node.items, set())


def _takes_bytes(node: Node, seen: set[int]) -> bool:
    if isinstance(node, PrimitiveNode):
        return node.kind != "null"
    if isinstance(node, FixedNode):
        return node.size > 0
    if isinstance(node, RecordNode):
        if id(node) in seen:
            return True  # a recursive record takes bytes somewhere or could not end
        seen.add(id(node))
        return any(_takes_bytes(f.type, seen) for f in node.fields)
    return True  # enums, arrays, maps and unions take at least one byte


def _count_record_uses(node: Node, uses: dict[int, int]) -> None:
    """How often each record is referenced in the tree (2 or more: shared or recursive)."""
    if isinstance(node, RecordNode):
        uses[id(node)] = uses.get(id(node), 0) + 1
        if uses[id(node)] > 1:
            return
        for field in node.fields:
            _count_record_uses(field.type, uses)
    elif isinstance(node, ArrayNode):
        _count_record_uses(node.items, uses)
    elif isinstance(node, MapNode):
        _count_record_uses(node.values, uses)
    elif isinstance(node, UnionNode):
        for branch in node.branches:
            _count_record_uses(branch, uses)


def compile_decoder(root: Node) -> Callable[[bytes, int], tuple[Any, int]]:
    """`decode(data, offset) -> (value, end)`: the value encoded at `offset` in `data`.

    Truncated input raises IndexError or leaves `end > len(data)`; callers check both.
    """
    gen = _DecoderGen(root)
    exec("\n".join(gen.lines), gen.env)  # source generated from the schema above
    decode: Callable[[bytes, int], tuple[Any, int]] = gen.env["_decode"]
    return decode


def compile_framed_decoder(root: Node, *, offset: int = 5) -> Callable[[bytes], Any]:
    """`decode(data)`: the value encoded after `offset` header bytes in `data`.

    Bad input raises whatever decoding met (IndexError, UnicodeDecodeError, ValueError,
    struct.error); the
    caller translates it. Trailing bytes are ignored, as fastavro and confluent-kafka do.
    """
    gen = _DecoderGen(root)
    gen.lines.append(
        f"def _framed(b):\n    v, i = _decode(b, {offset})\n    if i > len(b): "
        "raise IndexError('truncated payload')\n    return v"
    )
    exec("\n".join(gen.lines), gen.env)  # source generated from the schema above
    decode: Callable[[bytes], Any] = gen.env["_framed"]
    return decode
