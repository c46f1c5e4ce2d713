"""`charter keys create|list|revoke`: API keys in the registry's database.

`create` prints the credential as `KEY:SECRET` on the last line of its text output; the secret
is shown this once and stored only as an argon2id hash. Exit codes: 0 done; 1 refused (a name
that exists, no such key); 2 a usage or database error.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.dbaccess import (
    DatabaseUrlOption,
    DataDirOption,
    check_format,
    open_database,
)
from cli.serve import DEFAULT_DATA_DIR

if TYPE_CHECKING:
    from registry.security import KeyStore

__all__ = ["keys_app"]

keys_app = typer.Typer(
    name="keys", help="Create, list and revoke API keys.", no_args_is_help=True
)

FormatOption = Annotated[str, typer.Option("--format", "-f", help="text or json.")]


def _store(data_dir: Path, database_url: str | None) -> KeyStore:
    from registry.security import KeyStore

    return KeyStore(open_database("keys", data_dir, database_url))


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="A name for the key (what the audit trail shows).")],
    role: Annotated[str, typer.Option(help="reader, writer or admin.")],
    subject_prefix: Annotated[
        list[str] | None,
        typer.Option("--subject-prefix", help="Limit subjects to this prefix (repeatable)."),
    ] = None,
    topic_prefix: Annotated[
        list[str] | None,
        typer.Option("--topic-prefix", help="Limit topics to this prefix (repeatable)."),
    ] = None,
    group_prefix: Annotated[
        list[str] | None,
        typer.Option(
            "--group-prefix",
            help="Limit consumer groups to this prefix (repeatable), as Kafka's GROUP ACLs.",
        ),
    ] = None,
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    database_url: DatabaseUrlOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Create a key; prints KEY:SECRET on the last line (the secret is shown only once)."""
    from registry.security import Role, SecurityConfigError

    check_format(fmt)
    try:
        parsed = Role.parse(role)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--role") from None
    store = _store(data_dir, database_url)
    try:
        created = store.create(
            name,
            parsed,
            subject_prefixes=subject_prefix or (),
            topic_prefixes=topic_prefix or (),
            group_prefixes=group_prefix or (),
        )
    except SecurityConfigError as exc:
        typer.echo(f"charter keys create: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        store.database.dispose()
    if fmt == "json":
        body = {**created.info.to_json(), "secret": created.secret,
                "credential": created.credential}
        typer.echo(json.dumps(body, indent=2))
        return
    info = created.info
    typer.echo(f"created key {info.key_id} '{info.name}' with role {info.role.value}")
    typer.echo(f"subject prefixes: {', '.join(info.subject_prefixes) or '(all subjects)'}")
    typer.echo(f"topic prefixes: {', '.join(info.topic_prefixes) or '(all topics)'}")
    typer.echo(f"group prefixes: {', '.join(info.group_prefixes) or '(all groups)'}")
    typer.echo("the secret is shown only now; store the credential below (KEY:SECRET):")
    typer.echo(created.credential)


@keys_app.command("list")
def list_keys(
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    database_url: DatabaseUrlOption = None,
    fmt: FormatOption = "text",
) -> None:
    """List keys (never their secrets), revoked ones included."""
    check_format(fmt)
    store = _store(data_dir, database_url)
    try:
        infos = store.list_keys()
    finally:
        store.database.dispose()
    if fmt == "json":
        typer.echo(json.dumps([i.to_json() for i in infos], indent=2))
        return
    if not infos:
        typer.echo("no keys")
        return
    for i in infos:
        state = f"revoked {i.revoked_at:%Y-%m-%dT%H:%M:%SZ}" if i.revoked_at else "active"
        subjects = ",".join(i.subject_prefixes) or "*"
        topics = ",".join(i.topic_prefixes) or "*"
        groups = ",".join(i.group_prefixes) or "*"
        typer.echo(f"{i.name}\t{i.key_id}\t{i.role.value}\tsubjects={subjects}\t"
                   f"topics={topics}\tgroups={groups}\t{state}")


@keys_app.command("revoke")
def revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    data_dir: DataDirOption = DEFAULT_DATA_DIR,
    database_url: DatabaseUrlOption = None,
    fmt: FormatOption = "text",
) -> None:
    """Revoke a key: every server on the database refuses it from now on."""
    from registry.security import SecurityConfigError

    check_format(fmt)
    store = _store(data_dir, database_url)
    try:
        info = store.revoke(name)
    except SecurityConfigError as exc:
        typer.echo(f"charter keys revoke: {exc}", err=True)
        raise typer.Exit(code=1) from None
    finally:
        store.database.dispose()
    if fmt == "json":
        typer.echo(json.dumps(info.to_json(), indent=2))
    else:
        typer.echo(f"revoked key {info.key_id} '{info.name}'")
