"""Groups can be deleted, expire when left empty, and commits are checked against the log."""

from __future__ import annotations

from pathlib import Path

import pytest

from broker import (
    Broker,
    GroupNotEmptyError,
    InvalidConfigError,
    LimitExceededError,
    Limits,
    OffsetOutOfRangeError,
    ProducerRecord,
    TopicConfig,
    UnknownGroupError,
    UnknownPartitionError,
)
from tests.broker.conftest import FakeClock

DAY_MS = 24 * 3600 * 1000


@pytest.fixture
def small(tmp_path: Path, clock: FakeClock) -> Broker:
    b = Broker(
        tmp_path / "data",
        clock_ms=clock,
        maintenance_interval_ms=None,
        limits=Limits(groups_max=3),
        group_retention_ms=DAY_MS,
    )
    b.create_topic("t", TopicConfig(partitions=2))
    b.produce("t", [ProducerRecord(b"v") for _ in range(5)], partition=0)
    yield b
    b.close()


def test_commits_are_checked_against_partitions_and_log_bounds(small: Broker) -> None:
    before = small.groups.list_groups()
    with pytest.raises(UnknownPartitionError):
        small.groups.commit("g", {("t", 2**40): 0})
    with pytest.raises(OffsetOutOfRangeError):
        small.groups.commit("g", {("t", 0): 2**70})
    with pytest.raises(OffsetOutOfRangeError):
        small.groups.commit("g", {("t", 1): 1})  # partition 1 is empty
    with pytest.raises(OffsetOutOfRangeError):
        small.groups.commit("g", {("t", 0): -1})
    assert small.groups.list_groups() == before  # nothing stored
    small.groups.commit("g", {("t", 0): 5, ("t", 1): 0})
    assert [row.lag for row in small.lag("g")] == [0, 0]


def test_names_with_control_characters_are_refused(small: Broker) -> None:
    for name in ["a\x00b", "a\x1fb", "line\nbreak"]:
        with pytest.raises(InvalidConfigError):
            small.groups.commit(name, {("t", 0): 0})
    assert small.groups.list_groups() == []


def test_delete_frees_the_group_cap(small: Broker, tmp_path: Path, clock: FakeClock) -> None:
    for i in range(3):
        small.groups.commit(f"junk-{i}", {("t", 0): 0})
    with pytest.raises(LimitExceededError):
        small.groups.commit("real", {("t", 0): 0})
    small.groups.delete("junk-0")
    small.groups.commit("real", {("t", 0): 1})
    with pytest.raises(UnknownGroupError):
        small.groups.delete("junk-0")
    member = small.groups.join("real", ["t"]).member_id
    with pytest.raises(GroupNotEmptyError):
        small.groups.delete("real")
    small.groups.leave("real", member)
    small.groups.delete("real")
    small.close()
    reopened = Broker(tmp_path / "data", clock_ms=clock, maintenance_interval_ms=None)
    assert reopened.groups.list_groups() == ["junk-1", "junk-2"]  # deletes are durable
    reopened.close()


def test_empty_groups_expire_after_the_retention(
    small: Broker, tmp_path: Path, clock: FakeClock
) -> None:
    small.groups.commit("old", {("t", 0): 0})
    clock.advance(DAY_MS // 2)
    small.groups.commit("recent", {("t", 0): 0})
    clock.advance(DAY_MS // 2 + 1)
    small.groups.join("busy", ["t"])
    small.run_maintenance()
    assert small.groups.list_groups() == ["busy", "recent"]
    small.close()
    reopened = Broker(
        tmp_path / "data",
        clock_ms=clock,
        maintenance_interval_ms=None,
        group_retention_ms=DAY_MS,
    )
    assert reopened.groups.list_groups() == ["busy", "recent"]  # the expiry was durable
    clock.advance(DAY_MS + 1)
    reopened.run_maintenance()
    assert reopened.groups.list_groups() == []  # busy's member went silent, then it expired too
    reopened.close()
