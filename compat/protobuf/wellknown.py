"""The files every Protobuf schema may import without a reference, as in Confluent.

Confluent's registry bundles Google's well-known types (`google/protobuf/*.proto`) and the
common types of `google/type/*.proto`, and resolves Confluent's own `confluent/meta.proto` (the
`(confluent.field_meta)`-style options) and `confluent/type/decimal.proto` built in. protoc as
shipped in `grpcio-tools` carries the first set on its include path; the second comes from the
`googleapis-common-protos` package, whose `.proto` sources are read from its installed package
data when a schema imports one; the Confluent files are Charter's own definitions in
`include/` beside this module (same package, messages, field numbers and extensions as the
published ones, so descriptors built from either are the same on the wire).
"""

from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

import grpc_tools

__all__ = [
    "CONFLUENT",
    "GOOGLE_PROTOBUF",
    "GOOGLE_TYPE",
    "charter_include",
    "is_well_known",
    "protoc_include",
    "source_of",
]

GOOGLE_PROTOBUF = frozenset(
    f"google/protobuf/{name}.proto"
    for name in (
        "any", "api", "descriptor", "duration", "empty", "field_mask", "source_context",
        "struct", "timestamp", "type", "wrappers",
    )
)
GOOGLE_TYPE = frozenset(
    f"google/type/{name}.proto"
    for name in (
        "calendar_period", "color", "date", "datetime", "dayofweek", "decimal", "expr",
        "fraction", "interval", "latlng", "localized_text", "money", "month", "phone_number",
        "postal_address", "quaternion", "timeofday",
    )
)

CONFLUENT = frozenset({"confluent/meta.proto", "confluent/type/decimal.proto"})


def is_well_known(name: str) -> bool:
    return name in GOOGLE_PROTOBUF or name in GOOGLE_TYPE or name in CONFLUENT


def protoc_include() -> Path:
    """The include directory shipped with grpcio-tools (holds `google/protobuf/*.proto`)."""
    return Path(grpc_tools.__file__).parent / "_proto"


def charter_include() -> Path:
    """The include directory of the Confluent files Charter resolves built in."""
    return Path(__file__).parent / "include"


@cache
def source_of(name: str) -> str:
    """The text of a bundled `google/type/*.proto` file."""
    if name not in GOOGLE_TYPE:
        raise KeyError(name)
    return importlib.resources.files("google.type").joinpath(name.rsplit("/", 1)[1]).read_text()
