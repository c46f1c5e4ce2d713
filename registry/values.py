"""The registry's frozen value objects: what the repository returns and the service hands on.

None of them is an ORM row; routers turn them into response models.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from compat import Level, Policy, Reference, SchemaSource, SchemaType
from registry import errors
from registry.datacontract import NO_CONTRACT, Contract

__all__ = [
    "LATEST",
    "ConfigUpdate",
    "ConfigValue",
    "EffectiveConfig",
    "Mode",
    "Registration",
    "StoredSchema",
    "SubjectVersion",
    "VersionEntry",
]

LATEST = -1  # the version spec "latest" / -1


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    # READONLY that, set registry-wide, also overrides every subject's and context's own mode
    READONLY_OVERRIDE = "READONLY_OVERRIDE"
    IMPORT = "IMPORT"

    @classmethod
    def parse(cls, value: object) -> Mode:
        try:
            return cls(str(value).upper())
        except ValueError:
            raise errors.InvalidMode(
                f"Invalid mode {value!r}. Valid values are READWRITE, READONLY, "
                "READONLY_OVERRIDE, IMPORT"
            ) from None

    @property
    def read_only(self) -> bool:
        return self in (Mode.READONLY, Mode.READONLY_OVERRIDE)


@dataclass(frozen=True, slots=True)
class StoredSchema:
    """A stored schema. `id` is the id clients see, within its `context`; `key` is its row's
    key, which versions point at (`VersionEntry.schema_key`)."""

    id: int
    schema_type: SchemaType
    text: str
    references: tuple[Reference, ...]
    guid: str = ""
    contract: Contract = NO_CONTRACT
    key: int = 0
    context: str = "."

    @property
    def source(self) -> SchemaSource:
        return SchemaSource(self.text, self.schema_type, self.references)


@dataclass(frozen=True, slots=True)
class VersionEntry:
    """One version of a subject as its history lists it: enough to match a schema by identity
    without reading the schema's text. The fingerprints are identities of text *and* contract
    (`registry.datacontract.identity`), so every index built on them keys on metadata and
    rules too."""

    subject: str
    version: int
    schema_key: int  # the schema row's key (`StoredSchema.key`), not the id clients see
    deleted: bool
    fingerprint: str
    normalized_fingerprint: str


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    subject: str
    version: int
    schema: StoredSchema
    deleted: bool


@dataclass(frozen=True, slots=True)
class ConfigValue:
    """A stored config, global (`subject` None) or of one subject; None fields are unset."""

    subject: str | None
    level: Level | None = None
    policy: Policy | None = None
    normalize: bool | None = None
    compatibility_group: str | None = None
    alias: str | None = None
    validate_fields: bool | None = None
    default_contract: Contract = NO_CONTRACT  # defaultMetadata, defaultRuleSet
    override_contract: Contract = NO_CONTRACT  # overrideMetadata, overrideRuleSet


@dataclass(frozen=True, slots=True)
class ConfigUpdate:
    """The fields a `PUT /config` sets (None: keep what is stored)."""

    level: Level | None = None
    policy: Policy | None = None
    normalize: bool | None = None
    compatibility_group: str | None = None
    alias: str | None = None
    validate_fields: bool | None = None
    default_metadata: str | None = None
    override_metadata: str | None = None
    default_rule_set: str | None = None
    override_rule_set: str | None = None


@dataclass(frozen=True, slots=True)
class EffectiveConfig:
    level: Level
    policy: Policy
    normalize: bool
    compatibility_group: str | None = None
    default_contract: Contract = NO_CONTRACT
    override_contract: Contract = NO_CONTRACT


@dataclass(frozen=True, slots=True)
class Registration:
    """What a new schema registration asks for (id and version only in IMPORT mode)."""

    subject: str
    source: SchemaSource
    normalize: bool = False
    schema_id: int | None = None
    version: int | None = None
    contract: Contract = NO_CONTRACT  # what the request carries, before config merging
    guid: str | None = None  # IMPORT: the GUID the source registry gave the schema
