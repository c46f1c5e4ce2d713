"""Bad input on the Kafka port: an error response or a closed connection, never a crash, and
other connections keep being served. Requests are kio-encoded or hand-broken frames."""

from __future__ import annotations

import os
import random
import struct
import uuid
import zlib

import pytest
from kio.schema.errors import ErrorCode

from broker.kafka import API_VERSIONS
from tests.kafka.conftest import HttpApi, Serve
from tests.kafka.wire import Wire, batch, parse_response, produce_body

pytestmark = pytest.mark.timeout(120)

FUZZ_TRIALS = int(os.environ.get("CHARTER_KAFKA_FUZZ_TRIALS", "200"))


def still_served(serve: Serve) -> None:
    wire = Wire(serve.bootstrap)
    answer = wire.call(
        "api_versions", 3, {"client_software_name": "t", "client_software_version": "1"}
    )
    assert answer.error_code == ErrorCode.none
    wire.close()


def test_api_versions_lists_what_is_served(serve: Serve) -> None:
    wire = Wire(serve.bootstrap)
    answer = wire.call(
        "api_versions", 3, {"client_software_name": "t", "client_software_version": "1"}
    )
    served = {a.api_key: (a.min_version, a.max_version) for a in answer.api_keys}
    assert served == {k: (a.min_version, a.max_version) for k, a in API_VERSIONS.items()}
    # an ApiVersions version above ours: UNSUPPORTED_VERSION with the list, in v0
    wire.send_frame(struct.pack(">hhi", 18, 99, 7) + b"\x00\x00")
    raw = wire.read_frame()
    assert raw is not None and struct.unpack_from(">ih", raw) == (7, 35)
    wire.close()


@pytest.mark.parametrize(
    "payload",
    [
        struct.pack(">hhi", 4242, 0, 1) + b"\x00\x00",  # unknown API key
        struct.pack(">hhi", 3, 99, 1) + b"\x00\x00",  # Metadata v99
        struct.pack(">hhi", 3, 9, 1) + b"\x00\x00garbage!",  # a body that does not parse
        struct.pack(">hhi", 0, 9, 1) + b"\x00\x04wire\x00\x00\xff\xff\xff",  # truncated produce
        b"\x00",  # shorter than a header
    ],
    ids=["unknown-key", "unknown-version", "garbage-body", "truncated-body", "short"],
)
def test_unparseable_requests_close_the_connection(serve: Serve, payload: bytes) -> None:
    wire = Wire(serve.bootstrap)
    wire.send_frame(payload)
    assert wire.closed_by_broker()
    still_served(serve)


@pytest.mark.parametrize("size", [2**30, -5, 3])
def test_frame_sizes_out_of_range_close_the_connection(serve: Serve, size: int) -> None:
    wire = Wire(serve.bootstrap)
    wire.sock.sendall(struct.pack(">i", size) + b"\x00" * 8)
    assert wire.closed_by_broker()
    still_served(serve)


def test_a_frame_cut_short_by_the_client_is_dropped(serve: Serve) -> None:
    wire = Wire(serve.bootstrap)
    wire.sock.sendall(struct.pack(">i", 1000) + b"\x00\x12\x00\x03")
    wire.close()
    still_served(serve)


def test_random_frames_never_take_the_listener_down(serve: Serve) -> None:
    rng = random.Random(int(os.environ.get("CHARTER_KAFKA_FUZZ_SEED", "15")))
    keys = sorted(API_VERSIONS)
    for trial in range(FUZZ_TRIALS):
        key = rng.choice(keys)
        api = API_VERSIONS[key]
        version = rng.randint(api.min_version, api.max_version)
        body = rng.randbytes(rng.randint(0, 64))
        wire = Wire(serve.bootstrap)
        wire.send_frame(struct.pack(">hhi", key, version, trial) + b"\x00\x00" + body)
        raw = wire.read_frame()  # an answer or a close: both fine
        if raw is not None:
            assert struct.unpack_from(">i", raw)[0] == trial
        wire.close()
    still_served(serve)


