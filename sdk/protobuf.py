"""Protobuf messages in the SDK: validation, Confluent's framing with message indexes, and the
registration of a message's file with its imports as reference subjects.

A Protobuf payload in Confluent's wire format:

| offset | size | meaning                                                    |
|--------|------|------------------------------------------------------------|
| 0      | 1    | magic byte, always 0                                       |
| 1      | 4    | schema id, unsigned 32-bit, big-endian                     |
| 5      | ...  | message indexes: a zig-zag varint count, then one zig-zag  |
|        |      | varint per index (the message's path in its file); `[0]`   |
|        |      | is the single byte 0x00                                    |
| ...    | ...  | the message's Protobuf bytes                               |

Messages are generated classes or dynamic ones (built from a descriptor pool); a schema is
given as the class or its `Descriptor`. As confluent-kafka's `ProtobufSerializer` does, the SDK
registers the message's file as base64 of its `FileDescriptorProto`, and every file it imports
under a subject named by the import path, except the files every registry resolves built in
(`google/protobuf/`, `google/type/`, `confluent/`): `skip.known.types`.

Validation on publish covers what the runtime lets through: proto2 (and editions) required
fields left unset, and numbers of open (proto3) enums that the enum does not define. Both are
reported as `ValidationError`s naming the field by its JSON-pointer path.

protobuf and protoc (through `compat.protobuf`) load when a Protobuf schema is first used, so
`import sdk` stays cheap.
"""

from __future__ import annotations

import base64
import keyword
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from compat import CompatError, Reference, SchemaSource, SchemaType
from sdk.errors import (
    ConfigurationError,
    DecodeError,
    SchemaResolutionError,
    ValidationError,
    Violation,
)
from sdk.wire import GUID_HEADER_SIZE, GUID_MAGIC_BYTE, HEADER_SIZE

if TYPE_CHECKING:
    from sdk.registry import RegisteredSchema, Registry, SchemaReference

__all__ = [
    "KNOWN_PREFIXES",
    "MessageValidator",
    "ProtobufCodec",
    "ProtobufFile",
    "file_references",
    "is_known_file",
    "is_message_schema",
    "message_class",
    "message_descriptor",
    "protobuf_file",
    "schema_text",
    "split_id_header",
]

KNOWN_PREFIXES = ("google/protobuf/", "google/type/", "confluent/")
_REFERENCE_DEPTH_MAX = 32
_PATHS_KNOWN_MAX = 16  # message types per schema id whose index bytes a decoder remembers


def is_known_file(name: str) -> bool:
    """Whether an import is one registries resolve built in (never registered as a subject)."""
    return name.startswith(KNOWN_PREFIXES)


def is_message_schema(schema: object) -> bool:
    """Whether `schema` is a Protobuf message class or a message `Descriptor`."""
    if "google.protobuf.message" not in sys.modules:
        return False  # no message class exists yet: an Avro or JSON user loads no protobuf
    from google.protobuf.descriptor import Descriptor
    from google.protobuf.message import Message

    return isinstance(schema, Descriptor) or (
        isinstance(schema, type) and issubclass(schema, Message) and schema is not Message
    )


def message_descriptor(schema: Any) -> Any:
    """The `Descriptor` of a message class (or the descriptor itself)."""
    from google.protobuf.descriptor import Descriptor

    if isinstance(schema, Descriptor):
        return schema
    found = getattr(schema, "DESCRIPTOR", None)
    if not isinstance(found, Descriptor):
        raise ConfigurationError(f"{schema!r} is not a Protobuf message class or descriptor")
    return found


def message_class(schema: Any) -> Any:
    """The message class of a schema given as a class (itself) or as a `Descriptor`."""
    if isinstance(schema, type):
        message_descriptor(schema)  # refuses a class that is no message
        return schema
    from google.protobuf import message_factory

    return message_factory.GetMessageClass(message_descriptor(schema))


def schema_text(file: Any) -> str:
    """What the SDK registers for a `FileDescriptor`: base64 of its `FileDescriptorProto`, the
    form confluent-kafka sends, so both clients register the same schema."""
    return base64.standard_b64encode(file.serialized_pb).decode("ascii")


