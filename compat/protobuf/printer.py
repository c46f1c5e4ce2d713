"""`FileDescriptorProto` → `.proto` source, the form Charter stores and answers.

protobuf's Python runtime has no printer, so this is a small one. What it writes compiles back
to the same descriptor (the tests check that round trip over the corpus): labels as the syntax
requires, `map<K, V>` for map entries, proto3 `optional` for synthetic oneofs, groups, reserved
ranges, extension ranges, `extend` blocks, services, and every option — standard ones and
custom ones alike, read through a descriptor pool that knows the extensions.

Type names are written in the shortest form that protoc's scoping rules resolve to the same
type (`Timestamp` may be ambiguous where `google.protobuf.Timestamp` is not), found by asking
the same question protoc asks, conservatively: a shorter name is used only when every symbol
visible from the scope confirms it. `normalize=True` writes Confluent's normalised form: imports,
options, reserved ranges and names sorted, fields and enum values by number; the order of
messages is kept because the wire format's message indexes depend on it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    message_factory,
    text_encoding,
    text_format,
)
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
)
from google.protobuf.message import Message

__all__ = ["SCALAR_NAMES", "OptionReader", "Symbols", "default_json_name", "render"]

_FIELD_MAX = 536_870_911
_ENUM_MAX = 2_147_483_647
SCALAR_NAMES: dict[int, str] = {
    getattr(FieldDescriptorProto, "TYPE_" + name.upper()): name
    for name in (
        "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string",
        "bytes", "uint32", "sfixed32", "sfixed64", "sint32", "sint64",
    )
}


def default_json_name(name: str) -> str:
    """protoc's default `json_name`: underscores dropped, the letter after one upper-cased."""
    out: list[str] = []
    upper = False
    for char in name:
        if char == "_":
            upper = True
        elif upper:
            out.append(char.upper())
            upper = False
        else:
            out.append(char)
    return "".join(out)


class Symbols:
    """Every name protoc's lookups can meet in a set of files (types, packages and members)."""

    def __init__(self, files: Iterable[descriptor_pb2.FileDescriptorProto]) -> None:
        self.types: set[str] = set()
        self.all: set[str] = set()
        for file in files:
            parts = file.package.split(".") if file.package else []
            for i in range(1, len(parts) + 1):
                self.all.add(".".join(parts[:i]))
            scope = file.package
            self._messages(scope, file.message_type)
            self._enums(scope, file.enum_type)
            self._fields(scope, file.extension)
            for service in file.service:
                name = _join(scope, service.name)
                self.all.add(name)
                self.all.update(_join(name, m.name) for m in service.method)

    def _messages(self, scope: str, messages: Iterable[DescriptorProto]) -> None:
        for message in messages:
            name = _join(scope, message.name)
            self.types.add(name)
            self.all.add(name)
            self._fields(name, message.field)
            self._fields(name, message.extension)
            self.all.update(_join(name, o.name) for o in message.oneof_decl)
            self._messages(name, message.nested_type)
            self._enums(name, message.enum_type)

    def _enums(self, scope: str, enums: Iterable[EnumDescriptorProto]) -> None:
        for enum in enums:
            name = _join(scope, enum.name)
            self.types.add(name)
            self.all.add(name)
            self.all.update(_join(scope, v.name) for v in enum.value)  # C++ scoping

    def _fields(self, scope: str, fields: Iterable[FieldDescriptorProto]) -> None:
        self.all.update(_join(scope, f.name) for f in fields)

    def shortest(self, full_name: str, scope: str, *, types: bool = True) -> str:
        """The shortest spelling of `full_name` (a type, or with `types=False` any symbol such
        as an extension) that resolves to it from `scope`."""
        target = full_name.lstrip(".")
        parts = target.split(".")
        for count in range(1, len(parts) + 1):
            candidate = ".".join(parts[-count:])
            if self._resolve(candidate, scope, self.types if types else self.all) == target:
                return candidate
        return "." + target

    def _resolve(self, name: str, scope: str, targets: set[str]) -> str | None:
        first = name.split(".", 1)[0]
        scope_parts = scope.split(".") if scope else []
        for i in range(len(scope_parts), -1, -1):
            prefix = ".".join(scope_parts[:i])
            if _join(prefix, first) in self.all:
                found = _join(prefix, name)
                return found if found in targets else None
        return None


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name


