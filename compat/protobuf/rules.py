"""The Protobuf rule catalogue: Confluent's difference names, and Charter's own warnings.

Confluent names a difference from the writer to the reader. Charter names it from the old
schema to the new one, the way the person making the change reads it (as for JSON Schema): in
a BACKWARD check the two agree; in a FORWARD check Charter reports the mirror name where
Confluent has one (adding a message is MESSAGE_ADDED where Confluent, reading with the old
schema, says MESSAGE_REMOVED). Confluent's compatible differences (FIELD_ADDED, FIELD_REMOVED,
ENUM_*, ONEOF_ADDED/REMOVED, MESSAGE_MOVED, FIELD_STRING_OR_BYTES_LABEL_CHANGED) produce no
error; FIELD_NAME_CHANGED is one of them and Charter reports it as a warning, since it breaks
the JSON encoding (buf's WIRE_JSON category). The other warnings cover what Confluent does not
look at: field and enum numbers given up without `reserved`, and reserved numbers used again.
"""

from __future__ import annotations

from collections.abc import Mapping

from compat.model import Rule, SchemaType, Severity

__all__ = ["MIRROR", "RULES", "WARNING_RULES", "hint", "sentence"]

_RULES: dict[str, Rule] = {}
_WHAT: dict[str, str] = {}
_B, _F, _BOTH = "BACKWARD", "FORWARD", "BOTH"


def _rule(
    rule_id: str,
    breaks: str,
    summary: str,
    old: str,
    new: str,
    fix: str,
    what: str,
    severity: Severity = Severity.ERROR,
) -> None:
    _RULES[rule_id] = Rule(
        id=rule_id,
        schema_type=SchemaType.PROTOBUF,
        summary=summary,
        breaks=breaks,
        example_old=old,
        example_new=new,
        fix=fix,
        severity=severity,
    )
    _WHAT[rule_id] = what


