"""Metadata: the one broker (this process) leads every partition of every topic."""

from __future__ import annotations

from typing import Any

from broker.errors import UnknownTopicError
from broker.kafka.context import Context
from broker.kafka.errors import ErrorCode
from broker.kafka.messages import RequestFrame

__all__ = ["handle_metadata"]

_AUTHORIZED_OPERATIONS_UNKNOWN = -(2**31)


def _topic(ctx: Context, name: str) -> dict[str, Any]:
    node = ctx.settings.node_id
    try:
        count = ctx.broker.partition_count(name)
    except UnknownTopicError:
        return {"error_code": ErrorCode.unknown_topic_or_partition, "name": name, "partitions": []}
    return {
        "error_code": ErrorCode.none,
        "name": name,
        "is_internal": False,
        "partitions": [
            {
                "error_code": ErrorCode.none,
                "partition_index": p,
                "leader_id": node,
                "leader_epoch": 0,
                "replica_nodes": [node],
                "isr_nodes": [node],
                "offline_replicas": [],
            }
            for p in range(count)
        ],
        "topic_authorized_operations": _AUTHORIZED_OPERATIONS_UNKNOWN,
    }


async def handle_metadata(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    if body.topics is None or (request.version == 0 and not body.topics):
        names = ctx.broker.list_topics()
    else:
        names = [t.name for t in body.topics]
    return {
        "brokers": [
            {"node_id": ctx.settings.node_id, "host": ctx.advertised_host, "port": ctx.port}
        ],
        "cluster_id": ctx.settings.cluster_id,
        "controller_id": ctx.settings.node_id,
        "topics": [_topic(ctx, name) for name in names],
        "cluster_authorized_operations": _AUTHORIZED_OPERATIONS_UNKNOWN,
    }
