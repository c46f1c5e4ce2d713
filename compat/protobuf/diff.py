"""Confluent's Protobuf difference algorithm over compiled descriptors.

`differences(original, update)` lists how the file `update` differs from `original`, named and
placed as Confluent's `io.confluent.kafka.schemaregistry.protobuf.diff` package does: types are
matched by name, fields by number; scalars fall into Confluent's wire-compatible groups; a
message-typed field whose type comes from another file (a reference or a well-known type) has
that type compared again unless both sides use the same subject and version; map entries are
maps, not messages. Confluent names a difference from the writer (`original`) to the reader
(`update`); which of them is the new schema is the checker's business.

Paths are Confluent's, with names instead of field numbers: messages by local name, then a
oneof's name, then the field's name in the new schema (in the old one when the field is gone).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum, auto

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
)

from compat.protobuf.printer import SCALAR_NAMES
from compat.protobuf.schema import ProtobufSchema

__all__ = ["COMPATIBLE", "SCALAR_GROUPS", "Change", "Difference", "differences", "wire_label"]



class Change(StrEnum):
    """Confluent's `Difference.Type`. The incompatible ones are Charter's rule ids."""

    @staticmethod
    def _generate_next_value_(name: str, start: int, count: int, last: list[str]) -> str:
        return name

    PACKAGE_CHANGED = auto()
    MESSAGE_ADDED = auto()
    MESSAGE_REMOVED = auto()
    MESSAGE_MOVED = auto()
    ENUM_ADDED = auto()
    ENUM_REMOVED = auto()
    ENUM_CONST_ADDED = auto()
    ENUM_CONST_CHANGED = auto()
    ENUM_CONST_REMOVED = auto()
    FIELD_ADDED = auto()
    FIELD_REMOVED = auto()
    FIELD_NAME_CHANGED = auto()
    FIELD_KIND_CHANGED = auto()
    FIELD_SCALAR_KIND_CHANGED = auto()
    FIELD_NAMED_TYPE_CHANGED = auto()
    FIELD_NUMERIC_LABEL_CHANGED = auto()
    FIELD_STRING_OR_BYTES_LABEL_CHANGED = auto()
    REQUIRED_FIELD_ADDED = auto()
    REQUIRED_FIELD_REMOVED = auto()
    ONEOF_ADDED = auto()
    ONEOF_REMOVED = auto()
    ONEOF_FIELD_ADDED = auto()
    ONEOF_FIELD_REMOVED = auto()
    MULTIPLE_FIELDS_MOVED_TO_ONEOF = auto()
    FIELD_MOVED_TO_EXISTING_ONEOF = auto()


# Confluent's compatible differences; every other difference makes a pair incompatible.
COMPATIBLE = frozenset({
    Change.MESSAGE_ADDED, Change.MESSAGE_MOVED, Change.ENUM_ADDED, Change.ENUM_REMOVED,
    Change.ENUM_CONST_ADDED, Change.ENUM_CONST_CHANGED, Change.ENUM_CONST_REMOVED,
    Change.FIELD_ADDED, Change.FIELD_REMOVED, Change.FIELD_NAME_CHANGED,
    Change.FIELD_STRING_OR_BYTES_LABEL_CHANGED, Change.ONEOF_ADDED, Change.ONEOF_REMOVED,
    Change.ONEOF_FIELD_ADDED,
})

# Confluent's scalar groups (after the Protobuf language guide's "updating a message type"):
# values within a group read each other's encoding; enums count as general numbers.
SCALAR_GROUPS = {
    "int32": "general number", "int64": "general number", "uint32": "general number",
    "uint64": "general number", "bool": "general number", "enum": "general number",
    "sint32": "zigzag number", "sint64": "zigzag number",
    "string": "string or bytes", "bytes": "string or bytes",
    "fixed32": "32-bit fixed", "sfixed32": "32-bit fixed",
    "fixed64": "64-bit fixed", "sfixed64": "64-bit fixed",
    "float": "float", "double": "double",
}


@dataclass(frozen=True, slots=True)
class Difference:
    """One difference; `original`/`update` describe the element on each side, when it exists."""

    type: Change
    path: tuple[str, ...]
    original: str | None = None
    update: str | None = None
    # FIELD_NAMED_TYPE_CHANGED of a type re-checked under the same name: the incompatible
    # differences found inside it, as (type, path).
    within: tuple[tuple[Change, tuple[str, ...]], ...] = ()

    @property
    def compatible(self) -> bool:
        return self.type in COMPATIBLE


@dataclass(frozen=True, slots=True)
class TypeInfo:
    """A message or enum of a schema: where it is defined and through which reference."""

    full_name: str
    message: DescriptorProto | None  # None for an enum
    package: str
    origin: str | None  # "" for the schema's own file, "subject/version", None: no reference
    is_map: bool

    @property
    def local_name(self) -> str:
        prefix = self.package + "." if self.package else ""
        return self.full_name.removeprefix(prefix)


def type_table(schema: ProtobufSchema) -> dict[str, TypeInfo]:
    table: dict[str, TypeInfo] = {}
    for file in schema.files:
        if file is schema.file:
            origin: str | None = ""
        else:
            ref = schema.file_references.get(file.name)
            origin = f"{ref.subject}/{ref.version}" if ref is not None else None
        _collect(table, file.package, file.package, file.message_type, file.enum_type, origin)
    return table


def _collect(
    table: dict[str, TypeInfo],
    package: str,
    scope: str,
    messages: Iterable[DescriptorProto],
    enums: Iterable[EnumDescriptorProto],
    origin: str | None,
) -> None:
    for message in messages:
        name = f"{scope}.{message.name}" if scope else message.name
        table[name] = TypeInfo(name, message, package, origin, message.options.map_entry)
        _collect(table, package, name, message.nested_type, message.enum_type, origin)
    for enum in enums:
        name = f"{scope}.{enum.name}" if scope else enum.name
        table[name] = TypeInfo(name, None, package, origin, False)


@dataclass(frozen=True, slots=True)
class FieldType:
    """A field's type as Confluent compares it: a scalar (enums included), a message or a map."""

    kind: str  # "scalar", "message" or "map"
    name: str = ""  # scalar type name, "enum", or the message's full name
    enum: str = ""  # the enum's full name
    key: FieldType | None = None
    value: FieldType | None = None

    def __str__(self) -> str:
        if self.kind == "map":
            return f"map<{self.key}, {self.value}>"
        return self.enum or self.name


