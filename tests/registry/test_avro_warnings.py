"""Avro defaults Java accepts although they do not fit: stored as Confluent stores them, and
named as WARNINGs in the verbose compatibility answer (issue 17)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "t",
    "fields": [{"name": "id", "type": "long"}],
}
ADDED = {
    "fixed": (
        {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 4}, "default": "ab"},
        "DEFAULT_FIXED_SIZE_MISMATCH",
    ),
    "enum": (
        {
            "name": "status",
            "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "DONE"]},
            "default": "OPEN",
        },
        "DEFAULT_NOT_AN_ENUM_SYMBOL",
    ),
}


def _with(field: dict[str, Any]) -> str:
    return json.dumps({**V1, "fields": [*V1["fields"], field]})


@pytest.mark.parametrize("kind", sorted(ADDED))
def test_registered_with_200_and_warned_in_verbose_answers(client: TestClient, kind: str) -> None:
    field, rule = ADDED[kind]
    schema = _with(field)
    assert (
        client.post("/subjects/orders/versions", json={"schema": json.dumps(V1)}).status_code == 200
    )
    check = client.post(
        "/compatibility/subjects/orders/versions/latest?verbose=true", json={"schema": schema}
    )
    assert check.status_code == 200, check.text
    assert check.json()["is_compatible"] is True
    [message] = check.json()["messages"]
    assert message.startswith(f"WARNING {rule} at /fields/1/default: "), message

    registered = client.post("/subjects/orders/versions", json={"schema": schema})
    assert registered.status_code == 200, registered.text
    stored = client.get("/subjects/orders/versions/2/schema")
    assert json.loads(stored.text)["fields"][1]["default"] == field["default"]

    # the whole-history form answers the same; without verbose there are no messages
    history = client.post(
        "/compatibility/subjects/orders/versions?verbose=true", json={"schema": schema}
    )
    assert history.status_code == 200
    assert [m.split(" at ")[0] for m in history.json()["messages"]] == [f"WARNING {rule}"]
    quiet = client.post("/compatibility/subjects/orders/versions", json={"schema": schema})
    assert quiet.json() == {"is_compatible": True}