def split_id_header(value: bytes) -> tuple[bytes, bytes]:
    """A schema-id record header split into the id part (0x01 + 16-byte GUID, or 0x00 + 4-byte
    id) and what follows it: Protobuf's message indexes, empty for Avro and JSON."""
    size = GUID_HEADER_SIZE if value[:1] == bytes([GUID_MAGIC_BYTE]) else HEADER_SIZE
    return bytes(value[:size]), bytes(value[size:])


def file_references(
    registry: Registry, file: Any, *, auto_register: bool, normalize: bool = False, depth: int = 0
) -> tuple[SchemaReference, ...]:
    """The references of `file`: one per import that is not a known file, its subject named
    by the import path. With `auto_register` each imported file (imports first) is registered
    there; otherwise it must already be."""
    from sdk.registry import SchemaReference

    if depth > _REFERENCE_DEPTH_MAX:
        raise ConfigurationError(f"imports nest deeper than {_REFERENCE_DEPTH_MAX} files")
    found: list[SchemaReference] = []
    for dependency in file.dependencies:
        if is_known_file(dependency.name):
            continue
        inner = file_references(
            registry, dependency, auto_register=auto_register, normalize=normalize, depth=depth + 1
        )
        text, subject = schema_text(dependency), dependency.name
        if auto_register:
            registry.register(subject, text, "PROTOBUF", inner, normalize=normalize)
        version = registry.lookup(subject, text, "PROTOBUF", inner, normalize=normalize).version
        if version is None:
            raise ConfigurationError(f"the registry named no version for subject {subject!r}")
        found.append(SchemaReference(dependency.name, subject, version))
    return tuple(found)


# --- validation -------------------------------------------------------------------------------

# A plan lists, per message, the fields that can hold an unknown enum number: open-enum fields,
# and message fields whose type (transitively) has one. Messages without any get no plan, so
# validating them costs nothing beyond the runtime's own required-field check.
_ENUM, _ENUMS, _MAP_ENUM, _MESSAGE, _MESSAGES, _MAP_MESSAGE = range(6)
Step = tuple[int, str, Any]  # (kind, field name, known numbers or the nested plan)


def _is_map(field: Any) -> bool:
    message = field.message_type
    return bool(message is not None and message.GetOptions().map_entry)


def _open_enum(field: Any) -> Any:
    enum = field.enum_type
    return enum if enum is not None and not enum.is_closed else None


def _with_open_enums(root: Any) -> set[str]:
    """Full names of the messages reachable from `root` that can hold an unknown enum number."""
    reachable: dict[str, Any] = {}
    pending = [root]
    while pending:
        message = pending.pop()
        if message.full_name in reachable:
            continue
        reachable[message.full_name] = message
        pending.extend(f.message_type for f in message.fields if f.message_type is not None)
    marked = {
        name for name, m in reachable.items() if any(_open_enum(f) for f in m.fields)
    }
    changed = True
    while changed:  # a fixed point: recursive messages are marked once a member is
        changed = False
        for name, message in reachable.items():
            if name not in marked and any(
                f.message_type is not None and f.message_type.full_name in marked
                for f in message.fields
            ):
                marked.add(name)
                changed = True
    return marked


def _plans(root: Any) -> dict[str, list[Step]]:
    marked = _with_open_enums(root)
    plans: dict[str, list[Step]] = {name: [] for name in marked}
    pending, seen = [root], set()
    while pending:
        message = pending.pop()
        if message.full_name not in marked or message.full_name in seen:
            continue
        seen.add(message.full_name)
        steps = plans[message.full_name]
        for field in message.fields:
            repeated = field.is_repeated
            if _is_map(field):
                value = field.message_type.fields_by_name["value"]
                enum = _open_enum(value)
                if enum is not None:
                    steps.append((_MAP_ENUM, field.name, enum))
                elif value.message_type is not None and value.message_type.full_name in marked:
                    steps.append((_MAP_MESSAGE, field.name, plans[value.message_type.full_name]))
                    pending.append(value.message_type)
            elif (enum := _open_enum(field)) is not None:
                steps.append((_ENUMS if repeated else _ENUM, field.name, enum))
            elif field.message_type is not None and field.message_type.full_name in marked:
                kind = _MESSAGES if repeated else _MESSAGE
                steps.append((kind, field.name, plans[field.message_type.full_name]))
                pending.append(field.message_type)
    # Enum steps carry the enum until here; the check wants its numbers as a frozenset.
    for steps in plans.values():
        for i, (kind, name, arg) in enumerate(steps):
            if kind in (_ENUM, _ENUMS, _MAP_ENUM):
                steps[i] = (kind, name, (frozenset(arg.values_by_number), arg))
    return plans


