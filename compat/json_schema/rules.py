"""The JSON Schema rule catalogue, named after Confluent's JSON Schema differences.

Under STRICT and LENIENT the errors are exactly Confluent's incompatible differences
(`confluent.py`); under SOUND they come from the semantic checker (`checker.py`), which uses the
same names. Two warning rules mark where Confluent's verdict and the data part ways.

Confluent names a difference from the writer to the reader. Charter names it from the old
schema to the new one, the way the person making the change reads it: in a BACKWARD check the
two agree; in a FORWARD check Charter reports the mirror name (removing `maxLength` from the new
writer is MAX_LENGTH_REMOVED, where Confluent says MAX_LENGTH_ADDED). Only differences that
break a reading are catalogued; the compatible ones produce no finding.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from compat.model import Direction, Rule, SchemaType, Severity

__all__ = ["BOUND_RULES", "LENIENT_ALLOWED", "RULES", "message", "mirror"]


@dataclass(frozen=True, slots=True)
class _Text:
    what: str  # what changed, old to new; formatted with old, new and name


_WHAT: dict[str, _Text] = {}
_RULES: dict[str, Rule] = {}


def _rule(
    rule_id: str, breaks: str, summary: str, old: str, new: str, fix: str, what: str
) -> None:
    _RULES[rule_id] = Rule(
        id=rule_id,
        schema_type=SchemaType.JSON,
        summary=summary,
        breaks=breaks,
        example_old=old,
        example_new=new,
        fix=fix,
    )
    _WHAT[rule_id] = _Text(what)


_B, _F, _BOTH = "BACKWARD", "FORWARD", "BOTH"

# Bounds: keyword, upper?, example base, loose and tight example values, then the rule ids
# for added, removed, tightened and relaxed.
_BOUNDS = (
    ("maxLength", True, '"type": "string"', 10, 5, "MAX_LENGTH_ADDED", "MAX_LENGTH_REMOVED",
     "MAX_LENGTH_DECREASED", "MAX_LENGTH_INCREASED"),
    ("minLength", False, '"type": "string"', 1, 3, "MIN_LENGTH_ADDED", "MIN_LENGTH_REMOVED",
     "MIN_LENGTH_INCREASED", "MIN_LENGTH_DECREASED"),
    ("maximum", True, '"type": "number"', 100, 50, "MAXIMUM_ADDED", "MAXIMUM_REMOVED",
     "MAXIMUM_DECREASED", "MAXIMUM_INCREASED"),
    ("minimum", False, '"type": "number"', 0, 10, "MINIMUM_ADDED", "MINIMUM_REMOVED",
     "MINIMUM_INCREASED", "MINIMUM_DECREASED"),
    ("exclusiveMaximum", True, '"type": "number"', 100, 50, "EXCLUSIVE_MAXIMUM_ADDED",
     "EXCLUSIVE_MAXIMUM_REMOVED", "EXCLUSIVE_MAXIMUM_DECREASED", "EXCLUSIVE_MAXIMUM_INCREASED"),
    ("exclusiveMinimum", False, '"type": "number"', 0, 10, "EXCLUSIVE_MINIMUM_ADDED",
     "EXCLUSIVE_MINIMUM_REMOVED", "EXCLUSIVE_MINIMUM_INCREASED", "EXCLUSIVE_MINIMUM_DECREASED"),
    ("maxItems", True, '"type": "array"', 10, 5, "MAX_ITEMS_ADDED", "MAX_ITEMS_REMOVED",
     "MAX_ITEMS_DECREASED", "MAX_ITEMS_INCREASED"),
    ("minItems", False, '"type": "array"', 1, 3, "MIN_ITEMS_ADDED", "MIN_ITEMS_REMOVED",
     "MIN_ITEMS_INCREASED", "MIN_ITEMS_DECREASED"),
    ("maxProperties", True, '"type": "object"', 10, 5, "MAX_PROPERTIES_ADDED",
     "MAX_PROPERTIES_REMOVED", "MAX_PROPERTIES_DECREASED", "MAX_PROPERTIES_INCREASED"),
    ("minProperties", False, '"type": "object"', 1, 3, "MIN_PROPERTIES_ADDED",
     "MIN_PROPERTIES_REMOVED", "MIN_PROPERTIES_INCREASED", "MIN_PROPERTIES_DECREASED"),
    ("maxContains", True, '"type": "array", "contains": {"type": "string"}', 3, 2,
     "MAX_CONTAINS_ADDED", "MAX_CONTAINS_REMOVED", "MAX_CONTAINS_DECREASED",
     "MAX_CONTAINS_INCREASED"),
    ("minContains", False, '"type": "array", "contains": {"type": "string"}', 1, 2,
     "MIN_CONTAINS_ADDED", "MIN_CONTAINS_REMOVED", "MIN_CONTAINS_INCREASED",
     "MIN_CONTAINS_DECREASED"),
)
# keyword -> (id when the reader adds it, id when the reader tightens it)
BOUND_RULES: Mapping[str, tuple[str, str]] = {row[0]: (row[5], row[7]) for row in _BOUNDS}

for _kw, _upper, _base, _loose, _tight, _added, _removed, _tighter, _looser in _BOUNDS:
    _rule(
        _added,
        _B,
        f"`{_kw}` was added: values the old schema accepted may now be out of bounds.",
        f"{{{_base}}}",
        f'{{{_base}, "{_kw}": {_tight}}}',
        f"Do not add `{_kw}` to a schema with existing data, or make it no tighter than any "
        "value ever written.",
        f"`{_kw}` was added with {{new}}",
    )
    _rule(
        _removed,
        _F,
        f"`{_kw}` was removed: consumers still on the old schema reject values beyond it.",
        f'{{{_base}, "{_kw}": {_tight}}}',
        f"{{{_base}}}",
        f"Keep `{_kw}` until every consumer has upgraded, or use a BACKWARD level.",
        f"`{_kw}` {{old}} was removed",
    )
    _rule(
        _tighter,
        _B,
        f"`{_kw}` was made stricter: values the old schema accepted may now be out of bounds.",
        f'{{{_base}, "{_kw}": {_loose}}}',
        f'{{{_base}, "{_kw}": {_tight}}}',
        f"Keep `{_kw}` at least as loose as before.",
        f"`{_kw}` went from {{old}} to {{new}}",
    )
    _rule(
        _looser,
        _F,
        f"`{_kw}` was relaxed: consumers still on the old schema reject the newly allowed values.",
        f'{{{_base}, "{_kw}": {_tight}}}',
        f'{{{_base}, "{_kw}": {_loose}}}',
        f"Keep `{_kw}` until every consumer has upgraded, or use a BACKWARD level.",
        f"`{_kw}` went from {{old}} to {{new}}",
    )

_S = '"type": "string"'
_O = '"type": "object"'
_A = '"type": "array"'
_OPEN = '{"type": "object", "properties": {"a": {"type": "string"}}}'
_CLOSED = (
    '{"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": false}'
)
_PARTIAL = '{"type": "object", "additionalProperties": {"type": "string"}}'

_rule("TYPE_NARROWED", _B,
      "The new schema accepts fewer values of the same kind: integers where any number was "
      "accepted (a union losing a type is SUM_TYPE_NARROWED or TYPE_CHANGED under STRICT).",
      '{"type": "number"}', '{"type": "integer"}',
      "Keep accepting every type the old schema accepted.",
      "the accepted types went from {old} to {new}")
_rule("TYPE_EXTENDED", _F,
      "The new schema accepts more JSON types than the old one (integer to number included).",
      '{"type": "integer"}', '{"type": "number"}',
      "Widen types only under a BACKWARD level, or only after every consumer has upgraded.",
      "the accepted types went from {old} to {new}")
_rule("TYPE_CHANGED", _BOTH,
      "The JSON type changed to one the old schema does not accept at all.",
      '{"type": "string"}', '{"type": "integer"}',
      "Keep the type; add a new property with the new type instead.",
      "the type changed from {old} to {new}")
_rule("PATTERN_ADDED", _B, "A `pattern` was added to a string.",
      f"{{{_S}}}", f'{{{_S}, "pattern": "^[a-z]+$"}}',
      "Do not constrain existing strings with a new pattern.",
      "`pattern` {new} was added")
_rule("PATTERN_REMOVED", _F, "A string's `pattern` was removed.",
      f'{{{_S}, "pattern": "^[a-z]+$"}}', f"{{{_S}}}",
      "Keep the pattern until every consumer has upgraded, or use a BACKWARD level.",
      "`pattern` {old} was removed")
_rule("PATTERN_CHANGED", _BOTH, "A string's `pattern` changed.",
      f'{{{_S}, "pattern": "^[a-z]+$"}}', f'{{{_S}, "pattern": "^[0-9]+$"}}',
      "Keep the pattern; patterns are compared as text, so even an equivalent rewrite counts.",
      "`pattern` changed from {old} to {new}")
_rule("MULTIPLE_OF_ADDED", _B, "`multipleOf` was added to a number.",
      '{"type": "number"}', '{"type": "number", "multipleOf": 5}',
      "Do not add `multipleOf` to a number with existing data.",
      "`multipleOf` {new} was added")
_rule("MULTIPLE_OF_REMOVED", _F, "A number's `multipleOf` was removed.",
      '{"type": "number", "multipleOf": 5}', '{"type": "number"}',
      "Keep `multipleOf` until every consumer has upgraded, or use a BACKWARD level.",
      "`multipleOf` {old} was removed")
_rule("MULTIPLE_OF_EXPANDED", _B,
      "`multipleOf` became a multiple of its old value, so fewer numbers qualify.",
      '{"type": "number", "multipleOf": 5}', '{"type": "number", "multipleOf": 10}',
      "Only change `multipleOf` to a divisor of the old value.",
      "`multipleOf` went from {old} to {new}")
_rule("MULTIPLE_OF_REDUCED", _F,
      "`multipleOf` became a divisor of its old value, so more numbers qualify.",
      '{"type": "number", "multipleOf": 10}', '{"type": "number", "multipleOf": 5}',
      "Keep `multipleOf` until every consumer has upgraded, or use a BACKWARD level.",
      "`multipleOf` went from {old} to {new}")
_rule("MULTIPLE_OF_CHANGED", _BOTH,
      "`multipleOf` changed to a value that is neither a multiple nor a divisor of the old one.",
      '{"type": "number", "multipleOf": 3}', '{"type": "number", "multipleOf": 5}',
      "Keep `multipleOf`.",
      "`multipleOf` went from {old} to {new}")
_rule("REQUIRED_ATTRIBUTE_ADDED", _B,
      "A property became required without a default: old data may lack it.",
      f'{{{_O}, "properties": {{"a": {{{_S}}}}}}}',
      f'{{{_O}, "properties": {{"a": {{{_S}}}}}, "required": ["a"]}}',
      "Leave the property optional, or give it a `default`.",
      "property {name!r} became required")
_rule("REQUIRED_ATTRIBUTE_REMOVED", _F,
      "A property is no longer required: consumers on the old schema still expect it.",
      f'{{{_O}, "properties": {{"a": {{{_S}}}}}, "required": ["a"]}}',
      f'{{{_O}, "properties": {{"a": {{{_S}}}}}}}',
      "Keep the property required until every consumer has upgraded.",
      "property {name!r} is no longer required")
_rule("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL", _B,
      "A new required property was added to a closed or partially open object: old data "
      "cannot contain it.",
      _CLOSED,
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, '
      '"required": ["b"], "additionalProperties": false}',
      "Add the property as optional, or give it a `default`.",
      "required property {name!r} was added to an object that did not allow it before")
_rule("REQUIRED_PROPERTY_REMOVED_FROM_UNOPEN_CONTENT_MODEL", _F,
      "A required property was removed from a closed or partially open object: consumers on "
      "the old schema still require it.",
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, '
      '"required": ["b"], "additionalProperties": false}',
      _CLOSED,
      "Keep the property until every consumer has upgraded.",
      "required property {name!r} was removed from an object that does not allow it any more")
_rule("UNIQUE_ITEMS_ADDED", _B, "`uniqueItems` was turned on for an array.",
      f"{{{_A}}}", f'{{{_A}, "uniqueItems": true}}',
      "Do not require unique items in an array with existing data.",
      "`uniqueItems` was turned on")
_rule("UNIQUE_ITEMS_REMOVED", _F, "`uniqueItems` was turned off for an array.",
      f'{{{_A}, "uniqueItems": true}}', f"{{{_A}}}",
      "Keep `uniqueItems` until every consumer has upgraded.",
      "`uniqueItems` was turned off")
_rule("ADDITIONAL_PROPERTIES_REMOVED", _B,
      "An open object was closed (`additionalProperties: false`): old data may carry other "
      "properties.",
      _OPEN, _CLOSED,
      "Keep the object open, or use the LENIENT policy if producers never send extra "
      "properties.",
      "additional properties were allowed and are not any more")
_rule("ADDITIONAL_PROPERTIES_ADDED", _F,
      "A closed object was opened: consumers on the old schema reject extra properties.",
      _CLOSED, _OPEN,
      "Keep the object closed until every consumer has upgraded.",
      "additional properties were not allowed and now are")
_rule("ADDITIONAL_PROPERTIES_NARROWED", _B,
      "`additionalProperties` was restricted to a schema that old extra properties may not "
      "match.",
      _OPEN, _PARTIAL,
      "Keep `additionalProperties` at least as permissive, or use the LENIENT policy.",
      "`additionalProperties` went from {old} to {new}")
_rule("ADDITIONAL_PROPERTIES_EXTENDED", _F,
      "`additionalProperties` was widened: consumers on the old schema reject the newly "
      "allowed values.",
      _PARTIAL, _OPEN,
      "Keep `additionalProperties` until every consumer has upgraded.",
      "`additionalProperties` went from {old} to {new}")
_rule("ADDITIONAL_ITEMS_REMOVED", _B,
      "A tuple that allowed extra items was closed (`additionalItems`/`items` false).",
      '{"type": "array", "items": [{"type": "string"}]}',
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": false}',
      "Keep allowing extra items.",
      "extra items were allowed and are not any more")
_rule("ADDITIONAL_ITEMS_ADDED", _F,
      "A closed tuple now allows extra items: consumers on the old schema reject them.",
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": false}',
      '{"type": "array", "items": [{"type": "string"}]}',
      "Keep the tuple closed until every consumer has upgraded.",
      "extra items were not allowed and now are")
_rule("ADDITIONAL_ITEMS_NARROWED", _B,
      "Extra tuple items were restricted to a schema old items may not match.",
      '{"type": "array", "items": [{"type": "string"}]}',
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "string"}}',
      "Keep the schema of extra items at least as permissive.",
      "the schema of extra items went from {old} to {new}")
_rule("ADDITIONAL_ITEMS_EXTENDED", _F,
      "Extra tuple items were widened: consumers on the old schema reject them.",
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "string"}}',
      '{"type": "array", "items": [{"type": "string"}]}',
      "Keep the schema of extra items until every consumer has upgraded.",
      "the schema of extra items went from {old} to {new}")
_rule("DEPENDENCY_ARRAY_ADDED", _B,
      "A property dependency (`dependentRequired`) was added.",
      f"{{{_O}}}", f'{{{_O}, "dependentRequired": {{"a": ["b"]}}}}',
      "Do not add dependencies between existing properties.",
      "properties {new} became required whenever {name!r} is present")
_rule("DEPENDENCY_ARRAY_REMOVED", _F, "A property dependency was removed.",
      f'{{{_O}, "dependentRequired": {{"a": ["b"]}}}}', f"{{{_O}}}",
      "Keep the dependency until every consumer has upgraded.",
      "the dependency of {name!r} on {old} was removed")
_rule("DEPENDENCY_ARRAY_EXTENDED", _B, "A property dependency gained properties.",
      f'{{{_O}, "dependentRequired": {{"a": ["b"]}}}}',
      f'{{{_O}, "dependentRequired": {{"a": ["b", "c"]}}}}',
      "Do not extend dependencies between existing properties.",
      "the dependency of {name!r} went from {old} to {new}")
_rule("DEPENDENCY_ARRAY_NARROWED", _F, "A property dependency lost properties.",
      f'{{{_O}, "dependentRequired": {{"a": ["b", "c"]}}}}',
      f'{{{_O}, "dependentRequired": {{"a": ["b"]}}}}',
      "Keep the dependency until every consumer has upgraded.",
      "the dependency of {name!r} went from {old} to {new}")
_rule("DEPENDENCY_ARRAY_CHANGED", _BOTH, "A property dependency changed its properties.",
      f'{{{_O}, "dependentRequired": {{"a": ["b"]}}}}',
      f'{{{_O}, "dependentRequired": {{"a": ["c"]}}}}',
      "Keep the dependency.",
      "the dependency of {name!r} went from {old} to {new}")
_rule("DEPENDENCY_SCHEMA_ADDED", _B, "A schema dependency (`dependentSchemas`) was added.",
      f"{{{_O}}}", f'{{{_O}, "dependentSchemas": {{"a": {{"required": ["b"]}}}}}}',
      "Do not add schema dependencies to an object with existing data.",
      "a schema dependency on {name!r} was added")
_rule("DEPENDENCY_SCHEMA_REMOVED", _F, "A schema dependency was removed.",
      f'{{{_O}, "dependentSchemas": {{"a": {{"required": ["b"]}}}}}}', f"{{{_O}}}",
      "Keep the schema dependency until every consumer has upgraded.",
      "the schema dependency on {name!r} was removed")
_rule("PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL", _B,
      "A property was added to an open object (STRICT): old data may carry it with another "
      "type.",
      _OPEN,
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}',
      "Close the old object (`additionalProperties: false`) first, or use the LENIENT policy.",
      "property {name!r} was added to an object that allowed any extra property")
_rule("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL", _F,
      "A property was removed from an open object (STRICT): new data may carry it with "
      "another type.",
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}',
      _OPEN,
      "Keep the property in the schema, or use the LENIENT policy.",
      "property {name!r} was removed from an object that allows any extra property")
_rule("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL", _B,
      "A property was removed from a closed object: old data carrying it is rejected.",
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, '
      '"additionalProperties": false}',
      _CLOSED,
      "Keep the property (it may be deprecated), or open the object.",
      "property {name!r} was removed from a closed object")
_rule("PROPERTY_ADDED_TO_CLOSED_CONTENT_MODEL", _F,
      "A property was added to a closed object: consumers on the old schema reject it.",
      _CLOSED,
      '{"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "string"}}, '
      '"additionalProperties": false}',
      "Use a BACKWARD level, or add the property only once every consumer has upgraded.",
      "property {name!r} was added to a closed object")
_rule("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", _BOTH,
      "A property was added whose schema is not compatible with the `additionalProperties` or "
      "`patternProperties` schema that covered it before.",
      _PARTIAL,
      '{"type": "object", "properties": {"b": {"type": "integer"}}, '
      '"additionalProperties": {"type": "string"}}',
      "Give the property a schema compatible with the one that covered it, or use LENIENT.",
      "property {name!r} was added with {new}, which does not match {old} that covered it")
_rule("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", _BOTH,
      "A property was removed whose schema is not compatible with the `additionalProperties` "
      "or `patternProperties` schema that now covers it.",
      '{"type": "object", "properties": {"b": {"type": "integer"}}, '
      '"additionalProperties": {"type": "string"}}',
      _PARTIAL,
      "Keep the property, or make the covering schema accept its values, or use LENIENT.",
      "property {name!r} was removed; its schema {old} does not match {new} that covers it now")
_TUPLE1 = '{"type": "array", "items": [{"type": "string"}]}'
_TUPLE2 = '{"type": "array", "items": [{"type": "string"}, {"type": "integer"}]}'
_TUPLE1C = '{"type": "array", "items": [{"type": "string"}], "additionalItems": false}'
_TUPLE2C = ('{"type": "array", "items": [{"type": "string"}, {"type": "integer"}], '
            '"additionalItems": false}')
_rule("ITEM_ADDED_TO_OPEN_CONTENT_MODEL", _B,
      "A tuple position was added while the old tuple allowed any extra item.",
      _TUPLE1, _TUPLE2,
      "Close the old tuple first, or give the new position an empty schema.",
      "tuple item {name} was added to a tuple that allowed any extra item")
_rule("ITEM_REMOVED_FROM_OPEN_CONTENT_MODEL", _F,
      "A tuple position was removed while the tuple allows any extra item.",
      _TUPLE2, _TUPLE1,
      "Keep the tuple position.",
      "tuple item {name} was removed from a tuple that allows any extra item")
_rule("ITEM_REMOVED_FROM_CLOSED_CONTENT_MODEL", _B,
      "A tuple position was removed from a closed tuple: old data with it is rejected.",
      _TUPLE2C, _TUPLE1C,
      "Keep the tuple position.",
      "tuple item {name} was removed from a closed tuple")
_rule("ITEM_ADDED_TO_CLOSED_CONTENT_MODEL", _F,
      "A tuple position was added to a closed tuple: consumers on the old schema reject it.",
      _TUPLE1C, _TUPLE2C,
      "Use a BACKWARD level for this change.",
      "tuple item {name} was added to a closed tuple")
_rule("ITEM_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", _BOTH,
      "A tuple position was added whose schema does not accept what the extra-items schema "
      "allowed there.",
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "string"}}',
      _TUPLE2,
      "Give the new position a schema compatible with the extra-items schema.",
      "tuple item {name} was added with {new}, which does not match {old} that covered it")
_rule("ITEM_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL", _BOTH,
      "A tuple position was removed whose schema does not match the extra-items schema that "
      "now covers it.",
      _TUPLE2,
      '{"type": "array", "items": [{"type": "string"}], "additionalItems": {"type": "string"}}',
      "Keep the tuple position, or make the extra-items schema accept its values.",
      "tuple item {name} was removed; its schema {old} does not match {new} that covers it now")
_rule("ENUM_ARRAY_NARROWED", _B, "Values were removed from an `enum` (or an enum was added).",
      '{"enum": ["a", "b"]}', '{"enum": ["a"]}',
      "Keep every old value in the enum; deprecate values in documentation instead.",
      "the allowed values went from {old} to {new}")
_rule("ENUM_ARRAY_EXTENDED", _F,
      "Values were added to an `enum`: consumers on the old schema reject them.",
      '{"enum": ["a"]}', '{"enum": ["a", "b"]}',
      "Use a BACKWARD level, or add values only once every consumer has upgraded.",
      "the allowed values went from {old} to {new}")
_rule("ENUM_ARRAY_CHANGED", _BOTH, "An `enum` or `const` both lost and gained values.",
      '{"enum": ["a", "b"]}', '{"enum": ["a", "c"]}',
      "Keep the old values; add new ones in a separate step.",
      "the allowed values went from {old} to {new}")
_rule("COMBINED_TYPE_CHANGED", _BOTH,
      "The combination keyword changed (e.g. `anyOf` to `oneOf`), or a conditional changed.",
      '{"anyOf": [{"type": "string"}, {"type": "integer"}]}',
      '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
      "Keep the combination keyword.",
      "the combination changed from {old} to {new}")
_rule("COMBINED_TYPE_SUBSCHEMAS_CHANGED", _BOTH,
      "A branch of `oneOf`/`anyOf`/`allOf` has no compatible counterpart on the other side.",
      '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
      '{"oneOf": [{"type": "string"}, {"type": "boolean"}]}',
      "Change one branch at a time, each in a compatible way.",
      "branch {old} has no compatible counterpart in {new}")
_rule("PRODUCT_TYPE_EXTENDED", _B, "A schema was added to an `allOf`: more constraints apply.",
      '{"allOf": [{"type": "object"}]}',
      '{"allOf": [{"type": "object"}, {"required": ["a"]}]}',
      "Do not add `allOf` branches that constrain existing data.",
      "`allOf` went from {old} to {new}")
_rule("PRODUCT_TYPE_NARROWED", _F,
      "A schema was removed from an `allOf`: consumers on the old schema still apply it.",
      '{"allOf": [{"type": "object"}, {"required": ["a"]}]}',
      '{"allOf": [{"type": "object"}]}',
      "Keep the `allOf` branch until every consumer has upgraded.",
      "`allOf` went from {old} to {new}")
_rule("SUM_TYPE_NARROWED", _B,
      "A branch of `oneOf`/`anyOf` was removed: old data matching only it is rejected.",
      '{"oneOf": [{"type": "string"}, {"type": "integer"}]}', '{"oneOf": [{"type": "string"}]}',
      "Keep every branch of the union.",
      "the union went from {old} to {new}")
_rule("SUM_TYPE_EXTENDED", _F,
      "A branch was added to a `oneOf`/`anyOf`: consumers on the old schema reject data "
      "matching only it.",
      '{"oneOf": [{"type": "string"}]}', '{"oneOf": [{"type": "string"}, {"type": "integer"}]}',
      "Use a BACKWARD level, or add branches only once every consumer has upgraded.",
      "the union went from {old} to {new}")
_rule("NOT_TYPE_EXTENDED", _B,
      "The schema under `not` accepts more (or `not` was added): more values are excluded.",
      '{"not": {"type": "string", "maxLength": 1}}', '{"not": {"type": "string"}}',
      "Do not widen what `not` excludes.",
      "`not` went from {old} to {new}")
_rule("NOT_TYPE_NARROWED", _F,
      "The schema under `not` accepts less (or `not` was removed): fewer values are excluded.",
      '{"not": {"type": "string"}}', '{"not": {"type": "string", "maxLength": 1}}',
      "Keep `not` until every consumer has upgraded.",
      "`not` went from {old} to {new}")
_rule("KEYWORD_CHANGED", _BOTH,
      "A keyword no Confluent rule covers changed (`contains`, `$dynamicRef`, "
      "`$recursiveRef`); reported under the SOUND policy, which compares it as text.",
      '{"type": "array", "contains": {"type": "string"}}',
      '{"type": "array", "contains": {"type": "integer"}}',
      "Keep the keyword unchanged, or set the subject's level to NONE for this change.",
      "`{name}` changed from {old} to {new}")
_rule("SCHEMA_ADDED", _B,
      "A subschema appeared where the old schema had none (e.g. `items` on an array that had "
      "no `items`): Confluent counts it as a new constraint.",
      '{"type": "array"}', '{"type": "array", "items": {"type": "string"}}',
      "Do not constrain existing data with a new subschema.",
      "a subschema {new} was added where there was none")
_rule("SCHEMA_REMOVED", _F,
      "A subschema was removed (e.g. `items`): consumers on the old schema still apply it.",
      '{"type": "array", "items": {"type": "string"}}', '{"type": "array"}',
      "Keep the subschema until every consumer has upgraded, or use a BACKWARD level.",
      "the subschema {old} was removed")
_D2020 = "https://json-schema.org/draft/2020-12/schema"
_UNEVAL = (
    ("unevaluatedItems", f'"$schema": "{_D2020}", "type": "array", "prefixItems": '
     '[{"type": "string"}]', "items"),
    ("unevaluatedProperties", f'"$schema": "{_D2020}", "type": "object", "properties": '
     '{"a": {"type": "string"}}', "properties"),
)
for _kw, _base, _what in _UNEVAL:
    _prefix = re.sub(r"(?<!^)(?=[A-Z])", "_", _kw).upper()
    _rule(f"{_prefix}_REMOVED", _B,
          f"`{_kw}` became false: {_what} no other keyword evaluates are no longer allowed.",
          f"{{{_base}}}", f'{{{_base}, "{_kw}": false}}',
          f"Keep allowing unevaluated {_what}.",
          f"`{_kw}` went from {{old}} to {{new}}")
    _rule(f"{_prefix}_ADDED", _F,
          f"`{_kw}` false was lifted: consumers on the old schema reject the {_what} it now "
          "allows.",
          f'{{{_base}, "{_kw}": false}}', f"{{{_base}}}",
          "Keep the schema closed until every consumer has upgraded.",
          f"`{_kw}` went from {{old}} to {{new}}")
    _rule(f"{_prefix}_NARROWED", _B,
          f"`{_kw}` was restricted to a schema that old unevaluated {_what} may not match.",
          f"{{{_base}}}", f'{{{_base}, "{_kw}": {{"type": "string"}}}}',
          f"Keep `{_kw}` at least as permissive.",
          f"`{_kw}` went from {{old}} to {{new}}")
    _rule(f"{_prefix}_EXTENDED", _F,
          f"`{_kw}` was widened: consumers on the old schema reject the newly allowed {_what}.",
          f'{{{_base}, "{_kw}": {{"type": "string"}}}}', f"{{{_base}}}",
          f"Keep `{_kw}` until every consumer has upgraded.",
          f"`{_kw}` went from {{old}} to {{new}}")

# Warnings: where Confluent's verdict and what data can do part ways (never a verdict).
_rule("CONFLUENT_ACCEPTS_BREAKING_CHANGE", _BOTH,
      "Warning: Confluent's rules accept the change, but an instance valid for the writer's "
      "schema fails the reader's; the finding's `new` value is such an instance, checked with "
      "jsonschema. The SOUND policy refuses the change.",
      '{"type": "object", "properties": {"a": {"type": "string"}}}',
      '{"type": "object", "properties": {"a": {"type": "string"}}, "required": ["b"]}',
      "Treat it as breaking: migrate the data first, or opt the subject into the SOUND policy.",
      "Confluent accepts a breaking change")
_rule("CONFLUENT_REFUSES_HARMLESS_CHANGE", _BOTH,
      "Warning: Confluent's rules refuse the change, but no instance valid for the writer's "
      "schema fails the reader's (e.g. `additionalItems` without a tuple `items`). The SOUND "
      "policy accepts it.",
      '{"type": "array", "additionalItems": true}',
      '{"type": "array", "additionalItems": false}',
      "Under STRICT/LENIENT, keep the keyword as it was (it has no effect), or opt the subject "
      "into the SOUND policy.",
      "Confluent refuses a harmless change")

for _warning in ("CONFLUENT_ACCEPTS_BREAKING_CHANGE", "CONFLUENT_REFUSES_HARMLESS_CHANGE"):
    _RULES[_warning] = replace(_RULES[_warning], severity=Severity.WARNING)

RULES: Mapping[str, Rule] = dict(_RULES)

# Differences Confluent's LENIENT policy accepts, by their writer-to-reader name.
LENIENT_ALLOWED = frozenset(
    {
        "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        "ADDITIONAL_PROPERTIES_REMOVED",
        "ADDITIONAL_PROPERTIES_NARROWED",
        "PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
        "PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL",
    }
)

_SWAPS = (
    ("_ADDED_TO_", "_REMOVED_FROM_"),
    ("_ADDED", "_REMOVED"),
    ("_INCREASED", "_DECREASED"),
    ("_EXTENDED", "_NARROWED"),
    ("_EXPANDED", "_REDUCED"),
)


def mirror(rule_id: str) -> str:
    """The name of a writer-to-reader difference read the other way (new writer, old reader)."""
    for a, b in _SWAPS:
        if a in rule_id:
            return rule_id.replace(a, b, 1)
        if b in rule_id:
            return rule_id.replace(b, a, 1)
    return rule_id


def _show(value: object) -> str:
    if value is None:
        return "none"
    import json

    try:
        text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def message(
    rule_id: str, direction: Direction, old: object, new: object, name: str, origin: str = ""
) -> str:
    what = _WHAT[rule_id].what.format(old=_show(old), new=_show(new), name=name)
    if origin:
        what += f" (in the referenced schema {origin})"
    if direction is Direction.BACKWARD:
        return f"{what}, so the new schema rejects data written with the old one."
    return f"{what}, so consumers still on the old schema reject data written with the new one."


def policy_notes() -> list[str]:
    """Markdown lines for the documentation: the policies and the differences that never
    become findings."""
    from compat.json_schema.confluent import LENIENT_COMPATIBLE, STRICT_COMPATIBLE

    def names(values: frozenset[str]) -> str:
        return ", ".join(f"`{v}`" for v in sorted(values))

    return [
        "",
        "### JSON Schema policies",
        "",
        "STRICT (the default) and LENIENT give Confluent's verdict: the errors are the",
        "differences Confluent's rules count as incompatible, named from the old schema to the",
        "new one (in a FORWARD check Charter reports the mirror of Confluent's",
        "writer-to-reader name). Beside them Charter judges what data can do; where the two",
        "part ways it adds a warning, never changing the verdict:",
        "`CONFLUENT_ACCEPTS_BREAKING_CHANGE` with an instance valid for the writer's schema",
        "that the reader's rejects (checked with jsonschema), or",
        "`CONFLUENT_REFUSES_HARMLESS_CHANGE` when no instance can notice the change.",
        "SOUND (opt-in, per subject) makes the verdict follow the data instead: its errors",
        "are the semantic findings, and Confluent's refusals it does not share are warnings.",
        "",
        f"Differences Confluent counts as compatible under STRICT (never a finding): "
        f"{names(STRICT_COMPATIBLE)}.",
        "",
        f"Also compatible under LENIENT: {names(LENIENT_COMPATIBLE - STRICT_COMPATIBLE)}.",
    ]
