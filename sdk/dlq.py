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
"""

from __future__ import annotations

from dataclasses import dataclass

from sdk.transports.base import Header, OutRecord, RawRecord

__all__ = [
    "DLQ_SUFFIX",
    "DeadLetter",
    "dead_letter_record",
    "dead_letter_topic",
    "read_dead_letter",
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
