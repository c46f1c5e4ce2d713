"""The broker's HTTP API: `create_router(broker)` returns a FastAPI router under `/broker`.

Produce and fetch carry record batches as binary bodies of media type BATCH_MEDIA_TYPE, in
the log's own format (broker.record), so they are checksummed end to end:

- produce: `POST /broker/topics/{topic}/records[?partition=N]` with one batch as the body.
  Its base offset is ignored (the broker assigns offsets); a record timestamp below 0 means
  "stamp it on append". A batch whose records all carry timestamps and that goes to one
  partition (an explicit one, or no keys) is verified and appended as it came. The answer
  is JSON: `{"offsets": [[partition, offset], ...]}`.
- fetch: `GET /broker/topics/{topic}/partitions/{p}/records?offset=…` answers with the
  batches holding the records from `offset` on, concatenated, as they are on disk (checksums
  verified on the way out); an empty body when there are none. Batches are whole: the first
  may hold records before `offset` and the last may go past `max_records`, so readers skip
  and trim (`decode_fetch_body` does). Headers `Charter-Log-Start-Offset` and
  `Charter-Log-End-Offset` carry the log's bounds.
- fetch many: `POST /broker/fetch` with JSON positions long-polls several partitions at once
  (what a group member does) and answers with FETCH_MEDIA_TYPE: per partition asked for,

      size type field
      2    u16  topic_length
      t         topic, UTF-8
      4    u32  partition
      8    i64  log_start_offset
      8    i64  log_end_offset
      4    u32  batches_length      0 when there are no records
      b         batches (broker.record), concatenated, as for the single fetch

Errors are JSON `{"error_code", "error", "message", "detail"}`; `error` is the name of the
broker's exception and `detail` its attributes.

- Kafka listener: `GET /broker/kafka` answers where Kafka clients reach the same broker,
  `{"listener": {"host", "port", "bootstrap_servers", "security_protocol", "sasl_mechanisms"}}`
  (the advertised address; SASL mechanisms offered with `--auth required`), or
  `{"listener": null}` when `charter serve` runs without it. The SDK's `charter://` reads it to
  choose the Kafka protocol over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from broker.api import Assignor
from broker.broker import Broker
from broker.config import Limits, TopicConfig, check_limit
from broker.errors import (
    BrokerError,
    BusyError,
    ContractViolationError,
    CorruptBatchError,
    DataDirLockedError,
    GroupNotEmptyError,
    InvalidConfigError,
    LimitExceededError,
    LogClosedError,
    NotAssignedError,
    OffsetOutOfRangeError,
    StaleGenerationError,
    TopicExistsError,
    UnknownGroupError,
    UnknownMemberError,
    UnknownPartitionError,
    UnknownTopicError,
)
from broker.log import RawBatches
from broker.wire import (
    BATCH_MEDIA_TYPE,
    FETCH_MEDIA_TYPE,
    FETCH_PARTITION,
    FETCH_TOPIC,
    LOG_END_HEADER,
    LOG_START_HEADER,
    assignment_to_json,
    group_to_json,
    lag_to_json,
    topic_to_json,
)

__all__ = [
    "JSON_BODY_BYTES_MAX",
    "LONG_POLLS_MAX_DEFAULT",
    "KafkaAddress",
    "body_limits",
    "create_router",
]

LONG_POLLS_MAX_DEFAULT = 1000
JSON_BODY_BYTES_MAX = 4 * 1024 * 1024  # a commit of commit_partitions_max offsets fits
_BATCH_ENVELOPE_BYTES = 64 * 1024
# fetches that meet a log busy with an append read from threads of their own, this many
_BUSY_READS_MAX = 4


def body_limits(limits: Limits) -> list[tuple[str, int]]:
    """(path pattern, bytes) per route family, for a body-limit middleware in front of the
    app: produce takes one batch of up to `batch_bytes_max`, every other route JSON."""
    return [
        (r"/broker/topics/[^/]+/records$", limits.batch_bytes_max + _BATCH_ENVELOPE_BYTES),
        (r"/broker/", JSON_BODY_BYTES_MAX),
    ]

# status, then a Confluent-style error code (status * 100 + n)
_STATUS: list[tuple[type[BrokerError], int, int]] = [
    (UnknownTopicError, 404, 40401),
    (UnknownPartitionError, 404, 40402),
    (UnknownMemberError, 404, 40403),
    (UnknownGroupError, 404, 40404),
    (GroupNotEmptyError, 409, 40904),
    (TopicExistsError, 409, 40901),
    (StaleGenerationError, 409, 40902),
    (NotAssignedError, 409, 40903),
    (OffsetOutOfRangeError, 416, 41601),
    (LimitExceededError, 413, 41301),
    (ContractViolationError, 422, 42201),
    (InvalidConfigError, 422, 42202),
    (CorruptBatchError, 400, 40001),
    (LogClosedError, 503, 50301),
    (DataDirLockedError, 503, 50302),
    (BusyError, 503, 50303),
]


def _error_response(exc: BrokerError) -> JSONResponse:
    status, code = 500, 50001
    for cls, s, c in _STATUS:
        if isinstance(exc, cls):
            status, code = s, c
            break
    detail = {k: v for k, v in vars(exc).items() if k != "message"}
    return JSONResponse(
        {
            "error_code": code,
            "error": type(exc).__name__,
            "message": exc.message,
            "detail": detail,
        },
        status_code=status,
        headers={"Retry-After": "1"} if isinstance(exc, BusyError) else None,
    )


class _BrokerRoute(APIRoute):
    """Turns the broker's exceptions into JSON error answers (routers have no handlers)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except BrokerError as exc:
                return _error_response(exc)

        return handler


