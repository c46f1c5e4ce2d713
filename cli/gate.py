"""The CI gate: each contract's schema parsed and compared with its history (from a
`HistorySource`), findings placed in the file, fingerprinted and matched against waivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from cli.config import Config, Contract
from cli.errors import reported_errors
from cli.history import History, HistorySource
from cli.locate import Locator, error_position, locator, positions
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
    _locator: Locator | None = field(default=None, repr=False)

    def line_column(self, location: str) -> tuple[int, int]:
        if self._locator is None:
            self._locator = locator(self.text, self.schema)
        return self._locator.line_column(location)


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
            at = error_position(text, contract.schema_type, exc)
            hint = self.import_hint(contract, text) if contract.schema_type == "PROTOBUF" else ""
            report.issues.append(
                self.issue(contract, text, "SCHEMA_INVALID", exc.location, exc.reason, hint, at=at)
            )
            return None
        except reported_errors() as exc:
            report.status, report.error = "error", str(exc)
            return None
        return Prepared(contract, text, schema)

    def import_hint(self, contract: Contract, text: str) -> str:
        missing = self.parser.unresolved_imports(contract, text)
        if not missing:
            return ""
        roots = ", ".join(contract.proto_paths)
        return (
            f"no file {missing[0]!r} under proto_paths ({roots}): add it there, add its root "
            f"to proto_paths, or declare a reference named {missing[0]!r} in charter.yaml."
        )

    # -- the check ------------------------------------------------------------------------

    def check(self, contracts: Sequence[Contract] | None = None) -> Report:
        report = Report(command="check", against=self.label)
        for contract in self.with_imports(
            contracts if contracts is not None else self.config.contracts
        ):
            report.contracts.append(self.check_contract(contract)[0])
        if contracts is None or len(contracts) == len(self.config.contracts):
            used = {issue.fingerprint for issue in report.issues}
            report.unused_waivers = [
                w.fingerprint for w in self.config.waivers if w.fingerprint not in used
            ]
        return report

    def with_imports(self, contracts: Sequence[Contract]) -> list[Contract]:
        """`contracts` and, before the first contract importing each, the local `.proto` files
        they import that charter.yaml does not declare: each is a subject of its own, as
        `charter register` registers it."""
        declared = {c.subject for c in self.config.contracts}
        ordered: list[Contract] = []
        seen: set[str] = set()

        def visit(contract: Contract) -> None:
            seen.add(contract.subject)
            for dependency in self.parser.dependencies(contract):
                if dependency.subject not in declared and dependency.subject not in seen:
                    visit(dependency)
            ordered.append(contract)

        for contract in contracts:
            if contract.subject not in seen:
                visit(contract)
        return ordered

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
                        prepared,
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
            prepared,
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
        where: str | Prepared,
        rule: str,
        location: str,
        message: str,
        hint: str,
        *,
        at: tuple[int, int] | None = None,
        direction: str | None = None,
        against: str | None = None,
        warning: bool = False,
    ) -> Issue:
        """An issue at `location` in the contract's file: `where` is its parsed schema or,
        for one that does not parse, its JSON text (or `at`, the position to report)."""
        if at is not None:
            line, column = at
        elif isinstance(where, Prepared):
            line, column = where.line_column(location)
        else:
            line, column = positions(where).line_column(location)
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
