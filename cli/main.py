"""`charter`: the command-line entry point (console script `charter = cli.main:app`)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from cli.audit import audit
from cli.check import check
from cli.consume import consume
from cli.diff import diff
from cli.groups import groups
from cli.importer import import_registry
from cli.keys import keys_app
from cli.produce import produce
from cli.register import register
from cli.replay import replay
from cli.serve import serve
from cli.topic import topic_app

app = typer.Typer(
    name="charter",
    help="Charter: a schema registry and event-contract toolkit.",
    no_args_is_help=True,
    add_completion=False,
)


def _print_version(wanted: bool) -> None:
    if not wanted:
        return
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


app.command("serve")(serve)
app.command("check")(check)
app.command("register")(register)
app.command("diff")(diff)
app.command("import")(import_registry)
app.command("produce")(produce)
app.command("consume")(consume)
app.command("replay")(replay)
app.add_typer(topic_app, name="topic")
app.command("groups")(groups)
app.add_typer(keys_app, name="keys")
app.command("audit")(audit)

if __name__ == "__main__":
    app()
