"""Avro parsing: validity errors with locations, references, text forms and fingerprints."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastavro.schema import parse_schema, to_parsing_canonical_form

from compat import (
    Reference,
    ReferenceResolutionError,
    SchemaParseError,
    SchemaSource,
    SchemaType,
    parse,
)
from compat.avro import AvroSchema


def avro(value: Any, references: tuple[Reference, ...] = (), resolver: Any = None) -> AvroSchema:
    text = value if isinstance(value, str) else json.dumps(value)
    schema = parse(SchemaSource(text, SchemaType.AVRO, references), resolver)
    assert isinstance(schema, AvroSchema)
    return schema


def rec(name: str, *fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "record", "name": name, **extra, "fields": list(fields)}


INVALID = [
    ("{", ""),
    ('{"type": "record", "name": "R"}', ""),
    (json.dumps(rec("1R")), "/name"),
    (json.dumps(rec("a.1b")), "/name"),
    (json.dumps({"type": "record", "name": "R", "namespace": "x y", "fields": []}), "/namespace"),
    (json.dumps(rec("R", {"name": "a", "type": "int"}, {"name": "a", "type": "long"})),
     "/fields/1/name"),
    (json.dumps(rec("R", {"name": "bad-name", "type": "int"})), "/fields/0/name"),
    (json.dumps(rec("R", {"name": "a", "type": "in"})), "/fields/0/type"),
    (json.dumps(rec("R", {"name": "a"})), "/fields/0"),
    (json.dumps(rec("R", {"name": "a", "type": "int", "default": "x"})), "/fields/0/default"),
    (json.dumps(rec("R", {"name": "a", "type": "int", "default": 2**31})), "/fields/0/default"),
    (json.dumps(rec("R", {"name": "a", "type": ["null", "int"], "default": "x"})),
     "/fields/0/default"),
    # a fixed default of the wrong size is accepted with a warning (test_avro_warnings.py)
    (json.dumps(rec("R", {"name": "a", "type": {"type": "fixed", "name": "F", "size": 2},
                          "default": "\u0100b"})), "/fields/0/default"),
    (json.dumps(rec("R", {"name": "a", "type": {"type": "enum", "name": "E", "symbols": ["A"]},
                          "default": 1})), "/fields/0/default"),
    (json.dumps(rec("R", {"name": "a", "type": rec("In", {"name": "x", "type": "int"}),
                          "default": {}})), "/fields/0/default"),
    (json.dumps(rec("R", {"name": "a", "type": "int", "order": "up"})), "/fields/0/order"),
    (json.dumps({"type": "enum", "name": "E", "symbols": ["A", "A"]}), "/symbols/1"),
    (json.dumps({"type": "enum", "name": "E", "symbols": ["A"], "default": "B"}), "/default"),
    (json.dumps({"type": "enum", "name": "E", "symbols": ["1A"]}), "/symbols/0"),
    (json.dumps({"type": "fixed", "name": "F", "size": -1}), "/size"),
    (json.dumps({"type": "fixed", "name": "F"}), "/size"),
    (json.dumps({"type": "array"}), ""),
    (json.dumps({"type": "map"}), ""),
    (json.dumps(["int", "int"]), "/1"),
    (json.dumps(["int", ["string"]]), "/1"),
    (json.dumps({"type": ["null", "int"]}), "/type"),
    (json.dumps(rec("R", {"name": "a", "type": rec("R")})), "/fields/0/type/name"),
    (json.dumps({"type": "record", "name": "int", "fields": []}), "/name"),
    (json.dumps({"type": "bytes", "logicalType": "decimal", "precision": 2, "scale": 5}),
     "/scale"),
    (json.dumps({"type": "bytes", "logicalType": "decimal", "precision": 0}), "/precision"),
    (json.dumps({"type": "fixed", "name": "M", "size": 2, "logicalType": "decimal",
                 "precision": 30}), "/precision"),
    ("42", ""),
    (json.dumps(rec("R", {"name": "a", "type": rec("In", namespace="")},
                    {"name": "b", "type": "In"}, namespace="x")), "/fields/1/type"),
]


@pytest.mark.parametrize(("text", "location"), INVALID)
def test_invalid_schema_says_where(text: str, location: str) -> None:
    with pytest.raises(SchemaParseError) as info:
        avro(text)
    assert info.value.location == location
    assert info.value.reason


def test_union_default_may_match_any_branch() -> None:
    # Avro 1.12 (AVRO-3649): a union default matches any branch, not only the first.
    avro(rec("R", {"name": "a", "type": ["null", "int"], "default": 3}))


def test_valid_defaults_of_every_kind() -> None:
    fields = [
        {"name": "n", "type": "null", "default": None},
        {"name": "b", "type": "boolean", "default": True},
        {"name": "l", "type": "long", "default": 2**40},
        {"name": "d", "type": "double", "default": 1},
        {"name": "by", "type": "bytes", "default": "\u00ff"},
        {"name": "f", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "ab"},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X"]}, "default": "X"},
        {"name": "a", "type": {"type": "array", "items": "int"}, "default": [1, 2]},
        {"name": "m", "type": {"type": "map", "values": "E"}, "default": {"k": "X"}},
        {"name": "r", "type": rec("In", {"name": "x", "type": "int"},
                                  {"name": "y", "type": "int", "default": 0}),
         "default": {"x": 1}},
    ]
    assert avro(rec("R", *fields)).root.kind == "record"


@pytest.mark.parametrize(
    "text",
    [
        '{"type": {"type": "string"}}',  # fastavro raises TypeError on this one
        '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "int", "aliases": "x"}]}',
        "null",
        "[1]",
        '{"type": "record", "name": "R", "fields": {}}',
        "[" * 5000 + "]" * 5000,
        '{"type": "array", "items": ' * 3000 + '"int"' + "}" * 3000,
    ],
)
def test_no_foreign_exception_leaks(text: str) -> None:
    with pytest.raises(SchemaParseError):
        avro(text)


def test_canonical_text_keeps_key_order_and_drops_whitespace() -> None:
    text = '{ "name" : "R",\n "type": "record", "fields": [ {"type": "int", "name": "a"} ] }'
    compact = '{"name":"R","type":"record","fields":[{"type":"int","name":"a"}]}'
    assert avro(text).canonical_text == compact
    assert avro('"string"').canonical_text == '"string"'


def test_normalized_text_is_equal_for_equal_forms() -> None:
    a = avro({"type": "record", "name": "User", "namespace": "com.acme",
              "fields": [{"name": "id", "type": {"type": "long"}},
                         {"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["A"]}},
                         {"name": "t", "type": "S"}]})
    b = avro('{"fields": [{"type": "long", "name": "id"}, {"name": "s", "type": {"symbols": ["A"],'
             ' "name": "com.acme.S", "type": "enum"}}, {"name": "t", "type": "com.acme.S"}],'
             ' "name": "com.acme.User", "type": "record"}')
    assert a.canonical_text != b.canonical_text
    assert a.normalized_text == b.normalized_text
    assert a.fingerprint(normalize=True) == b.fingerprint(normalize=True)
    assert a.fingerprint() != b.fingerprint()
    assert avro({"type": "string"}).normalized_text == '"string"'
    assert avro('"string"').normalized_text == '"string"'


def test_normalized_text_keeps_what_resolution_uses() -> None:
    plain = rec("R", {"name": "a", "type": "int"})
    variants = [
        rec("R", {"name": "a", "type": "int", "default": 1}),
        rec("R", {"name": "a", "type": "int", "aliases": ["b"]}),
        rec("R", {"name": "a", "type": "int"}, aliases=["Old"]),
        rec("R", {"name": "a", "type": {"type": "int", "logicalType": "date"}}),
    ]
    texts = {avro(v).normalized_text for v in [plain, *variants]}
    assert len(texts) == len(variants) + 1
    e1 = avro({"type": "enum", "name": "E", "symbols": ["A", "B"]})
    e2 = avro({"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "A"})
    assert e1.normalized_text != e2.normalized_text


def test_normalized_text_reparses_to_itself() -> None:
    schema = avro(rec("Outer", {"name": "x", "type": {"type": "record", "name": "Inner",
                                                      "namespace": "", "fields": []}},
                      namespace="com.acme"))
    again = avro(schema.normalized_text)
    assert again.normalized_text == schema.normalized_text
    assert again.names.keys() == schema.names.keys() == {"com.acme.Outer", "Inner"}


@pytest.mark.parametrize(
    "value",
    [
        "string",
        ["null", "string", {"type": "array", "items": "long"}],
        rec("User", {"name": "id", "type": "long", "doc": "x", "default": 1},
            {"name": "tags", "type": {"type": "map", "values": {
                "type": "enum", "name": "Tag", "symbols": ["A"], "namespace": "t"}}},
            {"name": "tag", "type": "t.Tag"},
            {"name": "h", "type": {"type": "fixed", "name": "H", "size": 4}},
            namespace="com.acme", aliases=["Old"]),
    ],
)
def test_parsing_canonical_form_matches_fastavro(value: Any) -> None:
    ours = avro(json.dumps(value)).parsing_canonical_form
    assert ours == to_parsing_canonical_form(parse_schema(value))


# -- references ---------------------------------------------------------------------------

ADDRESS = {"type": "record", "name": "Address", "namespace": "com.acme",
           "fields": [{"name": "street", "type": "string"}, {"name": "country", "type": "Country"}]}
COUNTRY = {"type": "enum", "name": "Country", "namespace": "com.acme", "symbols": ["NL", "DE"]}
USER = {"type": "record", "name": "User", "namespace": "com.acme",
        "fields": [{"name": "home", "type": "Address"},
                   {"name": "born", "type": "com.acme.Country"}]}


class Store:
    def __init__(self, sources: dict[tuple[str, int], SchemaSource]) -> None:
        self.sources = sources
        self.calls: list[Reference] = []

    def __call__(self, reference: Reference) -> SchemaSource:
        self.calls.append(reference)
        return self.sources[(reference.subject, reference.version)]


def _store() -> Store:
    country_ref = Reference("com.acme.Country", "country", 1)
    return Store({
        ("country", 1): SchemaSource(json.dumps(COUNTRY)),
        ("address", 1): SchemaSource(json.dumps(ADDRESS), references=(country_ref,)),
    })


def test_references_resolve_recursively() -> None:
    refs = (
        Reference("com.acme.Address", "address", 1),
        Reference("com.acme.Country", "country", 1),
    )
    store = _store()
    schema = avro(USER, refs, store)
    assert set(schema.names) == {"com.acme.User", "com.acme.Address", "com.acme.Country"}
    assert len(store.calls) == 2  # country is parsed once although it is reached twice
    assert "com.acme.Address" in schema.named_schemas
    assert '"symbols":["NL","DE"]' in schema.parsing_canonical_form


def test_reference_findings_point_at_the_use_in_the_new_schema() -> None:
    from compat import Direction, check_pair

    refs = (Reference("com.acme.Address", "address", 1),)
    store = _store()
    old = avro({"type": "record", "name": "U", "fields": [{"name": "a", "type": "int"}]})
    wider = dict(ADDRESS, fields=[*ADDRESS["fields"], {"name": "zip", "type": "string"}])
    store.sources[("address", 2)] = SchemaSource(
        json.dumps(wider), references=(Reference("com.acme.Country", "country", 1),)
    )
    user = {"type": "record", "name": "U", "fields": [{"name": "a", "type": "com.acme.Address"}]}
    v1 = avro(user, refs, store)
    v2 = avro(user, (Reference("com.acme.Address", "address", 2),), store)
    findings = list(check_pair(v2, v1, direction=Direction.BACKWARD))
    assert [(f.rule, f.location) for f in findings] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0/type")
    ]
    assert list(check_pair(v1, old, direction=Direction.BACKWARD))


def test_missing_reference_is_a_resolution_error() -> None:
    with pytest.raises(ReferenceResolutionError) as info:
        avro(USER, (Reference("com.acme.Address", "nope", 1),), _store())
    assert info.value.name == "com.acme.Address"
    with pytest.raises(ReferenceResolutionError):
        avro(USER, (Reference("com.acme.Address", "address", 1),), None)


def test_reference_cycle_is_detected() -> None:
    a_ref = Reference("A", "a", 1)
    b_ref = Reference("B", "b", 1)
    store = Store({
        ("a", 1): SchemaSource('{"type": "fixed", "name": "A", "size": 1}', references=(b_ref,)),
        ("b", 1): SchemaSource('{"type": "fixed", "name": "B", "size": 1}', references=(a_ref,)),
    })
    with pytest.raises(ReferenceResolutionError) as info:
        avro('"A"', (a_ref,), store)
    assert "cycle" in info.value.message


def test_invalid_referenced_schema_is_a_resolution_error() -> None:
    store = Store({("x", 1): SchemaSource('{"type": "enum", "name": "X", "symbols": ["1"]}')})
    with pytest.raises(ReferenceResolutionError) as info:
        avro('"X"', (Reference("X", "x", 1),), store)
    assert "/symbols/0" in info.value.message


def test_unresolved_name_without_reference_fails() -> None:
    with pytest.raises(SchemaParseError) as info:
        avro(USER)
    assert info.value.location == "/fields/0/type"
