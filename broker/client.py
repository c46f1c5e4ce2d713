"""A client for the broker's HTTP API (broker.http), for the CLI, the SDK and remote producers.

`BrokerClient` satisfies `broker.api.BrokerAPI` (its `groups`, `GroupsAPI`): the same methods,
the same frozen values and the same exceptions, equal to the ones the embedded broker raises.
Loads httpx and the record format, never fastapi.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import httpx

from broker import errors
from broker.api import (
    FETCH_BYTES_DEFAULT,
    FETCH_RECORDS_DEFAULT,
    Assignment,
    Assignor,
    FetchedRecords,
    GroupDescription,
    PartitionLag,
    TopicDescription,
    TopicPartition,
)
from broker.config import TopicConfig
from broker.errors import BrokerError
from broker.record import ProducerRecord
from broker.wire import (
    BATCH_MEDIA_TYPE,
    LOG_END_HEADER,
    LOG_START_HEADER,
    assignment_from_json,
    decode_fetch_body,
    decode_fetch_many_body,
    encode_produce_body,
    group_from_json,
    lag_from_json,
    topic_from_json,
)

__all__ = ["BrokerClient", "GroupsClient", "RemoteError"]


class RemoteError(BrokerError):
    """An error answer that is not one of the broker's own (a proxy, a validation error)."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"broker answered {status}: {body[:500]}")
        self.status = status
        self.body = body


def _raise_for(response: httpx.Response) -> None:
    if response.is_success:
        return
    try:
        data = response.json()
        cls = getattr(errors, str(data["error"]), None)
        if isinstance(cls, type) and issubclass(cls, BrokerError):
            raise cls(**data["detail"])
    except (ValueError, KeyError, TypeError):
        pass
    raise RemoteError(response.status_code, response.text)


