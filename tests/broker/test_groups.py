from __future__ import annotations

import contextlib
import os
import random
import threading
import time
from pathlib import Path

import pytest

from broker import (
    Broker,
    Consumer,
    NotAssignedError,
    OffsetOutOfRangeError,
    ProducerRecord,
    StaleGenerationError,
    TopicConfig,
    UnknownMemberError,
)
from broker.errors import InvalidConfigError
from broker.groups import OffsetsFlush, assign
from tests.broker.conftest import FakeClock


def test_range_and_roundrobin_assignments() -> None:
    counts = {"a": 5, "b": 2}.__getitem__
    subs = {"m1": ["a", "b"], "m2": ["a", "b"], "m3": ["a"]}
    ranged = assign("range", subs, counts)
    assert ranged == {
        "m1": (("a", 0), ("a", 1), ("b", 0)),
        "m2": (("a", 2), ("a", 3), ("b", 1)),
        "m3": (("a", 4),),
    }
    robin = assign("roundrobin", subs, counts)
    assert robin == {
        "m1": (("a", 0), ("a", 3), ("b", 0)),
        "m2": (("a", 1), ("a", 4), ("b", 1)),
        "m3": (("a", 2),),
    }


def owners(consumers: list[Consumer]) -> dict[tuple[str, int], str]:
    seen: dict[tuple[str, int], str] = {}
    for c in consumers:
        for tp in c.assignment():
            assert tp not in seen, f"{tp} owned twice"
            seen[tp] = c.client_id
    return seen


def test_three_consumers_join_leave_and_crash_without_losing_or_skipping(
    broker: Broker, clock: FakeClock
) -> None:
    broker.create_topic("t", TopicConfig(partitions=6))
    produced = 0

    def produce(n: int) -> None:
        nonlocal produced
        broker.produce(
            "t",
            [ProducerRecord(b"%d" % (produced + i), key=b"%d" % (produced + i)) for i in range(n)],
        )
        produced += n

    seen: set[int] = set()

    def consume_all(consumers: list[Consumer]) -> None:
        for _ in range(3):  # a rejoin in the first round moves the others on in the next
            for c in consumers:
                c.heartbeat()
        generations = {c.generation for c in consumers}
        assert len(generations) == 1
        assert set(owners(consumers)) == {("t", p) for p in range(6)}
        for c in consumers:
            for r in c.poll():
                seen.add(int(r.value or b""))
            c.commit()

    def committed_total() -> int:
        return sum(broker.groups.committed("g", "t", p) or 0 for p in range(6))

    produce(100)
    a = Consumer(broker, ["t"], group="g", client_id="a", session_timeout_ms=1000)
    consume_all([a])
    assert committed_total() == 100
    b = Consumer(broker, ["t"], group="g", client_id="b", session_timeout_ms=1000)
    c = Consumer(broker, ["t"], group="g", client_id="c", session_timeout_ms=1000)
    produce(60)
    consume_all([a, b, c])
    assert {len(x.assignment()) for x in (a, b, c)} == {2}
    produce(60)
    # a polls under its old assignment, then b leaves: a's commit from the old generation fails
    old_gen = a.generation
    a_records = a.poll()
    b.close()
    with pytest.raises(StaleGenerationError):
        a.commit()
    assert a.generation == old_gen
    seen.update(int(r.value or b"") for r in a_records)
    consume_all([a, c])
    # c crashes (stops heartbeating); past its session timeout it is removed
    produce(60)
    clock.advance(600)
    a.heartbeat()
    clock.advance(600)
    consume_all([a])
    assert c.member_id not in {m.member_id for m in broker.groups.describe("g").members}
    assert seen == set(range(produced))
    assert committed_total() == produced
    assert all(lag.lag == 0 for lag in broker.lag("g"))
    # the crashed member comes back: it is unknown, rejoins and gets a share again
    produce(12)
    consume_all([a, c])
    assert c.member_id is not None and len(c.assignment()) == 3
    assert committed_total() == produced


def test_commit_rules(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=2))
    for p in (0, 1):  # commits stay within the log: give each partition records
        broker.produce("t", [ProducerRecord(b"v"), ProducerRecord(b"v")], partition=p)
    a = broker.groups.join("g", ["t"], client_id="a")
    b = broker.groups.join("g", ["t"], client_id="b")
    with pytest.raises(StaleGenerationError):
        broker.groups.commit("g", {("t", 0): 1}, member_id=a.member_id, generation=a.generation)
    a = broker.groups.sync("g", a.member_id)
    other = ("t", 1 - a.partitions[0][1])
    with pytest.raises(NotAssignedError):
        broker.groups.commit("g", {other: 1}, member_id=a.member_id, generation=a.generation)
    with pytest.raises(StaleGenerationError):  # no member id while the group has members
        broker.groups.commit("g", {other: 1})
    with pytest.raises(UnknownMemberError):
        broker.groups.heartbeat("g", "nobody", a.generation)
    broker.groups.commit("g", {a.partitions[0]: 1}, member_id=a.member_id, generation=a.generation)
    broker.groups.leave("g", a.member_id)
    broker.groups.leave("g", b.member_id)
    broker.groups.commit("g", {other: 2})  # an empty group takes standalone commits


