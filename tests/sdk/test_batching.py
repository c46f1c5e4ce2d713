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


def test_full_queues_of_topics_that_wait_on_the_disk_are_delivered_by_the_linger_thread() -> None:
    delivered: list[tuple[str, str, list[bytes | None]]] = []
    started, release = threading.Event(), threading.Event()

    def deliver(topic: str, records: list[OutRecord]) -> None:
        if threading.current_thread().name == "charter-batcher":
            started.set()
            release.wait(10)  # an fsync that takes its time
        delivered.append((threading.current_thread().name, topic, [r.value for r in records]))

    batcher = Batcher(
        deliver, linger_ms=60_000, batch_size=10, in_background=lambda topic: topic == "disk"
    )
    try:
        for n in range(25):
            batcher.send("disk", [OutRecord(b"%d" % n)])
        # the sender went on while a full batch was delivered by the thread (which waits)
        assert started.wait(10)
        for n in range(25, 35):
            batcher.send("disk", [OutRecord(b"%d" % n)])
        assert delivered == []
        release.set()
        batcher.flush()  # waits for the thread's delivery, then delivers the rest
        assert delivered[0][0] == "charter-batcher"
        assert [v for _, _, values in delivered for v in values] == [b"%d" % n for n in range(35)]
        delivered.clear()
        for n in range(10):  # a topic that does not wait on the disk: the sender delivers
            batcher.send("memory", [OutRecord(b"m%d" % n)])
        assert [(who, topic) for who, topic, _ in delivered] == [("MainThread", "memory")]
    finally:
        batcher.close()