class _Http:
    """The JSON calls under `/broker`, errors raised as the broker's exceptions."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, "/broker" + path, **kwargs)
        _raise_for(response)
        return None if response.status_code == 204 else response.json()


_MEMBERS_REMEMBERED_MAX = 1_000


class GroupsClient:
    """`GroupsAPI` over HTTP: the consumer groups of a remote broker.

    With `heartbeat_interval_ms` above 0, a heartbeat within that interval of the member's
    last answered call (join, sync, heartbeat or commit, all of which the broker counts as a
    sign of life and check the generation) is not sent: a group member's poll loop then makes
    one round trip per poll (the fetch) rather than two, and learns of a rebalance within the
    interval, as Kafka's clients do with `heartbeat.interval.ms`.
    """

    def __init__(self, http: _Http, heartbeat_interval_ms: int = 0) -> None:
        self._http = http
        self._interval_s = heartbeat_interval_ms / 1000
        # (group, member) -> (generation, time.monotonic() of its last answered call)
        self._alive: dict[tuple[str, str], tuple[int, float]] = {}

    def _answered(self, group: str, member_id: str | None, generation: int) -> None:
        if self._interval_s <= 0 or member_id is None:
            return
        if len(self._alive) >= _MEMBERS_REMEMBERED_MAX:
            self._alive.clear()
        self._alive[(group, member_id)] = (generation, time.monotonic())

    def _recently_answered(self, group: str, member_id: str, generation: int) -> bool:
        seen = self._alive.get((group, member_id))
        return (
            seen is not None
            and seen[0] == generation
            and time.monotonic() - seen[1] < self._interval_s
        )

    def join(
        self,
        group: str,
        topics: Iterable[str],
        *,
        member_id: str | None = None,
        session_timeout_ms: int = 10_000,
        assignor: Assignor = "range",
        client_id: str = "consumer",
    ) -> Assignment:
        body = {
            "topics": list(topics),
            "member_id": member_id,
            "session_timeout_ms": session_timeout_ms,
            "assignor": assignor,
            "client_id": client_id,
        }
        assignment = assignment_from_json(
            self._http.json("POST", f"/groups/{group}/members", json=body)
        )
        self._answered(group, assignment.member_id, assignment.generation)
        return assignment

    def heartbeat(self, group: str, member_id: str, generation: int) -> None:
        if self._recently_answered(group, member_id, generation):
            return
        self._http.json(
            "POST",
            f"/groups/{group}/members/{member_id}/heartbeat",
            json={"generation": generation},
        )
        self._answered(group, member_id, generation)

    def sync(self, group: str, member_id: str) -> Assignment:
        assignment = assignment_from_json(
            self._http.json("POST", f"/groups/{group}/members/{member_id}/sync")
        )
        self._answered(group, member_id, assignment.generation)
        return assignment

    def leave(self, group: str, member_id: str) -> None:
        self._alive.pop((group, member_id), None)
        self._http.json("DELETE", f"/groups/{group}/members/{member_id}")

    def commit(
        self,
        group: str,
        offsets: Mapping[TopicPartition, int],
        *,
        member_id: str | None = None,
        generation: int = -1,
    ) -> None:
        body = {
            "member_id": member_id,
            "generation": generation,
            "offsets": [{"topic": t, "partition": p, "offset": o} for (t, p), o in offsets.items()],
        }
        self._http.json("POST", f"/groups/{group}/offsets", json=body)
        if member_id is not None:
            self._answered(group, member_id, generation)

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        return self.describe(group).committed.get((topic, partition))

    def list_groups(self) -> list[str]:
        result: list[str] = self._http.json("GET", "/groups")
        return result

    def describe(self, group: str) -> GroupDescription:
        return group_from_json(self._http.json("GET", f"/groups/{group}"))

    def delete(self, group: str) -> None:
        self._http.json("DELETE", f"/groups/{group}")


class BrokerClient:
    """`BrokerAPI` over HTTP. `base_url` is the server's root (e.g. http://127.0.0.1:8081);
    pass `client` to reuse one. `heartbeat_interval_ms`: see `GroupsClient` (0: every
    heartbeat is sent)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8081",
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 70.0,
        heartbeat_interval_ms: int = 0,
    ) -> None:
        self._client = client or httpx.Client(base_url=base_url, timeout=timeout_s)
        self._owns = client is None
        self._http = _Http(self._client)
        self._groups = GroupsClient(self._http, heartbeat_interval_ms)

    @property
    def groups(self) -> GroupsClient:
        return self._groups

    def close(self) -> None:
        if self._owns:
            self._client.close()

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ topics

    def create_topic(self, name: str, config: TopicConfig | None = None) -> TopicDescription:
        body = {"name": name, **(config or TopicConfig()).to_json()}
        return topic_from_json(self._http.json("POST", "/topics", json=body))

    def list_topics(self) -> list[str]:
        result: list[str] = self._http.json("GET", "/topics")
        return result

    def describe_topic(self, name: str) -> TopicDescription:
        return topic_from_json(self._http.json("GET", f"/topics/{name}"))

    def alter_topic(self, name: str, **changes: Any) -> TopicDescription:
        return topic_from_json(self._http.json("PATCH", f"/topics/{name}", json=changes))

    def delete_topic(self, name: str) -> None:
        self._http.json("DELETE", f"/topics/{name}")

    def partition_count(self, name: str) -> int:
        return len(self.describe_topic(name).partitions)

    # ------------------------------------------------------------------ records

    def produce(
        self, topic: str, records: Sequence[ProducerRecord], *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        params = {} if partition is None else {"partition": partition}
        result = self._http.json(
            "POST",
            f"/topics/{topic}/records",
            # stamped here (Kafka's CreateTime), so the broker can append the bytes as they are
            content=encode_produce_body(records, default_timestamp_ms=time.time_ns() // 1_000_000),
            headers={"content-type": BATCH_MEDIA_TYPE},
            params=params,
        )
        return [(p, o) for p, o in result["offsets"]]

    def fetch(
        self,
        topic: str,
        partition: int,
        offset: int,
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
    ) -> FetchedRecords:
        response = self._client.get(
            f"/broker/topics/{topic}/partitions/{partition}/records",
            params={
                "offset": offset,
                "max_records": records_max,
                "max_bytes": bytes_max,
                "max_wait_ms": wait_ms,
            },
        )
        _raise_for(response)
        return FetchedRecords(
            decode_fetch_body(
                response.content, topic, partition, offset=offset, records_max=records_max
            ),
            int(response.headers[LOG_START_HEADER]),
            int(response.headers[LOG_END_HEADER]),
            len(response.content),
        )

    def fetch_many(
        self,
        positions: Mapping[TopicPartition, int],
        *,
        records_max: int = FETCH_RECORDS_DEFAULT,
        bytes_max: int = FETCH_BYTES_DEFAULT,
        wait_ms: int = 0,
    ) -> dict[TopicPartition, FetchedRecords]:
        body = {
            "positions": [
                {"topic": t, "partition": p, "offset": o} for (t, p), o in positions.items()
            ],
            "max_records": records_max,
            "max_bytes": bytes_max,
            "max_wait_ms": wait_ms,
        }
        response = self._client.post("/broker/fetch", json=body)
        _raise_for(response)
        return decode_fetch_many_body(response.content, positions, records_max=records_max)

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        result = self._http.json("GET", f"/topics/{topic}/partitions/{partition}/offsets")
        return result["log_start_offset"], result["log_end_offset"]

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        result = self._http.json(
            "GET",
            f"/topics/{topic}/partitions/{partition}/offsets",
            params={"timestamp_ms": timestamp_ms},
        )
        return int(result["offset_for_time"])

    def lag(self, group: str) -> list[PartitionLag]:
        return lag_from_json(self._http.json("GET", f"/groups/{group}/lag"))
