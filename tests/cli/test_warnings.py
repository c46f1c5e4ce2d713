"""Findings of warning severity: reported in all six formats, never failing the run.

compat's own rules of warning severity land separately; until a schema pair yields one, the
real findings of a real breaking change are turned into warnings for one rule at the seam the
gate calls (`compat.iter_findings`), so everything after it runs as in production.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest

import compat
from cli.report import ContractReport, Issue, Report, render
from cli.report.json_report import SCHEMA
from compat import Finding, Severity
from tests.cli.conftest import ORDER_V3, USER_V3, Repo

WARNED = "TYPE_MISMATCH"  # user-value's finding becomes a warning; orders-value's stays an error


@pytest.fixture
def mixed(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> Repo:
    real = compat.iter_findings

    def with_warnings(*args: Any, **kwargs: Any) -> Iterator[Finding]:
        for finding in real(*args, **kwargs):
            if finding.rule == WARNED:
                finding = dataclasses.replace(finding, severity=Severity.WARNING)
            yield finding

    monkeypatch.setattr(compat, "iter_findings", with_warnings)
    repo.write("schemas/user.avsc", USER_V3)
    repo.write("schemas/order.json", ORDER_V3)
    return repo


def _check(repo: Repo, fmt: str) -> tuple[int, str]:
    result = repo.charter(["check", "--against", "git:HEAD", "--format", fmt])
    return result.code, result.stdout


def test_text(mixed: Repo) -> None:
    code, text = _check(mixed, "text")
    assert code == 1  # the error fails the run, the warning does not
    assert "schemas/user.avsc:5:20: warning TYPE_MISMATCH [BACKWARD vs git:HEAD]" in text
    assert "schemas/order.json:5:5: error TYPE_CHANGED" in text
    assert text.splitlines()[0].startswith("COMPATIBLE user-value schemas/user.avsc")
    assert "1 failing finding(s), 0 waived, 1 warning(s), 0 error(s)" in text


def test_json(mixed: Repo) -> None:
    code, out = _check(mixed, "json")
    report = json.loads(out)
    jsonschema.validate(report, SCHEMA)
    assert code == 1 and report["exit_code"] == 1
    assert report["summary"] == {
        "contracts": 2, "failing": 1, "waived": 0, "warnings": 1, "errors": 0,
    }  # fmt: skip
    contracts = {c["subject"]: c for c in report["contracts"]}
    assert contracts["user-value"]["status"] == "compatible"
    assert [f["status"] for f in contracts["user-value"]["findings"]] == ["warning"]
    assert contracts["orders-value"]["status"] == "breaking"
    assert [f["status"] for f in contracts["orders-value"]["findings"]] == ["error"]


def test_github(mixed: Repo) -> None:
    code, out = _check(mixed, "github")
    assert code == 1
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert len(commands) == 2
    assert commands[0].startswith(
        "::warning file=schemas/user.avsc,line=5,col=20,title=TYPE_MISMATCH::[user-value] "
    )
    assert commands[1].startswith("::error file=schemas/order.json,line=5,col=5,title=TYPE_CHANGED")
    assert out.splitlines()[-1].endswith("1 failing, 0 waived, 1 warning(s), 0 error(s)")


def test_sarif(mixed: Repo) -> None:
    code, out = _check(mixed, "sarif")
    assert code == 1
    [run] = json.loads(out)["runs"]
    levels = {r["ruleId"]: r["level"] for r in run["results"]}
    assert levels == {"TYPE_MISMATCH": "warning", "TYPE_CHANGED": "error"}
    assert all("suppressions" not in r for r in run["results"])


def test_junit(mixed: Repo) -> None:
    code, out = _check(mixed, "junit")
    assert code == 1
    root = ET.fromstring(out.split("\n", 1)[1])
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "1" and suite.get("errors") == "0"
    cases = {case.get("name", "").split(" ")[0]: case for case in suite.iter("testcase")}
    user, orders = cases["user-value"], cases["orders-value"]
    assert user.find("failure") is None and user.find("error") is None
    [out_text] = [e.text or "" for e in user.findall("system-out")]
    assert out_text.startswith("warning schemas/user.avsc:5:20 TYPE_MISMATCH ")
    [failure] = orders.findall("failure")
    assert failure.get("type") == "TYPE_CHANGED"


def test_markdown(mixed: Repo) -> None:
    code, out = _check(mixed, "markdown")
    assert code == 1
    assert "| warning | `TYPE_MISMATCH` | `schemas/user.avsc:5:20` |" in out
    assert "| error | `TYPE_CHANGED` | `schemas/order.json:5:5` |" in out
    assert "1 failing finding(s), 0 waived, 1 warning(s), 0 error(s)." in out
    assert "| `user-value` | `schemas/user.avsc` | compatible |" in out


def test_warnings_alone_pass_in_every_format(mixed: Repo) -> None:
    mixed.git("checkout", "schemas/order.json")  # only the warning is left
    for fmt in ("text", "json", "github", "sarif", "junit", "markdown"):
        code, out = _check(mixed, fmt)
        assert code == 0, (fmt, out)
        assert "TYPE_MISMATCH" in out, fmt


def test_a_lapsed_waiver_does_not_turn_a_warning_into_a_failure(mixed: Repo) -> None:
    mixed.git("checkout", "schemas/order.json")
    _, report = mixed.check_json("--against", "git:HEAD")
    [finding] = [f for c in report["contracts"] for f in c["findings"]]
    config = mixed.root / "charter.yaml"
    config.write_text(
        config.read_text()
        + f"waivers:\n  - fingerprint: '{finding['fingerprint']}'\n"
        "    reason: old news\n    expires: 2020-01-01\n"
    )
    code, report = mixed.check_json("--against", "git:HEAD")
    assert code == 0
    [finding] = [f for c in report["contracts"] for f in c["findings"]]
    assert finding["status"] == "warning" and finding["waiver"] is None


@pytest.mark.parametrize("severity", [Severity.ERROR, Severity.WARNING])
def test_each_format_renders_a_constructed_finding_of_each_severity(severity: Severity) -> None:
    """The renderers alone, on an issue built by hand: the status decides everything."""
    status = "warning" if severity is Severity.WARNING else "error"
    issue = Issue(
        "s", "f.avsc", "NAME_MISMATCH", "/fields/0", 3, 7, "gone", "keep it", "0123456789abcdef",
        status=status, direction="BACKWARD", against="version 1",
    )  # fmt: skip
    report = Report(command="check", against="registry")
    report.contracts.append(
        ContractReport(
            "s", "f.avsc", "AVRO", status="breaking" if issue.failing else "compatible",
            issues=[issue],
        )
    )  # fmt: skip
    assert report.exit_code == (1 if severity is Severity.ERROR else 0)
    assert f"f.avsc:3:7: {status} NAME_MISMATCH [BACKWARD vs version 1]" in render(report, "text")
    document = json.loads(render(report, "json"))
    jsonschema.validate(document, SCHEMA)
    assert document["contracts"][0]["findings"][0]["status"] == status
    assert document["summary"]["warnings"] == (status == "warning")
    assert render(report, "github").startswith(f"::{status} file=f.avsc,line=3,col=7,")
    [result] = json.loads(render(report, "sarif"))["runs"][0]["results"]
    assert result["level"] == status
    case = ET.fromstring(render(report, "junit").split("\n", 1)[1]).find(".//testcase")
    assert case is not None
    assert (case.find("failure") is not None) == (severity is Severity.ERROR)
    assert (case.find("system-out") is not None) == (severity is Severity.WARNING)
    assert f"| {status} | `NAME_MISMATCH` | `f.avsc:3:7` |" in render(report, "markdown")
