"""The schema-id record header, byte for byte as confluent-kafka writes and reads it."""

from __future__ import annotations

import io
import random
import uuid

import pytest
from confluent_kafka.schema_registry import (
    dual_schema_id_deserializer,
    header_schema_id_serializer,
)
from confluent_kafka.schema_registry.common.serde import SchemaId
from confluent_kafka.serialization import MessageField, SerializationContext

from sdk import wire
from sdk.errors import WireFormatError

GUIDS = [
    str(uuid.UUID(int=0)),
    str(uuid.UUID(int=2**128 - 1)),
    # Fixed, so every pytest-xdist worker collects the same test ids.
    *(str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4)) for seed in range(8)),
]


@pytest.mark.parametrize("guid", GUIDS)
@pytest.mark.parametrize("field", [MessageField.VALUE, MessageField.KEY])
def test_our_header_is_the_clients(guid: str, field: str) -> None:
    headers: list[tuple[str, bytes]] = []
    ctx = SerializationContext("t", field, headers)
    assert header_schema_id_serializer(b"payload", ctx, SchemaId("AVRO", guid=guid)) == b"payload"
    name = wire.KEY_SCHEMA_ID_HEADER if field == MessageField.KEY else wire.VALUE_SCHEMA_ID_HEADER
    assert headers == [(name, wire.guid_header(guid))]
    # ...and we read what the client wrote, header first.
    ref, payload = wire.locate(b"payload", headers, key=field == MessageField.KEY)
    assert (ref, payload) == (wire.SchemaRef(guid=guid), b"payload")


@pytest.mark.parametrize("guid", GUIDS[:3])
def test_the_client_reads_our_header_and_our_prefix(guid: str) -> None:
    headers = {wire.VALUE_SCHEMA_ID_HEADER: wire.guid_header(guid)}
    read = SchemaId("AVRO")
    rest = dual_schema_id_deserializer(
        b"avro", SerializationContext("t", MessageField.VALUE, headers), read)
    assert (str(read.guid), read.id, rest.read()) == (guid, None, b"avro")
    prefixed = SchemaId("AVRO")
    rest = dual_schema_id_deserializer(
        wire.frame(42, b"avro"), SerializationContext("t", MessageField.VALUE, []), prefixed)
    assert (prefixed.id, rest.read()) == (42, b"avro")


def test_without_a_header_the_prefix_is_read() -> None:
    ref, payload = wire.locate(wire.frame(7, b"x"), [("other", b"\x01")])
    assert (ref, payload) == (wire.SchemaRef(schema_id=7), b"x")
    # A key's header does not stand for the value's.
    guid = str(uuid.uuid4())
    ref, _ = wire.locate(wire.frame(7, b"x"), {wire.KEY_SCHEMA_ID_HEADER: wire.guid_header(guid)})
    assert ref == wire.SchemaRef(schema_id=7)


def test_an_id_header() -> None:
    value = SchemaId("AVRO", schema_id=9).id_to_bytes()
    assert wire.read_id_header(value) == wire.SchemaRef(schema_id=9)
    assert io.BytesIO(value).read() == wire.header(9)


@pytest.mark.parametrize("value", [b"", b"\x01", b"\x01" + b"\x00" * 15, b"\x02" + b"\x00" * 16,
                                   b"\x00\x00\x00\x01", b"\x01" + b"\x00" * 17])
def test_malformed_headers_are_wire_format_errors(value: bytes) -> None:
    with pytest.raises(WireFormatError):
        wire.locate(b"x", {wire.VALUE_SCHEMA_ID_HEADER: value})


def test_a_guid_that_is_not_a_uuid() -> None:
    with pytest.raises(WireFormatError):
        wire.guid_header("not-a-guid")


def test_charters_deserializer_reads_the_clients_header_and_prefix_records(
    charter_url: str,
) -> None:
    """confluent-kafka writes one record with the GUID header and one with the prefix;
    Charter's Deserializer reads both, each from where its id is."""
    import json
    import secrets

    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer

    from sdk import Deserializer, Registry

    schema = json.dumps({"type": "record", "name": "Tick",
                         "fields": [{"name": "n", "type": "long"}]})
    topic = f"ticks-{secrets.token_hex(3)}"
    sr = SchemaRegistryClient({"url": charter_url})
    header_writer = AvroSerializer(sr, schema, conf={
        "schema.id.serializer": header_schema_id_serializer})
    prefix_writer = AvroSerializer(sr, schema)
    headers: list[tuple[str, bytes]] = []
    in_header = header_writer({"n": 1}, SerializationContext(topic, MessageField.VALUE, headers))
    prefixed = prefix_writer({"n": 2}, SerializationContext(topic, MessageField.VALUE, []))
    assert in_header is not None and prefixed is not None
    assert [name for name, _ in headers] == [wire.VALUE_SCHEMA_ID_HEADER]
    assert headers[0][1][0] == wire.GUID_MAGIC_BYTE
    with Registry(charter_url) as registry:
        read = Deserializer(registry)
        assert read.deserialize(in_header, headers) == {"n": 1}
        assert read.deserialize(prefixed, []) == {"n": 2}
        assert read.deserialize(prefixed) == {"n": 2}
    sr.close()