def test_committed_offsets_and_generations_are_durable(tmp_path: Path, clock: FakeClock) -> None:
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        b.create_topic("t", TopicConfig(partitions=2))
        b.produce("t", [ProducerRecord(b"x")] * 5, partition=1)
        c = Consumer(b, ["t"], group="g")
        assert len(c.poll()) == 5
        c.commit()
        generation = c.generation
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        assert b.groups.committed("g", "t", 1) == 5
        c = Consumer(b, ["t"], group="g")
        assert c.generation > generation
        assert c.position(("t", 1)) == 5
        assert [x.lag for x in b.lag("g")] == [0, 0]
        b.produce("t", [ProducerRecord(b"y")] * 3, partition=1)
        assert [(x.partition, x.committed, x.lag) for x in b.lag("g")] == [(0, 0, 0), (1, 5, 3)]


@pytest.mark.parametrize("flush", ["always", "never"])
def test_commits_survive_a_restart_whether_or_not_they_are_fsynced(
    tmp_path: Path, clock: FakeClock, flush: OffsetsFlush
) -> None:
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None, offsets_flush=flush) as b:
        b.create_topic("t")
        b.produce("t", [ProducerRecord(b"x")] * 4)
        c = Consumer(b, ["t"], group="g")
        assert len(c.poll()) == 4
        c.commit()
    with Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None) as b:
        assert b.groups.committed("g", "t", 0) == 4


def test_groups_kept_in_memory_write_nothing(tmp_path: Path, clock: FakeClock) -> None:
    b = Broker(tmp_path, clock_ms=clock, maintenance_interval_ms=None, offsets_flush="memory")
    with b:
        b.create_topic("t")
        b.produce("t", [ProducerRecord(b"x")] * 2)
        c = Consumer(b, ["t"], group="g")
        assert len(c.poll()) == 2
        c.commit()
        assert b.groups.committed("g", "t", 0) == 2
        c.close()
        b.groups.delete("g")
        assert list((tmp_path / "groups").iterdir()) == []
    with pytest.raises(InvalidConfigError, match="offsets_flush"):
        Broker(tmp_path / "other", offsets_flush="sometimes")  # type: ignore[arg-type]


def test_auto_offset_reset_and_seeks(broker: Broker, clock: FakeClock) -> None:
    broker.create_topic("t")
    for i in range(10):
        broker.produce("t", [ProducerRecord(b"%d" % i, timestamp_ms=1000 + 10 * i)])
    tp = ("t", 0)
    assert Consumer(broker, ["t"], group="e", auto_offset_reset="earliest").position(tp) == 0
    assert Consumer(broker, ["t"], group="l", auto_offset_reset="latest").position(tp) == 10
    with pytest.raises(OffsetOutOfRangeError):
        Consumer(broker, ["t"], group="n", auto_offset_reset="none").position(tp)
    c = Consumer(broker, ["t"])
    c.seek_to_time(1045)
    assert [r.value for r in c.poll()][:2] == [b"5", b"6"]
    c.seek(tp, 8)
    assert [r.offset for r in c.poll()] == [8, 9]
    c.seek_to_beginning()
    assert c.poll()[0].offset == 0
    c.seek_to_end()
    assert c.poll() == []
    with pytest.raises(OffsetOutOfRangeError):
        c.seek(tp, 11)


def test_long_poll_returns_when_a_record_arrives(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=2))
    done = threading.Event()
    got: list[bytes | None] = []

    def wait() -> None:
        result = broker.fetch_many({("t", 0): 0, ("t", 1): 0}, wait_ms=30_000)
        got.extend(r.value for fr in result.values() for r in fr.records)
        done.set()

    thread = threading.Thread(target=wait)
    thread.start()
    time.sleep(0.05)
    assert not done.is_set()
    broker.produce("t", [ProducerRecord(b"hello")], partition=1)
    assert done.wait(10)
    thread.join()
    assert got == [b"hello"]


def test_a_long_poll_with_nothing_to_read_times_out_empty(broker: Broker) -> None:
    broker.create_topic("t")
    assert broker.fetch("t", 0, 0, wait_ms=20).records == []


def test_growing_a_topic_rebalances_its_groups(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=1))
    a = Consumer(broker, ["t"], group="g", client_id="a")
    b = Consumer(broker, ["t"], group="g", client_id="b")
    a.heartbeat()
    assert sorted(len(x.assignment()) for x in (a, b)) == [0, 1]
    broker.alter_topic("t", partitions=4)
    assert a.heartbeat() and b.heartbeat()
    assert len(owners([a, b])) == 4


