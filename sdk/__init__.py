"""Charter's SDK: a registry client, serialisers that validate events on publish and frame
them in Confluent's wire format (magic byte 0, 4-byte schema id, Avro, JSON or Protobuf
payload; Protobuf with its message indexes), and
producers and consumers over Charter's broker (embedded or HTTP) or Kafka, with retries,
dead letters and idempotent handling.

Heavy dependencies (httpx, fastavro, jsonschema-rs, orjson, protobuf) load on first use, so
`import sdk` stays cheap; broker transports load when a producer or consumer first opens one.
"""

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