class OptionReader:
    """Reads an options message as (name, value) pairs, custom options included.

    Custom options are extensions defined in the schema's own files; a descriptor parsed on
    its own holds them as unknown fields. Re-reading the options through message classes of a
    pool that holds those files turns them back into named, typed extensions.
    """

    def __init__(self, files: Sequence[descriptor_pb2.FileDescriptorProto]) -> None:
        self._pool: descriptor_pool.DescriptorPool | None = None
        if any(f.name == "google/protobuf/descriptor.proto" for f in files):
            pool = descriptor_pool.DescriptorPool()
            for file in files:
                pool.Add(file)
            self._pool = pool
        self._classes: dict[str, Any] = {}

    def read(
        self,
        options: Message,
        *,
        sort: bool = False,
        name_of: Callable[[str], str] = lambda full_name: full_name,
    ) -> list[tuple[str, str]]:
        """The options set, as written in source; `name_of` spells an extension's name."""
        if not options.ListFields() and not options.SerializeToString():
            return []
        message = options
        if self._pool is not None:
            name = options.DESCRIPTOR.full_name
            cls = self._classes.get(name)
            if cls is None:
                cls = message_factory.GetMessageClass(self._pool.FindMessageTypeByName(name))
                self._classes[name] = cls
            message = cls.FromString(options.SerializeToString())
        out: list[tuple[str, str]] = []
        for field, value in message.ListFields():
            name = f"({name_of(field.full_name)})" if field.is_extension else field.name
            values = value if field.is_repeated else [value]
            out.extend((name, _option_value(field, v)) for v in values)
        return sorted(out) if sort else out


def _option_value(field: FieldDescriptor, value: Any) -> str:
    kind = field.type
    if kind in (FieldDescriptor.TYPE_MESSAGE, FieldDescriptor.TYPE_GROUP):
        body = text_format.MessageToString(value, as_one_line=True)
        return "{ " + body + " }" if body else "{}"
    if kind == FieldDescriptor.TYPE_ENUM:
        known = field.enum_type.values_by_number.get(value) if field.enum_type else None
        return str(known.name) if known is not None else str(value)
    if kind == FieldDescriptor.TYPE_STRING:
        return '"' + str(text_encoding.CEscape(value, as_utf8=True)) + '"'
    if kind == FieldDescriptor.TYPE_BYTES:
        return '"' + str(text_encoding.CEscape(value, as_utf8=False)) + '"'
    if kind == FieldDescriptor.TYPE_BOOL:
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


def render(
    file: descriptor_pb2.FileDescriptorProto,
    symbols: Symbols,
    options: OptionReader,
    *,
    normalize: bool = False,
) -> str:
    """The `.proto` source of `file`."""
    return "\n".join(_Printer(file, symbols, options, normalize).file()) + "\n"


