"""What every handler gets: the broker core, the listener's settings, its executor and state."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from broker.broker import Broker
from broker.kafka.coordinator import Coordinator
from broker.kafka.producers import ProducerTable

__all__ = ["AppendSignal", "Context", "ListenerSettings"]

T = TypeVar("T")
MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class ListenerSettings:
    """The Kafka listener's settings; every wait, size and count has a limit."""

    host: str = "127.0.0.1"
    port: int = 9092
    advertised_host: str | None = None  # default: `host`, or the machine's name for 0.0.0.0
    node_id: int = 0
    cluster_id: str = "charter"
    request_bytes_max: int = 32 * MIB
    connections_max: int = 1_000
    idle_timeout_ms: int = 600_000  # a connection silent this long is closed (Kafka's default)
    frame_timeout_ms: int = 30_000  # a started request must arrive whole within this
    io_threads: int = 8  # the bounded executor for the synchronous broker core
    fetch_recheck_ms: int = 1_000  # a waiting fetch re-reads offsets at least this often
    group_initial_delay_ms: int = 200  # a new group waits this long for more first members
    rebalance_timeout_ms_max: int = 300_000
    producers_max: int = 10_000  # idempotent producers remembered, oldest forgotten first
    sasl_session_ms: int = 300_000  # with SASL: re-authenticate (KIP-368) within this; 0 never


class AppendSignal:
    """Wakes waiting fetches on the event loop when the broker appends records, whoever
    appends them (this listener, the HTTP API, the SDK in process): `attach` subscribes it to
    the broker's append listeners, which call it from the appending thread; one wake-up is
    scheduled on the loop per loop turn at most, and none while no fetch waits (a produce
    burst then costs the loop nothing). `version` counts appends: a fetch that read offsets
    at version v and then waits from v returns at once if an append came in between."""

    def __init__(self) -> None:
        self.version = 0
        self._waiters: set[asyncio.Future[None]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scheduled = False
        self._lock = threading.Lock()
        self._detach: Callable[[], None] | None = None

    def attach(self, broker: Broker, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._detach = broker.add_append_listener(self._appended)

    def detach(self) -> None:
        if self._detach is not None:
            self._detach()
            self._detach = None

    def _appended(self) -> None:
        loop = self._loop
        with self._lock:
            self.version += 1
            if self._scheduled or not self._waiters or loop is None or loop.is_closed():
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._wake)

    def _wake(self) -> None:
        with self._lock:
            self._scheduled = False
        self.notify()

    def notify(self) -> None:
        with self._lock:
            waiters = list(self._waiters)
            self._waiters.clear()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def wait(self, timeout_s: float, since: int | None = None) -> None:
        """Until the next append or `timeout_s`, whichever comes first; at once if `since`
        is given and appends came after that version."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._lock:
            if since is not None and self.version != since:
                return
            self._waiters.add(waiter)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(waiter), timeout_s)
        finally:
            with self._lock:
                self._waiters.discard(waiter)


class Context:
    """Shared by all connections of one listener; used only on the listener's event loop."""

    def __init__(self, broker: Broker, settings: ListenerSettings, advertised_host: str) -> None:
        self.broker = broker
        self.settings = settings
        self.advertised_host = advertised_host
        self.executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=settings.io_threads, thread_name_prefix="charter-kafka-io"
        )
        self._slots = asyncio.Semaphore(settings.io_threads * 4)
        self.appends = AppendSignal()
        self.appends.attach(broker, asyncio.get_running_loop())
        self.producers = ProducerTable(settings.producers_max, broker.data_dir / "producer-ids")
        self.coordinator = Coordinator(broker, settings, self.run)
        self.port = settings.port

    async def run(self, fn: Callable[..., T], *args: object) -> T:
        """`fn(*args)` on the bounded executor: disk and registry calls never block the loop."""
        async with self._slots:
            return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    def close(self) -> None:
        self.appends.detach()
        self.coordinator.close()
        self.executor.shutdown(wait=True, cancel_futures=True)
