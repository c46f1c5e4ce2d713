"""SIGKILL the broker's Kafka listener while a Kafka client produces with acks=all: no
acknowledged record is lost. The child is tests/kafka/crash_server.py (the broker and listener
as `charter serve` wires them, without the registry's slow start). CHARTER_KAFKA_CRASH_TRIALS
sets the trials (20 by default), CHARTER_KAFKA_CRASH_SEED replays a run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from confluent_kafka import Producer

from broker import Broker, TopicConfig
from cli.spawn import free_port
from tests.kafka.conftest import ROOT

TRIALS = int(os.environ.get("CHARTER_KAFKA_CRASH_TRIALS", "20"))
SEED = int(os.environ.get("CHARTER_KAFKA_CRASH_SEED", str(time.time_ns() % 10**6)))

pytestmark = pytest.mark.timeout(60 + 10 * TRIALS)


def _stored(data_dir: Path) -> set[int]:
    with Broker(data_dir, maintenance_interval_ms=None) as broker:
        seen: set[int] = set()
        for p in range(2):
            offset, end = broker.offsets("crash", p)
            while offset < end:
                got = broker.fetch("crash", p, offset, records_max=5000, bytes_max=8 << 20)
                for r in got.records:
                    assert r.value is not None
                    seen.add(int(r.value))
                offset = got.records[-1].offset + 1
        return seen


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_acknowledged_records_survive_sigkill(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    data_dir = tmp_path / "data"
    acked: set[int] = set()
    sent = 0
    with Broker(data_dir, maintenance_interval_ms=None) as broker:
        broker.create_topic("crash", TopicConfig(partitions=2))
    zygote = subprocess.Popen(
        [sys.executable, "-m", "tests.kafka.crash_server", str(data_dir)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert zygote.stdin is not None and zygote.stdout is not None
    started = time.monotonic()
    try:
        assert zygote.stdout.readline() == b"zygote\n"
        for trial in range(TRIALS):
            port = free_port()
            zygote.stdin.write(b"%d\n" % port)
            zygote.stdin.flush()
            ready, pid = zygote.stdout.readline().split()
            assert ready == b"ready"
            producer = Producer(
                {
                    "bootstrap.servers": f"127.0.0.1:{port}",
                    "acks": "all",
                    "linger.ms": 1,
                    "message.timeout.ms": 3000,
                    "retries": 0,
                }
            )

            def report(err: object, msg: object, acked: set[int] = acked) -> None:
                if err is None:
                    acked.add(int(msg.value()))  # type: ignore[attr-defined]

            kill_at = time.monotonic() + rng.uniform(0.1, 0.6)
            while time.monotonic() < kill_at:
                for _ in range(50):
                    producer.produce(
                        "crash", value=str(sent).encode(), partition=sent % 2, on_delivery=report
                    )
                    sent += 1
                producer.poll(0.005)
            os.kill(int(pid), signal.SIGKILL)
            while not _gone(int(pid)):
                time.sleep(0.01)
            # acks the broker sent before it died are taken in; whatever is still in flight
            # is failed now rather than after message.timeout.ms (never counted as acked)
            producer.poll(0.1)
            producer.purge()
            producer.flush(1)
            stored = _stored(data_dir)
            lost = acked - stored
            assert not lost, f"seed {SEED}, trial {trial}: {len(lost)} acked records lost"
    finally:
        zygote.kill()
        zygote.wait()
    assert acked, f"seed {SEED}: nothing was acknowledged"
    per_trial_s = (time.monotonic() - started) / TRIALS
    print(f"\n{TRIALS} SIGKILL trials ({per_trial_s:.2f} s each): {len(acked)} of {sent} "
          "records acked, none lost")
