"""`--format markdown`: a summary table and every finding; also GitHub's step summary."""

from __future__ import annotations

from cli.report import Report

__all__ = ["render_markdown"]

_ICON = {0: "✅", 1: "❌", 2: "⚠️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def render_markdown(report: Report) -> str:
    counts = report.counts()
    verdict = {0: "passed", 1: "failed", 2: "error"}[report.exit_code]
    lines = [
        f"## {_ICON[report.exit_code]} charter {report.command} {verdict}",
        "",
        f"{counts['contracts']} contract(s) against `{report.against}`: "
        f"{counts['failing']} failing finding(s), {counts['waived']} waived"
        f"{report.warnings_note()}, {counts['errors']} error(s).",
        "",
        "| subject | file | status | level | compared with |",
        "|---|---|---|---|---|",
    ]
    for c in report.contracts:
        lines.append(
            f"| `{_cell(c.subject)}` | `{_cell(c.file)}` | {c.status} | {c.level or ''} "
            f"| {_cell(', '.join(c.compared_with))} |"
        )
    errors = [c for c in report.contracts if c.error]
    if errors:
        lines += ["", "### Errors", ""]
        lines += [f"- `{_cell(c.subject)}`: {_cell(c.error or '')}" for c in errors]
    issues = report.issues
    if issues:
        lines += [
            "",
            "### Findings",
            "",
            "| status | rule | where | subject | message | hint | fingerprint |",
            "|---|---|---|---|---|---|---|",
        ]
        for i in issues:
            note = f" ({i.waiver_note()})" if i.waiver_note() else ""
            lines.append(
                f"| {i.status} | `{i.rule}` | `{_cell(i.file)}:{i.line}:{i.column}` "
                f"| `{_cell(i.subject)}` | {_cell(i.message)}{_cell(note)} | {_cell(i.hint)} "
                f"| `{i.fingerprint}` |"
            )
    if report.unused_waivers:
        lines += [
            "",
            "Waivers matching no finding (remove them): "
            + ", ".join(f"`{w}`" for w in report.unused_waivers),
        ]
    return "\n".join(lines) + "\n"
