"""Loading the compatibility corpus: one JSON file per case under `corpus/<format>/`.

A case file:

    {
      "description": "what the change is, in words",
      "schemaType": "AVRO" | "JSON" | "PROTOBUF",
      "policy": "STRICT" | "LENIENT",          (optional, STRICT by default)
      "old": <schema> | "history": [<schema>, ...]   (oldest first)
      "new": <schema>,
      "expect": {"BACKWARD": [rule ids], "FORWARD": [rule ids], ...},
      "lenient": {...}, "sound": {...},      (optional: the same under LENIENT / SOUND)
      "warnings": {...},                     (optional: warning rule ids under `policy`)
      "rule": "COMBINED_TYPE_EXTENDED"       (optional: the Confluent rule the case rests on)
    }

`expect` maps a level to the set of error rule ids it must report under `policy`; an empty
list means compatible. `lenient` and `sound` state the errors under those policies too.
Warnings are compared only where `warnings` states them.
Levels left out are derived: NONE is always compatible, FULL is the union of BACKWARD and
FORWARD, and with a single old schema each transitive level equals its plain form.
Schemas are JSON values (objects, arrays or strings) and are serialised to text for parsing.

Protobuf schemas are `.proto` text: a string, or a list of lines; or an object
`{"schema": <text>, "references": [{"name", "subject", "version"}]}` for one with references,
whose texts the case lists under `"subjects": {"<subject>/<version>": <text>}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compat import Level, Policy, Reference, SchemaSource, SchemaType

CORPUS = Path(__file__).parent / "corpus"


@dataclass(frozen=True)
class Case:
    path: Path
    description: str
    schema_type: SchemaType
    policy: Policy
    history: list[SchemaSource]
    new: SchemaSource
    expect: dict[Level, frozenset[str]]
    by_policy: dict[Policy, dict[Level, frozenset[str]]]
    warnings: dict[Level, frozenset[str]]
    rule: str | None
    subjects: dict[tuple[str, int], SchemaSource] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.path.relative_to(CORPUS).with_suffix("").as_posix()

    def resolver(self, reference: Reference) -> SchemaSource:
        """The case's referenced schemas, by subject and version."""
        return self.subjects[(reference.subject, reference.version)]


def _source(value: Any, schema_type: SchemaType) -> SchemaSource:
    if schema_type is SchemaType.PROTOBUF:
        references: tuple[Reference, ...] = ()
        if isinstance(value, dict):
            references = tuple(
                Reference(r["name"], r["subject"], r["version"]) for r in value["references"]
            )
            value = value["schema"]
        text = "\n".join(value) + "\n" if isinstance(value, list) else value
        return SchemaSource(text, schema_type, references)
    return SchemaSource(json.dumps(value), schema_type)


def _subjects(raw: dict[str, Any], schema_type: SchemaType) -> dict[tuple[str, int], SchemaSource]:
    out = {}
    for key, value in raw.items():
        subject, version = key.rsplit("/", 1)
        out[(subject, int(version))] = _source(value, schema_type)
    return out


def _expectations(raw: dict[str, list[str]], history_len: int) -> dict[Level, frozenset[str]]:
    given = {Level.parse(k): frozenset(v) for k, v in raw.items()}
    out = dict(given)
    out.setdefault(Level.NONE, frozenset())
    if Level.FULL not in out and Level.BACKWARD in out and Level.FORWARD in out:
        out[Level.FULL] = out[Level.BACKWARD] | out[Level.FORWARD]
    if history_len == 1:
        for plain in (Level.BACKWARD, Level.FORWARD, Level.FULL):
            transitive = Level(f"{plain.value}_TRANSITIVE")
            if plain in out:
                out.setdefault(transitive, out[plain])
    return out


def load(path: Path) -> Case:
    raw = json.loads(path.read_text())
    schema_type = SchemaType(raw["schemaType"])
    history_raw = raw["history"] if "history" in raw else [raw["old"]]
    history = [_source(s, schema_type) for s in history_raw]
    policy = Policy.parse(raw.get("policy", "STRICT"))
    by_policy = {policy: _expectations(raw["expect"], len(history))}
    for key, other in (("lenient", Policy.LENIENT), ("sound", Policy.SOUND)):
        if key in raw:
            by_policy[other] = _expectations(raw[key], len(history))
    warnings = {Level.parse(k): frozenset(v) for k, v in raw.get("warnings", {}).items()}
    return Case(
        path=path,
        description=raw["description"],
        schema_type=schema_type,
        policy=policy,
        history=history,
        new=_source(raw["new"], schema_type),
        expect=by_policy[policy],
        by_policy=by_policy,
        warnings=warnings,
        rule=raw.get("rule"),
        subjects=_subjects(raw.get("subjects", {}), schema_type),
    )


def all_cases() -> list[Case]:
    return [load(p) for p in sorted(CORPUS.glob("*/**/*.json"))]
