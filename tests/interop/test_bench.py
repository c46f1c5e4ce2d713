"""`bench/registry.py` keeps working: a tiny run starts both servers, loads them and reports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "registry.py"


def test_a_tiny_benchmark_run_reports_every_endpoint() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--requests", "64", "--rounds", "1", "--processes", "1",
         "--connections", "2"],
        capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith(("GET ", "POST "))]
    # constant, id lookup (serve and the constant's process), re-register, lookup, --workers 2 x2
    assert len(rows) == 7, done.stdout
    assert all(row.split()[-1] == "0" for row in rows), "a benchmark request did not get 200"
    assert "ratio lookup/constant:" in done.stdout
    assert "ratio re-register/id lookup:" in done.stdout
    assert "ratio --workers 2 / 1:" in done.stdout
