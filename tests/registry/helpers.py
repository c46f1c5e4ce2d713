"""Schemas and small assertions shared by the registry tests."""

from __future__ import annotations

import json
from typing import Any

import httpx

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"


def record(name: str, *fields: tuple[str, Any], default: dict[str, Any] | None = None) -> str:
    """An Avro record schema as text; `default` maps field names to default values."""
    defaults = default or {}
    body = []
    for field_name, field_type in fields:
        field: dict[str, Any] = {"name": field_name, "type": field_type}
        if field_name in defaults:
            field["default"] = defaults[field_name]
        body.append(field)
    return json.dumps({"type": "record", "name": name, "fields": body})


USER_V1 = record("User", ("id", "long"))
USER_V2 = record("User", ("id", "long"), ("name", "string"), default={"name": ""})
USER_BAD = record("User", ("id", "long"), ("email", "string"))  # new field, no default
JSON_V1 = json.dumps({"type": "object", "properties": {"a": {"type": "string"}}})


def body(schema: str, schema_type: str | None = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"schema": schema}
    if schema_type:
        data["schemaType"] = schema_type
    data.update(extra)
    return data


def assert_error(response: httpx.Response, status: int, error_code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(MEDIA_TYPE)
    data = response.json()
    assert set(data) == {"error_code", "message"}, data
    assert data["error_code"] == error_code, data
    assert isinstance(data["message"], str) and data["message"]
    return data
