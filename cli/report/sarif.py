"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning, with metadata for every rule id."""

from __future__ import annotations

import json
from typing import Any

from cli.report import CLI_RULES, Report

__all__ = ["render_sarif", "rule_catalogue"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def rule_catalogue() -> list[dict[str, Any]]:
    from compat.catalog import all_rules

    rules: list[dict[str, Any]] = []
    for rule in all_rules().values():
        note = f"breaks {rule.breaks} compatibility"
        rules.append(_rule(rule.id, rule.summary, rule.fix, note, rule.severity.value))
    for rule_id, (summary, fix) in CLI_RULES.items():
        rules.append(_rule(rule_id, summary, fix, "reported by the charter CLI", "error"))
    return rules


def _rule(rule_id: str, summary: str, fix: str, note: str, level: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("_")),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": f"{summary} ({note})"},
        "help": {"text": f"Fix: {fix}", "markdown": f"**Fix:** {fix}"},
        "defaultConfiguration": {"level": level},
        "properties": {"tags": ["schema", "compatibility"]},
    }


def render_sarif(report: Report) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        tool_version = version("charter")
    except PackageNotFoundError:
        tool_version = "0"
    rules = rule_catalogue()
    index = {rule["id"]: n for n, rule in enumerate(rules)}
    results = []
    for issue in report.issues:
        text = f"[{issue.subject}] {issue.message}"
        if issue.hint:
            text += f" Fix: {issue.hint}"
        if issue.status == "expired-waiver":
            text += f" ({issue.waiver_note()})"
        result: dict[str, Any] = {
            "ruleId": issue.rule,
            "ruleIndex": index[issue.rule],
            "level": "warning" if issue.status == "warning" else "error",
            "message": {"text": text},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": report.repo_path(issue.file),
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": issue.line, "startColumn": issue.column},
                    },
                    "logicalLocations": [{"name": issue.location or "/", "kind": "element"}],
                }
            ],
            "partialFingerprints": {"charterFingerprint/v1": issue.fingerprint},
            "properties": {
                "subject": issue.subject,
                "direction": issue.direction,
                "against": issue.against,
            },
        }
        if issue.status == "waived":
            result["suppressions"] = [{"kind": "external", "justification": issue.waiver_note()}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "charter",
                        "version": tool_version,
                        "rules": rules,
                    }
                },
                "originalUriBaseIds": {
                    "%SRCROOT%": {"description": {"text": "the repository root"}}
                },
                "results": results,
                "invocations": [
                    {
                        "executionSuccessful": report.exit_code != 2,
                        "toolExecutionNotifications": [
                            {"level": "error", "message": {"text": f"{c.subject}: {c.error}"}}
                            for c in report.contracts
                            if c.error
                        ],
                    }
                ],
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
