"""Start-up time of the `charter` CLI next to a bare interpreter.

    python bench/cli.py [--runs N]

Times `python -c pass`, `import sdk` (and a producer's imports), `charter --help` and
`charter check --against git:HEAD` on a small temporary repository (two contracts, one Avro,
one JSON Schema), each run N times in a fresh process, and reports the best and median wall
time and the best CPU time (user + system of the child, which other load on the machine skews
less), beside issue 16's goals: `import sdk` <= 150 ms and `charter --help` <= 300 ms, best of N.
It also runs each command once under `-X importtime` and says whether fastapi, uvicorn or
sqlmodel were imported: the CI gate must not pay for the web stack.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This file is named like the package it measures: keep its own folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

HEAVY = ("fastapi", "uvicorn", "sqlmodel")
USER = '{"type": "record", "name": "User", "fields": [{"name": "id", "type": "string"}]}\n'
ORDER = '{"type": "object", "properties": {"id": {"type": "string"}}}\n'
CONFIG = """contracts:
  - {subject: user-value, file: user.avsc}
  - {subject: order-value, file: order.json}
"""


def _repo(root: Path) -> None:
    (root / "user.avsc").write_text(USER)
    (root / "order.json").write_text(ORDER)
    (root / "charter.yaml").write_text(CONFIG)
    who = {"NAME": "bench", "EMAIL": "bench@example.com"}
    env = {**os.environ, **{f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER")
                            for k, v in who.items()}}  # fmt: skip
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "v1"]):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)


def _charter() -> list[str]:
    return [sys.executable, "-m", "cli.main"]


GOALS_MS = {"import sdk": 150.0, "charter --help": 300.0}


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _time(command: list[str], cwd: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each of `runs` fresh processes."""
    wall, cpu = [], []
    for _ in range(runs):
        cpu_before = _cpu_s()
        start = time.perf_counter()
        done = subprocess.run(command, cwd=cwd, capture_output=True, check=False)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((_cpu_s() - cpu_before) * 1000)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed: {done.stderr.decode()[-500:]}")
    return wall, cpu


def _heavy_imports(command: list[str], cwd: Path) -> list[str]:
    traced = [command[0], "-X", "importtime", *command[1:]]
    done = subprocess.run(traced, cwd=cwd, capture_output=True, text=True, check=False)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}
    return [name for name in HEAVY if name in names]


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    repo_root = Path(__file__).resolve().parents[1]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(repo_root), *filter(None, [os.environ.get("PYTHONPATH")])]
    )
    os.environ.pop("CHARTER_REGISTRY_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _repo(root)
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "import sdk": [sys.executable, "-c", "import sdk"],
            "from sdk import Producer, Consumer": [
                sys.executable,
                "-c",
                "from sdk import Producer, Consumer",
            ],
            "charter --help": [*_charter(), "--help"],
            "charter check --against git:HEAD": [*_charter(), "check", "--against", "git:HEAD"],
        }
        print(f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
              f"best of {args.runs} runs; load average {_load()} before")  # fmt: skip
        print(f"{'command':<36} {'best ms':>8} {'median':>8} {'best CPU':>9} {'goal':>6}  "
              "met  web stack imported")  # fmt: skip
        for label, command in commands.items():
            wall, cpu = _time(command, root, args.runs)
            heavy = _heavy_imports(command, root) if label != "python -c pass" else []
            goal = GOALS_MS.get(label)
            met = "-" if goal is None else ("yes" if min(wall) <= goal else "NO")
            print(
                f"{label:<36} {min(wall):>8.1f} {statistics.median(wall):>8.1f} "
                f"{min(cpu):>9.1f} {goal or '':>6}  {met:<4} {', '.join(heavy) or 'no'}"
            )
        print(f"load average {_load()} after")


if __name__ == "__main__":
    main()
