"""The rule language of data contracts: compiling CEL expressions (`CEL` and `CEL_FIELD` rules),
with Confluent's guard form `GUARD ; EXPR` (EXPR runs only where GUARD is true).

The registry refuses a rule set whose expressions do not compile (`problem`); the SDK's rule
engine runs the programs `program` compiles. Nothing here evaluates an expression. Programs are
kept in a bounded per-process cache; cel-python (`celpy`) takes most of a second to import and
build its parser, so both wait for the first expression.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING

from compat.errors import CompatError

if TYPE_CHECKING:
    import celpy

__all__ = [
    "EXPRESSION_CHARS_MAX",
    "PROGRAMS_MAX",
    "ExpressionError",
    "check_expression",
    "problem",
    "program",
    "split_guard",
]

PROGRAMS_MAX = 4096  # compiled expressions kept per process
EXPRESSION_CHARS_MAX = 16_384

_env: celpy.Environment | None = None
_programs: OrderedDict[str, celpy.Runner] = OrderedDict()
_lock = threading.Lock()


class ExpressionError(CompatError):
    """`expression` does not compile as CEL; `detail` is the compiler's message, one line."""

    def __init__(self, expression: str, detail: str) -> None:
        super().__init__(f"the expression does not compile as CEL: {detail}")
        self.expression = expression
        self.detail = detail


def _environment() -> celpy.Environment:
    global _env
    if _env is None:
        import celpy

        with _lock:
            if _env is None:
                _env = celpy.Environment()
    return _env


def split_guard(expr: str) -> tuple[str | None, str]:
    """(guard, expression): the text before the first `;` guards the rest, as in Confluent's
    executor; an empty guard is no guard."""
    guard, sep, rest = expr.partition(";")
    if not sep:
        return None, expr
    return (guard if guard.strip() else None), rest


def program(text: str) -> celpy.Runner:
    """`text` (one expression, no guard) compiled; `ExpressionError` when it does not compile."""
    with _lock:
        found = _programs.get(text)
        if found is not None:
            _programs.move_to_end(text)
            return found
    if len(text) > EXPRESSION_CHARS_MAX:
        raise ExpressionError(text, f"longer than {EXPRESSION_CHARS_MAX} characters")
    env = _environment()
    try:
        compiled = env.program(env.compile(text))
    except Exception as exc:  # celpy's parser raises CELParseError, lark errors, others
        raise ExpressionError(text, _detail(exc)) from None
    with _lock:
        _programs[text] = compiled
        while len(_programs) > PROGRAMS_MAX:
            _programs.popitem(last=False)
    return compiled


def _detail(exc: Exception) -> str:
    """celpy's parse error as one line: where it stopped, then the text it was reading (its
    message is the text with a caret under that column)."""
    line, column = getattr(exc, "line", None), getattr(exc, "column", None)
    shown = str(exc).splitlines()
    source = shown[0].strip() if shown else ""
    if isinstance(line, int) and isinstance(column, int):
        return f"{type(exc).__name__} at line {line}, column {column} of {source!r}"
    return " ".join(str(exc).split()) or type(exc).__name__


def check_expression(expr: str) -> None:
    """Raise `ExpressionError` unless `expr` (guard form included) compiles."""
    guard, body = split_guard(expr)
    if guard is not None:
        program(guard)
    program(body)


def problem(expr: str) -> str | None:
    """The compiler's message when `expr` (guard form included) does not compile, else None."""
    try:
        check_expression(expr)
    except ExpressionError as exc:
        return exc.detail
    return None
