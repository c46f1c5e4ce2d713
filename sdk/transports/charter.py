"""`charter://host:port`: Charter's broker through its Kafka listener when it runs one, else HTTP.

Measured side by side (`bench/e2e.py`, docs/sdk.md), the SDK's Kafka transport at `charter
serve`'s Kafka listener moves several times the events per second of its HTTP API, so
`charter://` takes Kafka's protocol (confluent-kafka, `sdk.transports.kafka`) when it can:

1. `GET /broker/kafka` on the server, with the URL's credentials like any broker read, names
   the listener's advertised address and the SASL mechanisms it offers, or null when it is off;
2. a TCP connection to that address shows it reachable from here;
3. confluent-kafka imports, and the credentials fit a mechanism offered (`sdk.credentials`:
   a key and secret as SASL/PLAIN, a token as SASL/OAUTHBEARER).

When one of these fails the transport is the HTTP API (`sdk.transports.http`), decided once,
when the producer or consumer opens, and the reason logged at INFO (once per server and
reason, DEBUG after). `?transport=http` or `?transport=kafka` in the URL, or the option
`transport="http"|"kafka"`, forces a path: a forced Kafka raises `TransportError` (or
`ConfigurationError` for credentials) where the default (`auto`) falls back.

Options go to whichever transport is chosen: `timeout_s` is the HTTP API's, `config` (librdkafka
settings) the Kafka transport's; `assignor`, `client_id` and `bytes_max` become librdkafka's
`partition.assignment.strategy`, `client.id` and `fetch.max.bytes`.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx

from sdk.credentials import credential_headers, sasl_config
from sdk.errors import ConfigurationError, TransportError
from sdk.transports.base import ConsumerTransport, ProducerTransport

__all__ = [
    "TRANSPORTS",
    "CharterUrl",
    "KafkaEndpoint",
    "choose",
    "discover",
    "open_consumer",
    "open_producer",
    "parse_url",
]

log = logging.getLogger("sdk.transports")

TRANSPORTS = ("auto", "http", "kafka")
DISCOVERY_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class CharterUrl:
    netloc: str
    transport: str  # auto, http or kafka

    @property
    def http(self) -> str:
        """The URL the HTTP transport takes (no query)."""
        return f"charter://{self.netloc}"


def parse_url(url: str, option: str | None = None) -> CharterUrl:
    """`charter://host:port[?transport=auto|http|kafka]`, the option `transport` beside it."""
    parts = urlsplit(url)
    if "@" in parts.netloc:  # said before anything quotes the URL: it would quote the secret
        raise ConfigurationError(
            "a charter:// URL carries no credentials: pass auth=(key, secret) or token= "
            "(or set CHARTER_AUTH_KEY and CHARTER_AUTH_SECRET for the charter commands)"
        )
    if parts.scheme.lower() != "charter" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Charter broker URL is charter://host:port")
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    unknown = set(query) - {"transport"}
    if unknown:
        raise ConfigurationError(
            f"{url!r}: unknown URL parameter(s) {', '.join(sorted(unknown))}; "
            "charter:// takes ?transport=auto|http|kafka"
        )
    given = query.get("transport")
    if given is not None and option is not None and given.lower() != option.lower():
        raise ConfigurationError(
            f"{url!r} says transport={given} and the option says transport={option!r}"
        )
    transport = (given or option or "auto").lower()
    if transport not in TRANSPORTS:
        raise ConfigurationError(
            f"transport={transport!r}: charter:// goes through auto, http or kafka"
        )
    return CharterUrl(parts.netloc, transport)


@dataclass(frozen=True, slots=True)
class KafkaEndpoint:
    """What `GET /broker/kafka` answers of a server's Kafka listener."""

    bootstrap_servers: str
    host: str
    port: int
    sasl_mechanisms: tuple[str, ...]


class _NoKafka(Exception):
    """Why this server cannot be reached through Kafka's protocol from here."""


