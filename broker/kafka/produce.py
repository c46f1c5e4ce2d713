"""Produce and InitProducerId: Kafka batches into the broker's log, contracts checked first.

Each partition's batch is verified (CRC32C, every record) and wrapped as it came in the
log's format (broker.record, magic 2), then appended through the core's
`Broker.produce_encoded`, which checks limits and the topic's contract for every record
before it appends any, checks an idempotent producer's sequence as it appends
(broker.producer_state), and returns once the topic's flush policy made the records durable.
acks 1 and -1 mean the same on a single broker; acks 0 gets no response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from broker.errors import BrokerError, ContractViolationError
from broker.kafka.context import Context
from broker.kafka.errors import ErrorCode, RecordsError, error_code
from broker.kafka.messages import RequestFrame
from broker.kafka.records import KafkaBatch, decode_batch
from broker.producer_state import DuplicateSequenceError

__all__ = [
    "Appended",
    "append_group",
    "finish_group",
    "handle_init_producer_id",
    "handle_produce",
    "handle_produce_group",
]

_ACKS = (-1, 0, 1)


def _append(
    ctx: Context, topic: str, partition: int, data: bytes, flush: bool
) -> tuple[KafkaBatch, int]:
    """Verify and append one partition's batch (on the executor); its base offset.

    The batch is parsed once, measured on the way (no second parse in the broker).
    With `flush=False` the caller meets the flush policy later (`_flush`), before it answers.
    """
    broker = ctx.broker
    limits = broker.limits
    contract = broker.topic_config(topic).contract
    batch = decode_batch(
        data,
        records_max=limits.batch_records_max,
        uncompressed_bytes_max=limits.batch_bytes_max + 64 * limits.batch_records_max,
        values=contract != "none",
    )
    placed = broker.produce_encoded(
        topic,
        batch.log_batch,
        partition=partition,
        shape=batch.shape,
        flush=flush,
        first_only=True,
    )
    return batch, placed[0][1]


def _flush(ctx: Context, partitions: list[tuple[str, int]]) -> dict[tuple[str, int], Exception]:
    """The flush policy of each partition appended to (on the executor); what failed."""
    failed: dict[tuple[str, int], Exception] = {}
    for topic, partition in partitions:
        try:
            ctx.broker.flush_appended(topic, partition)
        except (BrokerError, OSError) as exc:
            failed[(topic, partition)] = exc
    return failed


@dataclass
class _Job:
    """One partition's batch of one produce request, and the answer it fills in."""

    answer: dict[str, Any]
    topic: str
    partition: int
    data: bytes
    base: int = -1


def _produce_partition(ctx: Context, job: _Job, flush: bool) -> bool:
    """Check and append one batch; whether it was appended (its answer waits for a flush)."""
    answer, topic, partition, data = job.answer, job.topic, job.partition, job.data
    try:
        _batch, job.base = _append(ctx, topic, partition, data, flush)
    except DuplicateSequenceError as exc:  # a retried batch: the offset it was first given
        answer.update({"error_code": ErrorCode.none, "base_offset": exc.base_offset})
        return False
    except ContractViolationError as exc:
        answer.update(
            {
                "error_code": ErrorCode.invalid_record,
                "error_message": str(exc),
                "record_errors": [
                    {"batch_index": exc.index, "batch_index_error_message": exc.reason}
                ],
            }
        )
        return False
    except (BrokerError, RecordsError) as exc:
        answer.update({"error_code": error_code(exc), "error_message": str(exc)})
        return False
    return True


def _producer_id(data: bytes) -> int:
    """The batch's producer id from its header, unverified (-1 when it is too short)."""
    return int.from_bytes(data[43:51], "big", signed=True) if len(data) >= 61 else -1


