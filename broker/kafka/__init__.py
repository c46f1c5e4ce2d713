"""Kafka's wire protocol for the built-in broker: any Kafka client produces and consumes.

`KafkaListener(broker, ListenerSettings(...)).start()` serves ApiVersions, Metadata, Produce,
Fetch, ListOffsets, the group APIs, InitProducerId and topic administration on an asyncio
server of its own thread, over the same topics, log and committed offsets as the HTTP API.
Messages are kio's (generated from Kafka's schemas); record batches are `broker.kafka.records`.
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
