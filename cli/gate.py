"""The CI gate: each contract's schema parsed and compared with its history (a git ref or a
registry), findings placed in the file, fingerprinted and matched against waivers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cli.config import Config, Contract
from cli.errors import CliError, SourceError
from cli.locate import positions
from cli.report import ContractReport, Issue, Report, fingerprint
from cli.sources import GitRef, RegistryClient

if TYPE_CHECKING:
    from compat import Reference, Schema, SchemaSource

__all__ = ["Gate", "Prepared"]

TextReader = Callable[[Contract], str | None]


@dataclass(slots=True)
class Prepared:
    """A contract's local schema, parsed, with what is needed to report on it."""

    contract: Contract
    text: str
    schema: Schema


class Gate:
    """Checks contracts against one source of history: `git` (a GitRef) or `registry`."""

    def __init__(
        self,
        config: Config,
        *,
        git: GitRef | None = None,
        registry: RegistryClient | None = None,
        today: dt.date | None = None,
    ) -> None:
        self.config = config
        self.git = git
        self.registry = registry
        self.today = today or dt.date.today()
        self.label = f"git:{git.ref}" if git is not None else "registry"

    # -- reading and parsing -------------------------------------------------------------

    def local_text(self, contract: Contract) -> str:
        try:
            return contract.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read {contract.file}: {exc}") from None

    def source(self, contract: Contract, text: str) -> SchemaSource:
        from compat import Reference, SchemaSource, SchemaType

        refs = tuple(Reference(r.name, r.subject, r.version or -1) for r in contract.references)
        return SchemaSource(text, SchemaType(contract.schema_type), refs)

    def resolver(self, read: TextReader) -> Callable[[Reference], SchemaSource]:
        """References: a local contract's file (read by `read`) or the registry's version."""
        from compat import Reference, SchemaSource, SchemaType

        def resolve(ref: Reference) -> SchemaSource:
            contract = self.config.contract(ref.subject)
            pinned = ref.version > 0
            if contract is not None and not (pinned and self.registry is not None):
                text = read(contract)
                if text is None:
                    text = self.local_text(contract)
                return self.source(contract, text)
            if self.registry is None:
                raise LookupError(
                    f"subject {ref.subject!r} is neither a contract in charter.yaml nor "
                    "available without a registry"
                )
            stored = self.registry.version(ref.subject, ref.version if pinned else "latest")
            return SchemaSource(
                stored.schema,
                SchemaType(stored.schema_type),
                tuple(Reference(n, s, v) for n, s, v in stored.references),
            )

        return resolve

    def prepare(self, contract: Contract, report: ContractReport) -> Prepared | None:
        """Parse the local schema; an invalid one becomes a SCHEMA_INVALID issue."""
        import compat

        text = self.local_text(contract)
        try:
            schema = compat.parse(self.source(contract, text), self.resolver(self.local_or_none))
        except compat.SchemaParseError as exc:
            report.status = "invalid"
            report.issues.append(
                self.issue(contract, text, "SCHEMA_INVALID", exc.location, exc.reason, "")
            )
            return None
        except CliError as exc:
            report.status, report.error = "error", exc.message
            return None
        return Prepared(contract, text, schema)

    def local_or_none(self, contract: Contract) -> str | None:
        return self.local_text(contract)

    # -- history --------------------------------------------------------------------------

    def history(self, contract: Contract) -> tuple[list[Schema], list[str], str | None, str | None]:
        """(old schemas oldest first, their labels, level from the source, policy from the
        source); no schemas means the subject is new."""
        import compat
        from compat import Reference, SchemaSource, SchemaType

        if self.git is not None:
            git = self.git
            level = contract.compatibility or self.config.compatibility or "BACKWARD"
            if level.endswith("_TRANSITIVE"):
                versions = git.history(contract.file)  # every version at or before the ref
            else:
                text = git.read(contract.file)
                versions = [] if text is None else [(git.ref, text)]
            schemas, labels = [], []
            for commit, old in versions:
                try:
                    schemas.append(
                        compat.parse(
                            self.source(contract, old),
                            self.resolver(lambda c, at=commit: git.read(c.file, at)),
                        )
                    )
                except compat.SchemaParseError as exc:
                    raise SourceError(
                        f"{contract.file} at {commit} is not a valid schema: {exc}"
                    ) from None
                labels.append(f"git:{commit}")
            return schemas, labels, None, None

        assert self.registry is not None
        registry = self.registry
        versions = registry.versions(contract.subject)
        if not versions:
            return [], [], None, None
        level, policy = registry.config(contract.subject)
        effective = contract.compatibility or level or self.config.compatibility or "BACKWARD"
        if not effective.endswith("_TRANSITIVE"):
            versions = versions[-1:]
        schemas, labels = [], []
        for number in versions:
            stored = registry.version(contract.subject, number)
            source = SchemaSource(
                stored.schema,
                SchemaType(stored.schema_type),
                tuple(Reference(n, s, v) for n, s, v in stored.references),
            )
            try:
                schemas.append(compat.parse(source, self.resolver(lambda c: None)))
            except compat.SchemaParseError as exc:
                raise SourceError(
                    f"{contract.subject} version {number} in the registry does not parse: {exc}"
                ) from None
            labels.append(f"version {number}")
        return schemas, labels, level, policy

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
            history, labels, level, policy = self.history(contract)
        except CliError as exc:
            result.status, result.error = "error", exc.message
            return result, None
        self.compare(prepared, history, labels, level, policy, result)
        return result, prepared

    def compare(
        self,
        prepared: Prepared,
        history: list[Schema],
        labels: list[str],
        level: str | None,
        policy: str | None,
        result: ContractReport,
    ) -> None:
        import compat

        contract = prepared.contract
        result.level = contract.compatibility or level or self.config.compatibility or "BACKWARD"
        if not history:
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
        result.compared_with = labels
        findings = compat.iter_findings(
            compat.Level.parse(result.level),
            prepared.schema,
            history,
            policy=compat.Policy.parse(policy or self.config.json_policy),
        )
        for finding in findings:
            against = labels[finding.against] if finding.against is not None else None
            result.issues.append(
                self.issue(
                    contract,
                    prepared.text,
                    finding.rule,
                    finding.location,
                    finding.message,
                    finding.hint,
                    direction=finding.direction.value,
                    against=against,
                )
            )
        if any(issue.failing for issue in result.issues):
            result.status = "breaking"
        elif result.issues:
            result.status = "waived"

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
        waiver = self.config.waiver(issue.fingerprint)
        if waiver is not None:
            issue.waiver_reason = waiver.reason
            issue.waiver_expires = waiver.expires.isoformat()
            issue.status = "waived" if waiver.live(self.today) else "expired-waiver"
        return issue
