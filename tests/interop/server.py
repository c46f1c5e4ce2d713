"""Black-box helpers: run a real `charter serve` process; give it a scratch PostgreSQL database.

The interop, concurrency and benchmark code talks to Charter only over HTTP, the way a Kafka
client does, so these helpers start the console script in a subprocess on a free port and wait
for `/health` rather than building the app in-process.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

# Where the test PostgreSQL runs (trust auth); the same variables as tests/registry/ reads.
PG_HOST = os.environ.get("CHARTER_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("CHARTER_TEST_PG_PORT", "5432"))
STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 10.0


class ServerStartError(RuntimeError):
    """`charter serve` exited or never answered `/health`; the message carries its log."""


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, max_chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-max_chars:]
        except OSError:
            return ""


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on now, and never one this process handed out before."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port: int = sock.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def charter_executable() -> str:
    """The `charter` console script of the interpreter running the tests."""
    beside_python = Path(sys.executable).with_name("charter")
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("charter")
    if found is None:
        raise ServerStartError("the `charter` console script is not installed (pip install -e .)")
    return found


def _clean_env() -> dict[str, str]:
    # A developer's CHARTER_* settings must not leak into a server the test configures itself.
    return {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}


def wait_healthy(base_url: str, process: subprocess.Popen[bytes], log_path: Path,
                 timeout_s: float = STARTUP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                log = log_path.read_text(errors="replace")[-4000:]
                raise ServerStartError(f"charter serve exited with {process.returncode}:\n{log}")
            with contextlib.suppress(httpx.HTTPError):
                if client.get(f"{base_url}/health").status_code == 200:
                    return
            time.sleep(0.1)
    log = log_path.read_text(errors="replace")[-4000:]
    raise ServerStartError(f"charter serve did not answer /health in {timeout_s} s:\n{log}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(SHUTDOWN_TIMEOUT_S)


def launch(data_dir: Path, database_url: str | None = None,
           *, log_level: str = "warning") -> RunningServer:
    """Start `charter serve` on a free port without waiting for it; see `wait_healthy`."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    command = [charter_executable(), "serve", "--host", "127.0.0.1", "--port", str(port),
               "--data-dir", str(data_dir), "--log-level", log_level]
    if database_url is not None:
        command += ["--database-url", database_url]
    log_path = data_dir.parent / f"{data_dir.name}-server-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=_clean_env())
    return RunningServer(f"http://127.0.0.1:{port}", process, log_path)


@contextlib.contextmanager
def charter_server(data_dir: Path, database_url: str | None = None,
                   *, log_level: str = "warning") -> Iterator[RunningServer]:
    """Run `charter serve` on a free port until the block ends."""
    server = launch(data_dir, database_url, log_level=log_level)
    try:
        wait_healthy(server.base_url, server.process, server.log_path)
        yield server
    finally:
        stop(server.process)


def _with_database(url: str, database: str, scheme: str | None = None) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=scheme or parts.scheme, path=f"/{database}"))


@functools.cache
def postgres_admin_url() -> str | None:
    """A maintenance connection that may create databases, or None when PostgreSQL is down."""
    import psycopg

    for user in ("postgres", "root"):
        for dbname in ("test", "postgres"):
            url = f"postgresql://{user}@{PG_HOST}:{PG_PORT}/{dbname}"
            try:
                with psycopg.connect(url, connect_timeout=3):
                    return url
            except psycopg.OperationalError:
                continue
    return None


def skip_without_postgres() -> None:
    """Tests that need PostgreSQL skip when it is down, as the registry's own tests do."""
    import pytest

    if postgres_admin_url() is None:
        pytest.skip(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")


@contextlib.contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """Create `<prefix>_<random>` on the test PostgreSQL; yield its SQLAlchemy URL; drop it."""
    import psycopg
    from psycopg import sql

    admin_url = postgres_admin_url()
    if admin_url is None:
        raise ServerStartError(f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT}")
    name = f"{prefix}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(admin_url, name, scheme="postgresql+psycopg")
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def serve_backend(backend: str, work_dir: Path, db_prefix: str) -> Iterator[RunningServer]:
    """One server on `backend`: "sqlite" (a file in its data dir) or "postgres" (a scratch db)."""
    data_dir = work_dir / "data"
    if backend == "sqlite":
        with charter_server(data_dir) as server:
            yield server
    elif backend == "postgres":
        with scratch_postgres_database(db_prefix) as url, charter_server(data_dir, url) as server:
            yield server
    else:
        raise ValueError(f"unknown backend {backend!r}")
