"""Crash safety: kill a producing broker process with SIGKILL at random moments, reopen, check.

Every trial reuses the same data directory, so each recovery starts from the previous one's
result. CHARTER_CRASH_TRIALS sets the number of trials (20 by default).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from broker import Broker

TRIALS = int(os.environ.get("CHARTER_CRASH_TRIALS", "20"))
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


def test_sigkill_never_loses_an_acknowledged_record(tmp_path: Path) -> None:
    seed = int(os.environ.get("CHARTER_CRASH_SEED", random.randrange(2**32)))
    rng = random.Random(seed)
    data_dir = tmp_path / "data"
    acked = -1
    truncated_trials = 0
    for trial in range(TRIALS):
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
            truncated_trials += 1
        seqs = read_all(data_dir)
        assert seqs == list(range(len(seqs))), f"seed {seed} trial {trial}: gap or disorder"
        assert len(seqs) - 1 >= acked, f"seed {seed} trial {trial}: lost acknowledged records"
    assert acked > 0
