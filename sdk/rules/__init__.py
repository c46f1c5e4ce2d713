"""Data-contract rules run by the SDK (and by the registry for the broker): CEL conditions
and transforms on messages (`CEL`) and on their fields (`CEL_FIELD`), as confluent-kafka's
rule executors run them. See `sdk.rules.engine` for the semantics."""

from sdk.rules.cel import check_expression
from sdk.rules.conditions import write_conditions
from sdk.rules.engine import DLQ_RULE_NAME_HEADER, DeadLetterSink, RuleEngine, RuleFailure
from sdk.rules.errors import RuleCompileError, RuleError
from sdk.rules.model import FieldTags, Rule, RuleSet, wildcard_match

__all__ = [
    "DLQ_RULE_NAME_HEADER",
    "DeadLetterSink",
    "FieldTags",
    "Rule",
    "RuleCompileError",
    "RuleEngine",
    "RuleError",
    "RuleFailure",
    "RuleSet",
    "check_expression",
    "wildcard_match",
    "write_conditions",
]
