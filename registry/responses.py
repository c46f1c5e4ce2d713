"""Response bodies in Confluent's shapes, as pydantic models built from the service's values.

Fields left None are left out of the body (`schemaType` for AVRO, `references` when there are
none, `messages` unless verbose…); routes serialise with `exclude_none`.
"""

from __future__ import annotations

from typing import Any

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
    """`GET /schemas/ids/{id}` and `/schemas/guids/{guid}`."""

    schemaType: str | None = None
    schema_text: str = Field(serialization_alias="schema")
    references: list[ReferenceResponse] | None = None
    metadata: Any = None
    ruleSet: Any = None

    @classmethod
    def of(cls, schema: StoredSchema) -> SchemaResponse:
        metadata, rule_set = schema.contract.as_json()
        return cls(
            schemaType=_schema_type(schema),
            schema_text=schema.text,
            references=_references(schema),
            metadata=metadata,
            ruleSet=rule_set,
        )


def schema_json(schema: StoredSchema) -> bytes:
    """The body of `GET /schemas/ids/{id}`, serialised once and cached by the service."""
    body = SchemaResponse.of(schema).model_dump(by_alias=True, exclude_none=True)
    return orjson.dumps(body)


class VersionResponse(BaseModel):
    subject: str
    version: int
    id: int
    guid: str | None = None
    schemaType: str | None = None
    schema_text: str = Field(serialization_alias="schema")
    references: list[ReferenceResponse] | None = None
    metadata: Any = None
    ruleSet: Any = None

    @classmethod
    def of(cls, view: SubjectVersion, *, negative: bool = False) -> VersionResponse:
        """`negative`: a soft-deleted version answers with its number negated
        (`deletedAsNegative`)."""
        metadata, rule_set = view.schema.contract.as_json()
        return cls(
            subject=view.subject,
            version=-view.version if negative and view.deleted else view.version,
            id=view.schema.id,
            guid=view.schema.guid or None,
            schemaType=_schema_type(view.schema),
            schema_text=view.schema.text,
            references=_references(view.schema),
            metadata=metadata,
            ruleSet=rule_set,
        )


class SubjectVersionResponse(BaseModel):
    subject: str
    version: int


class RegisteredResponse(BaseModel):
    """What registering answers, as Confluent 8: older clients read only `id`; newer ones
    take the GUID (for header ids) and the contract the registry merged in."""

    id: int
    version: int
    guid: str
    schemaType: str
    schema_text: str = Field(serialization_alias="schema")
    references: list[ReferenceResponse] | None = None
    metadata: Any = None
    ruleSet: Any = None

    @classmethod
    def of(cls, view: SubjectVersion, sent: str | None = None) -> RegisteredResponse:
        """`sent`: the schema as the request gave it, answered back in that form (clients
        cache the answer under the id in the form they registered, e.g. Protobuf's base64
        descriptor)."""
        metadata, rule_set = view.schema.contract.as_json()
        return cls(
            id=view.schema.id,
            version=view.version,
            guid=view.schema.guid,
            schemaType=view.schema.schema_type.value,
            schema_text=view.schema.text if sent is None else sent,
            references=_references(view.schema),
            metadata=metadata,
            ruleSet=rule_set,
        )


class CompatibilityResponse(BaseModel):
    is_compatible: bool
    messages: list[str] | None = None

    @classmethod
    def of(cls, result: Result, *, verbose: bool) -> CompatibilityResponse:
        return cls(
            is_compatible=result.compatible, messages=result.messages() if verbose else None
        )


def _contract_settings(config: ConfigValue) -> dict[str, Any]:
    default_metadata, default_rule_set = config.default_contract.as_json()
    override_metadata, override_rule_set = config.override_contract.as_json()
    return {
        "normalize": config.normalize,
        "compatibilityGroup": config.compatibility_group,
        "alias": config.alias,
        "validateFields": config.validate_fields,
        "defaultMetadata": default_metadata,
        "overrideMetadata": override_metadata,
        "defaultRuleSet": default_rule_set,
        "overrideRuleSet": override_rule_set,
    }


class ContractSettings(BaseModel):
    normalize: bool | None = None
    compatibilityGroup: str | None = None
    alias: str | None = None
    validateFields: bool | None = None
    defaultMetadata: Any = None
    overrideMetadata: Any = None
    defaultRuleSet: Any = None
    overrideRuleSet: Any = None


class ConfigResponse(ContractSettings):
    """GET and DELETE /config: the level always (the fallback's, or the default)."""

    compatibilityLevel: str
    compatibilityPolicy: str | None = None

    @classmethod
    def of(cls, config: ConfigValue, fallback: ConfigValue | None = None) -> ConfigResponse:
        level = config.level or (fallback.level if fallback else None) or Level.BACKWARD
        return cls(
            compatibilityLevel=level.value,
            compatibilityPolicy=config.policy.value if config.policy else None,
            **_contract_settings(config),
        )


class ConfigUpdateResponse(ContractSettings):
    """PUT /config: what the config holds now, as Confluent echoes it."""

    compatibility: str | None = None
    compatibilityPolicy: str | None = None

    @classmethod
    def of(cls, config: ConfigValue) -> ConfigUpdateResponse:
        return cls(
            compatibility=config.level.value if config.level else None,
            compatibilityPolicy=config.policy.value if config.policy else None,
            **_contract_settings(config),
        )


class ModeResponse(BaseModel):
    mode: str

    @classmethod
    def of(cls, mode: Mode) -> ModeResponse:
        return cls(mode=mode.value)
