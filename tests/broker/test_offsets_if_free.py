"""`Broker.offsets_if_free`: the Kafka listener's event loop reads offsets without waiting for
a log whose lock an append holds through its fsync."""

from __future__ import annotations

import threading
from pathlib import Path

from broker import Broker, ProducerRecord
from broker.config import TopicConfig


def test_offsets_if_free_answers_none_while_the_log_is_held(tmp_path: Path) -> None:
    broker = Broker(tmp_path, maintenance_interval_ms=None)
    try:
        broker.create_topic("t", TopicConfig(partitions=1))
        broker.produce("t", [ProducerRecord(b"a"), ProducerRecord(b"b")])
        assert broker.offsets_if_free("t", 0) == (0, 2)
        log = broker._log("t", 0)
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with log._lock:  # as an append holds it through its fsync
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(10)
        try:
            assert broker.offsets_if_free("t", 0) is None
        finally:
            release.set()
            holder.join(10)
        assert broker.offsets_if_free("t", 0) == (0, 2) == broker.offsets("t", 0)
    finally:
        broker.close()
