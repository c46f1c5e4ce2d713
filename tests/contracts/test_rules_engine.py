"""The rule engine's parts without a registry: name wildcards as confluent-kafka matches them,
compile errors, actions, and what a failure reports."""

from __future__ import annotations

import json
from typing import Any

import fastavro
import pytest
from confluent_kafka.schema_registry.wildcard_matcher import wildcard_match as theirs

from sdk.errors import ValidationError
from sdk.rules import RuleCompileError, RuleEngine, RuleError, check_expression, wildcard_match

NAMES = ["eve", "alice.bob.eve", "shop.Order.email", "shop.Order", "$.ship.city", "a.b", "ab"]
PATTERNS = ["eve*", "a*.bob.eve", "a*.bob.e*", "a*", "a**", "alice.bob*", "alice.bob**",
            "shop.*.email", "shop.**", "**.email", "$.ship.*", "$.*", "a?b", "a.?", "?b", "**"]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_wildcards_match_as_confluent_kafka(pattern: str) -> None:
    assert [wildcard_match(n, pattern) for n in NAMES] == [theirs(n, pattern) for n in NAMES]


@pytest.mark.parametrize("expr", ["a >", "x ; ", ";", "f(", "1 + + "])
def test_expressions_that_do_not_compile(expr: str) -> None:
    with pytest.raises(RuleCompileError) as caught:
        check_expression(expr, "r")
    assert caught.value.rule == "r" and caught.value.detail


SCHEMA = fastavro.parse_schema({"type": "record", "name": "T", "fields": [
    {"name": "n", "type": "long"}, {"name": "s", "type": "string"}]})


def engine(*rules: dict[str, Any]) -> RuleEngine:
    found = RuleEngine.of(json.dumps({"domainRules": list(rules)}), None, "AVRO", SCHEMA)
    assert found is not None
    return found


def cond(expr: str, **more: Any) -> dict[str, Any]:
    return {"name": "c", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": expr,
            **more}


def test_a_failure_says_which_rule_where_and_why() -> None:
    field = {"name": "f", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
             "expr": "name == 's' ; value.size() > 1", "doc": "s is two characters or more"}
    with pytest.raises(RuleError) as caught:
        engine(field).run("WRITE", {"n": 1, "s": "x"}, subject="t-value")
    failure = caught.value
    assert isinstance(failure, ValidationError)
    assert (failure.rule, failure.mode, failure.action) == ("f", "WRITE", "ERROR")
    assert failure.violations[0].path == "/s"
    assert str(failure) == ("data-contract rule 'f' failed on WRITE for subject 't-value' at /s: "
                            "s is two characters or more")


def test_an_unknown_action_fails_and_on_success_actions_run() -> None:
    with pytest.raises(RuleError, match="no rule action 'RETRY'"):
        engine(cond("false", onFailure="RETRY")).run("WRITE", {"n": 1, "s": "x"})
    with pytest.raises(RuleError) as caught:
        engine(cond("true", onSuccess="ERROR")).run("WRITE", {"n": 1, "s": "x"})
    assert caught.value.action == "ERROR"
    assert engine(cond("true", onSuccess="NONE")).run("WRITE", {"n": 1, "s": "x"})


def test_an_engine_with_a_bad_expression_fails_when_built() -> None:
    with pytest.raises(RuleCompileError):
        engine(cond("a >"))
    assert RuleEngine.of(None, None, "AVRO", SCHEMA) is None
    assert RuleEngine.of(json.dumps({"migrationRules": []}), None, "AVRO", SCHEMA) is None


def test_dlq_hands_the_value_over_then_fails() -> None:
    seen: list[Any] = []
    with pytest.raises(RuleError) as caught:
        engine(cond("message.n > 1", onFailure="DLQ")).run(
            "WRITE", {"n": 1, "s": "x"}, subject="t-value", dead_letters=seen.append)
    assert caught.value.action == "DLQ"
    assert [(f.rule.name, f.value, f.subject) for f in seen] == [
        ("c", {"n": 1, "s": "x"}, "t-value")]
