"""The log with both batch kinds: magic 1 (the log's own records) and magic 2 (Kafka's v2
batches kept verbatim), on the real on-disk log: reads, seeks by time, recovery of a torn
v2 tail, retention, and the idempotent producers' state rebuilt on open."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from crc32c import crc32c

from broker import Broker, ProducerRecord, TopicConfig
from broker.errors import CorruptBatchError
from broker.kafka.records import encode_batch as encode_v2
from broker.log import PartitionLog
from broker.producer_state import (
    DuplicateSequenceError,
    OutOfOrderSequenceError,
    ProducerState,
)
from broker.record import ConsumedRecord, measure_batch, wrap_v2
from tests.broker.conftest import FakeClock


def v2_batch(
    values: list[bytes | None],
    *,
    ts_ms: int = 1_000,
    producer: tuple[int, int, int] | None = None,
    key: bytes | None = None,
) -> bytes:
    """A magic 2 log batch of `values` (a Kafka v2 batch wrapped), optionally idempotent."""
    raw = bytearray(
        encode_v2(
            [
                ConsumedRecord("t", 0, i, ts_ms + i, key, v, (("n", str(i).encode()),))
                for i, v in enumerate(values)
            ]
        )
    )
    if producer is not None:
        struct.pack_into(">qhi", raw, 43, *producer)
        struct.pack_into(">I", raw, 17, crc32c(bytes(raw[21:])))
    return wrap_v2(bytes(raw), records_max=10_000)[0]


def _log(tmp_path: Path, clock: FakeClock, **config: int) -> PartitionLog:
    return PartitionLog(
        tmp_path / "p", "t", 0, TopicConfig(**config), clock_ms=clock  # type: ignore[arg-type]
    )


def test_a_partition_holds_both_kinds(tmp_path: Path, clock: FakeClock) -> None:
    log = _log(tmp_path, clock)
    log.append([ProducerRecord(b"one", b"k", timestamp_ms=500)])
    assert log.append_encoded(v2_batch([b"two", None, b"four"], ts_ms=2_000)) == 1
    log.append([ProducerRecord(b"five", timestamp_ms=9_000)])
    got = log.read(0, records_max=100, bytes_max=1 << 20).records
    assert [(r.offset, r.value, r.timestamp_ms) for r in got] == [
        (0, b"one", 500),
        (1, b"two", 2_000),
        (2, None, 2_001),
        (3, b"four", 2_002),
        (4, b"five", 9_000),
    ]
    assert got[2].headers == (("n", b"1"),)
    assert log.offset_for_time(2_001) == 2
    assert log.offset_for_time(3_000) == 4
    assert [r.offset for r in log.read(3, records_max=10, bytes_max=1 << 20).records] == [3, 4]
    log.close()
    again = _log(tmp_path, clock)
    assert [r.value for r in again.read(0, records_max=100, bytes_max=1 << 20).records] == [
        b"one", b"two", None, b"four", b"five"
    ]
    again.close()


def test_a_torn_v2_batch_at_the_tail_is_cut_on_open(tmp_path: Path, clock: FakeClock) -> None:
    log = _log(tmp_path, clock)
    log.append_encoded(v2_batch([b"kept"] * 3))
    log.append_encoded(v2_batch([b"torn"] * 3))
    log.close()
    segment = tmp_path / "p" / f"{0:020d}.log"
    size = segment.stat().st_size
    with open(segment, "r+b") as f:
        f.truncate(size - 5)
    (tmp_path / "p" / "checkpoint").unlink()  # as after a crash before the checkpoint
    again = _log(tmp_path, clock)
    assert again.recovered_truncated_bytes > 0
    assert again.log_end_offset == 3
    assert again.append_encoded(v2_batch([b"after"])) == 3
    values = [r.value for r in again.read(0, records_max=10, bytes_max=1 << 20).records]
    assert values == [b"kept"] * 3 + [b"after"]
    again.close()


def test_a_damaged_v2_batch_on_disk_is_never_served(tmp_path: Path, clock: FakeClock) -> None:
    log = _log(tmp_path, clock)
    log.append_encoded(v2_batch([b"value"]))
    segment = tmp_path / "p" / f"{0:020d}.log"
    raw = bytearray(segment.read_bytes())
    raw[-3] ^= 0x01  # inside the v2 records: the log's crc covers them
    segment.write_bytes(bytes(raw))
    with pytest.raises(CorruptBatchError):
        log.read(0, records_max=10, bytes_max=1 << 20)
    log.remove()


def test_retention_removes_segments_of_either_kind_with_their_snapshots(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = _log(tmp_path, clock, segment_bytes=4096, retention_bytes=5000)
    for n in range(24):
        if n % 2:
            log.append([ProducerRecord(bytes(400), timestamp_ms=n)])
        else:
            log.append_encoded(v2_batch([bytes(400)], ts_ms=n, producer=(7, 0, n // 2)))
    deleted = log.enforce_retention()
    assert deleted
    names = {p.name for p in (tmp_path / "p").iterdir()}
    for base in deleted:
        assert f"{base:020d}.log" not in names and f"{base:020d}.producers" not in names
    assert log.read(log.log_start_offset, records_max=100, bytes_max=1 << 20).records
    log.close()


def test_producer_state_is_rebuilt_from_the_active_segment(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = _log(tmp_path, clock)
    log.append_encoded(v2_batch([b"a", b"b"], producer=(42, 3, 0)))
    log.append_encoded(v2_batch([b"c"], producer=(42, 3, 2)))
    with pytest.raises(DuplicateSequenceError) as dup:
        log.append_encoded(v2_batch([b"c"], producer=(42, 3, 2)))
    assert dup.value.base_offset == 2
    log.close()
    again = _log(tmp_path, clock)
    with pytest.raises(DuplicateSequenceError) as dup:
        again.append_encoded(v2_batch([b"a", b"b"], producer=(42, 3, 0)))
    assert dup.value.base_offset == 0
    with pytest.raises(OutOfOrderSequenceError):
        again.append_encoded(v2_batch([b"x"], producer=(42, 3, 9)))
    assert again.append_encoded(v2_batch([b"d"], producer=(42, 3, 3))) == 3
    assert again.log_end_offset == 4
    again.close()


def test_producer_state_survives_a_roll_through_the_snapshot(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = _log(tmp_path, clock)
    log.append_encoded(v2_batch([b"a"], producer=(5, 0, 0)))
    log.roll()
    log.append([ProducerRecord(b"plain", timestamp_ms=1)])
    log.close()
    snapshot = tmp_path / "p" / f"{1:020d}.producers"
    assert snapshot.exists()
    again = _log(tmp_path, clock)
    with pytest.raises(DuplicateSequenceError):
        again.append_encoded(v2_batch([b"a"], producer=(5, 0, 0)))
    again.close()
    snapshot.write_bytes(b"\x00" * 11)  # damaged: ignored, the producer is unknown again
    third = _log(tmp_path, clock)
    assert third.append_encoded(v2_batch([b"a"], producer=(5, 0, 0))) == 2
    third.close()


def test_the_snapshot_round_trips_and_rejects_damage() -> None:
    state = ProducerState(producers_max=3)
    for pid in range(5):
        for seq in range(7):
            state.appended(pid, 1, seq * 2, 2, 100 * pid + seq)
    assert len(state) == 3  # the two least recently appended are forgotten
    raw = state.snapshot()
    again = ProducerState.from_snapshot(raw)
    assert again is not None and again.snapshot() == raw
    with pytest.raises(DuplicateSequenceError):
        again.check(4, 1, 12, 2)
    again.check(4, 1, 14, 1)  # the next one
    for at in range(len(raw)):
        broken = bytearray(raw)
        broken[at] ^= 0x20
        assert ProducerState.from_snapshot(bytes(broken)) is None


def test_a_crc_valid_but_malformed_v2_batch_is_refused_and_nothing_stored(
    tmp_path: Path,
) -> None:
    with Broker(tmp_path / "b", maintenance_interval_ms=None) as broker:
        broker.create_topic("t", TopicConfig(partitions=1))
        good = v2_batch([b"a", b"b"])
        bad = bytearray(good)
        struct.pack_into(">i", bad, 38 + 23, 5)  # v2 last_offset_delta: 5 for 2 records
        struct.pack_into(">I", bad, 38 + 17, crc32c(bytes(bad[38 + 21 :])))
        struct.pack_into(">I", bad, 4, crc32c(bytes(bad[8:])))
        with pytest.raises(CorruptBatchError, match="last offset delta"):
            broker.produce_encoded("t", bytes(bad), partition=0)
        assert broker.offsets("t", 0) == (0, 0)
        assert broker.produce_encoded("t", good, partition=0) == [(0, 0), (0, 1)]
        assert [r.value for r in broker.fetch("t", 0, 0).records] == [b"a", b"b"]


def test_limits_name_the_record_of_a_v2_batch(tmp_path: Path) -> None:
    from broker.config import Limits
    from broker.errors import LimitExceededError

    limits = Limits(record_bytes_max=100, key_bytes_max=4, headers_per_record_max=1)
    with Broker(tmp_path / "b", limits=limits, maintenance_interval_ms=None) as broker:
        broker.create_topic("t", TopicConfig(partitions=1))
        cases = {
            "record_bytes_max": v2_batch([b"ok", bytes(120)]),
            "key_bytes_max": v2_batch([b"ok"], key=b"12345"),
        }
        many = bytearray(
            encode_v2([ConsumedRecord("t", 0, 0, 1, None, b"v", (("a", None), ("b", None)))])
        )
        cases["headers_per_record_max"] = wrap_v2(bytes(many), records_max=10)[0]
        for limit, data in cases.items():
            with pytest.raises(LimitExceededError) as info:
                broker.produce_encoded("t", data, partition=0)
            assert info.value.limit == limit
        with pytest.raises(LimitExceededError) as info:
            broker.produce_encoded("t", cases["record_bytes_max"], partition=0)
        assert info.value.what == "record 1"
        assert broker.offsets("t", 0) == (0, 0)
        # what is measured is the record's v2 bytes, its length varint included: 93 here
        fits = v2_batch([bytes(80)])
        assert measure_batch(fits, "t", length_max=len(fits)).measures()[0] == [93]
        assert broker.produce_encoded("t", fits, partition=0) == [(0, 0)]


def test_flush_appended_returns_after_an_fdatasync_that_began_after_the_appends(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync runs outside the log's lock (appends go on meanwhile): every caller must
    still be covered by an fdatasync that started once its batch was written."""
    import os
    import threading
    import time

    log = _log(tmp_path, clock)
    real = os.fdatasync
    synced: list[int] = []  # file size when each completed fdatasync began
    lock = threading.Lock()

    def recording_fdatasync(fd: int) -> None:
        size = os.fstat(fd).st_size
        time.sleep(0.003)  # a slow disk: others append while it runs
        real(fd)
        with lock:
            synced.append(size)

    monkeypatch.setattr(os, "fdatasync", recording_fdatasync)
    problems: list[str] = []

    def producer(n: int) -> None:
        for i in range(15):
            log.append_encoded(v2_batch([b"%d-%d" % (n, i)]), flush=False)
            written = (tmp_path / "p" / f"{0:020d}.log").stat().st_size
            log.flush_appended()
            with lock:
                if not any(size >= written for size in synced):
                    problems.append(f"{n}-{i} acknowledged before a sync covered it")

    threads = [threading.Thread(target=producer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    assert 0 < len(synced) <= 60
    assert log.log_end_offset == 60
    log.close()


def test_an_idempotent_batch_without_timestamps_is_refused(tmp_path: Path) -> None:
    """Re-stamped, it would go to the log in magic 1, past the sequence checks."""
    broker = Broker(tmp_path, maintenance_interval_ms=None)
    try:
        broker.create_topic("t", TopicConfig(partitions=1))
        with pytest.raises(CorruptBatchError, match="carry timestamps"):
            broker.produce_encoded("t", v2_batch([b"a"], ts_ms=-1, producer=(7, 0, 0)),
                                   partition=0)
        assert broker.offsets("t", 0) == (0, 0)
        # a plain producer's unstamped records are stamped on append, as before
        assert broker.produce_encoded("t", v2_batch([b"a"], ts_ms=-1), partition=0) == [(0, 0)]
    finally:
        broker.close()
