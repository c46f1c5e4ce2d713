"""The data-driven corpus: every case file, every level it states."""

from __future__ import annotations

from collections import Counter

import pytest

from compat import Level, SchemaType, Severity, check, parse
from compat.catalog import all_rules
from tests.compat.corpus import Case, all_cases

CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case(case: Case) -> None:
    history = [parse(s, case.resolver) for s in case.history]
    new = parse(case.new, case.resolver)
    known = all_rules()
    for level, expected in case.expect.items():
        result = check(level, new, history, policy=case.policy)
        got = {f.rule for f in result.findings}
        assert got <= set(known), f"undocumented rule ids {got - set(known)}"
        assert got == expected, f"{case.description}: at {level} expected {sorted(expected)}"
        errors = {r for r in expected if known[r].severity is Severity.ERROR}
        assert result.compatible == (not errors)
        for finding in result.findings:
            assert finding.message and finding.hint
            assert finding.severity is known[finding.rule].severity
            if case.schema_type is SchemaType.PROTOBUF:
                assert finding.location.startswith("#/")  # Confluent's path form
            else:
                assert finding.location == "" or finding.location.startswith("/")


def test_corpus_is_large_enough() -> None:
    by_type = Counter(c.schema_type for c in CASES)
    assert sum(by_type.values()) >= 150, by_type


def test_every_case_states_both_directions() -> None:
    for case in CASES:
        assert Level.BACKWARD in case.expect and Level.FORWARD in case.expect, case.id
