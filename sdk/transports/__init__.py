"""Transports move framed bytes between the SDK and a broker; they know nothing of schemas.

| URL                             | transport                                                |
|---------------------------------|----------------------------------------------------------|
| `memory://[name]`               | Charter's broker in-process, in a temporary directory    |
| `file:///path`                  | Charter's broker in-process, on disk at `/path`          |
| `charter://host:port`           | `charter serve`: its Kafka listener, else its HTTP API   |
| `kafka://host:port[,host:port]` | Kafka (or a Kafka-protocol broker) through confluent-kafka |

`base` holds the protocols and records and imports no transport; `urls` maps a URL to its
transport, importing each on first use, so `import sdk` loads none of them. The two ways to
Charter's broker share `builtin` (a producer and a consumer over any `broker.BrokerAPI`);
`charter` picks, for `charter://`, the Kafka listener the server names or its HTTP API
(`?transport=http|kafka` forces one).
"""

from __future__ import annotations

from sdk.transports.base import (
    ConsumerTransport,
    Header,
    OutRecord,
    ProducerTransport,
    RawRecord,
    TopicPartition,
)
from sdk.transports.urls import open_consumer, open_producer

__all__ = [
    "ConsumerTransport",
    "Header",
    "OutRecord",
    "ProducerTransport",
    "RawRecord",
    "TopicPartition",
    "open_consumer",
    "open_producer",
]
