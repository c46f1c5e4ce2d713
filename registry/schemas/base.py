"""The seam a schema format plugs into, and the translation of compat's errors.

A format module (`avro`, `json`, …) provides one `SchemaFormat` and is listed in
`registry.schemas.FORMATS`; nothing else in the registry names a format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

import compat
from compat import Schema, SchemaSource, SchemaType
from registry import errors

__all__ = ["PayloadCheck", "SchemaFormat", "parse_translated"]

log = logging.getLogger("charter.registry")

# A payload's problem as one sentence, or None when the payload is valid for the schema.
PayloadCheck = Callable[[bytes], str | None]


class SchemaFormat(Protocol):
    """What the registry needs from a schema format."""

    schema_type: SchemaType

    def parse(self, source: SchemaSource, resolver: compat.Resolver) -> Schema:
        """The parsed schema; any problem with the text is an `errors.InvalidSchema`."""
        ...

    def normalized_text(self, schema: Schema) -> str:
        """Confluent's `normalize=true` form of the schema's own text (referenced schemas
        stay references), which parses again with the same references."""
        ...

    def formatted(self, schema: Schema, output: str) -> str | None:
        """The schema's text in an output format a client names (Confluent's `?format=`, such
        as Protobuf's `serialized`); None when the type has no such format, and the stored
        text is the answer."""
        ...

    def payload_check(self, schema: Schema) -> PayloadCheck:
        """A validator of payloads written with this schema (the broker's contracts)."""
        ...


def parse_translated(source: SchemaSource, resolver: compat.Resolver) -> Schema:
    """`compat.parse` with every failure turned into Confluent's 42201 (Invalid schema).

    `resolver` only reads memory (see `registry.schemas.Schemas`), so any exception here
    comes from the schema, never from the database."""
    try:
        schema = compat.parse(source, resolver)
        # JSON escapes can smuggle in unpaired surrogates, which no database can store.
        schema.canonical_text.encode("utf-8")
        schema.normalized_text.encode("utf-8")
        return schema
    except UnicodeEncodeError as exc:
        raise errors.InvalidSchema(
            "Invalid schema: it contains an unpaired surrogate (an escape such as \\ud800); "
            "the text must be valid Unicode"
        ) from exc
    except compat.CompatError as exc:
        raise errors.InvalidSchema(f"Invalid schema: {exc.message}") from exc
    except ImportError as exc:
        raise errors.InvalidSchema(
            f"Invalid schema: schema type {source.schema_type} is not available: {exc}"
        ) from exc
    except errors.RegistryError:
        raise
    except RecursionError as exc:
        raise errors.InvalidSchema("Invalid schema: it is nested too deeply") from exc
    except Exception as exc:  # a parser failure on odd input is still the input's fault
        log.exception("the %s parser failed", source.schema_type)
        raise errors.InvalidSchema(
            f"Invalid schema: it could not be parsed ({type(exc).__name__})"
        ) from exc
