"""The value objects of the compatibility engine: schema sources, levels, findings, results."""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from compat.errors import InvalidLevelError

__all__ = [
    "Direction",
    "Finding",
    "Level",
    "Policy",
    "Reference",
    "Resolver",
    "Result",
    "Rule",
    "Schema",
    "SchemaSource",
    "SchemaType",
    "Severity",
]


class Severity(StrEnum):
    """How a finding weighs. Only errors decide a verdict; warnings say where the verdict,
    as Confluent defines it, and what data can actually do part ways."""

    ERROR = "error"
    WARNING = "warning"


class SchemaType(StrEnum):
    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"


class Level(StrEnum):
    """Confluent's compatibility levels."""

    NONE = "NONE"
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"

    @classmethod
    def parse(cls, value: str) -> Level:
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidLevelError(value, ", ".join(m.value for m in cls)) from None

    @property
    def transitive(self) -> bool:
        return self.value.endswith("_TRANSITIVE")

    @property
    def backward(self) -> bool:
        return self.value.startswith(("BACKWARD", "FULL"))

    @property
    def forward(self) -> bool:
        return self.value.startswith(("FORWARD", "FULL"))


class Policy(StrEnum):
    """How JSON Schema changes are judged.

    STRICT (the default) and LENIENT are Confluent's two rule sets, verdict for verdict.
    SOUND (opt-in) judges by what data can do: a change is refused exactly when an instance
    valid for the writer's schema may fail the reader's, whatever Confluent's rules say.
    """

    STRICT = "STRICT"
    LENIENT = "LENIENT"
    SOUND = "SOUND"

    @classmethod
    def parse(cls, value: str) -> Policy:
        try:
            return cls(value.upper())
        except ValueError:
            raise InvalidLevelError(value, ", ".join(m.value for m in cls)) from None


class Direction(StrEnum):
    """Which way one comparison reads data.

    BACKWARD: the new schema is the reader of data written with an old one.
    FORWARD: an old schema is the reader of data written with the new one.
    """

    BACKWARD = "BACKWARD"
    FORWARD = "FORWARD"


@dataclass(frozen=True, slots=True)
class Reference:
    """A named pointer from one schema to a version of another subject (Confluent's model)."""

    name: str
    subject: str
    version: int


@dataclass(frozen=True, slots=True)
class SchemaSource:
    """Schema text as a user or the store supplies it, before parsing."""

    text: str
    schema_type: SchemaType = SchemaType.AVRO
    references: tuple[Reference, ...] = ()


class Resolver(Protocol):
    """Supplies the source of a referenced schema; raise `LookupError` when it does not exist."""

    def __call__(self, reference: Reference, /) -> SchemaSource: ...


class Schema(ABC):
    """A parsed, valid, immutable schema. Each format subclasses it."""

    schema_type: SchemaType
    source: SchemaSource
    warnings: tuple[Finding, ...] = ()
    """Findings about the schema alone (severity WARNING): valid as Confluent judges, yet
    worth a look. `compat.check` reports them once, whatever the level and history."""

    @property
    @abstractmethod
    def canonical_text(self) -> str:
        """The schema as the registry stores and returns it: compact, key order kept."""

    @property
    @abstractmethod
    def normalized_text(self) -> str:
        """Confluent's `normalize=true` form: equal for schemas that differ only in form."""

    @property
    def references(self) -> tuple[Reference, ...]:
        return self.source.references

    def fingerprint(self, *, normalize: bool = False) -> str:
        """Identity of the schema for id assignment: type, text form and references."""
        text = self.normalized_text if normalize else self.canonical_text
        digest = hashlib.sha256()
        digest.update(self.schema_type.value.encode())
        digest.update(b"\0")
        digest.update(text.encode())
        for ref in self.references:
            digest.update(f"\0{ref.name}\0{ref.subject}\0{ref.version}".encode())
        return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class Rule:
    """A documented compatibility rule: the catalogue `docs/compatibility.md` is rendered from.

    `breaks` names the reading that fails: "BACKWARD" when it stops the new schema reading old
    data, "FORWARD" when it stops old schemas reading new data, "BOTH" when it depends on which
    side the change is made. `example_old`/`example_new` are a minimal pair showing it.
    """

    id: str
    schema_type: SchemaType | None
    summary: str
    breaks: str
    example_old: str
    example_new: str
    fix: str
    severity: Severity = Severity.ERROR


@dataclass(frozen=True, slots=True)
class Finding:
    """One incompatibility between a new schema and one version of its history.

    `location` is a JSON pointer into the new schema; `old` and `new` are the values of the
    offending element in the old and new schema where they exist.
    """

    rule: str
    location: str
    message: str
    hint: str
    direction: Direction
    old: Any = None
    new: Any = None
    against: int | None = None  # index in the history the new schema was compared with
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def describe(self) -> str:
        """One line for a person, used as Confluent's verbose compatibility message."""
        where = self.location or "/"
        text = f"{self.rule} at {where}: {self.message} Fix: {self.hint}"
        return text if self.is_error else f"WARNING {text}"


@dataclass(frozen=True, slots=True)
class Result:
    """The verdict of one compatibility check and every finding behind it."""

    level: Level
    findings: tuple[Finding, ...] = field(default=())

    @property
    def compatible(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.is_error)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.is_error)

    def messages(self) -> list[str]:
        """Errors first, then warnings, each as one line."""
        return [f.describe() for f in (*self.errors, *self.warnings)]

