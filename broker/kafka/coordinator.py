"""Kafka's consumer-group protocol: membership and rebalances on the listener's event loop.

Kafka clients assign partitions themselves: the coordinator collects every member's JoinGroup
(each names the assignors it supports, e.g. range or cooperative-sticky, with opaque
metadata), starts a generation, hands the leader all members' metadata, and gives each member
what the leader's SyncGroup assigned it. So membership lives here, not in the broker core's
broker-assigned groups; committed offsets go to the core's store (`broker.groups`), where the
HTTP API and the SDK read them. A group name is used by Kafka clients or by Charter's HTTP
consumers at one time, not both.

States, as Kafka names them: Empty → PreparingRebalance (waiting for every member to
(re)join, at most the longest rebalance timeout) → CompletingRebalance (waiting for the
leader's SyncGroup) → Stable. A member silent for its session timeout is removed and a
rebalance starts; heartbeats during one answer REBALANCE_IN_PROGRESS so members rejoin.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kio.schema.errors import ErrorCode

from broker.broker import Broker
from broker.groups import GroupDescription

if TYPE_CHECKING:
    from broker.kafka.context import ListenerSettings

__all__ = ["Coordinator", "GroupError", "JoinResult", "SyncResult"]

EMPTY, PREPARING, COMPLETING, STABLE = (
    "Empty",
    "PreparingRebalance",
    "CompletingRebalance",
    "Stable",
)
_SESSION_TIMEOUT_MS_MIN = 1_000
_SESSION_TIMEOUT_MS_MAX = 300_000
_EXPIRY_CHECK_S = 0.25


class GroupError(Exception):
    """A group request refused with `code` (the listener answers it, never raises it on)."""

    def __init__(self, code: ErrorCode, message: str = "") -> None:
        super().__init__(message or code.name)
        self.code = code


@dataclass(frozen=True, slots=True)
class JoinResult:
    generation: int
    protocol_type: str
    protocol: str
    leader: str
    member_id: str
    members: tuple[tuple[str, str | None, bytes], ...]  # only the leader's answer has them


@dataclass(frozen=True, slots=True)
class SyncResult:
    protocol_type: str
    protocol: str
    assignment: bytes


@dataclass
class _Member:
    member_id: str
    instance_id: str | None
    client_id: str
    client_host: str
    session_timeout_ms: int
    rebalance_timeout_ms: int
    protocols: list[tuple[str, bytes]]
    last_seen: float
    assignment: bytes = b""
    joining: asyncio.Future[JoinResult] | None = None
    syncing: asyncio.Future[SyncResult] | None = None


@dataclass
class _Group:
    name: str
    state: str = EMPTY
    generation: int = 0
    protocol_type: str = ""
    protocol: str = ""
    leader: str = ""
    members: dict[str, _Member] = field(default_factory=dict)
    timer: asyncio.TimerHandle | None = None
    not_before: float = 0.0  # a new group's first join waits for more members until then


def _fail(future: asyncio.Future[Any] | None, code: ErrorCode) -> None:
    if future is not None and not future.done():
        future.set_exception(GroupError(code))


class Coordinator:
    """All Kafka-protocol groups of one listener. Not thread-safe: the event loop's alone."""

    def __init__(
        self,
        broker: Broker,
        settings: ListenerSettings,
        run: Callable[..., Awaitable[Any]],
    ) -> None:
        self._broker = broker
        self._settings = settings
        self._run = run
        self._groups: dict[str, _Group] = {}
        self._expiry: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._expiry = asyncio.get_running_loop().create_task(self._expire_forever())

    def close(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
        for group in self._groups.values():
            if group.timer is not None:
                group.timer.cancel()
            for member in group.members.values():
                _fail(member.joining, ErrorCode.coordinator_not_available)
                _fail(member.syncing, ErrorCode.coordinator_not_available)

    # ------------------------------------------------------------------ requests

    async def join(
        self,
        group_id: str,
        member_id: str,
        instance_id: str | None,
        client_id: str,
        client_host: str,
        protocol_type: str,
        protocols: list[tuple[str, bytes]],
        session_timeout_ms: int,
        rebalance_timeout_ms: int,
    ) -> JoinResult:
        limits = self._broker.limits
        if not group_id or len(group_id.encode()) > limits.group_name_bytes_max:
            raise GroupError(ErrorCode.invalid_group_id, f"group id {group_id!r} is not usable")
        if not _SESSION_TIMEOUT_MS_MIN <= session_timeout_ms <= _SESSION_TIMEOUT_MS_MAX:
            raise GroupError(
                ErrorCode.invalid_session_timeout,
                f"session timeout {session_timeout_ms} ms outside "
                f"[{_SESSION_TIMEOUT_MS_MIN}, {_SESSION_TIMEOUT_MS_MAX}]",
            )
        if not protocols or not protocol_type:
            raise GroupError(ErrorCode.inconsistent_group_protocol, "no protocols named")
        group = self._groups.get(group_id)
        if group is None:
            described = await self._describe_core(group_id)
            if described.members:
                raise GroupError(
                    ErrorCode.inconsistent_group_protocol,
                    f"group {group_id!r} has Charter HTTP consumers",
                )
            if len(self._groups) >= limits.groups_max:
                raise GroupError(ErrorCode.group_max_size_reached, "too many groups")
            group = self._groups.setdefault(group_id, _Group(group_id))
        if group.members:
            if protocol_type != group.protocol_type:
                raise GroupError(ErrorCode.inconsistent_group_protocol, "another protocol type")
            common = self._common_protocols(group, exclude=member_id)
            if common is not None and not common & {name for name, _ in protocols}:
                raise GroupError(ErrorCode.inconsistent_group_protocol, "no common assignor")
        loop = asyncio.get_running_loop()
        now = time.monotonic()
        rebalance_timeout_ms = min(
            max(rebalance_timeout_ms, session_timeout_ms), self._settings.rebalance_timeout_ms_max
        )
        if member_id:
            member = group.members.get(member_id)
            if member is None:
                raise GroupError(ErrorCode.unknown_member_id, f"{member_id!r} is not a member")
            member.protocols = protocols
            member.session_timeout_ms = session_timeout_ms
            member.rebalance_timeout_ms = rebalance_timeout_ms
            member.last_seen = now
            _fail(member.joining, ErrorCode.rebalance_in_progress)
        else:
            if len(group.members) >= limits.group_members_max:
                raise GroupError(ErrorCode.group_max_size_reached, "the group is full")
            member_id = f"{client_id or 'consumer'}-{uuid.uuid4()}"
            member = _Member(
                member_id,
                instance_id,
                client_id,
                client_host,
                session_timeout_ms,
                rebalance_timeout_ms,
                protocols,
                now,
            )
            if not group.members:
                group.protocol_type = protocol_type
                if group.state == EMPTY:
                    group.not_before = now + self._settings.group_initial_delay_ms / 1000
            group.members[member_id] = member
        member.joining = loop.create_future()
        joining = member.joining
        if group.state != PREPARING:
            self._prepare(group)
        self._try_complete_join(group)
        return await joining

    async def sync(
        self,
        group_id: str,
        member_id: str,
        generation: int,
        assignments: dict[str, bytes],
    ) -> SyncResult:
        group, member = self._member(group_id, member_id)
        member.last_seen = time.monotonic()
        if generation != group.generation:
            raise GroupError(ErrorCode.illegal_generation)
        if group.state == PREPARING:
            raise GroupError(ErrorCode.rebalance_in_progress)
        if group.state == STABLE:
            return SyncResult(group.protocol_type, group.protocol, member.assignment)
        _fail(member.syncing, ErrorCode.rebalance_in_progress)
        member.syncing = asyncio.get_running_loop().create_future()
        syncing = member.syncing
        if member_id == group.leader:
            for other in group.members.values():
                other.assignment = assignments.get(other.member_id, b"")
            group.state = STABLE
            for other in group.members.values():
                if other.syncing is not None and not other.syncing.done():
                    other.syncing.set_result(
                        SyncResult(group.protocol_type, group.protocol, other.assignment)
                    )
                other.syncing = None
        return await syncing

    def heartbeat(self, group_id: str, member_id: str, generation: int) -> None:
        group, member = self._member(group_id, member_id)
        member.last_seen = time.monotonic()
        if group.state == PREPARING:
            raise GroupError(ErrorCode.rebalance_in_progress)
        if generation != group.generation:
            raise GroupError(ErrorCode.illegal_generation)

    def leave(self, group_id: str, member_id: str) -> None:
        group, member = self._member(group_id, member_id)
        self._remove(group, member)

    def check_commit(self, group_id: str, member_id: str, generation: int) -> None:
        """Whether a commit may go through: Kafka's rules for generation and state."""
        group = self._groups.get(group_id)
        if group is None or not group.members:
            if generation >= 0 or member_id:
                # a member of a generation this coordinator does not know (e.g. pre-restart)
                raise GroupError(
                    ErrorCode.unknown_member_id if member_id else ErrorCode.illegal_generation
                )
            return
        if generation < 0 and not member_id:
            raise GroupError(ErrorCode.unknown_member_id, "the group has active members")
        if member_id not in group.members:
            raise GroupError(ErrorCode.unknown_member_id)
        if generation != group.generation:
            raise GroupError(ErrorCode.illegal_generation)
        if group.state == COMPLETING:
            raise GroupError(ErrorCode.rebalance_in_progress)
        group.members[member_id].last_seen = time.monotonic()

    # ------------------------------------------------------------------ views

    def groups(self) -> list[tuple[str, str, str]]:
        """(group id, protocol type, state) of every group with Kafka members or history."""
        return [(g.name, g.protocol_type, g.state) for g in self._groups.values()]

    def describe(self, group_id: str) -> dict[str, Any] | None:
        group = self._groups.get(group_id)
        if group is None:
            return None
        return {
            "group_state": group.state,
            "protocol_type": group.protocol_type,
            "protocol_data": group.protocol if group.state in (STABLE, COMPLETING) else "",
            "members": [
                {
                    "member_id": m.member_id,
                    "group_instance_id": m.instance_id,
                    "client_id": m.client_id,
                    "client_host": m.client_host,
                    "member_metadata": dict(m.protocols).get(group.protocol, b""),
                    "member_assignment": m.assignment,
                }
                for m in group.members.values()
            ],
        }

    async def _describe_core(self, group_id: str) -> GroupDescription:
        described: GroupDescription = await self._run(self._broker.groups.describe, group_id)
        return described

    # ------------------------------------------------------------------ internals

    def _member(self, group_id: str, member_id: str) -> tuple[_Group, _Member]:
        group = self._groups.get(group_id)
        member = group.members.get(member_id) if group is not None else None
        if group is None or member is None:
            raise GroupError(ErrorCode.unknown_member_id, f"{member_id!r} is not a member")
        return group, member

    def _common_protocols(self, group: _Group, *, exclude: str = "") -> set[str] | None:
        common: set[str] | None = None
        for member in group.members.values():
            if member.member_id == exclude:
                continue
            names = {name for name, _ in member.protocols}
            common = names if common is None else common & names
        return common

    def _prepare(self, group: _Group) -> None:
        """Start a rebalance: members must rejoin within the longest rebalance timeout."""
        group.state = PREPARING
        for member in group.members.values():
            _fail(member.syncing, ErrorCode.rebalance_in_progress)
            member.syncing = None
        if group.timer is not None:
            group.timer.cancel()
        timeout_s = max((m.rebalance_timeout_ms for m in group.members.values()), default=0)
        loop = asyncio.get_running_loop()
        group.timer = loop.call_later(timeout_s / 1000, self._rebalance_timed_out, group)

    def _rebalance_timed_out(self, group: _Group) -> None:
        group.timer = None
        if group.state != PREPARING:
            return
        for member in [m for m in group.members.values() if m.joining is None]:
            del group.members[member.member_id]
        self._complete_join(group)

    def _try_complete_join(self, group: _Group) -> None:
        if group.state != PREPARING:
            return
        if any(m.joining is None for m in group.members.values()):
            return
        wait_s = group.not_before - time.monotonic()
        if wait_s > 0:
            loop = asyncio.get_running_loop()
            loop.call_later(wait_s, self._try_complete_join, group)
            return
        self._complete_join(group)

    def _complete_join(self, group: _Group) -> None:
        if group.timer is not None:
            group.timer.cancel()
            group.timer = None
        group.generation += 1
        if not group.members:
            group.state = EMPTY
            group.leader = group.protocol = ""
            return
        if group.leader not in group.members:
            group.leader = next(iter(group.members))
        common = self._common_protocols(group) or set()
        # the leader's first preference that every member supports
        preferred = [n for n, _ in group.members[group.leader].protocols if n in common]
        if not preferred:
            for member in group.members.values():
                _fail(member.joining, ErrorCode.inconsistent_group_protocol)
                member.joining = None
            group.members.clear()
            group.state = EMPTY
            return
        group.protocol = preferred[0]
        group.state = COMPLETING
        now = time.monotonic()
        everyone = tuple(
            (m.member_id, m.instance_id, dict(m.protocols)[group.protocol])
            for m in group.members.values()
        )
        for member in group.members.values():
            member.assignment = b""
            member.last_seen = now
            result = JoinResult(
                group.generation,
                group.protocol_type,
                group.protocol,
                group.leader,
                member.member_id,
                everyone if member.member_id == group.leader else (),
            )
            if member.joining is not None and not member.joining.done():
                member.joining.set_result(result)
            member.joining = None

    def _remove(self, group: _Group, member: _Member) -> None:
        del group.members[member.member_id]
        _fail(member.joining, ErrorCode.unknown_member_id)
        _fail(member.syncing, ErrorCode.unknown_member_id)
        if group.state == PREPARING:
            self._try_complete_join(group)
            if not group.members:
                self._complete_join(group)
        elif group.members:
            self._prepare(group)
        else:
            self._complete_join(group)

    async def _expire_forever(self) -> None:
        while True:
            await asyncio.sleep(_EXPIRY_CHECK_S)
            now = time.monotonic()
            for group in list(self._groups.values()):
                for member in list(group.members.values()):
                    silent_s = now - member.last_seen
                    if member.joining is None and silent_s * 1000 > member.session_timeout_ms:
                        self._remove(group, member)
