"""Consumer groups: membership, generations, broker-made assignments and durable offsets.

The broker assigns: every change of membership (a join, a leave, a member silent for its
session timeout, a subscribed topic gaining partitions) starts a new generation with a fresh
range or round-robin assignment. A member learns of it when its heartbeat is refused with
`StaleGenerationError`, and then calls `sync` for its new partitions. Commits name the
member and generation; a commit from an older generation, or for a partition the member does
not own in the current one, is refused, so a partition never has two committing owners.

Committed offsets and the generation counter are kept per group under the groups directory,
in two slot files written in turn, in place (broker.group_files). As Kafka acknowledges a
commit per the policy of its offsets topic, `flush` decides when one is durable: `always` (the
default) fdatasyncs the slot before the commit returns; `never` leaves it to the OS (the
process may crash without losing a commit, the machine may not); `memory` keeps groups in
memory alone, for a broker whose data dies with the process anyway (the SDK's `memory://`):
nothing is written.
"""

from __future__ import annotations

import threading
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from broker.api import (
    Assignment,
    Assignor,
    GroupDescription,
    MemberDescription,
    TopicPartition,
)
from broker.config import Limits, check_limit
from broker.errors import (
    GroupNotEmptyError,
    InvalidConfigError,
    NotAssignedError,
    OffsetOutOfRangeError,
    StaleGenerationError,
    UnknownGroupError,
    UnknownMemberError,
    UnknownPartitionError,
)
from broker.group_files import GroupFiles

__all__ = [
    "ASSIGNORS",
    "GROUP_RETENTION_MS_DEFAULT",
    "OFFSETS_FLUSH_POLICIES",
    "Assignment",
    "Assignor",
    "GroupCoordinator",
    "GroupDescription",
    "MemberDescription",
    "OffsetsFlush",
    "assign",
]

ASSIGNORS: tuple[str, ...] = ("range", "roundrobin")
OffsetsFlush = Literal["always", "never", "memory"]
OFFSETS_FLUSH_POLICIES: tuple[str, ...] = ("always", "never", "memory")
GROUP_RETENTION_MS_DEFAULT = 7 * 24 * 3600 * 1000


@dataclass
class _Member:
    member_id: str
    topics: tuple[str, ...]
    session_timeout_ms: int
    last_seen_ms: int


@dataclass
class _Group:
    name: str
    generation: int = 0
    assignor: Assignor = "range"
    members: dict[str, _Member] = field(default_factory=dict)
    assignment: dict[str, tuple[TopicPartition, ...]] = field(default_factory=dict)
    committed: dict[TopicPartition, int] = field(default_factory=dict)
    updated_ms: int = 0  # the last commit or membership change: empty groups expire from it
    saved: int = 0  # the sequence number of its last save (broker.group_files)


def assign(
    assignor: Assignor,
    subscriptions: Mapping[str, Iterable[str]],
    partitions_of: Callable[[str], int],
) -> dict[str, tuple[TopicPartition, ...]]:
    """Assign every partition of every subscribed topic to exactly one subscribed member."""
    members = sorted(subscriptions)
    subs = {m: set(subscriptions[m]) for m in members}
    out: dict[str, list[TopicPartition]] = {m: [] for m in members}
    topics = sorted(set().union(*subs.values())) if subs else []
    if assignor == "range":
        for topic in topics:
            takers = [m for m in members if topic in subs[m]]
            count = partitions_of(topic)
            share, extra = divmod(count, len(takers))
            start = 0
            for i, member in enumerate(takers):
                size = share + (1 if i < extra else 0)
                out[member].extend((topic, p) for p in range(start, start + size))
                start += size
    else:
        turn = 0
        for topic in topics:
            for p in range(partitions_of(topic)):
                while topic not in subs[members[turn % len(members)]]:
                    turn += 1
                out[members[turn % len(members)]].append((topic, p))
                turn += 1
    return {m: tuple(tps) for m, tps in out.items()}


