import struct

import pytest

from sdk import SdkError, WireFormatError, frame, header, schema_id_of, split


def test_header_is_magic_byte_then_big_endian_id() -> None:
    assert header(1) == b"\x00\x00\x00\x00\x01"
    assert header(0x01020304) == b"\x00\x01\x02\x03\x04"
    assert header(2**32 - 1) == b"\x00\xff\xff\xff\xff"


def test_frame_and_split_round_trip() -> None:
    data = frame(258, b'{"a":1}')
    assert data[:5] == b"\x00\x00\x00\x01\x02"
    assert schema_id_of(data) == 258
    assert split(data) == (258, b'{"a":1}')


def test_empty_payload_after_header_is_allowed() -> None:
    assert split(b"\x00\x00\x00\x00\x07") == (7, b"")


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00\x00\x01"])
def test_short_input_is_a_wire_format_error(data: bytes) -> None:
    with pytest.raises(WireFormatError, match="5-byte header") as info:
        schema_id_of(data)
    assert not isinstance(info.value, struct.error)
    assert isinstance(info.value, SdkError)


@pytest.mark.parametrize("magic", [1, 0x7B, 0xFF])
def test_other_magic_byte_is_a_wire_format_error(magic: int) -> None:
    with pytest.raises(WireFormatError, match="magic byte"):
        split(bytes([magic, 0, 0, 0, 1]) + b"payload")


def test_json_text_without_header_is_rejected() -> None:
    with pytest.raises(WireFormatError):
        split(b'{"orderId": "1"}')


@pytest.mark.parametrize("schema_id", [-1, 2**32])
def test_ids_outside_four_unsigned_bytes_are_refused(schema_id: int) -> None:
    with pytest.raises(WireFormatError):
        header(schema_id)
