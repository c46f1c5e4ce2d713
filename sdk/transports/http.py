"""Charter's broker over its HTTP API (`charter serve`): `charter://host:port`.

A `broker.client.BrokerClient` is a `broker.BrokerAPI`, so the producer and the consumer are
the built-in broker's own (`sdk.transports.builtin`), the group logic included. `auth` (a key
and secret for HTTP Basic) or `token` (a bearer token) authenticate to `charter serve --auth
required`, as for `sdk.Registry`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from broker import BrokerError
from broker.client import BrokerClient
from sdk.credentials import credential_headers
from sdk.errors import ConfigurationError
from sdk.transports.builtin import BrokerConsumer, BrokerProducer

__all__ = ["HttpConsumer", "HttpProducer", "base_url"]


def base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "charter" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Charter broker URL is charter://host:port")
    return f"http://{parts.netloc}"


def _client(
    url: str, timeout_s: float, auth: tuple[str, str] | None, token: str | None
) -> tuple[BrokerClient, Callable[[], None]]:
    http = httpx.Client(
        base_url=base_url(url),
        timeout=timeout_s,
        auth=auth,
        headers=credential_headers(auth, token),
    )
    client = BrokerClient(client=http)

    def close() -> None:
        client.close()
        http.close()

    return client, close


class HttpProducer(BrokerProducer):
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        client, close = _client(url, timeout_s, auth, token)
        super().__init__(client, close, **options)


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
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        client, close = _client(url, timeout_s, auth, token)
        super().__init__(client, close, group, topics, auto_offset_reset, **options)
