"""A real `charter serve` child with extra options and, optionally, a descriptor limit."""

from __future__ import annotations

import contextlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from cli.spawn import free_port


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    log_path: Path

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise AssertionError("no VmRSS")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))


@contextlib.contextmanager
def serve(
    data_dir: Path, args: Sequence[str] = (), *, nofile: int | None = None
) -> Iterator[Served]:
    data_dir.mkdir(parents=True, exist_ok=True)
    log_path = data_dir / "serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}

    def limit() -> None:
        if nofile is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, preexec_fn=limit
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text()[-2000:]
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            assert time.monotonic() < deadline, log_path.read_text()[-2000:]
            time.sleep(0.1)
        yield Served(url, process.pid, log_path)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
