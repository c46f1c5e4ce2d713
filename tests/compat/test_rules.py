"""`compat.rules`: CEL compiled, not run — what the registry refuses a rule set for and the
programs the SDK's rule engine evaluates."""

from __future__ import annotations

import pytest

from compat import rules


def test_an_expression_that_compiles_has_no_problem() -> None:
    assert rules.problem("message.amount_cents > 0 && message.id.startsWith('p-')") is None


def test_an_expression_that_does_not_compile_says_where_it_stopped() -> None:
    found = rules.problem("message.amount_cents >")
    assert found is not None and "line 1" in found and "column" in found


def test_the_guard_is_compiled_too() -> None:
    assert rules.split_guard("message.a > 0 ; message.b") == ("message.a > 0 ", " message.b")
    assert rules.split_guard(" ; message.b") == (None, " message.b")
    assert rules.problem("message.a > 0 ; message.b") is None
    assert rules.problem("message.a >> ; message.b") is not None
    assert rules.problem("message.a ; message.b ==") is not None


def test_an_expression_is_limited_in_length() -> None:
    with pytest.raises(rules.ExpressionError) as caught:
        rules.check_expression("1 + " * rules.EXPRESSION_CHARS_MAX + "1")
    assert caught.value.detail == f"longer than {rules.EXPRESSION_CHARS_MAX} characters"


def test_a_program_is_compiled_once_and_kept() -> None:
    assert rules.program("size(message.tags) > 2") is rules.program("size(message.tags) > 2")
