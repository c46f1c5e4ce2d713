"""Charter's broker over its HTTP API (`charter serve`): `charter://host:port`.

A `broker.client.BrokerClient` is a `broker.BrokerAPI`, so the producer and the consumer are
the built-in broker's own (`sdk.transports.builtin`), the group logic included. `auth` (a key
and secret for HTTP Basic) or `token` (a bearer token) authenticate to `charter serve --auth
required`, as for `sdk.Registry`.

A group member's poll loop makes one round trip per poll, the fetch: heartbeats go at most
every `heartbeat_interval_ms` (default a tenth of the session timeout; join, sync and commit
answers count as heartbeats, see `broker.client.GroupsClient`), and commits are sent from a
thread of their own (`_Commits`), at most one per `commit_interval_ms` (default 100), as the
Kafka transport sends them: without waiting, offsets given meanwhile merged into the next.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx

from broker import BrokerError
from broker.client import BrokerClient
from broker.errors import NotAssignedError, StaleGenerationError, UnknownMemberError
from sdk.credentials import credential_headers
from sdk.errors import ConfigurationError, TransportError
from sdk.transports.base import TopicPartition
from sdk.transports.builtin import SESSION_TIMEOUT_MS_DEFAULT, BrokerConsumer, BrokerProducer

__all__ = ["HttpConsumer", "HttpProducer", "base_url"]

_COMMIT_CLOSE_TIMEOUT_S = 30.0


def base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "charter" or not parts.netloc:
        raise ConfigurationError(f"{url!r}: a Charter broker URL is charter://host:port")
    return f"http://{parts.netloc}"


def _client(
    url: str,
    timeout_s: float,
    auth: tuple[str, str] | None,
    token: str | None,
    heartbeat_interval_ms: int = 0,
) -> tuple[BrokerClient, Callable[[], None]]:
    http = httpx.Client(
        base_url=base_url(url),
        timeout=timeout_s,
        auth=auth,
        headers=credential_headers(auth, token),
    )
    client = BrokerClient(client=http, heartbeat_interval_ms=heartbeat_interval_ms)

    def close() -> None:
        client.close()
        http.close()

    return client, close


class HttpProducer(BrokerProducer):
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = 30.0,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        **options: Any,
    ) -> None:
        client, close = _client(url, timeout_s, auth, token)
        super().__init__(client, close, **options)


_REBALANCED = (StaleGenerationError, UnknownMemberError, NotAssignedError)


# the member and generation a consumer read offsets under: a commit goes with them
Membership = tuple[str | None, int]
Send = Callable[[dict[TopicPartition, int], Membership], None]


def _merge(
    into: dict[Membership, dict[TopicPartition, int]],
    older: dict[Membership, dict[TopicPartition, int]],
) -> dict[Membership, dict[TopicPartition, int]]:
    """`older`'s offsets under `into`'s: per membership, the newer offset of a partition wins."""
    merged = {m: dict(o) for m, o in older.items()}
    for membership, offsets in into.items():
        merged.setdefault(membership, {}).update(offsets)
    return merged


class _Commits:
    """Offsets committed from a thread of their own, one commit at a time and at most one
    per `interval_s` (each is a write, fsynced, on the broker): offsets given meanwhile go
    with the next, merged (the newest per partition wins).

    Offsets go with the member and generation they were given under, so a commit sent late
    (or again, after a failure) for a group that has moved on is refused rather than taken
    for the new generation's.

    A refusal is raised by the next `give`: after a rebalance (the group moved on) its
    offsets are dropped, and whoever owns the partitions now reads from the last commit (at
    least once); after any other failure they go again with the next commit.
    """

    def __init__(self, send: Send, interval_s: float) -> None:
        self._send = send
        self._interval_s = interval_s
        self._sent_at = -interval_s  # time.monotonic() of the last commit sent
        self._changed = threading.Condition()
        self._pending: dict[Membership, dict[TopicPartition, int]] = {}
        self._retry: dict[Membership, dict[TopicPartition, int]] = {}  # with the next ones
        self._failure: str | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="charter-commits", daemon=True)
        self._thread.start()

    def give(self, offsets: dict[TopicPartition, int], membership: Membership) -> None:
        with self._changed:
            failure, self._failure = self._failure, None
            if self._retry:
                self._pending = _merge(self._pending, self._retry)
                self._retry = {}
            self._pending.setdefault(membership, {}).update(offsets)
            self._changed.notify_all()
        if failure is not None:
            raise TransportError(failure)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._pending and not self._closed:
                    self._changed.wait()
                if not self._pending:
                    return
                due = self._sent_at + self._interval_s - time.monotonic()
                if due > 0 and not self._closed:
                    self._changed.wait(due)  # then look again: a close sends at once
                    continue
                self._sent_at = time.monotonic()
                taken, self._pending = self._pending, {}
            failure: str | None = None
            retry: dict[Membership, dict[TopicPartition, int]] = {}
            for membership, offsets in taken.items():  # oldest membership first
                try:
                    self._send(offsets, membership)
                except _REBALANCED as exc:
                    failure = f"commit rejected after a rebalance: {exc}"
                except (BrokerError, httpx.HTTPError) as exc:
                    failure, retry[membership] = f"commit failed: {exc}", offsets
                except Exception as exc:  # kept for the caller, the thread goes on
                    failure = f"commit failed: {type(exc).__name__}: {exc}"
                    retry[membership] = offsets
            with self._changed:
                if failure is not None:
                    self._failure = failure
                self._retry = _merge(self._retry, retry)
                self._changed.notify_all()

    def close(self, timeout_s: float) -> None:
        """Send what is pending (the failed ones once more), then stop the thread."""
        with self._changed:
            self._pending = _merge(self._pending, self._retry)
            self._retry = {}
            self._closed = True
            self._changed.notify_all()
        self._thread.join(timeout_s)


class HttpConsumer(BrokerConsumer):
    failures = (BrokerError, httpx.HTTPError)

    def __init__(
        self,
        url: str,
        group: str | None,
        topics: Sequence[str],
        auto_offset_reset: str,
        *,
        timeout_s: float = 70.0,
        auth: tuple[str, str] | None = None,
        token: str | None = None,
        heartbeat_interval_ms: int | None = None,
        commit_interval_ms: int = 100,
        **options: Any,
    ) -> None:
        if commit_interval_ms < 0:
            raise ConfigurationError("commit_interval_ms must be ≥ 0")
        session_ms = int(options.get("session_timeout_ms", SESSION_TIMEOUT_MS_DEFAULT))
        if heartbeat_interval_ms is None:
            heartbeat_interval_ms = session_ms // 10
        if not 0 <= heartbeat_interval_ms < session_ms:
            # a member that skips heartbeats for a whole session is expired, again and again
            raise ConfigurationError(
                f"heartbeat_interval_ms must be ≥ 0 and below session_timeout_ms ({session_ms})"
            )
        client, close = _client(url, timeout_s, auth, token, heartbeat_interval_ms)
        super().__init__(client, close, group, topics, auto_offset_reset, **options)
        interval_s = commit_interval_ms / 1000
        self._commits = None if group is None else _Commits(self._send_commit, interval_s)

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Queue `offsets` and return: they are sent from the commit thread (a refusal of an
        earlier commit raises `TransportError` here). `close` sends what is left and waits."""
        if self._commits is not None:  # a reader without a group commits nothing
            member = self._consumer
            self._commits.give(offsets, (member.member_id, member.generation))

    def _send_commit(self, offsets: dict[TopicPartition, int], membership: Membership) -> None:
        member = self._consumer
        assert member.group is not None  # only a group member has a commit thread
        member.broker.groups.commit(
            member.group, offsets, member_id=membership[0], generation=membership[1]
        )

    def close(self) -> None:
        try:
            if self._commits is not None:
                with contextlib.suppress(Exception):  # not committed: read again, at least once
                    self._commits.close(_COMMIT_CLOSE_TIMEOUT_S)
        finally:
            super().close()
