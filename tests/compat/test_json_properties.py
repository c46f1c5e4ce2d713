"""Property tests: when the SOUND policy finds no error, the reader accepts what the writer writes.

Schemas come from a small grammar (types, bounds, enums, open/closed/partially open objects,
arrays, anyOf, not; in 2020-12 also `prefixItems`, `contains` with `minContains`/`maxContains`,
`unevaluatedItems`, `unevaluatedProperties`, `dependentRequired`, `dependentSchemas` and
`default`). The reader is either drawn independently or derived from the writer by small edits,
so that both verdicts occur. Instances are drawn to fit the writer and kept only when
`jsonschema` agrees they do; each must then validate under the reader.

STRICT and LENIENT follow Confluent, whose verdicts are not sound (the warnings say where);
`oneOf` is left out because the semantic checker, like Confluent, reads it as `anyOf`.
"""

from __future__ import annotations

import json
import os
from typing import Any

import jsonschema
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from compat import Direction, Policy, SchemaSource, SchemaType, check_pair, parse

EXAMPLES = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "200"))
NAMES = ("a", "b", "c")
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)

small = st.integers(-3, 3)


def _typed(name: str, **optional: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({"type": st.just(name)}, optional=optional)


strings = _typed(
    "string",
    minLength=st.integers(0, 3),
    maxLength=st.integers(1, 5),
    enum=st.lists(st.sampled_from(["x", "yy", "zzz", ""]), min_size=1, max_size=3, unique=True),
    pattern=st.sampled_from(["^x", "y$", "z"]),
)
integers = _typed(
    "integer",
    minimum=small,
    maximum=small,
    exclusiveMinimum=small,
    exclusiveMaximum=small,
    multipleOf=st.sampled_from([1, 2, 3, 4]),
)
numbers = _typed("number", minimum=small, maximum=small, exclusiveMaximum=small)
scalars = st.one_of(
    strings,
    integers,
    numbers,
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just({}),
    st.just({"type": ["string", "null"]}),
    st.just({"type": ["integer", "string"]}),
    st.lists(st.sampled_from([1, 2, "x", None, True]), min_size=1, max_size=3, unique=True).map(
        lambda values: {"enum": values}
    ),
)


def _composite(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    objects = st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from(NAMES), children, max_size=3),
        },
        optional={
            "required": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
            "additionalProperties": st.one_of(st.booleans(), children),
            "patternProperties": st.dictionaries(st.sampled_from(["^a", "^[cd]", "b"]), children,
                                                 max_size=2),
            "minProperties": st.integers(0, 2),
            "maxProperties": st.integers(1, 4),
        },
    )
    arrays = st.fixed_dictionaries(
        {"type": st.just("array")},
        optional={
            "items": children,
            "minItems": st.integers(0, 2),
            "maxItems": st.integers(1, 3),
            "uniqueItems": st.just(True),
        },
    )
    tuples = st.fixed_dictionaries(
        {"type": st.just("array"), "items": st.lists(children, min_size=1, max_size=2)},
        optional={"additionalItems": st.one_of(st.booleans(), children)},
    )
    unions = st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b})
    products = st.lists(children, min_size=1, max_size=2).map(lambda b: {"allOf": b})
    negations = scalars.map(lambda s: {"not": s})
    return st.one_of(objects, arrays, tuples, unions, products, negations)


schemas = st.recursive(scalars, _composite, max_leaves=6)


