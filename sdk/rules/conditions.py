"""The rule engine as a broker holds producers to it: a schema's WRITE and WRITEREAD
conditions on a decoded value, transforms skipped (a broker checks, it does not rewrite).

`write_conditions` is what `charter serve` hands the registry's `RegistryContracts`, which
must not import the SDK: a failure whose action is ERROR (or unset) refuses the record with the
rule's message; NONE and DLQ let it through (the broker has no dead-letter producer of the
client's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sdk.rules.engine import RuleEngine
from sdk.rules.errors import RuleError
from sdk.rules.model import WRITE

__all__ = ["write_conditions"]


def write_conditions(
    rule_set: str, metadata: str | None, schema_type: str, walked: Any,
    referenced: Mapping[str, Any] | None,
) -> Callable[[Any, str], str | None] | None:
    """What refuses a value of the schema — its (value, subject) → the refusal, or None when
    the value passes — or None when the schema has no rule that runs on write. `walked` is
    what `RuleEngine` walks fields with."""
    engine = RuleEngine.of(rule_set, metadata, schema_type, walked, referenced=referenced)
    if engine is None or not engine.runs_in(WRITE):
        return None

    def refusal(value: Any, subject: str) -> str | None:
        try:
            engine.run(WRITE, value, subject=subject, conditions_only=True)
        except RuleError as exc:
            return None if exc.action in ("NONE", "DLQ") else exc.message
        return None

    return refusal
