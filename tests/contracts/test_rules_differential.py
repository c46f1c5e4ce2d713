"""The same rule and message pass or fail alike in Charter's SDK and in confluent-kafka's
serialisers with their CEL executors, against a real `charter serve` (SQLite and PostgreSQL).

confluent-kafka runs WRITE rules only when it writes with the subject's latest version
(`use.latest.version`), which is what Charter's `Serializer` does without a pinned schema; on
read both take the rules of the writer schema. Each case says what it expects, so a change that
made both sides wrong together fails too.
"""

from __future__ import annotations

import copy
import io
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import fastavro
import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.rule_registry import RuleRegistry
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import CelFieldExecutor
from confluent_kafka.schema_registry.rules.dlq.dlq_action import DlqAction
from confluent_kafka.serialization import MessageField, SerializationContext, SerializationError

from sdk import Deserializer, Registry, Serializer
from sdk.rules import RuleError, RuleFailure
from sdk.wire import frame, split

URL: list[str] = []  # the server of the running parameter

AVRO = json.dumps({
    "type": "record", "name": "Order", "namespace": "shop",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount_cents", "type": "long"},
        {"name": "email", "type": "string", "confluent:tags": ["PII"]},
        {"name": "note", "type": ["null", "string"], "default": None},
        {"name": "items", "type": {"type": "array", "items": "string"}},
        {"name": "ship", "type": {"type": "record", "name": "Address",
                                  "fields": [{"name": "city", "type": "string"}]}},
    ],
})
JSON = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order", "type": "object",
    "properties": {
        "id": {"type": "string"},
        "amount_cents": {"type": "integer"},
        "email": {"type": "string", "confluent:tags": ["PII"]},
        "score": {"type": "number"},
        "active": {"type": "boolean"},
        "ship": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
    "required": ["id", "amount_cents"],
})


def order(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"id": "o-17", "amount_cents": 1250, "email": "ann@example.com",
                             "note": None, "items": ["tea"], "ship": {"city": "Oslo"}}
    value.update(changes)
    return value