@pytest.mark.parametrize("assignor", ["range", "roundrobin"])
def test_random_membership_churn_keeps_one_owner_and_loses_nothing(
    broker: Broker, clock: FakeClock, assignor: str
) -> None:
    """A seeded random walk of joins, leaves, crashes, produces, polls and commits."""
    seed = int(os.environ.get("CHARTER_GROUP_SEED", random.randrange(2**32)))
    steps = int(os.environ.get("CHARTER_PROPERTY_EXAMPLES", "300"))
    rng = random.Random(seed)
    broker.create_topic("t", TopicConfig(partitions=5))
    produced = [0] * 5
    delivered: list[set[int]] = [set() for _ in range(5)]
    live: list[Consumer] = []
    crashed: list[Consumer] = []
    names = iter(range(10**6))

    def new_consumer() -> Consumer:
        return Consumer(
            broker,
            ["t"],
            group="g",
            client_id=f"c{next(names)}",
            session_timeout_ms=1000,
            assignor=assignor,  # type: ignore[arg-type]
        )

    for step in range(steps):
        op = rng.choice(["join", "leave", "crash", "produce", "produce", "poll", "poll", "tick"])
        if op == "join" and len(live) < 3:
            live.append(new_consumer())
        elif op == "leave" and live:
            live.pop(rng.randrange(len(live))).close()
        elif op == "crash" and live:
            crashed.append(live.pop(rng.randrange(len(live))))
        elif op == "produce":
            placed = broker.produce("t", [ProducerRecord(b"x", key=os.urandom(4))] * 1)
            for p, _ in placed:
                produced[p] += 1
        elif op == "poll" and live:
            c = rng.choice(live)
            for r in c.poll():
                delivered[r.partition].add(r.offset)
            # a stale member's commit fails; its records are delivered again to the new owner
            with contextlib.suppress(StaleGenerationError):
                c.commit()
        elif op == "tick":
            clock.advance(rng.choice([100, 400, 1100]))
            for c in live:
                c.heartbeat()
        # invariant: within the current generation no partition has two owners
        description = broker.groups.describe("g")
        owned = [tp for m in description.members for tp in m.partitions]
        assert len(owned) == len(set(owned)), f"seed {seed} step {step}"
        if description.members:
            assert set(owned) == {("t", p) for p in range(5)}, f"seed {seed} step {step}"
        # invariant: every record below a committed offset was delivered
        for p in range(5):
            committed = broker.groups.committed("g", "t", p) or 0
            assert committed <= produced[p]
            assert set(range(committed)) <= delivered[p], f"seed {seed} step {step}"
    # drain: a fresh member eventually reads and commits everything
    clock.advance(5000)
    last = new_consumer()
    for _ in range(5):
        for r in last.poll():
            delivered[r.partition].add(r.offset)
        last.commit()
    for p in range(5):
        assert broker.groups.committed("g", "t", p) == produced[p]
        assert delivered[p] == set(range(produced[p]))


def test_polls_take_turns_between_busy_partitions(broker: Broker) -> None:
    broker.create_topic("t", TopicConfig(partitions=3))
    for p in range(3):
        broker.produce("t", [ProducerRecord(b"%d" % p)] * 50, partition=p)
    c = Consumer(broker, ["t"], records_max=10)
    first = [c.poll()[0].partition for _ in range(3)]
    assert sorted(first) == [0, 1, 2]


def test_maintenance_removes_silent_members(broker: Broker, clock: FakeClock) -> None:
    broker.create_topic("t", TopicConfig(partitions=2))
    a = broker.groups.join("g", ["t"], session_timeout_ms=1000)
    b = broker.groups.join("g", ["t"], session_timeout_ms=5000)
    clock.advance(600)
    broker.groups.heartbeat("g", b.member_id, b.generation)
    clock.advance(401)  # a has been silent 1001 ms, b 401 ms
    broker.run_maintenance()
    d = broker.groups.describe("g")
    assert [m.member_id for m in d.members] == [b.member_id]
    assert d.generation == b.generation + 1
    assert len(d.members[0].partitions) == 2
    with pytest.raises(UnknownMemberError):
        broker.groups.heartbeat("g", a.member_id, d.generation)


def test_a_long_poll_keeps_the_membership_alive(tmp_path: Path) -> None:
    # the wall clock this time: the member must heartbeat while it waits, longer than its
    # session timeout, with the maintenance thread expiring silent members meanwhile
    with Broker(tmp_path, maintenance_interval_ms=50) as b:
        b.create_topic("t")
        c = Consumer(b, ["t"], group="g", session_timeout_ms=1200)
        generation = c.generation
        assert c.poll(wait_ms=3000) == []
        assert c.generation == generation
        assert [m.member_id for m in b.groups.describe("g").members] == [c.member_id]
