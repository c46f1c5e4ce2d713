"""What `charter check` and `charter register` found, and one renderer per output format."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

__all__ = [
    "CLI_RULES",
    "FORMATS",
    "ContractReport",
    "Issue",
    "Report",
    "fingerprint",
    "render",
]

FORMATS = ("text", "json", "github", "sarif", "junit", "markdown")

# Rules the CLI itself reports, beside compat's catalogue: (summary, fix).
CLI_RULES: dict[str, tuple[str, str]] = {
    "SCHEMA_INVALID": (
        "The schema file is not a valid schema of its type.",
        "Fix the schema at the reported location; `charter check` parses it the way the "
        "registry will.",
    ),
    "NEW_SUBJECT_DENIED": (
        "The subject does not exist yet and the new-subject policy is deny.",
        "Create the subject deliberately (set new_subjects: allow for this run), or fix a "
        "misspelled subject name in charter.yaml.",
    ),
}


def fingerprint(subject: str, rule: str, location: str) -> str:
    """Stable per subject, rule id and location: what a waiver names."""
    digest = hashlib.sha256(f"{subject}\0{rule}\0{location}".encode()).hexdigest()
    return digest[:16]


@dataclass(slots=True)
class Issue:
    """One finding as the CLI reports it: where in which file, and whether it fails the run.

    `status`: error (fails the run), waived (a live waiver silences it), expired-waiver (fails,
    the waiver has lapsed) or warning (compat's warning severity: shown, never failing).
    """

    subject: str
    file: str
    rule: str
    location: str
    line: int
    column: int
    message: str
    hint: str
    fingerprint: str
    status: str = "error"  # error | waived | expired-waiver | warning
    direction: str | None = None
    against: str | None = None
    waiver_reason: str | None = None
    waiver_expires: str | None = None

    @property
    def failing(self) -> bool:
        return self.status not in ("waived", "warning")

    def waiver_note(self) -> str:
        if self.status == "waived":
            return f"waived until {self.waiver_expires}: {self.waiver_reason}"
        if self.status == "expired-waiver":
            return f"waiver expired on {self.waiver_expires} ({self.waiver_reason})"
        return ""


@dataclass(slots=True)
class ContractReport:
    subject: str
    file: str
    schema_type: str
    level: str | None = None
    # compatible | breaking | waived | new | denied | invalid | error | registered | unchanged
    status: str = "compatible"
    compared_with: list[str] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    error: str | None = None
    schema_id: int | None = None
    version: int | None = None


@dataclass(slots=True)
class Report:
    command: str
    against: str
    contracts: list[ContractReport] = field(default_factory=list)
    # From the repository root to charter.yaml's directory ("" or "services/orders/"): GitHub
    # annotations and SARIF name files from the repository root.
    path_prefix: str = ""
    # Waivers in charter.yaml that matched no finding of a full run: candidates for removal.
    unused_waivers: list[str] = field(default_factory=list)

    def repo_path(self, file: str) -> str:
        return self.path_prefix + file

    @property
    def issues(self) -> list[Issue]:
        return [issue for contract in self.contracts for issue in contract.issues]

    @property
    def exit_code(self) -> int:
        if any(c.status in ("invalid", "error") for c in self.contracts):
            return 2
        if any(issue.failing for issue in self.issues):
            return 1
        return 0

    def warnings_note(self) -> str:
        """", N warning(s)" for a summary line, or "" without warnings (so such reports read
        as they always did)."""
        warnings = self.counts()["warnings"]
        return f", {warnings} warning(s)" if warnings else ""

    def counts(self) -> dict[str, int]:
        issues = self.issues
        return {
            "contracts": len(self.contracts),
            "failing": sum(1 for i in issues if i.failing),
            "waived": sum(1 for i in issues if i.status == "waived"),
            "warnings": sum(1 for i in issues if i.status == "warning"),
            "errors": sum(1 for c in self.contracts if c.status in ("invalid", "error")),
        }


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        from cli.report.text import render_text

        return render_text(report, color=color)
    if fmt == "json":
        from cli.report.json_report import render_json

        return render_json(report)
    if fmt == "github":
        from cli.report.github import render_github

        return render_github(report)
    if fmt == "sarif":
        from cli.report.sarif import render_sarif

        return render_sarif(report)
    if fmt == "junit":
        from cli.report.junit import render_junit

        return render_junit(report)
    if fmt == "markdown":
        from cli.report.markdown import render_markdown

        return render_markdown(report)
    raise ValueError(f"unknown format {fmt!r}")
