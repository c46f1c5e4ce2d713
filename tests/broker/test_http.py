from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from broker import Broker, CorruptBatchError, ProducerRecord
from broker.http import create_router
from broker.record import encode_batch
from broker.wire import (
    BATCH_MEDIA_TYPE,
    FETCH_MEDIA_TYPE,
    FETCH_PARTITION,
    FETCH_TOPIC,
    LOG_END_HEADER,
    decode_fetch_body,
    decode_fetch_many_body,
    encode_produce_body,
)
from tests.broker.conftest import FakeClock


@pytest.fixture
def client(broker: Broker) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(create_router(broker))
    with TestClient(app) as c:
        yield c


def produce(client: TestClient, topic: str, records: list[ProducerRecord], **params: int):  # type: ignore[no-untyped-def]
    return client.post(
        f"/broker/topics/{topic}/records",
        content=encode_produce_body(records),
        headers={"content-type": BATCH_MEDIA_TYPE},
        params=params,
    )


def test_topic_admin(client: TestClient) -> None:
    r = client.post("/broker/topics", json={"name": "orders", "partitions": 3, "flush": "never"})
    assert r.status_code == 201, r.text
    assert [p["partition"] for p in r.json()["partitions"]] == [0, 1, 2]
    assert client.get("/broker/topics").json() == ["orders"]
    r = client.post("/broker/topics", json={"name": "orders"})
    assert (r.status_code, r.json()["error"]) == (409, "TopicExistsError")
    r = client.patch("/broker/topics/orders", json={"partitions": 4, "retention_ms": 1000})
    assert r.status_code == 200, r.text
    assert r.json()["config"]["partitions"] == 4
    assert r.json()["config"]["retention_ms"] == 1000
    r = client.patch("/broker/topics/orders", json={"partitions": 1})
    assert r.status_code == 422
    assert r.json()["detail"]["setting"] == "partitions"
    assert client.delete("/broker/topics/orders").status_code == 204
    r = client.get("/broker/topics/orders")
    assert (r.status_code, r.json()["error_code"]) == (404, 40401)


def test_binary_produce_and_fetch(client: TestClient, clock: FakeClock) -> None:
    client.post("/broker/topics", json={"name": "t", "partitions": 2})
    records = [
        ProducerRecord(bytes(range(256)), key=b"\x00\xff", headers=(("trace", b"\x01"),)),
        ProducerRecord(None, key=b"k", timestamp_ms=42),
        ProducerRecord(b"\r\n\x00", headers=(("empty", None),)),
    ]
    r = produce(client, "t", records, partition=1)
    assert r.status_code == 200, r.text
    assert r.json() == {"offsets": [[1, 0], [1, 1], [1, 2]]}
    r = client.get("/broker/topics/t/partitions/1/records", params={"offset": 0})
    assert r.headers["content-type"] == BATCH_MEDIA_TYPE
    assert r.headers[LOG_END_HEADER] == "3"
    got = decode_fetch_body(r.content, "t", 1)
    assert [(x.offset, x.key, x.value, x.headers) for x in got] == [
        (i, s.key, s.value, s.headers) for i, s in enumerate(records)
    ]
    assert [x.timestamp_ms for x in got] == [clock.now_ms, 42, clock.now_ms]
    r = client.get("/broker/topics/t/partitions/1/records", params={"offset": 3})
    assert (r.status_code, r.content) == (200, b"")
    r = client.get("/broker/topics/t/partitions/1/records", params={"offset": 4})
    assert (r.status_code, r.json()["error"]) == (416, "OffsetOutOfRangeError")
    r = client.get("/broker/topics/t/partitions/1/offsets", params={"timestamp_ms": 43})
    assert r.json() == {"log_start_offset": 0, "log_end_offset": 3, "offset_for_time": 0}


def test_a_corrupt_or_oversized_body_is_refused(client: TestClient, broker: Broker) -> None:
    client.post("/broker/topics", json={"name": "t"})
    body = bytearray(encode_produce_body([ProducerRecord(b"hello")]))
    body[-1] ^= 1
    r = client.post("/broker/topics/t/records", content=bytes(body))
    assert (r.status_code, r.json()["error"]) == (400, "CorruptBatchError")
    r = produce(client, "t", [ProducerRecord(b"x" * (broker.limits.record_bytes_max + 1))])
    assert (r.status_code, r.json()["detail"]["limit"]) == (413, "record_bytes_max")
    assert broker.offsets("t", 0) == (0, 0)


