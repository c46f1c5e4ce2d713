"""confluent-kafka's AdminClient against `charter serve`: create, describe, delete, refusals."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from tests.kafka.conftest import HttpApi, Serve

pytestmark = pytest.mark.timeout(120)


def _error(future: object) -> KafkaError:
    with pytest.raises(KafkaException) as caught:
        future.result(timeout=10)  # type: ignore[attr-defined]
    error: KafkaError = caught.value.args[0]
    return error


def test_create_describe_and_delete_topics(serve: Serve, http: HttpApi) -> None:
    admin = AdminClient({"bootstrap.servers": serve.bootstrap})
    name = f"adm-{uuid.uuid4().hex[:8]}"
    created = admin.create_topics(
        [NewTopic(name, 4, 1, config={"retention.ms": "60000", "charter.flush": "never"})]
    )
    created[name].result(timeout=10)
    described = http.describe_topic(name)
    assert len(described["partitions"]) == 4
    assert described["config"]["retention_ms"] == 60000
    assert described["config"]["flush"] == "never"
    assert len(admin.list_topics(timeout=10).topics[name].partitions) == 4

    resource = ConfigResource(ResourceType.TOPIC, name)
    configs = admin.describe_configs([resource])[resource].result(timeout=10)
    assert configs["retention.ms"].value == "60000"
    assert configs["charter.contract"].value == "none"
    broker_resource = ConfigResource(ResourceType.BROKER, "0")
    broker_configs = admin.describe_configs([broker_resource])[broker_resource].result(timeout=10)
    assert int(broker_configs["message.max.bytes"].value) > 0

    assert _error(admin.create_topics([NewTopic(name, 1, 1)])[name]).code() == (
        KafkaError.TOPIC_ALREADY_EXISTS
    )
    admin.delete_topics([name])[name].result(timeout=10)
    assert name not in http.list_topics()
    assert _error(admin.delete_topics([name])[name]).code() == KafkaError.UNKNOWN_TOPIC_OR_PART


@pytest.mark.parametrize(
    ("topic", "code"),
    [
        (NewTopic("absurd-partitions", 100_000, 1), KafkaError.INVALID_PARTITIONS),
        (NewTopic("three-replicas", 1, 3), KafkaError.INVALID_REPLICATION_FACTOR),
        (NewTopic("bad name!", 1, 1), KafkaError.TOPIC_EXCEPTION),
        (
            NewTopic("compacted", 1, 1, config={"cleanup.policy": "compact"}),
            KafkaError.INVALID_CONFIG,
        ),
        (
            NewTopic("unknown-config", 1, 1, config={"no.such.config": "1"}),
            KafkaError.INVALID_CONFIG,
        ),
        (
            NewTopic("bad-contract", 1, 1, config={"charter.contract": "maybe"}),
            KafkaError.INVALID_CONFIG,
        ),
    ],
)
def test_refused_topics_get_kafkas_error_codes_and_nothing_is_created(
    serve: Serve, http: HttpApi, topic: NewTopic, code: int
) -> None:
    admin = AdminClient({"bootstrap.servers": serve.bootstrap})
    assert _error(admin.create_topics([topic])[topic.topic]).code() == code
    assert topic.topic not in http.list_topics()


def test_validate_only_creates_nothing(serve: Serve, http: HttpApi) -> None:
    admin = AdminClient({"bootstrap.servers": serve.bootstrap})
    name = f"dry-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(name, 2, 1)], validate_only=True)[name].result(timeout=10)
    assert name not in http.list_topics()
