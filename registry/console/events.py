"""Records of a topic decoded with their writer schema, for the console's event browser.

The browser shows the latest N records of a partition, or N records from an offset, or from a
time (the broker's look-up of the first offset at or after a timestamp). `parse_position`
turns the form's fields into a `Position`, or a `BadPosition` whose message the page shows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from broker.api import FETCH_BYTES_DEFAULT, FETCH_RECORDS_DEFAULT, BrokerAPI, FetchedRecords
from broker.contracts import WIRE_HEADER_BYTES, WIRE_MAGIC, Contracts, check_values
from broker.errors import ContractViolationError
from broker.record import ConsumedRecord
from registry import errors
from registry.console.decoding import VALUE_CHARS_MAX, Decoder
from registry.security import Action, Kind, Principal, decide
from registry.security.errors import Forbidden
from registry.service import RegistryService

__all__ = [
    "BROWSE_MAX",
    "BadPosition",
    "ConsoleBroker",
    "Event",
    "Page",
    "Position",
    "Writer",
    "browse",
    "iso_utc",
    "parse_position",
    "schema_id_of",
    "writer_of",
]

BROWSE_MAX = 200  # records one page shows at most


class ConsoleBroker(BrokerAPI, Protocol):
    """The in-process broker as the console reads it: with fetches the broker's observer is
    not told of (`observe=False`), so `/metrics` counts the fetches clients make, not the
    console's pages."""

    def fetch(
        self, topic: str, partition: int, offset: int, *,
        records_max: int = FETCH_RECORDS_DEFAULT, bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0, observe: bool = True,
    ) -> FetchedRecords: ...
COUNT_DEFAULT = 20
OFFSET_MAX = 2**63 - 1
FIELD_CHARS_MAX = 64
# timestamps the form accepts: 1970 to 9999, in milliseconds since the epoch
TIME_MS_MAX = 253_402_300_799_999
VALUE_SCHEMA_ID_HEADER = "__value_schema_id"  # Confluent 8: the writer schema in a header
GUID_MAGIC = 1
GUID_HEADER_BYTES = 17  # 0x01, then the schema's GUID


@dataclass(frozen=True, slots=True)
class Event:
    offset: int
    timestamp_ms: int
    key: str
    headers: tuple[tuple[str, str], ...]
    schema_id: int | None
    schema_version: str  # "subject v3" when known
    value: str  # decoded and pretty-printed, or why it could not be
    decoded: bool
    violation: str | None  # why the record fails the topic's current contract
    guid: str | None = None  # set when a header named the writer schema by its GUID

    @property
    def time(self) -> str:
        return iso_utc(self.timestamp_ms)


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page of records starts: the latest `count`, an offset, or a time."""

    partition: int = 0
    count: int = COUNT_DEFAULT
    offset: int | None = None
    at_ms: int | None = None


class BadPosition(ValueError):
    """A field of the event browser's form that cannot be used, with the reason shown."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True, slots=True)
class Page:
    events: list[Event]
    start: int  # the partition's log start and end offsets
    end: int
    first: int  # the offset the page starts at (for a time: the broker's answer)


