"""The CI gate: each contract's schema parsed and compared with its history (from a
`HistorySource`), findings placed in the file, fingerprinted and matched against waivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cli.config import Config, Contract
from cli.errors import reported_errors
from cli.history import History, HistorySource
from cli.locate import positions
from cli.parsing import ContractParser, working_tree
from cli.report import ContractReport, Issue, Report, fingerprint

if TYPE_CHECKING:
    from compat import Finding, Schema

__all__ = ["Gate", "Prepared"]


@dataclass(slots=True)
class Prepared:
    """A contract's local schema, parsed, with what is needed to report on it."""

    contract: Contract
    text: str
    schema: Schema


class Gate:
    """Checks contracts against one source of history."""

    def __init__(
        self,
        parser: ContractParser,
        source: HistorySource,
        *,
        today: dt.date | None = None,
    ) -> None:
        self.parser = parser
        self.config: Config = parser.config
        self.source = source
        self.today = today or dt.date.today()
        self.label = source.label

    def prepare(self, contract: Contract, report: ContractReport) -> Prepared | None:
        """Parse the local schema; an invalid one becomes a SCHEMA_INVALID issue."""
        import compat

        text = self.parser.local_text(contract)
        try:
            schema = self.parser.parse(self.parser.source(contract, text), working_tree)
        except compat.SchemaParseError as exc:
            report.status = "invalid"
            report.issues.append(
                self.issue(contract, text, "SCHEMA_INVALID", exc.location, exc.reason, "")
            )
            return None
        except reported_errors() as exc:
            report.status, report.error = "error", str(exc)
            return None
        return Prepared(contract, text, schema)

    # -- the check ------------------------------------------------------------------------

    def check(self, contracts: Sequence[Contract] | None = None) -> Report:
        report = Report(command="check", against=self.label)
        for contract in contracts if contracts is not None else self.config.contracts:
            report.contracts.append(self.check_contract(contract)[0])
        if contracts is None or len(contracts) == len(self.config.contracts):
            used = {issue.fingerprint for issue in report.issues}
            report.unused_waivers = [
                w.fingerprint for w in self.config.waivers if w.fingerprint not in used
            ]
        return report

    def check_contract(self, contract: Contract) -> tuple[ContractReport, Prepared | None]:
        result = ContractReport(contract.subject, contract.file, contract.schema_type)
        try:
            prepared = self.prepare(contract, result)
            if prepared is None:
                return result, None
            history = self.source.history(contract)
        except reported_errors() as exc:
            result.status, result.error = "error", str(exc)
            return result, None
        self.compare(prepared, history, result)
        return result, prepared

    def compare(self, prepared: Prepared, history: History, result: ContractReport) -> None:
        import compat

        contract = prepared.contract
        result.level = history.level.value
        if history.new_subject:
            if self.config.new_subjects == "deny":
                result.status = "denied"
                result.issues.append(
                    self.issue(
                        contract,
                        prepared.text,
                        "NEW_SUBJECT_DENIED",
                        "",
                        f"subject {contract.subject!r} does not exist in {self.label} and the "
                        "new-subject policy is deny.",
                        "check the subject name, or allow new subjects for this change.",
                    )
                )
            else:
                result.status = "new"
            return
        result.compared_with = list(history.labels)
        findings = compat.iter_findings(
            history.level, prepared.schema, history.schemas, policy=history.policy
        )
        for finding in findings:
            result.issues.append(self.finding_issue(prepared, finding, history))
        if any(issue.failing for issue in result.issues):
            result.status = "breaking"
        elif any(issue.status == "waived" for issue in result.issues):
            result.status = "waived"

    def finding_issue(self, prepared: Prepared, finding: Finding, history: History) -> Issue:
        """A compat finding as an issue: a warning never fails the run, nor takes a waiver."""
        against = history.labels[finding.against] if finding.against is not None else None
        return self.issue(
            prepared.contract,
            prepared.text,
            finding.rule,
            finding.location,
            finding.message,
            finding.hint,
            direction=finding.direction.value,
            against=against,
            warning=not finding.is_error,
        )

    def issue(
        self,
        contract: Contract,
        text: str,
        rule: str,
        location: str,
        message: str,
        hint: str,
        *,
        direction: str | None = None,
        against: str | None = None,
        warning: bool = False,
    ) -> Issue:
        line, column = positions(text).line_column(location)
        issue = Issue(
            subject=contract.subject,
            file=contract.file,
            rule=rule,
            location=location,
            line=line,
            column=column,
            message=message,
            hint=hint,
            fingerprint=fingerprint(contract.subject, rule, location),
            direction=direction,
            against=against,
        )
        if warning:
            issue.status = "warning"
            return issue
        waiver = self.config.waiver(issue.fingerprint)
        if waiver is not None:
            issue.waiver_reason = waiver.reason
            issue.waiver_expires = waiver.expires.isoformat()
            issue.status = "waived" if waiver.live(self.today) else "expired-waiver"
        return issue