def discover(
    url: CharterUrl,
    *,
    auth: tuple[str, str] | None = None,
    token: str | None = None,
    timeout_s: float = DISCOVERY_TIMEOUT_S,
) -> KafkaEndpoint | None:
    """The server's Kafka listener, or None when it runs without one.

    `TransportError` when the server does not answer the question (unreachable, an older
    server without the route, credentials refused).
    """
    try:
        answer = httpx.get(
            f"http://{url.netloc}/broker/kafka",
            auth=auth,
            headers=credential_headers(auth, token),
            timeout=timeout_s,
            # plain HTTP: no certificates to load (loading the CA bundle cost more than the
            # request itself, on every producer and consumer opened)
            verify=False,
        )
    except httpx.HTTPError as exc:
        raise TransportError(f"cannot ask {url.netloc} for its Kafka listener: {exc}") from exc
    if answer.status_code != 200:
        raise TransportError(
            f"{url.netloc} answered {answer.status_code} to GET /broker/kafka: "
            f"{answer.text[:200]}"
        )
    try:
        found = answer.json()["listener"]
        if found is None:
            return None
        return KafkaEndpoint(
            bootstrap_servers=str(found["bootstrap_servers"]),
            host=str(found["host"]),
            port=int(found["port"]),
            sasl_mechanisms=tuple(str(m) for m in found["sasl_mechanisms"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise TransportError(
            f"{url.netloc}: GET /broker/kafka answered {answer.text[:200]!r}"
        ) from exc


def _reachable(listener: KafkaEndpoint, timeout_s: float) -> None:
    try:
        with socket.create_connection((listener.host, listener.port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise _NoKafka(
            f"its Kafka listener {listener.bootstrap_servers} is not reachable: {exc}"
        ) from exc


@dataclass(frozen=True, slots=True)
class Choice:
    """The path a `charter://` transport takes: `kafka` (with the librdkafka settings that
    authenticate) or `http` (with why not Kafka, when it was asked)."""

    transport: str
    bootstrap_servers: str = ""
    config: tuple[tuple[str, Any], ...] = ()
    reason: str = ""


def _kafka_choice(url: CharterUrl, auth: tuple[str, str] | None, token: str | None) -> Choice:
    try:
        import sdk.transports.kafka  # noqa: F401  (confluent-kafka and its C library)
    except ImportError as exc:
        raise _NoKafka(f"confluent-kafka cannot be imported: {exc}") from exc
    try:
        listener = discover(url, auth=auth, token=token)
    except TransportError as exc:
        raise _NoKafka(exc.message) from exc
    if listener is None:
        raise _NoKafka("it runs without a Kafka listener")
    try:
        sasl = sasl_config(auth, token, listener.sasl_mechanisms)
    except ConfigurationError as exc:
        raise _NoKafka(exc.message) from exc
    _reachable(listener, CONNECT_TIMEOUT_S)
    return Choice("kafka", listener.bootstrap_servers, tuple(sasl.items()))


_logged: set[tuple[str, str]] = set()
_logged_lock = threading.Lock()
_LOGGED_MAX = 1_000  # reasons quote errors, which vary: forget them all past this many


def _log_fallback(url: CharterUrl, reason: str) -> None:
    with _logged_lock:
        if len(_logged) >= _LOGGED_MAX:
            _logged.clear()
        first = (url.netloc, reason) not in _logged
        _logged.add((url.netloc, reason))
    level = logging.INFO if first else logging.DEBUG
    log.log(level, "charter://%s goes over HTTP: %s", url.netloc, reason)


def choose(url: CharterUrl, auth: tuple[str, str] | None, token: str | None) -> Choice:
    """Which path to take to `url` (see the module's docstring)."""
    if url.transport == "http":
        return Choice("http", reason="transport=http")
    try:
        return _kafka_choice(url, auth, token)
    except _NoKafka as exc:
        reason = str(exc)
        if url.transport == "kafka":
            raise TransportError(
                f"charter://{url.netloc}?transport=kafka: {reason}"
            ) from exc.__cause__
        _log_fallback(url, reason)
        return Choice("http", reason=reason)


_HTTP_ONLY = ("timeout_s",)
_KAFKA_ONLY = ("config",)


def _kafka_options(choice: Choice, options: dict[str, Any]) -> dict[str, Any]:
    """The options of the Kafka transport: the HTTP API's dropped, the group consumer's that
    librdkafka has mapped into `config` (the caller's `config` wins over both)."""
    given = {k: v for k, v in options.items() if k not in (*_HTTP_ONLY, "auth", "token")}
    # the listener closes idle connections (as Kafka does): not worth a line on stderr
    config: dict[str, Any] = {"log.connection.close": False, **dict(choice.config)}
    if "assignor" in given:
        config["partition.assignment.strategy"] = given.pop("assignor")
    if "client_id" in given:
        config["client.id"] = given.pop("client_id")
    if "bytes_max" in given:
        config["fetch.max.bytes"] = given.pop("bytes_max")
    given.pop("records_max", None)  # every poll says how many records it takes
    config.update(given.pop("config", None) or {})
    return {**given, "config": config}


def _http_options(options: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k not in _KAFKA_ONLY}


def _split(url: str, options: dict[str, Any]) -> tuple[CharterUrl, Choice, dict[str, Any]]:
    options = dict(options)
    parsed = parse_url(url, options.pop("transport", None))
    choice = choose(parsed, options.get("auth"), options.get("token"))
    return parsed, choice, options


def open_producer(url: str, options: dict[str, Any]) -> ProducerTransport:
    parsed, choice, options = _split(url, options)
    if choice.transport == "kafka":
        from sdk.transports.kafka import KafkaProducer

        return KafkaProducer(
            f"kafka://{choice.bootstrap_servers}", **_kafka_options(choice, options)
        )
    from sdk.transports.http import HttpProducer

    return HttpProducer(parsed.http, **_http_options(options))


def open_consumer(
    url: str,
    group: str | None,
    topics: Sequence[str],
    auto_offset_reset: str,
    options: dict[str, Any],
) -> ConsumerTransport:
    parsed, choice, options = _split(url, options)
    if choice.transport == "kafka":
        from sdk.transports.kafka import KafkaConsumer

        return KafkaConsumer(
            f"kafka://{choice.bootstrap_servers}",
            group,
            topics,
            auto_offset_reset,
            watermarks=True,  # Charter's listener reports its log end offsets exactly
            **_kafka_options(choice, options),
        )
    from sdk.transports.http import HttpConsumer

    return HttpConsumer(parsed.http, group, topics, auto_offset_reset, **_http_options(options))
