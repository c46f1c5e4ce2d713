"""Client-side batching for the transports whose broker takes whole batches (Charter's own).

`send` queues records per topic; a topic's queue is delivered when it holds `batch_size`
records or its oldest record has waited `linger_ms`. Deliveries run one at a time, in queue
order, so the records of one key reach their partition in the order they were sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from sdk.errors import ConfigurationError, DeliveryError
from sdk.transports.base import OutRecord

__all__ = ["Batcher", "Undelivered"]

Deliver = Callable[[str, list[OutRecord]], None]


class Undelivered(Exception):
    """A delivery that took some of its records raises this for the `count` it did not take
    (any other exception counts the whole chunk as undelivered)."""

    def __init__(self, count: int, reason: str) -> None:
        super().__init__(reason)
        self.count = count


class Batcher:
    def __init__(self, deliver: Deliver, *, linger_ms: float = 5.0, batch_size: int = 500) -> None:
        if batch_size < 1 or linger_ms < 0:
            raise ConfigurationError("batch_size must be ≥ 1 and linger_ms ≥ 0")
        self._deliver = deliver
        self.linger_s = linger_ms / 1000
        self.batch_size = batch_size
        self._queues: dict[str, list[OutRecord]] = {}
        self._oldest: dict[str, float] = {}
        self._failures: list[tuple[str, str]] = []
        self._lock = threading.Lock()  # guards the queues
        self._delivering = threading.Lock()  # one delivery at a time, in order
        self._wake = threading.Condition(self._lock)
        self._closed = False
        self._thread: threading.Thread | None = None
        if self.linger_s > 0:
            self._thread = threading.Thread(
                target=self._linger, name="charter-batcher", daemon=True
            )
            self._thread.start()

    def send(self, topic: str, records: Sequence[OutRecord]) -> None:
        with self._lock:
            if self._closed:
                raise ConfigurationError("the producer is closed")
            queue = self._queues.get(topic)
            if queue:  # the usual case, per record: a queue lingers already
                queue += records
                if len(queue) < self.batch_size:
                    return
            else:
                idle = not self._queues
                if queue is None:
                    queue = self._queues[topic] = []
                self._oldest[topic] = time.monotonic()
                queue += records
                if len(queue) < self.batch_size and self.linger_s > 0:
                    # the linger thread sleeps until the oldest queue is due, which a later
                    # record cannot make sooner: wake it only for the first queue
                    if idle:
                        self._wake.notify()
                    return
        self._drain(only=topic)

    def _take(
        self, only: str | None, due_before: float | None
    ) -> list[tuple[str, list[OutRecord]]]:
        with self._lock:
            taken: list[tuple[str, list[OutRecord]]] = []
            for topic in list(self._queues):
                if only is not None and topic != only:
                    continue
                if due_before is not None and self._oldest.get(topic, 0.0) > due_before:
                    continue
                queue = self._queues.pop(topic)
                self._oldest.pop(topic, None)
                if queue:
                    taken.append((topic, queue))
            return taken

    def _drain(self, only: str | None = None, due_before: float | None = None) -> None:
        with self._delivering:  # taken inside, so a later send cannot overtake this one
            for topic, queue in self._take(only, due_before):
                for start in range(0, len(queue), self.batch_size):
                    chunk = queue[start : start + self.batch_size]
                    try:
                        self._deliver(topic, chunk)
                    except Undelivered as exc:  # some records were taken, not these
                        with self._lock:
                            self._failures.extend((topic, str(exc)) for _ in range(exc.count))
                    except Exception as exc:  # kept for flush(), which raises them
                        with self._lock:
                            reason = f"{type(exc).__name__}: {exc}"
                            self._failures.extend((topic, reason) for _ in chunk)

    def _linger(self) -> None:
        while True:
            with self._lock:
                if self._closed:
                    return
                if not self._queues:
                    self._wake.wait(0.5)
                    continue
                oldest = min(self._oldest.values(), default=time.monotonic())
                wait = oldest + self.linger_s - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
            self._drain(due_before=time.monotonic() - self.linger_s)

    def flush(self) -> None:
        self._drain()
        with self._lock:
            failures, self._failures = self._failures, []
        if failures:
            raise DeliveryError(failures)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True
                self._wake.notify_all()
            if self._thread is not None:
                self._thread.join()
