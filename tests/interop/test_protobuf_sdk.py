"""Charter's SDK Protobuf serdes against confluent-kafka's ProtobufSerializer and
ProtobufDeserializer on a real `charter serve` (SQLite and PostgreSQL): the same bytes both ways,
imports registered as reference subjects, validation on publish, Confluent's built-in imports."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterator
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from sdk import (
    ConfigurationError,
    Consumer,
    DecodeError,
    Deserializer,
    Producer,
    Registry,
    SchemaReference,
    SchemaResolutionError,
    Serializer,
    ValidationError,
    WireFormatError,
)
from tests.protoc import imported

PACKAGE = "charter_sdk_shop"  # the Python package protoc's modules land in, and the import root
COMMON = f"{PACKAGE}/common.proto"
ORDER = f"{PACKAGE}/order.proto"
LEGACY = f"{PACKAGE}/legacy.proto"

SOURCES = {
    COMMON: """\
syntax = "proto3";
package charter.sdk.shop;

message Money {
  string currency = 1;
  int64 units = 2;
  int32 nanos = 3;
}

enum Channel {
  CHANNEL_UNSPECIFIED = 0;
  CHANNEL_WEB = 1;
  CHANNEL_STORE = 2;
}
""",
    ORDER: f"""\
syntax = "proto3";
package charter.sdk.shop;

import "google/protobuf/timestamp.proto";
import "{COMMON}";

message Order {{
  string id = 1;
  google.protobuf.Timestamp placed_at = 2;
  repeated Line lines = 3;
  map<string, string> labels = 4;
  Money total = 5;
  Channel channel = 6;
  map<string, Channel> channels = 7;

  message Line {{
    string sku = 1;
    int32 quantity = 2;
    repeated Channel seen_on = 3;
  }}
}}

message Refund {{
  string order_id = 1;
  Money amount = 2;
}}
""",
    LEGACY: """\
syntax = "proto2";
package charter.sdk.legacy;

message Ticket {
  required string id = 1;
  optional Inner inner = 2;
  repeated Inner history = 3;

  message Inner {
    required int32 n = 1;
  }
}
""",
}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ModuleType]]:
    """protoc's generated modules for SOURCES, imported as an application imports them."""
    with imported(tmp_path_factory.mktemp("protos"), SOURCES) as modules:
        yield modules


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    with Registry(registry_url) as found:
        yield found


@pytest.fixture
def topic() -> str:
    return f"proto-sdk-{secrets.token_hex(4)}"


def _order(pb: ModuleType, **fields: Any) -> Any:
    order = pb.Order(**{"id": "ord-1", "labels": {"gift": "yes"}, "channel": 1, **fields})
    order.placed_at.seconds = 1_764_000_000
    order.lines.add(sku="SKU-1", quantity=2, seen_on=[1, 2])
    order.lines.add(sku="SKU-2", quantity=1)
    order.total.currency, order.total.units = "EUR", 27
    order.channels["web"] = 1
    return order


def _framed_schema_id(data: bytes) -> int:
    return int.from_bytes(data[1:5], "big")


@pytest.mark.parametrize("registered_as", ["text", "serialized"])
def test_the_same_bytes_as_confluent_both_ways(
    client: SchemaRegistryClient,
    registry: Registry,
    shop: dict[str, ModuleType],
    topic: str,
    registered_as: str,
) -> None:
    pb = shop[ORDER]
    subject = f"{topic}-value"
    if registered_as == "text":  # registered ahead as .proto text: both serialisers find it
        common = registry.register(COMMON, SOURCES[COMMON], "PROTOBUF")
        version = registry.lookup(COMMON, SOURCES[COMMON], "PROTOBUF").version
        assert version is not None and common > 0
        registry.register(
            subject, SOURCES[ORDER], "PROTOBUF", [SchemaReference(COMMON, COMMON, version)]
        )
    ctx = SerializationContext(topic, MessageField.VALUE)
    ours = Serializer(registry, topic=topic, schema=pb.Order, auto_register=True)
    theirs = ProtobufSerializer(pb.Order, client)
    message = _order(pb)
    mine = ours.serialize(message)
    assert mine == theirs(message, ctx)
    assert mine[5:6] == b"\x00" and mine[6:] == message.SerializeToString()

    # Each side reads the other's bytes; ours gives the application's generated class back.
    assert ProtobufDeserializer(pb.Order, {}, client)(mine, ctx) == message
    decoded = Deserializer(registry).deserialize(theirs(message, ctx))
    assert type(decoded) is pb.Order and decoded == message
    with_reader = Deserializer(registry, reader_schema=pb.Order).deserialize(mine)
    assert with_reader == message

    # The import is a reference subject named by its path; the well-known one is not.
    latest = registry.latest(subject)
    assert latest.schema_id == _framed_schema_id(mine)
    assert [r.name for r in latest.references] == [COMMON]
    assert latest.references[0].subject == COMMON
    assert not [s for s in registry.subjects() if s.startswith("google/")]


