"""The HTTP client against the real router: same answers and same errors as the embedded broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker import (
    Broker,
    OffsetOutOfRangeError,
    ProducerRecord,
    StaleGenerationError,
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
    remote.create_topic("t", partitions=2)
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
    assert remote.offsets("t", p) == broker.offsets("t", p)
    with pytest.raises(OffsetOutOfRangeError) as out_of_range:
        remote.fetch("t", p, 3)
    assert out_of_range.value == OffsetOutOfRangeError(3, 0, 2)
    many = remote.fetch_many({("t", 0): 0, ("t", 1): 0}, max_wait_ms=1000)
    assert sum(len(f.records) for f in many) == 2
    remote.alter_topic("t", partitions=3)
    assert len(remote.describe_topic("t")["partitions"]) == 3
    remote.delete_topic("t")
    with pytest.raises(UnknownTopicError):
        remote.describe_topic("t")
    with pytest.raises(RemoteError) as bad:
        remote.create_topic("x", partitions="many")
    assert bad.value.status == 422


def test_group_calls_round_trip(remote: BrokerClient) -> None:
    remote.create_topic("t", partitions=2)
    remote.produce("t", [ProducerRecord(b"a")], partition=0)
    a = remote.join("g", ["t"], client_id="a")
    b = remote.join("g", ["t"], client_id="b")
    with pytest.raises(StaleGenerationError):
        remote.heartbeat("g", a["member_id"], a["generation"])
    a = remote.sync("g", a["member_id"])
    mine = {(x["topic"], x["partition"]): 1 for x in a["partitions"] if x["partition"] == 0}
    owner = a if mine else b
    remote.commit("g", {("t", 0): 1}, member_id=owner["member_id"], generation=a["generation"])
    lag = {x["partition"]: x["lag"] for x in remote.lag("g")}
    assert lag == {0: 0, 1: 0}
    remote.leave("g", b["member_id"])
    assert remote.list_groups() == ["g"]
    assert len(remote.describe_group("g")["members"]) == 1