def _checker(plans: Mapping[str, list[Step]], root: str) -> Callable[[Any], bool]:
    """A function telling whether a message of type `root` holds only known enum numbers.

    It is generated Python: one function per message type, with the checks of the message
    types it reaches inlined (`if m.data.currency not in K0: return False`); singular enum
    fields of one enum are tested together by one `issuperset` call. An unset singular message
    reads as its default instance, whose open enums are 0, a known number; so only a type
    that recurses into itself needs `HasField` and a call, which stops at the first unset one.
    """
    name_of = {id(steps): name for name, steps in plans.items()}
    constants: dict[str, frozenset[int]] = {}
    functions = {name: f"_check_{i}" for i, name in enumerate(plans)}
    lines: list[str] = []
    counter = iter(range(1 << 30))

    def known(numbers: frozenset[int]) -> str:
        for constant, value in constants.items():
            if value is numbers:
                return constant
        constant = f"K{len(constants)}"
        constants[constant] = numbers
        return constant

    def attr(expr: str, field: str) -> str:
        return f"getattr({expr}, {field!r})" if keyword.iskeyword(field) else f"{expr}.{field}"

    def emit(expr: str, steps: list[Step], stack: tuple[str, ...], indent: str) -> None:
        grouped: dict[str, list[str]] = {}
        for kind, field, arg in steps:
            if kind == _ENUM:
                grouped.setdefault(known(arg[0]), []).append(attr(expr, field))
        for constant, values in grouped.items():
            if len(values) == 1:
                lines.append(f"{indent}if {values[0]} not in {constant}: return False")
            else:
                lines.append(
                    f"{indent}if not {constant}.issuperset(({', '.join(values)},)): return False"
                )
        for kind, field, arg in steps:
            value = attr(expr, field)
            if kind == _ENUMS:
                lines.append(f"{indent}if not {known(arg[0])}.issuperset({value}): return False")
            elif kind == _MAP_ENUM:
                lines.append(
                    f"{indent}if not {known(arg[0])}.issuperset({value}.values()): return False"
                )
            elif kind in (_MESSAGE, _MESSAGES, _MAP_MESSAGE):
                child = name_of[id(arg)]
                var = f"v{next(counter)}"
                if kind == _MESSAGE and child in stack:
                    lines.append(
                        f"{indent}if {expr}.HasField({field!r}) and not "
                        f"{functions[child]}({value}): return False"
                    )
                elif kind == _MESSAGE:
                    lines.append(f"{indent}{var} = {value}")
                    emit(var, arg, (*stack, child), indent)
                else:
                    items = f"{value}.values()" if kind == _MAP_MESSAGE else value
                    lines.append(f"{indent}for {var} in {items}:")
                    if child in stack:
                        lines.append(f"{indent}    if not {functions[child]}({var}): return False")
                    else:
                        emit(var, arg, (*stack, child), indent + "    ")

    for name, steps in plans.items():
        lines.append(f"def {functions[name]}(m):")
        emit("m", steps, (name,), "    ")
        lines.append("    return True")
    namespace: dict[str, Any] = dict(constants)
    exec(compile("\n".join(lines), f"<enum check of {root}>", "exec"), namespace)
    found: Callable[[Any], bool] = namespace[functions[root]]
    return found


def _enum_violations(message: Any, plan: list[Step], path: str) -> Iterator[Violation]:
    for kind, name, arg in plan:
        here = f"{path}/{name}"
        if kind in (_ENUM, _ENUMS, _MAP_ENUM):
            known, enum = arg
            value = getattr(message, name)
            if kind == _ENUM:
                found: Iterator[tuple[str, int]] = iter([(here, value)])
            elif kind == _ENUMS:
                found = ((f"{here}/{i}", v) for i, v in enumerate(value))
            else:
                found = ((f"{here}/{_pointer(k)}", v) for k, v in value.items())
            for where, number in found:
                if number not in known:
                    names = ", ".join(f"{v.name}={v.number}" for v in enum.values)
                    yield Violation(
                        where,
                        f"field {name!r}: {number} is not a value of enum {enum.full_name} "
                        f"({names})",
                    )
        elif kind == _MESSAGE:
            if message.HasField(name):
                yield from _enum_violations(getattr(message, name), arg, here)
        else:
            items = getattr(message, name)
            pairs = items.items() if kind == _MAP_MESSAGE else enumerate(items)
            for key, item in pairs:
                yield from _enum_violations(item, arg, f"{here}/{_pointer(key)}")


