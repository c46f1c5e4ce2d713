"""Confluent's wire format: the 5-byte header framing every Avro or JSON payload.

| offset | size | meaning                                  |
|--------|------|------------------------------------------|
| 0      | 1    | magic byte, always 0                     |
| 1      | 4    | schema id, unsigned 32-bit, big-endian   |
| 5      | ...  | payload: Avro binary (schemaless) or UTF-8 JSON |
"""

from __future__ import annotations

import struct

from sdk.errors import WireFormatError

__all__ = ["HEADER_SIZE", "MAGIC_BYTE", "SCHEMA_ID_MAX", "frame", "header", "schema_id_of", "split"]

MAGIC_BYTE = 0
HEADER_SIZE = 5
SCHEMA_ID_MAX = 2**32 - 1
_HEADER = struct.Struct(">BI")  # magic byte, schema id


def header(schema_id: int) -> bytes:
    """The 5 bytes that precede a payload written with `schema_id`."""
    if not 0 <= schema_id <= SCHEMA_ID_MAX:
        raise WireFormatError(f"schema id {schema_id} does not fit in 4 unsigned bytes")
    return _HEADER.pack(MAGIC_BYTE, schema_id)


def frame(schema_id: int, payload: bytes) -> bytes:
    """`payload` framed with the header for `schema_id`."""
    return header(schema_id) + payload


def schema_id_of(data: bytes | bytearray | memoryview) -> int:
    """The schema id in the header of `data`; `WireFormatError` if there is no valid header."""
    if len(data) < HEADER_SIZE:
        raise WireFormatError(
            f"{len(data)} byte(s) cannot hold the 5-byte header (magic byte 0, 4-byte schema id)"
        )
    if data[0] != MAGIC_BYTE:
        raise WireFormatError(
            f"unknown magic byte {data[0]:#04x}; Confluent's wire format starts with 0x00"
        )
    return int.from_bytes(data[1:HEADER_SIZE], "big")


def split(data: bytes | bytearray | memoryview) -> tuple[int, bytes]:
    """The schema id and the payload of framed `data`."""
    schema_id = schema_id_of(data)
    return schema_id, bytes(data[HEADER_SIZE:])
