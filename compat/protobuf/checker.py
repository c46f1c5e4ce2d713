"""Protobuf compatibility: Confluent's differences as findings, plus Charter's warnings."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FieldDescriptorProto,
)

from compat.model import Direction, Finding, Severity
from compat.protobuf.diff import SCALAR_GROUPS, Change, Difference, differences, wire_label
from compat.protobuf.printer import SCALAR_NAMES
from compat.protobuf.rules import MIRROR, RULES, hint, sentence
from compat.protobuf.schema import ProtobufSchema

__all__ = ["check_pair"]



def check_pair(
    reader: ProtobufSchema, writer: ProtobufSchema, *, direction: Direction
) -> Iterator[Finding]:
    """Every reason `reader` cannot read what `writer` wrote, and the warnings of the change."""
    backward = direction is Direction.BACKWARD
    found = differences(writer, reader, new_is_update=backward)
    for difference in found:
        if difference.compatible:
            continue
        yield _finding(difference, direction)
    old, new = (writer, reader) if backward else (reader, writer)
    for difference in found:
        if difference.type is Change.FIELD_NAME_CHANGED:
            yield _finding(difference, direction)
    yield from _reservation_warnings(old, new, direction)


def _location(path: Iterable[str]) -> str:
    return "#/" + "/".join(path)


def _finding(difference: Difference, direction: Direction) -> Finding:
    backward = direction is Direction.BACKWARD
    name = difference.type.value
    rule_id = name if backward else MIRROR.get(name, name)
    old, new = (
        (difference.original, difference.update) if backward
        else (difference.update, difference.original)
    )
    rule = RULES[rule_id]
    if difference.within and old == new:  # the same message, changed inside
        inside = ", ".join(
            f"{kind.value if backward else MIRROR.get(kind.value, kind.value)} at "
            f"{_location(path)}"
            for kind, path in difference.within
        )
        message = sentence(f"{rule.id}/inside", old=old, inside=inside)
    else:
        message = sentence(rule.id, old=old, new=new, name=difference.update or difference.original)
    return Finding(
        rule=rule.id,
        location=_location(difference.path),
        message=message,
        hint=hint(rule.id, old=old, new=new),
        direction=direction,
        old=old,
        new=new,
        severity=rule.severity,
    )


def _warning(
    rule_id: str,
    path: list[str],
    direction: Direction,
    old: object,
    new: object,
    number: int,
    **extra: object,
) -> Finding:
    rule = RULES[rule_id]
    return Finding(
        rule=rule.id,
        location=_location(path),
        message=sentence(rule_id, old=old, new=new, number=number, **extra),
        hint=hint(rule_id, old=old, new=new, number=number),
        direction=direction,
        old=old,
        new=new,
        severity=Severity.WARNING,
    )


def _reservation_warnings(
    old: ProtobufSchema, new: ProtobufSchema, direction: Direction
) -> Iterator[Finding]:
    """Numbers given up without `reserved`, reserved numbers taken again, and cardinality
    changes Confluent does not see, in the messages and enums both schemas define."""
    syntaxes = (old.file.syntax, new.file.syntax)
    yield from _messages(old.file.message_type, new.file.message_type, [], direction, syntaxes)
    yield from _enums(old.file.enum_type, new.file.enum_type, [], direction)


def _reserved(
    number: int, ranges: Iterable[DescriptorProto.ReservedRange], *, inclusive: bool
) -> bool:
    return any(r.start <= number < r.end + (1 if inclusive else 0) for r in ranges)


def _messages(
    old: Iterable[DescriptorProto],
    new: Iterable[DescriptorProto],
    path: list[str],
    direction: Direction,
    syntaxes: tuple[str, str],
) -> Iterator[Finding]:
    new_by_name = {m.name: m for m in new if not m.options.map_entry}
    for old_message in old:
        new_message = new_by_name.get(old_message.name)
        if new_message is None or old_message.options.map_entry:
            continue
        here = [*path, old_message.name]
        new_numbers = {f.number for f in new_message.field}
        for field in old_message.field:
            if field.number not in new_numbers and not _reserved(
                field.number, new_message.reserved_range, inclusive=False
            ):
                yield _warning(
                    "FIELD_NUMBER_NOT_RESERVED", [*here, field.name], direction,
                    field.name, None, field.number,
                )
        old_numbers = {f.number for f in old_message.field}
        for field in new_message.field:
            if field.number in old_numbers:
                continue
            if (
                _reserved(field.number, old_message.reserved_range, inclusive=False)
                or field.name in old_message.reserved_name
            ):
                yield _warning(
                    "RESERVED_NUMBER_REUSED", [*here, field.name], direction,
                    None, field.name, field.number,
                )
        old_by_number = {f.number: f for f in old_message.field}
        for field in new_message.field:
            before = old_by_number.get(field.number)
            if before is not None and _cardinality_changed(before, field, syntaxes):
                yield _warning(
                    "FIELD_CARDINALITY_CHANGED", [*here, field.name], direction,
                    before.name, field.name, field.number,
                    old_cardinality=_cardinality(before), new_cardinality=_cardinality(field),
                )
        yield from _messages(
            old_message.nested_type, new_message.nested_type, here, direction, syntaxes
        )
        yield from _enums(old_message.enum_type, new_message.enum_type, here, direction)


def _enums(
    old: Iterable[EnumDescriptorProto],
    new: Iterable[EnumDescriptorProto],
    path: list[str],
    direction: Direction,
) -> Iterator[Finding]:
    new_by_name = {e.name: e for e in new}
    for old_enum in old:
        new_enum = new_by_name.get(old_enum.name)
        if new_enum is None:
            continue
        new_numbers = {v.number for v in new_enum.value}
        for value in old_enum.value:
            if value.number not in new_numbers and not _reserved(
                value.number, new_enum.reserved_range, inclusive=True
            ):
                yield _warning(
                    "ENUM_NUMBER_NOT_RESERVED", [*path, old_enum.name, value.name], direction,
                    value.name, None, value.number,
                )


def _cardinality(field: FieldDescriptorProto) -> str:
    return "repeated" if field.label == FieldDescriptorProto.LABEL_REPEATED else "singular"


def _numeric(field: FieldDescriptorProto) -> bool:
    if field.type == FieldDescriptorProto.TYPE_ENUM:
        return True
    name = SCALAR_NAMES.get(field.type)
    return name is not None and SCALAR_GROUPS[name] != "string or bytes"


def _cardinality_changed(
    old: FieldDescriptorProto, new: FieldDescriptorProto, syntaxes: tuple[str, str]
) -> bool:
    """Singular ↔ repeated on a number where Confluent, lacking a label on one side, is silent.

    Fields in a oneof cannot be repeated, so a oneof member's missing label is never the
    reason; Confluent's FIELD_NUMERIC_LABEL_CHANGED covers the case with both labels written.
    """
    if not (_numeric(old) and _numeric(new)) or _cardinality(old) == _cardinality(new):
        return False
    if SCALAR_GROUPS[_scalar(old)] != SCALAR_GROUPS[_scalar(new)]:
        return False  # FIELD_SCALAR_KIND_CHANGED already says it
    labels = (wire_label(old, syntaxes[0]), wire_label(new, syntaxes[1]))
    return None in labels


def _scalar(field: FieldDescriptorProto) -> str:
    return "enum" if field.type == FieldDescriptorProto.TYPE_ENUM else SCALAR_NAMES[field.type]
