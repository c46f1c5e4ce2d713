"""10,000 partitions under a 1,024-descriptor limit: the broker's pool of open segment and
index files keeps the server's descriptors bounded while every partition is written and read,
and the open-files gauge says how many are open."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from broker import ProducerRecord, TopicConfig
from broker.client import BrokerClient
from broker.placement import keyed_partition
from tests.resilience.server import Served, serve

NOFILE = 1024
TOPICS = 40
PARTITIONS = 250  # 40 x 250 = 10,000; 250 is under the per-topic partitions_max
FETCH_PARTITIONS = 1000  # the broker's fetch_partitions_max


def _keys_covering(partitions: int) -> list[bytes]:
    """One key per partition, each placed (murmur2) on a different one, in partition order."""
    found: dict[int, bytes] = {}
    n = 0
    while len(found) < partitions:
        key = b"k%d" % n
        found.setdefault(keyed_partition(key, partitions), key)
        n += 1
    return [found[p] for p in range(partitions)]


class _Sampler:
    """The server's open descriptors, sampled every 50 ms from /proc while the test runs."""

    def __init__(self, served: Served) -> None:
        self.served = served
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, self.served.open_fds())

    def __enter__(self) -> _Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_10000_partitions_under_1024_descriptors(tmp_path: Path) -> None:
    started = time.monotonic()
    keys = _keys_covering(PARTITIONS)
    # flush never: this test is about descriptors, and 10,000 fsyncs would take a minute here
    config = TopicConfig(partitions=PARTITIONS, flush="never")
    with serve(tmp_path / "d", ["--kafka-port", "0"], nofile=NOFILE) as served:
        idle_fds = served.open_fds()
        with _Sampler(served) as sampler, BrokerClient(served.url, timeout_s=30) as client:
            names = [f"wide-{t:02d}" for t in range(TOPICS)]
            for name in names:
                client.create_topic(name, config)
            for round_ in range(2):  # the second round reopens files the first one closed
                for name in names:
                    records = [ProducerRecord(b"%s:%d:%d" % (k, round_, i), key=k)
                               for i, k in enumerate(keys)]
                    placed = client.produce(name, records)
                    assert placed == [(p, round_) for p in range(PARTITIONS)]
            positions = [(name, p) for name in names for p in range(PARTITIONS)]
            seen = 0
            for i in range(0, len(positions), FETCH_PARTITIONS):
                chunk = dict.fromkeys(positions[i : i + FETCH_PARTITIONS], 0)
                got = client.fetch_many(chunk, records_max=10_000, bytes_max=16 << 20)
                for (name, p), fetched in got.items():
                    assert [r.value for r in fetched.records] == [
                        b"%s:%d:%d" % (keys[p], n, p) for n in range(2)
                    ], (name, p)
                    seen += len(fetched.records)
            assert seen == 2 * TOPICS * PARTITIONS
            metrics = httpx.get(f"{served.url}/metrics", timeout=30).text
        after = served.open_fds()
        log = served.log_path.read_text()
    open_files = sum(
        s.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "charter_broker_open_segment_files"
        for s in family.samples
    )
    elapsed = time.monotonic() - started
    print(
        f"\n{TOPICS * PARTITIONS} partitions under ulimit -n {NOFILE}: server fds {idle_fds} "
        f"idle, peak {sampler.peak}, {after} after; open segment files {open_files:.0f}; "
        f"{elapsed:.1f} s"
    )
    # the pool's default bound is half the descriptor limit: 512 files
    assert 0 < open_files <= NOFILE // 2
    assert sampler.peak < NOFILE - 100
    assert after <= idle_fds + NOFILE // 2 + 10
    assert "Traceback" not in log
