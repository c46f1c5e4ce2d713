"""Broker limits and topic settings: every size and count has a maximum, units last in names."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from broker.errors import InvalidConfigError, LimitExceededError

__all__ = [
    "CONTRACT_SETTINGS",
    "FLUSH_POLICIES",
    "ContractSetting",
    "FlushPolicy",
    "Limits",
    "TopicConfig",
    "check_limit",
    "validate_topic_name",
]

FlushPolicy = Literal["always", "interval_ms", "never"]
ContractSetting = Literal["none", "id", "validate"]
FLUSH_POLICIES: tuple[str, ...] = ("always", "interval_ms", "never")
CONTRACT_SETTINGS: tuple[str, ...] = ("none", "id", "validate")

_TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]+")
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """Broker-wide maxima. A request above one fails with `LimitExceededError` naming it."""

    topics_max: int = 1_000
    topic_name_bytes_max: int = 249
    partitions_max: int = 256
    record_bytes_max: int = 1 * MIB
    key_bytes_max: int = 64 * 1024
    headers_per_record_max: int = 64
    batch_records_max: int = 10_000
    batch_bytes_max: int = 16 * MIB
    fetch_records_max: int = 10_000
    fetch_bytes_max: int = 64 * MIB
    poll_timeout_ms_max: int = 60_000
    segment_bytes_min: int = 4 * 1024
    segment_bytes_max: int = 1024 * MIB
    fetch_partitions_max: int = 1_000
    groups_max: int = 1_000
    group_name_bytes_max: int = 255
    group_members_max: int = 1_000
    client_id_bytes_max: int = 255
    commit_partitions_max: int = 10_000
    session_timeout_ms_min: int = 100
    session_timeout_ms_max: int = 300_000


@dataclass(frozen=True, slots=True)
class TopicConfig:
    """A topic's settings. `None` for a retention setting means unbounded."""

    partitions: int = 1
    retention_ms: int | None = None
    retention_bytes: int | None = None
    segment_bytes: int = 64 * MIB
    segment_age_ms: int = 7 * 24 * 3600 * 1000
    index_interval_bytes: int = 4096
    flush: FlushPolicy = "always"
    flush_interval_ms: int = 1000
    contract: ContractSetting = "none"

    def validated(self, limits: Limits) -> TopicConfig:
        check_limit("partitions_max", self.partitions, limits.partitions_max, what="partitions")
        if self.partitions < 1:
            raise InvalidConfigError("partitions", "a topic has at least one partition")
        for name in ("retention_ms", "retention_bytes"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise InvalidConfigError(name, "must be null (unbounded) or at least 0")
        if not limits.segment_bytes_min <= self.segment_bytes <= limits.segment_bytes_max:
            raise InvalidConfigError(
                "segment_bytes",
                f"{self.segment_bytes} outside [{limits.segment_bytes_min}, "
                f"{limits.segment_bytes_max}]",
            )
        if self.segment_age_ms < 1:
            raise InvalidConfigError("segment_age_ms", "must be at least 1")
        if self.index_interval_bytes < 1:
            raise InvalidConfigError("index_interval_bytes", "must be at least 1")
        if self.flush not in FLUSH_POLICIES:
            raise InvalidConfigError("flush", f"{self.flush!r} is not one of {FLUSH_POLICIES}")
        if self.flush_interval_ms < 1:
            raise InvalidConfigError("flush_interval_ms", "must be at least 1")
        if self.contract not in CONTRACT_SETTINGS:
            raise InvalidConfigError(
                "contract", f"{self.contract!r} is not one of {CONTRACT_SETTINGS}"
            )
        return self

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TopicConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise InvalidConfigError(", ".join(sorted(unknown)), "not a topic setting")
        return cls(**data)

    def updated(self, **changes: Any) -> TopicConfig:
        return replace(self, **changes)


def check_limit(limit: str, value: int, maximum: int, *, what: str = "") -> None:
    if value > maximum:
        raise LimitExceededError(limit, value, maximum, what=what)


def validate_topic_name(name: str, limits: Limits) -> None:
    check_limit(
        "topic_name_bytes_max", len(name.encode()), limits.topic_name_bytes_max, what="topic name"
    )
    if not name or name in (".", "..") or not _TOPIC_NAME.fullmatch(name):
        raise InvalidConfigError(
            "topic name", f"{name!r}: use 1 or more of A-Z a-z 0-9 . _ - (not '.' or '..')"
        )
