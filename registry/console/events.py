"""Records of a topic decoded with their writer schema, for the console's event browser."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import fastavro

from broker.api import BrokerAPI
from broker.contracts import WIRE_HEADER_BYTES, WIRE_MAGIC, check_values
from broker.errors import ContractViolationError
from broker.record import ConsumedRecord
from registry.contracts import RegistryContracts
from registry.service import RegistryService

__all__ = ["BROWSE_MAX", "Event", "browse", "schema_id_of"]

BROWSE_MAX = 200  # records one page shows at most
VALUE_CHARS_MAX = 20_000


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


class _Decoder:
    def __init__(self, service: RegistryService) -> None:
        self.service = service
        self.readers: dict[int, Any] = {}

    def decode(self, schema_id: int, payload: bytes) -> tuple[str, bool]:
        stored = self.service.schema_by_id(schema_id)
        if stored is None:
            return f"schema id {schema_id} is not in the registry", False
        try:
            if stored.schema_type == "AVRO":
                if schema_id not in self.readers:
                    self.readers[schema_id] = fastavro.parse_schema(json.loads(stored.text))
                value = fastavro.schemaless_reader(io.BytesIO(payload), self.readers[schema_id])
            elif stored.schema_type == "JSON":
                value = json.loads(payload)
            else:
                return f"{stored.schema_type} payload: 0x{payload[:256].hex()}", False
        except Exception as exc:  # untrusted bytes: any decoding failure is shown, not raised
            return f"cannot decode with schema {schema_id}: {type(exc).__name__}: {exc}", False
        text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
        return text[:VALUE_CHARS_MAX], True


def browse(
    service: RegistryService, broker: BrokerAPI, topic: str, partition: int,
    *, offset: int | None, count: int,
) -> tuple[list[Event], int, int]:
    """The records from `offset` (or the latest `count`), and the partition's bounds."""
    count = max(1, min(count, BROWSE_MAX))
    start, end = broker.offsets(topic, partition)
    first = max(start, end - count) if offset is None else max(start, offset)
    records: list[ConsumedRecord] = []
    if first < end:
        records = broker.fetch(topic, partition, first, records_max=count).records[:count]
    setting = broker.describe_topic(topic).config.contract
    contracts = RegistryContracts(service)
    decoder = _Decoder(service)
    versions: dict[int, str] = {}
    out = []
    for r in records:
        schema_id = schema_id_of(r.value)
        if schema_id is not None and r.value is not None:
            value, decoded = decoder.decode(schema_id, r.value[WIRE_HEADER_BYTES:])
            if schema_id not in versions:
                try:
                    pairs = service.versions_of_id(schema_id)
                except Exception:
                    pairs = []
                versions[schema_id] = ", ".join(f"{s} v{v}" for s, v in pairs)
        else:
            value, decoded = _text(r.value)[:VALUE_CHARS_MAX], False
        violation = None
        try:
            check_values(topic, setting, [r.value], contracts)
        except ContractViolationError as exc:
            violation = str(exc)
        out.append(Event(
            r.offset, r.timestamp_ms, _text(r.key),
            tuple((h[0], _text(h[1])) for h in r.headers),
            schema_id, versions.get(schema_id, "") if schema_id is not None else "",
            value, decoded, violation,
        ))
    return out, start, end
