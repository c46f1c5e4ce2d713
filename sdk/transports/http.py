"""Charter's broker over its HTTP API (`charter serve`): `charter://host:port`.

A `broker.client.BrokerClient` is a `broker.BrokerAPI`, so the producer and the consumer are
the built-in broker's own (`sdk.transports.builtin`), the group logic included.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from broker import BrokerError
from broker.client import BrokerClient
from sdk.errors import ConfigurationError
from sdk.transports.builtin import BrokerConsumer, BrokerProducer

__all__ = ["HttpConsumer", "HttpProducer", "base_url"]


def base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "charter" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Charter broker URL is charter://host:port")
    return f"http://{parts.netloc}"


class HttpProducer(BrokerProducer):
    def __init__(self, url: str, *, timeout_s: float = 30.0, **options: Any) -> None:
        client = BrokerClient(base_url(url), timeout_s=timeout_s)
        super().__init__(client, client.close, **options)


class HttpConsumer(BrokerConsumer):
    failures = (BrokerError, httpx.HTTPError)

    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        timeout_s: float = 70.0,
        **options: Any,
    ) -> None:
        client = BrokerClient(base_url(url), timeout_s=timeout_s)
        super().__init__(client, client.close, group, topics, auto_offset_reset, **options)
