"""Schemas as numbered, highlighted lines, a JSON-pointer → line map, and side-by-side diffs.

Schema text is untrusted: every piece of it leaves this module escaped (`markupsafe`).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from markupsafe import Markup, escape

__all__ = ["DiffRow", "Pretty", "highlight", "pretty", "pretty_proto", "side_by_side"]

_TOKEN = re.compile(
    r'(?P<key>"(?:[^"\\]|\\.)*"(?=\s*:))|(?P<str>"(?:[^"\\]|\\.)*")'
    r"|(?P<num>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|(?P<lit>\btrue\b|\bfalse\b|\bnull\b)"
)
_PROTO_TOKEN = re.compile(
    r"(?P<com>//.*$)|(?P<str>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|(?P<key>\b(?:syntax|edition|package|import|public|weak|option|message|enum|oneof|map"
    r"|repeated|optional|required|reserved|extensions|extend|to|max|service|rpc|returns"
    r"|stream|group)\b)"
    r"|(?P<lit>\b(?:double|float|int32|int64|uint32|uint64|sint32|sint64|fixed32|fixed64"
    r"|sfixed32|sfixed64|bool|string|bytes|true|false)\b)"
    r"|(?P<num>(?<![\w.])-?\d+(?:\.\d+)?\b)"
)
# One declaration per line, as the registry's canonical `.proto` text has them.
_PROTO_BLOCK = re.compile(r"^(message|enum|oneof)\s+(\w+)\s*\{")
_PROTO_FIELD = re.compile(
    r"^(?:(?:repeated|optional|required)\s+)?(?:map\s*<[^>]*>|[\w.]+)\s+(\w+)\s*=\s*\d+"
)
_PROTO_VALUE = re.compile(r"^(\w+)\s*=\s*-?\d+")
_PROTO_ROOT = re.compile(r"^(package|syntax)\b")


@dataclass(frozen=True, slots=True)
class Pretty:
    lines: tuple[str, ...]
    pointers: dict[str, int]  # JSON pointer → 1-based line where its value starts

    def line_of(self, pointer: str) -> int | None:
        """The line of `pointer`, or of its nearest ancestor the map knows."""
        while True:
            if pointer in self.pointers:
                return self.pointers[pointer]
            if "/" not in pointer:
                return None
            pointer = pointer.rsplit("/", 1)[0]


def _part(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def pretty(text: str) -> Pretty:
    """Indented JSON with each value's line; text that is not JSON keeps its own lines."""
    try:
        value = json.loads(text)
    except ValueError:
        return Pretty(tuple(text.splitlines()), {})
    lines: list[str] = []
    where: dict[str, int] = {}

    def emit(v: Any, pointer: str, depth: int, prefix: str, comma: str) -> None:
        where.setdefault(pointer, len(lines) + 1)
        pad = "  " * depth
        if isinstance(v, dict) and v:
            lines.append(f"{pad}{prefix}{{")
            for i, (k, x) in enumerate(v.items()):
                more = "," if i < len(v) - 1 else ""
                emit(x, f"{pointer}/{_part(k)}", depth + 1, json.dumps(k) + ": ", more)
            lines.append(f"{pad}}}{comma}")
        elif isinstance(v, list) and v:
            lines.append(f"{pad}{prefix}[")
            for i, x in enumerate(v):
                emit(x, f"{pointer}/{i}", depth + 1, "", "," if i < len(v) - 1 else "")
            lines.append(f"{pad}]{comma}")
        else:
            lines.append(f"{pad}{prefix}{json.dumps(v, ensure_ascii=False)}{comma}")

    emit(value, "", 0, "", "")
    return Pretty(tuple(lines), where)


def pretty_proto(text: str) -> Pretty:
    """`.proto` text as it is, with the line of each element a Protobuf finding can name:
    `#/Message/Nested/field`, `#/Message/oneof/field` (and `#/Message/field`), `#/Enum/VALUE`,
    and `#` for the `package` (or `syntax`) statement."""
    lines = tuple(text.splitlines())
    where: dict[str, int] = {}
    scope: list[tuple[str, str] | None] = []  # (kind, name); None: a block findings do not
    # name (service, an option's value, …)

    def put(names: list[str], number: int) -> None:
        where.setdefault("#/" + "/".join(names), number)

    for number, raw in enumerate(lines, start=1):
        line = raw.split("//", 1)[0].strip()
        named = [s[1] for s in scope if s is not None]
        if (root := _PROTO_ROOT.match(line)) is not None:
            if root.group(1) == "package":
                where["#"] = number
            else:
                where.setdefault("#", number)
        block = _PROTO_BLOCK.match(line)
        if block is not None:
            put([*named, block.group(2)], number)
            scope.append((block.group(1), block.group(2)))
        elif (field := _PROTO_FIELD.match(line) or _PROTO_VALUE.match(line)) is not None:
            put([*named, field.group(1)], number)
            if scope and scope[-1] is not None and scope[-1][0] == "oneof":
                put([*named[:-1], field.group(1)], number)  # a oneof's field, both ways
        opened = line.count("{") - (1 if block is not None else 0)
        scope.extend([None] * max(opened, 0))
        for _ in range(line.count("}")):
            if scope:
                scope.pop()
    return Pretty(lines, where)


def highlight(line: str, schema_type: str = "AVRO") -> Markup:
    """One line with its tokens in `<span class="tok-…">` (JSON, or `.proto` for
    PROTOBUF); everything escaped."""
    out: list[str] = []
    at = 0
    tokens = _PROTO_TOKEN if schema_type == "PROTOBUF" else _TOKEN
    for match in tokens.finditer(line):
        out.append(str(escape(line[at:match.start()])))
        kind = match.lastgroup or "str"
        out.append(f'<span class="tok-{kind}">{escape(match.group())}</span>')
        at = match.end()
    out.append(str(escape(line[at:])))
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class DiffRow:
    kind: str  # equal, removed, added, changed
    left_no: int | None
    left: str | None
    right_no: int | None
    right: str | None


def side_by_side(left: tuple[str, ...], right: tuple[str, ...]) -> list[DiffRow]:
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [DiffRow("equal", i + 1, left[i], j + 1, right[j])
                     for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        for i, j in zip_longest(range(i1, i2), range(j1, j2)):
            kind = "changed" if i is not None and j is not None else (
                "removed" if i is not None else "added")
            rows.append(DiffRow(
                kind,
                None if i is None else i + 1, None if i is None else left[i],
                None if j is None else j + 1, None if j is None else right[j],
            ))
    return rows
