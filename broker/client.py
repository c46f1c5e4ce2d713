"""A client for the broker's HTTP API (broker.http), for the CLI and remote producers.

Errors come back as the broker's own exceptions, equal to the ones the embedded broker raises.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from broker import errors
from broker.errors import BrokerError
from broker.record import ProducerRecord
from broker.wire import (
    BATCH_MEDIA_TYPE,
    LOG_END_HEADER,
    LOG_START_HEADER,
    FetchedPartition,
    decode_fetch_body,
    decode_fetch_many_body,
    encode_produce_body,
)

__all__ = ["BrokerClient", "RemoteError"]


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


class BrokerClient:
    """`base_url` is the server's root (e.g. http://127.0.0.1:8081); pass `client` to reuse one."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8081",
        *,
        client: httpx.Client | None = None,
        timeout_s: float = 70.0,
    ) -> None:
        self._http = client or httpx.Client(base_url=base_url, timeout=timeout_s)
        self._owns = client is None

    def close(self) -> None:
        if self._owns:
            self._http.close()

    def __enter__(self) -> BrokerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._http.request(method, "/broker" + path, **kwargs)
        _raise_for(response)
        return None if response.status_code == 204 else response.json()

    # ------------------------------------------------------------------ topics

    def create_topic(self, name: str, **settings: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", "/topics", json={"name": name, **settings})
        return result

    def list_topics(self) -> list[str]:
        result: list[str] = self._json("GET", "/topics")
        return result

    def describe_topic(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/topics/{name}")
        return result

    def alter_topic(self, name: str, **changes: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._json("PATCH", f"/topics/{name}", json=changes)
        return result

    def delete_topic(self, name: str) -> None:
        self._json("DELETE", f"/topics/{name}")

    # ------------------------------------------------------------------ records

    def produce(
        self, topic: str, records: list[ProducerRecord], *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        params = {} if partition is None else {"partition": partition}
        result = self._json(
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
        max_records: int = 500,
        max_bytes: int = 1024 * 1024,
        max_wait_ms: int = 0,
    ) -> FetchedPartition:
        response = self._http.get(
            f"/broker/topics/{topic}/partitions/{partition}/records",
            params={
                "offset": offset,
                "max_records": max_records,
                "max_bytes": max_bytes,
                "max_wait_ms": max_wait_ms,
            },
        )
        _raise_for(response)
        return FetchedPartition(
            topic,
            partition,
            int(response.headers[LOG_START_HEADER]),
            int(response.headers[LOG_END_HEADER]),
            decode_fetch_body(
                response.content, topic, partition, offset=offset, records_max=max_records
            ),
        )

    def fetch_many(
        self,
        positions: Mapping[tuple[str, int], int],
        *,
        max_records: int = 500,
        max_bytes: int = 1024 * 1024,
        max_wait_ms: int = 0,
    ) -> list[FetchedPartition]:
        body = {
            "positions": [
                {"topic": t, "partition": p, "offset": o} for (t, p), o in positions.items()
            ],
            "max_records": max_records,
            "max_bytes": max_bytes,
            "max_wait_ms": max_wait_ms,
        }
        response = self._http.post("/broker/fetch", json=body)
        _raise_for(response)
        return decode_fetch_many_body(response.content, positions)

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        result = self._json("GET", f"/topics/{topic}/partitions/{partition}/offsets")
        return result["log_start_offset"], result["log_end_offset"]

    def offset_for_time(self, topic: str, partition: int, timestamp_ms: int) -> int:
        result = self._json(
            "GET",
            f"/topics/{topic}/partitions/{partition}/offsets",
            params={"timestamp_ms": timestamp_ms},
        )
        return int(result["offset_for_time"])

    # ------------------------------------------------------------------ groups

    def list_groups(self) -> list[str]:
        result: list[str] = self._json("GET", "/groups")
        return result

    def describe_group(self, group: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("GET", f"/groups/{group}")
        return result

    def lag(self, group: str) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._json("GET", f"/groups/{group}/lag")
        return result

    def join(self, group: str, topics: Sequence[str], **options: Any) -> dict[str, Any]:
        body = {"topics": list(topics), **options}
        result: dict[str, Any] = self._json("POST", f"/groups/{group}/members", json=body)
        return result

    def heartbeat(self, group: str, member_id: str, generation: int) -> None:
        self._json(
            "POST",
            f"/groups/{group}/members/{member_id}/heartbeat",
            json={"generation": generation},
        )

    def sync(self, group: str, member_id: str) -> dict[str, Any]:
        result: dict[str, Any] = self._json("POST", f"/groups/{group}/members/{member_id}/sync")
        return result

    def leave(self, group: str, member_id: str) -> None:
        self._json("DELETE", f"/groups/{group}/members/{member_id}")

    def commit(
        self,
        group: str,
        offsets: Mapping[tuple[str, int], int],
        *,
        member_id: str | None = None,
        generation: int = -1,
    ) -> None:
        body = {
            "member_id": member_id,
            "generation": generation,
            "offsets": [{"topic": t, "partition": p, "offset": o} for (t, p), o in offsets.items()],
        }
        self._json("POST", f"/groups/{group}/offsets", json=body)
