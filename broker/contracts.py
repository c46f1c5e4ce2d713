"""Contract enforcement: the one thing the broker asks of the registry, as a Protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from broker.config import ContractSetting
from broker.errors import ContractViolationError

__all__ = [
    "WIRE_HEADER_BYTES",
    "WIRE_MAGIC",
    "Contracts",
    "check_values",
    "subject_for",
]

WIRE_MAGIC = 0
WIRE_HEADER_BYTES = 5  # magic byte, then the schema id as an unsigned big-endian u32


class Contracts(Protocol):
    """What the registry (or a test) supplies so the broker can enforce contracts."""

    def is_registered(self, subject: str, schema_id: int) -> bool:
        """Whether `schema_id` is a schema registered under `subject`."""
        ...

    def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
        """None if `payload` (the bytes after the 5-byte header) is valid, else the reason."""
        ...


def subject_for(topic: str) -> str:
    return f"{topic}-value"


def check_values(
    topic: str,
    setting: ContractSetting,
    values: Sequence[bytes | None],
    contracts: Contracts | None,
) -> None:
    """Raise ContractViolationError for the first value that breaks the topic's contract."""
    if setting == "none":
        return
    subject = subject_for(topic)
    registered: dict[int, bool] = {}  # one lookup per schema id per batch
    for index, value in enumerate(values):
        reason = _violation(subject, setting, value, contracts, registered)
        if reason is not None:
            raise ContractViolationError(topic, index, reason)


def _violation(
    subject: str,
    setting: ContractSetting,
    value: bytes | None,
    contracts: Contracts | None,
    registered: dict[int, bool],
) -> str | None:
    if value is None:
        return "the value is null; the topic requires the schema wire format"
    if len(value) < WIRE_HEADER_BYTES:
        return f"the value is {len(value)} bytes, shorter than the 5-byte wire-format header"
    if value[0] != WIRE_MAGIC:
        return f"the value starts with byte {value[0]}, not the wire-format magic byte 0"
    schema_id = int.from_bytes(value[1:5], "big")
    if contracts is None:
        return "the broker has no contract source configured"
    known = registered.get(schema_id)
    if known is None:
        known = registered[schema_id] = contracts.is_registered(subject, schema_id)
    if not known:
        return f"schema id {schema_id} is not registered under subject {subject!r}"
    if setting == "validate":
        reason = contracts.validate(subject, schema_id, bytes(value[5:]))
        if reason is not None:
            return f"the payload does not match schema id {schema_id}: {reason}"
    return None
