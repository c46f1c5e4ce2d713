"""Arbitrary schema bodies: always an answer with a body, never a 500.

Examples per run: CHARTER_PROPERTY_EXAMPLES (default 25).
"""

from __future__ import annotations

import json
import os

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "25"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(["type", "name", "fields", "items", "properties", "$ref", "symbols"])
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
schema_texts = json_values.map(json.dumps) | st.text(max_size=40)
schema_types = st.sampled_from(["AVRO", "JSON", "avro", "PROTOBUF", "", "??"]) | st.none()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schema=schema_texts, schema_type=schema_types)
def test_arbitrary_schemas_never_500(
    client: TestClient, schema: str, schema_type: str | None
) -> None:
    payload: dict[str, object] = {"schema": schema}
    if schema_type is not None:
        payload["schemaType"] = schema_type
    for path in ("/subjects/fuzz/versions", "/compatibility/subjects/fuzz/versions"):
        response = client.post(path, json=payload)
        assert response.status_code < 500, response.text
        if response.status_code >= 400:
            data = response.json()
            assert isinstance(data["error_code"], int) and data["message"]
