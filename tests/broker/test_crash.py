"""Crash safety: kill a producing broker process with SIGKILL at random moments, reopen, check.

Runs of TRIALS_PER_DIR trials share a data directory, so each recovery starts from the
previous one's result (and a fresh directory keeps the cost per trial flat). CHARTER_CRASH_TRIALS
sets the number of trials (20 by default); CHARTER_CRASH_SEED replays a failing run.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from broker import Broker

TRIALS = int(os.environ.get("CHARTER_CRASH_TRIALS", "20"))
TRIALS_PER_DIR = 10
ROOT = Path(__file__).resolve().parents[2]


def read_all(data_dir: Path) -> list[int]:
    with Broker(data_dir, maintenance_interval_ms=None) as b:
        start, end = b.offsets("crash", 0)
        assert start == 0
        seqs: list[int] = []
        offset = 0
        while offset < end:
            got = b.fetch("crash", 0, offset, records_max=5000, bytes_max=8 << 20).records
            assert got, "fetch made no progress"
            for r in got:
                assert r.offset == offset
                assert r.value is not None
                seqs.append(int(r.value[:12]))
                offset += 1
        return seqs


@pytest.mark.timeout(max(300, TRIALS * 5))
def test_sigkill_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHARTER_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    acked = -1
    for trial in range(TRIALS):
        data_dir = tmp_path / f"data-{trial // TRIALS_PER_DIR}"
        if trial % TRIALS_PER_DIR == 0:
            acked = -1
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.broker.crash_writer", str(data_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline() == "ready\n", f"seed {seed} trial {trial}"
        wanted = rng.randint(1, 60)
        for _ in range(wanted):
            line = proc.stdout.readline()
            assert line.startswith("ack "), f"seed {seed} trial {trial}: {line!r}"
            acked = int(line.split()[1])
        time.sleep(rng.random() * 0.005)  # land anywhere in the next produce
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        # anything the writer printed before dying was acknowledged too
        for line in proc.stdout:
            if line.startswith("ack "):
                acked = int(line.split()[1])
        proc.stdout.close()
        segments = sorted((data_dir / "topics" / "crash" / "0").glob("*.log"))
        if rng.random() < 0.5:
            # a torn write: the tail of a batch that was never acknowledged
            with open(segments[-1], "ab") as f:
                f.write(os.urandom(rng.randint(1, 500)))
        seqs = read_all(data_dir)
        assert seqs == list(range(len(seqs))), f"seed {seed} trial {trial}: gap or disorder"
        assert len(seqs) - 1 >= acked, f"seed {seed} trial {trial}: lost acknowledged records"
        assert acked >= 0


HTTP_TRIALS = int(os.environ.get("CHARTER_CRASH_HTTP_TRIALS", "3"))


@pytest.mark.timeout(max(300, HTTP_TRIALS * 20))
def test_sigkill_of_the_http_server_never_loses_an_acknowledged_produce(tmp_path: Path) -> None:
    """The same check with the broker behind HTTP and the producer in another process."""
    import socket

    import httpx

    from broker import BrokerError, ProducerRecord, TopicConfig
    from broker.client import BrokerClient

    seed = int(os.environ.get("CHARTER_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    acked = -1
    for trial in range(HTTP_TRIALS):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.broker.crash_server", str(data_dir), str(port)], cwd=ROOT
        )
        client = BrokerClient(f"http://127.0.0.1:{port}", timeout_s=30)
        try:
            for _ in range(1500):
                try:
                    topics = client.list_topics()
                    break
                except httpx.TransportError:
                    time.sleep(0.02)
            else:
                raise AssertionError("the server did not start")
            if "crash" not in topics:
                client.create_topic("crash", TopicConfig(segment_bytes=16_384, flush="always"))
            seq = client.offsets("crash", 0)[1]
            assert seq > acked, f"seed {seed} trial {trial}: acknowledged records are gone"
            kill_after = rng.randint(1, 40)
            sent = 0
            while True:
                if sent == kill_after:
                    server.send_signal(signal.SIGKILL)
                count = rng.randint(1, 40)
                batch = [
                    ProducerRecord(b"%012d" % (seq + i) + bytes(rng.randint(0, 300)))
                    for i in range(count)
                ]
                try:
                    client.produce("crash", batch, partition=0)
                except (httpx.HTTPError, BrokerError):
                    break  # not acknowledged: it may or may not be there
                seq += count
                acked = seq - 1
                sent += 1
        finally:
            client.close()
            server.kill()
            server.wait()
        seqs = read_all(data_dir)
        assert seqs == list(range(len(seqs))), f"seed {seed} trial {trial}: gap or disorder"
        assert len(seqs) - 1 >= acked, f"seed {seed} trial {trial}: lost acknowledged records"
