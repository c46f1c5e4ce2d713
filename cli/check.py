"""`charter check`: compare every contract with a git ref or the registry; exit 0, 1 or 2."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import (
    ConfigOption,
    FormatOption,
    OutputOption,
    RegistryOption,
    check_format,
    cli_errors,
    emit,
    open_registry,
)

__all__ = ["check"]


def check(
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            "-a",
            help="'registry' (default when one is configured) or 'git:REF', e.g. git:origin/main.",
        ),
    ] = None,
    config: ConfigOption = None,
    fmt: FormatOption = "text",
    output: OutputOption = None,
    registry: RegistryOption = None,
    subject: Annotated[
        list[str] | None, typer.Option("--subject", "-s", help="Check only these subjects.")
    ] = None,
) -> None:
    """Check every contract in charter.yaml for breaking changes.

    Exit codes: 0 no failing finding, 1 failing findings, 2 usage, config, parse or network error.
    """
    with cli_errors("check"):
        code = run_check(against, config, check_format(fmt), output, registry, subject)
    raise typer.Exit(code=code)


def run_check(
    against: str | None,
    config_path: object,
    fmt: str,
    output: object,
    registry_url: str | None,
    subjects: list[str] | None,
) -> int:
    from pathlib import Path

    from cli.config import load_config
    from cli.errors import ConfigError
    from cli.gate import Gate
    from cli.history import GitHistory, HistorySource, RegistryHistory
    from cli.parsing import ContractParser
    from cli.sources import GitRef

    assert config_path is None or isinstance(config_path, Path)
    assert output is None or isinstance(output, Path)
    config = load_config(config_path)
    contracts = list(config.contracts)
    if subjects:
        unknown = sorted(set(subjects) - {c.subject for c in contracts})
        if unknown:
            raise ConfigError(f"--subject {unknown[0]!r} is not a contract in {config.path.name}")
        contracts = [c for c in contracts if c.subject in subjects]
    url = registry_url or config.registry_url
    if against is None:
        if url is None:
            raise ConfigError(
                "no registry configured (charter.yaml 'registry' or CHARTER_REGISTRY_URL); "
                "pass --against git:REF to compare with a git ref instead"
            )
        against = "registry"
    git = against.startswith("git:") and len(against) > 4
    if not git and against != "registry":
        raise ConfigError(f"--against {against!r}: expected 'registry' or 'git:REF'")
    if not git and url is None:
        raise ConfigError("--against registry needs a registry URL")
    # Against git, a registry (when configured) still resolves references to subjects that
    # charter.yaml does not declare.
    registry = open_registry(url) if url else None
    try:
        parser = ContractParser(config, registry)
        source: HistorySource
        if git:
            source = GitHistory(GitRef(against[4:], config.root), parser)
        else:
            assert registry is not None
            source = RegistryHistory(registry, parser)
        report = Gate(parser, source).check(contracts)
    finally:
        if registry is not None:
            registry.close()
    emit(report, fmt, output, config.root)
    return report.exit_code