class _Printer:
    def __init__(
        self,
        file: descriptor_pb2.FileDescriptorProto,
        symbols: Symbols,
        options: OptionReader,
        normalize: bool,
    ) -> None:
        self.file_proto = file
        self.symbols = symbols
        self.options = options
        self.normalize = normalize
        self.proto3 = file.syntax == "proto3"
        self.editions = file.syntax == "editions"

    # -- file ----------------------------------------------------------------------------
    def file(self) -> list[str]:
        f = self.file_proto
        if self.editions:
            edition = descriptor_pb2.Edition.Name(f.edition).removeprefix("EDITION_")
            lines = [f'edition = "{edition}";']
        else:
            lines = [f'syntax = "{f.syntax or "proto2"}";']
        if f.package:
            lines.append(f"package {f.package};")
        imports = []
        for index, dep in enumerate(f.dependency):
            kind = (
                "public " if index in f.public_dependency
                else "weak " if index in f.weak_dependency else ""
            )
            imports.append(f'import {kind}"{dep}";')
        if imports:
            lines += ["", *(sorted(imports, key=lambda s: s.split('"')[1])
                            if self.normalize else imports)]
        file_options = self._option_lines(f.options, "", f.package)
        if file_options:
            lines += ["", *file_options]
        scope = f.package
        for message in f.message_type:
            lines += ["", *self._message(message, scope, "")]
        for enum in f.enum_type:
            lines += ["", *self._enum(enum, scope, "")]
        for block in self._extends(f.extension, scope, ""):
            lines += ["", *block]
        for service in f.service:
            lines += ["", *self._service(service, scope)]
        return lines

    # -- pieces --------------------------------------------------------------------------
    def _read(self, options: Message, scope: str) -> list[tuple[str, str]]:
        return self.options.read(
            options,
            sort=self.normalize,
            name_of=lambda full: self.symbols.shortest(full, scope, types=False),
        )

    def _option_lines(self, options: Message, indent: str, scope: str) -> list[str]:
        pairs = self._read(options, scope)
        return [f"{indent}option {name} = {value};" for name, value in pairs]

    def _type(self, type_name: str, scope: str) -> str:
        return self.symbols.shortest(type_name, scope)

    def _ranges(self, ranges: Iterable[Any], *, inclusive: bool, top: int) -> str:
        spans = [(r.start, r.end if inclusive else r.end - 1) for r in ranges]
        if self.normalize:
            spans.sort()
        parts = []
        for start, end in spans:
            if start == end:
                parts.append(str(start))
            else:
                parts.append(f"{start} to {'max' if end == top else end}")
        return ", ".join(parts)

    def _reserved(self, proto: Any, indent: str, *, inclusive: bool, top: int) -> list[str]:
        lines = []
        if proto.reserved_range:
            ranges = self._ranges(proto.reserved_range, inclusive=inclusive, top=top)
            lines.append(f"{indent}reserved {ranges};")
        if proto.reserved_name:
            names = sorted(proto.reserved_name) if self.normalize else list(proto.reserved_name)
            quoted = ", ".join('"' + text_encoding.CEscape(n, as_utf8=True) + '"' for n in names)
            lines.append(f"{indent}reserved {quoted};")
        return lines

    def _message(
        self, message: DescriptorProto, scope: str, indent: str,
        *, header: str | None = None,
    ) -> list[str]:
        name = _join(scope, message.name)
        inner = indent + "  "
        lines = [header if header is not None else f"{indent}message {message.name} {{"]
        lines += self._option_lines(message.options, inner, name)
        lines += self._reserved(message, inner, inclusive=False, top=_FIELD_MAX)
        nested = {_join(name, n.name): n for n in message.nested_type}
        hidden: set[str] = set()  # map entries and group bodies, written with their field
        for field in message.field:
            if field.type in (FieldDescriptorProto.TYPE_MESSAGE, FieldDescriptorProto.TYPE_GROUP):
                target = field.type_name.lstrip(".")
                entry = nested.get(target)
                group = field.type == FieldDescriptorProto.TYPE_GROUP
                if entry is not None and (entry.options.map_entry or group):
                    hidden.add(target)
        fields = sorted(message.field, key=lambda f: f.number) if self.normalize else message.field
        real_oneofs = _real_oneofs(message)
        done_oneofs: set[int] = set()
        for field in fields:
            if field.HasField("oneof_index") and field.oneof_index in real_oneofs:
                index = field.oneof_index
                if index in done_oneofs:
                    continue
                done_oneofs.add(index)
                oneof = message.oneof_decl[index]
                lines.append(f"{inner}oneof {oneof.name} {{")
                lines += self._option_lines(oneof.options, inner + "  ", name)
                for member in fields:
                    if member.HasField("oneof_index") and member.oneof_index == index:
                        lines += self._field(member, name, inner + "  ", nested, in_oneof=True)
                lines.append(f"{inner}}}")
            else:
                lines += self._field(field, name, inner, nested, in_oneof=False)
        if message.extension_range:
            for ext_range in message.extension_range:
                text = self._ranges([ext_range], inclusive=False, top=_FIELD_MAX)
                opts = self._read(ext_range.options, name)
                suffix = " [" + ", ".join(f"{k} = {v}" for k, v in opts) + "]" if opts else ""
                lines.append(f"{inner}extensions {text}{suffix};")
        for child in message.nested_type:
            if _join(name, child.name) not in hidden:
                lines += self._message(child, name, inner)
        for enum in message.enum_type:
            lines += self._enum(enum, name, inner)
        for block in self._extends(message.extension, name, inner):
            lines += block
        lines.append(f"{indent}}}")
        return lines

    def _label(self, field: FieldDescriptorProto, in_oneof: bool) -> str:
        if in_oneof:
            return ""
        if field.label == FieldDescriptorProto.LABEL_REPEATED:
            return "repeated "
        if field.label == FieldDescriptorProto.LABEL_REQUIRED:
            return "required "
        if self.proto3:
            return "optional " if field.proto3_optional else ""
        if self.editions:
            return ""
        return "optional "

    def _field_options(self, field: FieldDescriptorProto, scope: str) -> str:
        pairs: list[tuple[str, str]] = []
        if field.HasField("default_value"):
            pairs.append(("default", self._default(field)))
        if field.HasField("json_name") and field.json_name != default_json_name(field.name):
            quoted = '"' + text_encoding.CEscape(field.json_name, as_utf8=True) + '"'
            pairs.append(("json_name", quoted))
        pairs += self._read(field.options, scope)
        return " [" + ", ".join(f"{k} = {v}" for k, v in pairs) + "]" if pairs else ""

    def _default(self, field: FieldDescriptorProto) -> str:
        value = str(field.default_value)
        if field.type == FieldDescriptorProto.TYPE_STRING:
            return '"' + str(text_encoding.CEscape(value, as_utf8=True)) + '"'
        if field.type == FieldDescriptorProto.TYPE_BYTES:
            return f'"{value}"'  # descriptors hold bytes defaults C-escaped already
        return value

    def _field(
        self,
        field: FieldDescriptorProto,
        scope: str,
        indent: str,
        nested: dict[str, DescriptorProto],
        *,
        in_oneof: bool,
    ) -> list[str]:
        opts = self._field_options(field, scope)
        if field.type in SCALAR_NAMES:
            kind = SCALAR_NAMES[field.type]
        else:
            target = field.type_name.lstrip(".")
            entry = nested.get(target)
            if field.type == FieldDescriptorProto.TYPE_GROUP and entry is not None:
                header = (
                    f"{indent}{self._label(field, in_oneof)}group {entry.name} = "
                    f"{field.number}{opts} {{"
                )
                return self._message(entry, scope, indent, header=header)
            if entry is not None and entry.options.map_entry:
                key, value = _entry_fields(entry)
                key_type = self._field_type(key, scope)
                value_type = self._field_type(value, scope)
                return [f"{indent}map<{key_type}, {value_type}> {field.name} = "
                        f"{field.number}{opts};"]
            kind = self._type(field.type_name, scope)
        label = self._label(field, in_oneof)
        return [f"{indent}{label}{kind} {field.name} = {field.number}{opts};"]

    def _field_type(self, field: FieldDescriptorProto, scope: str) -> str:
        if field.type in SCALAR_NAMES:
            return SCALAR_NAMES[field.type]
        return self._type(field.type_name, scope)

    def _enum(self, enum: EnumDescriptorProto, scope: str, indent: str) -> list[str]:
        inner = indent + "  "
        lines = [f"{indent}enum {enum.name} {{"]
        lines += self._option_lines(enum.options, inner, _join(scope, enum.name))
        lines += self._reserved(enum, inner, inclusive=True, top=_ENUM_MAX)
        values = sorted(enum.value, key=lambda v: v.number) if self.normalize else enum.value
        for value in values:
            pairs = self._read(value.options, scope)
            opts = " [" + ", ".join(f"{k} = {v}" for k, v in pairs) + "]" if pairs else ""
            lines.append(f"{inner}{value.name} = {value.number}{opts};")
        lines.append(f"{indent}}}")
        return lines

    def _extends(
        self, fields: Iterable[FieldDescriptorProto], scope: str, indent: str
    ) -> Iterator[list[str]]:
        groups: dict[str, list[FieldDescriptorProto]] = {}
        for field in fields:
            groups.setdefault(field.extendee, []).append(field)
        for extendee, members in groups.items():
            lines = [f"{indent}extend {self._type(extendee, scope)} {{"]
            for member in members:
                lines += self._field(member, scope, indent + "  ", {}, in_oneof=False)
            lines.append(f"{indent}}}")
            yield lines

    def _service(self, service: descriptor_pb2.ServiceDescriptorProto, scope: str) -> list[str]:
        lines = [f"service {service.name} {{"]
        lines += self._option_lines(service.options, "  ", _join(scope, service.name))
        for method in service.method:
            request = ("stream " if method.client_streaming else "") + self._type(
                method.input_type, scope
            )
            response = ("stream " if method.server_streaming else "") + self._type(
                method.output_type, scope
            )
            head = f"  rpc {method.name}({request}) returns ({response})"
            body = self._option_lines(method.options, "    ", _join(scope, service.name))
            lines += [f"{head} {{", *body, "  }"] if body else [f"{head};"]
        lines.append("}")
        return lines


def _real_oneofs(message: DescriptorProto) -> set[int]:
    """Indexes of the oneofs written as `oneof` (not proto3 `optional`'s synthetic ones)."""
    real: set[int] = set()
    for field in message.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            real.add(field.oneof_index)
    return real


def _entry_fields(
    entry: DescriptorProto,
) -> tuple[FieldDescriptorProto, FieldDescriptorProto]:
    by_number = {f.number: f for f in entry.field}
    return by_number[1], by_number[2]
