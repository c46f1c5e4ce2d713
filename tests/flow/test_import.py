"""`import sdk` loads no transport: the broker, confluent-kafka and the stores load on use."""

from __future__ import annotations

import subprocess
import sys

LAZY = ("broker", "confluent_kafka", "psycopg", "sqlite3", "httpx", "rich", "fastapi")


def test_import_sdk_loads_no_transport() -> None:
    code = (
        "import sys, sdk\n"
        f"lazy = {LAZY!r}\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & set(lazy)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_memory_producer_loads_the_broker_but_not_kafka() -> None:
    code = (
        "import sys, sdk\n"
        "sdk.Producer('memory://', registry=sdk.Registry('http://127.0.0.1:9')).close()\n"
        "print('broker' in sys.modules, 'confluent_kafka' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True False"
