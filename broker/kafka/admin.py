"""CreateTopics, DeleteTopics and DescribeConfigs: topics in Kafka's names for their settings.

Kafka's topic configs map to `broker.TopicConfig`: retention.ms, retention.bytes (-1 for
unbounded), segment.bytes, segment.ms, cleanup.policy (delete only), and Charter's own
`charter.contract` (none, id or validate) and `charter.flush` (always, interval_ms, never).
An unknown name or value is refused with INVALID_CONFIG; replication factors above 1 with
INVALID_REPLICATION_FACTOR (one broker holds every replica there is).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from broker.config import TopicConfig, validate_topic_name
from broker.errors import BrokerError, InvalidConfigError, TopicExistsError
from broker.kafka.context import Context
from broker.kafka.errors import ErrorCode, error_code
from broker.kafka.messages import RequestFrame

__all__ = ["handle_create_topics", "handle_delete_topics", "handle_describe_configs"]

_TOPIC_RESOURCE = 2
_BROKER_RESOURCE = 4
_DEFAULT_CONFIG = 5  # config_source DEFAULT_CONFIG
_TOPIC_CONFIG = 1  # config_source TOPIC_CONFIG
_DEFAULT_PARTITIONS = 1


def _unbounded(value: int | None) -> str:
    return "-1" if value is None else str(value)


def topic_configs(config: TopicConfig) -> dict[str, str]:
    """A topic's settings under Kafka's config names."""
    return {
        "cleanup.policy": "delete",
        "retention.ms": _unbounded(config.retention_ms),
        "retention.bytes": _unbounded(config.retention_bytes),
        "segment.bytes": str(config.segment_bytes),
        "segment.ms": str(config.segment_age_ms),
        "flush.ms": str(config.flush_interval_ms),
        "charter.flush": config.flush,
        "charter.contract": config.contract,
    }


def _integer(name: str, value: str, *, unbounded: bool = False) -> int | None:
    try:
        number = int(value)
    except ValueError:
        raise InvalidConfigError(name, f"{value!r} is not an integer") from None
    if unbounded and number == -1:
        return None
    return number


def config_from(entries: list[tuple[str, str | None]]) -> TopicConfig:
    """A TopicConfig from Kafka (name, value) pairs; InvalidConfigError for what it lacks."""
    changes: dict[str, Any] = {}
    for name, value in entries:
        if value is None:
            continue
        if name == "cleanup.policy":
            if value != "delete":
                raise InvalidConfigError(name, f"{value!r}: only 'delete' is supported")
        elif name == "retention.ms":
            changes["retention_ms"] = _integer(name, value, unbounded=True)
        elif name == "retention.bytes":
            changes["retention_bytes"] = _integer(name, value, unbounded=True)
        elif name == "segment.bytes":
            changes["segment_bytes"] = _integer(name, value)
        elif name == "segment.ms":
            changes["segment_age_ms"] = _integer(name, value)
        elif name == "flush.ms":
            changes["flush_interval_ms"] = _integer(name, value)
        elif name == "charter.flush":
            changes["flush"] = value
        elif name == "charter.contract":
            changes["contract"] = value
        else:
            raise InvalidConfigError(name, "not a topic config of this broker")
    return replace(TopicConfig(), **changes)


def _create(ctx: Context, name: str, config: TopicConfig, validate_only: bool) -> None:
    broker = ctx.broker
    if validate_only:
        config.validated(broker.limits)
        validate_topic_name(name, broker.limits)
        if name in broker.list_topics():
            raise TopicExistsError(name)
        return
    broker.create_topic(name, config)


async def handle_create_topics(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    validate_only = getattr(body, "validate_only", False)
    results = []
    for topic in body.topics:
        result: dict[str, Any] = {
            "name": topic.name,
            "topic_id": None,
            "error_message": None,
            "configs": None,
        }
        partitions = _DEFAULT_PARTITIONS if topic.num_partitions == -1 else topic.num_partitions
        try:
            if topic.assignments:
                raise InvalidConfigError("assignments", "replica assignments are not supported")
            if topic.replication_factor not in (-1, 1):
                results.append(
                    result
                    | {
                        "error_code": ErrorCode.invalid_replication_factor,
                        "error_message": f"replication factor {topic.replication_factor}: "
                        "this broker keeps one replica",
                    }
                )
                continue
            config = replace(
                config_from([(c.name, c.value) for c in topic.configs]), partitions=partitions
            )
            await ctx.run(_create, ctx, topic.name, config, validate_only)
        except BrokerError as exc:
            results.append(result | {"error_code": error_code(exc), "error_message": str(exc)})
            continue
        results.append(
            result
            | {
                "error_code": ErrorCode.none,
                "num_partitions": partitions,
                "replication_factor": 1,
                "configs": [
                    {
                        "name": k,
                        "value": v,
                        "read_only": False,
                        "config_source": _TOPIC_CONFIG,
                        "is_sensitive": False,
                    }
                    for k, v in topic_configs(config).items()
                ],
            }
        )
    return {"topics": results}


async def handle_delete_topics(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    body = request.body
    names = list(body.topic_names)
    responses = []
    for name in names:
        try:
            await ctx.run(ctx.broker.delete_topic, name)
        except BrokerError as exc:
            responses.append(
                {"name": name, "error_code": error_code(exc), "error_message": str(exc)}
            )
            continue
        responses.append({"name": name, "error_code": ErrorCode.none, "error_message": None})
    return {"responses": responses}


def _broker_configs(ctx: Context) -> dict[str, str]:
    limits = ctx.broker.limits
    return {
        "message.max.bytes": str(limits.batch_bytes_max),
        "socket.request.max.bytes": str(ctx.settings.request_bytes_max),
        "max.connections": str(ctx.settings.connections_max),
        "connections.max.idle.ms": str(ctx.settings.idle_timeout_ms),
        "num.partitions": str(_DEFAULT_PARTITIONS),
        "default.replication.factor": "1",
        "auto.create.topics.enable": "false",
    }


async def handle_describe_configs(ctx: Context, request: RequestFrame) -> dict[str, Any]:
    results = []
    for resource in request.body.resources:
        result: dict[str, Any] = {
            "resource_type": resource.resource_type,
            "resource_name": resource.resource_name,
            "error_message": None,
            "configs": [],
        }
        source = _TOPIC_CONFIG
        if resource.resource_type == _TOPIC_RESOURCE:
            try:
                described = ctx.broker.describe_topic(resource.resource_name)
            except BrokerError as exc:
                results.append(result | {"error_code": error_code(exc), "error_message": str(exc)})
                continue
            entries = topic_configs(described.config)
        elif resource.resource_type == _BROKER_RESOURCE:
            entries, source = _broker_configs(ctx), _DEFAULT_CONFIG
        else:
            results.append(
                result
                | {
                    "error_code": ErrorCode.invalid_request,
                    "error_message": f"resource type {resource.resource_type} has no configs here",
                }
            )
            continue
        keys = resource.configuration_keys
        results.append(
            result
            | {
                "error_code": ErrorCode.none,
                "configs": [
                    {
                        "name": k,
                        "value": v,
                        "read_only": False,
                        "config_source": source,
                        "is_sensitive": False,
                        "synonyms": [],
                        "documentation": None,
                    }
                    for k, v in entries.items()
                    if keys is None or k in keys
                ],
            }
        )
    return {"results": results}
