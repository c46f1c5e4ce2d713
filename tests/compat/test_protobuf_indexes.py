"""Message indexes, byte for byte as confluent-kafka writes and reads them."""

from __future__ import annotations

import io

import pytest
from confluent_kafka.schema_registry.common.serde import SchemaId

from compat import SchemaSource, SchemaType, parse
from compat.protobuf import ProtobufSchema
from compat.protobuf.indexes import (
    MessageIndexError,
    encode_message_indexes,
    message_indexes,
    message_name,
    read_message_indexes,
)

SCHEMA = parse(SchemaSource(
    'syntax = "proto3"; package shop;'
    " message A { message B { message C {} } message D {} } message E { message F {} }",
    SchemaType.PROTOBUF,
))
assert isinstance(SCHEMA, ProtobufSchema)
PATHS = {"shop.A": [0], "shop.A.B": [0, 0], "shop.A.B.C": [0, 0, 0], "shop.A.D": [0, 1],
         "shop.E": [1], "shop.E.F": [1, 0]}


@pytest.mark.parametrize("name", list(PATHS))
def test_paths_match_confluent_kafka_both_ways(name: str) -> None:
    path = message_indexes(SCHEMA.file, name)
    assert path == PATHS[name]
    assert message_name(SCHEMA.file, path) == name
    theirs = io.BytesIO()
    SchemaId._encode_varints(theirs, path, zigzag=True)
    ours = encode_message_indexes(path)
    assert ours == theirs.getvalue()
    assert SchemaId._read_index_array(io.BytesIO(ours + b"payload"), zigzag=True) == path
    assert read_message_indexes(ours + b"payload") == (path, len(ours))


def test_the_first_message_is_the_single_byte_zero() -> None:
    assert encode_message_indexes([0]) == b"\x00"
    assert read_message_indexes(b"\x00\x0a\x01x") == ([0], 1)
    assert read_message_indexes(b"\x02\x00", 0) == ([0], 2)  # count 1, index 0, unabridged


def test_large_indexes_round_trip() -> None:
    path = [3, 200, 70000]
    data = encode_message_indexes(path)
    assert read_message_indexes(data) == (path, len(data))


@pytest.mark.parametrize(
    "data",
    [b"", b"\x80", b"\x04\x02", b"\x03", b"\xff" * 11, b"\x02\x01", b"\xca\x01" + b"\x00" * 101],
    ids=["empty", "cut varint", "cut path", "negative count", "endless varint",
         "negative index", "too many"],
)
def test_bad_bytes_are_a_message_index_error(data: bytes) -> None:
    with pytest.raises(MessageIndexError):
        read_message_indexes(data)


def test_paths_that_name_no_message() -> None:
    with pytest.raises(MessageIndexError):
        message_name(SCHEMA.file, [2])
    with pytest.raises(MessageIndexError):
        message_name(SCHEMA.file, [0, 5])
    with pytest.raises(MessageIndexError):
        message_indexes(SCHEMA.file, "shop.Z")
    with pytest.raises(MessageIndexError):
        message_indexes(SCHEMA.file, "other.A")
    with pytest.raises(MessageIndexError):
        encode_message_indexes([])
