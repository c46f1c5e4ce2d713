"""A Kafka fetch waiting for records wakes when any writer appends (the SDK in process here,
the HTTP API alike: both append through the broker core), not at its next recheck."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from broker import Broker, ProducerRecord, TopicConfig
from broker.kafka import KafkaListener, ListenerSettings
from tests.kafka.wire import Wire

pytestmark = pytest.mark.timeout(60)
WAIT_MS = 30_000


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    with Broker(tmp_path / "broker", maintenance_interval_ms=None) as b:
        yield b


def _fetch_body(topic: str) -> dict[str, Any]:
    return {
        "max_wait": WAIT_MS,
        "min_bytes": 1,
        "max_bytes": 1 << 20,
        "forgotten_topics_data": [],
        "topics": [
            {
                "topic": topic,
                "partitions": [{"partition": 0, "fetch_offset": 0, "partition_max_bytes": 1 << 20}],
            }
        ],
    }


def test_a_waiting_fetch_wakes_on_an_append_by_another_writer(broker: Broker) -> None:
    broker.create_topic("woken", TopicConfig(flush="never"))
    # a recheck longer than the fetch's wait: only the append signal can answer it early
    listener = KafkaListener(broker, ListenerSettings(port=0, fetch_recheck_ms=WAIT_MS * 2))
    listener.start()
    try:
        wire = Wire(f"127.0.0.1:{listener.port}", timeout_s=WAIT_MS / 1000 + 10)
        answers: list[Any] = []
        fetching = threading.Thread(
            target=lambda: answers.append(wire.call("fetch", 12, _fetch_body("woken")))
        )
        started = time.monotonic()
        fetching.start()
        time.sleep(0.5)  # the fetch is waiting by now
        broker.produce("woken", [ProducerRecord(b"from the SDK")])
        fetching.join()
        elapsed = time.monotonic() - started
        wire.close()
    finally:
        listener.stop()
    (answer,) = answers
    (partition,) = answer.responses[0].partitions
    assert partition.error_code == 0
    assert partition.high_watermark == 1
    assert b"from the SDK" in partition.records
    assert elapsed < WAIT_MS / 1000 / 2  # a generous bound: woken, not timed out
    print(f"\nfetch woken {elapsed - 0.5:.3f} s after the append")
