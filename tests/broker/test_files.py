"""The bounded pool of open segment and index files (broker.files) under a real broker."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from broker import Broker, ProducerRecord, TopicConfig
from broker.files import FilePool, PooledFile
from tests.broker.conftest import FakeClock


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_pool_closes_the_least_recently_used_unpinned_file(tmp_path: Path) -> None:
    pool = FilePool(16)
    files = [PooledFile(tmp_path / f"{i}.log", os.O_RDWR | os.O_CREAT) for i in range(20)]
    for f in files[:16]:
        pool.acquire(f)
        pool.release(f)
    assert pool.open_count == 16
    pool.acquire(files[0])  # used again: now the most recent, and pinned
    pool.acquire(files[16])
    assert files[1].fd == -1  # the least recently used went
    assert files[0].fd >= 0 and files[16].fd >= 0
    assert pool.open_count == 16
    pool.release(files[0])
    pool.release(files[16])
    for f in files:
        pool.discard(f)
    assert pool.open_count == 0


def test_a_pinned_file_is_never_closed_and_the_pool_shrinks_back_after(tmp_path: Path) -> None:
    pool = FilePool(16)
    files = [PooledFile(tmp_path / f"{i}.log", os.O_RDWR | os.O_CREAT) for i in range(20)]
    fds = pool.acquire_all(tuple(files))  # all pinned at once: over the bound while they are
    assert pool.open_count == 20
    assert len(set(fds)) == 20
    pool.release_all(tuple(files))
    assert pool.open_count == 16
    before = _fds()
    for f in files:
        pool.discard(f)
    assert _fds() == before - 16
    with pytest.raises(ValueError, match="discarded"):
        pool.acquire(files[0])


def test_a_broker_with_more_partitions_than_open_files_serves_them_all(
    tmp_path: Path, clock: FakeClock
) -> None:
    before = _fds()
    broker = Broker(
        tmp_path / "data", clock_ms=clock, maintenance_interval_ms=None, open_files_max=16
    )
    config = TopicConfig(partitions=40, segment_bytes=4096)
    broker.create_topic("wide", config)
    for rounds in range(3):
        for p in range(40):
            value = f"{p}-{rounds}".encode() + b"x" * 1500
            broker.produce("wide", [ProducerRecord(value)], partition=p)
            assert broker.files.open_count <= 16
    assert _fds() - before <= 16 + 2  # the pool, the data dir lock and the groups' files
    for p in range(40):
        got = broker.fetch("wide", p, 0, records_max=10)
        assert [r.value[: len(f"{p}-0")] for r in got.records] == [
            f"{p}-{n}".encode() for n in range(3)
        ]
    opened = [p.open_files for p in broker.describe_topic("wide").partitions]
    assert sum(opened) == broker.files.open_count <= 16
    assert broker.files.evicted_total > 0
    broker.close()
    assert _fds() == before
    # after a restart every segment (several per partition: segment_bytes 4096) still reads
    broker = Broker(
        tmp_path / "data", clock_ms=clock, maintenance_interval_ms=None, open_files_max=16
    )
    described = broker.describe_topic("wide").partitions
    assert all(p.segments >= 2 and p.log_end_offset == 3 for p in described)
    assert [len(broker.fetch("wide", p, 0).records) for p in range(40)] == [3] * 40
    assert broker.files.open_count <= 16
    broker.close()
    assert _fds() == before


def test_a_topic_that_runs_out_of_descriptors_leaves_nothing_open(
    tmp_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    broker = Broker(
        tmp_path / "data", clock_ms=clock, maintenance_interval_ms=None, open_files_max=16
    )
    broker.create_topic("fine", TopicConfig(partitions=2))
    before = _fds()
    acquire = FilePool.acquire
    calls = 0

    def exhausted_after_five(pool: FilePool, file: PooledFile) -> int:
        nonlocal calls
        calls += 1
        if calls > 5:
            raise OSError(errno.EMFILE, "Too many open files")
        return acquire(pool, file)

    monkeypatch.setattr(FilePool, "acquire", exhausted_after_five)
    with pytest.raises(OSError) as raised:
        broker.create_topic("wide", TopicConfig(partitions=20))
    assert raised.value.errno == errno.EMFILE
    with pytest.raises(OSError):
        broker.produce("fine", [ProducerRecord(b"v")], partition=0)
    monkeypatch.undo()
    assert _fds() <= before
    assert broker.list_topics() == ["fine"]
    assert not (tmp_path / "data" / "topics" / "wide").exists()
    # the refused produce appended nothing; the next one works
    assert broker.offsets("fine", 0) == (0, 0)
    broker.produce("fine", [ProducerRecord(b"v")], partition=0)
    assert [r.value for r in broker.fetch("fine", 0, 0).records] == [b"v"]
    broker.close()
