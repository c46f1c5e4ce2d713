"""The batcher's linger thread delivers every queue when it is due, without a flush."""

from __future__ import annotations

import threading

from sdk.transports.base import OutRecord
from sdk.transports.batching import Batcher


def test_lingering_queues_of_several_topics_are_delivered_in_order_without_flush() -> None:
    delivered: list[tuple[str, list[bytes | None]]] = []
    all_in = threading.Event()

    def deliver(topic: str, records: list[OutRecord]) -> None:
        delivered.append((topic, [r.value for r in records]))
        if sum(len(v) for _, v in delivered) == 30:
            all_in.set()

    batcher = Batcher(deliver, linger_ms=20, batch_size=1000)
    try:
        for n in range(10):  # a second and third topic start while the first one lingers
            for topic in ("a", "b", "c"):
                batcher.send(topic, [OutRecord(f"{topic}{n}".encode(), None, ())])
        assert all_in.wait(10), delivered
        for topic in ("a", "b", "c"):
            values = [v for t, batch in delivered if t == topic for v in batch]
            assert values == [f"{topic}{n}".encode() for n in range(10)]
    finally:
        batcher.close()
