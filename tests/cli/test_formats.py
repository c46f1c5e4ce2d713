"""Every output format on a real breaking change, with the finding's exact line and column."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from cli.report import Issue, Report
from cli.report.github import render_github
from cli.report.json_report import SCHEMA
from tests.cli.conftest import ORDER_V3, USER_V3, Repo


@pytest.fixture
def broken(repo: Repo) -> Repo:
    repo.write("schemas/user.avsc", USER_V3)
    repo.write("schemas/order.json", ORDER_V3)
    return repo


def test_json_validates_against_its_documented_schema(broken: Repo) -> None:
    code, report = broken.check_json("--against", "git:HEAD")
    assert code == 1
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.validate(report, SCHEMA)
    assert report["exit_code"] == 1 and report["summary"]["failing"] == 2


def test_json_schema_in_docs_matches_the_code() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
    text = docs.read_text()
    block = text.split("```json report-schema\n", 1)[1].split("```", 1)[0]
    assert json.loads(block) == SCHEMA


def test_sarif_has_what_code_scanning_requires(broken: Repo) -> None:
    from compat.catalog import all_rules

    result = broken.charter(["check", "--against", "git:HEAD", "--format", "sarif"])
    assert result.code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"]
    [run] = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert set(all_rules()) <= set(ids)
    assert all(rule["shortDescription"]["text"] and rule["help"]["text"] for rule in rules)
    results = run["results"]
    assert {r["ruleId"] for r in results} == {"TYPE_MISMATCH", "TYPE_CHANGED"}
    for r in results:
        assert r["level"] == "error" and r["message"]["text"]
        assert ids[r["ruleIndex"]] == r["ruleId"]
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert r["partialFingerprints"]
    avro = next(r for r in results if r["ruleId"] == "TYPE_MISMATCH")
    location = avro["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "schemas/user.avsc"
    assert location["region"] == {"startLine": 5, "startColumn": 20}


def test_junit_is_parseable_with_one_case_per_contract(broken: Repo, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "charter.xml"
    result = broken.charter(["check", "--against", "git:HEAD", "--format", "junit", "-o", str(out)])
    assert result.code == 1 and result.stdout == ""
    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "2" and suite.get("failures") == "2"
    failures = root.findall(".//failure")
    assert {f.get("type") for f in failures} == {"TYPE_MISMATCH", "TYPE_CHANGED"}
    assert any("schemas/user.avsc:5:20" in (f.text or "") for f in failures)


def test_github_commands_and_step_summary(broken: Repo, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    result = broken.charter(
        ["check", "--against", "git:HEAD", "--format", "github"],
        env={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    assert result.code == 1
    lines = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(lines) == 2
    assert lines[0].startswith(
        "::error file=schemas/user.avsc,line=5,col=20,title=TYPE_MISMATCH::[user-value] "
    )
    assert "::error file=schemas/order.json,line=5,col=5,title=TYPE_CHANGED::" in result.stdout
    text = summary.read_text()
    assert text.startswith("earlier step\n") and "TYPE_MISMATCH" in text
    assert "| `user-value` |" in text


def test_github_escapes_percent_cr_lf_and_property_separators() -> None:
    issue = Issue(
        subject="s",
        file="dir,with:odd%name.avsc",
        rule="RULE",
        location="/x",
        line=3,
        column=7,
        message="100% broken\r\nsecond line",
        hint="",
        fingerprint="0123456789abcdef",
    )
    report = Report(command="check", against="git:HEAD")
    from cli.report import ContractReport

    report.contracts.append(ContractReport("s", issue.file, "AVRO", issues=[issue]))
    [command] = [line for line in render_github(report).splitlines() if line.startswith("::")]
    assert command == (
        "::error file=dir%2Cwith%3Aodd%25name.avsc,line=3,col=7,title=RULE::"
        "[s] 100%25 broken%0D%0Asecond line (fingerprint 0123456789abcdef)"
    )


def test_markdown_and_text(broken: Repo) -> None:
    markdown = broken.charter(["check", "--against", "git:HEAD", "--format", "markdown"])
    assert markdown.code == 1
    assert "| error | `TYPE_MISMATCH` | `schemas/user.avsc:5:20` |" in markdown.stdout
    text = broken.charter(["check", "--against", "git:HEAD"])
    assert "schemas/user.avsc:5:20: error TYPE_MISMATCH" in text.stdout
    assert "\x1b[" not in text.stdout  # no colour codes when not on a terminal
    assert "fingerprint:" in text.stdout


def test_unknown_format_exits_2(repo: Repo) -> None:
    result = repo.charter(["check", "--against", "git:HEAD", "--format", "yaml"])
    assert result.code == 2 and "unknown --format" in result.stderr


def test_annotations_name_files_from_the_repository_root(broken: Repo) -> None:
    """charter.yaml in a subdirectory: GitHub and SARIF paths still start at the repo root."""
    service = broken.root / "services" / "users"
    service.mkdir(parents=True)
    (service / "schemas").mkdir()
    (service / "schemas" / "user.avsc").write_text((broken.root / "schemas/user.avsc").read_text())
    (service / "charter.yaml").write_text(
        "contracts:\n  - {subject: user-value, file: schemas/user.avsc}\n"
    )
    broken.git("add", "-A")
    broken.git("commit", "-q", "-m", "service")
    (service / "schemas" / "user.avsc").write_text(USER_V3.replace('"long"', '"boolean"'))
    config = ["--config", str(service / "charter.yaml")]
    github = broken.charter(["check", "--against", "git:HEAD", "--format", "github", *config])
    assert "::error file=services/users/schemas/user.avsc,line=5,col=20," in github.stdout
    sarif = json.loads(
        broken.charter(["check", "--against", "git:HEAD", "--format", "sarif", *config]).stdout
    )
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "services/users/schemas/user.avsc"
    text = broken.charter(["check", "--against", "git:HEAD", *config]).stdout
    assert "schemas/user.avsc:5:20" in text and "services/" not in text


def test_text_is_coloured_only_on_request(broken: Repo) -> None:
    from cli.report import render

    code, _ = broken.check_json("--against", "git:HEAD")
    assert code == 1
    report = Report(command="check", against="git:HEAD")
    from cli.report import ContractReport

    issue = Issue("s", "f.avsc", "RULE", "", 1, 1, "broken", "fix it", "0123456789abcdef")
    report.contracts.append(
        ContractReport("s", "f.avsc", "AVRO", status="breaking", issues=[issue])
    )
    assert "\x1b[" in render(report, "text", color=True)
    plain = render(report, "text", color=False)
    assert "\x1b[" not in plain and "f.avsc:1:1: error RULE broken" in plain


def test_outside_a_git_repository_is_a_clear_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cli.main import app

    (tmp_path / "a.avsc").write_text('"string"')
    (tmp_path / "charter.yaml").write_text("contracts:\n  - {subject: a, file: a.avsc}\n")
    result = CliRunner().invoke(
        app, ["check", "--against", "git:HEAD", "--config", str(tmp_path / "charter.yaml")]
    )
    assert result.exit_code == 2 and "needs a git repository" in result.stderr
