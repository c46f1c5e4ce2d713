"""Protocol Buffers for Charter: `.proto` text and base64 descriptors compiled by protoc, and
Confluent's compatibility rules with Charter's warnings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compat.model import Direction, Finding, Policy, Resolver, Rule, SchemaSource, SchemaType
from compat.protobuf.rules import RULES
from compat.protobuf.schema import ProtobufSchema, parse_protobuf

__all__ = ["PROTOBUF", "ProtobufFormat", "ProtobufSchema", "parse_protobuf"]


class ProtobufFormat:
    schema_type: SchemaType = SchemaType.PROTOBUF
    rules: Mapping[str, Rule] = RULES

    def parse(self, source: SchemaSource, resolver: Resolver | None) -> ProtobufSchema:
        return parse_protobuf(source, resolver)

    def check_pair(
        self, reader: object, writer: object, *, direction: Direction, policy: Policy
    ) -> Iterator[Finding]:
        from compat.protobuf.checker import check_pair

        if not isinstance(reader, ProtobufSchema) or not isinstance(writer, ProtobufSchema):
            raise TypeError("both schemas must be Protobuf schemas")
        return check_pair(reader, writer, direction=direction)


PROTOBUF = ProtobufFormat()