def test_a_nested_message_and_a_second_top_level_one_are_framed_as_confluent_frames_them(
    client: SchemaRegistryClient, registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[ORDER]
    ctx = SerializationContext(topic, MessageField.VALUE)
    line = pb.Order.Line(sku="SKU-9", quantity=3, seen_on=[2])
    refund = pb.Refund(order_id="ord-1")
    refund.amount.units = 5
    for message in (line, refund):
        ours = Serializer(registry, topic=topic, schema=type(message), auto_register=True)
        theirs = ProtobufSerializer(type(message), client)
        mine = ours.serialize(message)
        assert mine == theirs(message, ctx)
        back = Deserializer(registry).deserialize(mine)
        assert type(back) is type(message) and back == message
    # Order's nested types are [LabelsEntry, ChannelsEntry, Line] (map entries sit where their
    # field is): Line's path is [0, 2].
    framed = Serializer(registry, topic=topic, schema=pb.Order.Line).serialize(line)
    assert framed[5:8] == bytes([4, 0, 4])  # count 2, then 0 and 2, zig-zag
    assert Serializer(registry, topic=topic, schema=pb.Refund).serialize(refund)[5:7] == b"\x02\x02"


def test_dynamic_messages_write_and_read_like_generated_ones(
    client: SchemaRegistryClient, registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[ORDER]
    pool = descriptor_pool.DescriptorPool()
    from google.protobuf import timestamp_pb2

    for module in (timestamp_pb2, shop[COMMON], pb):
        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(module.DESCRIPTOR.serialized_pb))
    descriptor = pool.FindMessageTypeByName("charter.sdk.shop.Order")
    dynamic = message_factory.GetMessageClass(descriptor)
    message = dynamic.FromString(_order(pb).SerializeToString())
    assert type(message) is not pb.Order

    ours = Serializer(registry, topic=topic, schema=descriptor, auto_register=True)
    mine = ours.serialize(message)
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert mine == ProtobufSerializer(pb.Order, client)(_order(pb), ctx)
    # A reader class from its own pool gets messages of that class.
    back = Deserializer(registry, reader_schema=dynamic).deserialize(mine)
    assert type(back) is dynamic and back.lines[1].sku == "SKU-2"
    # The generated class of the same message is accepted by the dynamic serialiser.
    assert ours.serialize(_order(pb)) == mine


def test_a_schema_with_no_class_loaded_reads_as_a_dynamic_message(
    registry: Registry, topic: str
) -> None:
    text = 'syntax = "proto3";\npackage charter.sdk.only;\nmessage Ping { string who = 1; }\n'
    schema_id = registry.register(f"{topic}-value", text, "PROTOBUF")
    framed = bytes([0]) + schema_id.to_bytes(4, "big") + b"\x00" + b"\x0a\x03bob"
    ping = Deserializer(registry).deserialize(framed)
    assert ping.DESCRIPTOR.full_name == "charter.sdk.only.Ping" and ping.who == "bob"
    # A mapping in Protobuf's JSON mapping is written with the latest version's first message.
    assert Serializer(registry, topic=topic).serialize({"who": "bob"}) == framed


def test_proto2_required_fields_are_checked_on_publish_naming_the_field(
    registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[LEGACY]
    ours = Serializer(registry, topic=topic, schema=pb.Ticket, auto_register=True)
    ticket = pb.Ticket()
    ticket.inner.SetInParent()
    ticket.history.add(n=1)
    ticket.history.add()
    with pytest.raises(ValidationError) as info:
        ours.serialize(ticket)
    assert {v.path for v in info.value.violations} == {"/id", "/inner/n", "/history/1/n"}
    assert "required field 'n' is not set" in str(info.value)
    assert registry.subjects(prefix=topic) == []  # refused before the registry heard of it
    ticket.id, ticket.inner.n, ticket.history[1].n = "t-1", 7, 2
    assert pb.Ticket.FromString(ours.serialize(ticket)[6:]) == ticket


def test_unknown_numbers_of_open_enums_are_refused_naming_the_field(
    client: SchemaRegistryClient, registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[ORDER]
    ours = Serializer(registry, topic=topic, schema=pb.Order, auto_register=True)
    ours.serialize(_order(pb))
    for bad, path in (
        (_order(pb, channel=9), "/channel"),
        (_order(pb, channels={"x": 5}), "/channels/x"),
    ):
        with pytest.raises(ValidationError) as info:
            ours.serialize(bad)
        assert [v.path for v in info.value.violations] == [path]
        assert "is not a value of enum charter.sdk.shop.Channel" in str(info.value)
    nested = _order(pb)
    nested.lines[1].seen_on.append(12)
    with pytest.raises(ValidationError) as info:
        ours.serialize(nested)
    assert [v.path for v in info.value.violations] == ["/lines/1/seen_on/0"]
    # confluent-kafka's serialiser lets the unknown number through; Charter's refuses it.
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert ProtobufSerializer(pb.Order, client)(nested, ctx) is not None


def test_wrong_messages_and_bad_payloads_get_clear_errors(
    registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[ORDER]
    ours = Serializer(registry, topic=topic, schema=pb.Order, auto_register=True)
    with pytest.raises(ValidationError, match=r"expected charter\.sdk\.shop\.Order"):
        ours.serialize(pb.Refund())
    with pytest.raises(ValidationError, match="int"):
        ours.serialize(42)
    framed = ours.serialize(_order(pb))
    reader = Deserializer(registry)
    with pytest.raises(DecodeError, match=r"does not decode as charter\.sdk\.shop\.Order"):
        reader.deserialize(framed[:6] + b"\xff\xff")
    with pytest.raises(DecodeError, match="message indexes"):
        reader.deserialize(framed[:5] + b"\x02\x10" + framed[6:])  # path [8]: no such message
    with pytest.raises(SchemaResolutionError, match="Refund"):
        Deserializer(registry, reader_schema=pb.Refund).deserialize(framed)
    with pytest.raises(ConfigurationError):
        Serializer(registry, topic=topic, schema=int)


def test_producer_and_consumer_take_and_give_protobuf_messages(
    registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    pb = shop[ORDER]
    assert Serializer(registry, topic=topic, schema=pb.Order, auto_register=True).schema_id > 0
    broker = f"memory://{topic}"
    with Producer(broker, registry=registry, linger_ms=0) as producer:
        producer.publish(topic, _order(pb))  # the subject's latest version, as for mappings
        with pytest.raises(ValidationError):
            producer.publish(topic, _order(pb, channel=40))
        producer.flush()
    consumer = Consumer(broker, registry=registry, group=None, topics=[topic])
    try:
        messages = consumer.poll(timeout_s=5)
    finally:
        consumer.close()
    assert len(messages) == 1 and messages[0].error is None
    assert type(messages[0].value) is pb.Order and messages[0].value == _order(pb)


def test_confluent_decimal_imports_register_as_text_and_through_confluent_kafka(
    client: SchemaRegistryClient, registry: Registry, topic: str
) -> None:
    from confluent_kafka.schema_registry.common.protobuf import (
        decimal_to_protobuf,
        protobuf_to_decimal,
    )
    from confluent_kafka.schema_registry.confluent import meta_pb2
    from confluent_kafka.schema_registry.confluent.type import decimal_pb2

    text = """\
syntax = "proto3";
package charter.sdk.money;

import "confluent/meta.proto";
import "confluent/type/decimal.proto";

message Price {
  confluent.type.Decimal amount = 1 [(confluent.field_meta).params = { key: "scale" value: "2" }];
}
"""
    text_id = registry.register(f"{topic}-text-value", text, "PROTOBUF")
    assert registry.get_schema(text_id).references == ()

    # The same file compiled against the descriptors confluent-kafka ships, as an application's
    # generated class would be, registered by confluent-kafka's own serialiser.
    from compat import SchemaSource
    from compat.protobuf import parse_protobuf

    file = parse_protobuf(SchemaSource(text, references=())).file
    file.name = "charter_sdk_money.proto"
    pool = descriptor_pool.DescriptorPool()
    for module in (descriptor_pb2, meta_pb2, decimal_pb2):
        pool.AddSerializedFile(module.DESCRIPTOR.serialized_pb)
    pool.Add(file)
    price_class = message_factory.GetMessageClass(
        pool.FindMessageTypeByName("charter.sdk.money.Price")
    )
    price = price_class()
    price.amount.ParseFromString(decimal_to_protobuf(Decimal("12.34"), 2).SerializeToString())

    def amount(message: Any) -> Decimal:
        found: Decimal = protobuf_to_decimal(
            decimal_pb2.Decimal.FromString(message.amount.SerializeToString())
        )
        return found

    ctx = SerializationContext(topic, MessageField.VALUE)
    theirs = ProtobufSerializer(price_class, client)(price, ctx)
    assert theirs is not None
    assert _framed_schema_id(theirs) == text_id  # text and descriptor: one schema, one id
    registered = client.get_latest_version(f"{topic}-value")
    assert registered.schema.references == []
    stored = client.get_schema(registered.schema_id, fmt="serialized")
    assert list(
        descriptor_pb2.FileDescriptorProto.FromString(
            base64.b64decode(stored.schema_str)
        ).dependency
    ) == ["confluent/meta.proto", "confluent/type/decimal.proto"]

    back = Deserializer(registry, reader_schema=price_class).deserialize(theirs)
    assert amount(back) == Decimal("12.34")
    mine = Serializer(registry, topic=topic, schema=price_class).serialize(price)
    assert mine == theirs
    decoded = ProtobufDeserializer(price_class, {}, client)(mine, ctx)
    assert amount(decoded) == Decimal("12.34")



def test_confluent_s_guid_header_with_message_indexes_is_read(
    client: SchemaRegistryClient, registry: Registry, shop: dict[str, ModuleType], topic: str
) -> None:
    from confluent_kafka.schema_registry import header_schema_id_serializer

    pb = shop[ORDER]
    headers: list[tuple[str, bytes]] = []
    ctx = SerializationContext(topic, MessageField.VALUE, headers)
    serializer = ProtobufSerializer(
        pb.Order.Line, client, {"schema.id.serializer": header_schema_id_serializer}
    )
    line = pb.Order.Line(sku="SKU-7", quantity=1)
    payload = serializer(line, ctx)
    assert payload == line.SerializeToString()  # unframed: the id and indexes are in the header
    (name, value), = headers
    assert name == "__value_schema_id" and value[0] == 1 and value[17:] == bytes([4, 0, 4])
    back = Deserializer(registry).deserialize(payload, headers)
    assert type(back) is pb.Order.Line and back == line
    # Charter's serialiser in header mode writes the same header and payload.
    ours: list[tuple[str, bytes | None]] = []
    mine = Serializer(registry, topic=topic, schema=pb.Order.Line,
                      schema_id_location="header").serialize(line, ours)
    assert (mine, ours) == (payload, headers)
    # The same header on an Avro schema's id is refused: Avro carries nothing after the id.
    avro_id = registry.register(f"{topic}-avro", '"string"', "AVRO")
    bogus = [("__value_schema_id", bytes([0]) + avro_id.to_bytes(4, "big") + b"\x00")]
    with pytest.raises(WireFormatError, match="no Protobuf schema"):
        Deserializer(registry).deserialize(b"\x06abc", bogus)


def test_imports_of_imports_are_registered_first_as_confluent_registers_them(
    client: SchemaRegistryClient, registry: Registry
) -> None:
    from compat.protobuf.protoc import compile_file

    stem = f"chain_{secrets.token_hex(3)}"
    files = {
        f"{stem}/c.proto": f'syntax = "proto3";\npackage {stem};\nmessage C {{ int32 n = 1; }}\n',
        f"{stem}/b.proto": (
            f'syntax = "proto3";\npackage {stem};\nimport "{stem}/c.proto";\n'
            "import \"google/protobuf/duration.proto\";\n"
            "message B { C c = 1; google.protobuf.Duration d = 2; }\n"
        ),
        f"{stem}/a.proto": (
            f'syntax = "proto3";\npackage {stem};\nimport "{stem}/b.proto";\n'
            "message A { B b = 1; }\n"
        ),
    }
    pool = descriptor_pool.DescriptorPool()
    for file in compile_file(f"{stem}/a.proto", files).values():
        pool.Add(file)
    a_class = message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{stem}.A"))
    message = a_class()
    message.b.c.n = 5
    message.b.d.seconds = 3

    topic = f"{stem}-topic"
    mine = Serializer(registry, topic=topic, schema=a_class, auto_register=True).serialize(message)
    b_version = registry.latest(f"{stem}/b.proto")
    assert [(r.name, r.subject) for r in b_version.references] == [
        (f"{stem}/c.proto", f"{stem}/c.proto")
    ]  # duration.proto is well known: no subject, no reference
    assert registry.versions(f"{stem}/c.proto") == [1]
    ctx = SerializationContext(topic, MessageField.VALUE)
    assert ProtobufSerializer(a_class, client)(message, ctx) == mine
    for subject in (f"{stem}/c.proto", f"{stem}/b.proto", f"{topic}-value"):
        assert registry.versions(subject) == [1]  # confluent-kafka found the same schemas
    assert Deserializer(registry, reader_schema=a_class).deserialize(mine) == message