def iso_utc(timestamp_ms: int) -> str:
    try:
        moment = datetime.fromtimestamp(timestamp_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return f"{timestamp_ms} ms"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _whole(field: str, value: str, low: int, high: int, what: str) -> int:
    text = value.strip()
    if len(text) > FIELD_CHARS_MAX or not (text.isascii() and text.isdigit()):
        raise BadPosition(field, f"{what} must be a whole number from {low} to {high}, "
                                 f"not {text[:FIELD_CHARS_MAX]!r}.")
    number = int(text)
    if not low <= number <= high:
        raise BadPosition(field, f"{what} must be from {low} to {high}; {number} is not.")
    return number


def parse_time(value: str) -> int:
    """Milliseconds since the epoch, or an ISO 8601 date and time (UTC unless it says)."""
    text = value.strip()
    if text.isascii() and text.isdigit() and len(text) <= FIELD_CHARS_MAX:
        return _whole("at", text, 0, TIME_MS_MAX, "A time in milliseconds")
    try:
        if len(text) > FIELD_CHARS_MAX:
            raise ValueError(text)
        moment = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise BadPosition(
            "at", f"{text[:FIELD_CHARS_MAX]!r} is not a time: give an ISO 8601 date and time "
                  "such as 2026-12-01T15:04:05Z (UTC unless a zone is given) or "
                  "milliseconds since 1970."
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    at_ms = int(moment.timestamp() * 1000)
    if not 0 <= at_ms <= TIME_MS_MAX:
        raise BadPosition("at", "The time must be after 1970-01-01T00:00:00Z.")
    return at_ms


def parse_position(
    partitions: int, *, partition: str | None, count: str | None, offset: str | None,
    at: str | None,
) -> Position:
    """The form's fields (absent or empty: the default) as a `Position`, or `BadPosition`."""
    offset = (offset or "").strip() or None
    at = (at or "").strip() or None
    if offset is not None and at is not None:
        raise BadPosition("offset", "Give an offset or a time, not both.")
    return Position(
        partition=_whole("partition", partition, 0, partitions - 1, "The partition")
        if partition and partition.strip() else 0,
        count=_whole("count", count, 1, BROWSE_MAX, "The number of records")
        if count and count.strip() else COUNT_DEFAULT,
        offset=None if offset is None else _whole("offset", offset, 0, OFFSET_MAX, "The offset"),
        at_ms=None if at is None else parse_time(at),
    )


def _text(data: bytes | None) -> str:
    if data is None:
        return "null"
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return "0x" + data.hex()


def schema_id_of(value: bytes | None) -> int | None:
    if value is None or len(value) < WIRE_HEADER_BYTES or value[0] != WIRE_MAGIC:
        return None
    return int.from_bytes(value[1:WIRE_HEADER_BYTES], "big")


@dataclass(frozen=True, slots=True)
class Writer:
    """Which schema wrote a value, as its framing says, and the payload after the framing."""

    schema_id: int | None = None
    guid: str | None = None
    payload: bytes = b""
    problem: str | None = None  # framing that names no schema


def writer_of(service: RegistryService, record: ConsumedRecord) -> Writer | None:
    """The writer schema a record names: Confluent 8's `__value_schema_id` header first (0x01
    and a GUID, or 0x00 and an id), then the 5-byte prefix; None for an unframed value."""
    value = record.value or b""
    for name, header in record.headers:
        if name != VALUE_SCHEMA_ID_HEADER or header is None:
            continue
        # Protobuf's message indexes follow the GUID or id inside the header; the decoder
        # reads them in front of the message, as after the payload prefix.
        if len(header) >= GUID_HEADER_BYTES and header[0] == GUID_MAGIC:
            guid = str(uuid.UUID(bytes=bytes(header[1:GUID_HEADER_BYTES])))
            payload = header[GUID_HEADER_BYTES:] + value
            try:
                return Writer(service.schemas_by_guid(guid)[0].id, guid, payload)
            except errors.NotFoundError:
                return Writer(None, guid, payload, f"schema guid {guid} is not in the registry")
        if len(header) >= WIRE_HEADER_BYTES and header[0] == WIRE_MAGIC:
            named = int.from_bytes(header[1:WIRE_HEADER_BYTES], "big")
            return Writer(named, None, header[WIRE_HEADER_BYTES:] + value)
        return Writer(problem=f"the {VALUE_SCHEMA_ID_HEADER} header's {len(header)} bytes "
                              "start with neither 0x01 and a GUID nor 0x00 and an id")
    schema_id = schema_id_of(record.value)
    if schema_id is None:
        return None
    return Writer(schema_id, None, value[WIRE_HEADER_BYTES:])


class _Readable:
    """Whether the principal may read a schema id: `decide` on the id's subjects."""

    def __init__(self, service: RegistryService, principal: Principal) -> None:
        self.service = service
        self.principal = principal
        self.known: dict[int, tuple[bool, str]] = {}

    def __call__(self, schema_id: int) -> tuple[bool, str]:
        """(may read, "subject vN, …" of the versions it may see)."""
        if schema_id in self.known:
            return self.known[schema_id]
        try:
            pairs = self.service.versions_of_id(schema_id, deleted=True)
        except errors.NotFoundError:
            pairs = []
        subjects = sorted({s for s, _ in pairs})
        try:
            decide(self.principal, Action.READ, Kind.SCHEMA_ID, subjects)
            allowed = True
        except Forbidden:
            allowed = False
        shown = ", ".join(f"{s} v{v}" for s, v in pairs
                          if self.principal.may_name(Kind.SUBJECT, s))
        self.known[schema_id] = (allowed, shown)
        return allowed, shown


def browse(
    service: RegistryService, broker: ConsoleBroker, topic: str, position: Position,
    principal: Principal, contracts: Contracts,
) -> Page:
    """The records at `position`, decoded when `principal` may read their schema, each with
    what `contracts` says of it."""
    count = max(1, min(position.count, BROWSE_MAX))
    partition = position.partition
    start, end = broker.offsets(topic, partition)
    if position.at_ms is not None:
        first = max(start, broker.offset_for_time(topic, partition, position.at_ms))
    elif position.offset is not None:
        first = max(start, position.offset)
    else:
        first = max(start, end - count)
    records: list[ConsumedRecord] = []
    if first < end:
        records = broker.fetch(topic, partition, first, records_max=count,
                               observe=False).records[:count]
    setting = broker.describe_topic(topic).config.contract
    decoder = Decoder(service)
    readable = _Readable(service, principal)
    out = []
    for r in records:
        writer = writer_of(service, r)
        schema_id = writer.schema_id if writer is not None else None
        where = ""
        if writer is None:
            value, decoded = _text(r.value)[:VALUE_CHARS_MAX], False
        elif writer.schema_id is None:
            value, decoded = f"{writer.problem}: {_text(r.value)[:VALUE_CHARS_MAX]}", False
        else:
            allowed, where = readable(writer.schema_id)
            stored = service.schema_by_id(writer.schema_id) if allowed else None
            if not allowed:
                value = f"schema id {writer.schema_id} is not one this key may read"
                decoded = False
            elif stored is None:
                value, decoded = f"schema id {writer.schema_id} is not in the registry", False
            else:
                value, decoded = decoder.decode(stored, writer.payload)
        violation = None
        try:
            check_values(topic, setting, [r.value], contracts)
        except ContractViolationError as exc:
            violation = str(exc)
        out.append(Event(
            r.offset, r.timestamp_ms, _text(r.key),
            tuple((h[0], _text(h[1])) for h in r.headers),
            schema_id, where, value, decoded, violation,
            writer.guid if writer is not None else None,
        ))
    return Page(out, start, end, first)
