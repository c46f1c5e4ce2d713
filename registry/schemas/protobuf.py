"""Protobuf: parsing through `compat.protobuf` (both registration forms), its normalised form,
the `serialized` output format, and payload checks with the protobuf runtime."""

from __future__ import annotations

from google.protobuf import message_factory
from google.protobuf.message import DecodeError

import compat
from compat import Schema, SchemaSource, SchemaType
from compat.protobuf import ProtobufSchema
from compat.protobuf.indexes import MessageIndexError, message_name, read_message_indexes
from registry.schemas.base import PayloadCheck, parse_translated

__all__ = ["FORMAT", "ProtobufFormat"]

SERIALIZED = "serialized"  # Confluent's `?format=serialized`: base64 of a FileDescriptorProto
_MISSING_MAX = 5  # required fields named in one payload complaint


def _protobuf(schema: Schema) -> ProtobufSchema:
    if not isinstance(schema, ProtobufSchema):
        raise TypeError(f"the Protobuf format was given a {schema.schema_type} schema")
    return schema


class ProtobufFormat:
    schema_type = SchemaType.PROTOBUF

    def parse(self, source: SchemaSource, resolver: compat.Resolver) -> Schema:
        return parse_translated(source, resolver)

    def normalized_text(self, schema: Schema) -> str:
        # Imports stay imports: the normalised text is the file's own, like the canonical one.
        return _protobuf(schema).normalized_text

    def formatted(self, schema: Schema, output: str) -> str | None:
        return _protobuf(schema).serialized if output == SERIALIZED else None

    def payload_check(self, schema: Schema) -> PayloadCheck:
        proto = _protobuf(schema)
        pool = proto.pool
        classes: dict[str, type] = {}

        def check(payload: bytes) -> str | None:
            try:
                path, offset = read_message_indexes(payload)
                name = message_name(proto.file, path)
            except MessageIndexError as exc:
                return f"no valid message indexes ({exc})"
            cls = classes.get(name)
            if cls is None:
                cls = message_factory.GetMessageClass(pool.FindMessageTypeByName(name))
                classes[name] = cls
            message = cls()
            try:
                message.ParseFromString(payload[offset:])
            except DecodeError as exc:
                return f"not Protobuf binary of {name} ({exc})"
            if not message.IsInitialized():
                missing = message.FindInitializationErrors()
                shown = ", ".join(missing[:_MISSING_MAX])
                more = f" (and {len(missing) - _MISSING_MAX} more)" if len(missing) > 5 else ""
                return f"required fields of {name} are not set: {shown}{more}"
            return None

        return check


FORMAT = ProtobufFormat()
