"""Charter's broker over its HTTP API (`charter serve`): `charter://host:port`.

Speaks through `broker.client.BrokerClient`; consumers run the embedded broker's group logic
(`broker.Consumer`) against an adapter that forwards each call over HTTP.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from broker import Assignment, BrokerError, ProducerRecord, TopicExistsError
from broker.client import BrokerClient
from sdk.errors import ConfigurationError, TransportError
from sdk.transports.base import TopicPartition
from sdk.transports.batching import BatchingProducer
from sdk.transports.embedded import LogConsumer

__all__ = ["HttpConsumer", "HttpProducer", "base_url"]


def base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "charter" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Charter broker URL is charter://host:port")
    return f"http://{parts.netloc}"


def ensure_topic(client: BrokerClient, topic: str, partitions: int) -> None:
    if topic in client.list_topics():
        return
    with contextlib.suppress(TopicExistsError):
        client.create_topic(topic, partitions=partitions)


class HttpProducer(BatchingProducer):
    def __init__(
        self,
        url: str,
        *,
        linger_ms: float = 5.0,
        batch_size: int = 500,
        partitions: int = 1,
        auto_create_topics: bool = True,
        timeout_s: float = 30.0,
    ) -> None:
        self.client = BrokerClient(base_url(url), timeout_s=timeout_s)
        super().__init__(
            linger_ms=linger_ms,
            batch_size=batch_size,
            partitions=partitions,
            auto_create_topics=auto_create_topics,
        )

    def _ensure_topic(self, topic: str) -> None:
        ensure_topic(self.client, topic, self.partitions)

    def _produce(self, topic: str, records: list[ProducerRecord]) -> None:
        self.client.produce(topic, records)

    def _release(self) -> None:
        self.client.close()


def _assignment(data: Mapping[str, Any]) -> Assignment:
    return Assignment(
        data["group"],
        data["member_id"],
        data["generation"],
        tuple((p["topic"], p["partition"]) for p in data["partitions"]),
    )


class _Fetched:
    def __init__(self, records: list[Any]) -> None:
        self.records = records


class _RemoteGroups:
    def __init__(self, client: BrokerClient) -> None:
        self.client = client

    def join(self, group: str, topics: Sequence[str], **options: Any) -> Assignment:
        return _assignment(self.client.join(group, topics, **options))

    def heartbeat(self, group: str, member_id: str, generation: int) -> None:
        self.client.heartbeat(group, member_id, generation)

    def sync(self, group: str, member_id: str) -> Assignment:
        return _assignment(self.client.sync(group, member_id))

    def leave(self, group: str, member_id: str) -> None:
        self.client.leave(group, member_id)

    def commit(
        self,
        group: str,
        offsets: Mapping[TopicPartition, int],
        *,
        member_id: str | None,
        generation: int,
    ) -> None:
        self.client.commit(group, offsets, member_id=member_id, generation=generation)

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        for row in self.client.lag(group):
            if row["topic"] == topic and row["partition"] == partition:
                committed: int | None = row["committed"]
                return committed
        return None


class _RemoteBroker:
    """The part of `broker.Broker` that `broker.Consumer` uses, over HTTP."""

    def __init__(self, client: BrokerClient) -> None:
        self.client = client
        self.groups = _RemoteGroups(client)

    def partition_count(self, topic: str) -> int:
        return len(self.client.describe_topic(topic)["partitions"])

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        return self.client.offsets(topic, partition)

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        return self.client.offset_for_time(topic, partition, timestamp_ms)

    def fetch_many(
        self,
        positions: Mapping[TopicPartition, int],
        *,
        records_max: int,
        bytes_max: int,
        wait_ms: int,
    ) -> dict[TopicPartition, _Fetched]:
        got = self.client.fetch_many(
            positions, max_records=records_max, max_bytes=bytes_max, max_wait_ms=wait_ms
        )
        return {(f.topic, f.partition): _Fetched(f.records) for f in got}


class HttpConsumer(LogConsumer):
    failures = (BrokerError, httpx.HTTPError)

    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        partitions: int = 1,
        auto_create_topics: bool = True,
        timeout_s: float = 70.0,
        **options: Any,
    ) -> None:
        self.client = BrokerClient(base_url(url), timeout_s=timeout_s)
        try:
            if auto_create_topics:
                for topic in topics:
                    ensure_topic(self.client, topic, partitions)
            super().__init__(
                _RemoteBroker(self.client), group, topics, auto_offset_reset, **options
            )
        except (BrokerError, httpx.HTTPError) as exc:
            self.client.close()
            raise TransportError(str(exc)) from exc
        except BaseException:
            self.client.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.client.close()