def jorder(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {"id": "o-17", "amount_cents": 1250, "email": "ann@example.com",
                             "score": 0.5, "active": True, "ship": {"city": "Oslo"}}
    value.update(changes)
    return value


def rule(name: str, expr: str, *, kind: str = "CONDITION", mode: str = "WRITE",
         type: str = "CEL", **more: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, "mode": mode, "type": type, "expr": expr, **more}


POSITIVE = rule("positive", "message.amount_cents > 0")


@dataclass(frozen=True)
class Case:
    name: str
    rules: list[dict[str, Any]]
    value: dict[str, Any]
    passes: bool
    op: str = "WRITE"  # WRITE: serialise; READ: deserialise bytes written without rules
    fmt: str = "AVRO"
    metadata: dict[str, Any] | None = None
    result: dict[str, Any] | None = field(default=None)  # the value after transforms


CASES = [
    Case("condition-true", [POSITIVE], order(), True),
    Case("condition-false", [POSITIVE], order(amount_cents=0), False),
    Case("condition-doc", [{**POSITIVE, "doc": "amounts are positive"}], order(amount_cents=-1),
         False),
    Case("condition-int-result-truthy", [rule("r", "message.amount_cents")], order(), True),
    Case("condition-int-result-zero", [rule("r", "message.amount_cents")], order(amount_cents=0),
         False),
    Case("condition-nested-true", [rule("r", "message.ship.city == 'Oslo'")], order(), True),
    Case("condition-nested-false", [rule("r", "message.ship.city == 'Oslo'")],
         order(ship={"city": "Rome"}), False),
    Case("guard-false-skips", [rule("r", "message.note != null ; message.note.size() < 5")],
         order(), True),
    Case("guard-true-fails", [rule("r", "message.note != null ; message.note.size() < 5")],
         order(note="far too long"), False),
    Case("eval-error-is-failure", [rule("r", "message.missing > 0")], order(), False),
    Case("eval-error-on-failure-none", [rule("r", "message.missing > 0", onFailure="NONE")],
         order(), True),
    Case("on-failure-none", [{**POSITIVE, "onFailure": "NONE"}], order(amount_cents=0), True),
    Case("on-failure-error", [{**POSITIVE, "onFailure": "ERROR"}], order(amount_cents=0), False),
    Case("on-failure-dlq", [{**POSITIVE, "onFailure": "DLQ", "params": {"dlq.topic": "bad"}}],
         order(amount_cents=0), False),
    Case("disabled", [{**POSITIVE, "disabled": True}], order(amount_cents=0), True),
    Case("read-rule-not-on-write", [{**POSITIVE, "mode": "READ"}], order(amount_cents=0), True),
    Case("writeread-on-write", [{**POSITIVE, "mode": "WRITEREAD"}], order(amount_cents=0), False),
    Case("writeread-split-action-write", [{**POSITIVE, "mode": "WRITEREAD",
                                            "onFailure": "NONE,ERROR"}],
         order(amount_cents=0), True),
    Case("none-then-error", [{**POSITIVE, "onFailure": "NONE"},
                             rule("city", "message.ship.city == 'Oslo'")],
         order(amount_cents=0, ship={"city": "Rome"}), False),
    Case("none-then-pass", [{**POSITIVE, "onFailure": "NONE"},
                            rule("city", "message.ship.city == 'Oslo'")],
         order(amount_cents=0), True),
    Case("no-executor", [rule("enc", "", type="ENCRYPT", kind="TRANSFORM", tags=["PII"])],
         order(), False),
    Case("field-inline-tag-true", [rule("pii", "value.contains('@')", type="CEL_FIELD",
                                        tags=["PII"])], order(), True),
    Case("field-inline-tag-false", [rule("pii", "value.contains('@')", type="CEL_FIELD",
                                         tags=["PII"])], order(email="nobody"), False),
    Case("field-metadata-tag-false",
         [rule("key", "value.size() == 4", type="CEL_FIELD", tags=["KEY"])], order(id="o-1"),
         False, metadata={"tags": {"shop.Order.id": ["KEY"]}}),
    Case("field-wildcard-tag-true",
         [rule("key", "value.size() == 4", type="CEL_FIELD", tags=["KEY"])], order(),
         True, metadata={"tags": {"shop.*.id": ["KEY"]}}),
    Case("field-unmatched-tag", [rule("t", "false", type="CEL_FIELD", tags=["NOPE"])], order(),
         True),
    Case("field-type-guard-long",
         [rule("t", "typeName == 'LONG' ; value > 0", type="CEL_FIELD")],
         order(amount_cents=-5), False),
    Case("field-type-guard-string-empty-id",
         [rule("t", "typeName == 'STRING' ; value.size() > 0", type="CEL_FIELD")],
         order(id=""), False),
    Case("field-array-items-are-not-verdicts",
         [rule("t", "typeName == 'STRING' ; value.size() > 0", type="CEL_FIELD")],
         order(items=["", "tea"]), True),
    Case("field-null-branch",
         [rule("t", "name == 'note' ; value == null || value.size() < 3", type="CEL_FIELD")],
         order(), True),
    Case("field-nested-full-name",
         [rule("t", "fullName == 'shop.Address.city' ; value == 'Oslo'", type="CEL_FIELD")],
         order(ship={"city": "Rome"}), False),
    Case("field-transform-mask",
         [rule("mask", "typeName == 'STRING' ; 'XXX'", type="CEL_FIELD", kind="TRANSFORM",
               tags=["PII"])], order(), True, result=order(email="XXX")),
    # JSON Schema
    Case("json-condition-true", [POSITIVE], jorder(), True, fmt="JSON"),
    Case("json-condition-false", [POSITIVE], jorder(amount_cents=0), False, fmt="JSON"),
    Case("json-field-inline-tag-false",
         [rule("pii", "value.contains('@')", type="CEL_FIELD", tags=["PII"])],
         jorder(email="nobody"), False, fmt="JSON"),
    Case("json-field-double",
         [rule("t", "typeName == 'DOUBLE' ; value < 1.0", type="CEL_FIELD")],
         jorder(score=2.5), False, fmt="JSON"),
    Case("json-field-boolean", [rule("t", "typeName == 'BOOLEAN' ; value", type="CEL_FIELD")],
         jorder(active=False), False, fmt="JSON"),
    Case("json-field-nested-true",
         [rule("t", "fullName == '$.ship.city' ; value == 'Oslo'", type="CEL_FIELD")],
         jorder(), True, fmt="JSON"),
    Case("json-field-metadata-tag",
         [rule("t", "value.startsWith('o-')", type="CEL_FIELD", tags=["KEY"])],
         jorder(id="x-1"), False, fmt="JSON", metadata={"tags": {"$.id": ["KEY"]}}),
    # read
    Case("read-condition-false", [{**POSITIVE, "mode": "READ"}], order(amount_cents=0), False,
         op="READ"),
    Case("read-condition-true", [{**POSITIVE, "mode": "READ"}], order(), True, op="READ"),
    Case("write-rule-not-on-read", [POSITIVE], order(amount_cents=0), True, op="READ"),
    Case("writeread-split-action-read", [{**POSITIVE, "mode": "WRITEREAD",
                                           "onFailure": "NONE,ERROR"}],
         order(amount_cents=0), False, op="READ"),
    Case("read-disabled", [{**POSITIVE, "mode": "READ", "disabled": True}],
         order(amount_cents=0), True, op="READ"),
    Case("read-field-transform-mask",
         [rule("mask", "typeName == 'STRING' ; 'XXX'", type="CEL_FIELD", kind="TRANSFORM",
               mode="READ", tags=["PII"])], order(), True, op="READ", result=order(email="XXX")),
    Case("json-read-field-false",
         [rule("pii", "value.contains('@')", type="CEL_FIELD", tags=["PII"], mode="READ")],
         jorder(email="nobody"), False, op="READ", fmt="JSON"),
]


class RecordingProducer:
    """Stands in for the Kafka producer of confluent-kafka's DLQ action: keeps what it sends."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Any, list[Any]]] = []

    def produce(self, topic: str, key: Any = None, value: Any = None, headers: Any = None,
                on_delivery: Any = None) -> None:
        self.sent.append((topic, value, list(headers or [])))

    def poll(self, _timeout: float) -> int:
        return 0

    def flush(self, _timeout: float | None = None) -> int:
        return 0


@pytest.fixture(scope="module")
def clients(charter_url: str) -> Iterator[tuple[SchemaRegistryClient, Registry]]:
    sr = SchemaRegistryClient({"url": charter_url})
    registry = Registry(charter_url)
    yield sr, registry
    registry.close()
    sr.close()


def rule_registry(dlq: RecordingProducer) -> RuleRegistry:
    rules = RuleRegistry()
    rules.register_executor(CelExecutor())
    rules.register_executor(CelFieldExecutor())
    rules.register_action(DlqAction({"producer": dlq}))
    return rules


def register(url: str, subject: str, case: Case) -> None:
    body: dict[str, Any] = {"schema": AVRO if case.fmt == "AVRO" else JSON,
                            "ruleSet": {"domainRules": case.rules}}
    if case.fmt == "JSON":
        body["schemaType"] = "JSON"
    if case.metadata is not None:
        body["metadata"] = case.metadata
    answer = httpx.post(f"{url}/subjects/{subject}/versions", json=body, timeout=10)
    assert answer.status_code == 200, answer.text


def decode(fmt: str, payload: bytes) -> Any:
    if fmt == "JSON":
        return json.loads(payload)
    return fastavro.schemaless_reader(io.BytesIO(payload), fastavro.parse_schema(json.loads(AVRO)),
                                      None)


def confluent_side(case: Case, sr: SchemaRegistryClient, topic: str,
                   dlq: RecordingProducer) -> tuple[bool, Any]:
    ctx = SerializationContext(topic, MessageField.VALUE, [])
    rules = rule_registry(dlq)
    schema = AVRO if case.fmt == "AVRO" else JSON
    try:
        if case.op == "WRITE":
            conf = {"auto.register.schemas": False, "use.latest.version": True}
            if case.fmt == "AVRO":
                ser: Any = AvroSerializer(sr, schema, conf=conf, rule_registry=rules)
            else:
                ser = JSONSerializer(schema, sr, conf=conf, rule_registry=rules)
            data = ser(copy.deepcopy(case.value), ctx)
            return True, decode(case.fmt, split(data)[1])
        reader = SchemaRegistryClient({"url": URL[0]})  # a cold cache, as a consumer has
        des: Any = (AvroDeserializer(reader, rule_registry=rules) if case.fmt == "AVRO"
                    else JSONDeserializer(None, schema_registry_client=reader,
                                          rule_registry=rules))
        try:
            return True, des(unruled(topic, case), ctx)
        finally:
            reader.close()
    except SerializationError:
        return False, None


def charter_side(case: Case, registry: Registry, topic: str,
                 dead: list[RuleFailure]) -> tuple[bool, Any]:
    try:
        if case.op == "WRITE":
            data = Serializer(registry, topic=topic, dead_letters=dead.append).serialize(
                copy.deepcopy(case.value))
            return True, decode(case.fmt, split(data)[1])
        return True, Deserializer(registry).deserialize(unruled(topic, case))
    except RuleError:
        return False, None


def unruled(topic: str, case: Case) -> bytes:
    """The value framed with the subject's latest id, encoded without running any rule."""
    latest = httpx.get(f"{URL[0]}/subjects/{topic}-value/versions/latest", timeout=10).json()
    if case.fmt == "JSON":
        payload = json.dumps(case.value).encode()
    else:
        out = io.BytesIO()
        fastavro.schemaless_writer(out, fastavro.parse_schema(json.loads(AVRO)), case.value)
        payload = out.getvalue()
    return frame(int(latest["id"]), payload)


def test_there_are_thirty_pairs_or_more() -> None:
    assert len(CASES) >= 30
    assert {c.passes for c in CASES} == {True, False}
    assert {c.op for c in CASES} == {"WRITE", "READ"} and {c.fmt for c in CASES} == {"AVRO", "JSON"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_same_verdict_as_confluent(
    case: Case, charter_url: str, clients: tuple[SchemaRegistryClient, Registry]
) -> None:
    sr, registry = clients
    URL[:] = [charter_url]
    topic = f"rules-{case.name}-{secrets.token_hex(3)}"
    register(charter_url, f"{topic}-value", case)
    dlq = RecordingProducer()
    dead: list[RuleFailure] = []
    theirs = confluent_side(case, sr, topic, dlq)
    ours = charter_side(case, registry, topic, dead)
    assert ours[0] == theirs[0] == case.passes
    if case.passes:
        assert ours[1] == theirs[1]
        if case.result is not None:
            assert ours[1] == case.result
    if any(r.get("onFailure") == "DLQ" for r in case.rules) and not case.passes:
        assert [t for t, _, _ in dlq.sent] == ["bad"]
        assert [(f.rule.name, f.mode, f.rule.params.get("dlq.topic")) for f in dead] == [
            (case.rules[0]["name"], case.op, "bad")]
        assert json.loads(dlq.sent[0][1]) == dead[0].value == case.value
