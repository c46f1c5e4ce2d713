"""`charter`: the command-line entry point (console script `charter = cli.main:app`)."""

from __future__ import annotations

import typer

from cli.check import check
from cli.consume import consume
from cli.diff import diff
from cli.groups import groups
from cli.importer import import_registry
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


@app.callback()
def main() -> None:
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

if __name__ == "__main__":
    app()
