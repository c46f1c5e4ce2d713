"""Run `charter serve` as a child process on a free port: for tests, benchmarks and examples."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServeStartError", "Spawned", "free_port", "spawn", "spawn_serve"]


class ServeStartError(RuntimeError):
    """`charter serve` exited or did not answer /health in time; carries its log's tail."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True, slots=True)
class Spawned:
    """A healthy `charter serve` child: its base URL, process id and log file."""

    url: str
    pid: int
    log_path: Path


@contextlib.contextmanager
def spawn(
    data_dir: Path,
    *,
    database_url: str | None = None,
    log_path: Path | None = None,
    startup_s: float = 60.0,
    kafka_port: int = 0,
    extra_args: Sequence[str] = (),
    nofile: int | None = None,
) -> Iterator[Spawned]:
    """Start `charter serve` with `data_dir` and wait until it is healthy; stop it after.

    The child sees none of the caller's CHARTER_* variables, so only the arguments given here
    configure it. Its output goes to `log_path` (default `data_dir/serve.log`). The Kafka
    listener is off unless `kafka_port` names a (free) port. `nofile` caps the child's open
    file descriptors (RLIMIT_NOFILE, soft and hard).
    """
    import httpx

    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_path or data_dir / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    command += ["--kafka-port", str(kafka_port)]
    if database_url:
        command += ["--database-url", database_url]
    command += list(extra_args)  # later options win: `--log-level info` overrides the above
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}

    def limit_descriptors() -> None:
        import resource

        assert nofile is not None
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=limit_descriptors if nofile is not None else None,
        )
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if process.poll() is not None:
                raise ServeStartError(f"charter serve exited: {log_path.read_text()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise ServeStartError(f"charter serve not healthy: {log_path.read_text()[-2000:]}")
            time.sleep(0.1)
        yield Spawned(url, process.pid, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def spawn_serve(
    data_dir: Path,
    *,
    database_url: str | None = None,
    log_path: Path | None = None,
    startup_s: float = 60.0,
    kafka_port: int = 0,
    extra_args: Sequence[str] = (),
) -> Iterator[str]:
    """`spawn`, yielding only the base URL."""
    with spawn(
        data_dir, database_url=database_url, log_path=log_path, startup_s=startup_s,
        kafka_port=kafka_port, extra_args=extra_args,
    ) as spawned:
        yield spawned.url
