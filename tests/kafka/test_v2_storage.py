"""What a Kafka client produces is stored as it came (magic 2 log batches), read back by every
reader of the log; an idempotent producer's sequences survive a restart of `charter serve`."""

from __future__ import annotations

import struct
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from crc32c import crc32c

from broker.record import BATCH_MAGIC, BATCH_MAGIC_V2, ProducerRecord
from sdk.transports import open_consumer
from tests.kafka.conftest import HttpApi, Serve, start_serve
from tests.kafka.wire import Wire, batch

pytestmark = pytest.mark.timeout(120)

STAMP_MS = 1_790_000_000_123


def _produce(bootstrap: str, topic: str) -> list[tuple[bytes | None, bytes | None, Any, int]]:
    """Five records through librdkafka (one partition): keys, headers, a null value and
    millisecond timestamps; what was sent, as (key, value, headers, timestamp)."""
    sent = [
        (b"k0", b"v0", [("h", b"x"), ("empty", b""), ("none", None)], STAMP_MS),
        (None, b"v1", [], STAMP_MS + 1),
        (b"k2", None, [("only", b"1")], STAMP_MS + 7),
        (b"", b"", [], STAMP_MS + 3),
        (b"k4", b"v" * 300, [], STAMP_MS + 9),
    ]
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50})
    errors: list[Any] = []
    for key, value, headers, ts in sent:
        producer.produce(
            topic, value=value, key=key, headers=headers or None, timestamp=ts, partition=0,
            on_delivery=lambda err, _m: errors.append(err),
        )
    assert producer.flush(30) == 0
    assert errors == [None] * len(sent)
    return sent


def _as_read(headers: list[tuple[str, bytes | None]]) -> tuple[tuple[str, bytes | None], ...]:
    return tuple(headers)


def _magics(data_dir: Path, topic: str) -> list[int]:
    """The kind of each batch of partition 0, read off the segment files."""
    out = []
    for segment in sorted((data_dir / "broker" / "topics" / topic / "0").glob("*.log")):
        raw = segment.read_bytes()
        pos = 0
        while pos < len(raw):
            (length,) = struct.unpack_from(">I", raw, pos)
            out.append(raw[pos + 8])
            pos += 4 + length
    return out


def test_a_kafka_batch_reads_back_over_http_and_file_with_everything_intact(
    tmp_path: Path,
) -> None:
    serve = start_serve(tmp_path / "serve")
    topic = f"v2-{uuid.uuid4().hex[:8]}"
    try:
        http = HttpApi(serve.url)
        http.create_topic(topic, partitions=1)
        sent = _produce(serve.bootstrap, topic)
        http.produce(topic, [ProducerRecord(b"over-http", b"hk", (("via", b"http"),), 42)], 0)
        fetched = http.fetch(topic, 0, 0).records
        http.close()
    finally:
        serve.stop()
    expected = [(k, v, _as_read(h), ts) for k, v, h, ts in sent]
    expected.append((b"hk", b"over-http", (("via", b"http"),), 42))
    assert [(r.key, r.value, r.headers, r.timestamp_ms) for r in fetched] == expected
    assert [r.offset for r in fetched] == list(range(6))
    kinds = _magics(tmp_path / "serve", topic)
    assert BATCH_MAGIC_V2 in kinds and kinds[-1] == BATCH_MAGIC  # both kinds in one partition
    # the SDK in process, on the same directory (serve has let go of it)
    reader = open_consumer(
        f"file://{tmp_path / 'serve' / 'broker'}",
        group=None,
        topics=[topic],
        auto_offset_reset="earliest",
        options={},
    )
    try:
        got: list[Any] = []
        for _ in range(20):
            got.extend(reader.poll(0.2, 100))
            if len(got) >= 6:
                break
    finally:
        reader.close()
    assert [(r.key, r.value, r.headers, r.timestamp_ms) for r in got] == expected


def _idempotent(records: bytes, producer_id: int, epoch: int, sequence: int) -> bytes:
    """A v2 batch (tests.kafka.wire.batch) given an idempotent producer's fields."""
    out = bytearray(records)
    struct.pack_into(">qhi", out, 43, producer_id, epoch, sequence)
    struct.pack_into(">I", out, 17, crc32c(bytes(out[21:])))
    return bytes(out)


def _produce_v9(wire: Wire, topic: str, records: bytes) -> tuple[int, int]:
    answer = wire.call(
        "produce",
        9,
        {
            "transactional_id": None,
            "acks": -1,
            "timeout": 5000,
            "topic_data": [
                {"name": topic, "partition_data": [{"index": 0, "records": records}]}
            ],
        },
    )
    partition = answer.responses[0].partition_responses[0]
    return int(partition.error_code), int(partition.base_offset)


