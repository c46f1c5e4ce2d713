"""JSON pointers mapped back to line and column in the schema text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cli.locate import positions

TEXT = """{
  "type": "record",
  "fields": [
    {"name": "id", "type": "string"},
    {"name": "a/b~c", "type": ["null", {"type": "map", "values": "int"}]}
  ]
}"""


def test_members_point_at_their_key_and_items_at_their_start() -> None:
    where = positions(TEXT)
    assert where.line_column("") == (1, 1)
    assert where.line_column("/type") == (2, 3)
    assert where.line_column("/fields/0") == (4, 5)
    assert where.line_column("/fields/0/type") == (4, 20)
    assert where.line_column("/fields/1/name") == (5, 6)
    assert where.line_column("/fields/1/type/1/values") == (5, 56)


def test_escaped_tokens_and_missing_pointers_fall_back_to_the_nearest_ancestor() -> None:
    text = '{"a/b": {"~": 1}}'
    where = positions(text)
    assert where.line_column("/a~1b/~0") == (1, 10)
    assert where.line_column("/a~1b/missing/deeper") == (1, 2)
    assert where.line_column("/nothing") == (1, 1)


def test_text_that_is_not_json_maps_everything_to_the_start() -> None:
    assert positions("  {oops").line_column("/x") == (1, 3)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(json_values, st.sampled_from([None, 1, 2]))
def test_every_value_offset_starts_its_serialised_value(value: object, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    where = positions(text)

    def walk(node: object, pointer: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                child_pointer = pointer + "/" + key.replace("~", "~0").replace("/", "~1")
                member = text[where.offset(child_pointer) :]
                decoded_key, _ = json.JSONDecoder().raw_decode(member)
                assert decoded_key == key
                walk(child, child_pointer)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                child_pointer = f"{pointer}/{index}"
                decoded, _ = json.JSONDecoder().raw_decode(text[where.offset(child_pointer) :])
                assert decoded == child
                walk(child, child_pointer)

    walk(value, "")
    assert json.JSONDecoder().raw_decode(text[where.offset("") :])[0] == value
