"""`Serializer` and `Deserializer`: validate, encode and frame values; check, fetch and decode.

Subjects follow Confluent's naming strategies:

| strategy       | subject                                  |
|----------------|------------------------------------------|
| `topic`        | `<topic>-value`, or `<topic>-key` for keys |
| `record`       | the record's full name (Avro), `title` (JSON Schema) or message name (Protobuf) |
| `topic_record` | `<topic>-<record full name>`             |
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sdk import wire
from sdk.codecs import AvroCodec, Codec, JsonCodec, codec_for, infer_schema_type, load_schema
from sdk.codecs import record_name as schema_record_name
from sdk.errors import (
    ConfigurationError,
    DecodeError,
    SchemaResolutionError,
    SdkError,
    WireFormatError,
)
from sdk.event import Event
from sdk.json_check import JsonValidator
from sdk.protobuf import (
    ProtobufCodec,
    ProtobufFile,
    file_references,
    is_message_schema,
    message_class,
    protobuf_file,
    schema_text,
    split_id_header,
)
from sdk.registry import RegisteredSchema, Registry, SchemaReference, references_in_order
from sdk.rules import DeadLetterSink, RuleEngine
from sdk.wire import HEADER_SIZE, header, schema_id_of

__all__ = ["Deserializer", "Serializer", "Strategy", "subject_name"]

Strategy = Literal["topic", "record", "topic_record"]
# A Protobuf schema is a message class (generated or dynamic) or its `Descriptor`.
SchemaInput = str | Mapping[str, Any] | Sequence[Any] | type[Any]
AnyCodec = Codec | ProtobufCodec | ProtobufFile
IdLocation = Literal["prefix", "header"]


def subject_name(
    strategy: Strategy, *, topic: str | None, key: bool = False, record: str | None = None
) -> str:
    """The subject a strategy gives for a topic and/or record full name."""
    if strategy == "topic":
        if not topic:
            raise ConfigurationError("the topic strategy needs a topic")
        return f"{topic}-{'key' if key else 'value'}"
    if strategy in ("record", "topic_record"):
        if not record:
            raise ConfigurationError(
                f"the {strategy} strategy needs a schema with a record name (Avro name or "
                "JSON Schema title); pass schema= or subject="
            )
        if strategy == "record":
            return record
        if not topic:
            raise ConfigurationError("the topic_record strategy needs a topic")
        return f"{topic}-{record}"
    raise ConfigurationError(f"unknown subject name strategy {strategy!r}")


def _named_schemas(registry: Registry, references: Sequence[SchemaReference]) -> dict[str, Any]:
    """The schemas `references` point at, by reference name, dependencies first."""
    named: dict[str, Any] = {}
    for ref, found in references_in_order(registry, references):
        named[ref.name] = load_schema(found.schema)[1]
    return named


def _codec(registry: Registry, registered: RegisteredSchema) -> AnyCodec:
    if registered.schema_type.upper() == "PROTOBUF":
        return protobuf_file(registry, registered)
    named = _named_schemas(registry, registered.references) if registered.references else None
    return codec_for(load_schema(registered.schema)[1], registered.schema_type, named=named)


def _rules(registry: Registry, registered: RegisteredSchema, codec: AnyCodec) -> RuleEngine | None:
    """The engine for the domain rules of `registered`, walking values with `codec`'s schema
    (a JSON Schema's `$ref`s to its references resolve to their schemas; Protobuf messages take
    message-level rules only, so they need no schema walk)."""
    if not registered.rule_set:
        return None
    schema: Any = None
    if isinstance(codec, AvroCodec):
        schema = codec.parsed
    elif codec.schema_type == "JSON":
        schema = getattr(codec, "schema", None)
    referenced = None
    if codec.schema_type == "JSON" and registered.references:
        referenced = _named_schemas(registry, registered.references)
    return RuleEngine.of(registered.rule_set, registered.metadata, codec.schema_type, schema,
                         referenced=referenced)


@dataclass(frozen=True, slots=True)
class _Target:
    schema_id: int
    header: bytes
    codec: AnyCodec
    expires_at: float  # monotonic seconds; inf when the schema is pinned
    rules: RuleEngine | None = None
    guid: str | None = None


def _decode_error(schema_id: int, exc: Exception) -> DecodeError:
    return DecodeError(
        f"the payload does not decode as Avro with schema id {schema_id}: "
        f"{type(exc).__name__}: {exc}",
        schema_id=schema_id,
    )


class Serializer:
    """Validates a value against its subject's schema, encodes it and frames it with the id.

    Without `schema` it writes with the subject's latest version (re-read after the registry
    client's `latest_ttl_s`). With `schema` it writes with that schema: looked up under the
    subject, or registered there when `auto_register` is true.

    A Protobuf `schema` is a message class or descriptor; its file is registered as
    confluent-kafka does, each import (but the known `google/` and `confluent/` files) under a
    subject named by its import path, unless `references` are given.

    The schema's WRITE and WRITEREAD domain rules run on each value before it is encoded
    (`sdk.rules`); a rule whose `onFailure` is DLQ hands the value to `dead_letters` first.
    `schema_id_location="header"` writes the schema's GUID in the `__value_schema_id` (or
    `__key_schema_id`) record header and leaves the payload unframed, as confluent-kafka's
    `header_schema_id_serializer`: pass `headers=` to `serialize`.
    """

    def __init__(
        self,
        registry: Registry,
        subject: str | None = None,
        *,
        topic: str | None = None,
        key: bool = False,
        strategy: Strategy = "topic",
        schema: SchemaInput | None = None,
        schema_type: str | None = None,
        references: Sequence[SchemaReference] = (),
        auto_register: bool = False,
        normalize: bool = False,
        schema_id_location: IdLocation = "prefix",
        dead_letters: DeadLetterSink | None = None,
    ) -> None:
        self.registry = registry
        self.auto_register = auto_register
        self.normalize = normalize
        if schema_id_location not in ("prefix", "header"):
            raise ConfigurationError(
                f"schema_id_location is 'prefix' or 'header', not {schema_id_location!r}"
            )
        self.schema_id_location = schema_id_location
        self.dead_letters = dead_letters
        self.key = key
        self._references = tuple(references)
        self._lock = threading.Lock()
        self._target: _Target | None = None
        self._codec: AnyCodec | None = None
        self._schema_text: str | None = None
        self._file: Any = None  # a Protobuf schema's FileDescriptor, for its imports
        self.schema_type: str | None = None
        record: str | None = None
        if schema is not None and is_message_schema(schema):
            codec = ProtobufCodec(message_class(schema))
            self.schema_type = "PROTOBUF"
            self._codec, self._file = codec, codec.descriptor.file
            self._schema_text = schema_text(self._file)
            record = codec.full_name
        elif schema is not None:
            if isinstance(schema, type):
                raise ConfigurationError(f"{schema!r} is not a Protobuf message class")
            self._schema_text, loaded = load_schema(schema)
            self.schema_type = (schema_type or infer_schema_type(loaded)).upper()
            named = _named_schemas(registry, self._references) if self._references else None
            self._codec = codec_for(loaded, self.schema_type, named=named)
            record = schema_record_name(loaded, self.schema_type)
        elif auto_register:
            raise ConfigurationError("auto_register needs the schema to register: pass schema=")
        self.subject = subject or subject_name(strategy, topic=topic, key=key, record=record)

    def serialize(self, value: Any, headers: list[tuple[str, bytes | None]] | None = None) -> bytes:
        """`value` (a mapping, an `Event`, or a Protobuf message) validated, encoded and framed.

        Raises `ValidationError` listing every violation before anything is encoded or sent
        (`sdk.rules.RuleError` for a failed domain rule). `headers`: the record's headers, read
        for a dead-letter replay's `__rule.name` and, with `schema_id_location="header"`,
        given the schema-id header.
        """
        if isinstance(value, Event):
            value = value.to_dict()
        target = self._target
        if target is None or target.expires_at < time.monotonic():
            if target is None and self._codec is not None:
                self._codec.check(value, self.subject, None)  # before the registry hears of it
            target = self._resolve()
        if target.rules is not None:
            value = target.rules.run("WRITE", value, subject=self.subject, headers=headers,
                                     dead_letters=self.dead_letters)
        if self.schema_id_location == "header":
            return self._encode_for_header(target, value, headers)
        return target.codec.encode(value, target.header, self.subject, target.schema_id)

    def _encode_for_header(
        self, target: _Target, value: Any, headers: list[tuple[str, bytes | None]] | None
    ) -> bytes:
        if headers is None:
            raise ConfigurationError("schema_id_location='header' needs the record's headers=")
        if target.guid is None:
            raise ConfigurationError(
                f"the registry gave no GUID for schema id {target.schema_id}; the header "
                "carries the GUID"
            )
        name = wire.KEY_SCHEMA_ID_HEADER if self.key else wire.VALUE_SCHEMA_ID_HEADER
        encoded = target.codec.encode(value, b"", self.subject, target.schema_id)
        ids = wire.guid_header(target.guid)
        if target.codec.schema_type == "PROTOBUF":
            # As confluent-kafka writes it: the message indexes follow the GUID in the header,
            # and the payload is the bare message.
            from compat.protobuf.indexes import read_message_indexes

            start = read_message_indexes(encoded)[1]
            ids, encoded = ids + encoded[:start], encoded[start:]
        headers.append((name, ids))
        return encoded

    __call__ = serialize

    @property
    def schema_id(self) -> int:
        """The id values are written with (asks the registry on first use)."""
        target = self._target
        if target is None or target.expires_at < time.monotonic():
            target = self._resolve()
        return target.schema_id

    def _resolve(self) -> _Target:
        with self._lock:
            target = self._target
            if target is not None and target.expires_at >= time.monotonic():
                return target
            if self._codec is not None and self._schema_text is not None:
                assert self.schema_type is not None
                if self._file is not None and not self._references:
                    self._references = file_references(
                        self.registry,
                        self._file,
                        auto_register=self.auto_register,
                        normalize=self.normalize,
                    )
                find = self.registry.register_schema if self.auto_register else self.registry.lookup
                found = find(
                    self.subject,
                    self._schema_text,
                    self.schema_type,
                    self._references,
                    normalize=self.normalize,
                )
                schema_id = found.schema_id
                target = _Target(schema_id, header(schema_id), self._codec, float("inf"),
                                 _rules(self.registry, found, self._codec), found.guid)
            else:
                latest = self.registry.latest(self.subject)
                codec = (
                    target.codec
                    if target is not None and target.schema_id == latest.schema_id
                    else _codec(self.registry, latest)
                )
                self.schema_type = latest.schema_type
                expires = time.monotonic() + self.registry.latest_ttl_s
                rules = (target.rules if target is not None and target.codec is codec
                         else _rules(self.registry, latest, codec))
                target = _Target(latest.schema_id, header(latest.schema_id), codec, expires,
                                 rules, latest.guid)
            self._target = target
            return target


class Deserializer:
    """Checks the header, fetches the writer schema by id and decodes the payload.

    With an Avro `reader_schema`, data written with any compatible writer schema is resolved
    into the reader's shape (added fields take their defaults, removed ones are dropped). With
    a JSON `reader_schema`, values are validated against it instead of the writer schema.
    `validate=False` skips JSON validation on read. Protobuf payloads decode to messages of
    the writer's message type (the application's generated class when it has that file
    loaded, else a dynamic class), or of a message class given as `reader_schema`.
    """

    def __init__(
        self,
        registry: Registry,
        *,
        reader_schema: SchemaInput | None = None,
        schema_type: str | None = None,
        validate: bool = True,
    ) -> None:
        self.registry = registry
        self.validate = validate
        self._reader: Codec | None = None
        self._reader_class: Any = None
        if reader_schema is not None and is_message_schema(reader_schema):
            self._reader_class = message_class(reader_schema)
        elif reader_schema is not None:
            if isinstance(reader_schema, type):
                raise ConfigurationError(f"{reader_schema!r} is not a Protobuf message class")
            loaded = load_schema(reader_schema)[1]
            kind = (schema_type or infer_schema_type(loaded)).upper()
            self._reader = codec_for(loaded, kind)
        self._decoders: dict[int, Callable[[bytes], Any]] = {}
        # the 5-byte prefix -> (schema id, decoder): one lookup per value
        self._by_header: dict[bytes, tuple[int, Callable[[bytes], Any]]] = {}
        self._read_rules: dict[int, RuleEngine] = {}  # the writer schemas' READ rules
        self._lock = threading.Lock()

    def deserialize(
        self, data: bytes, headers: wire.Headers | None = None, *, key: bool = False
    ) -> Any:
        """The value in `data`, its writer schema named by the record's schema-id header
        (`__value_schema_id`, or `__key_schema_id` with `key`) when it has one, else by the
        payload's 5-byte prefix. Raises `WireFormatError` when neither names a schema."""
        if headers:
            found = wire.header_value(
                headers, wire.KEY_SCHEMA_ID_HEADER if key else wire.VALUE_SCHEMA_ID_HEADER
            )
            if found is not None:
                return self._by_id_header(data, found, headers)[1]
        try:  # keyed by the whole 5-byte header: a hit means a valid magic byte and length
            entry = self._by_header.get(data[:HEADER_SIZE])
        except TypeError:  # bytearray and memoryview slices are not hashable
            entry = None
        if entry is None:
            entry, data = self._entry(data), bytes(data)
        try:
            value = entry[1](data)
        except SdkError:
            raise
        except Exception as exc:  # the generated Avro decoders leave translation to us
            raise _decode_error(entry[0], exc) from None
        if self._read_rules:
            rules = self._read_rules.get(entry[0])
            if rules is not None:
                value = rules.run("READ", value, headers=headers)
        return value

    __call__ = deserialize

    def deserialize_with_id(
        self, data: bytes, headers: wire.Headers | None = None, *, key: bool = False
    ) -> tuple[int | None, Any]:
        """`deserialize`, and the schema id the record names: the payload prefix's, or the
        schema-id header's (None when the header names the schema by its GUID)."""
        if headers:
            found = wire.header_value(
                headers, wire.KEY_SCHEMA_ID_HEADER if key else wire.VALUE_SCHEMA_ID_HEADER
            )
            if found is not None:
                return self._by_id_header(data, found, headers)
        try:
            entry = self._by_header.get(data[:HEADER_SIZE])
        except TypeError:
            entry = None
        if entry is None:
            entry, data = self._entry(data), bytes(data)
        schema_id = entry[0]
        try:
            value = entry[1](data)
        except SdkError:
            raise
        except Exception as exc:
            raise _decode_error(schema_id, exc) from None
        if self._read_rules:
            rules = self._read_rules.get(schema_id)
            if rules is not None:
                value = rules.run("READ", value, headers=headers)
        return schema_id, value

    def _entry(self, data: bytes) -> tuple[int, Callable[[bytes], Any]]:
        """The schema id in the prefix of `data` and its decoder, cached by the prefix."""
        schema_id = schema_id_of(data)  # raises WireFormatError with the reason
        entry = (schema_id, self._decoder(schema_id))
        if isinstance(data, bytes):
            self._by_header[data[:HEADER_SIZE]] = entry
        return entry

    def _by_id_header(
        self, data: bytes, found: bytes, headers: wire.Headers
    ) -> tuple[int | None, Any]:
        """The value of a record whose schema-id header `found` names its writer schema."""
        found, indexes = split_id_header(found)  # Protobuf's message indexes follow the id
        ref = wire.read_id_header(found)
        schema_id = ref.schema_id
        if schema_id is None:
            assert ref.guid is not None
            schema_id = self.registry.schema_id_of_guid(ref.guid)
        if indexes and self.registry.get_schema(schema_id).schema_type != "PROTOBUF":
            raise WireFormatError(
                f"the schema id header carries {len(indexes)} byte(s) after the id, but "
                f"schema id {schema_id} is no Protobuf schema"
            )
        framed = wire.header(schema_id) + indexes + bytes(data)  # decoders read framed bytes
        decode = self._decoder(schema_id)
        try:
            value = decode(framed)
        except SdkError:
            raise
        except Exception as exc:
            raise _decode_error(schema_id, exc) from None
        rules = self._read_rules.get(schema_id)
        if rules is not None:
            value = rules.run("READ", value, headers=headers)
        return ref.schema_id, value

    def _decoder(self, schema_id: int) -> Callable[[bytes], Any]:
        with self._lock:
            found = self._decoders.get(schema_id)
            if found is not None:
                return found
            registered = self.registry.get_schema(schema_id)
            writer = _codec(self.registry, registered)
            reader = self._reader
            reader_type = "PROTOBUF" if self._reader_class is not None else None
            if reader is not None:
                reader_type = reader.schema_type
            if reader_type is not None and reader_type != writer.schema_type:
                raise SchemaResolutionError(
                    f"schema id {schema_id} is {writer.schema_type}, the reader schema is "
                    f"{reader_type}",
                    writer_id=schema_id,
                )
            decode: Callable[[bytes], Any]
            if isinstance(writer, ProtobufFile):
                decode = writer.decoder(schema_id, self._reader_class)
            elif isinstance(writer, AvroCodec):
                assert reader is None or isinstance(reader, AvroCodec)
                decode = writer.decoder(schema_id, reader)
            else:
                assert isinstance(writer, JsonCodec)
                validator: JsonValidator | None = None
                if self.validate:
                    validator = (
                        reader.validator if isinstance(reader, JsonCodec) else writer.validator
                    )
                decode = writer.decoder(schema_id, validator)
            rules = _rules(self.registry, registered, reader or writer)
            if rules is not None and rules.runs_in("READ"):
                self._read_rules[schema_id] = rules
            self._decoders[schema_id] = decode
            return decode
