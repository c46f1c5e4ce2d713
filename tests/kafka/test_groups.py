"""Consumer groups over the Kafka protocol: three members, rebalances, commits, restarts."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.kafka.conftest import HttpApi, Serve, consumer, drain, start_serve

pytestmark = pytest.mark.timeout(180)

PARTITIONS = 6


def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i, value in enumerate(values):
        producer.produce(topic, value=value, partition=i % PARTITIONS)
    assert producer.flush(30) == 0


class Member:
    def __init__(self, bootstrap: str, group: str, topic: str, strategy: str) -> None:
        self.assigned: set[tuple[str, int]] = set()
        self.rebalances = 0
        self.values: list[bytes] = []
        self.consumer = consumer(
            bootstrap,
            group,
            **{
                "partition.assignment.strategy": strategy,
                "enable.auto.commit": True,
                "auto.commit.interval.ms": 200,
            },
        )
        self.cooperative = strategy == "cooperative-sticky"
        self.consumer.subscribe([topic], on_assign=self._assign, on_revoke=self._revoke)

    def _assign(self, c: Consumer, partitions: list[TopicPartition]) -> None:
        self.rebalances += 1
        got = {(p.topic, p.partition) for p in partitions}
        self.assigned = self.assigned | got if self.cooperative else got

    def _revoke(self, c: Consumer, partitions: list[TopicPartition]) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        self.assigned -= gone

    def poll(self) -> None:
        m = self.consumer.poll(0.05)
        if m is not None:
            assert m.error() is None, m.error()
            self.values.append(m.value())


def _poll_until(members: list[Member], done: object, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, [sorted(m.assigned) for m in members]
        for m in members:
            m.poll()


def _covering(members: list[Member], topic: str) -> bool:
    owned = [tp for m in members for tp in m.assigned]
    return len(owned) == PARTITIONS and set(owned) == {(topic, p) for p in range(PARTITIONS)}


@pytest.mark.parametrize("strategy", ["range", "cooperative-sticky"])
def test_three_members_share_the_partitions_through_rebalances(
    serve: Serve, http: HttpApi, strategy: str
) -> None:
    topic = f"grp-{uuid.uuid4().hex[:8]}"
    http.create_topic(topic, partitions=PARTITIONS)
    group = f"three-{strategy}"
    first = [f"a-{i}".encode() for i in range(300)]
    _produce(serve.bootstrap, topic, first)
    members = [Member(serve.bootstrap, group, topic, strategy)]
    _poll_until(members, lambda: len(members[0].assigned) == PARTITIONS)
    members += [Member(serve.bootstrap, group, topic, strategy) for _ in range(2)]
    _poll_until(
        members,
        lambda: (
            _covering(members, topic)
            and all(m.assigned for m in members)
            and len({v for m in members for v in m.values}) == 300
        ),
    )
    assert all(len(m.assigned) == 2 for m in members)  # six partitions over three
    second = [f"b-{i}".encode() for i in range(300)]
    _produce(serve.bootstrap, topic, second)
    _poll_until(members, lambda: {v for m in members for v in m.values} >= set(second))
    # one member leaves: the two others take over its partitions
    leaving = members.pop()
    leaving.consumer.close()
    _poll_until(members, lambda: _covering(members, topic))
    third = [f"c-{i}".encode() for i in range(60)]
    _produce(serve.bootstrap, topic, third)
    _poll_until(members, lambda: {v for m in members for v in m.values} >= set(third))
    assert members[0].rebalances >= 2
    seen = {v for m in [*members, leaving] for v in m.values}
    assert seen == set(first + second + third)
    admin = AdminClient({"bootstrap.servers": serve.bootstrap})
    described = admin.describe_consumer_groups([group])[group].result()
    assert len(described.members) == 2
    assert str(described.state).endswith("STABLE")
    assert described.partition_assignor == strategy
    for m in members:
        m.consumer.close()
    listed = admin.list_consumer_groups().result()
    assert group in {g.group_id for g in listed.valid}
    # what the members committed is the broker's: the HTTP API sees it
    lag = http.lag(group)
    assert {row["partition"] for row in lag} == set(range(PARTITIONS))
    assert all(row["committed"] is not None for row in lag)


def test_commits_survive_a_restart_and_the_group_resumes_after_them(tmp_path: Path) -> None:
    running = start_serve(tmp_path / "data")
    try:
        api = HttpApi(running.url)
        api.create_topic("resume", partitions=1)
        api.close()
        _produce_one_partition(running.bootstrap, "resume", 50)
        c = consumer(running.bootstrap, "resumers")
        c.subscribe(["resume"])
        got = drain(c, 20)
        c.commit(message=got[-1], asynchronous=False)
        c.close()
    finally:
        running.stop()
    again = start_serve(tmp_path / "data", kafka_port=running.kafka_port)
    try:
        c = consumer(again.bootstrap, "resumers")
        c.subscribe(["resume"])
        rest = drain(c, 30)
        c.close()
        assert [m.offset() for m in rest] == list(range(20, 50))
        committed = consumer(again.bootstrap, "resumers").committed(
            [TopicPartition("resume", 0)], timeout=10
        )
        assert committed[0].offset == 20
    finally:
        again.stop()


def _produce_one_partition(bootstrap: str, topic: str, count: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(count):
        producer.produce(topic, value=f"r-{i}".encode(), partition=0)
    assert producer.flush(30) == 0
