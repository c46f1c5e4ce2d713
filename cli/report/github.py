"""`--format github`: workflow commands that annotate the pull request's files.

Annotations past GitHub's per-step limit are dropped by GitHub, so the full report also goes
to `$GITHUB_STEP_SUMMARY` as Markdown when that variable is set.
"""

from __future__ import annotations

import os

from cli.report import Report

__all__ = ["escape_data", "escape_property", "render_github", "write_step_summary"]


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: Report) -> str:
    lines = []
    for contract in report.contracts:
        if contract.error:
            lines.append(
                f"::error file={escape_property(report.repo_path(contract.file))},"
                f"title={escape_property('charter: ' + contract.status)}::"
                f"{escape_data(contract.subject + ': ' + contract.error)}"
            )
        for issue in contract.issues:
            command = {"waived": "notice", "warning": "warning"}.get(issue.status, "error")
            text = f"[{issue.subject}] {issue.message}"
            if issue.hint:
                text += f" Hint: {issue.hint}"
            if issue.waiver_note():
                text += f" ({issue.waiver_note()})"
            text += f" (fingerprint {issue.fingerprint})"
            lines.append(
                f"::{command} file={escape_property(report.repo_path(issue.file))},"
                f"line={issue.line},col={issue.column},title={escape_property(issue.rule)}::{escape_data(text)}"
            )
    counts = report.counts()
    lines.append(
        f"charter {report.command}: {counts['contracts']} contract(s) vs {report.against}, "
        f"{counts['failing']} failing, {counts['waived']} waived{report.warnings_note()}, "
        f"{counts['errors']} error(s)"
    )
    return "\n".join(lines) + "\n"


def write_step_summary(report: Report) -> None:
    """Append the Markdown report to $GITHUB_STEP_SUMMARY when GitHub Actions set it."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    from cli.report.markdown import render_markdown

    with open(path, "a", encoding="utf-8") as summary:
        summary.write(render_markdown(report))