def _plan(request: RequestFrame, jobs: list[_Job]) -> dict[str, Any] | None:
    """The request's answer, refusals filled in and a job per batch to append; None for
    acks 0 (no answer is sent)."""
    body = request.body
    acks = body.acks
    if body.transactional_id is not None:
        code, message = ErrorCode.unsupported_version, "transactions are not supported"
    elif acks not in _ACKS:
        code, message = ErrorCode.invalid_required_acks, f"acks {acks} is not -1, 0 or 1"
    else:
        code, message = ErrorCode.none, ""
    responses = []
    for topic in body.topic_data:
        partitions = []
        for data in topic.partition_data:
            answer: dict[str, Any] = {"index": data.index, "base_offset": -1, "record_errors": []}
            partitions.append(answer)
            if code != ErrorCode.none:
                answer.update({"error_code": code, "error_message": message})
            elif data.records is None:
                answer.update(
                    {"error_code": ErrorCode.corrupt_message, "error_message": "no records"}
                )
            else:
                jobs.append(_Job(answer, topic.name, data.index, data.records))
        responses.append({"name": topic.name, "partition_responses": partitions})
    return None if acks == 0 else {"responses": responses}


async def handle_produce(ctx: Context, request: RequestFrame) -> dict[str, Any] | None:
    return (await handle_produce_group(ctx, [request]))[0]


@dataclass
class Appended:
    """A produce group appended (`append_group`), its answers waiting for `finish_group`."""

    trees: list[dict[str, Any] | None]
    waiting: list[_Job]  # appended without a flush: acknowledged once it is done


async def handle_produce_group(
    ctx: Context, requests: list[RequestFrame]
) -> list[dict[str, Any] | None]:
    """Produce requests that arrived one after another on a connection, answered together."""
    return await finish_group(ctx, await append_group(ctx, requests))


async def append_group(ctx: Context, requests: list[RequestFrame]) -> Appended:
    """Append the batches of the requests in the order they came (on the executor), checks
    first; refusals are answered in the trees, the others wait for `finish_group`.

    A batch of an idempotent producer is flushed and acknowledged on its own, before the next
    one is checked against its sequence. The caller may append the next group before this one
    is finished (the connection's pipeline): its answers still wait for its own flush.
    """
    jobs: list[_Job] = []
    trees = [_plan(request, jobs) for request in requests]
    waiting = await ctx.run(_append_jobs, ctx, jobs) if jobs else []
    return Appended(trees, waiting)


async def finish_group(ctx: Context, appended: Appended) -> list[dict[str, Any] | None]:
    """Flush each partition the group appended to once, per its policy (with `always` one
    fdatasync covers every batch of the group: a group commit), then acknowledge them."""
    if appended.waiting:
        await ctx.run(_flush_jobs, ctx, appended.waiting)
    return appended.trees


def _append_jobs(ctx: Context, jobs: list[_Job]) -> list[_Job]:
    """Append the jobs in order (on the executor); those whose answer waits for a flush."""
    waiting: list[_Job] = []
    for job in jobs:
        idempotent = _producer_id(job.data) >= 0
        if _produce_partition(ctx, job, flush=idempotent):
            if idempotent:
                _acknowledge(ctx, job)
            else:
                waiting.append(job)
    return waiting


def _flush_jobs(ctx: Context, appended: list[_Job]) -> None:
    """Meet the flush policy of the partitions appended to, then answer (on the executor)."""
    touched = list(dict.fromkeys((job.topic, job.partition) for job in appended))
    failed = _flush(ctx, touched)
    for job in appended:
        problem = failed.get((job.topic, job.partition))
        if problem is None:
            _acknowledge(ctx, job)
        else:
            job.answer.update(
                {
                    "error_code": error_code(problem)
                    if isinstance(problem, BrokerError)
                    else ErrorCode.kafka_storage_error,
                    "error_message": str(problem),
                }
            )


def _acknowledge(ctx: Context, job: _Job) -> None:
    start, _ = ctx.broker.offsets(job.topic, job.partition)
    job.answer.update(
        {"error_code": ErrorCode.none, "base_offset": job.base, "log_start_offset": start}
    )


async def handle_init_producer_id(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    if body.transactional_id is not None:
        return {
            "error_code": ErrorCode.unsupported_version,
            "producer_id": -1,
            "producer_epoch": -1,
        }
    try:
        producer_id, epoch = await ctx.run(
            ctx.producers.init,
            getattr(body, "producer_id", -1),
            getattr(body, "producer_epoch", -1),
        )
    except OSError:
        # the block of ids could not be reserved on disk: a retriable refusal, so the client
        # asks again later instead of losing its connection
        return {
            "error_code": ErrorCode.kafka_storage_error,
            "producer_id": -1,
            "producer_epoch": -1,
        }
    return {"error_code": ErrorCode.none, "producer_id": producer_id, "producer_epoch": epoch}
