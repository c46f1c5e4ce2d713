"""Where each element of a `.proto` file starts: finding paths mapped to lines and columns.

protoc records source positions in a `FileDescriptorProto`'s `source_code_info` only when asked
(`--include_source_info`), and only on the command-line path, which writes a descriptor set to a
file. So `source_positions` has `compat.protobuf.protoc` compile the schema's text once more that
way, with the schema's already compiled imports given as a descriptor set; this module only maps
the positions.

The paths are those of `compat.protobuf`'s findings (`#/Order/items`, `#/Order/id/n` for a field
of oneof `id`, `#/Status/OPEN` for an enum value): message, enum and oneof names, then a field or
enum value name. A path that names nothing in the file (an element the new schema removed)
lands on its nearest enclosing element, and the root on the `package` statement (else `syntax`,
else line 1). A path into a type of an imported file (Charter re-checks a referenced message
when its reference changes) lands on the `import` statement of that file. Lines and columns
count from 1, columns in characters (protoc counts bytes and widens tabs to 8 columns; both are
undone here).
"""

from __future__ import annotations

from collections.abc import Iterable

from google.protobuf import descriptor_pb2

from compat.protobuf.protoc import compile_with_source_info
from compat.protobuf.schema import ProtobufSchema, decode_descriptor

__all__ = ["SourcePositions", "source_positions"]

_TAB_WIDTH = 8  # protoc's tokenizer widens a tab to the next multiple of 8 columns

# Field numbers in descriptor.proto that source_code_info paths are made of.
_FILE_PACKAGE, _FILE_DEPENDENCY, _FILE_MESSAGE, _FILE_ENUM, _FILE_SYNTAX = 2, 3, 4, 5, 12
_MESSAGE_FIELD, _MESSAGE_NESTED, _MESSAGE_ENUM, _MESSAGE_ONEOF = 2, 3, 4, 8
_ENUM_VALUE = 2

Span = tuple[int, int]  # 0-based line, protoc's 0-based column


class SourcePositions:
    """The start of every message, enum, oneof, field and enum value of one `.proto` text."""

    def __init__(self, text: str, starts: dict[tuple[str, ...], Span]) -> None:
        self._lines = text.split("\n")
        self._starts = starts

    def __contains__(self, location: str) -> bool:
        return _path(location) in self._starts

    def line_column(self, location: str) -> tuple[int, int]:
        """The 1-based line and column of the element at `location`, or of its nearest
        enclosing element the file has."""
        path = _path(location)
        while path and path not in self._starts:
            path = path[:-1]
        line, column = self._starts.get(path, (0, 0))
        return line + 1, self._character_column(line, column) + 1

    def _character_column(self, line: int, protoc_column: int) -> int:
        if line >= len(self._lines):
            return protoc_column
        column = 0
        for index, char in enumerate(self._lines[line]):
            if column >= protoc_column:
                return index
            column += _TAB_WIDTH - column % _TAB_WIDTH if char == "\t" else len(char.encode())
        return len(self._lines[line])


def _path(location: str) -> tuple[str, ...]:
    return tuple(part for part in location.removeprefix("#").split("/") if part)


def source_positions(schema: ProtobufSchema) -> SourcePositions:
    """The positions of `schema`'s own file. A schema given as a base64 descriptor has no
    source, so every location lands on line 1, column 1."""
    text = schema.source.text
    if decode_descriptor(text) is not None:
        return SourcePositions("", {})
    located = compile_with_source_info(schema.file.name, text, schema.files[:-1])
    locations = located.source_code_info.location
    spans = {tuple(loc.path): (loc.span[0], loc.span[1]) for loc in locations}
    starts = _starts(located, spans)
    _imported(located, schema.files[:-1], spans, starts)
    return SourcePositions(text, starts)


def _starts(
    file: descriptor_pb2.FileDescriptorProto, spans: dict[tuple[int, ...], Span]
) -> dict[tuple[str, ...], Span]:
    starts: dict[tuple[str, ...], Span] = {}
    root = spans.get((_FILE_PACKAGE,)) or spans.get((_FILE_SYNTAX,))
    if root is not None:
        starts[()] = root
    _messages(file.message_type, (_FILE_MESSAGE,), (), spans, starts)
    _enums(file.enum_type, (_FILE_ENUM,), (), spans, starts)
    return starts


def _imported(
    file: descriptor_pb2.FileDescriptorProto,
    imports: Iterable[descriptor_pb2.FileDescriptorProto],
    spans: dict[tuple[int, ...], Span],
    starts: dict[tuple[str, ...], Span],
) -> None:
    """The top-level types of each directly imported file, placed at its `import` statement
    (the file's own elements keep their places)."""
    by_name = {f.name: f for f in imports}
    for index, name in enumerate(file.dependency):
        imported = by_name.get(name)
        if imported is None:
            continue
        names = [*(m.name for m in imported.message_type), *(e.name for e in imported.enum_type)]
        for type_name in names:
            _put(starts, (type_name,), spans, (_FILE_DEPENDENCY, index))


def _put(
    starts: dict[tuple[str, ...], Span],
    names: tuple[str, ...],
    spans: dict[tuple[int, ...], Span],
    numbers: tuple[int, ...],
) -> None:
    span = spans.get(numbers)
    if span is not None:
        starts.setdefault(names, span)


def _messages(
    messages: Iterable[descriptor_pb2.DescriptorProto],
    numbers: tuple[int, ...],
    names: tuple[str, ...],
    spans: dict[tuple[int, ...], Span],
    starts: dict[tuple[str, ...], Span],
) -> None:
    for index, message in enumerate(messages):
        here, at = (*names, message.name), (*numbers, index)
        if message.options.map_entry:
            continue  # a map field's entry is not a message of its own in findings
        _put(starts, here, spans, at)
        synthetic = {f.oneof_index for f in message.field if f.proto3_optional}
        for oneof_index, oneof in enumerate(message.oneof_decl):
            if oneof_index not in synthetic:
                _put(starts, (*here, oneof.name), spans, (*at, _MESSAGE_ONEOF, oneof_index))
        for field_index, field in enumerate(message.field):
            field_at = (*at, _MESSAGE_FIELD, field_index)
            _put(starts, (*here, field.name), spans, field_at)
            if field.HasField("oneof_index") and field.oneof_index not in synthetic:
                oneof_name = message.oneof_decl[field.oneof_index].name
                _put(starts, (*here, oneof_name, field.name), spans, field_at)
        _messages(message.nested_type, (*at, _MESSAGE_NESTED), here, spans, starts)
        _enums(message.enum_type, (*at, _MESSAGE_ENUM), here, spans, starts)


def _enums(
    enums: Iterable[descriptor_pb2.EnumDescriptorProto],
    numbers: tuple[int, ...],
    names: tuple[str, ...],
    spans: dict[tuple[int, ...], Span],
    starts: dict[tuple[str, ...], Span],
) -> None:
    for index, enum in enumerate(enums):
        here, at = (*names, enum.name), (*numbers, index)
        _put(starts, here, spans, at)
        for value_index, value in enumerate(enum.value):
            _put(starts, (*here, value.name), spans, (*at, _ENUM_VALUE, value_index))
