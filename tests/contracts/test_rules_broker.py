"""A `--contract validate` topic holds producers that skip the SDK to the schema's domain rules:
a record failing a WRITE or WRITEREAD condition (CEL or CEL_FIELD) with onFailure ERROR is
refused like a schema violation, over the broker's HTTP API and its Kafka listener."""

from __future__ import annotations

import io
import json
import uuid
from typing import Any

import fastavro
import httpx
import pytest
from confluent_kafka import KafkaError, Producer

from broker.errors import ContractViolationError
from broker.record import ProducerRecord
from sdk.wire import frame
from tests.kafka.conftest import HttpApi, Serve, http, serve

__all__ = ["http", "serve"]

pytestmark = pytest.mark.timeout(120)

AVRO = {
    "type": "record", "name": "Payment", "namespace": "bank",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount_cents", "type": "long"},
        {"name": "email", "type": "string", "confluent:tags": ["PII"]},
    ],
}
JSON = {"type": "object", "properties": {"id": {"type": "string"},
                                         "amount_cents": {"type": "integer"}}}
RULES = {"domainRules": [
    {"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
     "expr": "message.amount_cents > 0", "doc": "amounts are positive"},
    {"name": "email", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL_FIELD",
     "tags": ["PII"], "expr": "value.contains('@')"},
    {"name": "prefix", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
     "expr": "message.id.startsWith('p-')", "onFailure": "NONE"},
    {"name": "dlq", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
     "expr": "message.amount_cents < 1000000", "onFailure": "DLQ"},
    {"name": "on-read", "kind": "CONDITION", "mode": "READ", "type": "CEL", "expr": "false"},
    {"name": "off", "kind": "CONDITION", "mode": "WRITE", "type": "CEL", "expr": "false",
     "disabled": True},
    {"name": "mask", "kind": "TRANSFORM", "mode": "WRITE", "type": "CEL_FIELD",
     "tags": ["PII"], "expr": "'XXX'"},
]}


def topic_with_rules(serve: Serve, http: HttpApi, schema: dict[str, Any], kind: str,
                     rules: dict[str, Any]) -> tuple[str, int]:
    topic = f"ruled-{uuid.uuid4().hex[:8]}"
    http.create_topic(topic, partitions=1, contract="validate")
    body: dict[str, Any] = {"schema": json.dumps(schema), "ruleSet": rules}
    if kind == "JSON":
        body["schemaType"] = "JSON"
    answer = httpx.post(f"{serve.url}/subjects/{topic}-value/versions", json=body, timeout=10)
    assert answer.status_code == 200, answer.text
    return topic, int(answer.json()["id"])


def avro(schema_id: int, **value: Any) -> bytes:
    record = {"id": "p-1", "amount_cents": 250, "email": "ann@example.com", **value}
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(AVRO), record)
    return frame(schema_id, out.getvalue())


def refused(http: HttpApi, topic: str, value: bytes) -> str:
    with pytest.raises(ContractViolationError) as caught:
        http.produce(topic, [ProducerRecord(value)])
    return str(caught.value)


def test_http_produce_is_held_to_the_domain_rules(serve: Serve, http: HttpApi) -> None:
    topic, schema_id = topic_with_rules(serve, http, AVRO, "AVRO", RULES)
    good = avro(schema_id)
    assert http.produce(topic, [ProducerRecord(good)]) == [(0, 0)]
    reason = refused(http, topic, avro(schema_id, amount_cents=0))
    assert "'positive'" in reason and "amounts are positive" in reason
    reason = refused(http, topic, avro(schema_id, email="nobody"))
    assert "'email'" in reason and "/email" in reason
    # onFailure NONE and DLQ, READ-only and disabled rules, and transforms let records through
    assert http.produce(topic, [ProducerRecord(avro(schema_id, id="x-2"))]) == [(0, 1)]
    assert http.produce(topic, [ProducerRecord(avro(schema_id, amount_cents=2_000_000))]) == [
        (0, 2)]
    # a failing record refuses its batch: nothing of it is appended
    with pytest.raises(ContractViolationError):
        http.produce(topic, [ProducerRecord(good),
                             ProducerRecord(avro(schema_id, amount_cents=-1))])
    assert http.offsets(topic, 0) == (0, 3)
    # the records are stored as sent: the broker checks, it does not rewrite (no masking)
    fetched = http.fetch(topic, 0, 0)
    assert fetched.records[0].value == good


def test_json_topics_too(serve: Serve, http: HttpApi) -> None:
    rules = {"domainRules": [
        {"name": "positive", "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
         "expr": "message.amount_cents > 0"},
        {"name": "ids", "kind": "CONDITION", "mode": "WRITE", "type": "CEL_FIELD",
         "expr": "name == 'id' ; value.size() == 3"}]}
    topic, schema_id = topic_with_rules(serve, http, JSON, "JSON", rules)
    assert http.produce(topic, [ProducerRecord(frame(schema_id, b'{"id":"p-1","amount_cents":5}'))])
    assert "'positive'" in refused(http, topic, frame(schema_id, b'{"id":"p-1","amount_cents":0}'))
    assert "'ids'" in refused(http, topic, frame(schema_id, b'{"id":"p-12","amount_cents":5}'))
    # a schema violation is still reported as one, before the rules
    assert "'positive'" not in refused(http, topic, frame(schema_id, b'{"amount_cents":"x"}'))


def test_a_plain_kafka_producer_is_refused_too(serve: Serve, http: HttpApi) -> None:
    topic, schema_id = topic_with_rules(serve, http, AVRO, "AVRO", RULES)
    producer = Producer({"bootstrap.servers": serve.bootstrap, "linger.ms": 0})
    reports: list[Any] = []
    for value in (avro(schema_id), avro(schema_id, amount_cents=0), avro(schema_id, id="x")):
        producer.produce(topic, value=value, on_delivery=lambda err, _m: reports.append(err))
        assert producer.flush(15) == 0
    assert reports[0] is None and reports[2] is None
    assert reports[1] is not None and reports[1].code() == KafkaError.INVALID_RECORD
    assert http.offsets(topic, 0) == (0, 2)


def test_protobuf_records_take_message_level_conditions(serve: Serve, http: HttpApi) -> None:
    from google.protobuf import message_factory

    import compat
    from compat import SchemaSource, SchemaType

    proto = ('syntax = "proto3";\npackage bank;\n'
             'message Payment { string id = 1; int64 cents = 2; }\n')
    rules = {"domainRules": [{"name": "positive", "kind": "CONDITION", "mode": "WRITE",
                              "type": "CEL", "expr": "message.cents > 0"}]}
    topic = f"ruled-{uuid.uuid4().hex[:8]}"
    http.create_topic(topic, partitions=1, contract="validate")
    answer = httpx.post(f"{serve.url}/subjects/{topic}-value/versions", timeout=10,
                        json={"schema": proto, "schemaType": "PROTOBUF", "ruleSet": rules})
    assert answer.status_code == 200, answer.text
    schema_id = int(answer.json()["id"])
    parsed = compat.parse(SchemaSource(proto, SchemaType.PROTOBUF))
    payment = message_factory.GetMessageClass(parsed.pool.FindMessageTypeByName("bank.Payment"))

    def framed(cents: int) -> bytes:
        return frame(schema_id, b"\x00" + payment(id="p-1", cents=cents).SerializeToString())

    assert http.produce(topic, [ProducerRecord(framed(5))]) == [(0, 0)]
    assert "'positive'" in refused(http, topic, framed(0))
