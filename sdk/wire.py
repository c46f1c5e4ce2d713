"""Confluent's wire format: the 5-byte header framing every Avro or JSON payload.

| offset | size | meaning                                  |
|--------|------|------------------------------------------|
| 0      | 1    | magic byte, always 0                     |
| 1      | 4    | schema id, unsigned 32-bit, big-endian   |
| 5      | ...  | payload: Avro binary (schemaless) or UTF-8 JSON |

Confluent 8 can carry the schema in a record header instead (`__value_schema_id`, or
`__key_schema_id` for keys), the payload then being unframed:

| offset | size | meaning                                     |
|--------|------|---------------------------------------------|
| 0      | 1    | 0x01: a GUID follows (0x00: a 4-byte id)    |
| 1      | 16   | the schema's GUID, the UUID's 16 bytes      |

Readers look at the header first, then at the payload prefix (`locate`), as confluent-kafka's
`dual_schema_id_deserializer` does.
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sdk.errors import WireFormatError

__all__ = [
    "GUID_MAGIC_BYTE",
    "HEADER_SIZE",
    "KEY_SCHEMA_ID_HEADER",
    "MAGIC_BYTE",
    "SCHEMA_ID_MAX",
    "VALUE_SCHEMA_ID_HEADER",
    "Headers",
    "SchemaRef",
    "frame",
    "guid_header",
    "header",
    "header_value",
    "locate",
    "read_id_header",
    "schema_id_of",
    "split",
]

KEY_SCHEMA_ID_HEADER = "__key_schema_id"
VALUE_SCHEMA_ID_HEADER = "__value_schema_id"
GUID_MAGIC_BYTE = 1
GUID_HEADER_SIZE = 17

Headers = Mapping[str, bytes | None] | Sequence[tuple[str, bytes | None]]

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


@dataclass(frozen=True, slots=True)
class SchemaRef:
    """Which schema wrote a payload: by id (payload prefix, or a 0x00 header) or by GUID."""

    schema_id: int | None = None
    guid: str | None = None


def guid_header(guid: str) -> bytes:
    """The value of the `__value_schema_id` / `__key_schema_id` header for `guid`."""
    try:
        return bytes([GUID_MAGIC_BYTE]) + uuid.UUID(guid).bytes
    except ValueError:
        raise WireFormatError(f"schema guid {guid!r} is not a UUID") from None


def read_id_header(value: bytes) -> SchemaRef:
    """The schema a schema-id header names (Avro and JSON: nothing follows the id)."""
    if len(value) == GUID_HEADER_SIZE and value[0] == GUID_MAGIC_BYTE:
        return SchemaRef(guid=str(uuid.UUID(bytes=bytes(value[1:]))))
    if len(value) == HEADER_SIZE and value[0] == MAGIC_BYTE:
        return SchemaRef(schema_id=int.from_bytes(value[1:], "big"))
    raise WireFormatError(
        f"a schema id header of {len(value)} byte(s) starting {bytes(value[:1])!r} is neither "
        "0x01 + a 16-byte GUID nor 0x00 + a 4-byte id"
    )


def header_value(headers: Headers | None, name: str) -> bytes | None:
    """The value of the record header `name` (the first, in a list), None when absent."""
    if headers is None:
        return None
    # pairs first: a consumed record's headers are a tuple, and checking a tuple against
    # the Mapping ABC costs more than walking its few pairs
    if not isinstance(headers, (tuple, list)) and isinstance(headers, Mapping):
        return headers.get(name)
    for key, value in headers:
        if key == name:
            return value
    return None


def locate(
    data: bytes | bytearray | memoryview, headers: Headers | None = None, *, key: bool = False
) -> tuple[SchemaRef, bytes]:
    """The schema that wrote `data` and the payload: the schema-id header when the record
    has one, else the payload prefix."""
    found = header_value(headers, KEY_SCHEMA_ID_HEADER if key else VALUE_SCHEMA_ID_HEADER)
    if found is not None:
        return read_id_header(found), bytes(data)
    schema_id, payload = split(data)
    return SchemaRef(schema_id=schema_id), payload