def differences(
    original: ProtobufSchema, update: ProtobufSchema, *, new_is_update: bool
) -> list[Difference]:
    """Every difference from `original` (the writer) to `update` (the reader)."""
    return _Differ(original, update, new_is_update).run()


class _Differ:
    def __init__(self, original: ProtobufSchema, update: ProtobufSchema, new_is_update: bool):
        self.original = original
        self.update = update
        self.new_is_update = new_is_update
        self.o_types = type_table(original)
        self.u_types = type_table(update)
        self.o_syntax = original.file.syntax
        self.u_syntax = update.file.syntax
        self.path: list[str] = []
        self.guard: set[str] = set()
        self.found: list[Difference] = []

    def add(
        self,
        kind: Change,
        original: str | None = None,
        update: str | None = None,
        within: tuple[tuple[Change, tuple[str, ...]], ...] = (),
    ) -> None:
        self.found.append(Difference(kind, tuple(self.path), original, update, within))

    def run(self) -> list[Difference]:
        o, u = self.original.file, self.update.file
        if o.package != u.package:
            self.add(Change.PACKAGE_CHANGED, o.package or "(none)", u.package or "(none)")
        self.types(o.message_type, o.enum_type, u.message_type, u.enum_type, o.package, u.package)
        return self.found

    # -- types ---------------------------------------------------------------------------
    def types(
        self,
        o_messages: Sequence[DescriptorProto],
        o_enums: Sequence[EnumDescriptorProto],
        u_messages: Sequence[DescriptorProto],
        u_enums: Sequence[EnumDescriptorProto],
        o_scope: str,
        u_scope: str,
    ) -> None:
        o_by_name = {m.name: (i, m) for i, m in enumerate(_messages(o_messages))}
        u_by_name = {m.name: (i, m) for i, m in enumerate(_messages(u_messages))}
        for name in _union(o_by_name, u_by_name):
            self.path.append(name)
            o_full, u_full = _join(o_scope, name), _join(u_scope, name)
            if name not in u_by_name:
                self.add(Change.MESSAGE_REMOVED, o_full, None)
            elif name not in o_by_name:
                self.add(Change.MESSAGE_ADDED, None, u_full)
            else:
                (o_index, o_message), (u_index, u_message) = o_by_name[name], u_by_name[name]
                self.message(o_message, u_message, o_full, u_full)
                if o_index != u_index:
                    self.add(Change.MESSAGE_MOVED, str(o_index), str(u_index))
            self.path.pop()
        o_enum_names = {e.name for e in o_enums}
        u_enum_names = {e.name for e in u_enums}
        for name in _union(o_enum_names, u_enum_names):
            self.path.append(name)
            if name not in u_enum_names:
                self.add(Change.ENUM_REMOVED, _join(o_scope, name), None)
            elif name not in o_enum_names:
                self.add(Change.ENUM_ADDED, None, _join(u_scope, name))
            self.path.pop()

    # -- messages ------------------------------------------------------------------------
    def message(self, o: DescriptorProto, u: DescriptorProto, o_full: str, u_full: str) -> None:
        if o_full not in self.guard:
            self.guard.add(o_full)
            try:
                self.fields(o, u)
            finally:
                self.guard.discard(o_full)
        self.types(o.nested_type, o.enum_type, u.nested_type, u.enum_type, o_full, u_full)

    def fields(self, o: DescriptorProto, u: DescriptorProto) -> None:
        o_top, o_oneofs = _split(o)
        u_top, u_oneofs = _split(u)
        o_all = {f.number: f for f in o.field}
        u_all = {f.number: f for f in u.field}
        o_member = {f.number: name for name, fs in o_oneofs.items() for f in fs}
        u_member = {f.number: name for name, fs in u_oneofs.items() for f in fs}

        remaining = dict(o_top)
        for name, members in u_oneofs.items():
            # Placed at the oneof when the new schema has it, else at the message.
            placed = self.new_is_update or name in o_oneofs
            if placed:
                self.path.append(name)
            moved = existing = 0
            for field in members:
                if remaining.pop(field.number, None) is not None:
                    moved += 1
                elif field.number in o_member:
                    existing += 1
            if moved > 1:
                self.add(Change.MULTIPLE_FIELDS_MOVED_TO_ONEOF, None, name)
            elif moved == 1 and existing > 0:
                self.add(Change.FIELD_MOVED_TO_EXISTING_ONEOF, None, name)
            if placed:
                self.path.pop()

        for name in _union(o_oneofs, u_oneofs):
            self.path.append(name)
            if name not in u_oneofs:
                self.add(Change.ONEOF_REMOVED, name, None)
            elif name not in o_oneofs:
                self.add(Change.ONEOF_ADDED, None, name)
            else:
                o_fields = {f.number: f for f in o_oneofs[name]}
                u_fields = {f.number: f for f in u_oneofs[name]}
                for number in sorted(o_fields.keys() | u_fields.keys()):
                    of, uf = o_fields.get(number), u_fields.get(number)
                    self.path.append(self._field_name(of, uf))
                    if uf is None:
                        if number not in u_all:
                            self.add(Change.ONEOF_FIELD_REMOVED, of.name if of else None, None)
                    elif of is None:
                        self.add(Change.ONEOF_FIELD_ADDED, None, uf.name)
                    else:
                        self.field(of, uf, in_oneof=True)
                    self.path.pop()
            self.path.pop()

        for number in sorted(remaining.keys() | u_top.keys()):
            of, uf = remaining.get(number), u_top.get(number)
            self.path.append(self._field_name(of, uf))
            if uf is None:
                assert of is not None
                required = of.label == FieldDescriptorProto.LABEL_REQUIRED
                kind = Change.REQUIRED_FIELD_REMOVED if required else Change.FIELD_REMOVED
                self.add(kind, of.name, None)
            elif of is None:
                required = uf.label == FieldDescriptorProto.LABEL_REQUIRED
                kind = Change.REQUIRED_FIELD_ADDED if required else Change.FIELD_ADDED
                self.add(kind, None, uf.name)
            else:
                self.field(of, uf, in_oneof=False)
            self.path.pop()

        # Fields whose oneof membership changed are compared by number across the message.
        for number in sorted(o_all.keys() & u_all.keys()):
            o_oneof, u_oneof = o_member.get(number), u_member.get(number)
            if o_oneof == u_oneof:
                continue
            self.path.append(self._field_name(o_all[number], u_all[number]))
            self.field(o_all[number], u_all[number], in_oneof=True)
            self.path.pop()

    def _field_name(self, of: FieldDescriptorProto | None, uf: FieldDescriptorProto | None) -> str:
        new, old = (uf, of) if self.new_is_update else (of, uf)
        chosen = new or old
        assert chosen is not None
        return str(chosen.name)

    # -- fields --------------------------------------------------------------------------
    def field(self, of: FieldDescriptorProto, uf: FieldDescriptorProto, *, in_oneof: bool) -> None:
        if of.name != uf.name:
            self.add(Change.FIELD_NAME_CHANGED, of.name, uf.name)
        o_label = None if in_oneof else wire_label(of, self.o_syntax)
        u_label = None if in_oneof else wire_label(uf, self.u_syntax)
        self.labels_and_types(
            o_label, u_label, self._type(of, self.o_types), self._type(uf, self.u_types)
        )

    def _type(self, field: FieldDescriptorProto, table: dict[str, TypeInfo]) -> FieldType:
        if field.type in SCALAR_NAMES:
            return FieldType("scalar", SCALAR_NAMES[field.type])
        name = str(field.type_name).lstrip(".")
        if field.type == FieldDescriptorProto.TYPE_ENUM:
            return FieldType("scalar", "enum", enum=name)
        info = table.get(name)
        if info is not None and info.is_map and info.message is not None:
            by_number = {f.number: f for f in info.message.field}
            key, value = self._type(by_number[1], table), self._type(by_number[2], table)
            return FieldType("map", key=key, value=value)
        return FieldType("message", name)

    def labels_and_types(
        self, o_label: str | None, u_label: str | None, o_type: FieldType, u_type: FieldType
    ) -> None:
        if o_type.kind != u_type.kind:
            self.add(Change.FIELD_KIND_CHANGED, str(o_type), str(u_type))
        elif o_type.kind == "scalar":
            o_group, u_group = SCALAR_GROUPS[o_type.name], SCALAR_GROUPS[u_type.name]
            if o_group != u_group:
                self.add(Change.FIELD_SCALAR_KIND_CHANGED, str(o_type), str(u_type))
            elif o_label is not None and u_label is not None and o_label != u_label:
                kind = (
                    Change.FIELD_STRING_OR_BYTES_LABEL_CHANGED if o_group == "string or bytes"
                    else Change.FIELD_NUMERIC_LABEL_CHANGED
                )
                self.add(kind, o_label, u_label)
        elif o_type.kind == "message":
            self.message_types(o_type.name, u_type.name)
        else:
            assert o_type.key and o_type.value and u_type.key and u_type.value
            self.labels_and_types(None, None, o_type.key, u_type.key)
            self.labels_and_types(None, None, o_type.value, u_type.value)

    def message_types(self, o_name: str, u_name: str) -> None:
        o_info, u_info = self.o_types.get(o_name), self.u_types.get(u_name)
        if o_info is None or u_info is None or o_info.message is None or u_info.message is None:
            if o_name != u_name:
                self.add(Change.FIELD_NAMED_TYPE_CHANGED, o_name, u_name)
            return
        if o_info.local_name != u_info.local_name:
            self.add(Change.FIELD_NAMED_TYPE_CHANGED, o_name, u_name)
            return
        if o_info.origin is not None and o_info.origin == u_info.origin:
            return  # both in the schema's own file, or the same subject and version
        saved, before = self.path, len(self.found)
        self.path = o_info.local_name.split(".")
        try:
            self.message(o_info.message, u_info.message, o_name, u_name)
        finally:
            self.path = saved
        inside = tuple((d.type, d.path) for d in self.found[before:] if not d.compatible)
        if inside:
            self.add(Change.FIELD_NAMED_TYPE_CHANGED, o_name, u_name, inside)


