"""Dead letters: a record the consumer cannot handle goes to `<topic>.dlq`, unchanged.

The dead letter keeps the record's key, value bytes and headers, and adds:

| header                        | value                                              |
|-------------------------------|----------------------------------------------------|
| `charter.dlq.error`           | the error's type, e.g. `WireFormatError`           |
| `charter.dlq.message`         | the error's message                                |
| `charter.dlq.topic`           | the original topic                                 |
| `charter.dlq.partition`       | the original partition (decimal)                   |
| `charter.dlq.offset`          | the original offset (decimal)                      |
| `charter.dlq.attempts`        | handler attempts made; 0 when the bytes did not decode |
| `charter.dlq.stage`           | `decode` or `handle`                               |

A value refused on publish by a data-contract rule whose `onFailure` is DLQ goes to the rule's
`dlq.topic` parameter, else to `<topic>.dlq`, as JSON, with confluent-kafka's headers
(`__rule.name`, `__rule.mode`, `__rule.subject`, `__rule.topic`, `__rule.exception`): a
serde reading it back skips the rule named there.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from sdk.rules import RuleFailure
from sdk.transports.base import Header, OutRecord, RawRecord

__all__ = [
    "DLQ_SUFFIX",
    "DeadLetter",
    "dead_letter_record",
    "dead_letter_topic",
    "read_dead_letter",
    "rule_dead_letter",
]

DLQ_SUFFIX = ".dlq"
PREFIX = "charter.dlq."


def dead_letter_topic(topic: str) -> str:
    return topic + DLQ_SUFFIX


def dead_letter_record(
    record: RawRecord, error: BaseException, *, attempts: int, stage: str
) -> OutRecord:
    added: tuple[Header, ...] = (
        (PREFIX + "error", type(error).__name__.encode()),
        (PREFIX + "message", str(error)[:4000].encode()),
        (PREFIX + "topic", record.topic.encode()),
        (PREFIX + "partition", str(record.partition).encode()),
        (PREFIX + "offset", str(record.offset).encode()),
        (PREFIX + "attempts", str(attempts).encode()),
        (PREFIX + "stage", stage.encode()),
    )
    kept = tuple(h for h in record.headers if not h[0].startswith(PREFIX))
    return OutRecord(record.value, record.key, kept + added)


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """What a dead letter's headers say about the record and why it failed."""

    error: str
    message: str
    topic: str
    partition: int
    offset: int
    attempts: int
    stage: str


def read_dead_letter(headers: tuple[Header, ...]) -> DeadLetter | None:
    """The dead-letter headers of a record, or None if it carries none."""
    found = {k[len(PREFIX) :]: (v or b"").decode() for k, v in headers if k.startswith(PREFIX)}
    if "error" not in found:
        return None
    return DeadLetter(
        found["error"],
        found.get("message", ""),
        found.get("topic", ""),
        int(found.get("partition", "-1")),
        int(found.get("offset", "-1")),
        int(found.get("attempts", "0")),
        found.get("stage", ""),
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    return str(value)


def rule_dead_letter(failure: RuleFailure, topic: str) -> tuple[str, OutRecord]:
    """(dead-letter topic, record) for a value a rule with `onFailure: DLQ` refused."""
    target = failure.rule.params.get("dlq.topic") or dead_letter_topic(topic)
    value = json.dumps(failure.value, default=_json_default, separators=(",", ":")).encode()
    headers: tuple[Header, ...] = (
        ("__rule.name", failure.rule.name.encode()),
        ("__rule.mode", failure.mode.encode()),
        ("__rule.subject", (failure.subject or "").encode()),
        ("__rule.topic", topic.encode()),
        ("__rule.exception", failure.reason[:4000].encode()),
    )
    return target, OutRecord(value, None, headers)
