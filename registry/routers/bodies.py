"""Request bodies, read with `read_model` whatever the content type says."""

from __future__ import annotations

import unicodedata
import uuid
from typing import Annotated, Any

from fastapi import Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from compat import Reference, SchemaSource
from registry import errors
from registry.datacontract import Contract, canonical_metadata, canonical_rule_set
from registry.http import ID_MAX, VERSION_MAX, RegistryDep, check_subject, read_model
from registry.openapi import json_body
from registry.schemas import schema_type_named
from registry.settings import Settings

__all__ = [
    "CONFIG_DOC",
    "MODE_DOC",
    "SCHEMA_DOC",
    "ConfigBody",
    "ConfigIn",
    "ModeBody",
    "ModeIn",
    "SchemaBody",
    "SchemaIn",
]


class ReferenceIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    subject: str
    version: int


class SchemaIn(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    schema_text: str | None = Field(default=None, alias="schema")
    schemaType: str | None = None
    references: list[ReferenceIn] | None = None
    id: int | None = None
    version: int | None = None
    guid: str | None = None
    metadata: Any = None
    ruleSet: Any = None
    schemaTagsToAdd: Any = None
    schemaTagsToRemove: Any = None

    def refuse_tags(self) -> None:
        """Schema tags are not kept (see docs/contracts.md): refuse them rather than store a
        version without the tags its author asked for."""
        if self.schemaTagsToAdd or self.schemaTagsToRemove:
            raise errors.UnprocessableError(
                "schemaTagsToAdd and schemaTagsToRemove are not supported by this registry"
            )

    def contract(self) -> Contract:
        """The request's metadata and rule set, checked (42201 when malformed)."""
        return Contract(canonical_metadata(self.metadata), canonical_rule_set(self.ruleSet))

    def explicit_guid(self) -> str | None:
        """The GUID asked for (IMPORT from a registry that has them), in canonical form."""
        if self.guid is None or self.guid == "":
            return None
        return parse_guid(self.guid, errors.UnprocessableError)

    def source(self, settings: Settings) -> SchemaSource:
        text = self.schema_text
        if text is None or not text.strip():
            raise errors.InvalidSchema("Empty schema")
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as exc:
            raise errors.InvalidSchema(
                f"Invalid schema: unpaired surrogate {text[exc.start]!r} at character "
                f"{exc.start}; the text must be valid Unicode"
            ) from None
        if size > settings.schema_bytes_max:
            raise errors.SchemaTooLarge(
                f"Schema of {size} bytes is larger than the limit of "
                f"{settings.schema_bytes_max} bytes"
            )
        schema_type = schema_type_named(self.schemaType)
        refs = []
        for ref in self.references or ():
            if ref.version != -1 and not 1 <= ref.version <= VERSION_MAX:
                raise errors.InvalidSchema(
                    f"Invalid schema: reference {ref.name!r} has invalid version {ref.version}"
                )
            if not ref.name or not ref.subject:
                raise errors.InvalidSchema("Invalid schema: a reference needs a name and subject")
            try:
                check_subject(ref.subject, settings)
                ref.name.encode("utf-8")
                if any(unicodedata.category(char) == "Cc" for char in ref.name):
                    raise errors.InvalidSubject("control character in a reference name")
            except (errors.InvalidSubject, UnicodeEncodeError):
                raise errors.InvalidSchema(
                    f"Invalid schema: reference {ref.name!r} names an invalid subject or name"
                ) from None
            refs.append(Reference(ref.name, ref.subject, ref.version))
        return SchemaSource(text, schema_type, tuple(refs))

    def explicit_id(self) -> int | None:
        """The id asked for (IMPORT mode); -1 or 0 mean none, as some clients send."""
        if self.id is None or self.id in (-1, 0):
            return None
        if not 1 <= self.id <= ID_MAX:
            raise errors.UnprocessableError(
                f"Invalid schema id {self.id}; ids are between 1 and {ID_MAX}"
            )
        return self.id

    def explicit_version(self) -> int | None:
        if self.version is None or self.version in (-1, 0):
            return None
        if not 1 <= self.version <= VERSION_MAX:
            raise errors.InvalidVersion(str(self.version))
        return self.version


def parse_guid(value: str, error: type[errors.RegistryError]) -> str:
    """A GUID in its canonical spelling; `error` when it is not a UUID."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise error(f"Invalid schema guid {value!r}; a guid is a UUID") from None


class ConfigIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    compatibility: str | None = None
    compatibilityLevel: str | None = None
    compatibilityPolicy: str | None = None
    normalize: bool | None = None
    compatibilityGroup: str | None = None
    alias: str | None = None
    validateFields: bool | None = None
    defaultMetadata: Any = None
    overrideMetadata: Any = None
    defaultRuleSet: Any = None
    overrideRuleSet: Any = None


class ModeIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    mode: str | None = None


async def _schema_body(request: Request, registry: RegistryDep) -> SchemaIn:
    return await read_model(request, SchemaIn, registry.settings.request_bytes_max)


async def _config_body(request: Request, registry: RegistryDep) -> ConfigIn:
    return await read_model(request, ConfigIn, registry.settings.request_bytes_max)


async def _mode_body(request: Request, registry: RegistryDep) -> ModeIn:
    return await read_model(request, ModeIn, registry.settings.request_bytes_max)


# The bodies are read by the dependencies above, so the OpenAPI document learns of them here.
SCHEMA_DOC = json_body(SchemaIn)
CONFIG_DOC = json_body(ConfigIn)
MODE_DOC = json_body(ModeIn)

SchemaBody = Annotated[SchemaIn, Depends(_schema_body)]
ConfigBody = Annotated[ConfigIn, Depends(_config_body)]
ModeBody = Annotated[ModeIn, Depends(_mode_body)]
