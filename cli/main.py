"""`charter`: the command-line entry point (console script `charter = cli.main:app`).

Each subcommand's module loads only when that subcommand runs (or its own help is asked for):
`charter --help` lists them from the table below, so it pays for Typer and nothing else.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

# name: (module, attribute, one-line help as the command's docstring or Typer help opens).
# tests/cli/test_startup.py checks these lines against the loaded commands.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": (
        "cli.serve",
        "serve",
        "Run the schema registry (Confluent Schema Registry API) and the broker on one port.",
    ),
    "check": ("cli.check", "check", "Check every contract in charter.yaml for breaking changes."),
    "register": (
        "cli.register",
        "register",
        "Register every contract in charter.yaml with the registry, in reference order.",
    ),
    "diff": (
        "cli.diff",
        "diff",
        "Show every change between two schema files and its verdict in each direction.",
    ),
    "import": (
        "cli.importer",
        "import_registry",
        "Copy every subject and version from another registry, keeping ids and versions.",
    ),
    "produce": (
        "cli.produce",
        "produce",
        "Validate every line of JSON on stdin and publish them all, or none.",
    ),
    "consume": (
        "cli.consume",
        "consume",
        "Print the topic's events, decoded through the registry; commit what was printed.",
    ),
    "replay": (
        "cli.replay",
        "replay",
        "Read TOPIC from the start (or an offset or time), decode every record and report counts\n"
        "per schema version and every contract violation.",
    ),
    "groups": (
        "cli.groups",
        "groups",
        "Show consumer groups' lag per topic and partition; exits 1 for an unknown GROUP.",
    ),
    "audit": (
        "cli.audit",
        "audit",
        "Show the audit trail: who wrote what, to which subject or topic, and the outcome.",
    ),
    "topic": (
        "cli.topic",
        "topic_app",
        "Create, list, describe, alter and delete the broker's topics.",
    ),
    "keys": ("cli.keys", "keys_app", "Create, list and revoke API keys."),
}


class LazyGroup(TyperGroup):
    """A group that imports a subcommand's module when the subcommand is resolved; while the
    group's own help is rendered it answers with stand-ins that carry only the one-line help."""

    listing = False

    def list_commands(self, ctx: typer.Context) -> list[str]:  # type: ignore[override]
        return list(COMMANDS)

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:  # type: ignore[override]
        if cmd_name in self.commands or cmd_name not in COMMANDS:
            return self.commands.get(cmd_name)
        module, attribute, short = COMMANDS[cmd_name]
        if self.listing:
            return TyperCommand(name=cmd_name, help=short)
        self.commands[cmd_name] = load_command(
            cmd_name, getattr(importlib.import_module(module), attribute)
        )
        return self.commands[cmd_name]

    def format_help(self, ctx: typer.Context, formatter: Any) -> None:  # type: ignore[override]
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


def load_command(name: str, target: Any) -> Any:
    """The click command Typer builds for a function or a sub-Typer registered under `name`."""
    import typer.main as build
    from typer.models import CommandInfo, TyperInfo

    if isinstance(target, typer.Typer):
        return build.get_group_from_info(
            TyperInfo(target, name=name),
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    return build.get_command_from_info(
        CommandInfo(name=name, callback=target),
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = typer.Typer(
    name="charter",
    help="Charter: a schema registry and event-contract toolkit.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(wanted: bool) -> None:
    if not wanted:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        typer.echo(f"charter {version('charter')}")
    except PackageNotFoundError:
        typer.echo("charter: not installed, so no version is known (pip install .)", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit()


@app.callback()
def main(
    _version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print Charter's version and exit.",
            is_eager=True,
            callback=_print_version,
        ),
    ] = False,
) -> None:
    """Charter: a schema registry and event-contract toolkit."""


if __name__ == "__main__":
    app()
