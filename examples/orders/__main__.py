"""`python -m examples.orders`: run the orders scenario and check its outcome.

Without `--registry` it starts `charter serve` on a free port in a temporary directory; without
`--broker` it uses Charter's broker embedded in-process (`file://` in that directory);
`--broker charter` uses the broker of the registry's `charter serve`. Exit code 0 when every
check holds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from examples.orders.scenario import run


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _registry(data_dir: Path) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "cli.main",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--log-level",
        "warning",
    ]
    with open(data_dir / "serve.log", "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise SystemExit(f"charter serve exited: {(data_dir / 'serve.log').read_text()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("charter serve did not become healthy")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.orders", description=__doc__)
    parser.add_argument("--registry", default=os.environ.get("CHARTER_REGISTRY_URL"))
    parser.add_argument(
        "--broker",
        default=os.environ.get("CHARTER_BROKER_URL"),
        help="a broker URL, or `charter` for the registry's charter serve; "
        "default: the built-in broker in this process",
    )
    parser.add_argument("--topic", default="orders")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="charter-orders-") as tmp:
        work = Path(tmp)
        with contextlib.ExitStack() as stack:
            (work / "registry").mkdir()
            registry = args.registry or stack.enter_context(_registry(work / "registry"))
            broker = args.broker or (work / "log").as_uri()
            if broker == "charter":  # the broker of the same charter serve as the registry
                broker = "charter://" + registry.split("://", 1)[1]
            log = (lambda *a: None) if args.json else print
            outcome = run(registry, broker, work, topic=args.topic, log=log)
    checks = outcome.checks()
    if args.json:
        print(json.dumps({"checks": checks, "outcome": outcome.__dict__}, default=str, indent=2))
    else:
        for name, ok in checks.items():
            print(f"{'ok  ' if ok else 'FAIL'} {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
