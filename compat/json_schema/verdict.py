"""One reader and one writer: Confluent's verdict, the semantic one, and where they part ways.

- STRICT and LENIENT: the errors are Confluent's incompatible differences (`confluent`),
  renamed for the direction. The semantic checker (`checker`, can the reader read everything
  the writer writes?) runs beside it; where Confluent accepts a change under which an instance
  valid for the writer fails the reader, a warning shows that instance (found and checked with
  `jsonschema`); where Confluent refuses a change the semantics accept, a warning says so.
  Warnings never change the verdict.
- SOUND: the errors are the semantic checker's; Confluent's refusals the semantics do not
  share become warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from compat.json_schema import checker
from compat.json_schema.confluent import (
    LENIENT_COMPATIBLE,
    STRICT_COMPATIBLE,
    Difference,
    differences,
)
from compat.json_schema.nodes import Node
from compat.json_schema.parse import JsonSchema
from compat.json_schema.rules import RULES, message, mirror
from compat.json_schema.witness import find_common, find_witness
from compat.model import Direction, Finding, Policy, Severity

__all__ = ["check_pair", "confluent_findings"]

ACCEPTS = "CONFLUENT_ACCEPTS_BREAKING_CHANGE"
REFUSES = "CONFLUENT_REFUSES_HARMLESS_CHANGE"


def confluent_findings(
    reader: JsonSchema, writer: JsonSchema, *, direction: Direction, policy: Policy
) -> list[Finding]:
    """Confluent's incompatible differences for this pair, as findings in the new schema."""
    allowed = LENIENT_COMPATIBLE if policy is Policy.LENIENT else STRICT_COMPATIBLE
    out: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for diff in differences(Node.root(writer), Node.root(reader), allowed):
        if diff.type in allowed:
            continue
        finding = _finding(diff, direction)
        key = (finding.rule, finding.location, finding.message)
        if key not in seen:
            seen.add(key)
            out.append(finding)
    return out


def _finding(diff: Difference, direction: Direction) -> Finding:
    if direction is Direction.BACKWARD:
        rule, location, origin = diff.type, diff.update, diff.update_origin
        old, new = diff.original_value, diff.update_value
    else:
        rule, location, origin = mirror(diff.type), diff.original, diff.original_origin
        old, new = diff.update_value, diff.original_value
    return Finding(
        rule=RULES[rule].id,
        location=location,
        message=message(rule, direction, old, new, diff.name, origin),
        hint=RULES[rule].fix,
        direction=direction,
        old=old,
        new=new,
    )


def _show(value: object) -> str:
    text = json.dumps(value, separators=(",", ":"), sort_keys=True, default=str)
    return text if len(text) <= 120 else text[:117] + "..."


def _accepts_warning(
    semantic: list[Finding], instance: object, direction: Direction
) -> Finding:
    first = semantic[0]
    rules = ", ".join(sorted({f.rule for f in semantic}))
    if direction is Direction.BACKWARD:
        who = "it is valid under the old schema and rejected by the new one"
    else:
        who = "the new schema accepts it and consumers still on the old schema reject it"
    return Finding(
        rule=RULES[ACCEPTS].id,
        location=first.location,
        message=(
            f"Confluent's rules accept this change, but data breaks ({rules}): "
            f"for example {_show(instance)}: {who}."
        ),
        hint=RULES[ACCEPTS].fix,
        direction=direction,
        old=None,
        new=instance,
        severity=Severity.WARNING,
    )


def _refuses_warning(
    refused: list[Finding], instance: object | None, direction: Direction
) -> Finding:
    first = refused[0]
    rules = ", ".join(sorted({f.rule for f in refused}))
    example = (
        f" For example {_show(instance)} is valid under both." if instance is not None else ""
    )
    return Finding(
        rule=RULES[REFUSES].id,
        location=first.location,
        message=(
            f"Confluent's rules refuse this change ({rules}), but no instance valid under the "
            f"writer's schema is rejected by the reader's.{example}"
        ),
        hint=RULES[REFUSES].fix,
        direction=direction,
        old=None,
        new=instance,
        severity=Severity.WARNING,
    )


def check_pair(
    reader: JsonSchema, writer: JsonSchema, *, direction: Direction, policy: Policy
) -> Iterator[Finding]:
    semantic = list(
        checker.check_pair(reader, writer, direction=direction, policy=Policy.STRICT, sound=True)
    )
    if policy is Policy.SOUND:
        yield from semantic
        if not semantic:
            refused = confluent_findings(reader, writer, direction=direction,
                                         policy=Policy.STRICT)
            if refused:
                common = find_common(writer, reader)
                yield _refuses_warning(refused, common[0] if common else None, direction)
        return
    found = confluent_findings(reader, writer, direction=direction, policy=policy)
    yield from found
    if not found and semantic:
        witness = find_witness(writer, reader)
        if witness is not None:
            yield _accepts_warning(semantic, witness[0], direction)
    elif found and not semantic:
        common = find_common(writer, reader)
        yield _refuses_warning(found, common[0] if common else None, direction)