_rule(
    "PACKAGE_CHANGED", _BOTH,
    "The file's package changed: every message's full name, and so its identity, changed.",
    "package shop; message Order {}", "package store; message Order {}",
    "Keep the package; publish the renamed package under a new subject.",
    "the package changed from {old} to {new}.",
)
_rule(
    "MESSAGE_REMOVED", _B,
    "A message was removed: data written with it (its message index) has no type to read into.",
    "message Order {} message Refund {}", "message Order {}",
    "Keep the message (it may stay unused), or register the change under a new subject.",
    "message {old} was removed.",
)
_rule(
    "MESSAGE_ADDED", _F,
    "A message was added: old schemas cannot read data written with it (Confluent, reading "
    "with the old schema, calls it MESSAGE_REMOVED).",
    "message Order {}", "message Order {} message Refund {}",
    "Add the message in a file of its own (a new subject), or use BACKWARD compatibility.",
    "message {new} was added; readers with the old schema do not know it.",
)
_rule(
    "FIELD_KIND_CHANGED", _BOTH,
    "A field changed between scalar (or enum), message and map: the encodings do not mix.",
    "message A { string tags = 1; }", "message A { map<string, string> tags = 1; }",
    "Add a new field with a new number for the new kind and reserve the old number.",
    "the field changed kind from {old} to {new}.",
)
_rule(
    "FIELD_SCALAR_KIND_CHANGED", _BOTH,
    "A scalar field changed to a type of another wire group (general numbers int32, int64, "
    "uint32, uint64, bool and enums; zigzag sint32, sint64; string, bytes; fixed32, sfixed32; "
    "fixed64, sfixed64; float; double).",
    "message A { int32 n = 1; }", "message A { sint32 n = 1; }",
    "Keep a type of the same group, or add a new field with a new number.",
    "the field's type changed from {old} to {new}, which is encoded differently.",
)
_rule(
    "FIELD_NAMED_TYPE_CHANGED", _BOTH,
    "A message-typed field now names another message, or its message (from an import or "
    "another version of a reference) changed incompatibly.",
    "message Money {} message Amount {} message A { Money price = 1; }",
    "message Money {} message Amount {} message A { Amount price = 1; }",
    "Keep the field's message type; evolve that message compatibly.",
    "the field's message type changed from {old} to {new}.",
)
_rule(
    "FIELD_NUMERIC_LABEL_CHANGED", _BOTH,
    "A numeric field changed between repeated and singular (optional or required): packed "
    "repeated values are unreadable as one value.",
    "message A { optional int32 n = 1; }", "message A { repeated int32 n = 1; }",
    "Add a new repeated field with a new number and reserve the old one.",
    "the numeric field changed from {old} to {new}.",
)
_rule(
    "REQUIRED_FIELD_ADDED", _BOTH,
    "A proto2 required field was added: data written without it is rejected.",
    "message A { optional int32 a = 1; }",
    "message A { optional int32 a = 1; required int32 b = 2; }",
    "Add the field as optional (with a default in proto2).",
    "required field {new} was added.",
)
_rule(
    "REQUIRED_FIELD_REMOVED", _BOTH,
    "A proto2 required field was removed: readers that require it reject the new data.",
    "message A { required int32 a = 1; optional int32 b = 2; }",
    "message A { optional int32 b = 2; }",
    "Keep the required field; make fields optional from the start.",
    "required field {old} was removed.",
)
_rule(
    "ONEOF_FIELD_REMOVED", _B,
    "A field was removed from a oneof: data written with it set loses the oneof's value.",
    "message A { oneof id { int32 n = 1; string s = 2; } }",
    "message A { oneof id { int32 n = 1; } }",
    "Keep the field in the oneof (it may be deprecated).",
    "field {old} was removed from the oneof.",
)
_rule(
    "ONEOF_FIELD_ADDED", _F,
    "A field was added to a oneof: old readers lose the oneof's value when it is set (Confluent, "
    "reading with the old schema, calls it ONEOF_FIELD_REMOVED).",
    "message A { oneof id { int32 n = 1; } }",
    "message A { oneof id { int32 n = 1; string s = 2; } }",
    "Add a new field outside the oneof, or use BACKWARD compatibility.",
    "field {new} was added to the oneof.",
)
_rule(
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF", _BOTH,
    "Several fields that are separate on one side share a oneof on the other: a message with "
    "more than one of them set loses all but one.",
    "message A { int32 n = 1; string s = 2; }",
    "message A { oneof id { int32 n = 1; string s = 2; } }",
    "Move at most one existing field into a new oneof; add new fields to it instead.",
    "several fields share oneof {name} on one side and are separate on the other.",
)
_rule(
    "FIELD_MOVED_TO_EXISTING_ONEOF", _BOTH,
    "A field moved into a oneof that already had fields (or out of one, read the other way).",
    "message A { int32 n = 1; oneof id { string s = 2; } }",
    "message A { oneof id { int32 n = 1; string s = 2; } }",
    "Only move a field into a new oneof of its own; add new fields to existing oneofs.",
    "a field joined oneof {name}, which already had fields.",
)
_rule(
    "FIELD_NAME_CHANGED", _BOTH,
    "A field was renamed. The binary encoding is unaffected (Confluent: compatible), but JSON "
    "encodings and generated code break (buf: WIRE_JSON).",
    "message A { int32 n = 1; }", "message A { int32 count = 1; }",
    "Keep the name if any consumer uses JSON, or add `json_name` with the old name.",
    "field {old} was renamed to {new}.",
    Severity.WARNING,
)
_rule(
    "FIELD_NUMBER_NOT_RESERVED", _BOTH,
    "A field was removed without reserving its number (and name): a later field reusing the "
    "number with another type misreads old data. Confluent does not check this.",
    "message A { int32 n = 1; string s = 2; }", "message A { int32 n = 1; }",
    "Add `reserved 2; reserved \"s\";` to the message.",
    "field {old} was removed but its number {number} is not reserved.",
    Severity.WARNING,
)
_rule(
    "RESERVED_NUMBER_REUSED", _BOTH,
    "A field uses a number (or name) the old schema reserved: data written before the "
    "reservation may carry another type under it. Confluent does not check this.",
    "message A { reserved 2; int32 n = 1; }", "message A { int32 n = 1; string s = 2; }",
    "Pick a number that was never used, and keep the reservation.",
    "field {new} uses {number}, which the old schema reserved.",
    Severity.WARNING,
)
_rule(
    "FIELD_CARDINALITY_CHANGED", _BOTH,
    "A numeric field without a label changed between singular and repeated: packed repeated "
    "values are not read as one value (buf: FIELD_WIRE_COMPATIBLE_CARDINALITY). Confluent "
    "compares labels only where both sides write one.",
    "message A { int32 n = 1; }", "message A { repeated int32 n = 1; }",
    "Add a new repeated field with a new number and reserve the old one.",
    "field {new} changed from {old_cardinality} to {new_cardinality}.",
    Severity.WARNING,
)
_rule(
    "ENUM_NUMBER_NOT_RESERVED", _BOTH,
    "An enum value was removed without reserving its number: a later value reusing it changes "
    "the meaning of old data. Confluent does not check this.",
    "enum S { S_UNKNOWN = 0; S_OPEN = 1; }", "enum S { S_UNKNOWN = 0; }",
    "Add `reserved 1; reserved \"S_OPEN\";` to the enum.",
    "enum value {old} was removed but its number {number} is not reserved.",
    Severity.WARNING,
)

# A message-typed field whose type keeps its name (a referenced file's new version, say).
_WHAT["FIELD_NAMED_TYPE_CHANGED/inside"] = (
    "the field's message type {old} keeps its name, but its definition changed "
    "incompatibly: {inside}."
)

RULES: Mapping[str, Rule] = _RULES
WARNING_RULES = frozenset(r.id for r in _RULES.values() if r.severity is Severity.WARNING)

# Confluent's name (writer → reader) → Charter's name (old → new) for a FORWARD check.
MIRROR: Mapping[str, str] = {
    "MESSAGE_REMOVED": "MESSAGE_ADDED",
    "REQUIRED_FIELD_ADDED": "REQUIRED_FIELD_REMOVED",
    "REQUIRED_FIELD_REMOVED": "REQUIRED_FIELD_ADDED",
    "ONEOF_FIELD_REMOVED": "ONEOF_FIELD_ADDED",
}


# Hints that can name the element; the others use the catalogue's `fix`.
_HINTS = {
    "FIELD_NUMBER_NOT_RESERVED": 'add `reserved {number};` and `reserved "{old}";` to the message.',
    "ENUM_NUMBER_NOT_RESERVED": 'add `reserved {number};` and `reserved "{old}";` to the enum.',
    "FIELD_NAME_CHANGED": 'keep the name {old}, or give the field `json_name = "{old}"`.',
}


def _format(template: str, values: dict[str, object]) -> str:
    text = template.format_map({k: "" if v is None else v for k, v in values.items()})
    return text[0].upper() + text[1:]


def sentence(rule_id: str, **values: object) -> str:
    return _format(_WHAT[rule_id], values)


def hint(rule_id: str, **values: object) -> str:
    template = _HINTS.get(rule_id)
    return _format(template, values) if template else _RULES[rule_id].fix