def _pointer(key: object) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def _path_parts(path: str) -> list[str]:
    """protobuf's path of a field (`a.b[0].c`, `m["k"].n`) split into its steps."""
    parts: list[str] = []
    name, i = "", 0
    while i < len(path):
        char = path[i]
        if char in ".[" and name:
            parts.append(name)
            name = ""
        if char == "[":
            end = path.find("]", i)
            if path.startswith('"', i + 1):  # a string map key, quoted with C escapes
                end, key = i + 2, []
                while end < len(path) and path[end] != '"':
                    if path[end] == "\\" and end + 1 < len(path):
                        end += 1
                    key.append(path[end])
                    end += 1
                parts.append("".join(key))
                end = path.find("]", end)
            else:
                parts.append(path[i + 1 : end])
            i = len(path) if end < 0 else end
        elif char != ".":
            name += char
        i += 1
    return [*parts, name] if name else parts


def _required_violations(message: Any) -> list[Violation]:
    """The required fields left unset, by JSON pointer."""
    found = []
    for path in message.FindInitializationErrors():
        parts = _path_parts(path)
        found.append(
            Violation(
                "/" + "/".join(_pointer(p) for p in parts),
                f"required field {parts[-1]!r} is not set",
            )
        )
    return found


class MessageValidator:
    """Checks what the Protobuf runtime accepts but a contract refuses (see the module doc)."""

    def __init__(self, descriptor: Any) -> None:
        self.descriptor = descriptor
        plans = _plans(descriptor)
        self._plan: list[Step] | None = plans.get(descriptor.full_name)
        # None when the message can hold no unknown enum number: nothing to check
        self.check: Callable[[Any], bool] | None = (
            None if self._plan is None else _checker(plans, descriptor.full_name)
        )

    def enums_valid(self, message: Any) -> bool:
        check = self.check
        return check is None or check(message)

    def violations(self, message: Any) -> list[Violation]:
        found = _required_violations(message)
        if self._plan is not None:
            found.extend(_enum_violations(message, self._plan, ""))
        return found


# --- codecs -----------------------------------------------------------------------------------


def _file_proto(file: Any) -> Any:
    """A `FileDescriptorProto` of `file` with its name cleared, for comparing two files."""
    from google.protobuf import descriptor_pb2

    proto = descriptor_pb2.FileDescriptorProto.FromString(file.serialized_pb)
    proto.ClearField("name")
    return proto


def _same_file(a: Any, b: Any) -> bool:
    return a is b or _file_proto(a) == _file_proto(b)


