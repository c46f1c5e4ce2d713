"""Parsing JSON Schema: drafts, meta-validation errors with locations, references, text forms."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compat import (
    Level,
    Reference,
    ReferenceResolutionError,
    SchemaParseError,
    SchemaSource,
    SchemaType,
    check,
    parse,
)
from compat.json_schema import JsonSchema
from compat.json_schema.rules import RULES


def source(value: Any, *refs: Reference) -> SchemaSource:
    text = value if isinstance(value, str) else json.dumps(value)
    return SchemaSource(text, SchemaType.JSON, tuple(refs))


def parsed(value: Any, *refs: Reference, resolver: Any = None) -> JsonSchema:
    schema = parse(source(value, *refs), resolver)
    assert isinstance(schema, JsonSchema)
    return schema


@pytest.mark.parametrize(
    ("uri", "draft"),
    [
        ("http://json-schema.org/draft-04/schema#", "draft4"),
        ("http://json-schema.org/draft-06/schema#", "draft6"),
        ("http://json-schema.org/draft-07/schema#", "draft7"),
        ("https://json-schema.org/draft/2019-09/schema", "2019-09"),
        ("https://json-schema.org/draft/2020-12/schema", "2020-12"),
    ],
)
def test_draft_is_chosen_by_dollar_schema(uri: str, draft: str) -> None:
    assert parsed({"$schema": uri, "type": "string"}).draft.name == draft


def test_draft_7_is_the_default() -> None:
    assert parsed({"type": "object"}).draft.name == "draft7"


def test_boolean_schemas_parse_from_draft_6() -> None:
    assert parsed(True).document is True
    assert parsed({"properties": {"a": False}}).document == {"properties": {"a": False}}


@pytest.mark.parametrize(
    ("value", "location", "reason"),
    [
        ('{"type": ', "", "invalid JSON"),
        ("", "", "invalid JSON"),
        ({"type": "strong"}, "/type", "not a valid draft7 schema"),
        ({"properties": {"a": {"minLength": -1}}}, "/properties/a/minLength", "minimum of 0"),
        ({"properties": {"a": {"pattern": "["}}}, "/properties/a/pattern", "regex"),
        ({"required": "a"}, "/required", "not a valid draft7 schema"),
        ({"$schema": "http://example.com/my-meta", "type": "string"}, "/$schema", "unsupported"),
        ({"$schema": 4}, "/$schema", "must be a string"),
        (
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "maximum": 5,
                "exclusiveMaximum": 3,
            },
            "/exclusiveMaximum",
            "draft4",
        ),
        (
            {"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": {}},
            "/prefixItems",
            "2020-12",
        ),
    ],
)
def test_invalid_schemas_say_where_and_why(value: Any, location: str, reason: str) -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse(source(value))
    assert caught.value.location == location
    assert reason in caught.value.reason


def test_draft_4_boolean_exclusive_maximum_is_valid_only_in_draft_4() -> None:
    draft4 = "http://json-schema.org/draft-04/schema#"
    parsed({"$schema": draft4, "maximum": 3, "exclusiveMaximum": True})
    with pytest.raises(SchemaParseError) as caught:
        parse(source({"maximum": 3, "exclusiveMaximum": True}))
    assert caught.value.location == "/exclusiveMaximum"


@pytest.mark.parametrize(
    "value",
    [
        {"properties": {"a": {"$ref": "#/definitions/a"}}, "definitions": {"a": {}}},
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "properties": {"a": {"$ref": "#/$defs/a"}},
            "$defs": {"a": {"type": "string"}},
        },
        {
            "$id": "https://example.com/root.json",
            "properties": {"a": {"$ref": "item.json"}},
            "definitions": {"item": {"$id": "item.json", "type": "string"}},
        },
        {"properties": {"next": {"$ref": "#"}}},
    ],
)
def test_local_references_resolve(value: Any) -> None:
    parsed(value)


def test_unresolvable_local_reference_is_a_parse_error_with_location() -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse(source({"properties": {"a": {"$ref": "#/definitions/missing"}}}))
    assert caught.value.location == "/properties/a/$ref"
    assert "#/definitions/missing" in caught.value.reason


def test_reference_to_an_unregistered_schema_is_a_parse_error() -> None:
    with pytest.raises(SchemaParseError) as caught:
        parse(source({"properties": {"c": {"$ref": "customer.json"}}}))
    assert caught.value.location == "/properties/c/$ref"


CUSTOMER = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "address": {"$ref": "address.json"}},
}
ADDRESS = {"type": "object", "properties": {"city": {"type": "string"}}}


def store(**schemas: SchemaSource) -> Any:
    def resolve(reference: Reference) -> SchemaSource:
        key = f"{reference.subject}_{reference.version}"
        if key not in schemas:
            raise LookupError(key)
        return schemas[key]

    return resolve


def test_references_resolve_through_the_resolver_recursively() -> None:
    resolver = store(
        customer_1=source(CUSTOMER, Reference("address.json", "address", 1)),
        address_1=source(ADDRESS),
    )
    order = parsed(
        {"properties": {"customer": {"$ref": "customer.json"}}},
        Reference("customer.json", "customer", 1),
        resolver=resolver,
    )
    resolved = order.resolver.lookup("customer.json")
    assert resolved.contents == CUSTOMER
    assert resolved.resolver.lookup("address.json").contents == ADDRESS


def test_reference_by_url_and_pointer_into_it() -> None:
    resolver = store(defs_1=source({"definitions": {"money": {"type": "number"}}}))
    parsed(
        {"properties": {"price": {"$ref": "https://example.com/defs.json#/definitions/money"}}},
        Reference("https://example.com/defs.json", "defs", 1),
        resolver=resolver,
    )


def test_missing_referenced_subject_is_a_resolution_error() -> None:
    with pytest.raises(ReferenceResolutionError) as caught:
        parse(
            source({"$ref": "customer.json"}, Reference("customer.json", "customer", 3)),
            store(),
        )
    assert caught.value.name == "customer.json"
    assert "version 3" in caught.value.reason


def test_references_without_a_resolver_fail() -> None:
    with pytest.raises(ReferenceResolutionError):
        parse(source({"$ref": "a.json"}, Reference("a.json", "a", 1)))


def test_reference_cycles_are_detected() -> None:
    resolver = store(
        a_1=source({"$ref": "b.json"}, Reference("b.json", "b", 1)),
        b_1=source({"$ref": "a.json"}, Reference("a.json", "a", 1)),
    )
    with pytest.raises(ReferenceResolutionError) as caught:
        parse(source({"$ref": "a.json"}, Reference("a.json", "a", 1)), resolver)
    assert "cycle" in caught.value.reason


def test_invalid_referenced_schema_is_reported_by_reference_name() -> None:
    resolver = store(a_1=source({"type": 12}))
    with pytest.raises(ReferenceResolutionError) as caught:
        parse(source({"$ref": "a.json"}, Reference("a.json", "a", 1)), resolver)
    assert caught.value.name == "a.json"


def test_canonical_text_is_compact_and_keeps_key_order() -> None:
    schema = parsed('{ "type" : "object",\n  "properties": {"b": {}, "a": {}} }')
    assert schema.canonical_text == '{"type":"object","properties":{"b":{},"a":{}}}'


def test_normalized_text_ignores_form() -> None:
    one = parsed({"type": "object", "required": ["b", "a"], "properties": {"a": {}, "b": {}}})
    two = parsed('{"properties":{"b":{},"a":{}},"required":["a","b"],\n "type":"object"}')
    assert one.canonical_text != two.canonical_text
    assert one.normalized_text == two.normalized_text
    assert one.fingerprint() != two.fingerprint()
    assert one.fingerprint(normalize=True) == two.fingerprint(normalize=True)


def test_normalization_keeps_meaningful_order_and_property_names() -> None:
    tuple_a = parsed({"items": [{"type": "string"}, {"type": "integer"}]})
    tuple_b = parsed({"items": [{"type": "integer"}, {"type": "string"}]})
    assert tuple_a.normalized_text != tuple_b.normalized_text
    named = parsed({"properties": {"required": {"type": "string"}}})
    assert '"required":{"type":"string"}' in named.normalized_text


def test_fingerprint_depends_on_references() -> None:
    resolver = store(a_1=source({"type": "string"}), a_2=source({"type": "string"}))
    one = parsed({"$ref": "a.json"}, Reference("a.json", "a", 1), resolver=resolver)
    two = parsed({"$ref": "a.json"}, Reference("a.json", "a", 2), resolver=resolver)
    assert one.fingerprint() != two.fingerprint()
    assert one.fingerprint() == parsed(
        {"$ref": "a.json"}, Reference("a.json", "a", 1), resolver=resolver
    ).fingerprint()


KEYWORDS = ("type", "properties", "items", "$ref", "required", "enum", "minimum", "$schema",
            "$id", "id", "allOf", "additionalProperties", "pattern", "$defs", "definitions")
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
              st.sampled_from(["string", "#", "#/definitions/a", "a.json", "[", "http://x/y"])),
    lambda c: st.one_of(st.lists(c, max_size=3),
                        st.dictionaries(st.sampled_from((*KEYWORDS, "a")), c, max_size=4)),
    max_leaves=8,
)


@settings(max_examples=int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(value=JSONISH)
def test_parse_raises_only_schema_parse_errors(value: Any) -> None:
    try:
        schema = parse(source(value))
    except SchemaParseError as error:
        assert error.reason
        assert error.location == "" or error.location.startswith("/")
    else:
        assert json.loads(schema.canonical_text) == value
        assert json.loads(schema.normalized_text) is not None


@settings(max_examples=int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "200")), deadline=None)
@given(old=JSONISH, new=JSONISH)
def test_any_two_valid_schemas_can_be_compared(old: Any, new: Any) -> None:
    try:
        schemas = [parse(source(old)), parse(source(new))]
    except SchemaParseError:
        return
    result = check(Level.FULL, schemas[1], [schemas[0]])
    assert all(f.rule in RULES for f in result.findings)
    assert check(Level.FULL, schemas[1], [schemas[1]]).compatible