def test_group_protocol_over_http(client: TestClient) -> None:
    client.post("/broker/topics", json={"name": "t", "partitions": 2})
    produce(client, "t", [ProducerRecord(b"a")], partition=0)
    a = client.post("/broker/groups/g/members", json={"topics": ["t"], "client_id": "a"}).json()
    assert len(a["partitions"]) == 2
    b = client.post("/broker/groups/g/members", json={"topics": ["t"], "client_id": "b"}).json()
    hb = client.post(
        f"/broker/groups/g/members/{a['member_id']}/heartbeat",
        json={"generation": a["generation"]},
    )
    assert (hb.status_code, hb.json()["error"]) == (409, "StaleGenerationError")
    stale = client.post(
        "/broker/groups/g/offsets",
        json={
            "member_id": a["member_id"],
            "generation": a["generation"],
            "offsets": [{"topic": "t", "partition": 0, "offset": 1}],
        },
    )
    assert stale.status_code == 409
    a = client.post(f"/broker/groups/g/members/{a['member_id']}/sync").json()
    assert a["generation"] == b["generation"] and len(a["partitions"]) == 1
    owner = a if a["partitions"][0]["partition"] == 0 else b
    ok = client.post(
        "/broker/groups/g/offsets",
        json={
            "member_id": owner["member_id"],
            "generation": owner["generation"],
            "offsets": [{"topic": "t", "partition": 0, "offset": 1}],
        },
    )
    assert ok.status_code == 204, ok.text
    lag = client.get("/broker/groups/g/lag").json()
    assert {(x["partition"], x["committed"], x["lag"]) for x in lag} == {(0, 1, 0), (1, None, 0)}
    assert client.delete(f"/broker/groups/g/members/{b['member_id']}").status_code == 204
    described = client.get("/broker/groups/g").json()
    assert len(described["members"]) == 1
    assert described["committed"] == [{"topic": "t", "partition": 0, "offset": 1}]
    assert client.get("/broker/groups").json() == ["g"]


