"""Kafka's request and response messages, through kio: parse a request, encode a response.

Handlers answer with a plain tree (dicts named by Kafka's field names, lists, ints, bytes);
`build` turns it into the kio dataclass of the version the client asked for, dropping the
fields that version lacks and keeping kio's defaults for those the tree leaves out. At a
listener's newest version every name in the tree must be a field, so a misspelt one fails a
test instead of vanishing.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import io
import struct
from collections.abc import Mapping
from typing import Any

from kio.index import load_entity_module
from kio.schema.errors import ErrorCode
from kio.serial import entity_reader, entity_writer
from kio.serial._introspect import EntityField, EntityTupleField, classify_field
from kio.serial.errors import SerialError
from kio.static.constants import EntityType

from broker.kafka.errors import ProtocolViolation

__all__ = ["RequestFrame", "build", "encode_response", "parse_request", "request_class"]

_KEY_AND_VERSION = struct.Struct(">hh")
_CORRELATION = struct.Struct(">hhi")
# what kio's native reader raises for bytes that do not parse (KeyError: an unknown tag)
_DECODE_ERRORS = (SerialError, ValueError, TypeError, UnicodeDecodeError, KeyError, OverflowError)


@dataclasses.dataclass(frozen=True, slots=True)
class RequestFrame:
    api_key: int
    version: int
    correlation_id: int
    client_id: str | None
    body: Any  # the kio request dataclass of (api_key, version)


def peek_header(frame: bytes) -> tuple[int, int, int]:
    """(api_key, version, correlation_id), read before the header's own version is known."""
    if len(frame) < _CORRELATION.size:
        raise ProtocolViolation(f"a {len(frame)}-byte frame is shorter than a request header")
    key, version, correlation = _CORRELATION.unpack_from(frame)
    return key, version, correlation


@functools.cache
@functools.lru_cache(maxsize=1024)  # the APIs served times their versions, twice
def _module_class(name: str, version: int, kind: EntityType) -> type[Any]:
    module = load_entity_module(name, version, kind)  # type: ignore[arg-type]
    for value in vars(module).values():
        if isinstance(value, type) and getattr(value, "__type__", None) is kind:
            return value
    raise LookupError(f"kio has no {kind.name} class for {name} v{version}")


def request_class(name: str, version: int) -> type[Any]:
    return _module_class(name, version, EntityType.request)


def response_class(name: str, version: int) -> type[Any]:
    return _module_class(name, version, EntityType.response)


def parse_request(frame: bytes, name: str, version: int) -> RequestFrame:
    """Header and body of one request frame; the whole frame must be used."""
    cls = request_class(name, version)
    try:
        header, used = entity_reader(cls.__header_schema__)(frame, 0)
    except _DECODE_ERRORS as exc:
        raise ProtocolViolation(f"{name} v{version} header does not parse: {exc}") from None
    try:
        body = _body(cls, frame, used, name, version)
    except ProtocolViolation:
        body_bytes = frame[used:]
        if not (name == "metadata" and version >= 9 and body_bytes[:4] == bytes(4)):
            raise
        # librdkafka (2.16 at least) writes an all-topics Metadata request's topic count
        # as a 4-byte zero placeholder; Kafka reads its first byte as the null array and
        # skips the rest as an unknown tagged field. Read it as librdkafka meant it.
        body = _body(cls, frame[:used] + body_bytes[:1] + body_bytes[4:], used, name, version)
    return RequestFrame(
        header.request_api_key,
        header.request_api_version,
        header.correlation_id,
        header.client_id,
        body,
    )


def _body(cls: type[Any], frame: bytes, used: int, name: str, version: int) -> Any:
    try:
        body, body_used = entity_reader(cls)(frame, used)
    except _DECODE_ERRORS as exc:
        raise ProtocolViolation(f"{name} v{version} request does not parse: {exc}") from None
    if used + body_used != len(frame):
        raise ProtocolViolation(
            f"{name} v{version} request has {len(frame) - used - body_used} bytes left over"
        )
    return body


_FieldInfo = tuple[str, str, Any, type[Any] | None]
_FIELDS: dict[type[Any], tuple[_FieldInfo, ...]] = {}


def _fields(cls: type[Any]) -> tuple[_FieldInfo, ...]:
    """(name, kafka_type, kind, nested class) per field, in order; computed once per class."""
    cached = _FIELDS.get(cls)
    if cached is not None:
        return cached
    out: list[_FieldInfo] = []
    for f in dataclasses.fields(cls):
        kind = classify_field(f)
        nested = kind.type_ if isinstance(kind, EntityField | EntityTupleField) else None
        out.append((f.name, f.metadata.get("kafka_type", ""), kind, nested))
    cached = _FIELDS[cls] = tuple(out)
    return cached


def build(cls: type[Any], tree: Mapping[str, Any], *, strict: bool = False) -> Any:
    """The kio dataclass `cls` holding `tree`; `strict` refuses names `cls` lacks."""
    kwargs: dict[str, Any] = {}
    known: set[str] = set()
    for name, kafka_type, kind, nested in _fields(cls):
        known.add(name)
        if name not in tree:
            if name == "throttle_time":
                kwargs[name] = datetime.timedelta(0)
            continue
        value = tree[name]
        if value is None:
            kwargs[name] = None
        elif isinstance(kind, EntityTupleField):
            assert nested is not None
            kwargs[name] = tuple(build(nested, item, strict=strict) for item in value)
        elif isinstance(kind, EntityField):
            assert nested is not None
            kwargs[name] = build(nested, value, strict=strict)
        elif kafka_type == "error_code":
            kwargs[name] = ErrorCode(int(value))
        elif kafka_type.startswith("timedelta") and isinstance(value, int):
            kwargs[name] = datetime.timedelta(milliseconds=value)
        elif isinstance(value, list):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    if strict:
        unknown = set(tree) - known
        if unknown:
            raise KeyError(f"{cls.__qualname__} v{cls.__version__} has no {sorted(unknown)}")
    return cls(**kwargs)


def encode_response(
    name: str, version: int, correlation_id: int, tree: Mapping[str, Any], *, strict: bool
) -> bytes:
    """The response frame, its 4-byte size prefix included."""
    cls = response_class(name, version)
    header_cls = cls.__header_schema__
    buf = io.BytesIO()
    buf.write(b"\x00\x00\x00\x00")
    entity_writer(header_cls)(buf, header_cls(correlation_id=correlation_id))
    entity_writer(cls)(buf, build(cls, tree, strict=strict))
    out = buf.getbuffer()
    struct.pack_into(">i", out, 0, len(out) - 4)
    return bytes(out)


def millis(value: datetime.timedelta | int) -> int:
    """A kio duration field (a timedelta) in milliseconds."""
    if isinstance(value, int):
        return value
    return round(value.total_seconds() * 1000)