class _AppendSignal:
    """Wakes the event loop's long-polls when the broker appends (from any thread).

    A long-poll registers a future, re-reads its partitions and awaits the future with its
    remaining time: no worker thread is held while it waits. An append resolves every
    registered future through `call_soon_threadsafe`, once per loop turn at most.
    """

    def __init__(self, broker: Broker) -> None:
        self._futures: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._lock = threading.Lock()
        self._remove: Callable[[], None] | None = None
        self._broker = broker

    def register(self) -> asyncio.Future[None]:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop:  # a new app lifetime (or test client): start afresh
                self._loop, self._futures, self._scheduled = loop, set(), False
            if self._remove is None:
                self._remove = self._broker.add_append_listener(self._appended)
            future: asyncio.Future[None] = loop.create_future()
            self._futures.add(future)
        return future

    def discard(self, future: asyncio.Future[None]) -> None:
        with self._lock:
            self._futures.discard(future)

    def _appended(self) -> None:
        with self._lock:
            if not self._futures or self._scheduled or self._loop is None:
                return
            self._scheduled = True
            loop = self._loop
        with contextlib.suppress(RuntimeError):  # the loop has closed
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        with self._lock:
            futures, self._futures, self._scheduled = self._futures, set(), False
        for future in futures:
            if not future.done():
                future.set_result(None)


