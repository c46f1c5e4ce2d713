"""The producer/consumer suite, run against every transport: the built-in broker embedded
(`memory://`, `file://`) and Kafka (Tansu through confluent-kafka)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest

from broker import keyed_partition
from sdk import (
    Consumer,
    DeliveryError,
    Event,
    Message,
    Producer,
    Registry,
    SqliteStore,
    TransportError,
    ValidationError,
    read_dead_letter,
)
from sdk.wire import frame
from tests.flow.conftest import order

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def registered(registry: Registry, topic: str, order_schema: dict[str, Any]) -> int:
    return registry.register(f"{topic}-value", json.dumps(order_schema), "JSON")


def event(n: int, **changes: Any) -> Event:
    return Event("order.placed", "/services/orders", order(n, **changes))


def drain(consumer: Consumer, count: int, *, polls_max: int = 60) -> list[Message]:
    """Poll until `count` messages arrived (or `polls_max` polls came back empty)."""
    got: list[Message] = []
    empty = 0
    while len(got) < count and empty < polls_max:
        batch = consumer.poll(0.5)
        empty = 0 if batch else empty + 1
        got.extend(batch)
    return got


def consumer_for(
    broker_url: str, registry: Registry, topic: str, group: str | None, **options: Any
) -> Consumer:
    return Consumer(broker_url, registry=registry, group=group, topics=[topic], **options)


def test_published_events_reach_a_group_decoded_and_committed(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    sent = [event(n) for n in range(5)]
    with Producer(broker_url, registry=registry) as producer:
        for e in sent:
            producer.publish(topic, e, key=e.data["customerId"], headers={"trace": "t-1"})
        producer.flush()
    with consumer_for(broker_url, registry, topic, "g1", **consumer_options) as consumer:
        got = drain(consumer, 5)
        consumer.commit()
    assert sorted(m.value["eventId"] for m in got) == sorted(e.event_id for e in sent)
    for m in got:
        assert m.error is None
        assert m.schema_id == registered
        assert m.key == m.value["data"]["customerId"].encode()
        assert m.header("trace") == b"t-1"
        assert m.timestamp.year >= 2026
        assert Event.from_dict(m.value).event_type == "order.placed"
    # the group committed: a member that joins later starts after the five; another group
    # reads everything
    with Producer(broker_url, registry=registry) as producer:
        producer.publish(topic, event(5), key="cus-2")
    with consumer_for(broker_url, registry, topic, "g1", **consumer_options) as again:
        assert [m.value["data"]["orderId"] for m in drain(again, 1)] == ["ord-5"]
    with consumer_for(broker_url, registry, topic, "g2", **consumer_options) as other:
        assert len(drain(other, 6)) == 6


def test_an_invalid_event_is_rejected_before_anything_is_sent(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        with pytest.raises(ValidationError) as caught:
            producer.publish(
                topic, event(1, items=[{"sku": "X", "quantity": 2.5, "unitPrice": "1"}])
            )
        assert any(v.path == "/data/items/0/quantity" for v in caught.value.violations)
        producer.publish(topic, event(2))
    with consumer_for(broker_url, registry, topic, None, **consumer_options) as reader:
        got = drain(reader, 2, polls_max=3)
    assert [m.value["data"]["orderId"] for m in got] == ["ord-2"]


def test_keys_keep_their_order_and_land_where_kafka_puts_them(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    keys = ["cus-a", "cus-b", "cus-c", "cus-d"]
    with Producer(broker_url, registry=registry, partitions=3, batch_size=7) as producer:
        for n in range(40):
            producer.publish(topic, event(n), key=keys[n % 4])
    with consumer_for(broker_url, registry, topic, None, partitions=3, **consumer_options) as c:
        got = drain(c, 40)
    assert len(got) == 40
    for key in keys:
        mine = [m for m in got if m.key == key.encode()]
        assert [m.value["data"]["orderId"] for m in mine] == [
            f"ord-{n}" for n in range(40) if keys[n % 4] == key
        ]
        assert {m.partition for m in mine} == {keyed_partition(key.encode(), 3)}


def test_flush_raises_for_records_the_broker_refuses(
    broker_url: str, registry: Registry, topic: str
) -> None:
    producer = Producer(broker_url, registry=registry)
    producer.publish_bytes(topic, frame(1, b"x" * (3 * 1024 * 1024)))
    with pytest.raises(DeliveryError) as caught:
        producer.flush()
    assert caught.value.failures and caught.value.failures[0][0] in (topic, "*")
    producer.close()


def test_seek_rereads_from_an_offset_and_from_the_beginning(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        for n in range(6):
            producer.publish(topic, event(n))
    with consumer_for(broker_url, registry, topic, "seekers", **consumer_options) as consumer:
        first = drain(consumer, 6)
        assert [m.offset for m in first] == list(range(6))
        consumer.seek(topic, 0, 4)
        assert [m.offset for m in drain(consumer, 2)] == [4, 5]
        consumer.seek_to_beginning()
        assert [m.offset for m in drain(consumer, 6)] == list(range(6))


class _Recorder:
    def __init__(self, fail: Callable[[Message], bool] = lambda m: False) -> None:
        self.fail = fail
        self.calls: list[str] = []
        self.done: list[str] = []

    def __call__(self, m: Message) -> None:
        order_id = m.value["data"]["orderId"]
        self.calls.append(order_id)
        if self.fail(m):
            raise RuntimeError(f"cannot handle {order_id}")
        self.done.append(order_id)


def test_run_retries_then_dead_letters_and_the_group_moves_on(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    flaky = {"ord-1": 2}  # fails twice, then succeeds

    def fail(m: Message) -> bool:
        oid = m.value["data"]["orderId"]
        if oid == "ord-3":
            return True  # a poison pill
        if flaky.get(oid, 0) > 0:
            flaky[oid] -= 1
            return True
        return False

    with Producer(broker_url, registry=registry) as producer:
        for n in range(5):
            producer.publish(topic, event(n), key=f"k{n}")
    handler = _Recorder(fail)
    with consumer_for(broker_url, registry, topic, "workers", **consumer_options) as consumer:
        stats = consumer.run(handler, retries=3, backoff_s=0.001, max_messages=5)
    assert handler.done == ["ord-0", "ord-1", "ord-2", "ord-4"]
    assert handler.calls.count("ord-3") == 4 and handler.calls.count("ord-1") == 3
    assert (stats.handled, stats.dead_lettered, stats.retries) == (4, 1, 5)
    with consumer_for(broker_url, registry, f"{topic}.dlq", None, **consumer_options) as dlq:
        dead = drain(dlq, 1)
    assert len(dead) == 1 and dead[0].value["data"]["orderId"] == "ord-3"
    assert dead[0].key == b"k3"
    letter = read_dead_letter(dead[0].headers)
    assert letter is not None
    assert (letter.error, letter.topic, letter.partition, letter.offset) == (
        "RuntimeError",
        topic,
        0,
        3,
    )
    assert (letter.attempts, letter.stage) == (4, "handle")
    assert "cannot handle ord-3" in letter.message
    with Producer(broker_url, registry=registry) as producer:
        producer.publish(topic, event(5), key="k5")
    with consumer_for(broker_url, registry, topic, "workers", **consumer_options) as again:
        # everything was committed, the poison pill too: the group reads on from the sixth
        assert [m.offset for m in drain(again, 1)] == [5]


def test_undecodable_records_go_to_the_dead_letter_topic_without_retries(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        producer.publish(topic, event(0))
        producer.publish_bytes(topic, b"\x01not framed")  # wrong magic byte
        producer.publish_bytes(topic, frame(2**31 - 7, b"{}"))  # unknown schema id
        producer.publish(topic, event(3))
    handler = _Recorder()
    with consumer_for(broker_url, registry, topic, "strict", **consumer_options) as consumer:
        stats = consumer.run(handler, retries=5, backoff_s=0.001, max_messages=4)
    assert handler.calls == ["ord-0", "ord-3"]
    assert (stats.handled, stats.dead_lettered, stats.retries) == (2, 2, 0)
    with consumer_for(broker_url, registry, f"{topic}.dlq", None, **consumer_options) as dlq:
        dead = drain(dlq, 2)
    letters = [read_dead_letter(m.headers) for m in dead]
    assert [(x.error, x.offset, x.attempts, x.stage) for x in letters if x] == [
        ("WireFormatError", 1, 0, "decode"),
        ("SchemaNotFoundError", 2, 0, "decode"),
    ]
    assert [m.raw for m in dead] == [b"\x01not framed", frame(2**31 - 7, b"{}")]


def test_without_dead_letters_a_failure_stops_the_consumer_uncommitted(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        producer.publish(topic, event(0))
    handler = _Recorder(lambda m: True)
    consumer = consumer_for(broker_url, registry, topic, "halting", **consumer_options)
    with consumer, pytest.raises(RuntimeError, match="cannot handle ord-0"):
        consumer.run(handler, retries=1, backoff_s=0.001, dead_letter=False, max_messages=1)
    with consumer_for(broker_url, registry, topic, "halting", **consumer_options) as again:
        assert [m.offset for m in drain(again, 1)] == [0]


class _Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing catches it."""


