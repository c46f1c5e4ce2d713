"""Fetch (a long poll that awaits, holding no thread) and ListOffsets.

A fetch reads on the executor only once a partition has records past the asked offset; until
then it awaits the listener's append signal, which every append to the broker raises (through
the Kafka listener, the HTTP API or the SDK), re-reading offsets at least every
`fetch_recheck_ms` all the same (a retention run that moves a log's start raises none). It
answers once `min_bytes` are in hand or `max_wait` is over.

The log's batches are served whole as Kafka v2 batches (the first may start before the asked
offset: clients skip those records, as with Kafka's own batches); batches produced through
the listener are stored as v2 batches (broker.record, magic 2) and served as the log holds
them, the others (magic 1, from the HTTP API or the SDK) converted. The first
batch of a partition is served even when it is larger than the partition's or the request's
byte limit, so a consumer always progresses (KIP-74).
Fetch sessions (KIP-227) are not kept: session id 0 tells clients to send full fetches.
A fetch short of `min_bytes` reads again after a wait, so what it serves is reported to the
broker's observer once, as it answers, rather than by each read.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from typing import Any

from broker.errors import BrokerError, OffsetOutOfRangeError, UnknownTopicError
from broker.kafka.context import Context
from broker.kafka.errors import ErrorCode, error_code
from broker.kafka.messages import RequestFrame, millis
from broker.kafka.records import from_log_batch
from broker.record import BATCH_HEADER as LOG_BATCH_HEADER
from broker.record import BATCH_MAGIC_V2, v2_of

__all__ = ["handle_fetch", "handle_list_offsets"]

_LATEST = -1
_EARLIEST = -2


@dataclass
class _Wanted:
    topic: str
    partition: int
    offset: int
    bytes_max: int
    error: ErrorCode = ErrorCode.none
    log_start: int = -1
    log_end: int = -1
    records: bytes = b""
    served: int = 0  # records at or after `offset` in `records`
    stored_bytes: int = 0  # the log's bytes behind `records`


def _refresh(ctx: Context, wanted: list[_Wanted], *, wait: bool) -> bool | None:
    """Update offsets and errors; whether any partition is ready. Without `wait` (on the
    loop) None when a partition's log is busy: an append holds its lock through the fsync,
    and the loop serves every connection, so the caller asks again from a worker thread."""
    ready = False
    broker = ctx.broker
    for w in wanted:
        try:
            if wait:
                w.log_start, w.log_end = broker.offsets(w.topic, w.partition)
            else:
                found = broker.offsets_if_free(w.topic, w.partition)
                if found is None:
                    return None
                w.log_start, w.log_end = found
        except BrokerError as exc:
            w.error = error_code(exc)
            ready = True
            continue
        if not w.log_start <= w.offset <= w.log_end:
            w.error = ErrorCode.offset_out_of_range
            ready = True
        elif w.log_end > w.offset:
            ready = True
    return ready


def _read(ctx: Context, wanted: list[_Wanted], bytes_max: int) -> int:
    """Read and convert every ready partition (on the executor); the bytes gathered."""
    limits = ctx.broker.limits
    total = 0
    for w in wanted:
        w.records, w.served, w.stored_bytes = b"", 0, 0
        if w.error != ErrorCode.none or w.log_end <= w.offset:
            continue
        left = bytes_max - total
        if left <= 0 and total > 0:
            break
        tp = (w.topic, w.partition)
        try:
            got = ctx.broker.fetch_many_batches(
                {tp: w.offset},
                records_max=limits.fetch_records_max,
                bytes_max=max(1, min(w.bytes_max, left, limits.fetch_bytes_max)),
                observe=False,
            )[tp]
        except OffsetOutOfRangeError:
            w.error = ErrorCode.offset_out_of_range
            continue
        except BrokerError as exc:
            w.error = error_code(exc)
            continue
        parts: list[bytes | memoryview] = []
        for raw in got.batches:
            _, _, magic, _, base, count, _, _ = LOG_BATCH_HEADER.unpack_from(raw)
            parts.append(v2_of(raw) if magic == BATCH_MAGIC_V2 else from_log_batch(raw))
            w.served += base + count - max(w.offset, base)
        w.records = b"".join(parts)
        w.stored_bytes = got.bytes_read
        w.log_start, w.log_end = got.log_start_offset, got.log_end_offset
        total += len(w.records)
    return total


async def handle_fetch(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    limits = ctx.broker.limits
    if getattr(body, "session_id", 0) != 0 or getattr(body, "session_epoch", -1) > 0:
        return {"error_code": ErrorCode.fetch_session_id_not_found, "responses": []}
    wanted = [
        _Wanted(t.topic, p.partition, p.fetch_offset, p.partition_max_bytes)
        for t in body.topics
        for p in t.partitions
    ]
    if len(wanted) > limits.fetch_partitions_max:
        for w in wanted:
            w.error = ErrorCode.invalid_request
        wanted = wanted[: limits.fetch_partitions_max]
    wait_s = min(max(millis(body.max_wait), 0), limits.poll_timeout_ms_max) / 1000
    deadline = time.monotonic() + wait_s
    bytes_max = max(1, min(body.max_bytes, limits.fetch_bytes_max))
    min_bytes = max(body.min_bytes, 1)
    recheck_s = ctx.settings.fetch_recheck_ms / 1000
    while True:
        seen = ctx.appends.version  # before the offsets are read: see AppendSignal
        ready = _refresh(ctx, wanted, wait=False)
        if ready is None:
            ready = await ctx.run(functools.partial(_refresh, ctx, wanted, wait=True))
        if ready:
            gathered = await ctx.run(_read, ctx, wanted, bytes_max)
            if gathered >= min_bytes or any(w.error != ErrorCode.none for w in wanted):
                break
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        with ctx.broker.long_poll():
            await ctx.appends.wait(min(remaining, recheck_s), seen)
    observer = ctx.broker.observer
    by_topic: dict[str, list[dict[str, Any]]] = {}
    for w in wanted:
        if observer is not None and w.records:
            observer.fetched(w.topic, w.served, w.stored_bytes)
        by_topic.setdefault(w.topic, []).append(
            {
                "partition_index": w.partition,
                "error_code": w.error,
                "high_watermark": w.log_end,
                "last_stable_offset": w.log_end,
                "log_start_offset": w.log_start,
                "aborted_transactions": None,
                "preferred_read_replica": -1,
                "records": w.records,
            }
        )
    return {
        "error_code": ErrorCode.none,
        "session_id": 0,
        "responses": [{"topic": t, "partitions": parts} for t, parts in by_topic.items()],
    }


def _offset_at(ctx: Context, topic: str, partition: int, timestamp: int) -> tuple[int, int]:
    """(timestamp, offset) of the first record at or after `timestamp`; (-1, -1) if none."""
    broker = ctx.broker
    start, end = broker.offsets(topic, partition)
    if timestamp == _LATEST:
        return -1, end
    if timestamp == _EARLIEST:
        return -1, start
    offset = broker.offset_for_time(topic, partition, timestamp)
    if offset >= end:
        return -1, -1
    got = broker.fetch(topic, partition, offset, records_max=1, bytes_max=1, observe=False)
    return (got.records[0].timestamp_ms, offset) if got.records else (-1, offset)


async def handle_list_offsets(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    topics = []
    for topic in request.body.topics:
        partitions = []
        for p in topic.partitions:
            answer: dict[str, Any] = {"partition_index": p.partition_index}
            if p.timestamp < _EARLIEST:
                partitions.append(answer | {"error_code": ErrorCode.unsupported_version})
                continue
            try:
                ts, offset = await ctx.run(
                    _offset_at, ctx, topic.name, p.partition_index, p.timestamp
                )
            except (BrokerError, UnknownTopicError) as exc:
                partitions.append(answer | {"error_code": error_code(exc)})
                continue
            partitions.append(
                answer
                | {
                    "error_code": ErrorCode.none,
                    "timestamp": ts,
                    "offset": offset,
                    "leader_epoch": 0,
                }
            )
        topics.append({"name": topic.name, "partitions": partitions})
    return {"topics": topics}