def _messages(messages: Sequence[DescriptorProto]) -> list[DescriptorProto]:
    """The messages Confluent sees: map entries are part of their map field, not messages."""
    return [m for m in messages if not m.options.map_entry]


def _split(
    message: DescriptorProto,
) -> tuple[dict[int, FieldDescriptorProto], dict[str, list[FieldDescriptorProto]]]:
    """Top-level fields by number, and the members of each real (not synthetic) oneof."""
    top: dict[int, FieldDescriptorProto] = {}
    oneofs: dict[str, list[FieldDescriptorProto]] = {}
    synthetic = {f.oneof_index for f in message.field if f.proto3_optional}
    for field in message.field:
        if field.HasField("oneof_index") and field.oneof_index not in synthetic:
            oneofs.setdefault(message.oneof_decl[field.oneof_index].name, []).append(field)
        else:
            top[field.number] = field
    return top, oneofs


def wire_label(field: FieldDescriptorProto, syntax: str) -> str | None:
    """The label as Confluent's parser (Wire) sees it; None where the source writes none."""
    if field.label == FieldDescriptorProto.LABEL_REPEATED:
        return "repeated"
    if field.label == FieldDescriptorProto.LABEL_REQUIRED:
        return "required"
    if syntax == "proto3":
        return "optional" if field.proto3_optional else None
    if syntax == "editions":
        return None
    return "optional"



def _union(first: Iterable[str], second: Iterable[str]) -> list[str]:
    """The names of both, in the order of the first then the new ones of the second."""
    out = list(dict.fromkeys(first))
    seen = set(out)
    out += [name for name in second if name not in seen]
    return out


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name
