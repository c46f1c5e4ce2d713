"""Response bodies in Confluent's shapes, as pydantic models built from the service's values.

Fields left None are left out of the body (`schemaType` for AVRO, `references` when there are
none, `messages` unless verbose…); routes serialise with `exclude_none`.
"""

from __future__ import annotations

import orjson
from pydantic import BaseModel, Field

from compat import Level, Result, SchemaType
from registry.values import ConfigValue, Mode, StoredSchema, SubjectVersion

__all__ = [
    "CompatibilityResponse",
    "ConfigResponse",
    "ConfigUpdateResponse",
    "ModeResponse",
    "ReferenceResponse",
    "RegisteredResponse",
    "SchemaResponse",
    "SubjectVersionResponse",
    "VersionResponse",
    "schema_json",
]


class ReferenceResponse(BaseModel):
    name: str
    subject: str
    version: int


def _references(schema: StoredSchema) -> list[ReferenceResponse] | None:
    if not schema.references:
        return None
    return [ReferenceResponse(name=r.name, subject=r.subject, version=r.version)
            for r in schema.references]


def _schema_type(schema: StoredSchema) -> str | None:
    return None if schema.schema_type is SchemaType.AVRO else schema.schema_type.value


class SchemaResponse(BaseModel):
    schemaType: str | None = None
    schema_text: str = Field(serialization_alias="schema")
    references: list[ReferenceResponse] | None = None

    @classmethod
    def of(cls, schema: StoredSchema) -> SchemaResponse:
        return cls(
            schemaType=_schema_type(schema),
            schema_text=schema.text,
            references=_references(schema),
        )


def schema_json(schema: StoredSchema) -> bytes:
    """The body of `GET /schemas/ids/{id}`, serialised once and cached by the service."""
    body = SchemaResponse.of(schema).model_dump(by_alias=True, exclude_none=True)
    return orjson.dumps(body)


class VersionResponse(BaseModel):
    subject: str
    version: int
    id: int
    schemaType: str | None = None
    schema_text: str = Field(serialization_alias="schema")
    references: list[ReferenceResponse] | None = None

    @classmethod
    def of(cls, view: SubjectVersion) -> VersionResponse:
        return cls(
            subject=view.subject,
            version=view.version,
            id=view.schema.id,
            schemaType=_schema_type(view.schema),
            schema_text=view.schema.text,
            references=_references(view.schema),
        )


class SubjectVersionResponse(BaseModel):
    subject: str
    version: int


class RegisteredResponse(BaseModel):
    id: int


class CompatibilityResponse(BaseModel):
    is_compatible: bool
    messages: list[str] | None = None

    @classmethod
    def of(cls, result: Result, *, verbose: bool) -> CompatibilityResponse:
        return cls(
            is_compatible=result.compatible, messages=result.messages() if verbose else None
        )


class ConfigResponse(BaseModel):
    """GET and DELETE /config: the level always (the fallback's, or the default)."""

    compatibilityLevel: str
    compatibilityPolicy: str | None = None
    normalize: bool | None = None

    @classmethod
    def of(cls, config: ConfigValue, fallback: ConfigValue | None = None) -> ConfigResponse:
        level = config.level or (fallback.level if fallback else None) or Level.BACKWARD
        return cls(
            compatibilityLevel=level.value,
            compatibilityPolicy=config.policy.value if config.policy else None,
            normalize=config.normalize,
        )


class ConfigUpdateResponse(BaseModel):
    """PUT /config: what the config holds now, as Confluent echoes it."""

    compatibility: str | None = None
    compatibilityPolicy: str | None = None
    normalize: bool | None = None

    @classmethod
    def of(cls, config: ConfigValue) -> ConfigUpdateResponse:
        return cls(
            compatibility=config.level.value if config.level else None,
            compatibilityPolicy=config.policy.value if config.policy else None,
            normalize=config.normalize,
        )


class ModeResponse(BaseModel):
    mode: str

    @classmethod
    def of(cls, mode: Mode) -> ModeResponse:
        return cls(mode=mode.value)
