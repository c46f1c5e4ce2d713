"""Charter's compatibility engine: parse, canonicalise and compare Avro and JSON schemas.

Pure: no I/O. Referenced schemas arrive through a `Resolver` the caller passes in.
"""

from compat.check import Pair, check, check_pair, iter_findings, pairs, parse
from compat.errors import (
    CompatError,
    InvalidLevelError,
    ReferenceResolutionError,
    SchemaParseError,
    UnknownSchemaTypeError,
)
from compat.formats import Format, format_for
from compat.model import (
    Direction,
    Finding,
    Level,
    Policy,
    Reference,
    Resolver,
    Result,
    Rule,
    Schema,
    SchemaSource,
    SchemaType,
    Severity,
)

__all__ = [
    "CompatError",
    "Direction",
    "Finding",
    "Format",
    "InvalidLevelError",
    "Level",
    "Pair",
    "Policy",
    "Reference",
    "ReferenceResolutionError",
    "Resolver",
    "Result",
    "Rule",
    "Schema",
    "SchemaParseError",
    "SchemaSource",
    "SchemaType",
    "Severity",
    "UnknownSchemaTypeError",
    "check",
    "check_pair",
    "format_for",
    "iter_findings",
    "pairs",
    "parse",
]
