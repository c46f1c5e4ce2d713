"""The registry refuses a rule set whose CEL does not compile (42201 with the compiler's
message), for registrations and for config defaults and overrides, and stores nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.registry.helpers import USER_V1, assert_error


def rules(expr: str, *, type: str = "CEL", field: str = "domainRules",
          mode: str = "WRITE") -> dict[str, Any]:
    return {field: [{"name": "r1", "kind": "CONDITION", "mode": mode, "type": type,
                     "expr": expr}]}


BAD = [
    ("message.amount >", "CEL"),
    ("message.amount > 0 &&", "CEL"),
    ("typeName == 'STRING' ; value.size(", "CEL_FIELD"),  # the body after a guard
    ("name == ; true", "CEL_FIELD"),  # the guard
    ("'unterminated", "CEL"),
]


@pytest.mark.parametrize(("expr", "kind"), BAD)
def test_a_rule_that_does_not_compile_is_refused_and_nothing_stored(
    client: TestClient, expr: str, kind: str
) -> None:
    answer = client.post("/subjects/orders-value/versions",
                         json={"schema": USER_V1, "ruleSet": rules(expr, type=kind)})
    assert_error(answer, 422, 42201)
    message = answer.json()["message"]
    assert "rule 'r1' of domainRules does not compile as CEL" in message
    assert message.split("CEL: ", 1)[1]  # the compiler's own words follow
    assert client.get("/subjects").json() == []
    assert client.get("/subjects/orders-value/versions").status_code == 404


def test_the_compilers_message_names_the_place(client: TestClient) -> None:
    answer = client.post("/subjects/s/versions",
                         json={"schema": USER_V1, "ruleSet": rules("message.a >")})
    assert "column 11 of 'message.a >'" in answer.json()["message"]


def test_migration_rules_are_compiled_too(client: TestClient) -> None:
    answer = client.post("/subjects/s/versions", json={
        "schema": USER_V1, "ruleSet": rules("1 +", field="migrationRules", mode="UPGRADE")})
    assert_error(answer, 422, 42201)
    assert "of migrationRules" in answer.json()["message"]


def test_rules_of_other_types_are_not_compiled(client: TestClient) -> None:
    """An ENCRYPT or JSONATA rule's `expr` is not CEL, and is kept as given."""
    body = {"schema": USER_V1, "ruleSet": {
        "domainRules": [{"name": "enc", "kind": "TRANSFORM", "mode": "WRITEREAD",
                         "type": "ENCRYPT", "tags": ["PII"], "expr": "not ( CEL"}],
        "migrationRules": [{"name": "up", "kind": "TRANSFORM", "mode": "UPGRADE",
                            "type": "JSONATA", "expr": "$merge([$, {'x': 1}])"}]}}
    answer = client.post("/subjects/s/versions", json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["ruleSet"]["domainRules"][0]["expr"] == "not ( CEL"


def test_good_expressions_are_stored(client: TestClient) -> None:
    ruled = rules("message.amount > 0 && message.id.startsWith('o-')")
    answer = client.post("/subjects/s/versions", json={"schema": USER_V1, "ruleSet": ruled})
    assert answer.status_code == 200, answer.text
    guarded = rules("typeName == 'STRING' ; value.size() < 64", type="CEL_FIELD")
    answer = client.post("/subjects/t/versions", json={"schema": USER_V1, "ruleSet": guarded})
    assert answer.status_code == 200, answer.text
    assert answer.json()["ruleSet"] == guarded


@pytest.mark.parametrize("key", ["defaultRuleSet", "overrideRuleSet"])
def test_config_rule_sets_are_compiled(client: TestClient, key: str) -> None:
    before = client.get("/config/s", params={"defaultToGlobal": "true"}).json()
    answer = client.put("/config/s", json={"compatibility": "NONE", key: rules("a ||")})
    assert_error(answer, 422, 42201)
    assert client.get("/config/s", params={"defaultToGlobal": "true"}).json() == before
    assert client.get("/config/s").status_code == 404
