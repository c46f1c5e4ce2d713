"""confluent-kafka's ProtobufSerializer and ProtobufDeserializer against a real `charter serve`,
with a generated class whose message imports google/protobuf/timestamp.proto and nests another."""

from __future__ import annotations

import base64
import struct
from types import ModuleType
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2

from compat.protobuf.indexes import message_name, read_message_indexes
from tests.protoc import generated

PROTO = """\
syntax = "proto3";
package charter.interop.v1;

import "google/protobuf/timestamp.proto";

message Shipment {
  string id = 1;
  google.protobuf.Timestamp shipped_at = 2;
  repeated Parcel parcels = 3;
  map<string, string> labels = 4;

  message Parcel {
    string tracking = 1;
    double weight_kg = 2;
  }
}
"""


@pytest.fixture(scope="module")
def shipment_pb2(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The class protoc generates for PROTO, as an application would import it."""
    return generated(tmp_path_factory.mktemp("generated"), PROTO, "charter_interop_shipment")


def _shipment(pb2: ModuleType) -> Any:
    message = pb2.Shipment(id="s-1", labels={"carrier": "acme"})
    message.shipped_at.seconds = 1_700_000_000
    message.parcels.add(tracking="T1", weight_kg=1.25)
    message.parcels.add(tracking="T2", weight_kg=0.5)
    return message


def test_serializer_registers_and_deserializer_reads_through_charter(
    client: SchemaRegistryClient, subject: str, shipment_pb2: ModuleType
) -> None:
    topic = subject
    ctx = SerializationContext(topic, MessageField.VALUE)
    serializer = ProtobufSerializer(shipment_pb2.Shipment, client)
    data = serializer(_shipment(shipment_pb2), ctx)
    assert data is not None

    magic, schema_id = struct.unpack(">bI", data[:5])
    assert magic == 0
    path, offset = read_message_indexes(data, 5)
    assert path == [0] and data[5:6] == b"\x00" and offset == 6

    registered = client.get_latest_version(f"{topic}-value")
    assert registered.schema_id == schema_id
    assert registered.schema.schema_type == "PROTOBUF"
    assert "message Shipment {" in registered.schema.schema_str  # text by default
    assert registered.schema.references == []  # timestamp.proto is a well-known type

    # Charter stored what the serializer registered: the generated class's descriptor.
    fetched = client.get_schema(schema_id, fmt="serialized")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(fetched.schema_str))
    expected = descriptor_pb2.FileDescriptorProto.FromString(
        shipment_pb2.DESCRIPTOR.serialized_pb
    )
    file.ClearField("name")
    expected.ClearField("name")
    assert file == expected

    deserializer = ProtobufDeserializer(shipment_pb2.Shipment, {}, client)
    decoded = deserializer(data, ctx)
    assert decoded == _shipment(shipment_pb2)
    assert decoded.parcels[1].tracking == "T2"

    # A second serializer (a fresh client, no cache) gets the same id from Charter.
    fresh = SchemaRegistryClient({"url": client._rest_client.base_urls[0]})
    try:
        again = ProtobufSerializer(shipment_pb2.Shipment, fresh)(_shipment(shipment_pb2), ctx)
    finally:
        fresh.close()
    assert again == data


def test_nested_message_is_framed_with_its_index_path(
    client: SchemaRegistryClient, subject: str, shipment_pb2: ModuleType
) -> None:
    ctx = SerializationContext(subject, MessageField.VALUE)
    serializer = ProtobufSerializer(shipment_pb2.Shipment.Parcel, client)
    parcel = shipment_pb2.Shipment.Parcel(tracking="T9", weight_kg=2.0)
    data = serializer(parcel, ctx)
    assert data is not None
    path, offset = read_message_indexes(data, 5)
    # Indexes count a descriptor's nested types, map entries too: LabelsEntry is [0, 0].
    assert path == [0, 1]
    stored = client.get_schema(struct.unpack(">I", data[1:5])[0], fmt="serialized")
    file = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(stored.schema_str))
    assert message_name(file, path) == "charter.interop.v1.Shipment.Parcel"
    assert shipment_pb2.Shipment.Parcel.FromString(data[offset:]) == parcel
    decoded = ProtobufDeserializer(shipment_pb2.Shipment.Parcel, {}, client)(data, ctx)
    assert decoded == parcel


def test_an_incompatible_change_is_refused_with_the_rule(
    client: SchemaRegistryClient, subject: str, shipment_pb2: ModuleType
) -> None:
    from confluent_kafka.schema_registry import Schema, SchemaRegistryError

    ctx = SerializationContext(subject, MessageField.VALUE)
    ProtobufSerializer(shipment_pb2.Shipment, client)(_shipment(shipment_pb2), ctx)
    breaking = PROTO.replace("double weight_kg = 2;", "string weight_kg = 2;")
    with pytest.raises(SchemaRegistryError) as info:
        client.register_schema(f"{subject}-value", Schema(breaking, "PROTOBUF"))
    assert info.value.http_status_code == 409
