"""Charter's built-in log broker: partitioned, segmented, checksummed logs with consumer groups.

Runs embedded (`Broker(data_dir)`, `Consumer`) or behind HTTP (`broker.http.create_router`,
spoken to with `broker.client.BrokerClient`). It imports nothing else of Charter's: contract
checks go through the `Contracts` protocol.
"""

from broker.broker import Broker, PartitionDescription, PartitionLag, TopicDescription
from broker.config import Limits, TopicConfig
from broker.consumer import Consumer
from broker.contracts import Contracts
from broker.errors import (
    BrokerError,
    ContractViolationError,
    CorruptBatchError,
    DataDirLockedError,
    GroupError,
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
from broker.groups import Assignment
from broker.log import FetchedRecords
from broker.placement import keyed_partition, murmur2
from broker.record import ConsumedRecord, ProducerRecord

__all__ = [
    "Assignment",
    "Broker",
    "BrokerError",
    "ConsumedRecord",
    "Consumer",
    "ContractViolationError",
    "Contracts",
    "CorruptBatchError",
    "DataDirLockedError",
    "FetchedRecords",
    "GroupError",
    "InvalidConfigError",
    "LimitExceededError",
    "Limits",
    "LogClosedError",
    "NotAssignedError",
    "OffsetOutOfRangeError",
    "PartitionDescription",
    "PartitionLag",
    "ProducerRecord",
    "StaleGenerationError",
    "TopicConfig",
    "TopicDescription",
    "TopicExistsError",
    "UnknownMemberError",
    "UnknownPartitionError",
    "UnknownTopicError",
    "keyed_partition",
    "murmur2",
]
