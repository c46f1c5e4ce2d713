"""Laws every format must obey, checked over every schema in the corpus."""

from __future__ import annotations

import pytest

from compat import Level, Schema, check, parse
from tests.compat.corpus import Case, all_cases

CASES = all_cases()


def _schemas() -> list[tuple[str, Schema, Case]]:
    out = []
    for case in CASES:
        for i, source in enumerate([*case.history, case.new]):
            out.append((f"{case.id}#{i}", parse(source, case.resolver), case))
    return out


SCHEMAS = _schemas()


@pytest.mark.parametrize(
    ("schema", "case"), [(s, c) for _, s, c in SCHEMAS], ids=[n for n, _, _ in SCHEMAS]
)
def test_every_schema_is_compatible_with_itself(schema: Schema, case: Case) -> None:
    reparsed = parse(schema.source, case.resolver)
    for level in Level:
        result = check(level, reparsed, [schema, schema])
        assert result.compatible, (level, result.messages())


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_full_is_backward_and_forward(case) -> None:  # type: ignore[no-untyped-def]
    history = [parse(s, case.resolver) for s in case.history]
    new = parse(case.new, case.resolver)

    def verdict(level: Level) -> bool:
        return check(level, new, history, policy=case.policy).compatible

    assert verdict(Level.FULL) == (verdict(Level.BACKWARD) and verdict(Level.FORWARD))
    assert verdict(Level.FULL_TRANSITIVE) == (
        verdict(Level.BACKWARD_TRANSITIVE) and verdict(Level.FORWARD_TRANSITIVE)
    )
    assert verdict(Level.NONE)


def test_transitive_checks_every_version() -> None:
    """A break against the oldest version only shows at the transitive level."""
    cases = [c for c in CASES if len(c.history) == 1]
    assert cases
    for case in cases:
        old = parse(case.history[0], case.resolver)
        new = parse(case.new, case.resolver)
        if check(Level.BACKWARD, new, [old], policy=case.policy).compatible:
            continue
        history = [old, new]  # the latest equals the new schema, the oldest breaks
        plain = check(Level.BACKWARD, new, history, policy=case.policy)
        transitive = check(Level.BACKWARD_TRANSITIVE, new, history, policy=case.policy)
        assert plain.compatible
        assert not transitive.compatible
        assert {f.against for f in transitive.findings} == {0}
