"""Produce and InitProducerId: Kafka batches into the broker's log, contracts checked first.

Each partition's batch is verified (CRC32C) and re-encoded in the log's format here, then
appended through the core's `Broker.produce_encoded`, which checks limits and the topic's
contract for every record before it appends any, and returns once the topic's flush policy
made the records durable. acks 1 and
-1 mean the same on a single broker; acks 0 gets no response.
"""

from __future__ import annotations

from typing import Any

from broker.errors import BrokerError, ContractViolationError
from broker.kafka.context import Context
from broker.kafka.errors import ErrorCode, RecordsError, error_code
from broker.kafka.messages import RequestFrame
from broker.kafka.producers import Decision
from broker.kafka.records import KafkaBatch, decode_batch, with_base_offset

__all__ = ["handle_init_producer_id", "handle_produce"]

_ACKS = (-1, 0, 1)


def _append(ctx: Context, topic: str, partition: int, data: bytes) -> tuple[KafkaBatch, int]:
    """Decode and append one partition's batch (on the executor); its base offset.

    The batch is converted once, measured on the way (no second parse in the broker), and
    kept as it came for fetches (broker.kafka.cache) unless the log stamped its records.
    """
    broker = ctx.broker
    limits = broker.limits
    contract = broker.topic_config(topic).contract
    log_id = broker.log_id(topic, partition)
    batch = decode_batch(
        data,
        records_max=limits.batch_records_max,
        uncompressed_bytes_max=limits.batch_bytes_max + 64 * limits.batch_records_max,
        values=contract != "none",
    )
    placed = broker.produce_encoded(
        topic, batch.log_batch, partition=partition, shape=batch.shape
    )
    base = placed[0][1]
    if min(batch.shape.timestamps_ms) >= 0:  # else the log stamped them: not what came
        ctx.batches.put(log_id, base, batch.record_count, with_base_offset(data, base))
    return batch, base


async def _produce_partition(
    ctx: Context, topic: str, partition: int, data: bytes | None
) -> dict[str, Any]:
    answer: dict[str, Any] = {"index": partition, "base_offset": -1, "record_errors": []}
    if data is None:
        return answer | {"error_code": ErrorCode.corrupt_message, "error_message": "no records"}
    try:
        producer_id, epoch, first, count = _producer_fields(data)
        decision = ctx.producers.check(producer_id, epoch, topic, partition, first, count)
        if not decision.append:
            return _decided(answer, decision)
        batch, base = await ctx.run(_append, ctx, topic, partition, data)
    except ContractViolationError as exc:
        return answer | {
            "error_code": ErrorCode.invalid_record,
            "error_message": str(exc),
            "record_errors": [{"batch_index": exc.index, "batch_index_error_message": exc.reason}],
        }
    except (BrokerError, RecordsError) as exc:
        return answer | {"error_code": error_code(exc), "error_message": str(exc)}
    ctx.producers.appended(
        batch.producer_id,
        batch.producer_epoch,
        topic,
        partition,
        batch.base_sequence,
        batch.record_count,
        base,
    )
    start, _ = ctx.broker.offsets(topic, partition)
    return answer | {"error_code": ErrorCode.none, "base_offset": base, "log_start_offset": start}


def _decided(answer: dict[str, Any], decision: Decision) -> dict[str, Any]:
    if decision.error == ErrorCode.none:  # a retried batch: the offset it was first given
        return answer | {"error_code": ErrorCode.none, "base_offset": decision.offset}
    return answer | {"error_code": decision.error, "error_message": decision.error.name}


def _producer_fields(data: bytes) -> tuple[int, int, int, int]:
    """(producer id, epoch, base sequence, record count) from a batch header, unverified."""
    if len(data) < 61:
        return -1, -1, -1, 0
    producer_id = int.from_bytes(data[43:51], "big", signed=True)
    epoch = int.from_bytes(data[51:53], "big", signed=True)
    first = int.from_bytes(data[53:57], "big", signed=True)
    count = int.from_bytes(data[57:61], "big", signed=True)
    return producer_id, epoch, first, count


async def handle_produce(ctx: Context, request: RequestFrame) -> dict[str, Any] | None:
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
            if code != ErrorCode.none:
                partitions.append(
                    {
                        "index": data.index,
                        "error_code": code,
                        "base_offset": -1,
                        "record_errors": [],
                        "error_message": message,
                    }
                )
            else:
                partitions.append(
                    await _produce_partition(ctx, topic.name, data.index, data.records)
                )
        responses.append({"name": topic.name, "partition_responses": partitions})
    if acks == 0:
        return None
    return {"responses": responses}


async def handle_init_producer_id(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    if body.transactional_id is not None:
        return {
            "error_code": ErrorCode.unsupported_version,
            "producer_id": -1,
            "producer_epoch": -1,
        }
    producer_id, epoch = ctx.producers.init(
        getattr(body, "producer_id", -1), getattr(body, "producer_epoch", -1)
    )
    return {"error_code": ErrorCode.none, "producer_id": producer_id, "producer_epoch": epoch}
