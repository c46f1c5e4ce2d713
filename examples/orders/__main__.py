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
import sys
import tempfile
from pathlib import Path

from cli.spawn import spawn_serve
from examples.orders.scenario import run


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
            registry = args.registry or stack.enter_context(spawn_serve(work / "registry"))
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
