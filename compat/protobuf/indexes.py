"""Confluent's message indexes: which message of a file a Protobuf payload holds.

After the 5-byte header (or the header's GUID) come a zig-zag varint count and one zig-zag
varint per index, the path of the message in the file, top level first; the common path `[0]`
(the file's first message) is written as the single byte 0x00 (a count of zero).
"""

from __future__ import annotations

from collections.abc import Sequence

from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorProto

__all__ = [
    "INDEXES_MAX",
    "MessageIndexError",
    "encode_message_indexes",
    "message_indexes",
    "message_name",
    "read_message_indexes",
]

INDEXES_MAX = 100  # protoc nests messages no deeper than this, so no valid path is longer
_VARINT_BYTES_MAX = 10


class MessageIndexError(ValueError):
    """The bytes hold no valid message-index path, or the path names no message."""


def _zigzag(value: int) -> int:
    return (value << 1) ^ (value >> 63)


def _varint(value: int) -> bytes:
    out = bytearray()
    value &= (1 << 64) - 1
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_message_indexes(path: Sequence[int]) -> bytes:
    """The bytes of `path` (the single byte 0x00 for `[0]`)."""
    if not path:
        raise MessageIndexError("a message-index path has at least one index")
    if list(path) == [0]:
        return b"\x00"
    return _varint(_zigzag(len(path))) + b"".join(_varint(_zigzag(i)) for i in path)


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    for position in range(offset, min(len(data), offset + _VARINT_BYTES_MAX)):
        byte = data[position]
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), position + 1
    if len(data) < offset + _VARINT_BYTES_MAX:
        raise MessageIndexError("the message indexes end in the middle of a varint")
    raise MessageIndexError("a message index is longer than a 64-bit varint")


def read_message_indexes(data: bytes, offset: int = 0) -> tuple[list[int], int]:
    """The path at `data[offset:]` and the offset of the message bytes after it."""
    count, offset = _read_varint(data, offset)
    if count == 0:
        return [0], offset
    if not 0 < count <= INDEXES_MAX:
        raise MessageIndexError(f"{count} is no valid number of message indexes")
    path = []
    for _ in range(count):
        index, offset = _read_varint(data, offset)
        if index < 0:
            raise MessageIndexError(f"message index {index} is negative")
        path.append(index)
    return path, offset


def message_name(file: FileDescriptorProto, path: Sequence[int]) -> str:
    """The full name of the message `path` leads to in `file`."""
    scope = file.package
    messages: Sequence[DescriptorProto] = file.message_type
    name = ""
    for index in path:
        if not 0 <= index < len(messages):
            raise MessageIndexError(f"message index path {list(path)} names no message")
        message = messages[index]
        name = f"{scope}.{message.name}" if scope else message.name
        scope, messages = name, message.nested_type
    return name


def message_indexes(file: FileDescriptorProto, full_name: str) -> list[int]:
    """The path of the message `full_name` in `file` (what a serialiser writes)."""
    target = full_name.lstrip(".")
    prefix = file.package + "." if file.package else ""
    if not target.startswith(prefix):
        raise MessageIndexError(f"{full_name} is not defined in package {file.package!r}")
    parts = target[len(prefix):].split(".")
    path: list[int] = []
    messages: Sequence[DescriptorProto] = file.message_type
    for part in parts:
        for index, message in enumerate(messages):
            if message.name == part:
                path.append(index)
                messages = message.nested_type
                break
        else:
            raise MessageIndexError(f"{full_name} is not a message of this file")
    return path
