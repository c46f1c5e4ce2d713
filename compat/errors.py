"""Errors raised by the compatibility engine.

    CompatError
    ├── UnknownSchemaTypeError     the schema type is not one Charter knows
    ├── SchemaParseError           the schema text is not a valid schema of its type
    │   └── ReferenceResolutionError   a reference could not be resolved or forms a cycle
    └── InvalidLevelError          a compatibility level or policy name is not known

Every error carries its data as attributes and compares by value, so callers
(the registry, the CLI) can turn it into their own error shape without parsing strings.
"""

from __future__ import annotations

__all__ = [
    "CompatError",
    "InvalidLevelError",
    "ReferenceResolutionError",
    "SchemaParseError",
    "UnknownSchemaTypeError",
]


class CompatError(Exception):
    """Base of every error raised by `compat`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __str__(self) -> str:
        return self.message


class UnknownSchemaTypeError(CompatError):
    def __init__(self, schema_type: str) -> None:
        super().__init__(
            f"unknown schema type {schema_type!r}; expected one of AVRO, JSON, PROTOBUF"
        )
        self.schema_type = schema_type


class SchemaParseError(CompatError):
    """The schema is invalid. `location` is a JSON pointer into the schema, '' for the root."""

    def __init__(self, message: str, *, location: str = "") -> None:
        text = f"{message} (at {location})" if location else message
        super().__init__(text)
        self.reason = message
        self.location = location


class ReferenceResolutionError(SchemaParseError):
    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"reference {name!r} cannot be resolved: {reason}")
        self.name = name


class InvalidLevelError(CompatError):
    def __init__(self, value: str, expected: str) -> None:
        super().__init__(f"invalid value {value!r}; expected one of {expected}")
        self.value = value
