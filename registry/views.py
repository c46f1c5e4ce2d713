"""Response bodies in Confluent's shapes (schemaType omitted for AVRO, references when any)."""

from __future__ import annotations

from typing import Any

import orjson

from compat import SchemaType
from registry.store import StoredSchema, SubjectVersion

__all__ = ["references_body", "schema_body", "schema_bytes", "version_body"]


def references_body(schema: StoredSchema) -> list[dict[str, Any]]:
    return [{"name": r.name, "subject": r.subject, "version": r.version} for r in schema.references]


def schema_body(schema: StoredSchema) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if schema.schema_type is not SchemaType.AVRO:
        body["schemaType"] = schema.schema_type.value
    body["schema"] = schema.text
    if schema.references:
        body["references"] = references_body(schema)
    return body


def schema_bytes(schema: StoredSchema) -> bytes:
    return orjson.dumps(schema_body(schema))


def version_body(view: SubjectVersion) -> dict[str, Any]:
    body: dict[str, Any] = {"subject": view.subject, "version": view.version, "id": view.schema.id}
    body.update(schema_body(view.schema))
    return body
