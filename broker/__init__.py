"""Charter's built-in log broker: partitioned, segmented, checksummed logs with consumer groups.

Runs embedded (`Broker(data_dir)`, `Consumer`) or behind HTTP (`broker.http.create_router`,
spoken to with `broker.client.BrokerClient`); both satisfy `BrokerAPI` and answer with the
same values (broker.api). It imports nothing else of Charter's: contract checks go through
the `Contracts` protocol.
"""

from broker.api import (
    Assignment,
    BrokerAPI,
    FetchedRecords,
    GroupDescription,
    GroupsAPI,
    MemberDescription,
    PartitionDescription,
    PartitionLag,
    TopicDescription,
)
from broker.broker import Broker
from broker.config import Limits, TopicConfig
from broker.consumer import Consumer
from broker.contracts import Contracts
from broker.errors import (
    BrokerError,
    BusyError,
    ContractViolationError,
    CorruptBatchError,
    DataDirLockedError,
    GroupError,
    GroupNotEmptyError,
    InvalidConfigError,
    LimitExceededError,
    LogClosedError,
    NotAssignedError,
    OffsetOutOfRangeError,
    StaleGenerationError,
    TopicExistsError,
    UnknownGroupError,
    UnknownMemberError,
    UnknownPartitionError,
    UnknownTopicError,
)
from broker.observer import BrokerObserver
from broker.placement import keyed_partition, murmur2
from broker.record import ConsumedRecord, ProducerRecord

__all__ = [
    "Assignment",
    "Broker",
    "BrokerAPI",
    "BrokerError",
    "BrokerObserver",
    "BusyError",
    "ConsumedRecord",
    "Consumer",
    "ContractViolationError",
    "Contracts",
    "CorruptBatchError",
    "DataDirLockedError",
    "FetchedRecords",
    "GroupDescription",
    "GroupError",
    "GroupNotEmptyError",
    "GroupsAPI",
    "InvalidConfigError",
    "LimitExceededError",
    "Limits",
    "LogClosedError",
    "MemberDescription",
    "NotAssignedError",
    "OffsetOutOfRangeError",
    "PartitionDescription",
    "PartitionLag",
    "ProducerRecord",
    "StaleGenerationError",
    "TopicConfig",
    "TopicDescription",
    "TopicExistsError",
    "UnknownGroupError",
    "UnknownMemberError",
    "UnknownPartitionError",
    "UnknownTopicError",
    "keyed_partition",
    "murmur2",
]
