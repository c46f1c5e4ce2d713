from __future__ import annotations

import os
from pathlib import Path

import pytest

from broker.config import TopicConfig
from broker.errors import CorruptBatchError, OffsetOutOfRangeError
from broker.log import PartitionLog
from broker.record import ProducerRecord
from tests.broker.conftest import FakeClock


def open_log(path: Path, clock: FakeClock, **config: object) -> PartitionLog:
    return PartitionLog(
        path,
        "t",
        0,
        TopicConfig(**config),  # type: ignore[arg-type]
        clock_ms=clock,
    )


def fill(log: PartitionLog, count: int, *, size: int = 100, ts0: int | None = None) -> None:
    for i in range(count):
        ts = None if ts0 is None else ts0 + i
        log.append([ProducerRecord(value=b"%08d" % i + b"x" * size, key=b"k", timestamp_ms=ts)])


def values(log: PartitionLog, start: int = 0) -> list[int]:
    got = log.read(start, records_max=100_000, bytes_max=1 << 30).records
    return [int(r.value[:8]) for r in got if r.value]


def test_segments_roll_by_size_and_are_named_by_base_offset(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = open_log(tmp_path, clock, segment_bytes=4096)
    fill(log, 100)
    bases = log.segment_bases()
    assert len(bases) > 2
    assert sorted(p.name for p in tmp_path.glob("*.log")) == [f"{b:020d}.log" for b in bases]
    for p in tmp_path.glob("*.log"):
        assert p.stat().st_size <= 4096
    assert values(log) == list(range(100))
    log.close()


def test_segments_roll_by_age(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock, segment_age_ms=60_000)
    fill(log, 3)
    clock.advance(59_999)
    fill(log, 1)
    assert len(log.segment_bases()) == 1
    clock.advance(1)
    fill(log, 1)
    assert log.segment_bases() == [0, 4]
    log.close()


def test_retention_by_age_deletes_whole_closed_segments(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock, segment_bytes=4096, retention_ms=10_000)
    fill(log, 40, ts0=clock.now_ms)  # old records
    clock.advance(20_000)
    fill(log, 40, ts0=clock.now_ms)
    before = log.segment_bases()
    deleted = log.enforce_retention()
    assert deleted and deleted == before[: len(deleted)]
    start = log.log_start_offset
    assert 0 < start <= 40
    assert values(log, start)[-40:] == list(range(40))
    with pytest.raises(OffsetOutOfRangeError):
        log.read(0, records_max=1, bytes_max=1)
    log.close()


def test_retention_by_bytes_keeps_the_active_segment(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock, segment_bytes=4096, retention_bytes=5000)
    fill(log, 200)
    log.enforce_retention()
    assert log.size_bytes <= 5000 or len(log.segment_bases()) == 1
    assert log.log_end_offset == 200
    assert values(log, log.log_start_offset)[-1] == 199
    log.close()


def test_sparse_indexes_are_rebuilt_when_missing_or_damaged(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = open_log(tmp_path, clock, segment_bytes=8192, index_interval_bytes=300)
    fill(log, 200, ts0=1000)
    expected = {o: values(log, o)[:3] for o in (0, 57, 133, 199)}
    times = {t: log.offset_for_time(t) for t in (0, 1050, 1150, 1199, 5000)}
    log.close()
    indexes = sorted(tmp_path.glob("*.index"))
    assert len(indexes) > 2 and all(p.stat().st_size > 8 for p in indexes)
    indexes[0].unlink()
    sorted(tmp_path.glob("*.timeindex"))[1].unlink()
    with open(indexes[1], "ab") as f:
        f.write(b"\xff\xff\xff")
    good = indexes[2].read_bytes()
    indexes[2].write_bytes(bytes(len(good)))  # zeroed, as after a power loss
    reopened = open_log(tmp_path, clock, segment_bytes=8192, index_interval_bytes=300)
    assert all(p.exists() for p in indexes)
    assert indexes[2].read_bytes() == good
    assert {o: values(reopened, o)[:3] for o in expected} == expected
    assert {t: reopened.offset_for_time(t) for t in times} == times
    assert times == {0: 0, 1050: 50, 1150: 150, 1199: 199, 5000: 200}
    reopened.close()


def test_seek_by_time_with_unordered_timestamps(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock, segment_bytes=4096, index_interval_bytes=200)
    stamps = [5, 1, 9, 3, 20, 15, 30, 2, 40]
    for ts in stamps:
        log.append([ProducerRecord(b"x" * 300, timestamp_ms=ts)])
    for t in (0, 4, 10, 16, 21, 35, 41):
        want = next((i for i, s in enumerate(stamps) if s >= t), len(stamps))
        assert log.offset_for_time(t) == want
    log.close()


@pytest.mark.parametrize("damage", ["garbage", "cut", "flip"])
def test_recovery_cuts_at_the_first_bad_batch(
    tmp_path: Path, clock: FakeClock, damage: str
) -> None:
    log = open_log(tmp_path, clock, segment_bytes=8192)
    fill(log, 100)
    log.close()
    last = sorted(tmp_path.glob("*.log"))[-1]
    base = int(last.stem)
    size = last.stat().st_size
    if damage == "garbage":
        with open(last, "ab") as f:
            f.write(os.urandom(333))
    elif damage == "cut":
        os.truncate(last, size - 17)
    else:
        with open(last, "r+b") as f:
            f.seek(size - 40)
            f.write(b"\x00\x01\x02")
        # as after a crash: no checkpoint covers the damaged batch
        (tmp_path / "checkpoint").unlink()
    log = open_log(tmp_path, clock, segment_bytes=8192)
    kept = values(log)
    assert kept == list(range(len(kept)))
    if damage == "garbage":
        assert len(kept) == 100
    else:
        assert len(kept) == 99  # the last batch held one record and is gone
    assert log.log_end_offset == len(kept) > base
    fill(log, 1)  # appends continue at the cut
    assert log.log_end_offset == len(kept) + 1
    log.close()


def test_recovery_drops_segments_after_a_corrupt_one(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock, segment_bytes=4096)
    fill(log, 120)
    # no close: the checkpoint still points at an earlier segment, as after a crash
    bases = log.segment_bases()
    log.remove()  # closes without a checkpoint
    assert len(bases) >= 4
    victim = tmp_path / f"{bases[-3]:020d}.log"
    with open(victim, "r+b") as f:
        f.seek(200)
        f.write(b"\xde\xad")
    (tmp_path / "checkpoint").unlink()
    log = open_log(tmp_path, clock, segment_bytes=4096)
    kept = values(log)
    assert kept == list(range(len(kept)))
    assert bases[-3] <= len(kept) < bases[-2]
    assert not (tmp_path / f"{bases[-1]:020d}.log").exists()
    log.close()


def test_a_corrupt_batch_is_never_served(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock)
    fill(log, 10)
    seg = sorted(tmp_path.glob("*.log"))[0]
    with open(seg, "r+b") as f:
        f.seek(300)
        f.write(b"\xff")
    with pytest.raises(CorruptBatchError):
        log.read(0, records_max=100, bytes_max=1 << 20)
    log.close()


@pytest.mark.parametrize("flush", ["always", "interval_ms", "never"])
def test_flush_policies_keep_data_across_a_clean_close(
    tmp_path: Path, clock: FakeClock, flush: str
) -> None:
    log = open_log(tmp_path, clock, flush=flush, flush_interval_ms=10)
    fill(log, 20)
    clock.advance(20)
    log.flush_if_due(clock.now_ms)
    log.close()
    log = open_log(tmp_path, clock, flush=flush)
    assert values(log) == list(range(20))
    log.close()


def test_fetch_limits_return_whole_batches_but_at_least_one(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = open_log(tmp_path, clock)
    log.append([ProducerRecord(b"%08d" % i + b"y" * 500) for i in range(10)])
    log.append([ProducerRecord(b"%08d" % (10 + i)) for i in range(10)])
    one = log.read(0, records_max=100, bytes_max=10)
    assert [r.offset for r in one.records] == list(range(10))
    assert [r.offset for r in log.read(3, records_max=4, bytes_max=10).records] == [3, 4, 5, 6]
    assert [r.offset for r in log.read(15, records_max=100, bytes_max=1).records] == list(
        range(15, 20)
    )
    assert log.read(20, records_max=10, bytes_max=10).records == []
    with pytest.raises(OffsetOutOfRangeError):
        log.read(21, records_max=10, bytes_max=10)
    log.close()


def test_damage_before_the_checkpoint_is_caught_when_read(tmp_path: Path, clock: FakeClock) -> None:
    log = open_log(tmp_path, clock)
    fill(log, 10)
    log.close()  # the checkpoint now covers every batch
    seg = sorted(tmp_path.glob("*.log"))[0]
    with open(seg, "r+b") as f:
        f.seek(seg.stat().st_size - 40)
        f.write(b"\x00\x01\x02")
    log = open_log(tmp_path, clock)
    assert log.log_end_offset == 10
    assert len(log.read(0, records_max=9, bytes_max=1 << 20).records) == 9
    with pytest.raises(CorruptBatchError):
        log.read(9, records_max=1, bytes_max=1 << 20)
    log.close()


def _short_write_then_enospc(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next append's write puts half its bytes on disk, then fails as a full disk does."""
    import errno

    import broker.log as log_module

    real = os.write
    calls = {"n": 0}

    def write(fd: int, data: bytes | memoryview) -> int:
        calls["n"] += 1
        if calls["n"] == 1:  # a short write
            return real(fd, bytes(data[: len(data) // 2]))
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(log_module.os, "write", write)


def test_a_failed_append_leaves_no_stray_bytes(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A short write then ENOSPC: the bytes written are cut, so the next batch lands where
    the index puts it, reads back from the segment, and survives a reopen."""
    log = open_log(tmp_path, clock)
    fill(log, 3)
    size = sorted(tmp_path.glob("*.log"))[0].stat().st_size
    _short_write_then_enospc(monkeypatch)
    with pytest.raises(OSError):
        log.append([ProducerRecord(value=b"%08d" % 99 + b"y" * 300, key=b"k")])
    assert sorted(tmp_path.glob("*.log"))[0].stat().st_size == size
    log.append([ProducerRecord(value=b"%08d" % 3 + b"x" * 100, key=b"k")])
    assert values(log) == [0, 1, 2, 3]
    log.close()
    log = open_log(tmp_path, clock)
    assert values(log) == [0, 1, 2, 3]
    log.close()


def test_a_failed_append_that_cannot_be_cut_stops_the_log(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import broker.log as log_module
    from broker.errors import LogClosedError

    log = open_log(tmp_path, clock)
    fill(log, 2)
    _short_write_then_enospc(monkeypatch)

    def refuse(fd: int, length: int) -> None:
        raise OSError("the disk refuses the truncate")

    monkeypatch.setattr(log_module.os, "ftruncate", refuse)
    with pytest.raises(OSError):
        log.append([ProducerRecord(value=b"%08d" % 99, key=b"k")])
    with pytest.raises(LogClosedError):
        log.append([ProducerRecord(value=b"%08d" % 2, key=b"k")])
    monkeypatch.undo()
    log.close()
    log = open_log(tmp_path, clock)  # recovery cuts the stray half batch
    assert values(log) == [0, 1]
    log.close()
