"""`ProtobufSchema`: a `.proto` file (given as text or as a base64 `FileDescriptorProto`), its
imports resolved, validated by protoc, and its text forms.

Both forms Confluent clients register end in one pipeline: a descriptor is first written out
as `.proto` text (validated on the way by a descriptor pool), then every text is compiled by
protoc with its references and the well-known types on the import path. The canonical text is
the compiled descriptor printed back, so a text and the descriptor of the same file get the
same canonical text, fingerprint and id.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from functools import cached_property

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.message import DecodeError

from compat.errors import ReferenceResolutionError, SchemaParseError
from compat.model import Reference, Resolver, Schema, SchemaSource, SchemaType
from compat.protobuf.printer import OptionReader, Symbols, render
from compat.protobuf.protoc import ProtocFailure, compile_file, valid_import_path
from compat.protobuf.wellknown import GOOGLE_TYPE, is_well_known, source_of

__all__ = ["ProtobufSchema", "decode_descriptor", "parse_protobuf"]

MAIN_NAME = "schema.proto"
# Base64 as clients send it: no spaces, possibly wrapped into lines.
_BASE64 = re.compile(r"[A-Za-z0-9+/=\r\n]+\Z")
_GOOGLE_TYPE_IMPORT = re.compile(r'"(google/type/[a-z_]+\.proto)"')
_TEXT_BYTES_MAX = 4 * 1024 * 1024
_ERRORS_MAX = 10  # protoc's messages quoted in one error


class ProtobufSchema(Schema):
    """A Protobuf schema. Build it with `parse_protobuf` (or `compat.parse`).

    `file` is the compiled descriptor of the schema's own file and `files` every file it
    needs, imports first and `file` last; treat them as read-only. `file_references` maps the
    import path of each file that came through one of the schema's references to it.
    """

    schema_type = SchemaType.PROTOBUF

    def __init__(
        self,
        source: SchemaSource,
        files: tuple[descriptor_pb2.FileDescriptorProto, ...],
        file_references: Mapping[str, Reference],
    ) -> None:
        self.source = source
        self.files = files
        self.file = files[-1]
        self.file_references = dict(file_references)

    @cached_property
    def symbols(self) -> Symbols:
        return Symbols(self.files)

    @cached_property
    def _options(self) -> OptionReader:
        return OptionReader(self.files)

    @cached_property
    def canonical_text(self) -> str:
        return render(self.file, self.symbols, self._options)

    @cached_property
    def normalized_text(self) -> str:
        return render(self.file, self.symbols, self._options, normalize=True)

    @cached_property
    def serialized(self) -> str:
        """Base64 of the file's `FileDescriptorProto`: Confluent's `format=serialized`."""
        return base64.b64encode(self.file.SerializeToString(deterministic=True)).decode()

    @cached_property
    def pool(self) -> descriptor_pool.DescriptorPool:
        """A descriptor pool holding this file and its imports, for building messages."""
        pool = descriptor_pool.DescriptorPool()
        for file in self.files:
            pool.Add(file)
        return pool

    def __repr__(self) -> str:
        return f"ProtobufSchema({self.canonical_text[:80]!r})"


def decode_descriptor(text: str) -> descriptor_pb2.FileDescriptorProto | None:
    """The descriptor a base64 schema text holds; None when the text is not base64 at all.

    Raises `SchemaParseError` for text that is base64 but no valid descriptor.
    """
    compact = text.strip()
    if not _BASE64.match(compact):
        return None
    compact = "".join(compact.split())
    try:
        raw = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SchemaParseError(
            f"the schema is neither .proto text nor a base64 FileDescriptorProto: {exc}"
        ) from None
    try:
        file = descriptor_pb2.FileDescriptorProto.FromString(raw)
    except (DecodeError, RuntimeError) as exc:
        raise SchemaParseError(
            f"the base64 text is not a serialized FileDescriptorProto: {exc}"
        ) from None
    if not file.message_type and not file.enum_type and not file.name:
        raise SchemaParseError("the base64 text decodes to an empty FileDescriptorProto")
    return file


def parse_protobuf(source: SchemaSource, resolver: Resolver | None = None) -> ProtobufSchema:
    text = source.text
    if not text.strip():
        raise SchemaParseError("the schema is empty")
    if len(text) > _TEXT_BYTES_MAX:
        raise SchemaParseError("the schema is too large to compile")
    files: dict[str, str] = {}
    file_references: dict[str, Reference] = {}
    _load_references(source.references, resolver, files, file_references, stack=())
    descriptor = decode_descriptor(text)
    if descriptor is not None:
        text = _descriptor_text(descriptor, files)
    main = _main_name(files)
    files[main] = text
    _add_google_types(files)
    try:
        compiled = compile_file(main, files)
    except ProtocFailure as failure:
        raise _parse_error(
            failure, main, set(files) - {main}, from_descriptor=descriptor is not None
        ) from None
    ordered = [f for name, f in compiled.items() if name != main]
    return ProtobufSchema(source, (*ordered, compiled[main]), file_references)


def _main_name(files: Mapping[str, str]) -> str:
    name, n = MAIN_NAME, 0
    while name in files:
        n += 1
        name = f"schema_{n}.proto"
    return name


def _load_references(
    references: tuple[Reference, ...],
    resolver: Resolver | None,
    files: dict[str, str],
    file_references: dict[str, Reference] | None,
    *,
    stack: tuple[tuple[str, int], ...],
) -> None:
    """Put the text of every referenced file (depth first) into `files`, keyed by import path.

    `file_references` (for the schema's direct references only) records which reference
    supplied each file; a referenced descriptor is written out as text first.
    """
    for ref in references:
        if not valid_import_path(ref.name):
            raise ReferenceResolutionError(
                ref.name, "a Protobuf reference's name must be the relative path it is imported by"
            )
        key = (ref.subject, ref.version)
        if key in stack:
            chain = " -> ".join(f"{s}/{v}" for s, v in (*stack, key))
            raise ReferenceResolutionError(ref.name, f"references form a cycle: {chain}")
        if file_references is not None:
            file_references.setdefault(ref.name, ref)
        if ref.name in files:
            continue
        if resolver is None:
            raise ReferenceResolutionError(ref.name, "no resolver was given for references")
        try:
            referenced = resolver(ref)
        except LookupError as exc:
            raise ReferenceResolutionError(
                ref.name, f"subject {ref.subject!r} version {ref.version} not found ({exc})"
            ) from None
        if referenced.schema_type is not SchemaType.PROTOBUF:
            raise ReferenceResolutionError(
                ref.name, f"it is a {referenced.schema_type} schema, not a Protobuf one"
            )
        _load_references(referenced.references, resolver, files, None, stack=(*stack, key))
        try:
            descriptor = decode_descriptor(referenced.text)
            text = referenced.text if descriptor is None else _descriptor_text(descriptor, files)
        except SchemaParseError as exc:
            raise ReferenceResolutionError(ref.name, exc.message) from None
        files[ref.name] = text


def _add_google_types(files: dict[str, str]) -> None:
    """Put the `google/type/*.proto` files the sources import (and nobody supplied) in place."""
    for text in list(files.values()):
        for name in _GOOGLE_TYPE_IMPORT.findall(text):
            if name in GOOGLE_TYPE and name not in files:
                files[name] = source_of(name)


def _descriptor_text(descriptor: descriptor_pb2.FileDescriptorProto, files: dict[str, str]) -> str:
    """A descriptor as `.proto` text, after a descriptor pool has validated it."""
    imports = list(descriptor.dependency)
    for name in descriptor.dependency:
        if not valid_import_path(name):
            raise SchemaParseError(f"the descriptor imports an invalid path {name!r}")
        if name not in files and not is_well_known(name):
            raise SchemaParseError(
                f"the descriptor imports {name!r}, which is no reference of the schema and "
                "no well-known type"
            )
    deps = _compile_imports(imports, files) if imports else []
    pool = descriptor_pool.DescriptorPool()
    try:
        for dep in deps:
            pool.Add(dep)
        descriptor.ClearField("source_code_info")
        pool.Add(descriptor)
    except (TypeError, ValueError, KeyError) as exc:
        raise SchemaParseError(f"the descriptor is not a valid Protobuf file: {exc}") from None
    everything = (*deps, descriptor)
    return render(descriptor, Symbols(everything), OptionReader(everything))


def _compile_imports(
    imports: list[str], files: dict[str, str]
) -> list[descriptor_pb2.FileDescriptorProto]:
    """The descriptors of `imports` and what they import, compiled through a stub file."""
    stub = _main_name(files)
    lines = ['syntax = "proto3";', *(f'import "{name}";' for name in imports)]
    sources = {**files, stub: "\n".join(lines) + "\n"}
    _add_google_types(sources)
    try:
        compiled = compile_file(stub, sources)
    except ProtocFailure as failure:
        raise SchemaParseError(f"an import of the descriptor does not compile: {failure}") from None
    return [f for name, f in compiled.items() if name != stub]


def _parse_error(
    failure: ProtocFailure, main: str, supplied: set[str], *, from_descriptor: bool
) -> SchemaParseError:
    """protoc's messages as one error; a `ReferenceResolutionError` when a referenced file
    (one of `supplied`) is what fails to compile."""
    parts = []
    referenced: str | None = None
    for message in failure.messages:
        if message.file == main:
            where = f"line {message.line}, column {message.column}: " if message.line else ""
            parts.append(f"{where}{message.text}")
        elif message.file in supplied:
            referenced = referenced or message.file
            parts.append(str(message))
        elif message.text == "File not found.":
            parts.append(
                f"import {message.file!r} is neither a reference of the schema nor a "
                "well-known type"
            )
        else:
            parts.append(str(message))
    if len(parts) > _ERRORS_MAX:
        parts = [*parts[:_ERRORS_MAX], f"and {len(parts) - _ERRORS_MAX} more errors"]
    reason = "; ".join(parts)
    if referenced is not None:
        return ReferenceResolutionError(referenced, f"the imported file does not compile: {reason}")
    if from_descriptor:
        reason = f"{reason} (in the .proto rendering of the descriptor)"
    return SchemaParseError(f"invalid Protobuf schema: {reason}")