def _init_producer(wire: Wire) -> tuple[int, int]:
    answer = wire.call(
        "init_producer_id",
        4,
        {
            "transactional_id": None,
            "transaction_timeout": 60_000,
            "producer_id": -1,
            "producer_epoch": -1,
        },
    )
    assert int(answer.error_code) == 0
    return int(answer.producer_id), int(answer.producer_epoch)


def _restart(serve: Serve) -> Serve:
    serve.stop()
    return start_serve(serve.data_dir, http_port=serve.http_port, kafka_port=serve.kafka_port)


@pytest.mark.parametrize("rolled", [False, True], ids=["active-segment", "after-a-roll"])
def test_idempotent_sequences_survive_a_restart(tmp_path: Path, rolled: bool) -> None:
    from kio.schema.errors import ErrorCode

    serve = start_serve(tmp_path / "serve")
    topic = f"idem-{uuid.uuid4().hex[:8]}"
    try:
        http = HttpApi(serve.url)
        # a small segment rolls after every batch: the state then comes from the snapshot
        http.create_topic(topic, partitions=1, **({"segment_bytes": 4096} if rolled else {}))
        http.close()
        wire = Wire(serve.bootstrap)
        producer_id, epoch = _init_producer(wire)
        first = _idempotent(batch([b"a", b"b"]), producer_id, epoch, 0)
        second = _idempotent(batch([b"c"] * 30), producer_id, epoch, 2)
        assert _produce_v9(wire, topic, first) == (ErrorCode.none, 0)
        assert _produce_v9(wire, topic, second) == (ErrorCode.none, 2)
        wire.close()

        serve = _restart(serve)
        wire = Wire(serve.bootstrap)
        # retries of batches acknowledged before the restart get their first offsets
        assert _produce_v9(wire, topic, second) == (ErrorCode.none, 2)
        assert _produce_v9(wire, topic, first) == (ErrorCode.none, 0)
        gap = _idempotent(batch([b"d"]), producer_id, epoch, 40)
        assert _produce_v9(wire, topic, gap)[0] == ErrorCode.out_of_order_sequence_number
        old = _idempotent(batch([b"d"]), producer_id, epoch - 1, 32)
        assert _produce_v9(wire, topic, old)[0] == ErrorCode.invalid_producer_epoch
        nxt = _idempotent(batch([b"d"]), producer_id, epoch, 32)
        assert _produce_v9(wire, topic, nxt) == (ErrorCode.none, 32)
        # ids given before the restart are not given again
        again, _ = _init_producer(wire)
        assert again > producer_id
        wire.close()
        http = HttpApi(serve.url)
        assert http.offsets(topic, 0) == (0, 33)
        values = [r.value for r in http.fetch(topic, 0, 0).records]
        http.close()
        assert values == [b"a", b"b"] + [b"c"] * 30 + [b"d"]
    finally:
        serve.stop()


def test_a_crc_valid_batch_with_lying_records_is_refused_over_the_wire(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    from kio.schema.errors import ErrorCode

    good = batch([b"a", b"b"])
    lying = bytearray(good)
    struct.pack_into(">i", lying, 57, 3)  # three records claimed, two sent
    struct.pack_into(">I", lying, 17, crc32c(bytes(lying[21:])))
    wire = Wire(serve.bootstrap)
    code, _ = _produce_v9(wire, topic, bytes(lying))
    assert code == ErrorCode.corrupt_message
    assert http.offsets(topic, 0) == (0, 0)
    assert _produce_v9(wire, topic, good) == (ErrorCode.none, 0)
    wire.close()


def test_an_id_block_that_cannot_be_reserved_is_a_retriable_refusal(tmp_path: Path) -> None:
    """The producer-ids file cannot be replaced (a directory stands where its temporary file
    goes): InitProducerId answers KAFKA_STORAGE_ERROR on an open connection, and the same
    connection gets an id once the disk takes the block again."""
    from kio.schema.errors import ErrorCode

    serve = start_serve(tmp_path / "serve")
    blocker = serve.data_dir / "broker" / "producer-ids.tmp"
    try:
        blocker.mkdir(parents=True)
        wire = Wire(serve.bootstrap)
        body = {
            "transactional_id": None,
            "transaction_timeout": 60_000,
            "producer_id": -1,
            "producer_epoch": -1,
        }
        refused = wire.call("init_producer_id", 4, body)
        assert int(refused.error_code) == ErrorCode.kafka_storage_error
        assert int(refused.producer_id) == -1
        blocker.rmdir()
        producer_id, epoch = _init_producer(wire)
        assert producer_id >= 0 and epoch == 0
        wire.close()
    finally:
        serve.stop()
