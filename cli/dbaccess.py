"""What `charter keys` and `charter audit` share: the database options and opening it.

Both commands read and write the registry's database directly (no server needed; whoever can
open the database is an administrator). Files they create are private: umask 077, so a new
data directory is 0700 and a new SQLite file 0600.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.serve import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from registry.db import Database

__all__ = ["FORMATS", "DataDirOption", "DatabaseUrlOption", "check_format", "open_database"]

FORMATS = ("text", "json")

DataDirOption = Annotated[
    Path,
    typer.Option(envvar="CHARTER_DATA_DIR", help="The data directory of `charter serve`."),
]
DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(
        envvar="CHARTER_DATABASE_URL",
        help="postgresql+psycopg://… or sqlite:///…; default SQLite in the data directory.",
    ),
]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise typer.BadParameter(f"{fmt!r} is not one of {', '.join(FORMATS)}",
                                 param_hint="--format")
    return fmt


def open_database(command: str, data_dir: Path | None, database_url: str | None) -> Database:
    """The registry's database migrated to head, or exit 2 with one line on stderr."""
    from registry.db import Database
    from registry.settings import Settings

    os.umask(0o077)
    settings = Settings(data_dir=data_dir or DEFAULT_DATA_DIR, database_url=database_url or None)
    try:
        database = Database(settings)
        database.migrate()
    except Exception as exc:  # a bad URL or an unreachable server: one line, no traceback
        typer.echo(f"charter {command}: cannot open the database: {exc}", err=True)
        raise typer.Exit(code=2) from None
    return database