@dataclass(frozen=True, slots=True)
class KafkaAddress:
    """Where Kafka clients reach this broker: the listener's advertised host and bound port,
    and the SASL mechanisms it offers (none: no SASL, `--auth none`)."""

    host: str
    port: int
    sasl_mechanisms: tuple[str, ...] = ()

    @property
    def bootstrap_servers(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


# ---------------------------------------------------------------------- request models


class TopicCreate(BaseModel):
    name: str
    partitions: int = 1
    retention_ms: int | None = None
    retention_bytes: int | None = None
    segment_bytes: int | None = None
    segment_age_ms: int | None = None
    index_interval_bytes: int | None = None
    flush: str = "always"
    flush_interval_ms: int | None = None
    contract: str = "none"


class TopicPatch(BaseModel):
    partitions: int | None = None
    retention_ms: int | None = None
    retention_bytes: int | None = None
    segment_bytes: int | None = None
    segment_age_ms: int | None = None
    index_interval_bytes: int | None = None
    flush: str | None = None
    flush_interval_ms: int | None = None
    contract: str | None = None


class JoinRequest(BaseModel):
    topics: list[str]
    member_id: str | None = None
    session_timeout_ms: int = 10_000
    assignor: Assignor = "range"
    client_id: str = "consumer"


class HeartbeatRequest(BaseModel):
    generation: int


class PartitionOffset(BaseModel):
    topic: str
    partition: int
    offset: int = Field(ge=0)


class FetchRequest(BaseModel):
    positions: list[PartitionOffset]
    max_records: int = Field(500, ge=1)
    max_bytes: int = Field(1024 * 1024, ge=1)
    max_wait_ms: int = Field(0, ge=0)


class CommitRequest(BaseModel):
    offsets: list[PartitionOffset]
    member_id: str | None = None
    generation: int = -1


class KafkaListenerInfo(BaseModel):
    host: str = Field(description="The host name the listener advertises to Kafka clients")
    port: int
    bootstrap_servers: str = Field(description="host:port, as `bootstrap.servers` takes it")
    security_protocol: str = Field(description="PLAINTEXT, or SASL_PLAINTEXT with SASL")
    sasl_mechanisms: list[str] = Field(description="PLAIN (API keys), OAUTHBEARER (tokens)")


class KafkaDiscovery(BaseModel):
    listener: KafkaListenerInfo | None = Field(
        description="The Kafka listener of this broker, or null when it runs without one"
    )


# ---------------------------------------------------------------------- the router


def create_router(
    broker: Broker,
    *,
    long_polls_max: int = LONG_POLLS_MAX_DEFAULT,
    kafka: KafkaAddress | None = None,
) -> APIRouter:
    """The broker's API under `/broker`, bound to `broker`.

    At most `long_polls_max` fetches wait for records at once; one more answers 503 (50303)
    with `Retry-After`. `kafka` is the broker's Kafka listener, which `GET /broker/kafka`
    names (None: it runs without one).
    """
    router = APIRouter(
        prefix="/broker",
        tags=["broker"],
        route_class=_BrokerRoute,
        default_response_class=JSONResponse,
    )
    limits = broker.limits

    signal = _AppendSignal(broker)
    waiting = 0
    busy_reads = anyio.CapacityLimiter(_BUSY_READS_MAX)

    def _busy(positions: dict[tuple[str, int], int]) -> bool:
        """Whether an append holds one of the partitions' logs now (through its fsync)."""
        for topic, partition in positions:
            try:
                if broker.offsets_if_free(topic, partition) is None:
                    return True
            except BrokerError:
                return False  # the read raises it
        return False

    async def _read(
        positions: dict[tuple[str, int], int], records_max: int, bytes_max: int
    ) -> dict[tuple[str, int], RawBatches]:
        # Reading what is there is quick: it happens on the event loop, unless a log is busy.
        # An append holds its log's lock through the fsync, and a read waiting for it there
        # would stall every request of the server: the HTTP producer's deliveries append
        # partition after partition, and each append wakes the waiting fetches, which then
        # read the partition being appended next.
        read = functools.partial(
            broker.fetch_many_batches,
            positions, records_max=records_max, bytes_max=bytes_max, wait_ms=0,
        )
        if _busy(positions):
            # a few threads of their own: reads blocked on busy logs never take the threads
            # that produce requests run on
            return await anyio.to_thread.run_sync(read, limiter=busy_reads)
        return read()

    async def _fetch_batches(
        positions: dict[tuple[str, int], int], records_max: int, bytes_max: int, wait_ms: int
    ) -> dict[tuple[str, int], RawBatches]:
        # A wait for records awaits the append signal, so it holds no worker thread.
        nonlocal waiting
        got = await _read(positions, records_max, bytes_max)
        if wait_ms == 0 or any(g.batches for g in got.values()):
            return got
        check_limit("poll_timeout_ms_max", wait_ms, limits.poll_timeout_ms_max, what="fetch")
        if waiting >= long_polls_max:
            raise BusyError("long_polls_max", long_polls_max)
        waiting += 1
        try:
            deadline = time.monotonic() + wait_ms / 1000
            with broker.long_poll():
                while True:
                    future = signal.register()
                    try:
                        got = await _read(positions, records_max, bytes_max)
                        remaining = deadline - time.monotonic()
                        if remaining <= 0 or any(g.batches for g in got.values()):
                            return got
                        await asyncio.wait([future], timeout=remaining)
                    finally:
                        signal.discard(future)
        finally:
            waiting -= 1

    discovery = KafkaDiscovery(
        listener=None
        if kafka is None
        else KafkaListenerInfo(
            host=kafka.host,
            port=kafka.port,
            bootstrap_servers=kafka.bootstrap_servers,
            security_protocol="SASL_PLAINTEXT" if kafka.sasl_mechanisms else "PLAINTEXT",
            sasl_mechanisms=list(kafka.sasl_mechanisms),
        )
    )

    @router.get(
        "/kafka",
        summary="Where Kafka clients reach this broker (null when its Kafka listener is off)",
    )
    def kafka_listener() -> KafkaDiscovery:
        return discovery

    @router.get("/topics", summary="List topics")
    def list_topics() -> list[str]:
        return broker.list_topics()

    @router.post("/topics", status_code=201, summary="Create a topic")
    def create_topic(body: TopicCreate) -> dict[str, Any]:
        settings = {k: v for k, v in body.model_dump().items() if v is not None and k != "name"}
        try:
            config = TopicConfig(**settings)
        except TypeError as exc:
            raise InvalidConfigError("topic", str(exc)) from None
        return topic_to_json(broker.create_topic(body.name, config))

    @router.get("/topics/{topic}", summary="Describe a topic")
    def describe_topic(topic: str) -> dict[str, Any]:
        return topic_to_json(broker.describe_topic(topic))

    @router.patch("/topics/{topic}", summary="Change a topic's settings")
    def alter_topic(topic: str, body: TopicPatch) -> dict[str, Any]:
        changes = body.model_dump(exclude_unset=True)
        return topic_to_json(broker.alter_topic(topic, **changes))

    @router.delete("/topics/{topic}", status_code=204, summary="Delete a topic")
    def delete_topic(topic: str) -> Response:
        broker.delete_topic(topic)
        return Response(status_code=204)

    @router.post(
        "/topics/{topic}/records",
        summary="Produce one record batch atomically",
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {BATCH_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            }
        },
    )
    async def produce(
        topic: str, request: Request, partition: Annotated[int | None, Query()] = None
    ) -> dict[str, Any]:
        body_max = limits.batch_bytes_max + _BATCH_ENVELOPE_BYTES
        declared = int(request.headers.get("content-length") or 0)
        if declared > body_max:
            raise LimitExceededError("batch_bytes_max", declared, body_max, what="request body")
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > body_max:
                raise LimitExceededError("batch_bytes_max", len(body), body_max, what="body")
        placed = await run_in_threadpool(
            functools.partial(broker.produce_encoded, topic, bytes(body), partition=partition)
        )
        return {"offsets": [[p, o] for p, o in placed]}

    @router.get(
        "/topics/{topic}/partitions/{partition}/records",
        summary="Fetch records from an offset (long-poll with max_wait_ms)",
        response_class=Response,
        responses={200: {"content": {BATCH_MEDIA_TYPE: {}}}},
    )
    async def fetch(
        topic: str,
        partition: int,
        offset: Annotated[int, Query(ge=0)],
        max_records: Annotated[int, Query(ge=1)] = 500,
        max_bytes: Annotated[int, Query(ge=1)] = 1024 * 1024,
        max_wait_ms: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        got = (
            await _fetch_batches({(topic, partition): offset}, max_records, max_bytes, max_wait_ms)
        )[(topic, partition)]
        return Response(
            b"".join(got.batches),
            media_type=BATCH_MEDIA_TYPE,
            headers={
                LOG_START_HEADER: str(got.log_start_offset),
                LOG_END_HEADER: str(got.log_end_offset),
            },
        )

    @router.post(
        "/fetch",
        summary="Long-poll several partitions; answers as soon as one has records",
        response_class=Response,
        responses={200: {"content": {FETCH_MEDIA_TYPE: {}}}},
    )
    async def fetch_many(body: FetchRequest) -> Response:
        positions = {(p.topic, p.partition): p.offset for p in body.positions}
        got = await _fetch_batches(positions, body.max_records, body.max_bytes, body.max_wait_ms)
        parts: list[bytes] = []
        for (topic, partition), fetched in got.items():
            name = topic.encode()
            batch = b"".join(fetched.batches)
            parts.append(FETCH_TOPIC.pack(len(name)) + name)
            parts.append(
                FETCH_PARTITION.pack(
                    partition, fetched.log_start_offset, fetched.log_end_offset, len(batch)
                )
            )
            parts.append(batch)
        return Response(b"".join(parts), media_type=FETCH_MEDIA_TYPE)

    @router.get("/topics/{topic}/partitions/{partition}/offsets", summary="Log start and end")
    def offsets(
        topic: str, partition: int, timestamp_ms: Annotated[int | None, Query()] = None
    ) -> dict[str, int]:
        start, end = broker.offsets(topic, partition)
        out = {"log_start_offset": start, "log_end_offset": end}
        if timestamp_ms is not None:
            out["offset_for_time"] = broker.offset_for_time(topic, partition, timestamp_ms)
        return out

    @router.get("/groups", summary="List consumer groups")
    def list_groups() -> list[str]:
        return broker.groups.list_groups()

    @router.get("/groups/{group}", summary="Describe a consumer group")
    def describe_group(group: str) -> dict[str, Any]:
        return group_to_json(broker.groups.describe(group))

    @router.delete(
        "/groups/{group}",
        status_code=204,
        summary="Delete a group without members, with its committed offsets",
    )
    def delete_group(group: str) -> Response:
        broker.groups.delete(group)
        return Response(status_code=204)

    @router.post("/groups/{group}/members", summary="Join a group")
    def join(group: str, body: JoinRequest) -> dict[str, Any]:
        return assignment_to_json(
            broker.groups.join(
                group,
                body.topics,
                member_id=body.member_id,
                session_timeout_ms=body.session_timeout_ms,
                assignor=body.assignor,
                client_id=body.client_id,
            )
        )

    @router.post(
        "/groups/{group}/members/{member_id}/heartbeat",
        status_code=204,
        summary="Heartbeat; 409 when the group has moved to a new generation (then sync)",
    )
    def heartbeat(group: str, member_id: str, body: HeartbeatRequest) -> Response:
        broker.groups.heartbeat(group, member_id, body.generation)
        return Response(status_code=204)

    @router.post("/groups/{group}/members/{member_id}/sync", summary="Current assignment")
    def sync(group: str, member_id: str) -> dict[str, Any]:
        return assignment_to_json(broker.groups.sync(group, member_id))

    @router.delete("/groups/{group}/members/{member_id}", status_code=204, summary="Leave")
    def leave(group: str, member_id: str) -> Response:
        broker.groups.leave(group, member_id)
        return Response(status_code=204)

    @router.post("/groups/{group}/offsets", status_code=204, summary="Commit offsets")
    def commit(group: str, body: Annotated[CommitRequest, Body()]) -> Response:
        broker.groups.commit(
            group,
            {(o.topic, o.partition): o.offset for o in body.offsets},
            member_id=body.member_id,
            generation=body.generation,
        )
        return Response(status_code=204)

    @router.get("/groups/{group}/lag", summary="Committed offset, log end and lag per partition")
    def lag(group: str) -> list[dict[str, Any]]:
        return lag_to_json(broker.lag(group))

    return router
