"""Confluent's own imports (`confluent/meta.proto`, `confluent/type/decimal.proto`) resolve
without references, and Charter's definitions compile to the descriptors confluent-kafka ships."""

from __future__ import annotations

import pytest
from google.protobuf import descriptor_pb2

from compat import SchemaSource
from compat.errors import SchemaParseError
from compat.protobuf import parse_protobuf
from compat.protobuf.wellknown import CONFLUENT, is_well_known

DECIMAL_USER = """\
syntax = "proto3";
package charter.money.v1;

import "confluent/meta.proto";
import "confluent/type/decimal.proto";

message Price {
  confluent.type.Decimal amount = 1
      [(confluent.field_meta) = { params: { key: "precision" value: "9" } }];
  string currency = 2 [(confluent.field_meta).doc = "ISO 4217"];
}
"""


def test_the_builtin_files_are_well_known() -> None:
    assert {"confluent/meta.proto", "confluent/type/decimal.proto"} == CONFLUENT
    assert all(is_well_known(name) for name in CONFLUENT)
    assert not is_well_known("confluent/type/money.proto")


def test_a_schema_importing_them_parses_without_references() -> None:
    schema = parse_protobuf(SchemaSource(DECIMAL_USER))
    names = [f.name for f in schema.files]
    assert "confluent/meta.proto" in names and "confluent/type/decimal.proto" in names
    field = schema.file.message_type[0].field[0]
    assert field.type_name == ".confluent.type.Decimal"
    assert "(confluent.field_meta)" in schema.canonical_text
    # The descriptor form of the same schema (what confluent-kafka registers) is the same schema.
    again = parse_protobuf(SchemaSource(schema.serialized))
    assert again.canonical_text == schema.canonical_text


@pytest.mark.parametrize("name", sorted(CONFLUENT))
def test_charter_definitions_match_the_descriptors_confluent_kafka_ships(name: str) -> None:
    from confluent_kafka.schema_registry.confluent import meta_pb2
    from confluent_kafka.schema_registry.confluent.type import decimal_pb2

    shipped = {"confluent/meta.proto": meta_pb2, "confluent/type/decimal.proto": decimal_pb2}[name]
    schema = parse_protobuf(SchemaSource(f'syntax = "proto3";\nimport "{name}";\n'))
    ours = next(f for f in schema.files if f.name == name)
    theirs = descriptor_pb2.FileDescriptorProto.FromString(shipped.DESCRIPTOR.serialized_pb)
    assert ours == theirs


def test_an_unknown_confluent_file_is_still_refused() -> None:
    text = 'syntax = "proto3";\nimport "confluent/type/money.proto";\nmessage A { int32 a = 1; }\n'
    with pytest.raises(SchemaParseError, match=r"confluent/type/money\.proto"):
        parse_protobuf(SchemaSource(text))
