"""Payloads decoded with their writer schema for display: Avro, JSON Schema and Protobuf.

Schemas are parsed by the registry's own `Schemas` (references resolved, parse cache shared),
reading the registry's data through the service. Protobuf payloads carry Confluent's message
indexes before the message; the message is decoded with the runtime's classes for the writer
schema's descriptors and shown through `json_format`, with the `.proto` field names.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
from google.protobuf import json_format, message_factory

from compat import Schema, SchemaSource, SchemaType
from compat.protobuf import ProtobufSchema
from compat.protobuf.indexes import message_name, read_message_indexes
from registry import errors
from registry.service import RegistryService
from registry.values import StoredSchema

__all__ = ["VALUE_CHARS_MAX", "Decoder", "parsed_schema"]

VALUE_CHARS_MAX = 20_000


class _ServiceReferences:
    """`registry.schemas.References` over the service's public reads."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def latest_version(self, subject: str, /) -> int | None:
        try:
            return self.service.list_versions(subject)[-1]
        except errors.NotFoundError:
            return None

    def source(self, subject: str, version: int, /) -> SchemaSource | None:
        try:
            return self.service.get_version(subject, version, deleted=True).schema.source
        except errors.NotFoundError:
            return None


def parsed_schema(service: RegistryService, stored: StoredSchema) -> Schema:
    """`stored` parsed with its references (`errors.StoreError` if it no longer parses)."""
    return service.schemas.stored(stored.id, stored.source, _ServiceReferences(service))


class Decoder:
    """Decodes payloads of one page of records; remembers readers by schema id meanwhile."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service
        self._readers: dict[int, Any] = {}
        self._schemas: dict[int, Schema] = {}

    def decode(self, stored: StoredSchema, payload: bytes) -> tuple[str, bool]:
        """The payload as indented JSON and True, or why it could not be decoded and False."""
        try:
            value = self._value(stored, payload)
        except Exception as exc:  # untrusted bytes: any decoding failure is shown, not raised
            return f"cannot decode with schema {stored.id}: {type(exc).__name__}: {exc}", False
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        return text[:VALUE_CHARS_MAX], True

    def _value(self, stored: StoredSchema, payload: bytes) -> Any:
        if stored.schema_type is SchemaType.AVRO:
            reader = self._readers.get(stored.id)
            if reader is None:
                reader = self._readers[stored.id] = fastavro.parse_schema(json.loads(stored.text))
            return fastavro.schemaless_reader(io.BytesIO(payload), reader)
        if stored.schema_type is SchemaType.JSON:
            return json.loads(payload)
        if stored.schema_type is SchemaType.PROTOBUF:
            return self._protobuf(stored, payload)
        raise ValueError(f"{stored.schema_type} payloads are not decoded here")

    def _schema(self, stored: StoredSchema) -> Schema:
        schema = self._schemas.get(stored.id)
        if schema is None:
            schema = self._schemas[stored.id] = parsed_schema(self.service, stored)
        return schema

    def _protobuf(self, stored: StoredSchema, payload: bytes) -> Any:
        schema = self._schema(stored)
        if not isinstance(schema, ProtobufSchema):
            raise TypeError(f"schema {stored.id} did not parse as Protobuf")
        path, at = read_message_indexes(payload)
        name = message_name(schema.file, path)
        cls = message_factory.GetMessageClass(schema.pool.FindMessageTypeByName(name))
        message = cls()
        message.ParseFromString(payload[at:])
        return json_format.MessageToDict(message, preserving_proto_field_name=True)
