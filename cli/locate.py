"""Map a finding's location back to the line and column where the element starts in its file.

Avro and JSON Schema findings carry JSON pointers into the file's JSON text. Protobuf findings
carry paths of names (`#/Order/items`), which protoc's own source positions place
(`compat.protobuf.locations`); a Protobuf file that does not compile is placed where protoc
reports the error.

For JSON, a small scanner walks the JSON text once and records, for every pointer, where its element
begins: the key of an object member (so an annotation lands on `"type": …`, not after it) and the
first character of an array item or of the root. Lines and columns count from 1, columns in
characters.
"""

from __future__ import annotations

import bisect
import functools
import json
import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from compat import Schema, SchemaParseError

__all__ = ["Locator", "Positions", "error_position", "locator", "positions"]

# How compat.protobuf words protoc's position of an error in the schema's own file.
_PROTOC_POSITION = re.compile(r"\bline (\d+), column (\d+): ")


class Locator(Protocol):
    def line_column(self, location: str) -> tuple[int, int]:
        """The 1-based line and column of the element at `location` (or of the nearest
        enclosing element the file has)."""
        ...


def locator(text: str, schema: Schema | None = None) -> Locator:
    """Where findings on `schema` (parsed from `text`) lie in `text`."""
    if schema is not None and schema.schema_type == "PROTOBUF":
        from compat.protobuf import ProtobufSchema
        from compat.protobuf.locations import SourcePositions, source_positions

        assert isinstance(schema, ProtobufSchema)
        try:
            return source_positions(schema)
        except RuntimeError:  # protoc compiled it once already; never fail a report on this
            return SourcePositions("", {})
    return positions(text)


def error_position(text: str, schema_type: str, error: SchemaParseError) -> tuple[int, int]:
    """Where a schema that does not parse goes wrong: protoc's first position in the file
    for Protobuf, the element at the error's JSON pointer otherwise."""
    if schema_type == "PROTOBUF":
        match = _PROTOC_POSITION.search(error.reason)
        return (int(match[1]), int(match[2])) if match else (1, 1)
    return positions(text).line_column(error.location)

_WS = " \t\n\r"
_SCALAR = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class Positions:
    """The start offset of every element of one JSON document, by JSON pointer."""

    def __init__(self, text: str, offsets: dict[str, int]) -> None:
        self._offsets = offsets
        self._line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]

    def offset(self, pointer: str) -> int:
        """The offset of the element, or of its nearest existing ancestor."""
        while pointer not in self._offsets and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self._offsets.get(pointer, 0)

    def line_column(self, pointer: str) -> tuple[int, int]:
        offset = self.offset(pointer)
        line = bisect.bisect_right(self._line_starts, offset)
        return line, offset - self._line_starts[line - 1] + 1


@functools.lru_cache(maxsize=64)
def positions(text: str) -> Positions:
    """Scan `text`; a document that is not JSON yields only the root at line 1, column 1."""
    offsets: dict[str, int] = {}
    try:
        end = _value(text, _skip(text, 0), "", offsets)
        if _skip(text, end) != len(text):
            raise ValueError("trailing data")
    except (ValueError, IndexError):
        offsets = {"": _skip(text, 0) if text.strip() else 0}
    return Positions(text, offsets)


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _value(text: str, i: int, pointer: str, offsets: dict[str, int]) -> int:
    offsets.setdefault(pointer, i)
    ch = text[i]
    if ch == "{":
        i = _skip(text, i + 1)
        if text[i] == "}":
            return i + 1
        while True:
            match = _STRING.match(text, i)
            if match is None:
                raise ValueError(f"expected a key at {i}")
            key = json.loads(match.group())
            child = f"{pointer}/{_escape(key)}"
            offsets[child] = i
            i = _skip(text, match.end())
            if text[i] != ":":
                raise ValueError(f"expected ':' at {i}")
            i = _value(text, _skip(text, i + 1), child, offsets)
            i = _skip(text, i)
            if text[i] == "}":
                return i + 1
            if text[i] != ",":
                raise ValueError(f"expected ',' at {i}")
            i = _skip(text, i + 1)
    if ch == "[":
        i = _skip(text, i + 1)
        if text[i] == "]":
            return i + 1
        index = 0
        while True:
            i = _skip(text, _value(text, i, f"{pointer}/{index}", offsets))
            index += 1
            if text[i] == "]":
                return i + 1
            if text[i] != ",":
                raise ValueError(f"expected ',' at {i}")
            i = _skip(text, i + 1)
    match = _STRING.match(text, i) if ch == '"' else _SCALAR.match(text, i)
    if match is None:
        raise ValueError(f"unexpected character at {i}")
    return match.end()
