"""`--format text`: one block per finding, coloured with Rich when writing to a terminal."""

from __future__ import annotations

import io

from cli.report import Report

__all__ = ["render_text"]

_STATUS_STYLE = {
    "compatible": "green",
    "unchanged": "green",
    "registered": "green",
    "would-register": "cyan",
    "new": "cyan",
    "waived": "yellow",
    "breaking": "bold red",
    "denied": "bold red",
    "invalid": "bold red",
    "error": "bold red",
}


_ISSUE_TAG = {
    "waived": "[yellow]waived[/]",
    "warning": "[yellow]warning[/]",
    "expired-waiver": "[bold red]error[/]",
}


def render_text(report: Report, *, color: bool = False) -> str:
    from rich.console import Console
    from rich.markup import escape

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        highlight=False,
        width=10_000,
        soft_wrap=True,
    )
    for contract in report.contracts:
        style = _STATUS_STYLE.get(contract.status, "")
        versus = ", ".join(contract.compared_with) or report.against
        detail = f" (level {contract.level} vs {versus})" if contract.compared_with else ""
        if contract.status == "new":
            detail = f" (not in {report.against}: new subject allowed)"
        if contract.version is not None:
            detail += f" id {contract.schema_id} version {contract.version}"
        console.print(
            f"[{style}]{contract.status.upper()}[/] {escape(contract.subject)} "
            f"{escape(contract.file)}{escape(detail)}"
        )
        if contract.error:
            console.print(f"  [bold red]error:[/] {escape(contract.error)}")
        for issue in contract.issues:
            tag = _ISSUE_TAG.get(issue.status, "[bold red]error[/]")
            where = f"{issue.file}:{issue.line}:{issue.column}"
            side = f" [{issue.direction} vs {issue.against}]" if issue.direction else ""
            console.print(
                f"  {escape(where)}: {tag} [bold]{issue.rule}[/]{escape(side)} "
                f"{escape(issue.message)}"
            )
            if issue.hint:
                console.print(f"    hint: {escape(issue.hint)}")
            if issue.waiver_note():
                console.print(f"    {escape(issue.waiver_note())}")
            console.print(
                f"    fingerprint: {issue.fingerprint}  location: {escape(issue.location or '/')}"
            )
    for unused in report.unused_waivers:
        console.print(f"[yellow]note:[/] waiver {unused} matches no finding; remove it")
    counts = report.counts()
    verdict = {0: "[green]passed[/]", 1: "[bold red]failed[/]", 2: "[bold red]error[/]"}[
        report.exit_code
    ]
    console.print(
        f"charter {report.command} {verdict}: {counts['contracts']} contract(s) vs "
        f"{escape(report.against)}, {counts['failing']} failing finding(s), "
        f"{counts['waived']} waived{report.warnings_note()}, {counts['errors']} error(s)"
    )
    return buffer.getvalue()
