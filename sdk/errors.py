"""Errors raised by the SDK.

    SdkError
    ├── ConfigurationError         the SDK was set up in a way it cannot work with
    ├── ValidationError            a value breaks its schema; `violations` lists every one
    ├── WireFormatError            bytes are not in the Confluent wire format
    ├── DecodeError                the payload after the header cannot be decoded
    ├── SchemaResolutionError      the reader schema cannot read what the writer schema wrote
    ├── TransportError             the broker failed or could not be reached
    │   └── DeliveryError              records were not acknowledged (`failures`)
    └── RegistryError              the registry answered with an error (`status`, `error_code`)
        ├── SchemaNotFoundError        40401 subject, 40402 version, 40403 schema not found
        ├── IncompatibleSchemaError    409: the schema breaks the subject's compatibility level
        └── RegistryUnavailableError   no answer, or 5xx, after every retry

Every error carries its data as attributes and compares by value. Exceptions from httpx,
fastavro, orjson and jsonschema-rs are translated into this tree where the SDK calls them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ConfigurationError",
    "DecodeError",
    "DeliveryError",
    "IncompatibleSchemaError",
    "RegistryError",
    "RegistryUnavailableError",
    "SchemaNotFoundError",
    "SchemaResolutionError",
    "SdkError",
    "TransportError",
    "ValidationError",
    "Violation",
    "WireFormatError",
]


class SdkError(Exception):
    """Base of every error raised by `sdk`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __str__(self) -> str:
        return self.message


class ConfigurationError(SdkError):
    """Arguments that cannot work together, e.g. a record strategy without a schema."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One way a value breaks its schema. `path` is a JSON pointer into the value ('' = root)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


class ValidationError(SdkError):
    """The value does not satisfy its schema; raised before anything is encoded or sent."""

    def __init__(
        self,
        violations: tuple[Violation, ...] | list[Violation],
        *,
        subject: str | None = None,
        schema_id: int | None = None,
    ) -> None:
        found = tuple(violations)
        where = f" for subject {subject!r}" if subject else ""
        lines = "; ".join(str(v) for v in found)
        super().__init__(f"{len(found)} schema violation(s){where}: {lines}")
        self.violations = found
        self.subject = subject
        self.schema_id = schema_id


class WireFormatError(SdkError):
    """The bytes are too short for the 5-byte header or start with another magic byte."""


class DecodeError(SdkError):
    """The payload does not decode with the writer schema its header names."""

    def __init__(self, message: str, *, schema_id: int | None = None) -> None:
        super().__init__(message)
        self.schema_id = schema_id


class SchemaResolutionError(SdkError):
    """A reader schema cannot read data written with a writer schema (Avro resolution rules)."""

    def __init__(
        self, message: str, *, writer_id: int | None = None, reasons: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.writer_id = writer_id
        self.reasons = reasons


class TransportError(SdkError):
    """The broker (built-in or Kafka) answered with an error or could not be reached."""


class DeliveryError(TransportError):
    """Some records were not acknowledged by the broker; `failures` says which and why."""

    def __init__(self, failures: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> None:
        found = tuple(failures)
        shown = "; ".join(f"{topic}: {reason}" for topic, reason in found[:5])
        more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
        super().__init__(f"{len(found)} record(s) not delivered: {shown}{more}")
        self.failures = found


class RegistryError(SdkError):
    """The registry answered with an error. `error_code` is Confluent's code (e.g. 42201)."""

    def __init__(
        self, message: str, *, status: int | None = None, error_code: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SchemaNotFoundError(RegistryError):
    """The subject (40401), version (40402) or schema id (40403) does not exist."""


class IncompatibleSchemaError(RegistryError):
    """The schema is incompatible with the subject's history at its level (HTTP 409)."""


class RegistryUnavailableError(RegistryError):
    """The registry could not be reached, or kept answering 5xx, after every retry."""