class _CrashingConsumer(Consumer):
    def commit(self) -> None:
        raise _Crash


def test_a_redelivery_after_a_crash_before_commit_is_skipped_by_the_idempotency_store(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
    tmp_path: Any,
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        for n in range(3):
            producer.publish(topic, event(n))
        producer.publish(topic, event(3))
    store_url = f"sqlite:///{tmp_path / 'handled.db'}"
    side_effects = _Recorder()
    crashing = _CrashingConsumer(
        broker_url, registry=registry, group="billing", topics=[topic], **consumer_options
    )
    with pytest.raises(_Crash):
        crashing.run(side_effects, idempotency=store_url, max_messages=4)
    crashing.close()
    assert sorted(side_effects.done) == ["ord-0", "ord-1", "ord-2", "ord-3"]
    with consumer_for(broker_url, registry, topic, "billing", **consumer_options) as consumer:
        stats = consumer.run(side_effects, idempotency=store_url, max_messages=4)
    assert (stats.handled, stats.duplicates) == (0, 4)
    assert sorted(side_effects.done) == ["ord-0", "ord-1", "ord-2", "ord-3"]  # no second effect


def test_run_stops_when_told(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    stop = threading.Event()
    handler = _Recorder()
    with consumer_for(broker_url, registry, topic, "stoppable", **consumer_options) as consumer:
        stop.set()
        stats = consumer.run(handler, stop=stop, idempotency=SqliteStore())
    assert stats.handled == 0 and handler.calls == []


def test_an_unknown_broker_url_is_a_configuration_error(registry: Registry) -> None:
    from sdk import ConfigurationError

    with pytest.raises(ConfigurationError, match="unknown broker URL"):
        Producer("nats://127.0.0.1:4222", registry=registry)
    assert issubclass(DeliveryError, TransportError)


def test_a_commit_refused_after_a_rebalance_does_not_stop_run(
    registry: Registry, topic: str, registered: int
) -> None:
    url = f"memory://{topic}"
    with Producer(url, registry=registry) as producer:
        for n in range(3):
            producer.publish(topic, event(n))
    first = consumer_for(url, registry, topic, "shared")
    assert len(drain(first, 3)) == 3
    second = consumer_for(url, registry, topic, "shared")  # a new generation
    with pytest.raises(TransportError, match="rebalance"):
        first.commit()
    second.close()
    first.seek_to_beginning()

    class _RefusesOnce(Consumer):
        refused = False

        def commit(self) -> None:
            if not self.refused:
                self.refused = True
                raise TransportError("commit rejected after a rebalance: stale generation")
            super().commit()

    handler = _Recorder()
    with _RefusesOnce(url, registry=registry, group="other", topics=[topic]) as consumer:
        stats = consumer.run(handler, max_messages=3)
    assert (stats.handled, stats.commit_failures) == (3, 1)
    first.close()


def test_a_poll_that_cannot_reach_the_registry_gives_its_records_back(
    registry: Registry, topic: str, registered: int
) -> None:
    from sdk import Deserializer, RegistryUnavailableError

    url = f"memory://{topic}"
    with Producer(url, registry=registry) as producer:
        for n in range(3):
            producer.publish(topic, event(n))
    down = Registry("http://127.0.0.1:9", retries=0, timeout_s=1.0)
    with consumer_for(url, down, topic, "patient") as consumer:
        with pytest.raises(RegistryUnavailableError):
            consumer.poll(1.0)
        consumer.deserializer = Deserializer(registry)  # the registry is back
        assert [m.offset for m in drain(consumer, 3)] == [0, 1, 2]
    down.close()


def test_seeks_before_the_first_poll_apply_once_partitions_are_assigned(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    with Producer(broker_url, registry=registry) as producer:
        for n in range(4):
            producer.publish(topic, event(n))
    with consumer_for(broker_url, registry, topic, "rewinders", **consumer_options) as first:
        assert len(drain(first, 4)) == 4
        first.commit()
    with consumer_for(broker_url, registry, topic, "rewinders", **consumer_options) as again:
        again.seek_to_beginning()  # the group committed 4: without the seek nothing comes
        again.seek(topic, 0, 2)  # the last seek wins
        assert [m.offset for m in drain(again, 2)] == [2, 3]


def test_two_members_of_a_group_share_the_partitions(
    broker_url: str,
    registry: Registry,
    topic: str,
    registered: int,
    consumer_options: dict[str, Any],
) -> None:
    options = {**consumer_options, "partitions": 2}
    first = consumer_for(broker_url, registry, topic, "pair", **options)
    second = consumer_for(broker_url, registry, topic, "pair", **options)
    try:
        for _ in range(60):  # until the group settled: each member owns one partition
            first.poll(0.2)
            second.poll(0.2)
            owned = [set(first.assignment()), set(second.assignment())]
            if all(len(o) == 1 for o in owned) and owned[0] != owned[1]:
                break
        assert sorted(tp for o in owned for tp in o) == [(topic, 0), (topic, 1)]
        with Producer(broker_url, registry=registry, partitions=2) as producer:
            for n in range(20):
                producer.publish(topic, event(n), key=f"cus-{n}")
        got: dict[str, list[Message]] = {"first": [], "second": []}
        for _ in range(60):
            got["first"].extend(first.poll(0.2))
            got["second"].extend(second.poll(0.2))
            if len(got["first"]) + len(got["second"]) >= 20:
                break
    finally:
        first.close()
        second.close()
    ids = [m.value["data"]["orderId"] for ms in got.values() for m in ms]
    assert sorted(ids) == sorted(f"ord-{n}" for n in range(20))
    assert {m.partition for m in got["first"]} == {p for _, p in owned[0]}
    assert {m.partition for m in got["second"]} == {p for _, p in owned[1]}


def test_a_contract_enforcing_topic_refuses_what_the_sdk_did_not_frame(
    charter_url: str, registry: Registry, topic: str, registered: int
) -> None:
    from broker import TopicConfig
    from broker.client import BrokerClient

    if "127.0.0.1" not in charter_url:
        pytest.skip("needs the broker's HTTP API")
    with BrokerClient("http://" + charter_url.split("://", 1)[1]) as admin:
        try:
            admin.create_topic(topic, TopicConfig(partitions=1, contract="id"))
        except Exception as exc:  # the router alone has no contract source
            pytest.skip(f"this broker enforces no contracts: {exc}")
    with Producer(charter_url, registry=registry) as producer:
        producer.publish(topic, event(1))
        producer.flush()
        producer.publish_bytes(topic, b"\x01not framed")
        with pytest.raises(DeliveryError, match="ContractViolation"):
            producer.flush()
    with consumer_for(charter_url, registry, topic, None) as reader:
        assert [m.value["data"]["orderId"] for m in drain(reader, 2, polls_max=2)] == ["ord-1"]


# ---------------------------------------------------------------------- the package's shape


def _transport_imports() -> dict[str, set[str]]:
    """Per module of sdk/transports, the modules of sdk/transports it imports, anywhere in it
    (function-level imports included: a lazy import is still an edge of the graph)."""
    import ast
    from pathlib import Path

    import sdk.transports

    package = Path(sdk.transports.__file__).parent
    names = {p.stem for p in package.glob("*.py")}
    edges: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            for target in targets:
                parts = target.split(".")
                if parts[:2] == ["sdk", "transports"] and len(parts) > 2 and parts[2] in names:
                    found.add(parts[2])
        edges[path.stem] = found - {path.stem}
    return edges


def test_the_transport_modules_import_no_circle() -> None:
    edges = _transport_imports()
    assert edges["base"] == set(), "the transport base imports no transport"
    importers = {m for m, imported in edges.items() if "urls" in imported}
    assert importers <= {"__init__"}, "no transport imports the URL dispatch back"
    # no cycle: repeatedly remove modules that import nothing left
    left = {m: set(imported) for m, imported in edges.items() if m != "__init__"}
    while left:
        leaves = {m for m, imported in left.items() if not imported & set(left)}
        assert leaves, f"an import circle among {sorted(left)}"
        for m in leaves:
            del left[m]


def test_both_ways_to_charters_broker_share_one_producer_and_consumer() -> None:
    from sdk.transports.builtin import BrokerConsumer, BrokerProducer
    from sdk.transports.embedded import EmbeddedConsumer, EmbeddedProducer
    from sdk.transports.http import HttpConsumer, HttpProducer

    assert issubclass(EmbeddedProducer, BrokerProducer) and issubclass(HttpProducer, BrokerProducer)
    assert issubclass(EmbeddedConsumer, BrokerConsumer) and issubclass(HttpConsumer, BrokerConsumer)
