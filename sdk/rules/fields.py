"""Walking a value's fields with its schema, for CEL_FIELD rules, as Confluent's serdes do.

A walk visits every field of every record (Avro) or object with `properties` (JSON Schema)
that the value holds, nested ones too, with a `Field`: its full name (Avro: the record's full
name then the field's; JSON Schema: `$` then the property path), its type name (Confluent's
`FieldType`: STRING, INT, LONG, ...), and its tags (inline `confluent:tags` plus the
metadata's tag patterns). `visit` is called for the leaf values it reaches and returns the
value to keep (a transform) or the verdict (a condition).

A condition fails where `visit` returns False for a field of a record, or for the branch of
a union a field holds. Items of arrays and values of maps are visited, but a False among them
does not fail the condition: Confluent's walk collects their verdicts into a list, and the
differential test holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sdk.rules.model import CONDITION, FieldTags

__all__ = ["Field", "FieldFailed", "Visit", "walk_avro", "walk_json"]

PRIMITIVES = frozenset({"INT", "LONG", "FLOAT", "DOUBLE", "BOOLEAN", "NULL", "STRING", "BYTES"})
DEPTH_MAX = 64


@dataclass(frozen=True, slots=True)
class Field:
    """The field a visit is at. `message` is the record (a mapping) holding it; `path` is a
    JSON pointer to the value, for error messages."""

    full_name: str
    name: str
    type_name: str
    tags: frozenset[str]
    message: Any
    path: str

    @property
    def is_primitive(self) -> bool:
        return self.type_name in PRIMITIVES


Visit = Callable[[Field, Any], Any]


class FieldFailed(Exception):
    """A condition returned False at `field`."""

    def __init__(self, field: Field) -> None:
        super().__init__(field.full_name)
        self.field = field


@dataclass(slots=True)
class _Walk:
    kind: str  # the rule's kind: a condition checks verdicts, a transform keeps results
    rule_tags: frozenset[str]
    tags: FieldTags
    visit: Visit

    def wanted(self, tags: frozenset[str]) -> bool:
        return not self.rule_tags or bool(self.rule_tags & tags)


# --- Avro ------------------------------------------------------------------------------------

_AVRO_TYPES = {
    "record": "RECORD", "enum": "ENUM", "array": "ARRAY", "map": "MAP", "fixed": "FIXED",
    "string": "STRING", "bytes": "BYTES", "int": "INT", "long": "LONG", "float": "FLOAT",
    "double": "DOUBLE", "boolean": "BOOLEAN", "null": "NULL",
}


def _avro_type(schema: Any) -> str:
    if isinstance(schema, list):
        return "COMBINED"
    kind = schema.get("type") if isinstance(schema, dict) else schema
    return _AVRO_TYPES.get(kind, "NULL") if isinstance(kind, str) else "NULL"


def _avro_matches(schema: Any, value: Any) -> bool:
    """Whether a union branch can hold `value` (how the branch is picked to walk it)."""
    kind = schema.get("type") if isinstance(schema, dict) else schema
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in ("int", "long"):
        return isinstance(value, int) and not isinstance(value, bool)
    if kind in ("float", "double"):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "string":
        return isinstance(value, str)
    if kind in ("bytes", "fixed"):
        return isinstance(value, (bytes, bytearray))
    if kind == "enum":
        return isinstance(value, str) and value in schema.get("symbols", ())
    if kind == "array":
        return isinstance(value, list)
    if kind == "map":
        return isinstance(value, Mapping)
    if kind == "record":
        if not isinstance(value, Mapping):
            return False
        names = {f["name"] for f in schema.get("fields", ())}
        required = {f["name"] for f in schema.get("fields", ()) if "default" not in f}
        return set(value) <= names and required <= set(value)
    return False


def walk_avro(
    schema: Any, value: Any, *, kind: str, rule_tags: frozenset[str], tags: FieldTags,
    inline: Mapping[str, frozenset[str]], visit: Visit,
) -> Any:
    """Walk `value` with `schema`, fastavro's parsed schema with named types expanded in place
    (`fastavro.schema.expand_schema`). `inline` maps field full names to `confluent:tags`."""
    walk = _Walk(kind, rule_tags, tags, visit)
    return _avro(walk, schema, value, None, inline, "", 0)


def _avro(
    walk: _Walk, schema: Any, value: Any, field: Field | None,
    inline: Mapping[str, frozenset[str]], path: str, depth: int,
) -> Any:
    if depth > DEPTH_MAX:
        return value
    if field is not None:
        field = _retyped(field, _avro_type(schema))
    if isinstance(schema, list):
        branch = next((b for b in schema if _avro_matches(b, value)), None)
        if branch is None:
            return value
        return _avro(walk, branch, value, field, inline, path, depth + 1)
    if isinstance(schema, dict):
        kind = schema.get("type")
        if kind == "array":
            if not isinstance(value, list):
                return value
            return [_avro(walk, schema["items"], item, field, inline, f"{path}/{i}", depth + 1)
                    for i, item in enumerate(value)]
        if kind == "map":
            if not isinstance(value, Mapping):
                return value
            return {k: _avro(walk, schema["values"], v, field, inline, f"{path}/{k}", depth + 1)
                    for k, v in value.items()}
        if kind == "record":
            if not isinstance(value, dict):
                return value
            for spec in schema.get("fields", ()):
                name = spec["name"]
                if name not in value:
                    continue
                full_name = f"{schema['name']}.{name}"
                found = Field(full_name, name, _avro_type(spec["type"]),
                              inline.get(full_name, frozenset()) | walk.tags.of(full_name),
                              value, f"{path}/{name}")
                result = _avro(walk, spec["type"], value[name], found, inline, found.path,
                               depth + 1)
                _keep(walk, value, name, result, found)
            return value
    if field is not None and walk.wanted(field.tags):
        return walk.visit(field, value)
    return value


def _retyped(field: Field, type_name: str) -> Field:
    if field.type_name == type_name:
        return field
    return Field(field.full_name, field.name, type_name, field.tags, field.message, field.path)


def _keep(walk: _Walk, record: dict[str, Any], name: str, result: Any, field: Field) -> None:
    if walk.kind == CONDITION:
        if result is False:
            raise FieldFailed(field)
    else:
        record[name] = result


def avro_inline_tags(schema: Any) -> dict[str, frozenset[str]]:
    """`confluent:tags` of every field of an expanded Avro schema, by field full name."""
    found: dict[str, frozenset[str]] = {}

    def visit(node: Any, depth: int) -> None:
        if depth > DEPTH_MAX:
            return
        if isinstance(node, list):
            for branch in node:
                visit(branch, depth + 1)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind == "array":
                visit(node.get("items"), depth + 1)
            elif kind == "map":
                visit(node.get("values"), depth + 1)
            elif kind == "record":
                for spec in node.get("fields", ()):
                    tags = spec.get("confluent:tags")
                    if tags:
                        key = f"{node['name']}.{spec['name']}"
                        found[key] = found.get(key, frozenset()) | frozenset(tags)
                    visit(spec.get("type"), depth + 1)

    visit(schema, 0)
    return found


# --- JSON Schema -----------------------------------------------------------------------------

_JSON_VISITED = frozenset({"ENUM", "STRING", "INT", "DOUBLE", "BOOLEAN"})


def _json_type(schema: Any) -> str:
    if isinstance(schema, bool) or not isinstance(schema, dict):
        return "COMBINED"
    kind = schema.get("type")
    if schema.get("const") is not None or schema.get("enum") is not None:
        return "ENUM"
    if kind == "object":
        return "RECORD" if schema.get("properties") else "MAP"
    simple = {"array": "ARRAY", "string": "STRING", "integer": "INT", "number": "DOUBLE",
              "boolean": "BOOLEAN", "null": "NULL"}
    if isinstance(kind, str) and kind in simple:
        return simple[kind]
    return "RECORD" if schema.get("properties") is not None else "NULL"


class _JsonRefs:
    """Resolves `$ref`s within the root schema (and `referenced` schemas by their `$id` or
    reference name), and tells which subschema a value is valid against."""

    def __init__(self, root: Any, referenced: Mapping[str, Any] | None) -> None:
        from jsonschema import validators
        from referencing import Registry, Resource
        from referencing.jsonschema import DRAFT202012

        resources = [(name, Resource.from_contents(s, default_specification=DRAFT202012))
                     for name, s in (referenced or {}).items()]
        registry: Registry[Any] = Registry().with_resources(resources)
        root_resource = Resource.from_contents(root, default_specification=DRAFT202012)
        self.registry = registry.with_resource("", root_resource)
        self.resolver = self.registry.resolver(base_uri="")
        self.validator_for = validators.validator_for
        self.root = root

    def lookup(self, ref: str) -> Any:
        return self.resolver.lookup(ref).contents

    def valid(self, schema: Any, value: Any) -> bool:
        if isinstance(schema, dict) and "$ref" in schema:
            schema = self.lookup(schema["$ref"])
        cls = self.validator_for(self.root)
        return bool(cls(schema, registry=self.registry).is_valid(value))


def walk_json(
    schema: Any, value: Any, *, kind: str, rule_tags: frozenset[str], tags: FieldTags,
    visit: Visit, referenced: Mapping[str, Any] | None = None,
) -> Any:
    walk = _Walk(kind, rule_tags, tags, visit)
    return _json(walk, _JsonRefs(schema, referenced), schema, value, None, "$", "", 0)


def _json(
    walk: _Walk, refs: _JsonRefs, schema: Any, value: Any, field: Field | None,
    name_path: str, path: str, depth: int,
) -> Any:
    if value is None or schema is None or isinstance(schema, bool) or depth > DEPTH_MAX:
        return value
    if not isinstance(schema, dict):
        return value
    if field is not None:
        field = _retyped(field, _json_type(schema))
    kinds = schema.get("type")
    if isinstance(kinds, list) and kinds:
        for one in kinds:
            sub = {**schema, "type": one}
            if refs.valid(sub, value):
                return _json(walk, refs, sub, value, field, name_path, path, depth + 1)
    combined = [k for k in ("allOf", "anyOf", "oneOf") if schema.get(k) is not None]
    if combined:
        if "allOf" in combined:
            for sub in schema["allOf"]:
                value = _json(walk, refs, sub, value, field, name_path, path, depth + 1)
        elif "oneOf" in combined:
            for sub in schema["oneOf"]:
                if isinstance(sub, dict) and refs.valid(sub, value):
                    resolved = refs.lookup(sub["$ref"]) if "$ref" in sub else sub
                    value = _json(walk, refs, resolved, value, field, name_path, path, depth + 1)
                    break
        else:
            for sub in schema["anyOf"]:
                if isinstance(sub, dict) and refs.valid(sub, value):
                    resolved = refs.lookup(sub["$ref"]) if "$ref" in sub else sub
                    value = _json(walk, refs, resolved, value, field, name_path, path, depth + 1)
        _json_properties(walk, refs, schema, value, name_path, path, depth)
        items = schema.get("items")
        if items is not None and isinstance(value, list):
            value = [_json(walk, refs, items, v, field, name_path, f"{path}/{i}", depth + 1)
                     for i, v in enumerate(value)]
        return value
    items = schema.get("items")
    if items is not None and isinstance(value, list):
        return [_json(walk, refs, items, v, field, name_path, f"{path}/{i}", depth + 1)
                for i, v in enumerate(value)]
    if schema.get("$ref") is not None:
        target = refs.lookup(schema["$ref"])
        return _json(walk, refs, target, value, field, name_path, path, depth + 1)
    type_name = _json_type(schema)
    if type_name == "RECORD":
        if isinstance(value, dict):
            _json_properties(walk, refs, schema, value, name_path, path, depth)
        return value
    if type_name in _JSON_VISITED and field is not None and walk.wanted(field.tags):
        return walk.visit(field, value)
    return value


def _json_properties(
    walk: _Walk, refs: _JsonRefs, schema: dict[str, Any], value: Any, name_path: str,
    path: str, depth: int,
) -> None:
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not isinstance(value, dict):
        return
    for name, sub in properties.items():
        if not isinstance(sub, dict):
            continue
        full_name = f"{name_path}.{name}"
        inline = frozenset(sub.get("confluent:tags") or ())
        found = Field(full_name, name, _json_type(sub), inline | walk.tags.of(full_name), value,
                      f"{path}/{name}")
        if value.get(name) is None:
            continue
        result = _json(walk, refs, sub, value[name], found, full_name, found.path, depth + 1)
        _keep(walk, value, name, result, found)
