"""The event envelope every Charter event travels in, and its mapping to CloudEvents.

An envelope names what happened (`eventType`), gives it a unique id (`eventId`, a ULID by
default), says when (`timestamp`, RFC 3339 in UTC) and where (`source`), which version of the
event type's contract `data` follows (`version`), and carries `data`. Its schemas (JSON Schema
and Avro) are `ENVELOPE_JSON_SCHEMA` and `ENVELOPE_AVRO_SCHEMA`, also in `schemas/envelope/`;
`event_schema` puts an event type's data schema into the envelope.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sdk.errors import ConfigurationError, ValidationError, Violation
from sdk.ulid import new_ulid

__all__ = [
    "ENVELOPE_AVRO_SCHEMA",
    "ENVELOPE_FIELDS",
    "ENVELOPE_JSON_SCHEMA",
    "Event",
    "event_schema",
    "utc_now",
]

ENVELOPE_FIELDS = ("eventType", "eventId", "timestamp", "version", "source", "data")
_CLOUDEVENTS_SPEC_VERSION = "1.0"

ENVELOPE_JSON_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "charter.Event",
    "description": "Charter's event envelope. `data` is replaced by the event type's schema.",
    "type": "object",
    "properties": {
        "eventType": {
            "description": "What happened, e.g. order.placed (CloudEvents `type`).",
            "type": "string",
            "pattern": "^[A-Za-z][A-Za-z0-9_.-]*$",
            "maxLength": 255,
        },
        "eventId": {
            "description": "Unique id of this event, a ULID by default (CloudEvents `id`).",
            "type": "string",
            "minLength": 1,
            "maxLength": 128,
        },
        "timestamp": {
            "description": "When it happened, RFC 3339 in UTC (CloudEvents `time`).",
            "type": "string",
            "format": "date-time",
            "pattern": "Z$",
        },
        "version": {
            "description": "Version of the event type's contract that `data` follows.",
            "type": "integer",
            "minimum": 1,
        },
        "source": {
            "description": "The producer, a URI reference such as /services/orders.",
            "type": "string",
            "minLength": 1,
        },
        "data": {"description": "The event's payload.", "type": "object"},
    },
    "required": list(ENVELOPE_FIELDS),
    "additionalProperties": False,
}

ENVELOPE_AVRO_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "Event",
    "namespace": "charter",
    "doc": "Charter's event envelope. `data` is replaced by the event type's record.",
    "fields": [
        {"name": "eventType", "type": "string", "doc": "What happened, e.g. order.placed."},
        {"name": "eventId", "type": "string", "doc": "Unique id, a ULID by default."},
        {"name": "timestamp", "type": "string", "doc": "When it happened, RFC 3339 in UTC."},
        {"name": "version", "type": "int", "doc": "Version of the event type's contract."},
        {"name": "source", "type": "string", "doc": "The producer, a URI reference."},
        {
            "name": "data",
            "type": {"type": "record", "name": "Data", "fields": []},
            "doc": "The event's payload.",
        },
    ],
}


def utc_now() -> str:
    """Now as RFC 3339 in UTC with milliseconds, e.g. 2026-11-26T20:15:03.123Z."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Event:
    """One event in Charter's envelope. `to_dict` gives the shape the schemas describe."""

    event_type: str
    source: str
    data: Mapping[str, Any]
    version: int = 1
    event_id: str = field(default_factory=new_ulid)
    timestamp: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, Any]:
        return {
            "eventType": self.event_type,
            "eventId": self.event_id,
            "timestamp": self.timestamp,
            "version": self.version,
            "source": self.source,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Event:
        """The event in a decoded envelope; `ValidationError` names every missing field."""
        missing = [
            Violation(f"/{name}", "required field is missing")
            for name in ENVELOPE_FIELDS
            if name not in value
        ]
        if missing:
            raise ValidationError(missing)
        return cls(
            event_type=value["eventType"],
            source=value["source"],
            data=value["data"],
            version=value["version"],
            event_id=value["eventId"],
            timestamp=value["timestamp"],
        )

    def to_cloudevent(
        self, *, data_content_type: str = "application/json", data_schema: str | None = None
    ) -> dict[str, Any]:
        """The event as a CloudEvents 1.0 structured-mode object (see docs/sdk.md)."""
        attributes: dict[str, Any] = {
            "specversion": _CLOUDEVENTS_SPEC_VERSION,
            "id": self.event_id,
            "source": self.source,
            "type": self.event_type,
            "time": self.timestamp,
            "datacontenttype": data_content_type,
            "dataversion": self.version,
        }
        if data_schema is not None:
            attributes["dataschema"] = data_schema
        attributes["data"] = dict(self.data)
        return attributes

    @classmethod
    def from_cloudevent(cls, value: Mapping[str, Any]) -> Event:
        """The event in a CloudEvents structured-mode object made by `to_cloudevent`."""
        missing = [
            Violation(f"/{name}", "required attribute is missing")
            for name in ("specversion", "id", "source", "type", "time")
            if name not in value
        ]
        if missing:
            raise ValidationError(missing)
        return cls(
            event_type=value["type"],
            source=value["source"],
            data=value.get("data") or {},
            version=int(value.get("dataversion", 1)),
            event_id=value["id"],
            timestamp=value["time"],
        )


def event_schema(
    data_schema: Mapping[str, Any],
    *,
    schema_type: str,
    name: str,
    event_type: str | None = None,
) -> dict[str, Any]:
    """The envelope with `data_schema` as its `data`: the full schema of one event type.

    `name` is the schema's full name (Avro record name with namespace; JSON Schema `title`),
    which the record subject-name strategies use. For JSON Schema, `event_type` pins
    `eventType` to that one value.
    """
    kind = schema_type.upper()
    if kind == "AVRO":
        schema = copy.deepcopy(ENVELOPE_AVRO_SCHEMA)
        namespace, _, short = name.rpartition(".")
        schema["name"] = short
        if namespace:
            schema["namespace"] = namespace
        else:
            schema.pop("namespace")
        for entry in schema["fields"]:
            if entry["name"] == "data":
                entry["type"] = copy.deepcopy(dict(data_schema))
        return schema
    if kind == "JSON":
        schema = copy.deepcopy(ENVELOPE_JSON_SCHEMA)
        schema["title"] = name
        schema.pop("description")
        schema["properties"]["data"] = copy.deepcopy(dict(data_schema))
        if event_type is not None:
            schema["properties"]["eventType"] = {"const": event_type}
        return schema
    raise ConfigurationError(f"unknown schema type {schema_type!r}; expected AVRO or JSON")
