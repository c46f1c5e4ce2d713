"""The rule model: a schema's `ruleSet` and the field tags of its `metadata`, as the registry
returns them (Confluent's JSON shapes), frozen once per schema.

Only what execution needs is kept; the registry validated the shapes when it stored them, so
parsing here is lenient (an unknown field is ignored, a missing one takes Confluent's default).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

__all__ = ["FieldTags", "Rule", "RuleSet", "wildcard_match"]

WRITE, READ, WRITEREAD = "WRITE", "READ", "WRITEREAD"
CONDITION, TRANSFORM = "CONDITION", "TRANSFORM"


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule. `tags` limit a field rule to fields carrying one of them (none = every field)."""

    name: str
    mode: str
    type: str
    kind: str = TRANSFORM
    expr: str | None = None
    tags: frozenset[str] = frozenset()
    params: Mapping[str, str] = field(default_factory=dict)
    doc: str | None = None
    on_success: str | None = None
    on_failure: str | None = None
    disabled: bool = False

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Rule:
        return cls(
            name=str(raw.get("name", "")),
            mode=str(raw.get("mode", "")).upper(),
            type=str(raw.get("type", "")).upper(),
            kind=str(raw.get("kind") or TRANSFORM).upper(),
            expr=raw.get("expr"),
            tags=frozenset(raw.get("tags") or ()),
            params=dict(raw.get("params") or {}),
            doc=raw.get("doc"),
            on_success=raw.get("onSuccess"),
            on_failure=raw.get("onFailure"),
            disabled=bool(raw.get("disabled")),
        )

    def runs_in(self, mode: str) -> bool:
        """Whether the rule runs when a value is written (WRITE) or read (READ)."""
        return self.mode == mode or (self.mode == WRITEREAD and mode in (WRITE, READ))

    def action(self, outcome: str | None, mode: str) -> str | None:
        """The action named by `onSuccess`/`onFailure` (`outcome`) in `mode`: a WRITEREAD rule
        may name two, `WRITE_ACTION,READ_ACTION`."""
        if not outcome:
            return None
        if self.mode == WRITEREAD and "," in outcome:
            write, read = outcome.split(",", 1)
            return (write if mode == WRITE else read).strip() or None
        return outcome.strip()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The domain rules of a schema (migration and encoding rules are not executed)."""

    domain_rules: tuple[Rule, ...] = ()
    migration_rules: tuple[Rule, ...] = ()

    @classmethod
    def from_json(cls, text: str | Mapping[str, Any] | None) -> RuleSet:
        raw = json.loads(text) if isinstance(text, str) else (text or {})
        return cls(
            tuple(Rule.from_json(r) for r in raw.get("domainRules") or ()),
            tuple(Rule.from_json(r) for r in raw.get("migrationRules") or ()),
        )

    def runs_in(self, mode: str) -> bool:
        return any(r.runs_in(mode) for r in self.domain_rules)


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """Confluent's name wildcards: `?` one character and `*` any run within a dotted name
    segment, `**` any run across segments."""
    out: list[str] = []
    src = pattern.replace("**.*", "**")
    i = 0
    while i < len(src):
        c = src[i]
        i += 1
        if c == "*":
            if i < len(src) and src[i] == "*":
                out.append(".*")
                i += 1
            else:
                out.append("[^.]*")
        elif c == "?":
            out.append("[^.]")
        elif c == "\\" and i < len(src):
            out.append(re.escape(src[i]))
            i += 1
        else:
            out.append(re.escape(c))
    return re.compile("".join(out))


def wildcard_match(name: str, pattern: str) -> bool:
    return _wildcard(pattern).fullmatch(name) is not None


@dataclass(frozen=True, slots=True)
class FieldTags:
    """The `metadata.tags` of a schema: wildcard patterns of field full names → tags."""

    patterns: tuple[tuple[str, frozenset[str]], ...] = ()

    @classmethod
    def from_metadata(cls, text: str | Mapping[str, Any] | None) -> FieldTags:
        raw = json.loads(text) if isinstance(text, str) else (text or {})
        tags = raw.get("tags") or {}
        return cls(tuple((p, frozenset(t)) for p, t in tags.items()))

    def of(self, full_name: str) -> frozenset[str]:
        found: set[str] = set()
        for pattern, tags in self.patterns:
            if wildcard_match(full_name, pattern):
                found |= tags
        return frozenset(found)
