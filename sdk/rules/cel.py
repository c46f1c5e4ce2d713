"""CEL through cel-python (`celpy`): Python values in and out of the programs that
`compat.rules` compiles (one compiler and program cache for the SDK and the registry), and
Confluent's guard form `GUARD ; EXPR` (EXPR runs only where GUARD is true).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from compat import rules
from compat.rules import split_guard
from sdk.rules.errors import RuleCompileError

if TYPE_CHECKING:
    import celpy

__all__ = [
    "check_expression", "evaluate", "from_cel", "split_guard", "string_list", "strings", "to_cel"
]

_EPOCH_DAYS = datetime.date(1970, 1, 1).toordinal()


def _compile(text: str, rule: str) -> celpy.Runner:
    try:
        return rules.program(text)
    except rules.ExpressionError as exc:
        raise RuleCompileError(rule, text, exc.detail) from None


def check_expression(expr: str, rule: str = "") -> None:
    """Raise `RuleCompileError` unless `expr` (guard form included) compiles."""
    guard, body = split_guard(expr)
    if guard is not None:
        _compile(guard, rule)
    _compile(body, rule)


def evaluate(expr: str, bindings: Mapping[str, Any], rule: str = "") -> tuple[bool, Any]:
    """(ran, result): `ran` is False when the guard was false and the expression did not run.
    Evaluation errors (`celpy.CELEvalError`, wrong types) propagate to the caller."""
    guard, body = split_guard(expr)
    activation = dict(bindings)
    if "now" in expr and "now" not in activation:
        from celpy import celtypes

        activation["now"] = celtypes.TimestampType(datetime.datetime.now(tz=datetime.UTC))
    if guard is not None and not _result(_compile(guard, rule).evaluate(activation)):
        return False, None
    return True, _result(_compile(body, rule).evaluate(activation))


def _result(value: Any) -> Any:
    from celpy import celtypes

    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, Exception):  # some celpy versions hand errors back as values
        raise value
    return value


def to_cel(value: Any) -> Any:
    """A Python value (as Charter's Avro and JSON codecs hold it) as a CEL value."""
    from celpy import celtypes

    if isinstance(value, Mapping):
        return celtypes.MapType({celtypes.StringType(str(k)): to_cel(v) for k, v in value.items()})
    if hasattr(value, "DESCRIPTOR") and hasattr(value, "ListFields"):  # a Protobuf message
        return to_cel(proto_fields(value))
    if isinstance(value, (list, tuple)):
        return celtypes.ListType([to_cel(v) for v in value])
    if isinstance(value, str):
        return celtypes.StringType(value)
    if isinstance(value, (bytes, bytearray)):
        return celtypes.BytesType(bytes(value))
    if isinstance(value, bool):  # before int: a bool is an int in Python
        return celtypes.BoolType(value)
    if isinstance(value, int):
        return celtypes.IntType(value)
    if isinstance(value, float):
        return celtypes.DoubleType(value)
    if isinstance(value, datetime.datetime):
        return celtypes.TimestampType(value)
    if isinstance(value, datetime.timedelta):
        return celtypes.DurationType(value)
    if isinstance(value, datetime.date):  # Avro's date: days since the epoch
        return celtypes.IntType(value.toordinal() - _EPOCH_DAYS)
    if isinstance(value, uuid.UUID):
        return celtypes.StringType(str(value))
    return value  # None is CEL's null; decimals and times of day go as they are


def proto_fields(message: Any) -> dict[str, Any]:
    """A Protobuf message's fields by name, every field (unset ones at their defaults, unset
    messages as null), as CEL sees a message: maps as maps, repeated fields as lists, enums as
    their numbers."""
    out: dict[str, Any] = {}
    for spec in message.DESCRIPTOR.fields:
        value = getattr(message, spec.name)
        entry = spec.message_type
        if entry is not None and entry.GetOptions().map_entry:
            out[spec.name] = {k: _proto_value(v) for k, v in value.items()}
        elif _repeated(spec):
            out[spec.name] = [_proto_value(v) for v in value]
        elif entry is not None:
            out[spec.name] = proto_fields(value) if message.HasField(spec.name) else None
        else:
            out[spec.name] = value
    return out


def _repeated(spec: Any) -> bool:
    if hasattr(spec, "is_repeated"):  # protobuf 6+; `label` is gone from upb's descriptors
        return bool(spec.is_repeated)
    return bool(spec.label == spec.LABEL_REPEATED)


def _proto_value(value: Any) -> Any:
    if hasattr(value, "DESCRIPTOR") and hasattr(value, "ListFields"):
        return proto_fields(value)
    return value


def from_cel(value: Any) -> Any:
    """A CEL result as plain Python values (what the encoders take)."""
    from celpy import celtypes

    if isinstance(value, Mapping):
        return {str(k): from_cel(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_cel(v) for v in value]
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.BytesType):
        return bytes(value)
    if isinstance(value, (celtypes.IntType, celtypes.UintType)):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    return value


def strings(*values: str) -> tuple[Any, ...]:
    """`values` as CEL strings."""
    from celpy import celtypes

    return tuple(celtypes.StringType(v) for v in values)


def string_list(values: list[str]) -> Any:
    from celpy import celtypes

    return celtypes.ListType([celtypes.StringType(v) for v in values])
