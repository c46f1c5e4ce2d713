"""The HTTP client against the real router: the answers, values and errors of the embedded one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker import (
    Broker,
    BrokerAPI,
    OffsetOutOfRangeError,
    ProducerRecord,
    StaleGenerationError,
    TopicConfig,
    TopicDescription,
    TopicExistsError,
    UnknownTopicError,
)
from broker.client import BrokerClient, RemoteError
from broker.http import create_router


@pytest.fixture
def remote(broker: Broker) -> Iterator[BrokerClient]:
    app = FastAPI()
    app.include_router(create_router(broker))
    with TestClient(app) as http, BrokerClient(client=http) as client:
        yield client


def test_admin_produce_fetch_and_errors_round_trip(remote: BrokerClient, broker: Broker) -> None:
    created = remote.create_topic("t", TopicConfig(partitions=2))
    assert isinstance(created, TopicDescription)
    assert created == broker.describe_topic("t")
    assert remote.list_topics() == ["t"]
    with pytest.raises(TopicExistsError) as info:
        remote.create_topic("t")
    assert info.value == TopicExistsError("t")
    placed = remote.produce("t", [ProducerRecord(b"a", key=b"k"), ProducerRecord(b"b", key=b"k")])
    p = placed[0][0]
    assert placed == [(p, 0), (p, 1)]
    got = remote.fetch("t", p, 1)
    assert [(r.offset, r.value) for r in got.records] == [(1, b"b")]
    assert (got.log_start_offset, got.log_end_offset) == (0, 2)
    assert got == broker.fetch("t", p, 1)
    assert remote.offsets("t", p) == broker.offsets("t", p)
    with pytest.raises(OffsetOutOfRangeError) as out_of_range:
        remote.fetch("t", p, 3)
    assert out_of_range.value == OffsetOutOfRangeError(3, 0, 2)
    many = remote.fetch_many({("t", 0): 0, ("t", 1): 0}, wait_ms=1000)
    assert sum(len(f.records) for f in many.values()) == 2
    assert many == broker.fetch_many({("t", 0): 0, ("t", 1): 0})
    # the limits bound the whole answer, as in process
    one = remote.fetch_many({("t", 0): 0, ("t", 1): 0}, records_max=1)
    assert one == broker.fetch_many({("t", 0): 0, ("t", 1): 0}, records_max=1)
    assert sum(len(f.records) for f in one.values()) == 1
    altered = remote.alter_topic("t", partitions=3)
    assert altered == broker.describe_topic("t")
    assert len(remote.describe_topic("t").partitions) == 3
    assert remote.partition_count("t") == 3
    remote.delete_topic("t")
    with pytest.raises(UnknownTopicError):
        remote.describe_topic("t")
    with pytest.raises(RemoteError) as bad:
        remote.create_topic("x", TopicConfig(partitions="many"))  # type: ignore[arg-type]
    assert bad.value.status == 422


def test_group_calls_round_trip(remote: BrokerClient, broker: Broker) -> None:
    remote.create_topic("t", TopicConfig(partitions=2))
    remote.produce("t", [ProducerRecord(b"a")], partition=0)
    groups = remote.groups
    a = groups.join("g", ["t"], client_id="a")
    b = groups.join("g", ["t"], client_id="b")
    with pytest.raises(StaleGenerationError):
        groups.heartbeat("g", a.member_id, a.generation)
    a = groups.sync("g", a.member_id)
    assert a == broker.groups.sync("g", a.member_id)
    owner = a if ("t", 0) in a.partitions else b
    groups.commit("g", {("t", 0): 1}, member_id=owner.member_id, generation=a.generation)
    assert groups.committed("g", "t", 0) == 1
    assert groups.committed("g", "t", 1) is None
    lag = remote.lag("g")
    assert lag == broker.lag("g")
    assert {x.partition: x.lag for x in lag} == {0: 0, 1: 0}
    groups.leave("g", b.member_id)
    assert groups.list_groups() == ["g"]
    described = groups.describe("g")
    assert described == broker.groups.describe("g")
    assert len(described.members) == 1
    assert described.committed == {("t", 0): 1}


def test_both_satisfy_the_one_api(remote: BrokerClient, broker: Broker) -> None:
    """The same code runs against either: a `broker.Consumer` reads and commits through both."""
    from broker import Consumer

    apis: list[BrokerAPI] = [broker, remote]
    broker.create_topic("t", TopicConfig(partitions=2))
    broker.produce("t", [ProducerRecord(b"x", key=b"k%d" % i) for i in range(6)])
    seen = []
    for api in apis:
        consumer = Consumer(api, ["t"], group=f"g-{len(seen)}")
        got = consumer.poll(wait_ms=1000)
        while len(got) < 6:
            got += consumer.poll(wait_ms=1000)
        consumer.commit()
        seen.append(sorted((r.partition, r.offset) for r in got))
        assert {(x.partition, x.lag) for x in api.lag(consumer.group or "")} == {(0, 0), (1, 0)}
        consumer.close()
    assert seen[0] == seen[1]


def test_the_client_loads_no_web_framework() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from broker.client import BrokerClient\n"
        "import sdk.transports.http\n"
        "BrokerClient('http://127.0.0.1:9').close()\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'pydantic') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_heartbeats_within_the_interval_are_not_sent_commits_always_are(broker: Broker) -> None:
    """With `heartbeat_interval_ms`, a member whose last call was answered within it sends no
    heartbeat (so it learns of a rebalance later, within the interval); commits always go,
    and the broker refuses a stale one."""
    broker.create_topic("t", TopicConfig(partitions=2))
    app = FastAPI()
    app.include_router(create_router(broker))
    with TestClient(app) as http:
        paced = BrokerClient(client=http, heartbeat_interval_ms=600_000)
        every = BrokerClient(client=http)
        a = paced.groups.join("g", ["t"])
        every.groups.join("g", ["t"])  # a new generation: a's is stale now
        paced.groups.heartbeat("g", a.member_id, a.generation)  # not sent: nothing raised
        with pytest.raises(StaleGenerationError):
            every.groups.heartbeat("g", a.member_id, a.generation)
        with pytest.raises(StaleGenerationError):
            paced.groups.commit("g", {("t", 0): 0}, member_id=a.member_id,
                                generation=a.generation)
        again = paced.groups.sync("g", a.member_id)
        paced.groups.heartbeat("g", a.member_id, again.generation)
