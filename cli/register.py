"""`charter register`: register every contract, referenced subjects first, idempotently.

A schema already registered under its subject is reported `unchanged` with its id and version;
one that would break its subject's history is not registered and fails with the same findings
as `charter check --against registry`; `--dry-run` reports what would change and writes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from cli.common import (
    ConfigOption,
    FormatOption,
    OutputOption,
    RegistryOption,
    check_format,
    cli_errors,
)
from cli.config import Config, Contract
from cli.errors import ConfigError

__all__ = ["reference_order", "register"]


def register(
    config: ConfigOption = None,
    fmt: FormatOption = "text",
    output: OutputOption = None,
    registry: RegistryOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Say what would be registered; change nothing.")
    ] = False,
) -> None:
    """Register every contract in charter.yaml with the registry, in reference order.

    Exit codes: 0 all registered or unchanged, 1 a schema breaks its subject, 2 an error.
    """
    with cli_errors("register"):
        code = run_register(config, check_format(fmt), output, registry, dry_run)
    raise typer.Exit(code=code)


def reference_order(config: Config) -> list[Contract]:
    """Contracts with every locally declared referenced subject before its referrers."""
    ordered: list[Contract] = []
    state: dict[str, str] = {}

    def visit(contract: Contract, trail: tuple[str, ...]) -> None:
        if state.get(contract.subject) == "done":
            return
        if state.get(contract.subject) == "visiting":
            cycle = " → ".join((*trail, contract.subject))
            raise ConfigError(f"references form a cycle: {cycle}")
        state[contract.subject] = "visiting"
        for ref in contract.references:
            target = config.contract(ref.subject)
            if target is not None:
                visit(target, (*trail, contract.subject))
        state[contract.subject] = "done"
        ordered.append(contract)

    for contract in config.contracts:
        visit(contract, ())
    return ordered


def run_register(
    config_path: Any, fmt: str, output: Any, registry_url: str | None, dry_run: bool
) -> int:
    from cli.common import emit
    from cli.config import load_config
    from cli.errors import CliError, RegistryError
    from cli.gate import Gate
    from cli.report import ContractReport, Report
    from cli.sources import RegistryClient

    config = load_config(config_path)
    url = registry_url or config.registry_url
    if url is None:
        raise ConfigError(
            "charter register needs a registry: charter.yaml 'registry', CHARTER_REGISTRY_URL "
            "or --registry"
        )
    order = reference_order(config)
    report = Report(
        command="register", against=f"registry {url}" + (" (dry run)" if dry_run else "")
    )
    versions: dict[str, int] = {}
    failed: set[str] = set()
    pending: set[str] = set()  # would be registered by this dry run
    with RegistryClient(url) as client:
        gate = Gate(config, registry=client)
        for contract in order:
            result = ContractReport(contract.subject, contract.file, contract.schema_type)
            report.contracts.append(result)
            blocked = [r.subject for r in contract.references if r.subject in failed]
            if blocked:
                result.status = "error"
                result.error = f"not registered: referenced subject {blocked[0]!r} failed"
                failed.add(contract.subject)
                continue
            try:
                prepared = gate.prepare(contract, result)
                if prepared is None:
                    failed.add(contract.subject)
                    continue
                body: dict[str, Any] = {"schema": prepared.text}
                if contract.schema_type != "AVRO":
                    body["schemaType"] = contract.schema_type
                refs = []
                for ref in contract.references:
                    version = ref.version or versions.get(ref.subject)
                    if version is None:
                        version = client.version(ref.subject, "latest").version
                    refs.append({"name": ref.name, "subject": ref.subject, "version": version})
                if refs:
                    body["references"] = refs
                # In a dry run a reference to a version not registered yet cannot be looked up.
                waiting = any(ref.subject in pending for ref in contract.references)
                found = None if waiting else client.lookup(contract.subject, body)
                if found is not None:
                    result.status = "unchanged"
                    result.schema_id, result.version = int(found["id"]), int(found["version"])
                    versions[contract.subject] = result.version
                    continue
                history, labels, level, policy = gate.history(contract)
                gate.compare(prepared, history, labels, level, policy, result)
                if any(issue.failing for issue in result.issues):
                    failed.add(contract.subject)
                    continue
                if dry_run:
                    result.status = "would-register"
                    pending.add(contract.subject)
                    known = client.versions(contract.subject) or [0]
                    versions[contract.subject] = known[-1] + 1
                    continue
                try:
                    result.schema_id = client.register(contract.subject, body)
                except RegistryError as exc:
                    if exc.status == 409:
                        result.status, result.error = "breaking", exc.message
                        failed.add(contract.subject)
                        continue
                    raise
                registered = client.lookup(contract.subject, body)
                result.version = int(registered["version"]) if registered else None
                result.status = "registered"
                if result.version is not None:
                    versions[contract.subject] = result.version
            except CliError as exc:
                result.status, result.error = "error", exc.message
                failed.add(contract.subject)
    emit(report, fmt, output, config.root)
    return report.exit_code
