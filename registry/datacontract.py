"""Data contracts: a version's `metadata` and `ruleSet`, checked, put in canonical form, merged.

A `Contract` is part of a schema's identity: the same text with other metadata or rules is
another schema (another id, another GUID, a new version), as in Confluent's registry. Both parts
are kept as canonical JSON text (sorted keys, no spaces), so equal contracts compare and hash
equal however a client spelled them.

Registration merges, as Confluent documents it: the request's own metadata (or, when it has
none, the previous version's) is merged over the config's `defaultMetadata`, then the config's
`overrideMetadata` over the result; the same for rule sets.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from compat import rules as rule_language
from registry import errors

__all__ = [
    "NO_CONTRACT",
    "Contract",
    "MetadataIn",
    "RuleSetIn",
    "canonical_metadata",
    "canonical_rule_set",
    "identity",
    "merge_metadata",
    "merge_rule_sets",
]

MIGRATION_MODES = frozenset({"UPGRADE", "DOWNGRADE", "UPDOWN"})
DOMAIN_MODES = frozenset({"WRITE", "READ", "WRITEREAD"})
RULES_MAX = 256  # rules in one rule set
CEL_TYPES = frozenset({"CEL", "CEL_FIELD"})  # rule types whose `expr` is CEL, compiled here
NAME_CHARS_MAX = 256


class MetadataIn(BaseModel):
    """Confluent's `Metadata`: tags by path, string properties, sensitive property names."""

    model_config = ConfigDict(extra="ignore")

    tags: dict[str, list[str]] | None = None
    properties: dict[str, str] | None = None
    sensitive: list[str] | None = None


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str = Field(min_length=1, max_length=NAME_CHARS_MAX)
    doc: str | None = None
    kind: Literal["TRANSFORM", "CONDITION"] = "TRANSFORM"
    mode: Literal["UPGRADE", "DOWNGRADE", "UPDOWN", "WRITE", "READ", "WRITEREAD"]
    type: str = Field(min_length=1, max_length=NAME_CHARS_MAX)
    tags: list[str] | None = None
    params: dict[str, str] | None = None
    expr: str | None = None
    onSuccess: str | None = None
    onFailure: str | None = None
    disabled: bool | None = None


class RuleSetIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    migrationRules: list[RuleIn] | None = Field(default=None, max_length=RULES_MAX)
    domainRules: list[RuleIn] | None = Field(default=None, max_length=RULES_MAX)
    encodingRules: list[RuleIn] | None = Field(default=None, max_length=RULES_MAX)