class ProtobufCodec:
    """Validates, encodes and frames one message type (a class, generated or dynamic)."""

    schema_type = "PROTOBUF"

    def __init__(self, message_class: Any) -> None:
        from google.protobuf import json_format
        from google.protobuf.message import EncodeError, Message

        from compat.protobuf.indexes import encode_message_indexes, message_indexes

        self.message_class = message_class
        self.descriptor = descriptor = message_class.DESCRIPTOR
        self.full_name: str = descriptor.full_name
        self.validator = MessageValidator(descriptor)
        self._enums_valid = self.validator.check
        self.path = message_indexes(_file_proto(descriptor.file), descriptor.full_name)
        self.indexes = encode_message_indexes(self.path)
        self._encode_error = EncodeError
        self._message_type = Message
        self._parse_dict = json_format.ParseDict
        self._accepted: set[type] = {message_class}
        # (header, header + indexes) of the last id written with, swapped as one tuple so that
        # threads sharing the codec never pair one id's header with another's prefix
        # (starts with no header: b"" is an interned object, and `is` would take it as seen)
        self._framing: tuple[bytes | None, bytes] = (None, b"")

    def check(self, value: Any, subject: str | None, schema_id: int | None) -> None:
        message = self._message(value, subject, schema_id)
        if not message.IsInitialized() or not self.validator.enums_valid(message):
            raise ValidationError(
                self.validator.violations(message), subject=subject, schema_id=schema_id
            )

    def encode(self, value: Any, header: bytes, subject: str | None, schema_id: int) -> bytes:
        if type(value) not in self._accepted:
            value = self._message(value, subject, schema_id)
        enums_valid = self._enums_valid
        if enums_valid is not None and not enums_valid(value):
            raise ValidationError(
                self.validator.violations(value), subject=subject, schema_id=schema_id
            )
        try:
            payload: bytes = value.SerializeToString()
        except self._encode_error:  # required fields unset
            raise ValidationError(
                _required_violations(value), subject=subject, schema_id=schema_id
            ) from None
        last, prefix = self._framing
        if header is not last:
            prefix = header + self.indexes
            self._framing = (header, prefix)
        return prefix + payload

    def _message(self, value: Any, subject: str | None, schema_id: int | None) -> Any:
        """`value` as a message of this codec's type: an accepted class, another class of the
        same message from the same file, or a mapping in Protobuf's JSON mapping."""
        kind = type(value)
        if kind in self._accepted:
            return value
        if isinstance(value, self._message_type):
            theirs = value.DESCRIPTOR
            if theirs.full_name != self.full_name:
                raise ValidationError(
                    [Violation("", f"a {theirs.full_name} message, expected {self.full_name}")],
                    subject=subject,
                    schema_id=schema_id,
                )
            if not _same_file(theirs.file, self.descriptor.file):
                raise ConfigurationError(
                    f"the {theirs.full_name} class comes from a file other than the schema "
                    f"written with{f' (id {schema_id})' if schema_id is not None else ''}; "
                    "pass the class as schema= to write with its own schema"
                )
            self._accepted.add(kind)
            return value
        if isinstance(value, Mapping):
            from google.protobuf.json_format import ParseError

            try:
                return self._parse_dict(value, self.message_class())
            except ParseError as exc:
                raise ValidationError(
                    [Violation("", str(exc))], subject=subject, schema_id=schema_id
                ) from None
        raise ValidationError(
            [Violation("", f"a {kind.__name__}, expected a {self.full_name} message or mapping")],
            subject=subject,
            schema_id=schema_id,
        )


def _class_for(descriptor: Any, file: Any) -> Any:
    """The class to build messages of `descriptor` with: the application's generated class
    when one for the same message from the same file is loaded, else a dynamic class."""
    from google.protobuf import descriptor_pool, message_factory

    try:
        loaded = descriptor_pool.Default().FindMessageTypeByName(descriptor.full_name)
    except KeyError:
        loaded = None
    if loaded is not None and _same_file(loaded.file, file):
        return message_factory.GetMessageClass(loaded)
    return message_factory.GetMessageClass(descriptor)