def _edit(schema: Any, draw: Any) -> Any:
    """The schema with a few keywords dropped, nudged or added."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        action = draw(st.sampled_from(["keep", "keep", "keep", "drop", "nudge"]))
        if action == "drop" and key != "type":
            continue
        if isinstance(value, bool) or key in ("enum", "type", "required"):
            out[key] = value
        elif isinstance(value, int):
            out[key] = max(value + draw(st.sampled_from([-1, 1])), 1 if key == "multipleOf" else 0)
            if key.startswith(("min", "max", "exclusive")) and "Length" not in key:
                out[key] = value + draw(st.sampled_from([-1, 1]))
        elif key in ("properties", "patternProperties"):
            out[key] = {n: _edit(s, draw) for n, s in value.items()}
        elif key in ("anyOf", "allOf") or (key == "items" and isinstance(value, list)):
            out[key] = [_edit(s, draw) for s in value]
        else:
            out[key] = _edit(value, draw)
    if out.get("type") == "object" and draw(st.booleans()):
        out["additionalProperties"] = draw(st.sampled_from([False, True]))
    for bound in ("minLength", "maxLength", "minItems", "maxItems", "minProperties",
                  "maxProperties", "minContains", "maxContains"):
        if bound in out:
            out[bound] = max(out[bound], 0)
    return out


ANY_JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("xyz", max_size=3)),
    lambda c: st.one_of(
        st.lists(c, max_size=3), st.dictionaries(st.sampled_from((*NAMES, "d")), c, max_size=3)
    ),
    max_leaves=5,
)


def _instances(schema: Any) -> st.SearchStrategy[Any]:
    """Values that mostly fit `schema` (the caller filters with a validator)."""
    if not isinstance(schema, dict) or "not" in schema or not schema:
        return ANY_JSON
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([_instances(b) for b in schema["anyOf"]])
    if "allOf" in schema:
        return st.one_of([_instances(b) for b in schema["allOf"]])
    types = schema.get("type")
    if isinstance(types, list):
        return st.one_of([_instances({**schema, "type": t}) for t in types])
    if types == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 6)
        return st.text("xyz", min_size=low, max_size=max(low, high))
    if types in ("integer", "number"):
        low = max(schema.get("minimum", -6), schema.get("exclusiveMinimum", -7) + 1)
        high = min(schema.get("maximum", 6), schema.get("exclusiveMaximum", 7) - 1)
        if low > high:
            return st.just(0)
        values: st.SearchStrategy[Any] = st.integers(low, high)
        if types == "number":
            values = st.one_of(values, st.floats(low, high, allow_nan=False).map(lambda f: f + 0.5))
        return values
    if types == "boolean":
        return st.booleans()
    if types == "null":
        return st.none()
    if types == "array" and isinstance(schema.get("items"), list):
        rest = schema.get("additionalItems", True)
        head = st.tuples(*(_instances(i) for i in schema["items"])).map(list)
        tail = st.lists(ANY_JSON if rest is True else _instances(rest), max_size=0 if rest is False
                        else 2)
        return st.tuples(head, tail).map(lambda ht: ht[0] + ht[1])
    if types == "array":
        low, high = schema.get("minItems", 0), schema.get("maxItems", 3)
        return st.lists(_instances(schema.get("items", {})), min_size=low, max_size=max(low, high))
    if types == "object":
        props = schema.get("properties", {})
        required = {n: _instances(props.get(n, {})) for n in schema.get("required", [])}
        optional = {n: _instances(s) for n, s in props.items() if n not in required}
        extra = schema.get("additionalProperties", True)
        if extra is not False:
            for name in (*NAMES, "d"):
                if name not in props and name not in required:
                    optional[name] = ANY_JSON if extra is True else _instances(extra)
        return st.fixed_dictionaries(required, optional=optional)
    return ANY_JSON


def _parse(schema: Any) -> Any:
    return parse(SchemaSource(json.dumps(schema), SchemaType.JSON))


@SETTINGS
@given(data=st.data())
def test_no_finding_means_the_reader_accepts_the_writers_data(data: st.DataObject) -> None:
    writer = data.draw(schemas, label="writer")
    reader = data.draw(
        st.one_of(schemas, st.just(None)), label="independent reader or None (edited writer)"
    )
    if reader is None:
        reader = _edit(writer, data.draw)
        data.draw(st.just(reader), label="edited reader")
    findings = [
        f
        for f in check_pair(_parse(reader), _parse(writer), direction=Direction.BACKWARD,
                            policy=Policy.SOUND)
        if f.is_error
    ]
    event("incompatible" if findings else "compatible")
    if findings:
        return
    writes = jsonschema.Draft7Validator(writer)
    reads = jsonschema.Draft7Validator(reader)
    for _ in range(8):
        instance = data.draw(_instances(writer), label="instance")
        if writes.is_valid(instance):
            event("instance checked")
            assert reads.is_valid(instance), (reader, writer, instance)


@SETTINGS
@given(schema=schemas)
def test_every_generated_schema_reads_itself(schema: Any) -> None:
    parsed = _parse(schema)
    for direction in Direction:
        for policy in Policy:
            assert not list(
                check_pair(_parse(schema), parsed, direction=direction, policy=policy)
            )


# -- 2020-12 ---------------------------------------------------------------------------------

D2020 = "https://json-schema.org/draft/2020-12/schema"


def _composite_2020(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    with_default = children.map(
        lambda c: {**c, "default": None} if isinstance(c, dict) and "type" in c else c
    )
    objects = st.fixed_dictionaries(
        {
            "type": st.just("object"),
            "properties": st.dictionaries(st.sampled_from(NAMES), st.one_of(children,
                                                                             with_default),
                                          max_size=3),
        },
        optional={
            "required": st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
            "additionalProperties": st.one_of(st.booleans(), children),
            "unevaluatedProperties": st.one_of(st.booleans(), children),
            "dependentRequired": st.dictionaries(
                st.sampled_from(NAMES), st.lists(st.sampled_from(NAMES), max_size=2, unique=True),
                max_size=2),
            "dependentSchemas": st.dictionaries(st.sampled_from(NAMES), children, max_size=1),
        },
    )
    arrays = st.fixed_dictionaries(
        {"type": st.just("array")},
        optional={
            "prefixItems": st.lists(children, min_size=1, max_size=2),
            "items": st.one_of(st.booleans(), children),
            "unevaluatedItems": st.one_of(st.booleans(), children),
            "contains": children,
            "minContains": st.integers(0, 2),
            "maxContains": st.integers(1, 3),
            "maxItems": st.integers(1, 4),
        },
    )
    unions = st.lists(children, min_size=1, max_size=3).map(lambda b: {"anyOf": b})
    products = st.lists(children, min_size=1, max_size=2).map(lambda b: {"allOf": b})
    return st.one_of(objects, arrays, unions, products)


schemas_2020 = st.recursive(scalars, _composite_2020, max_leaves=5)


def _edit_2020(schema: Any, draw: Any) -> Any:
    """Like `_edit`, and sometimes adds a 2020-12 keyword."""
    out = _edit(schema, draw)
    if isinstance(out, dict) and out.get("type") == "array" and draw(st.booleans()):
        keyword = draw(st.sampled_from(["minContains", "maxContains", "unevaluatedItems"]))
        out[keyword] = draw(st.integers(0, 2)) if keyword != "unevaluatedItems" else False
    if isinstance(out, dict) and out.get("type") == "object" and draw(st.booleans()):
        out["unevaluatedProperties"] = draw(st.sampled_from([False, True, {"type": "string"}]))
    return out


def _instances_2020(schema: Any) -> st.SearchStrategy[Any]:
    if not isinstance(schema, dict):
        return ANY_JSON
    if schema.get("type") == "array":
        head = st.tuples(*(_instances_2020(i) for i in schema.get("prefixItems", []))).map(list)
        rest = schema.get("items", schema.get("unevaluatedItems", True))
        tail_items = ANY_JSON if not isinstance(rest, dict) else _instances_2020(rest)
        contained = _instances_2020(schema["contains"]) if "contains" in schema else ANY_JSON
        tail = st.lists(st.one_of(tail_items, contained), max_size=0 if rest is False else 3)
        return st.tuples(head, tail).map(lambda ht: ht[0] + ht[1])
    if schema.get("type") == "object":
        props = schema.get("properties", {})
        required = {n: _instances_2020(props.get(n, {})) for n in schema.get("required", [])}
        optional = {n: _instances_2020(s) for n, s in props.items() if n not in required}
        for name in (*NAMES, "d"):
            if name not in props and name not in required:
                optional[name] = ANY_JSON
        return st.fixed_dictionaries(required, optional=optional)
    if "anyOf" in schema:
        return st.one_of([_instances_2020(b) for b in schema["anyOf"]])
    if "allOf" in schema:
        return st.one_of([_instances_2020(b) for b in schema["allOf"]])
    return _instances(schema)


@SETTINGS
@given(data=st.data())
def test_sound_2020_12_no_error_means_the_reader_accepts_the_writers_data(
    data: st.DataObject,
) -> None:
    writer = {"$schema": D2020, **data.draw(schemas_2020.filter(lambda s: isinstance(s, dict)),
                                            label="writer")}
    reader = data.draw(
        st.one_of(schemas_2020.filter(lambda s: isinstance(s, dict)), st.just(None)),
        label="independent reader or None (edited writer)",
    )
    if reader is None:
        reader = _edit_2020(writer, data.draw)
    reader = {**reader, "$schema": D2020}
    data.draw(st.just(reader), label="reader")
    errors = [
        f
        for f in check_pair(_parse(reader), _parse(writer), direction=Direction.BACKWARD,
                            policy=Policy.SOUND)
        if f.is_error
    ]
    event("incompatible" if errors else "compatible")
    if errors:
        return
    writes = jsonschema.Draft202012Validator(writer)
    reads = jsonschema.Draft202012Validator(reader)
    for _ in range(8):
        instance = data.draw(_instances_2020(writer), label="instance")
        if writes.is_valid(instance):
            event("instance checked")
            assert reads.is_valid(instance), (reader, writer, instance)
