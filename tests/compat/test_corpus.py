"""The data-driven corpus: every case file, every level it states."""

from __future__ import annotations

from collections import Counter

import pytest

from compat import Level, SchemaType, Severity, check, parse
from compat.catalog import all_rules
from compat.json_schema.confluent import LENIENT_COMPATIBLE
from tests.compat.corpus import Case, all_cases

# Rule names a case may rest on: the catalogue, plus Confluent's compatible differences,
# which never become findings.
CONFLUENT_NAMES = LENIENT_COMPATIBLE

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    history = [parse(s, case.resolver) for s in case.history]
    new = parse(case.new, case.resolver)
    known = all_rules()
    for policy, expectations in case.by_policy.items():
        for level, expected in expectations.items():
            result = check(level, new, history, policy=policy)
            assert {f.rule for f in result.findings} <= set(known), "undocumented rule ids"
            # A case's expectation may name warning rules beside the errors (the Protobuf
            # corpus does); only the errors decide the verdict.
            errors = {r for r in expected if known[r].severity is Severity.ERROR}
            assert {f.rule for f in result.errors} == errors, (
                f"{case.description}: {policy} {level} expected {sorted(expected)}"
            )
            assert result.compatible == (not errors)
            warned = {f.rule for f in result.warnings}
            if policy is case.policy and level in case.warnings:
                assert warned == case.warnings[level], f"{case.description}: {level} warnings"
            elif case.schema_type is SchemaType.PROTOBUF:
                assert warned == expected - errors, f"{case.description}: {level} warnings"
            for finding in result.findings:
                assert finding.message and finding.hint
                assert finding.severity is known[finding.rule].severity
                if case.schema_type is SchemaType.PROTOBUF:
                    assert finding.location.startswith("#/")  # Confluent's path form
                else:
                    assert finding.location == "" or finding.location.startswith("/")
        if case.rule is not None:
            assert case.rule in known or case.rule in CONFLUENT_NAMES, case.rule


def test_corpus_is_large_enough() -> None:
    by_type = Counter(c.schema_type for c in CASES)
    assert sum(by_type.values()) >= 150, by_type


def test_every_case_states_both_directions() -> None:
    for case in CASES:
        assert Level.BACKWARD in case.expect and Level.FORWARD in case.expect, case.id