class GroupCoordinator:
    """All consumer groups of one broker. Thread-safe."""

    def __init__(
        self,
        directory: Path,
        *,
        partitions_of: Callable[[str], int],
        clock_ms: Callable[[], int],
        limits: Limits,
        offsets_of: Callable[[str, int], tuple[int, int]] | None = None,
        retention_ms: int = GROUP_RETENTION_MS_DEFAULT,
        flush: OffsetsFlush = "always",
    ) -> None:
        """`offsets_of(topic, partition)` gives a partition's (log start, log end), to check
        commits; a group with no members and no change for `retention_ms` is removed (as
        Kafka's offsets.retention.minutes); `flush` is when a commit is durable (above)."""
        if flush not in OFFSETS_FLUSH_POLICIES:
            raise InvalidConfigError(
                "offsets_flush", f"{flush!r} is not one of {OFFSETS_FLUSH_POLICIES}"
            )
        self.flush = flush
        self._directory = directory
        self._partitions_of = partitions_of
        self._offsets_of = offsets_of
        self.retention_ms = retention_ms
        self._clock_ms = clock_ms
        self._limits = limits
        self._lock = threading.RLock()
        self._groups: dict[str, _Group] = {}
        directory.mkdir(parents=True, exist_ok=True)
        for stray in directory.glob("*.tmp"):  # an earlier version's unfinished saves
            stray.unlink()
        self._files = GroupFiles(directory, durable=flush == "always")
        for loaded in self._files.load_all():
            data = loaded.data
            group = _Group(
                data["group"],
                generation=data["generation"],
                updated_ms=data.get("updated_ms", clock_ms()),
                saved=loaded.sequence,
            )
            for key, offset in data["committed"].items():
                topic, _, part = key.rpartition("/")
                group.committed[(topic, int(part))] = offset
            self._groups[group.name] = group

    # ------------------------------------------------------------------ membership

    def join(
        self,
        group: str,
        topics: Iterable[str],
        *,
        member_id: str | None = None,
        session_timeout_ms: int = 10_000,
        assignor: Assignor = "range",
        client_id: str = "consumer",
    ) -> Assignment:
        self._check_name(group)
        check_limit(
            "client_id_bytes_max",
            len(client_id.encode()),
            self._limits.client_id_bytes_max,
            what="client id",
        )
        topics = tuple(sorted(set(topics)))
        if not topics:
            raise InvalidConfigError("topics", "a member subscribes to at least one topic")
        for topic in topics:
            self._partitions_of(topic)  # raises UnknownTopicError
        if assignor not in ASSIGNORS:
            raise InvalidConfigError("assignor", f"{assignor!r} is not one of {ASSIGNORS}")
        lo, hi = self._limits.session_timeout_ms_min, self._limits.session_timeout_ms_max
        if not lo <= session_timeout_ms <= hi:
            raise InvalidConfigError(
                "session_timeout_ms", f"{session_timeout_ms} outside [{lo}, {hi}]"
            )
        with self._lock:
            self._expire_locked(self._clock_ms())
            g = self._groups.get(group)
            if g is None:
                check_limit("groups_max", len(self._groups) + 1, self._limits.groups_max)
                g = self._groups[group] = _Group(group)
            now = self._clock_ms()
            if member_id is not None and member_id in g.members:
                member = g.members[member_id]
                member.last_seen_ms = now
                member.session_timeout_ms = session_timeout_ms
                if member.topics == topics and g.assignor == assignor:
                    return self._assignment(g, member_id)
                member.topics = topics
            else:
                check_limit("group_members_max", len(g.members) + 1, self._limits.group_members_max)
                member_id = f"{client_id}-{uuid.uuid4().hex[:12]}"
                g.members[member_id] = _Member(member_id, topics, session_timeout_ms, now)
            g.assignor = assignor
            self._rebalance(g)
            return self._assignment(g, member_id)

    def heartbeat(self, group: str, member_id: str, generation: int) -> None:
        with self._lock:
            g = self._member_group(group, member_id)
            g.members[member_id].last_seen_ms = self._clock_ms()
            if generation != g.generation:
                raise StaleGenerationError(group, generation, g.generation)

    def sync(self, group: str, member_id: str) -> Assignment:
        with self._lock:
            g = self._member_group(group, member_id)
            g.members[member_id].last_seen_ms = self._clock_ms()
            return self._assignment(g, member_id)

    def leave(self, group: str, member_id: str) -> None:
        with self._lock:
            g = self._member_group(group, member_id)
            del g.members[member_id]
            self._rebalance(g)

    def expire(self, now_ms: int | None = None) -> list[str]:
        """Remove members silent for longer than their session timeout; their ids."""
        with self._lock:
            return self._expire_locked(self._clock_ms() if now_ms is None else now_ms)

    def topic_changed(self, topic: str) -> None:
        """A topic gained partitions or was deleted: rebalance groups that subscribe to it."""
        with self._lock:
            for g in self._groups.values():
                if any(topic in m.topics for m in g.members.values()):
                    self._rebalance(g)

    def forget_topic(self, topic: str) -> None:
        with self._lock:
            for g in self._groups.values():
                kept = {tp: o for tp, o in g.committed.items() if tp[0] != topic}
                if len(kept) != len(g.committed):
                    g.committed = kept
                    self._save(g)
                for m in g.members.values():
                    m.topics = tuple(t for t in m.topics if t != topic)
                if any(t == topic for tps in g.assignment.values() for t, _ in tps):
                    self._rebalance(g)

    # ------------------------------------------------------------------ offsets

    def commit(
        self,
        group: str,
        offsets: Mapping[TopicPartition, int],
        *,
        member_id: str | None = None,
        generation: int = -1,
    ) -> None:
        """Durably record `offsets` (the next offset to consume, per partition)."""
        self._check_name(group)
        check_limit(
            "commit_partitions_max",
            len(offsets),
            self._limits.commit_partitions_max,
            what="commit",
        )
        for (topic, partition), offset in offsets.items():
            count = self._partitions_of(topic)
            if not 0 <= partition < count:
                raise UnknownPartitionError(topic, partition, count)
            start, end = self._offsets_of(topic, partition) if self._offsets_of else (0, offset)
            if not start <= offset <= end:
                raise OffsetOutOfRangeError(offset, start, end)
        with self._lock:
            self._expire_locked(self._clock_ms())
            if member_id is None:
                g = self._groups.get(group)
                if g is not None and g.members:
                    raise StaleGenerationError(group, generation, g.generation)
                if g is None:
                    check_limit("groups_max", len(self._groups) + 1, self._limits.groups_max)
                    g = self._groups[group] = _Group(group)
            else:
                g = self._member_group(group, member_id)
                g.members[member_id].last_seen_ms = self._clock_ms()
                if generation != g.generation:
                    raise StaleGenerationError(group, generation, g.generation)
                owned = set(g.assignment.get(member_id, ()))
                for topic, partition in offsets:
                    if (topic, partition) not in owned:
                        raise NotAssignedError(group, member_id, topic, partition)
            g.committed.update(offsets)
            g.updated_ms = self._clock_ms()
            self._save(g)

    def committed(self, group: str, topic: str, partition: int) -> int | None:
        with self._lock:
            g = self._groups.get(group)
            return None if g is None else g.committed.get((topic, partition))

    def list_groups(self) -> list[str]:
        with self._lock:
            return sorted(self._groups)

    def delete(self, group: str) -> None:
        """Remove a group with no members, its committed offsets with it."""
        self._check_name(group)
        with self._lock:
            self._expire_locked(self._clock_ms())
            g = self._groups.get(group)
            if g is None:
                raise UnknownGroupError(group)
            if g.members:
                raise GroupNotEmptyError(group, len(g.members))
            self._remove(g)

    def describe(self, group: str) -> GroupDescription:
        with self._lock:
            self._expire_locked(self._clock_ms())
            g = self._groups.get(group)
            if g is None:
                return GroupDescription(group, 0, "range", (), {})
            members = tuple(
                MemberDescription(m.member_id, m.topics, g.assignment.get(m.member_id, ()))
                for m in sorted(g.members.values(), key=lambda m: m.member_id)
            )
            return GroupDescription(g.name, g.generation, g.assignor, members, dict(g.committed))

    # ------------------------------------------------------------------ internals

    def _check_name(self, group: str) -> None:
        check_limit(
            "group_name_bytes_max",
            len(group.encode()),
            self._limits.group_name_bytes_max,
            what="group name",
        )
        if not group:
            raise InvalidConfigError("group", "a group name is not empty")
        if any(unicodedata.category(c) in ("Cc", "Cs") for c in group):
            raise InvalidConfigError("group", "a group name has no control characters")

    def _member_group(self, group: str, member_id: str) -> _Group:
        self._expire_locked(self._clock_ms())
        g = self._groups.get(group)
        if g is None or member_id not in g.members:
            raise UnknownMemberError(group, member_id)
        return g

    def _expire_locked(self, now_ms: int) -> list[str]:
        gone: list[str] = []
        for g in self._groups.values():
            dead = [
                m.member_id
                for m in g.members.values()
                if now_ms - m.last_seen_ms > m.session_timeout_ms
            ]
            for member_id in dead:
                del g.members[member_id]
            if dead:
                gone.extend(dead)
                self._rebalance(g)
        for g in list(self._groups.values()):
            if not g.members and now_ms - g.updated_ms > self.retention_ms:
                self._remove(g)
        return gone

    def _remove(self, g: _Group) -> None:
        del self._groups[g.name]
        if self.flush == "memory":
            return
        self._files.remove(self._file_stem(g.name))

    def _rebalance(self, g: _Group) -> None:
        g.generation += 1
        g.updated_ms = self._clock_ms()
        subs = {m.member_id: m.topics for m in g.members.values() if m.topics}
        g.assignment = assign(g.assignor, subs, self._partitions_of) if subs else {}
        self._save(g)

    def _assignment(self, g: _Group, member_id: str) -> Assignment:
        return Assignment(g.name, member_id, g.generation, g.assignment.get(member_id, ()))

    def _save(self, g: _Group) -> None:
        if self.flush == "memory":
            return
        data = {
            "group": g.name,
            "generation": g.generation,
            "committed": {f"{t}/{p}": o for (t, p), o in sorted(g.committed.items())},
            "updated_ms": g.updated_ms,
        }
        self._files.save(self._file_stem(g.name), g.saved + 1, data)
        g.saved += 1

    @staticmethod
    def _file_stem(group: str) -> str:
        return uuid.uuid5(uuid.NAMESPACE_URL, group).hex
