"""Charter's SDK: a registry client, serialisers that validate events on publish and frame
them in Confluent's wire format (magic byte 0, 4-byte schema id, Avro, JSON or Protobuf
payload; Protobuf with its message indexes), and
producers and consumers over Charter's broker (embedded or HTTP) or Kafka, with retries,
dead letters and idempotent handling.

Heavy dependencies (httpx, fastavro, jsonschema-rs, orjson, protobuf) load on first use, so
`import sdk` stays cheap; broker transports load when a producer or consumer first opens one.
The names below load on first access too (PEP 562), so `import sdk` costs only this module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sdk.consumer import Consumer, Message, RunStats
    from sdk.dlq import DeadLetter, dead_letter_topic, read_dead_letter
    from sdk.errors import (
        ConfigurationError,
        DecodeError,
        DeliveryError,
        IncompatibleSchemaError,
        RegistryError,
        RegistryUnavailableError,
        SchemaNotFoundError,
        SchemaResolutionError,
        SdkError,
        TransportError,
        ValidationError,
        Violation,
        WireFormatError,
    )
    from sdk.event import ENVELOPE_AVRO_SCHEMA, ENVELOPE_JSON_SCHEMA, Event, event_schema
    from sdk.idempotency import IdempotencyStore, PostgresStore, SqliteStore, open_store
    from sdk.producer import Producer
    from sdk.registry import CompatibilityResult, RegisteredSchema, Registry, SchemaReference
    from sdk.serde import Deserializer, Serializer, Strategy, subject_name
    from sdk.ulid import new_ulid
    from sdk.wire import frame, header, schema_id_of, split

__all__ = [
    "ENVELOPE_AVRO_SCHEMA",
    "ENVELOPE_JSON_SCHEMA",
    "CompatibilityResult",
    "ConfigurationError",
    "Consumer",
    "DeadLetter",
    "DecodeError",
    "DeliveryError",
    "Deserializer",
    "Event",
    "IdempotencyStore",
    "IncompatibleSchemaError",
    "Message",
    "PostgresStore",
    "Producer",
    "RegisteredSchema",
    "Registry",
    "RegistryError",
    "RegistryUnavailableError",
    "RunStats",
    "SchemaNotFoundError",
    "SchemaReference",
    "SchemaResolutionError",
    "SdkError",
    "Serializer",
    "SqliteStore",
    "Strategy",
    "TransportError",
    "ValidationError",
    "Violation",
    "WireFormatError",
    "dead_letter_topic",
    "event_schema",
    "frame",
    "header",
    "new_ulid",
    "open_store",
    "read_dead_letter",
    "schema_id_of",
    "split",
    "subject_name",
]

# Where each public name lives; `__getattr__` imports the module on first access.
_HOMES: dict[str, str] = {
    "CompatibilityResult": "sdk.registry",
    "ConfigurationError": "sdk.errors",
    "Consumer": "sdk.consumer",
    "DeadLetter": "sdk.dlq",
    "DecodeError": "sdk.errors",
    "DeliveryError": "sdk.errors",
    "Deserializer": "sdk.serde",
    "ENVELOPE_AVRO_SCHEMA": "sdk.event",
    "ENVELOPE_JSON_SCHEMA": "sdk.event",
    "Event": "sdk.event",
    "IdempotencyStore": "sdk.idempotency",
    "IncompatibleSchemaError": "sdk.errors",
    "Message": "sdk.consumer",
    "PostgresStore": "sdk.idempotency",
    "Producer": "sdk.producer",
    "RegisteredSchema": "sdk.registry",
    "Registry": "sdk.registry",
    "RegistryError": "sdk.errors",
    "RegistryUnavailableError": "sdk.errors",
    "RunStats": "sdk.consumer",
    "SchemaNotFoundError": "sdk.errors",
    "SchemaReference": "sdk.registry",
    "SchemaResolutionError": "sdk.errors",
    "SdkError": "sdk.errors",
    "Serializer": "sdk.serde",
    "SqliteStore": "sdk.idempotency",
    "Strategy": "sdk.serde",
    "TransportError": "sdk.errors",
    "ValidationError": "sdk.errors",
    "Violation": "sdk.errors",
    "WireFormatError": "sdk.errors",
    "dead_letter_topic": "sdk.dlq",
    "event_schema": "sdk.event",
    "frame": "sdk.wire",
    "header": "sdk.wire",
    "new_ulid": "sdk.ulid",
    "open_store": "sdk.idempotency",
    "read_dead_letter": "sdk.dlq",
    "schema_id_of": "sdk.wire",
    "split": "sdk.wire",
    "subject_name": "sdk.serde",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