def _problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def _dump(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_metadata(raw: object) -> str | None:
    """The canonical JSON of a request's `metadata`, None for none; 42201 when malformed."""
    if raw is None:
        return None
    try:
        metadata = MetadataIn.model_validate(raw)
    except ValidationError as exc:
        raise errors.InvalidSchema(f"Invalid metadata: {_problem(exc)}") from None
    body: dict[str, Any] = {}
    if metadata.tags is not None:
        body["tags"] = {path: sorted(set(tags)) for path, tags in metadata.tags.items()}
    if metadata.properties is not None:
        body["properties"] = metadata.properties
    if metadata.sensitive is not None:
        body["sensitive"] = sorted(set(metadata.sensitive))
    return _dump(body)


def canonical_rule_set(raw: object) -> str | None:
    """The canonical JSON of a request's `ruleSet`, None for none; 42201 when malformed."""
    if raw is None:
        return None
    try:
        rule_set = RuleSetIn.model_validate(raw)
    except ValidationError as exc:
        raise errors.InvalidSchema(f"Invalid rule set: {_problem(exc)}") from None
    body: dict[str, Any] = {}
    for field, modes in (
        ("migrationRules", MIGRATION_MODES),
        ("domainRules", DOMAIN_MODES),
        ("encodingRules", DOMAIN_MODES),
    ):
        rules: list[RuleIn] | None = getattr(rule_set, field)
        if rules is None:
            continue
        names: set[str] = set()
        for rule in rules:
            if rule.mode not in modes:
                raise errors.InvalidSchema(
                    f"Invalid rule set: rule {rule.name!r} of {field} has mode {rule.mode}; "
                    f"valid modes there are {', '.join(sorted(modes))}"
                )
            if rule.name in names:
                raise errors.InvalidSchema(
                    f"Invalid rule set: the name {rule.name!r} is used by two rules of {field}"
                )
            names.add(rule.name)
            _check_cel(field, rule)
        body[field] = [rule.model_dump(exclude_none=True) for rule in rules]
    return _dump(body)


def _check_cel(field: str, rule: RuleIn) -> None:
    """A CEL rule whose expression does not compile is refused, not stored to fail later on
    every producer."""
    if rule.type.upper() not in CEL_TYPES or not rule.expr:
        return
    problem = rule_language.problem(rule.expr)
    if problem is not None:
        raise errors.InvalidSchema(
            f"Invalid rule set: the expression of rule {rule.name!r} of {field} does not "
            f"compile as CEL: {problem}"
        )


def merge_metadata(old: str | None, new: str | None) -> str | None:
    """`new` over `old`: tags and sensitive names united, properties of `new` winning."""
    if old is None or new is None:
        return new if old is None else old
    a, b = json.loads(old), json.loads(new)
    merged: dict[str, Any] = {}
    tags = {**a.get("tags", {})}
    for path, values in b.get("tags", {}).items():
        tags[path] = sorted(set(tags.get(path, [])) | set(values))
    if tags:
        merged["tags"] = tags
    properties = {**a.get("properties", {}), **b.get("properties", {})}
    if properties or "properties" in a or "properties" in b:
        merged["properties"] = properties
    sensitive = set(a.get("sensitive", [])) | set(b.get("sensitive", []))
    if sensitive:
        merged["sensitive"] = sorted(sensitive)
    return _dump(merged)


def merge_rule_sets(old: str | None, new: str | None) -> str | None:
    """`new` over `old`, per list: a rule of `new` replaces the rule of `old` with its name."""
    if old is None or new is None:
        return new if old is None else old
    a, b = json.loads(old), json.loads(new)
    merged: dict[str, Any] = {}
    for field in ("migrationRules", "domainRules", "encodingRules"):
        if field not in a and field not in b:
            continue
        theirs = {rule["name"] for rule in b.get(field, [])}
        merged[field] = [r for r in a.get(field, []) if r["name"] not in theirs] + b.get(
            field, []
        )
    return _dump(merged)


@dataclass(frozen=True, slots=True)
class Contract:
    """A schema's metadata and rule set, each canonical JSON text or None."""

    metadata: str | None = None
    rule_set: str | None = None

    @property
    def empty(self) -> bool:
        return self.metadata is None and self.rule_set is None

    def property(self, key: str) -> str | None:
        if self.metadata is None:
            return None
        value = json.loads(self.metadata).get("properties", {}).get(key)
        return value if isinstance(value, str) else None

    def has_properties(self, wanted: dict[str, str]) -> bool:
        if self.metadata is None:
            return not wanted
        properties = json.loads(self.metadata).get("properties", {})
        return all(properties.get(k) == v for k, v in wanted.items())

    def as_json(self) -> tuple[Any, Any]:
        """(metadata, ruleSet) as JSON values for a response body."""
        return (
            None if self.metadata is None else json.loads(self.metadata),
            None if self.rule_set is None else json.loads(self.rule_set),
        )


NO_CONTRACT = Contract()


def identity(fingerprint: str, contract: Contract) -> str:
    """The identity of a schema: its text's fingerprint alone when it has no contract (so the
    rows stored before contracts existed keep theirs), else a digest of both."""
    if contract.empty:
        return fingerprint
    digest = hashlib.sha256()
    for part in (fingerprint, contract.metadata or "", contract.rule_set or ""):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
