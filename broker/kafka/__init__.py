"""Kafka's wire protocol for the built-in broker: any Kafka client produces and consumes.

`KafkaListener(broker, ListenerSettings(...)).start()` serves ApiVersions, Metadata, Produce,
Fetch, ListOffsets, the group APIs, InitProducerId and topic administration on an asyncio
server of its own thread, over the same topics, log and committed offsets as the HTTP API.
Messages are kio's (generated from Kafka's schemas); record batches are read by
`broker.batch_v2` (aiokafka's compiled reader) and stored as they came (broker.record,
magic 2); `broker.kafka.records` checks produced ones and converts the log's own for a fetch.
"""

from broker.kafka.context import ListenerSettings
from broker.kafka.errors import KafkaListenerError, ListenerStartError
from broker.kafka.server import API_VERSIONS, KafkaListener

__all__ = [
    "API_VERSIONS",
    "KafkaListener",
    "KafkaListenerError",
    "ListenerSettings",
    "ListenerStartError",
]
