"""The one place fastavro is called; its exceptions become `SchemaParseError` here.

fastavro is imported on first use, so importing `compat.avro` (and the SDK, which walks its
node tree) stays cheap.
"""

from __future__ import annotations

from typing import Any

from compat.errors import SchemaParseError

__all__ = ["parse_with_fastavro"]


def parse_with_fastavro(raw: Any, named_schemas: dict[str, Any]) -> Any:
    """fastavro's parsed schema, used as a second opinion and by serialisers."""
    from fastavro import parse_schema

    try:
        return parse_schema(raw, named_schemas=named_schemas)
    except Exception as exc:  # fastavro raises many types; none may leak
        raise SchemaParseError(f"the Avro parser rejected the schema: {exc}") from None
