"""`charter diff OLD NEW`: every change between two schema files, with its verdict each way.

BACKWARD asks whether the new schema reads data written with the old one; FORWARD whether the
old schema reads data written with the new one. A change is breaking in a direction when an
error finding of that direction lies at, under or above the change's place; warnings are
listed and never break.

Avro and JSON Schema files are compared as JSON documents (Avro fields matched by name).
`.proto` files are compared as Confluent's Protobuf difference algorithm sees them (types by
name, fields by number; `compat.protobuf.diff`), at paths like `#/Order/items`; an import
that is no well-known type is read from the importing file's directory, as `protoc -I DIR`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.common import cli_errors
from cli.errors import CliError, SourceError

if TYPE_CHECKING:
    from compat import Finding, Reference, Schema, SchemaSource

__all__ = ["Change", "diff", "protobuf_changes", "structural_changes"]


@dataclass(slots=True)
class Change:
    kind: str  # added | removed | changed
    pointer: str
    old: Any = None
    new: Any = None
    backward: list[str] = field(default_factory=list)  # rule ids breaking BACKWARD
    forward: list[str] = field(default_factory=list)


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _named(items: list[Any]) -> dict[str, int] | None:
    """Arrays of named objects (Avro fields, enum-less records) are matched by name."""
    names: dict[str, int] = {}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        names[item["name"]] = index
    return names if len(names) == len(items) else None


def structural_changes(old: Any, new: Any, pointer: str = "") -> list[Change]:
    """Changes from `old` to `new`; pointers lead into the new document (into the old one for
    removals)."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[Change] = []
        for key in old:
            if key not in new:
                changes.append(Change("removed", f"{pointer}/{_escape(key)}", old=old[key]))
        for key in new:
            child = f"{pointer}/{_escape(key)}"
            if key not in old:
                changes.append(Change("added", child, new=new[key]))
            else:
                changes.extend(structural_changes(old[key], new[key], child))
        return changes
    if isinstance(old, list) and isinstance(new, list):
        old_names, new_names = _named(old), _named(new)
        if old_names is not None and new_names is not None:
            changes = []
            for name, index in old_names.items():
                if name not in new_names:
                    changes.append(Change("removed", f"{pointer}/{index}", old=old[index]))
            for name, index in new_names.items():
                child = f"{pointer}/{index}"
                if name not in old_names:
                    changes.append(Change("added", child, new=new[index]))
                else:
                    changes.extend(structural_changes(old[old_names[name]], new[index], child))
            return changes
        if old != new:
            return [Change("changed", pointer, old=old, new=new)]
        return []
    if old != new:
        return [Change("changed", pointer, old=old, new=new)]
    return []


def protobuf_changes(old: Schema, new: Schema) -> list[Change]:
    """Confluent's differences from `old` to `new` (compatible ones too), at their paths."""
    from compat.protobuf import ProtobufSchema
    from compat.protobuf.diff import differences

    assert isinstance(old, ProtobufSchema) and isinstance(new, ProtobufSchema)
    changes = []
    for difference in differences(old, new, new_is_update=True):
        name = difference.type.value
        kind = ("added" if name.endswith("_ADDED") else
                "removed" if name.endswith("_REMOVED") else "changed")
        changes.append(Change(kind, "#/" + "/".join(difference.path),
                              old=difference.original, new=difference.update))
    return changes


def _proto_source(
    path: Path, text: str
) -> tuple[SchemaSource, Callable[[Reference], SchemaSource]]:
    """`text` with a reference per import found under the file's directory, and their resolver.

    A reference's version is a checksum of the imported file, so an import whose file differs
    between OLD and NEW has its types compared again, as a new version of a reference is."""
    import zlib

    from cli.proto_imports import imports_of
    from compat import Reference, SchemaSource, SchemaType
    from compat.protobuf.wellknown import is_well_known

    root = path.parent

    def source(text: str) -> SchemaSource:
        refs = []
        for name in imports_of(text):
            file = root / name
            if is_well_known(name) or not file.is_file():
                continue  # protoc reports an import it cannot find
            content = _read(file)
            refs.append(Reference(name, name, zlib.crc32(content.encode()) & 0x7FFFFFFF))
        return SchemaSource(text, SchemaType.PROTOBUF, tuple(refs))

    def resolve(ref: Reference) -> SchemaSource:
        return source(_read(root / ref.name))

    return source(text), resolve


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from None


