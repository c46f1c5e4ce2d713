"""Broker URL → transport: `open_producer` and `open_consumer`.

The one module that knows every transport; each is imported on first use, so importing this
module (and `sdk`) loads none of them, and no transport imports this module back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from sdk.errors import ConfigurationError
from sdk.transports.base import ConsumerTransport, ProducerTransport

__all__ = ["SCHEMES", "open_consumer", "open_producer"]

SCHEMES = ("memory", "file", "charter", "kafka")


def _scheme(url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme not in SCHEMES:
        raise ConfigurationError(
            f"unknown broker URL {url!r}: use memory://, file:///path, charter://host:port "
            "or kafka://host:port"
        )
    return scheme


def open_producer(url: str, options: dict[str, Any]) -> ProducerTransport:
    scheme = _scheme(url)
    if scheme in ("memory", "file"):
        from sdk.transports.embedded import EmbeddedProducer

        return EmbeddedProducer(url, **options)
    if scheme == "charter":  # the Kafka listener when the server runs one, else HTTP
        from sdk.transports import charter

        return charter.open_producer(url, options)
    from sdk.transports.kafka import KafkaProducer

    return KafkaProducer(url, **options)


def open_consumer(
    url: str,
    *,
    group: str | None,
    topics: Sequence[str],
    auto_offset_reset: str,
    options: dict[str, Any],
) -> ConsumerTransport:
    scheme = _scheme(url)
    if scheme in ("memory", "file"):
        from sdk.transports.embedded import EmbeddedConsumer

        return EmbeddedConsumer(url, group, topics, auto_offset_reset, **options)
    if scheme == "charter":
        from sdk.transports import charter

        return charter.open_consumer(url, group, topics, auto_offset_reset, options)
    from sdk.transports.kafka import KafkaConsumer

    return KafkaConsumer(url, group, topics, auto_offset_reset, **options)
