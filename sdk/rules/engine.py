"""Running a schema's domain rules on a value, with Confluent's semantics.

Rules run in the order the rule set lists them on write and in reverse order on read. A rule
runs when it is not `disabled` and its mode is the operation's (WRITEREAD runs on both). Types:

| type        | kind      | what runs                                                        |
|-------------|-----------|------------------------------------------------------------------|
| `CEL`       | CONDITION | the expression with `message` bound to the value; false fails     |
| `CEL`       | TRANSFORM | the expression's result replaces the value                       |
| `CEL_FIELD` | CONDITION | per primitive field: `value`, `name`, `fullName`, `typeName`,  |
|             |           | `tags`, `message` (the record holding it); false fails          |
| `CEL_FIELD` | TRANSFORM | per primitive field, the result replaces the field's value       |

A rule of another type (ENCRYPT, JSONATA, ...) has no executor here and fails, as it does in
confluent-kafka without that executor registered; so does an expression that raises.

A failure takes the rule's `onFailure` action (ERROR when unset): ERROR raises `RuleError`;
DLQ hands the value to the dead-letter callback and then raises `RuleError` too, so the
call still fails as in confluent-kafka; NONE goes on with the next rule. A WRITEREAD rule may
name two actions, `WRITE_ACTION,READ_ACTION`. A record re-read from a dead-letter topic names
the rule that sent it there in its `__rule.name` header, and that rule is skipped.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sdk.rules import cel
from sdk.rules.errors import RuleCompileError, RuleError
from sdk.rules.fields import Field, FieldFailed, avro_inline_tags, walk_avro, walk_json
from sdk.rules.model import CONDITION, READ, WRITE, FieldTags, Rule, RuleSet

__all__ = ["DLQ_RULE_NAME_HEADER", "DeadLetterSink", "RuleEngine", "RuleFailure"]

DLQ_RULE_NAME_HEADER = "__rule.name"
ACTIONS = frozenset({"ERROR", "NONE", "DLQ"})


@dataclass(frozen=True, slots=True)
class RuleFailure:
    """What a DLQ action hands the dead-letter callback."""

    rule: Rule
    mode: str
    subject: str | None
    value: Any  # the value as it was when the rule failed
    reason: str


DeadLetterSink = Callable[[RuleFailure], None]


class _Failed(Exception):
    """Internal: a rule's verdict, turned into its action by `run`."""

    def __init__(self, reason: str, path: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


class RuleEngine:
    """The domain rules of one schema, ready to run on its values.

    `schema_type` is AVRO or JSON (Protobuf values take message-level CEL rules only);
    `schema` is fastavro's parsed schema (AVRO) or the JSON Schema document (JSON),
    `referenced` the schemas a JSON Schema's `$ref`s name.
    """

    def __init__(
        self,
        rule_set: RuleSet,
        schema_type: str,
        schema: Any,
        *,
        tags: FieldTags | None = None,
        referenced: Mapping[str, Any] | None = None,
    ) -> None:
        self.rule_set = rule_set
        self.schema_type = schema_type.upper()
        self.tags = tags or FieldTags()
        self._referenced = referenced
        self._schema = schema
        self._expanded: Any = None
        self._inline: dict[str, frozenset[str]] | None = None
        for rule in rule_set.domain_rules:  # fail at set-up, not at the first value
            if rule.type in ("CEL", "CEL_FIELD") and rule.expr and not rule.disabled:
                cel.check_expression(rule.expr, rule.name)

    @classmethod
    def of(
        cls, rule_set: str | None, metadata: str | None, schema_type: str, schema: Any,
        *, referenced: Mapping[str, Any] | None = None,
    ) -> RuleEngine | None:
        """The engine for a registered schema's `ruleSet`/`metadata` (JSON text), or None when
        it has no domain rules."""
        if not rule_set:
            return None
        rules = RuleSet.from_json(rule_set)
        if not rules.domain_rules:
            return None
        return cls(rules, schema_type, schema, tags=FieldTags.from_metadata(metadata),
                   referenced=referenced)

    def runs_in(self, mode: str) -> bool:
        return self.rule_set.runs_in(mode)

    def run(
        self,
        mode: str,
        value: Any,
        *,
        subject: str | None = None,
        headers: Any = None,
        dead_letters: DeadLetterSink | None = None,
        conditions_only: bool = False,
    ) -> Any:
        """`value` after the rules of `mode` (WRITE or READ) ran; raises `RuleError`.
        `conditions_only` skips transforms (a broker checks, it does not rewrite)."""
        if value is None:
            return value
        rules = list(self.rule_set.domain_rules)
        if mode == READ:
            rules.reverse()
        replayed = _replayed_rule(headers)
        copied = False
        for index, rule in enumerate(rules):
            if rule.disabled or not rule.runs_in(mode) or rule.name == replayed:
                continue
            if conditions_only and rule.kind != CONDITION:
                continue
            try:
                if rule.kind != CONDITION and not copied:
                    value, copied = copy.deepcopy(value), True  # never rewrite the caller's
                value = self._apply(rule, mode, value, rules, index)
            except Exception as exc:  # an executor that raises fails its rule, as in confluent's
                failed = (exc if isinstance(exc, _Failed)
                          else _Failed(f"{type(exc).__name__}: {exc}"))
                action = rule.action(rule.on_failure, mode) or "ERROR"
                self._act(action, rule, mode, value, failed.reason, failed.path, subject,
                          dead_letters)
                if rule.type not in ("CEL", "CEL_FIELD"):
                    return value  # Confluent stops at a rule with no executor
                continue
            action = rule.action(rule.on_success, mode) or "NONE"
            if action != "NONE":
                self._act(action, rule, mode, value, "onSuccess", "", subject, dead_letters)
        return value

    def _act(
        self, action: str, rule: Rule, mode: str, value: Any, reason: str, path: str,
        subject: str | None, dead_letters: DeadLetterSink | None,
    ) -> None:
        if action == "NONE":
            return
        if action not in ACTIONS:
            raise RuleError(rule.name, mode, f"no rule action {action!r} ({reason})",
                            path=path, action=action, subject=subject)
        if action == "DLQ" and dead_letters is not None:
            dead_letters(RuleFailure(rule, mode, subject, value, reason))
        raise RuleError(rule.name, mode, reason, path=path, action=action, subject=subject)

    def _apply(self, rule: Rule, mode: str, value: Any, rules: list[Rule], index: int) -> Any:
        if rule.type == "CEL":
            return self._message_rule(rule, value)
        if rule.type == "CEL_FIELD":
            if _shadowed(rule, mode, rules, index):
                return value
            return self._field_rule(rule, value)
        raise _Failed(f"no executor for rule type {rule.type or 'None'}")

    def _message_rule(self, rule: Rule, value: Any) -> Any:
        ran, result = self._evaluate(rule, {"message": cel.to_cel(value)})
        if rule.kind == CONDITION:
            if ran and not result:
                raise _Failed(_condition_failed(rule))
            return value
        if not ran:
            return value
        if result is None:
            raise _Failed("the transform gave null")
        return cel.from_cel(result)

    def _field_rule(self, rule: Rule, value: Any) -> Any:
        def visit(field: Field, field_value: Any) -> Any:
            if not field.is_primitive:
                return field_value
            full_name, name, type_name = cel.strings(field.full_name, field.name, field.type_name)
            bindings = {
                "value": cel.to_cel(field_value),
                "fullName": full_name,
                "name": name,
                "typeName": type_name,
                "tags": cel.string_list(sorted(field.tags)),
                "message": cel.to_cel(field.message),
            }
            ran, result = self._evaluate(rule, bindings, field.path)
            if rule.kind == CONDITION:
                return True if not ran else result
            return field_value if not ran else cel.from_cel(result)

        try:
            if self.schema_type == "AVRO":
                return walk_avro(self._avro_schema(), value, kind=rule.kind, rule_tags=rule.tags,
                                 tags=self.tags, inline=self._avro_inline(), visit=visit)
            if self.schema_type == "JSON":
                return walk_json(self._schema, value, kind=rule.kind, rule_tags=rule.tags,
                                 tags=self.tags, visit=visit, referenced=self._referenced)
        except FieldFailed as failed:
            raise _Failed(_condition_failed(rule), failed.field.path) from None
        raise _Failed(f"CEL_FIELD rules are not supported for {self.schema_type} schemas")

    def _evaluate(self, rule: Rule, bindings: dict[str, Any], path: str = "") -> tuple[bool, Any]:
        if not rule.expr:
            return False, None  # Confluent's executor passes a rule without an expression
        try:
            return cel.evaluate(rule.expr, bindings, rule.name)
        except RuleCompileError as exc:
            raise _Failed(exc.detail, path) from None
        except Exception as exc:  # celpy.CELEvalError, TypeError from mismatched operands
            detail = exc.args[0] if exc.args and isinstance(exc.args[0], str) else str(exc)
            raise _Failed(f"{type(exc).__name__}: {detail}", path) from None

    def _avro_schema(self) -> Any:
        if self._expanded is None:
            from fastavro.schema import expand_schema

            self._expanded = expand_schema(self._schema)
        return self._expanded

    def _avro_inline(self) -> dict[str, frozenset[str]]:
        if self._inline is None:
            self._inline = avro_inline_tags(self._avro_schema())
        return self._inline


def _condition_failed(rule: Rule) -> str:
    if rule.doc:
        return rule.doc
    if rule.expr:
        return f"expression failed: {rule.expr}"
    return "failed"


def _shadowed(rule: Rule, mode: str, rules: list[Rule], index: int) -> bool:
    """A field transform with the same tags as one that runs before it (write) or after it
    (read) is skipped: the same fields are transformed once."""
    others = rules[:index] if mode == WRITE else rules[index + 1:]
    return any(
        bool(rule.tags) and rule.kind != CONDITION and other.kind == rule.kind
        and other.mode == rule.mode and other.type == rule.type and other.tags == rule.tags
        for other in others
    )


def _replayed_rule(headers: Any) -> str | None:
    """The `__rule.name` header of a record re-read from a dead-letter topic (the last one)."""
    if not headers:
        return None
    pairs = headers.items() if isinstance(headers, Mapping) else headers
    found: Any = None
    for name, value in pairs:
        if name == DLQ_RULE_NAME_HEADER:
            found = value
    if isinstance(found, (bytes, bytearray)):
        try:
            return bytes(found).decode()
        except UnicodeDecodeError:
            return None
    return found if isinstance(found, str) else None