@pytest.fixture
def topic(http: HttpApi) -> str:
    name = f"proto-{uuid.uuid4().hex[:8]}"
    http.create_topic(name, partitions=1)
    return name


def _produce_error(serve: Serve, topic: str, records: bytes) -> tuple[ErrorCode, str | None]:
    wire = Wire(serve.bootstrap)
    answer = wire.call("produce", 9, produce_body(topic, 0, records))
    wire.close()
    partition = answer.responses[0].partition_responses[0]
    return partition.error_code, partition.error_message


def test_corrupt_and_truncated_batches_are_refused_and_nothing_is_stored(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    good = batch([b"a", b"b"])
    flipped = bytearray(good)
    flipped[-1] ^= 0xFF
    assert _produce_error(serve, topic, bytes(flipped))[0] == ErrorCode.corrupt_message
    assert _produce_error(serve, topic, good[:-3])[0] == ErrorCode.corrupt_message
    assert _produce_error(serve, topic, good[:30])[0] == ErrorCode.corrupt_message
    assert _produce_error(serve, topic, good + good)[0] == ErrorCode.corrupt_message
    old_magic = bytearray(good)
    old_magic[16] = 1
    assert _produce_error(serve, topic, bytes(old_magic))[0] == ErrorCode.invalid_record
    assert http.offsets(topic, 0) == (0, 0)
    assert _produce_error(serve, topic, good)[0] == ErrorCode.none
    assert http.offsets(topic, 0) == (0, 2)
    still_served(serve)


def _recompressed(good: bytes, codec: int, body: bytes) -> bytes:
    from crc32c import crc32c

    head = bytearray(good[:61])
    struct.pack_into(">h", head, 21, codec)
    struct.pack_into(">i", head, 8, 61 - 12 + len(body))
    out = bytes(head) + body
    return out[:17] + struct.pack(">I", crc32c(out[21:])) + out[21:]


def test_gzip_batches_are_read_and_other_codecs_refused(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    good = batch([b"zipped-1", b"zipped-2"])
    gz = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    gzipped = _recompressed(good, 1, gz.compress(good[61:]) + gz.flush())
    assert _produce_error(serve, topic, gzipped)[0] == ErrorCode.none
    assert [r.value for r in http.fetch(topic, 0, 0).records] == [b"zipped-1", b"zipped-2"]
    snappy = _recompressed(good, 2, good[61:])
    assert _produce_error(serve, topic, snappy)[0] == ErrorCode.unsupported_compression_type
    bomb = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
    inflating = _recompressed(good, 1, bomb.compress(bytes(40 * 1024 * 1024)) + bomb.flush())
    assert _produce_error(serve, topic, inflating)[0] == ErrorCode.corrupt_message
    assert http.offsets(topic, 0) == (0, 2)


def test_a_contract_refusal_names_the_record(serve: Serve, http: HttpApi) -> None:
    name = f"proto-c-{uuid.uuid4().hex[:8]}"
    http.create_topic(name, partitions=1, contract="id")
    wire = Wire(serve.bootstrap)
    answer = wire.call("produce", 9, produce_body(name, 0, batch([None, b"no-frame"])))
    wire.close()
    partition = answer.responses[0].partition_responses[0]
    assert partition.error_code == ErrorCode.invalid_record
    assert [(e.batch_index, e.batch_index_error_message) for e in partition.record_errors] == [
        (0, "the value is null; the topic requires the schema wire format")
    ]
    assert "record 0" in (partition.error_message or "")
    assert http.offsets(name, 0) == (0, 0)


def test_refusals_get_kafkas_codes(serve: Serve, topic: str) -> None:
    wire = Wire(serve.bootstrap)
    acks = wire.call("produce", 9, produce_body(topic, 0, batch([b"x"]), acks=5))
    assert acks.responses[0].partition_responses[0].error_code == ErrorCode.invalid_required_acks
    missing = wire.call("produce", 9, produce_body(topic, 99, batch([b"x"])))
    assert (
        missing.responses[0].partition_responses[0].error_code
        == ErrorCode.unknown_topic_or_partition
    )
    fetch = wire.call(
        "fetch",
        12,
        {
            "max_wait": 0,
            "min_bytes": 1,
            "max_bytes": 1 << 20,
            "forgotten_topics_data": [],
            "topics": [
                {
                    "topic": topic,
                    "partitions": [
                        {"partition": 0, "fetch_offset": 10**9, "partition_max_bytes": 1 << 20},
                        {"partition": 7, "fetch_offset": 0, "partition_max_bytes": 1 << 20},
                    ],
                },
                {
                    "topic": "no-such-topic",
                    "partitions": [
                        {"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20},
                    ],
                },
            ],
        },
    )
    codes = [p.error_code for t in fetch.responses for p in t.partitions]
    assert codes == [
        ErrorCode.offset_out_of_range,
        ErrorCode.unknown_topic_or_partition,
        ErrorCode.unknown_topic_or_partition,
    ]
    for partitions in (2**31 - 1, -7, 0):
        created = wire.call(
            "create_topics",
            7,
            {
                "timeout": 1000,
                "topics": [
                    {
                        "name": f"absurd-{partitions & 0xFFFF}",
                        "num_partitions": partitions,
                        "replication_factor": 1,
                        "assignments": [],
                        "configs": [],
                    }
                ],
            },
        )
        assert created.topics[0].error_code == ErrorCode.invalid_partitions, partitions
    wire.close()
    still_served(serve)


def test_pipelined_produce_requests_are_appended_in_order_and_answered_in_order(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    """Requests sent without waiting for answers queue up while one is flushed; they are
    appended and flushed as a group, and each is answered, in the order sent."""
    wire = Wire(serve.bootstrap)
    batches = [batch([b"p%d-%d" % (n, i) for i in range(3)]) for n in range(12)]
    frames = [wire.frame("produce", 9, produce_body(topic, 0, b)) for b in batches]
    correlations = list(range(wire.correlation - len(frames) + 1, wire.correlation + 1))
    wire.sock.sendall(b"".join(struct.pack(">i", len(f)) + f for f in frames))
    bases = []
    for correlation in correlations:
        raw = wire.read_frame()
        assert raw is not None
        answer = parse_response("produce", 9, raw, correlation)  # in order: checks the id
        (partition,) = answer.responses[0].partition_responses
        assert partition.error_code == 0
        bases.append(partition.base_offset)
    wire.close()
    assert bases == [3 * n for n in range(12)]
    stored = http.records.fetch(topic, 0, 0, records_max=100).records
    assert [r.value for r in stored] == [b"p%d-%d" % (n, i) for n in range(12) for i in range(3)]


def test_other_requests_between_pipelined_produces_are_answered_in_order(
    serve: Serve, http: HttpApi, topic: str
) -> None:
    """Produce groups are answered once flushed while the next is appended; a request of
    another kind waits for the answers before it, so every answer comes in the order sent."""
    wire = Wire(serve.bootstrap)
    kinds = ["produce", "produce", "api_versions", "produce", "api_versions", "produce"]
    frames: list[tuple[str, int, bytes]] = []
    for n, kind in enumerate(kinds):
        if kind == "produce":
            frame = wire.frame("produce", 9, produce_body(topic, 0, batch([b"m%d" % n])))
        else:
            frame = wire.frame(
                "api_versions", 3, {"client_software_name": "t", "client_software_version": "1"}
            )
        frames.append((kind, wire.correlation, frame))
    wire.sock.sendall(b"".join(struct.pack(">i", len(f)) + f for _, _, f in frames))
    bases = []
    for kind, correlation, _ in frames:
        raw = wire.read_frame()
        assert raw is not None
        version = 9 if kind == "produce" else 3
        answer = parse_response(kind, version, raw, correlation)  # checks the order
        if kind == "produce":
            bases.append(answer.responses[0].partition_responses[0].base_offset)
        else:
            assert answer.error_code == 0
    wire.close()
    assert bases == [0, 1, 2, 3]
    stored = [r.value for r in http.records.fetch(topic, 0, 0, records_max=10).records]
    assert stored == [b"m0", b"m1", b"m3", b"m5"]