def test_openapi_describes_the_binary_bodies(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/broker/topics/{topic}/records"]["post"]["requestBody"]
    assert BATCH_MEDIA_TYPE in body["content"]


def test_fetch_many_long_polls_several_partitions(client: TestClient, broker: Broker) -> None:
    client.post("/broker/topics", json={"name": "a", "partitions": 2})
    client.post("/broker/topics", json={"name": "b"})
    produce(client, "a", [ProducerRecord(b"a1"), ProducerRecord(b"a2")], partition=1)
    produce(client, "b", [ProducerRecord(b"b1")], partition=0)
    positions = [
        {"topic": "a", "partition": 0, "offset": 0},
        {"topic": "a", "partition": 1, "offset": 1},
        {"topic": "b", "partition": 0, "offset": 0},
    ]
    r = client.post("/broker/fetch", json={"positions": positions, "max_wait_ms": 10_000})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == FETCH_MEDIA_TYPE
    # whole batches: a1 (offset 0) shares a batch with a2 and is dropped by the decoder
    assert len(decode_fetch_many_body(r.content)[("a", 1)].records) == 2
    got = decode_fetch_many_body(r.content, {("a", 1): 1})
    assert [(tp, f.log_end_offset) for tp, f in got.items()] == [
        (("a", 0), 0),
        (("a", 1), 2),
        (("b", 0), 1),
    ]
    assert [[x.value for x in f.records] for f in got.values()] == [[], [b"a2"], [b"b1"]]
    assert got[("a", 1)].records[0].offset == 1
    trimmed = decode_fetch_many_body(r.content, {("a", 1): 1}, records_max=1)
    assert [[x.value for x in f.records] for f in trimmed.values()] == [[], [b"a2"], []]
    positions = [{"topic": "a", "partition": 0, "offset": 0}]
    r = client.post("/broker/fetch", json={"positions": positions, "max_wait_ms": 10})
    assert [f.records for f in decode_fetch_many_body(r.content).values()] == [[]]
    positions = [{"topic": "a", "partition": 0, "offset": 5}]
    r = client.post("/broker/fetch", json={"positions": positions, "max_wait_ms": 10_000})
    assert (r.status_code, r.json()["detail"]["log_end_offset"]) == (416, 0)


def test_a_damaged_fetch_body_is_detected() -> None:
    batch = encode_batch(3, [ProducerRecord(b"value")], [1])
    body = FETCH_TOPIC.pack(1) + b"t" + FETCH_PARTITION.pack(0, 0, 4, len(batch)) + batch
    assert decode_fetch_many_body(body)[("t", 0)].records[0].offset == 3
    for cut in (1, 5, len(body) - 1):
        with pytest.raises(CorruptBatchError):
            decode_fetch_many_body(body[:cut])
    bad = bytearray(body)
    bad[-2] ^= 0xFF
    with pytest.raises(CorruptBatchError):
        decode_fetch_many_body(bytes(bad))


def test_a_contract_rejection_names_the_record(tmp_path: Path) -> None:
    class OnlySchemaOne:
        def is_registered(self, subject: str, schema_id: int) -> bool:
            return schema_id == 1

        def validate(self, subject: str, schema_id: int, payload: bytes) -> str | None:
            return None

    with Broker(tmp_path, contracts=OnlySchemaOne(), maintenance_interval_ms=None) as b:
        app = FastAPI()
        app.include_router(create_router(b))
        with TestClient(app) as c:
            c.post("/broker/topics", json={"name": "orders", "contract": "id"})
            ok, bad = b"\x00\x00\x00\x00\x01{}", b"\x00\x00\x00\x00\x02{}"
            r = produce(c, "orders", [ProducerRecord(ok), ProducerRecord(ok), ProducerRecord(bad)])
            assert r.status_code == 422
            assert r.json()["error"] == "ContractViolationError"
            assert r.json()["detail"]["index"] == 2
            assert "schema id 2" in r.json()["detail"]["reason"]
            assert b.offsets("orders", 0) == (0, 0)
            assert produce(c, "orders", [ProducerRecord(ok)]).json() == {"offsets": [[0, 0]]}


def test_fetch_serves_whole_batches_and_readers_trim(client: TestClient) -> None:
    client.post("/broker/topics", json={"name": "t"})
    for n in range(3):
        produce(client, "t", [ProducerRecord(b"%d-%d" % (n, i)) for i in range(4)], partition=0)
    r = client.get("/broker/topics/t/partitions/0/records", params={"offset": 2, "max_records": 3})
    everything = decode_fetch_body(r.content, "t", 0)
    assert [x.offset for x in everything] == [0, 1, 2, 3, 4, 5, 6, 7]
    trimmed = decode_fetch_body(r.content, "t", 0, offset=2, records_max=3)
    assert [x.value for x in trimmed] == [b"0-2", b"0-3", b"1-0"]
    with pytest.raises(CorruptBatchError):
        decode_fetch_body(r.content[:-1], "t", 0)
    with pytest.raises(CorruptBatchError):
        decode_fetch_body(r.content + b"\x00\x00", "t", 0)


def test_a_long_poll_answers_when_a_record_arrives_not_when_its_wait_ends(
    client: TestClient, broker: Broker
) -> None:
    client.post("/broker/topics", json={"name": "w", "partitions": 2})
    positions = [{"topic": "w", "partition": p, "offset": 0} for p in (0, 1)]
    answers: list[Any] = []
    fetching = threading.Thread(
        target=lambda: answers.append(
            client.post("/broker/fetch", json={"positions": positions, "max_wait_ms": 30_000})
        )
    )
    fetching.start()
    broker.produce("w", [ProducerRecord(b"late")], partition=1)  # before or while it waits
    fetching.join(20)  # well before its 30 s wait would run out
    assert not fetching.is_alive()
    got = decode_fetch_many_body(answers[0].content)
    assert [r.value for r in got[("w", 1)].records] == [b"late"]


def test_a_read_waits_for_a_busy_log_off_the_event_loop(
    client: TestClient, broker: Broker
) -> None:
    """An append holds its log's lock through the fsync: a fetch that meets a busy log reads
    from a worker thread, and the server answers other requests meanwhile."""
    client.post("/broker/topics", json={"name": "busy"})
    produce(client, "busy", [ProducerRecord(b"one")], partition=0)
    log = broker._log("busy", 0)
    fetched: list[Any] = []
    listed: list[Any] = []
    with log._lock:  # as an append does through its fsync
        fetching = threading.Thread(
            target=lambda: fetched.append(
                client.get("/broker/topics/busy/partitions/0/records", params={"offset": 0})
            ),
            daemon=True,
        )
        fetching.start()
        time.sleep(0.5)  # the fetch reaches the server and meets the busy log first
        listing = threading.Thread(
            target=lambda: listed.append(client.get("/broker/topics")), daemon=True
        )
        listing.start()
        listing.join(20)
        assert not listing.is_alive(), "the server stalled behind a busy log"
        assert listed[0].json() == ["busy"]
    fetching.join(20)
    assert [r.value for r in decode_fetch_body(fetched[0].content, "busy", 0)] == [b"one"]


def test_reads_blocked_on_a_busy_log_leave_the_produce_threads_free(
    client: TestClient, broker: Broker
) -> None:
    """More fetches meet a busy log than the server has worker threads (40): they wait in
    threads of their own, and a produce to another topic is still appended meanwhile."""
    client.post("/broker/topics", json={"name": "hot"})
    client.post("/broker/topics", json={"name": "cold"})
    produce(client, "hot", [ProducerRecord(b"one")], partition=0)
    log = broker._log("hot", 0)
    fetched: list[Any] = []
    produced: list[Any] = []
    with log._lock:  # as an append does through its fsync
        fetches = [
            threading.Thread(
                target=lambda: fetched.append(
                    client.get("/broker/topics/hot/partitions/0/records", params={"offset": 0})
                ),
                daemon=True,
            )
            for _ in range(45)
        ]
        for thread in fetches:
            thread.start()
        time.sleep(1.0)  # the fetches reach the server and meet the busy log
        producing = threading.Thread(
            target=lambda: produced.append(
                produce(client, "cold", [ProducerRecord(b"elsewhere")], partition=0)
            ),
            daemon=True,
        )
        producing.start()
        producing.join(20)
        assert not producing.is_alive(), "the produce waited for the busy log's readers"
    for thread in fetches:
        thread.join(20)
    assert len(fetched) == 45 and all(r.status_code == 200 for r in fetched)
    assert broker.offsets("cold", 0) == (0, 1)
