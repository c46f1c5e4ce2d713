"""The Avro rule catalogue: every rule id the Avro checker emits, with an example and a fix.

Ids follow the names Avro's Java `SchemaCompatibility` and Confluent use, so a Confluent user
recognises them; the decimal rules are Charter's, from the specification's decimal section.
The two warnings are about one schema, not a pair: defaults Java's Avro parser (and so
Confluent) accepts although a reader that needs them cannot use them.
"""

from __future__ import annotations

from collections.abc import Mapping

from compat.model import Rule, SchemaType, Severity

__all__ = [
    "DECIMAL_PRECISION_MISMATCH",
    "DECIMAL_SCALE_MISMATCH",
    "DEFAULT_FIXED_SIZE_MISMATCH",
    "DEFAULT_NOT_AN_ENUM_SYMBOL",
    "FIXED_SIZE_MISMATCH",
    "MISSING_ENUM_SYMBOLS",
    "MISSING_UNION_BRANCH",
    "NAME_MISMATCH",
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "RULES",
    "TYPE_MISMATCH",
]


def _rule(
    id_: str,
    summary: str,
    old: str,
    new: str,
    fix: str,
    *,
    breaks: str = "BOTH",
    severity: Severity = Severity.ERROR,
) -> Rule:
    return Rule(
        id=id_,
        schema_type=SchemaType.AVRO,
        summary=summary,
        breaks=breaks,
        example_old=old,
        example_new=new,
        fix=fix,
        severity=severity,
    )


_ALL = [
    _rule(
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "The reading schema has a field the writing schema lacks (matched by name and the "
        "reader's field aliases) and the field has no default. Adding such a field breaks "
        "BACKWARD; removing a field old readers have no default for breaks FORWARD.",
        '{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}',
        '{"type":"record","name":"User","fields":[{"name":"id","type":"long"},'
        '{"name":"email","type":"string"}]}',
        'Give the field a default (e.g. "type": ["null", "string"], "default": null), or an '
        "alias naming the old field if it was renamed.",
    ),
    _rule(
        "TYPE_MISMATCH",
        "The reader's type cannot read the writer's: they differ and the Avro promotions "
        "(int to long, float or double; long to float or double; float to double; string "
        "and bytes both ways) do not apply. Widening breaks FORWARD, narrowing BACKWARD.",
        '{"name":"count","type":"long"}',
        '{"name":"count","type":"int"}',
        "Keep the old type or a promotion of it; for a real change, add a new field with a "
        "default and stop writing the old one.",
    ),
    _rule(
        "NAME_MISMATCH",
        "A record, enum or fixed is read by a type of another (unqualified) name, and no "
        "alias of the reader names the writer's type.",
        '{"type":"record","name":"Customer","fields":[]}',
        '{"type":"record","name":"Client","fields":[]}',
        'Keep the name, or list the old full name in the new type\'s "aliases".',
    ),
    _rule(
        "FIXED_SIZE_MISMATCH",
        "A fixed type changed its size; fixed values of one size cannot be read as another.",
        '{"type":"fixed","name":"Hash","size":16}',
        '{"type":"fixed","name":"Hash","size":32}',
        "Keep the size; for a new size, add a new fixed type in a new field.",
    ),
    _rule(
        "MISSING_ENUM_SYMBOLS",
        "The writer's enum has symbols the reader's lacks and the reader's enum has no "
        "default. Removing symbols breaks BACKWARD; adding symbols breaks FORWARD.",
        '{"type":"enum","name":"Status","symbols":["NEW","DONE"]}',
        '{"type":"enum","name":"Status","symbols":["NEW","DONE","FAILED"]}',
        'Give the enum a "default" symbol before readers meet new symbols, and do not remove '
        "symbols that data may hold.",
    ),
    _rule(
        "MISSING_UNION_BRANCH",
        "A type the writer may write (a union branch, or its whole type) matches no branch of "
        "the reader's union.",
        '["null","string","long"]',
        '["null","string"]',
        "Keep every branch data may hold in the reading union; add branches only once every "
        "reader has them.",
    ),
    _rule(
        "DECIMAL_PRECISION_MISMATCH",
        "Both schemas use the decimal logical type with different precisions; the Avro "
        "specification matches decimals only when precision and scale are equal.",
        '{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}',
        '{"type":"bytes","logicalType":"decimal","precision":12,"scale":2}',
        "Keep the precision; for another precision, add a new field.",
    ),
    _rule(
        "DECIMAL_SCALE_MISMATCH",
        "Both schemas use the decimal logical type with different scales, so the same "
        "unscaled bytes would mean another number.",
        '{"type":"bytes","logicalType":"decimal","precision":10,"scale":2}',
        '{"type":"bytes","logicalType":"decimal","precision":10,"scale":4}',
        "Keep the scale; for another scale, add a new field.",
    ),
    _rule(
        "DEFAULT_FIXED_SIZE_MISMATCH",
        "Warning, the schema is accepted: a field default for a fixed type holds another "
        "number of bytes than the type's size. Java's Avro parser, and so Confluent, checks "
        "only that such a default is a string; a reader that fills the field in from it (the "
        "new schema reading old data without the field) gets a value of the wrong size.",
        "(any)",
        '{"name":"hash","type":{"type":"fixed","name":"Hash","size":4},"default":"ab"}',
        'Give a default of exactly the fixed size (e.g. "\\u0000\\u0000\\u0000\\u0000"), '
        "or no default.",
        breaks="BACKWARD",
        severity=Severity.WARNING,
    ),
    _rule(
        "DEFAULT_NOT_AN_ENUM_SYMBOL",
        "Warning, the schema is accepted: a field default for an enum names a symbol the enum "
        "does not have. Java's Avro parser, and so Confluent, checks only that such a default "
        "is a string; a reader that fills the field in from it (the new schema reading old "
        "data without the field) fails.",
        "(any)",
        '{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","DONE"]},'
        '"default":"OPEN"}',
        "Use one of the enum's symbols as the default, or add the symbol to the enum.",
        breaks="BACKWARD",
        severity=Severity.WARNING,
    ),
]

RULES: Mapping[str, Rule] = {rule.id: rule for rule in _ALL}

READER_FIELD_MISSING_DEFAULT_VALUE = RULES["READER_FIELD_MISSING_DEFAULT_VALUE"].id
TYPE_MISMATCH = RULES["TYPE_MISMATCH"].id
NAME_MISMATCH = RULES["NAME_MISMATCH"].id
FIXED_SIZE_MISMATCH = RULES["FIXED_SIZE_MISMATCH"].id
MISSING_ENUM_SYMBOLS = RULES["MISSING_ENUM_SYMBOLS"].id
MISSING_UNION_BRANCH = RULES["MISSING_UNION_BRANCH"].id
DECIMAL_PRECISION_MISMATCH = RULES["DECIMAL_PRECISION_MISMATCH"].id
DECIMAL_SCALE_MISMATCH = RULES["DECIMAL_SCALE_MISMATCH"].id
DEFAULT_FIXED_SIZE_MISMATCH = RULES["DEFAULT_FIXED_SIZE_MISMATCH"].id
DEFAULT_NOT_AN_ENUM_SYMBOL = RULES["DEFAULT_NOT_AN_ENUM_SYMBOL"].id
