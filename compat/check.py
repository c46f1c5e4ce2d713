"""Compatibility levels turned into reader/writer pairs, and the checks over them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from compat.catalog import ENGINE_RULES
from compat.formats import format_for
from compat.model import Direction, Finding, Level, Policy, Resolver, Result, Schema, SchemaSource

__all__ = ["Pair", "check", "check_pair", "iter_findings", "pairs", "parse"]


@dataclass(frozen=True, slots=True)
class Pair:
    reader: Schema
    writer: Schema
    direction: Direction
    against: int  # index in the history of the old schema in this pair


def parse(source: SchemaSource, resolver: Resolver | None = None) -> Schema:
    """Parse and validate a schema; raises `SchemaParseError` with where and why."""
    return format_for(source.schema_type).parse(source, resolver)


def pairs(level: Level, new: Schema, history: Sequence[Schema]) -> list[Pair]:
    """The (reader, writer) pairs a level asks for. `history` runs oldest first.

    Non-transitive levels compare with the latest version only; transitive ones with every
    version, newest first so the most relevant findings come first.
    """
    if level is Level.NONE or not history:
        return []
    indexes = range(len(history) - 1, -1, -1) if level.transitive else [len(history) - 1]
    result: list[Pair] = []
    for index in indexes:
        old = history[index]
        if level.backward:
            result.append(Pair(new, old, Direction.BACKWARD, index))
        if level.forward:
            result.append(Pair(old, new, Direction.FORWARD, index))
    return result


def check_pair(
    reader: Schema,
    writer: Schema,
    *,
    direction: Direction = Direction.BACKWARD,
    policy: Policy = Policy.STRICT,
) -> Iterator[Finding]:
    """Every reason `reader` cannot read data written with `writer`."""
    if reader.schema_type != writer.schema_type:
        raise ValueError("cannot compare schemas of different types")
    return format_for(reader.schema_type).check_pair(
        reader, writer, direction=direction, policy=policy
    )


def iter_findings(
    level: Level,
    new: Schema,
    history: Sequence[Schema],
    *,
    policy: Policy = Policy.STRICT,
) -> Iterator[Finding]:
    """Every finding for registering `new` after `history` at `level`: the pairs' findings,
    then the warnings about `new` itself (`Schema.warnings`), once whatever the level.

    A warning about the change itself, which both directions of a FULL level find alike
    (Protobuf's renamed fields and unreserved numbers), is reported once, for the first."""
    warned: set[tuple[str, str, str, int]] = set()
    for pair in pairs(level, new, history):
        if pair.reader.schema_type != pair.writer.schema_type:
            yield Finding(
                rule=ENGINE_RULES["SCHEMA_TYPE_CHANGED"].id,
                location="",
                message=(
                    f"the schema type changed from {history[pair.against].schema_type} "
                    f"to {new.schema_type}."
                ),
                hint="keep the subject's schema type, or register under a new subject.",
                direction=pair.direction,
                old=history[pair.against].schema_type.value,
                new=new.schema_type.value,
                against=pair.against,
            )
            continue
        for finding in check_pair(
            pair.reader, pair.writer, direction=pair.direction, policy=policy
        ):
            if not finding.is_error:
                key = (finding.rule, finding.location, finding.message, pair.against)
                if key in warned:
                    continue
                warned.add(key)
            yield replace(finding, against=pair.against)
    yield from new.warnings


def check(
    level: Level,
    new: Schema,
    history: Sequence[Schema],
    *,
    policy: Policy = Policy.STRICT,
) -> Result:
    """The verdict for registering `new` after `history` at `level`, with every finding."""
    return Result(level, tuple(iter_findings(level, new, history, policy=policy)))
