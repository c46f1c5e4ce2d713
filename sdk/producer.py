"""`Producer`: validate and frame values through `Serializer`, then hand them to a transport."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sdk.dlq import rule_dead_letter
from sdk.errors import ConfigurationError
from sdk.registry import Registry
from sdk.rules import DeadLetterSink, RuleFailure
from sdk.serde import Serializer
from sdk.transports.base import Header, OutRecord, ProducerTransport
from sdk.transports.urls import open_producer

__all__ = ["HeadersInput", "KeyInput", "Producer", "encode_headers", "encode_key"]

KeyInput = str | bytes | None
HeadersInput = Mapping[str, str | bytes | None] | Sequence[tuple[str, str | bytes | None]] | None


def encode_key(key: KeyInput) -> bytes | None:
    if key is None or isinstance(key, bytes):
        return key
    if isinstance(key, str):
        return key.encode()
    raise ConfigurationError(f"a key is str, bytes or None, not {type(key).__name__}")


def encode_headers(headers: HeadersInput) -> tuple[Header, ...]:
    return tuple(_header_list(headers))


def _header_list(headers: HeadersInput) -> list[Header]:
    if not headers:
        return []
    # a dict first: isinstance against the Mapping ABC costs more than the encoding
    pairs = headers.items() if type(headers) is dict or isinstance(headers, Mapping) else headers
    return [(name, v.encode() if isinstance(v, str) else v) for name, v in pairs]


_new_record = tuple.__new__  # OutRecord(...) without its Python frame: one per event


class Producer:
    """Publishes values to topics of `broker` (a URL, see `sdk.transports`).

    Each value is validated and framed by a `Serializer` for the topic's subject
    (`<topic>-value`, latest version) unless `serializers` names one for the topic. Records are
    batched (`linger_ms`, `batch_size`) and keep their order per key; `flush()` waits for the
    broker's acknowledgement and raises `DeliveryError` for records it did not take. Other
    options go to the transport (e.g. `partitions` for topics the built-in broker creates,
    `config` for confluent-kafka).
    """

    def __init__(
        self,
        broker: str,
        *,
        registry: Registry,
        serializers: Mapping[str, Serializer] | None = None,
        linger_ms: float = 5.0,
        batch_size: int = 500,
        **options: Any,
    ) -> None:
        self.url = broker
        self.registry = registry
        self._serializers: dict[str, Serializer] = dict(serializers or {})
        self._transport: ProducerTransport = open_producer(
            broker, {"linger_ms": linger_ms, "batch_size": batch_size, **options}
        )
        self._closed = False

    def serializer(self, topic: str) -> Serializer:
        found = self._serializers.get(topic)
        if found is None:
            found = self._serializers[topic] = Serializer(
                self.registry, topic=topic, dead_letters=self.dead_letters_of(topic)
            )
        return found

    def dead_letters_of(self, topic: str) -> DeadLetterSink:
        """Where a rule with `onFailure: DLQ` sends the values of `topic` it refuses."""

        def send(failure: RuleFailure) -> None:
            target, record = rule_dead_letter(failure, topic)
            self._transport.send(target, [record])

        return send

    def publish(
        self, topic: str, value: Any, *, key: KeyInput = None, headers: HeadersInput = None
    ) -> None:
        """Validate, frame and queue `value` (a mapping or an `Event`).

        Raises `ValidationError` before anything is queued if the value breaks its contract.
        """
        sent = _header_list(headers)  # the serializer may add the schema-id header
        serializer = self._serializers.get(topic)
        if serializer is None:
            serializer = self.serializer(topic)
        data = serializer.serialize(value, sent)
        if self._closed:
            raise ConfigurationError("the producer is closed")
        if key is not None and type(key) is not bytes:
            key = encode_key(key)
        # the headers are encoded already: not through publish_bytes, which would again
        self._transport.send(topic, [_new_record(OutRecord, (data, key, tuple(sent)))])

    def publish_bytes(
        self,
        topic: str,
        value: bytes | None,
        *,
        key: KeyInput = None,
        headers: HeadersInput = None,
    ) -> None:
        """Queue already framed bytes as they are (dead letters, replays, tests)."""
        if self._closed:
            raise ConfigurationError("the producer is closed")
        self._transport.send(topic, [OutRecord(value, encode_key(key), encode_headers(headers))])

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait for every queued record to be acknowledged; `DeliveryError` names failures."""
        self._transport.flush(timeout_s)

    def close(self) -> None:
        """Flush, then release the transport (raises `DeliveryError` like `flush`)."""
        if self._closed:
            return
        self._closed = True
        self._transport.close()

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
