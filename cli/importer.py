"""`charter import --from URL`: copy every subject and version of another Confluent-compatible
registry into Charter, keeping schema ids, versions, GUIDs, contracts and contexts, then verify
the copy.

The target is switched to IMPORT mode for the copy and back to its previous mode afterwards;
so is each context the source uses (`:.ctx:`), since a context has a mode of its own. Subjects
keep their qualified names (`:.ctx:subject`), so each lands in its context with the id it had
there. Versions are imported referenced-first, so a schema's references exist when it arrives.
With `--config`, the configs come too (the registry-wide one, each context's and each
subject's), data-contract fields included: defaults and overrides of metadata and rules,
`compatibilityGroup`, `alias` and `validateFields`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import cli_errors
from cli.errors import CliError

if TYPE_CHECKING:
    from sdk.registry import RegisteredSchema, Registry

__all__ = ["import_registry"]

Key = tuple[str, int]  # (subject, version)


def import_registry(
    source_url: Annotated[
        str, typer.Option("--from", help="The registry to copy from (Confluent API).")
    ],
    target_url: Annotated[
        str | None,
        typer.Option(
            "--to",
            envvar="CHARTER_REGISTRY_URL",
            help="The Charter registry to copy into; default CHARTER_REGISTRY_URL.",
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Import even when the target already has subjects.")
    ] = False,
    subject_config: Annotated[
        bool,
        typer.Option(
            "--config/--no-config",
            help="Also copy the configs (registry-wide, per context and per subject), "
            "data-contract settings included.",
        ),
    ] = True,
) -> None:
    """Copy every subject and version from another registry, keeping ids and versions.

    Exit codes: 0 copied and verified, 1 the verification found a difference, 2 an error.
    """
    with cli_errors("import"):
        if not target_url:
            raise CliError("give the target registry with --to or CHARTER_REGISTRY_URL")
        code = run_import(source_url, target_url, force=force, copy_config=subject_config)
    raise typer.Exit(code=code)


def _same_schema(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b


def run_import(source_url: str, target_url: str, *, force: bool, copy_config: bool) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from cli.common import open_registry
    from sdk.errors import RegistryError

    console = Console(stderr=True)
    with open_registry(source_url) as source, open_registry(target_url) as target:
        subjects = sorted(source.subjects())
        versions: dict[tuple[str, int], RegisteredSchema] = {}
        for subject in subjects:
            for number in source.versions(subject):
                versions[(subject, number)] = source.get_version(subject, number)
        order = _reference_order(versions)
        contexts = sorted({_context_key(s) for s in subjects} - {""})

        previous = target.get_mode()
        if previous != "IMPORT":
            try:
                target.set_mode("IMPORT", force=force)
            except RegistryError as exc:
                raise CliError(
                    f"cannot switch {target_url} to IMPORT mode: {exc.message} "
                    "(use --force to import into a registry that has subjects)"
                ) from None
        own_modes = {key: _own_mode(target, key) for key in contexts}
        try:
            for key in contexts:
                target.set_mode("IMPORT", key, force=True)
            with Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.description}"),
                console=console,
                transient=not console.is_terminal,
            ) as progress:
                task = progress.add_task("", total=len(order))
                for (subject, number), stored in order:
                    progress.update(task, description=f"{subject} v{number}")
                    target.register(
                        subject,
                        stored.schema,
                        stored.schema_type,
                        stored.references,
                        schema_id=stored.schema_id,
                        version=number,
                        guid=stored.guid,
                        metadata=stored.metadata,
                        rule_set=stored.rule_set,
                    )
                    progress.advance(task)
            if copy_config:
                top = source.get_config()
                if top is not None:
                    target.set_config(top)
                for scope in (*contexts, *subjects):
                    config = source.get_config(scope)
                    if config is not None and config.compatibility:
                        target.set_config(config, scope)
        finally:
            for key, mode in own_modes.items():
                if mode is None:
                    target.delete_mode(key)
                else:
                    target.set_mode(mode, key, force=True)
            if previous != "IMPORT":
                target.set_mode(previous, force=True)

        problems = []
        for (subject, number), stored in versions.items():
            try:
                copied = target.get_version(subject, number)
            except RegistryError as exc:
                problems.append(f"{subject} version {number}: {exc.message}")
                continue
            if copied.schema_id != stored.schema_id:
                problems.append(
                    f"{subject} version {number}: id {copied.schema_id} != {stored.schema_id}"
                )
            elif stored.guid is not None and copied.guid != stored.guid:
                problems.append(f"{subject} version {number}: guid {copied.guid} != {stored.guid}")
            elif not _same_schema(copied.schema, stored.schema):
                problems.append(f"{subject} version {number}: the schema text differs")
            elif copied.references != stored.references:
                problems.append(f"{subject} version {number}: the references differ")
    for problem in problems:
        typer.echo(f"charter import: verification failed: {problem}", err=True)
    ids = len({v.schema_id for v in versions.values()})
    typer.echo(
        f"imported {len(versions)} version(s) of {len(subjects)} subject(s) ({ids} schema id(s)) "
        f"from {source_url} into {target_url}; verified: "
        + ("ok" if not problems else f"{len(problems)} difference(s)")
    )
    return 1 if problems else 0


def _context_key(subject: str) -> str:
    """The key of a qualified subject's context (`:.ctx:`), "" for the default context."""
    if not subject.startswith(":."):
        return ""
    end = subject.find(":", 2)
    return subject[: end + 1] if end > 0 else subject + ":"


def _own_mode(target: Registry, key: str) -> str | None:
    from sdk.errors import RegistryError

    try:
        return target.get_mode(key)
    except RegistryError as exc:
        if exc.status == 404:
            return None
        raise


def _reference_order(
    versions: dict[Key, RegisteredSchema],
) -> list[tuple[Key, RegisteredSchema]]:
    """Every version after the versions it references; otherwise by schema id, then subject."""
    ordered: list[tuple[Key, RegisteredSchema]] = []
    done: set[Key] = set()
    visiting: set[Key] = set()

    def visit(key: Key) -> None:
        if key in done or key not in versions:
            return
        if key in visiting:
            raise CliError(f"references form a cycle at {key[0]} version {key[1]}")
        visiting.add(key)
        stored = versions[key]
        for ref in stored.references:
            visit((ref.subject, ref.version))
        visiting.discard(key)
        done.add(key)
        ordered.append((key, stored))

    def sort_key(key: Key) -> tuple[int, str, int]:
        return (versions[key].schema_id, key[0], key[1])

    for key in sorted(versions, key=sort_key):
        visit(key)
    return ordered
