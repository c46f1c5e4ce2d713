"""Warnings are reported but never decide a verdict."""

from __future__ import annotations

from compat import Direction, Finding, Level, Result, Severity


def _finding(rule: str, severity: Severity) -> Finding:
    return Finding(
        rule=rule,
        location="/x",
        message="m.",
        hint="h.",
        direction=Direction.BACKWARD,
        severity=severity,
    )


def test_warnings_alone_keep_a_result_compatible() -> None:
    result = Result(Level.BACKWARD, (_finding("W", Severity.WARNING),))
    assert result.compatible
    assert result.errors == ()
    assert [f.rule for f in result.warnings] == ["W"]
    assert result.messages() == ["WARNING W at /x: m. Fix: h."]


def test_an_error_decides_and_comes_before_warnings() -> None:
    result = Result(
        Level.BACKWARD, (_finding("W", Severity.WARNING), _finding("E", Severity.ERROR))
    )
    assert not result.compatible
    assert result.messages() == ["E at /x: m. Fix: h.", "WARNING W at /x: m. Fix: h."]


def test_findings_are_errors_unless_marked() -> None:
    finding = Finding(
        rule="E", location="", message="m.", hint="h.", direction=Direction.FORWARD
    )
    assert finding.is_error
    assert finding.describe() == "E at /: m. Fix: h."
