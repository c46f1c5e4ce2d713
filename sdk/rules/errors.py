"""Errors of the rule engine, inside the SDK's tree (`sdk.errors`).

    SdkError
    ├── ValidationError
    │   └── RuleError            a domain rule failed and its action says the call fails
    └── ConfigurationError
        └── RuleCompileError     a rule's CEL expression does not compile

A `RuleError` is a `ValidationError` because a broken data contract is a broken contract:
producers see it before anything is sent, consumers treat it like a schema violation (the
record goes to the dead-letter topic).
"""

from __future__ import annotations

from sdk.errors import ConfigurationError, ValidationError, Violation

__all__ = ["RuleCompileError", "RuleError"]


class RuleError(ValidationError):
    """Rule `rule` (mode `mode`) failed; `action` is what its `onFailure` said (ERROR or DLQ).

    `violations` holds one entry: the field's JSON pointer for a CEL_FIELD rule ('' for a
    message-level rule) and the rule's `doc`, or its expression, or the evaluation error.
    """

    def __init__(
        self,
        rule: str,
        mode: str,
        message: str,
        *,
        path: str = "",
        action: str = "ERROR",
        subject: str | None = None,
    ) -> None:
        super().__init__([Violation(path, f"rule {rule!r} ({mode}): {message}")], subject=subject)
        where = f" for subject {subject!r}" if subject else ""
        at = f" at {path}" if path else ""
        self.message = f"data-contract rule {rule!r} failed on {mode}{where}{at}: {message}"
        self.args = (self.message,)
        self.rule = rule
        self.mode = mode
        self.action = action


class RuleCompileError(ConfigurationError):
    """The expression of rule `rule` is not CEL; `detail` is the compiler's message."""

    def __init__(self, rule: str, expression: str, detail: str) -> None:
        super().__init__(f"the expression of rule {rule!r} does not compile: {detail}")
        self.rule = rule
        self.expression = expression
        self.detail = detail