def _once(findings: list[Finding]) -> list[Finding]:
    """Findings without the repeats of a warning the two directions both report."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for finding in findings:
        key = (finding.rule, finding.location, finding.message)
        if not finding.is_error and key in seen:
            continue
        seen.add(key)
        kept.append(finding)
    return kept


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def diff(
    old: Annotated[Path, typer.Argument(help="The old schema file.")],
    new: Annotated[Path, typer.Argument(help="The new schema file.")],
    schema_type: Annotated[
        str | None,
        typer.Option("--type", help="AVRO, JSON or PROTOBUF; default: from the suffix."),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json.")] = "text",
) -> None:
    """Show every change between two schema files and its verdict in each direction.

    Exit codes: 0 compatible both ways, 1 breaking in some direction, 2 an error.
    """
    with cli_errors("diff"):
        code = run_diff(old, new, schema_type, fmt)
    raise typer.Exit(code=code)


def run_diff(old_path: Path, new_path: Path, schema_type: str | None, fmt: str) -> int:
    import json

    import compat
    from cli.config import TYPES_BY_SUFFIX
    from cli.locate import locator
    from compat import Direction, SchemaSource, SchemaType

    if fmt not in ("text", "json"):
        raise CliError(f"unknown --format {fmt!r}; expected text or json")
    kind = (schema_type or TYPES_BY_SUFFIX.get(new_path.suffix.lower()) or "").upper()
    if kind not in ("AVRO", "JSON", "PROTOBUF"):
        raise CliError(
            f"cannot infer the schema type of {new_path.name}; pass --type AVRO|JSON|PROTOBUF"
        )
    texts = [_read(path) for path in (old_path, new_path)]
    schemas = []
    for path, text in zip((old_path, new_path), texts, strict=True):
        if kind == "PROTOBUF":
            source, resolver = _proto_source(path, text)
        else:
            source, resolver = SchemaSource(text, SchemaType(kind)), None
        try:
            schemas.append(compat.parse(source, resolver))
        except compat.SchemaParseError as exc:
            raise SourceError(f"{path} is not a valid {kind} schema: {exc}") from None
    old_schema, new_schema = schemas
    findings = _once([
        *compat.check_pair(new_schema, old_schema, direction=Direction.BACKWARD),
        *compat.check_pair(old_schema, new_schema, direction=Direction.FORWARD),
    ])
    if kind == "PROTOBUF":
        changes = protobuf_changes(old_schema, new_schema)
    else:
        try:
            old_doc, new_doc = json.loads(texts[0]), json.loads(texts[1])
        except ValueError as exc:
            raise SourceError(f"not JSON: {exc}") from None
        changes = structural_changes(old_doc, new_doc)
    errors = [f for f in findings if f.is_error]
    for finding in errors:
        for change in (c for c in changes if _related(c.pointer, finding.location)):
            side = change.backward if finding.direction is Direction.BACKWARD else change.forward
            if finding.rule not in side:
                side.append(finding.rule)
    backward_ok = not any(f.direction is Direction.BACKWARD for f in errors)
    forward_ok = not any(f.direction is Direction.FORWARD for f in errors)
    where = locator(texts[1], new_schema)
    if fmt == "json":
        document = {
            "old": str(old_path),
            "new": str(new_path),
            "schema_type": kind,
            "backward_compatible": backward_ok,
            "forward_compatible": forward_ok,
            "changes": [
                {
                    "kind": c.kind,
                    "pointer": c.pointer,
                    "old": c.old,
                    "new": c.new,
                    "backward": c.backward,
                    "forward": c.forward,
                }
                for c in changes
            ],
            "findings": [
                {
                    "rule": f.rule,
                    "severity": f.severity.value,
                    "direction": f.direction.value,
                    "location": f.location,
                    "line": where.line_column(f.location)[0],
                    "column": where.line_column(f.location)[1],
                    "message": f.message,
                    "hint": f.hint,
                }
                for f in findings
            ],
        }
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        if not changes:
            typer.echo("no changes")
        for c in changes:
            value = {"added": c.new, "removed": c.old}.get(c.kind)
            shown = (
                f"{json.dumps(c.old)} → {json.dumps(c.new)}"
                if c.kind == "changed"
                else json.dumps(value)
            )
            if len(shown) > 80:
                shown = shown[:77] + "..."
            back = "breaks " + ",".join(c.backward) if c.backward else "ok"
            fwd = "breaks " + ",".join(c.forward) if c.forward else "ok"
            typer.echo(
                f"{c.kind:<8} {c.pointer or '/'}  {shown}\n"
                f"         BACKWARD: {back}   FORWARD: {fwd}"
            )
        for f in findings:
            line, column = where.line_column(f.location)
            severity = "" if f.is_error else "warning "
            typer.echo(
                f"{new_path}:{line}:{column}: {severity}{f.direction.value} {f.rule} "
                f"{f.message} hint: {f.hint}"
            )
        verdict = {True: "compatible", False: "BREAKING"}
        typer.echo(
            f"BACKWARD (new reads old): {verdict[backward_ok]}; "
            f"FORWARD (old reads new): {verdict[forward_ok]}; "
            f"FULL: {verdict[backward_ok and forward_ok]}"
        )
    return 0 if backward_ok and forward_ok else 1
