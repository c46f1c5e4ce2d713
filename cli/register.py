"""`charter register`: register every contract, referenced subjects first, idempotently.

A schema already registered under its subject is reported `unchanged` with its id and version;
one that would break its subject's history is not registered and fails with the same findings
as `charter check --against registry`; `--dry-run` reports what would change and writes nothing.
A `.proto` contract's local imports that charter.yaml does not declare are registered first, each
under its import path as subject, as Confluent's serialiser registers them.
"""

from __future__ import annotations

from collections.abc import Callable
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


def reference_order(
    config: Config, dependencies: Callable[[Contract], list[Contract]] | None = None
) -> list[Contract]:
    """Contracts with every local referenced subject before its referrers: those declared in
    charter.yaml, or what `dependencies` gives (`.proto` imports, which may be undeclared)."""

    def declared(contract: Contract) -> list[Contract]:
        found = (config.contract(ref.subject) for ref in contract.references)
        return [target for target in found if target is not None]

    depends = dependencies or declared
    ordered: list[Contract] = []
    state: dict[str, str] = {}

    def visit(contract: Contract, trail: tuple[str, ...]) -> None:
        if state.get(contract.subject) == "done":
            return
        if state.get(contract.subject) == "visiting":
            cycle = " → ".join((*trail, contract.subject))
            raise ConfigError(f"references form a cycle: {cycle}")
        state[contract.subject] = "visiting"
        for target in depends(contract):
            visit(target, (*trail, contract.subject))
        state[contract.subject] = "done"
        ordered.append(contract)

    for contract in config.contracts:
        visit(contract, ())
    return ordered


def run_register(
    config_path: Any, fmt: str, output: Any, registry_url: str | None, dry_run: bool
) -> int:
    from cli.common import emit, open_registry
    from cli.config import load_config
    from cli.errors import reported_errors
    from cli.gate import Gate
    from cli.history import RegistryHistory
    from cli.parsing import ContractParser
    from cli.report import ContractReport, Report
    from sdk.errors import IncompatibleSchemaError, SchemaNotFoundError
    from sdk.registry import RegisteredSchema, SchemaReference

    config = load_config(config_path)
    url = registry_url or config.registry_url
    if url is None:
        raise ConfigError(
            "charter register needs a registry: charter.yaml 'registry', CHARTER_REGISTRY_URL "
            "or --registry"
        )
    report = Report(
        command="register", against=f"registry {url}" + (" (dry run)" if dry_run else "")
    )
    versions: dict[str, int] = {}
    failed: set[str] = set()
    pending: set[str] = set()  # would be registered by this dry run
    with open_registry(url) as client:
        parser = ContractParser(config, client)
        history = RegistryHistory(client, parser)
        gate = Gate(parser, history)
        order = reference_order(config, parser.dependencies)

        def lookup(
            contract: Contract, text: str, refs: list[SchemaReference]
        ) -> RegisteredSchema | None:
            """The version of the contract's subject holding `text`, or None."""
            try:
                return client.lookup(contract.subject, text, contract.schema_type, refs)
            except SchemaNotFoundError:
                return None

        for contract in order:
            result = ContractReport(contract.subject, contract.file, contract.schema_type)
            report.contracts.append(result)
            local = [d.subject for d in parser.dependencies(contract)]
            blocked = [subject for subject in local if subject in failed]
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
                refs = []
                for ref in parser.source(contract, prepared.text).references:
                    version = ref.version if ref.version > 0 else versions.get(ref.subject)
                    if version is None:
                        version = client.latest(ref.subject).version
                    assert version is not None  # a subject's latest version has a number
                    refs.append(SchemaReference(ref.name, ref.subject, version))
                # In a dry run a reference to a version not registered yet cannot be looked up.
                waiting = any(subject in pending for subject in local)
                found = None if waiting else lookup(contract, prepared.text, refs)
                if found is not None:
                    result.status = "unchanged"
                    result.schema_id, result.version = found.schema_id, found.version
                    if found.version is not None:
                        versions[contract.subject] = found.version
                    continue
                gate.compare(prepared, history.history(contract), result)
                if any(issue.failing for issue in result.issues):
                    failed.add(contract.subject)
                    continue
                if dry_run:
                    result.status = "would-register"
                    pending.add(contract.subject)
                    try:
                        known = client.versions(contract.subject)
                    except SchemaNotFoundError:
                        known = []
                    versions[contract.subject] = (known or [0])[-1] + 1
                    continue
                try:
                    result.schema_id = client.register(
                        contract.subject, prepared.text, contract.schema_type, refs
                    )
                except IncompatibleSchemaError as exc:
                    result.status, result.error = "breaking", exc.message
                    failed.add(contract.subject)
                    continue
                registered = lookup(contract, prepared.text, refs)
                result.version = registered.version if registered else None
                result.status = "registered"
                if result.version is not None:
                    versions[contract.subject] = result.version
            except reported_errors() as exc:
                result.status, result.error = "error", str(exc)
                failed.add(contract.subject)
    emit(report, fmt, output, config.root)
    return report.exit_code
