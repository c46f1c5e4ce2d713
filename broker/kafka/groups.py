"""The group APIs: FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit,
OffsetFetch, DescribeGroups and ListGroups. Membership is the listener's `Coordinator`;
committed offsets are the broker core's, shared with the HTTP API and the SDK.
"""

from __future__ import annotations

from typing import Any

from broker.errors import BrokerError
from broker.kafka.context import Context
from broker.kafka.coordinator import GroupError
from broker.kafka.errors import ErrorCode, error_code
from broker.kafka.messages import RequestFrame, millis

__all__ = [
    "handle_describe_groups",
    "handle_find_coordinator",
    "handle_heartbeat",
    "handle_join_group",
    "handle_leave_group",
    "handle_list_groups",
    "handle_offset_commit",
    "handle_offset_fetch",
    "handle_sync_group",
]

_GROUP_KEY = 0
_AUTHORIZED_OPERATIONS_UNKNOWN = -(2**31)


async def handle_find_coordinator(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    if getattr(body, "key_type", _GROUP_KEY) != _GROUP_KEY:
        return {
            "error_code": ErrorCode.coordinator_not_available,
            "error_message": "transactions are not supported",
            "node_id": -1,
            "host": "",
            "port": -1,
        }
    return {
        "error_code": ErrorCode.none,
        "error_message": None,
        "node_id": ctx.settings.node_id,
        "host": ctx.advertised_host,
        "port": ctx.port,
    }


async def handle_join_group(
    ctx: Context, request: RequestFrame, client_host: str
) -> dict[str, Any]:
    body = request.body
    session_ms = millis(body.session_timeout)
    rebalance = getattr(body, "rebalance_timeout", None)
    try:
        result = await ctx.coordinator.join(
            body.group_id,
            body.member_id,
            getattr(body, "group_instance_id", None),
            request.client_id or "",
            client_host,
            body.protocol_type,
            [(p.name, bytes(p.metadata)) for p in body.protocols],
            session_ms,
            millis(rebalance) if rebalance is not None else session_ms,
        )
    except GroupError as exc:
        return {
            "error_code": exc.code,
            "generation_id": -1,
            "protocol_name": None,
            "leader": "",
            "member_id": body.member_id,
            "members": [],
        }
    return {
        "error_code": ErrorCode.none,
        "generation_id": result.generation,
        "protocol_type": result.protocol_type,
        "protocol_name": result.protocol,
        "leader": result.leader,
        "member_id": result.member_id,
        "members": [
            {"member_id": m, "group_instance_id": i, "metadata": meta}
            for m, i, meta in result.members
        ],
    }


async def handle_sync_group(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    try:
        result = await ctx.coordinator.sync(
            body.group_id,
            body.member_id,
            body.generation_id,
            {a.member_id: bytes(a.assignment) for a in body.assignments},
        )
    except GroupError as exc:
        return {"error_code": exc.code, "assignment": b""}
    return {
        "error_code": ErrorCode.none,
        "protocol_type": result.protocol_type,
        "protocol_name": result.protocol,
        "assignment": result.assignment,
    }


async def handle_heartbeat(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    try:
        ctx.coordinator.heartbeat(body.group_id, body.member_id, body.generation_id)
    except GroupError as exc:
        return {"error_code": exc.code}
    return {"error_code": ErrorCode.none}


async def handle_leave_group(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    if request.version < 3:
        leaving = [(body.member_id, None)]
    else:
        leaving = [(m.member_id, m.group_instance_id) for m in body.members]
    members = []
    top = ErrorCode.none
    for member_id, instance_id in leaving:
        try:
            ctx.coordinator.leave(body.group_id, member_id)
            code = ErrorCode.none
        except GroupError as exc:
            code = top = exc.code
        members.append(
            {"member_id": member_id, "group_instance_id": instance_id, "error_code": code}
        )
    if request.version >= 3:
        top = ErrorCode.none
    return {"error_code": top, "members": members}


async def handle_offset_commit(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    generation = getattr(body, "generation_id_or_member_epoch", -1)
    member_id = getattr(body, "member_id", "")
    refused: ErrorCode | None = None
    try:
        ctx.coordinator.check_commit(body.group_id, member_id, generation)
    except GroupError as exc:
        refused = exc.code
    broker = ctx.broker
    codes: dict[tuple[str, int], ErrorCode] = {}
    offsets: dict[tuple[str, int], int] = {}
    for topic in body.topics:
        for p in topic.partitions:
            tp = (topic.name, p.partition_index)
            if refused is not None:
                codes[tp] = refused
                continue
            try:
                count = broker.partition_count(topic.name)
            except BrokerError as exc:
                codes[tp] = error_code(exc)
                continue
            if not 0 <= p.partition_index < count:
                codes[tp] = ErrorCode.unknown_topic_or_partition
            elif p.committed_offset < 0:
                codes[tp] = ErrorCode.invalid_commit_offset_size
            else:
                offsets[tp] = p.committed_offset
                codes[tp] = ErrorCode.none
    if offsets:
        try:
            await ctx.run(broker.groups.commit, body.group_id, offsets)
        except BrokerError as exc:
            for tp in offsets:
                codes[tp] = error_code(exc)
    return {
        "topics": [
            {
                "name": topic.name,
                "partitions": [
                    {
                        "partition_index": p.partition_index,
                        "error_code": codes[(topic.name, p.partition_index)],
                    }
                    for p in topic.partitions
                ],
            }
            for topic in body.topics
        ]
    }


async def handle_offset_fetch(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    described = await ctx.run(ctx.broker.groups.describe, body.group_id)
    committed: dict[tuple[str, int], int] = described.committed
    if body.topics is None:
        wanted: dict[str, list[int]] = {}
        for topic, partition in sorted(committed):
            wanted.setdefault(topic, []).append(partition)
    else:
        wanted = {t.name: list(t.partition_indexes) for t in body.topics}
    return {
        "error_code": ErrorCode.none,
        "topics": [
            {
                "name": topic,
                "partitions": [
                    {
                        "partition_index": p,
                        "committed_offset": committed.get((topic, p), -1),
                        "committed_leader_epoch": -1,
                        "metadata": "",
                        "error_code": ErrorCode.none,
                    }
                    for p in partitions
                ],
            }
            for topic, partitions in wanted.items()
        ],
    }


async def handle_describe_groups(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    groups = []
    for group_id in request.body.groups:
        described = ctx.coordinator.describe(group_id)
        if described is None:
            core = await ctx.run(ctx.broker.groups.describe, group_id)
            state = "Stable" if core.members else ("Empty" if core.committed else "Dead")
            described = {
                "group_state": state,
                "protocol_type": "charter" if core.members else "",
                "protocol_data": core.assignor if core.members else "",
                "members": [
                    {
                        "member_id": m.member_id,
                        "group_instance_id": None,
                        "client_id": m.member_id,
                        "client_host": "",
                        "member_metadata": b"",
                        "member_assignment": b"",
                    }
                    for m in core.members
                ],
            }
        groups.append(
            described
            | {
                "error_code": ErrorCode.none,
                "group_id": group_id,
                "authorized_operations": _AUTHORIZED_OPERATIONS_UNKNOWN,
            }
        )
    return {"groups": groups}


async def handle_list_groups(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    states = set(getattr(request.body, "states_filter", ()) or ())
    listed = {name: (ptype, state) for name, ptype, state in ctx.coordinator.groups()}
    for name in await ctx.run(ctx.broker.groups.list_groups):
        listed.setdefault(name, ("", "Empty"))
    return {
        "error_code": ErrorCode.none,
        "groups": [
            {"group_id": name, "protocol_type": ptype, "group_state": state}
            for name, (ptype, state) in sorted(listed.items())
            if not states or state in states
        ],
    }
