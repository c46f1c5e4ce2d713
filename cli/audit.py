"""`charter audit [--since WHEN]`: the audit trail of writes, read from the database.

Whoever can open the registry's database is an administrator, so this reads it directly, as
`charter keys` does. `--since` takes an ISO 8601 time (UTC unless it says otherwise) or an
age such as `30m`, `12h` or `7d`. Exit codes: 0 done; 2 a usage or database error.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from cli.dbaccess import DatabaseUrlOption, DataDirOption, check_format, open_database
from cli.serve import DEFAULT_DATA_DIR

__all__ = ["audit", "parse_since"]

AGE = re.compile(r"(\d{1,9})([smhd])")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_since(value: str, now: datetime | None = None) -> datetime:
    """An ISO 8601 time or an age (`30m`, `12h`, `7d`) as an aware UTC datetime."""
    text = value.strip()
    age = AGE.fullmatch(text)
    if age:
        delta = timedelta(**{UNITS[age.group(2)]: int(age.group(1))})
        return (now or datetime.now(UTC)) - delta
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is neither an ISO 8601 time nor an age like 30m, 12h or 7d",
            param_hint="--since",
        ) from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def audit(
    since: Annotated[
        str | None, typer.Option(help="Entries from this time (ISO 8601) or age (12h, 7d) on.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="At most this many (newest).")]
    = 1000,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    database_url: DatabaseUrlOption = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show the audit trail: who wrote what, to which subject or topic, and the outcome."""
    from registry.security.audit import read_entries

    check_format(fmt)
    start = parse_since(since) if since else None
    database = open_database("audit", data_dir, database_url)
    try:
        entries = read_entries(database, since=start, limit=limit)
    finally:
        database.dispose()
    if fmt == "json":
        typer.echo(json.dumps([e.to_json() for e in entries], indent=2))
        return
    for e in entries:
        names = ",".join(e.names) or "-"
        typer.echo(
            f"{e.at:%Y-%m-%dT%H:%M:%S}Z\t{e.who}\t{e.method} {e.path}\t{e.kind}={names}\t"
            f"{e.status} {e.outcome}"
        )
