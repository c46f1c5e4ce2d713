"""Errors raised by the broker.

    BrokerError
    ├── LimitExceededError          a size or count is above its configured maximum
    ├── InvalidConfigError          a topic or broker setting is not acceptable
    ├── TopicExistsError            create_topic for a name already in use
    ├── UnknownTopicError           the topic does not exist
    ├── UnknownPartitionError       the partition number is outside the topic's partitions
    ├── OffsetOutOfRangeError       a fetch or seek below the log start or beyond its end
    ├── ContractViolationError      a produce batch was rejected by the topic's contract setting
    ├── CorruptBatchError           bytes on disk (or in a request) failed their checksum or shape
    ├── LogClosedError              the log or broker was closed
    ├── DataDirLockedError          another process owns the data directory
    ├── BusyError                   a concurrency limit is reached (e.g. long-polls); retry
    └── GroupError
        ├── UnknownGroupError       the group does not exist
        ├── GroupNotEmptyError      a delete of a group that still has members
        ├── UnknownMemberError      the member id is not (or no longer) in the group
        ├── StaleGenerationError    the caller's generation is not the group's current one
        └── NotAssignedError        a commit for a partition the member does not own

Every error carries its data as attributes and compares by value, so the HTTP layer can turn
it into a status code and a JSON body without parsing strings.
"""

from __future__ import annotations

__all__ = [
    "BrokerError",
    "BusyError",
    "ContractViolationError",
    "CorruptBatchError",
    "DataDirLockedError",
    "GroupError",
    "GroupNotEmptyError",
    "InvalidConfigError",
    "LimitExceededError",
    "LogClosedError",
    "NotAssignedError",
    "OffsetOutOfRangeError",
    "StaleGenerationError",
    "TopicExistsError",
    "UnknownGroupError",
    "UnknownMemberError",
    "UnknownPartitionError",
    "UnknownTopicError",
]


class BrokerError(Exception):
    """Base of every error raised by `broker`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), self.message))

    def __str__(self) -> str:
        return self.message


class LimitExceededError(BrokerError):
    """`limit` names the setting (e.g. `record_bytes_max`); `value` went above `maximum`."""

    def __init__(self, limit: str, value: int, maximum: int, *, what: str = "") -> None:
        subject = f"{what}: " if what else ""
        super().__init__(f"{subject}{limit} exceeded: {value} > {maximum}")
        self.limit = limit
        self.value = value
        self.maximum = maximum
        self.what = what


class InvalidConfigError(BrokerError):
    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"invalid {setting}: {reason}")
        self.setting = setting
        self.reason = reason


class TopicExistsError(BrokerError):
    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic!r} already exists")
        self.topic = topic


class UnknownTopicError(BrokerError):
    def __init__(self, topic: str) -> None:
        super().__init__(f"topic {topic!r} does not exist")
        self.topic = topic


class UnknownPartitionError(BrokerError):
    def __init__(self, topic: str, partition: int, partitions: int) -> None:
        super().__init__(
            f"topic {topic!r} has no partition {partition} (it has {partitions} partitions)"
        )
        self.topic = topic
        self.partition = partition
        self.partitions = partitions


class OffsetOutOfRangeError(BrokerError):
    def __init__(self, offset: int, log_start_offset: int, log_end_offset: int) -> None:
        super().__init__(
            f"offset {offset} is outside the log [{log_start_offset}, {log_end_offset}]"
        )
        self.offset = offset
        self.log_start_offset = log_start_offset
        self.log_end_offset = log_end_offset


class ContractViolationError(BrokerError):
    """Record `index` of a produce batch broke topic `topic`'s contract; nothing was appended."""

    def __init__(self, topic: str, index: int, reason: str) -> None:
        super().__init__(f"record {index} rejected by the contract of topic {topic!r}: {reason}")
        self.topic = topic
        self.index = index
        self.reason = reason


class CorruptBatchError(BrokerError):
    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"corrupt record batch at {where}: {reason}")
        self.where = where
        self.reason = reason


class LogClosedError(BrokerError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is closed")
        self.what = what


class DataDirLockedError(BrokerError):
    def __init__(self, data_dir: str) -> None:
        super().__init__(f"data directory {data_dir} is in use by another broker process")
        self.data_dir = data_dir


class GroupError(BrokerError):
    """Base of the consumer-group errors; `group` names the group."""

    def __init__(self, message: str, group: str) -> None:
        super().__init__(message)
        self.group = group


class UnknownGroupError(GroupError):
    def __init__(self, group: str) -> None:
        super().__init__(f"group {group!r} does not exist", group)


class GroupNotEmptyError(GroupError):
    def __init__(self, group: str, members: int) -> None:
        super().__init__(f"group {group!r} has {members} members; they must leave first", group)
        self.members = members


class UnknownMemberError(GroupError):
    def __init__(self, group: str, member_id: str) -> None:
        super().__init__(f"member {member_id!r} is not in group {group!r}", group)
        self.member_id = member_id


class StaleGenerationError(GroupError):
    def __init__(self, group: str, generation: int, current: int) -> None:
        super().__init__(
            f"generation {generation} of group {group!r} is stale; the current one is {current}",
            group,
        )
        self.generation = generation
        self.current = current


class NotAssignedError(GroupError):
    def __init__(self, group: str, member_id: str, topic: str, partition: int) -> None:
        super().__init__(
            f"member {member_id!r} of group {group!r} does not own {topic}[{partition}]", group
        )
        self.member_id = member_id
        self.topic = topic
        self.partition = partition


class BusyError(BrokerError):
    """`limit` (e.g. `long_polls_max`) of `maximum` concurrent operations is reached."""

    def __init__(self, limit: str, maximum: int) -> None:
        super().__init__(f"{limit} reached: {maximum} already in progress; retry shortly")
        self.limit = limit
        self.maximum = maximum
