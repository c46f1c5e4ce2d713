"""Errors of the Kafka listener, and the one place broker errors become Kafka error codes.

    KafkaListenerError
    ├── ProtocolViolation        the bytes are not a request we can answer: close the connection
    │   ├── FrameTooLargeError   a frame above the listener's request_bytes_max
    │   └── UnknownApiError      an API key or version the listener does not serve
    ├── RecordsError             a produced record batch is refused (the partition's error code)
    │   ├── CorruptRecordsError  the batch fails its CRC or does not parse: CORRUPT_MESSAGE
    │   └── UnsupportedRecordsError  old magic, compression codec or transactions: see `code`
    └── ListenerStartError       the listener could not bind its port

`error_code` maps every `broker.BrokerError` (and the listener's own refusals) to Kafka's
code, so each handler answers a refusal with the code a Kafka client expects.
"""

from __future__ import annotations

from kio.schema.errors import ErrorCode

from broker.errors import (
    BrokerError,
    ContractViolationError,
    CorruptBatchError,
    InvalidConfigError,
    LimitExceededError,
    LogClosedError,
    NotAssignedError,
    OffsetOutOfRangeError,
    StaleGenerationError,
    TopicExistsError,
    UnknownMemberError,
    UnknownPartitionError,
    UnknownTopicError,
)
from broker.producer_state import (
    DuplicateSequenceError,
    OutOfOrderSequenceError,
    ProducerFencedError,
)

__all__ = [
    "CorruptRecordsError",
    "ErrorCode",
    "FrameTooLargeError",
    "KafkaListenerError",
    "ListenerStartError",
    "ProtocolViolation",
    "RecordsError",
    "UnknownApiError",
    "UnsupportedRecordsError",
    "error_code",
]


class KafkaListenerError(Exception):
    """Base of the listener's errors."""


class ProtocolViolation(KafkaListenerError):
    """The connection is closed: Kafka's answer to a request it cannot parse."""


class FrameTooLargeError(ProtocolViolation):
    def __init__(self, size: int, maximum: int) -> None:
        super().__init__(f"request of {size} bytes is above request_bytes_max {maximum}")
        self.size = size
        self.maximum = maximum


class UnknownApiError(ProtocolViolation):
    def __init__(self, api_key: int, version: int) -> None:
        super().__init__(f"API key {api_key} version {version} is not served")
        self.api_key = api_key
        self.version = version


class RecordsError(KafkaListenerError):
    code: ErrorCode = ErrorCode.invalid_record


class CorruptRecordsError(RecordsError):
    code = ErrorCode.corrupt_message


class UnsupportedRecordsError(RecordsError):
    code = ErrorCode.invalid_record

    def __init__(self, message: str) -> None:
        super().__init__(message)
        if "compression" in message:
            self.code = ErrorCode.unsupported_compression_type


class ListenerStartError(KafkaListenerError):
    """The Kafka port could not be bound (in use, no permission, bad host)."""


_SIZE_LIMITS = {"record_bytes_max", "batch_bytes_max", "key_bytes_max"}


def error_code(exc: BaseException) -> ErrorCode:
    """Kafka's code for a refusal raised by the broker core or the listener."""
    if isinstance(exc, RecordsError):
        return exc.code
    if isinstance(exc, UnknownTopicError | UnknownPartitionError):
        return ErrorCode.unknown_topic_or_partition
    if isinstance(exc, OffsetOutOfRangeError):
        return ErrorCode.offset_out_of_range
    if isinstance(exc, ContractViolationError):
        return ErrorCode.invalid_record
    if isinstance(exc, CorruptBatchError):
        return ErrorCode.corrupt_message
    if isinstance(exc, TopicExistsError):
        return ErrorCode.topic_already_exists
    if isinstance(exc, LimitExceededError):
        if exc.limit in _SIZE_LIMITS:
            return ErrorCode.message_too_large
        if exc.limit == "batch_records_max":
            return ErrorCode.record_list_too_large
        if exc.limit == "partitions_max":
            return ErrorCode.invalid_partitions
        if exc.limit == "topic_name_bytes_max":
            return ErrorCode.invalid_topic_exception
        if exc.limit == "topics_max":
            return ErrorCode.policy_violation
        return ErrorCode.invalid_request
    if isinstance(exc, DuplicateSequenceError):
        return ErrorCode.duplicate_sequence_number
    if isinstance(exc, OutOfOrderSequenceError):
        return ErrorCode.out_of_order_sequence_number
    if isinstance(exc, ProducerFencedError):
        return ErrorCode.invalid_producer_epoch
    if isinstance(exc, InvalidConfigError):
        if exc.setting == "partitions":
            return ErrorCode.invalid_partitions
        if exc.setting == "topic name":
            return ErrorCode.invalid_topic_exception
        return ErrorCode.invalid_config
    if isinstance(exc, UnknownMemberError):
        return ErrorCode.unknown_member_id
    if isinstance(exc, StaleGenerationError | NotAssignedError):
        return ErrorCode.illegal_generation
    if isinstance(exc, LogClosedError):
        return ErrorCode.kafka_storage_error
    if isinstance(exc, BrokerError):
        return ErrorCode.unknown_server_error
    return ErrorCode.unknown_server_error
