"""Charter's SDK: a registry client, and serialisers that validate events on publish and frame
them in Confluent's wire format (magic byte 0, 4-byte schema id, Avro or JSON payload).

Heavy dependencies (httpx, fastavro, jsonschema-rs, orjson) load on first use, so `import sdk`
stays cheap.
"""

from sdk.errors import (
    ConfigurationError,
    DecodeError,
    IncompatibleSchemaError,
    RegistryError,
    RegistryUnavailableError,
    SchemaNotFoundError,
    SchemaResolutionError,
    SdkError,
    ValidationError,
    Violation,
    WireFormatError,
)
from sdk.event import ENVELOPE_AVRO_SCHEMA, ENVELOPE_JSON_SCHEMA, Event, event_schema
from sdk.registry import CompatibilityResult, RegisteredSchema, Registry, SchemaReference
from sdk.serde import Deserializer, Serializer, Strategy, subject_name
from sdk.ulid import new_ulid
from sdk.wire import frame, header, schema_id_of, split

__all__ = [
    "ENVELOPE_AVRO_SCHEMA",
    "ENVELOPE_JSON_SCHEMA",
    "CompatibilityResult",
    "ConfigurationError",
    "DecodeError",
    "Deserializer",
    "Event",
    "IncompatibleSchemaError",
    "RegisteredSchema",
    "Registry",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaNotFoundError",
    "SchemaReference",
    "SchemaResolutionError",
    "SdkError",
    "Serializer",
    "Strategy",
    "ValidationError",
    "Violation",
    "WireFormatError",
    "event_schema",
    "frame",
    "header",
    "new_ulid",
    "schema_id_of",
    "split",
    "subject_name",
]
