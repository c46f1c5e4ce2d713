"""What the CI commands share: options, the error boundary and writing a report."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.errors import CliError, reported_errors

if TYPE_CHECKING:
    from sdk.registry import Registry

__all__ = [
    "ConfigOption",
    "FormatOption",
    "OutputOption",
    "RegistryOption",
    "cli_errors",
    "emit",
    "open_registry",
]

REGISTRY_TIMEOUT_S = 30.0  # per request; the SDK's client retries failures with back-off


ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config", "-c", help="charter.yaml to use; default: the nearest one above the cwd."
    ),
]
FormatOption = Annotated[
    str,
    typer.Option(
        "--format", "-f", help="text, json, github, sarif, junit or markdown.", show_default=True
    ),
]
OutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write the report to this file.")
]
RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--registry",
        help="Registry URL; default: CHARTER_REGISTRY_URL, then charter.yaml's 'registry'.",
    ),
]


@contextmanager
def cli_errors(command: str) -> Iterator[None]:
    """Usage, config, parse and network errors: one line on stderr and exit code 2."""
    try:
        yield
    except reported_errors() as exc:
        typer.echo(f"charter {command}: error: {exc}", err=True)
        raise typer.Exit(code=2) from None


def open_registry(url: str) -> Registry:
    """The SDK's registry client, imported only by the commands that use a registry, with
    the credentials of CHARTER_AUTH_KEY/CHARTER_AUTH_SECRET or CHARTER_AUTH_TOKEN."""
    from sdk.credentials import from_env
    from sdk.errors import ConfigurationError
    from sdk.registry import Registry

    try:
        return Registry(url, timeout_s=REGISTRY_TIMEOUT_S, **from_env().options())
    except ConfigurationError as exc:
        raise CliError(str(exc)) from None


def check_format(fmt: str) -> str:
    from cli.report import FORMATS

    if fmt not in FORMATS:
        raise CliError(f"unknown --format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return fmt


def repository_prefix(root: Path) -> str:
    """The path from the git repository's root to `root` ("" when not in a repository)."""
    import subprocess

    try:
        done = subprocess.run(
            ["git", "rev-parse", "--show-prefix"], cwd=root, capture_output=True, check=False
        )
    except OSError:
        return ""
    return done.stdout.decode().strip() if done.returncode == 0 else ""


def emit(report: object, fmt: str, output: Path | None, root: Path | None = None) -> None:
    """Render the report to stdout or `output`; the GitHub format also fills the step summary."""
    from cli.report import Report, render

    assert isinstance(report, Report)
    if root is not None and fmt in ("github", "sarif"):
        report.path_prefix = repository_prefix(root)
    color = output is None and sys.stdout.isatty()
    text = render(report, fmt, color=color)
    if output is not None:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CliError(f"cannot write {output}: {exc.strerror or exc}") from None
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
    if fmt == "github":
        from cli.report.github import write_step_summary

        write_step_summary(report)
