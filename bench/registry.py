"""Benchmark the registry's hot paths against a constant endpoint on the same server stack.

    python bench/registry.py [--requests N] [--rounds R] [--processes P] [--connections C]

One run starts `charter serve` (SQLite in a temporary data dir) and, beside it, a second uvicorn
process serving the same `registry.create_app(settings)` with one extra route, `/bench/const`,
that returns a constant. Load comes from separate processes, each driving keep-alive HTTP/1.1
connections with a minimal asyncio client (httpx would be the bottleneck, not the server). The
constant endpoint is the ceiling for this stack: the ratio lookup/constant says how much of it
`GET /schemas/ids/{id}` keeps (goal: at least 0.8). Re-registering an existing schema and
`POST /subjects/{s}` are compared with the id lookup (goal: at least 0.5), and a third server,
`charter serve --workers 2` on the same database, with the first (`--workers 1`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# This file is named like the package it measures: keep its own folder off the import path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

CONST_PATH = "/bench/const"
STARTUP_TIMEOUT_S = 60.0
CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA = json.dumps({
    "type": "record",
    "name": "BenchEvent",
    "namespace": "charter.bench",
    "fields": [{"name": "id", "type": "string"}, {"name": "at_ms", "type": "long"}],
})


# --- the second server: the registry app plus a constant route --------------------------------

def serve_const(host: str, port: int, data_dir: Path, log_level: str) -> None:
    """Serve the app as `charter serve` builds it, plus `/bench/const`, with uvicorn."""
    import uvicorn

    from broker import Broker
    from broker.http import create_router
    from registry import Settings, create_app
    from registry.app import build_registry
    from registry.contracts import RegistryContracts
    from sdk.rules import write_conditions

    settings = Settings(host=host, port=port, data_dir=data_dir, log_level=log_level)
    registry = build_registry(settings)
    # `charter serve` holds the data dir's broker lock; this process gets a broker of its own.
    contracts = RegistryContracts(registry.service, rules=write_conditions)
    broker = Broker(data_dir / f"bench-broker-{port}", contracts=contracts)
    app = create_app(settings, registry=registry, extra_routers=[create_router(broker)])

    # `async def`: the cheapest FastAPI route there is (a plain `def` adds a thread-pool hop).
    @app.get(CONST_PATH)
    async def const() -> dict[str, str]:
        return {"bench": "const"}

    # First in the routing table, as the id lookup is: the ceiling pays no route scanning.
    routes = app.router.routes
    routes.insert(0, routes.pop())
    try:
        uvicorn.run(app, host=host, port=port, log_level=log_level)
    finally:
        broker.close()


# --- processes ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server for {url} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {STARTUP_TIMEOUT_S} s")


@contextlib.contextmanager
def running(command: list[str], ready_url: str, log_path: Path) -> Iterator[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_ready(ready_url, process)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def sampled(pid: int, output: Path | None) -> Iterator[None]:
    """Sample process `pid` with `py-spy record` (collapsed stacks to `output`) meanwhile."""
    if output is None:
        yield
        return
    beside = Path(sys.executable).with_name("py-spy")
    command = [str(beside) if beside.exists() else "py-spy", "record", "--pid", str(pid),
               "--format", "raw", "--rate", "200", "--output", str(output.resolve())]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
        try:
            spy.wait(30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def charter_command() -> str:
    beside = Path(sys.executable).with_name("charter")
    return str(beside) if beside.exists() else "charter"


# --- load ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    label: str
    port: int
    method: str
    path: str
    body: bytes = b""

    def request_bytes(self) -> bytes:
        head = [f"{self.method} {self.path} HTTP/1.1", f"Host: 127.0.0.1:{self.port}",
                f"Accept: {CONTENT_TYPE}"]
        if self.body:
            head += [f"Content-Type: {CONTENT_TYPE}", f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise RuntimeError("the benchmark client needs responses with a Content-Length")
    await reader.readexactly(length)
    return status


async def _drive(port: int, request: bytes, count: int, latencies_s: list[float]) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    failures = 0
    try:
        for _ in range(count):
            started = time.perf_counter()
            writer.write(request)
            status = await _read_response(reader)
            latencies_s.append(time.perf_counter() - started)
            failures += status != 200
    finally:
        writer.close()
    return failures


def _load_process(port: int, request: bytes, connections: int, per_connection: int,
                  barrier: Any, results: Any) -> None:
    async def main() -> tuple[float, float, list[float], int]:
        latencies_s: list[float] = []
        barrier.wait()
        started = time.monotonic()  # CLOCK_MONOTONIC: comparable across processes
        failures = await asyncio.gather(
            *(_drive(port, request, per_connection, latencies_s) for _ in range(connections))
        )
        return started, time.monotonic(), latencies_s, sum(failures)

    results.put(asyncio.run(main()))


@dataclass(frozen=True)
class Round:
    requests: int
    seconds: float
    latencies_s: list[float]
    failures: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds


def load(target: Target, requests: int, processes: int, connections: int) -> Round:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    per_connection = max(1, requests // (processes * connections))
    workers = [
        ctx.Process(target=_load_process,
                    args=(target.port, target.request_bytes(), connections, per_connection,
                          barrier, results))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=600) for _ in workers]
    for worker in workers:
        worker.join()
    started = min(o[0] for o in outcomes)
    ended = max(o[1] for o in outcomes)
    latencies_s = [x for o in outcomes for x in o[2]]
    return Round(len(latencies_s), ended - started, latencies_s, sum(o[3] for o in outcomes))


@dataclass(frozen=True)
class Figures:
    label: str
    requests: int
    rps: float
    rps_low: float
    rps_high: float
    p50_ms: float
    p99_ms: float
    failures: int


def measure(targets: list[Target], requests: int, rounds: int, processes: int,
            connections: int) -> list[Figures]:
    """Warm every target up, then run the rounds interleaved so machine noise hits all alike."""
    def count(target: Target) -> int:
        return requests if target.method == "GET" else max(1, requests // 4)

    for target in targets:
        load(target, max(200, count(target) // 10), processes, connections)  # not counted
    done: dict[Target, list[Round]] = {target: [] for target in targets}
    for _ in range(rounds):
        for target in targets:
            done[target].append(load(target, count(target), processes, connections))
    figures = []
    for target, runs in done.items():
        latencies_ms = sorted(x * 1000 for r in runs for x in r.latencies_s)
        cuts = statistics.quantiles(latencies_ms, n=100, method="inclusive")
        rps = [r.rps for r in runs]
        figures.append(Figures(target.label, sum(r.requests for r in runs),
                               statistics.median(rps), min(rps), max(rps), cuts[49], cuts[98],
                               sum(r.failures for r in runs)))
    return figures


# --- the run ------------------------------------------------------------------------------------

def register_fixture(base_url: str) -> tuple[str, int, bytes]:
    import httpx

    subject = "bench-value"
    body = json.dumps({"schema": SCHEMA}).encode()
    response = httpx.post(f"{base_url}/subjects/{subject}/versions", content=body,
                          headers={"Content-Type": CONTENT_TYPE}, timeout=10.0)
    response.raise_for_status()
    return subject, int(response.json()["id"]), body


def print_table(rows: list[Figures]) -> None:
    print(f"{'endpoint':<48} {'requests':>8} {'req/s':>7} {'(rounds)':>13} {'p50 ms':>7} "
          f"{'p99 ms':>7} {'non-200':>7}")
    for row in rows:
        spread = f"{row.rps_low:.0f}-{row.rps_high:.0f}"
        print(f"{row.label:<48} {row.requests:>8} {row.rps:>7.0f} {spread:>13} "
              f"{row.p50_ms:>7.2f} {row.p99_ms:>7.2f} {row.failures:>7}")


def run(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="charter-bench-") as tmp:
        data_dir = Path(tmp) / "data"
        registry_port = free_port()
        const_port = free_port()
        while const_port == registry_port:
            const_port = free_port()
        serve = [charter_command(), "serve", "--host", "127.0.0.1", "--port", str(registry_port),
                 "--data-dir", str(data_dir), "--log-level", "warning", "--kafka-port", "0"]
        # The constant app opens the same (already migrated) SQLite file, so it is started second.
        const = [sys.executable, str(Path(__file__).resolve()), "serve-const",
                 "--port", str(const_port), "--data-dir", str(data_dir)]
        # The same database served by `--workers 2` (the registry only: no broker).
        workers_port = free_port()
        while workers_port in (registry_port, const_port):
            workers_port = free_port()
        two = [charter_command(), "serve", "--host", "127.0.0.1", "--port", str(workers_port),
               "--data-dir", str(Path(tmp) / "workers"), "--log-level", "warning",
               "--database-url", f"sqlite:///{data_dir / 'registry.db'}", "--workers", "2"]
        with running(serve, f"http://127.0.0.1:{registry_port}/health",
                     Path(tmp) / "serve.log") as serve_pid, sampled(serve_pid, args.py_spy):
            subject, schema_id, body = register_fixture(f"http://127.0.0.1:{registry_port}")
            with running(const, f"http://127.0.0.1:{const_port}{CONST_PATH}",
                         Path(tmp) / "const.log"), \
                    running(two, f"http://127.0.0.1:{workers_port}/health",
                            Path(tmp) / "workers.log"):
                targets = [
                    Target(f"GET {CONST_PATH} (constant, same stack)", const_port, "GET",
                           CONST_PATH),
                    Target("GET /schemas/ids/{id} (charter serve)", registry_port, "GET",
                           f"/schemas/ids/{schema_id}"),
                    Target("GET /schemas/ids/{id} (constant's process)", const_port, "GET",
                           f"/schemas/ids/{schema_id}"),
                    Target("POST /subjects/{s}/versions, existing", registry_port,
                           "POST", f"/subjects/{subject}/versions", body),
                    Target("POST /subjects/{s} (lookup), existing", registry_port,
                           "POST", f"/subjects/{subject}", body),
                    Target("GET /schemas/ids/{id} (--workers 2)", workers_port, "GET",
                           f"/schemas/ids/{schema_id}"),
                    Target("POST /subjects/{s}/versions, existing (--workers 2)", workers_port,
                           "POST", f"/subjects/{subject}/versions", body),
                ]
                rows = measure(targets, args.requests, args.rounds, args.processes,
                               args.connections)
    print(f"load: {args.processes} processes x {args.connections} keep-alive connections, "
          f"{args.rounds} rounds (median req/s shown, percentiles over all rounds), "
          f"{os.cpu_count()} CPUs shared with the servers "
          f"(1-minute load average now {os.getloadavg()[0]:.1f})")
    print_table(rows)
    const_rps, lookup_rps, same_app_rps = rows[0].rps, rows[1].rps, rows[2].rps
    print(f"ratio lookup/constant: {lookup_rps / const_rps:.2f} "
          f"(in the constant's process: {same_app_rps / const_rps:.2f}; goal >= 0.80)")
    register_rps, subject_lookup_rps = rows[3].rps, rows[4].rps
    print(f"ratio re-register/id lookup: {register_rps / lookup_rps:.2f}, "
          f"subject lookup/id lookup: {subject_lookup_rps / lookup_rps:.2f} "
          "(charter serve, goal >= 0.50)")
    print(f"ratio --workers 2 / 1: id lookup {rows[5].rps / lookup_rps:.2f}, "
          f"re-register {rows[6].rps / register_rps:.2f} "
          f"(both on {os.cpu_count()} CPUs shared with the load processes)")
    return 1 if any(r.failures for r in rows) else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command")
    inner = sub.add_parser("serve-const", help="internal: the constant-endpoint server")
    inner.add_argument("--port", type=int, required=True)
    inner.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--requests", type=int, default=4000,
                        help="GET requests per round (POST: a quarter of it)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--py-spy", type=Path, default=None, metavar="OUT",
                        help="run charter serve under `py-spy record`, collapsed stacks to OUT")
    parser.add_argument("--processes", type=int, default=2, help="load-generating processes")
    parser.add_argument("--connections", type=int, default=8, help="connections per process")
    args = parser.parse_args(argv)
    if args.command == "serve-const":
        serve_const("127.0.0.1", args.port, args.data_dir, "warning")
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