class ProtobufFile:
    """A registered Protobuf schema: its file in a descriptor pool, the codec of each of its
    messages (for writing with the subject's latest version) and decoders (for reading)."""

    schema_type = "PROTOBUF"

    def __init__(self, file: Any, file_proto: Any) -> None:
        self.file = file
        self._proto = file_proto
        self._codecs: dict[str, ProtobufCodec] = {}
        self._classes: dict[tuple[int, ...], Any] = {}
        self._by_class: dict[type, ProtobufCodec] = {}

    def message_class(self, path: tuple[int, ...]) -> Any:
        """The class of the message at index `path` (`MessageIndexError` if there is none)."""
        from compat.protobuf.indexes import message_name

        found = self._classes.get(path)
        if found is None:
            name = message_name(self._proto, path)
            descriptor = self.file.pool.FindMessageTypeByName(name)
            found = self._classes[path] = _class_for(descriptor, self.file)
        return found

    def codec(self, full_name: str) -> ProtobufCodec:
        """The codec of message `full_name` of this file (`MessageIndexError` if it has none)."""
        from compat.protobuf.indexes import message_indexes

        found = self._codecs.get(full_name)
        if found is None:
            path = tuple(message_indexes(self._proto, full_name))
            found = self._codecs[full_name] = ProtobufCodec(self.message_class(path))
        return found

    def _codec_of(self, value: Any, subject: str | None, schema_id: int | None) -> ProtobufCodec:
        found = self._by_class.get(type(value))
        if found is not None:
            return found
        from compat.protobuf.indexes import MessageIndexError, message_name

        name = getattr(getattr(value, "DESCRIPTOR", None), "full_name", None)
        if name is None:  # a mapping: the file's first message, as readers assume for [0]
            if not self._proto.message_type:
                raise ConfigurationError("the schema defines no message")
            found = self._by_class[type(value)] = self.codec(message_name(self._proto, [0]))
            return found
        try:
            found = self.codec(name)
        except MessageIndexError:
            raise ValidationError(
                [Violation("", f"the schema defines no message {name}")],
                subject=subject,
                schema_id=schema_id,
            ) from None
        found.check(value, subject, schema_id)  # same file, or ConfigurationError
        self._by_class[type(value)] = found
        return found

    def check(self, value: Any, subject: str | None, schema_id: int | None) -> None:
        self._codec_of(value, subject, schema_id).check(value, subject, schema_id)

    def encode(self, value: Any, header: bytes, subject: str | None, schema_id: int) -> bytes:
        return self._codec_of(value, subject, schema_id).encode(value, header, subject, schema_id)

    def decoder(self, schema_id: int, reader_class: Any | None) -> Callable[[bytes], Any]:
        """A function from framed bytes to the message they hold: of the writer's message type
        (the application's generated class when it has one loaded), or of `reader_class`."""
        from google.protobuf.message import DecodeError as ProtobufDecodeError

        from compat.protobuf.indexes import MessageIndexError, read_message_indexes

        if not self._proto.message_type:
            raise SchemaResolutionError(
                f"schema id {schema_id} defines no message", writer_id=schema_id
            )
        # (index bytes, where the message starts, class) per path seen: the encodings of
        # index paths are prefix-free, so the first that starts the payload is its path.
        known: list[tuple[bytes, int, Any]] = []

        def resolve(path: tuple[int, ...]) -> Any:
            if reader_class is None:
                return self.message_class(path)
            self._check_reader(reader_class, path, schema_id)
            return reader_class

        def parse(cls: Any, payload: bytes) -> Any:
            try:
                return cls.FromString(payload)
            except ProtobufDecodeError as exc:
                raise DecodeError(
                    f"the payload does not decode as {cls.DESCRIPTOR.full_name} with schema id "
                    f"{schema_id}: {exc}",
                    schema_id=schema_id,
                ) from None

        def first_seen(data: bytes) -> Any:
            try:
                path, start = read_message_indexes(data, HEADER_SIZE)
                cls = resolve(tuple(path))
            except MessageIndexError as exc:
                raise DecodeError(
                    f"the message indexes of schema id {schema_id} are invalid: {exc}",
                    schema_id=schema_id,
                ) from None
            if len(known) < _PATHS_KNOWN_MAX:
                known.append((data[HEADER_SIZE:start], start, cls))
            return parse(cls, data[start:])

        def decode(data: bytes) -> Any:
            for key, start, cls in known:
                if data.startswith(key, HEADER_SIZE):
                    return parse(cls, data[start:])
            return first_seen(data)

        return decode

    def _check_reader(self, reader_class: Any, path: tuple[int, ...], schema_id: int) -> None:
        from compat.protobuf.indexes import message_name

        writer = message_name(self._proto, path) if self._proto.message_type else ""
        reader = reader_class.DESCRIPTOR.full_name
        if writer != reader:
            raise SchemaResolutionError(
                f"schema id {schema_id} wrote a {writer} message; the reader class is {reader}",
                writer_id=schema_id,
            )


def protobuf_file(registry: Registry, registered: RegisteredSchema) -> ProtobufFile:
    """The `ProtobufFile` of a schema fetched from the registry, its references resolved
    through it; compiled once per schema (the caller keeps it)."""
    from compat.protobuf import parse_protobuf

    def resolve(reference: Reference) -> SchemaSource:
        found = registry.get_version(reference.subject, reference.version)
        return SchemaSource(
            found.schema,
            SchemaType(found.schema_type.upper()),
            tuple(Reference(r.name, r.subject, r.version) for r in found.references),
        )

    source = SchemaSource(
        registered.schema,
        SchemaType.PROTOBUF,
        tuple(Reference(r.name, r.subject, r.version) for r in registered.references),
    )
    try:
        schema = parse_protobuf(source, resolve)
    except CompatError as exc:
        raise SchemaResolutionError(
            f"schema id {registered.schema_id} is not a valid Protobuf schema: {exc}",
            writer_id=registered.schema_id,
        ) from None
    return ProtobufFile(schema.pool.FindFileByName(schema.file.name), schema.file)
