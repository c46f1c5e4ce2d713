"""Data-contract rule benchmark: Charter's SDK against confluent-kafka's CEL executors.

    .venv/bin/python bench/rules.py [--registry URL] [--seconds S]

Starts `charter serve` on a free port with a temporary SQLite store unless --registry is given.
For an Avro record of ten strings and a long it measures Avro serialisation with the subject's
latest version (confluent-kafka: `use.latest.version`, its CEL executors registered) under:
no rules, one message-level `CEL` condition, and one `CEL_FIELD` condition run on every field.
Rates are operations per CPU second of this process (best of five batches), so other load on
the machine does not skew the ratio; the machine and its load average are printed beside them.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.rule_registry import RuleRegistry  # noqa: E402
from confluent_kafka.schema_registry.rules.cel.cel_executor import CelExecutor  # noqa: E402
from confluent_kafka.schema_registry.rules.cel.cel_field_executor import (  # noqa: E402
    CelFieldExecutor,
)
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402
from serdes import ops_per_s  # noqa: E402  (bench/ is on the path when run as a script)

from cli.spawn import spawn_serve  # noqa: E402
from sdk import Registry, Serializer  # noqa: E402

SCHEMA = json.dumps({"type": "record", "name": "Wide", "namespace": "bench",
                     "fields": [*({"name": f"s{i}", "type": "string"} for i in range(10)),
                                {"name": "amount", "type": "long"}]})
VALUE: dict[str, Any] = {**{f"s{i}": f"v{i}@example.com" for i in range(10)}, "amount": 5}
CASES: dict[str, list[dict[str, Any]]] = {
    "no rules": [],
    "CEL condition": [{"name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
                       "expr": "message.amount > 0"}],
    "CEL_FIELD x11": [{"name": "mail", "kind": "CONDITION", "mode": "WRITE",
                       "type": "CEL_FIELD",
                       "expr": "typeName == 'STRING' ; value.contains('@')"}],
}


@contextlib.contextmanager
def charter_serve() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as data_dir, spawn_serve(Path(data_dir)) as url:
        yield url


def run(url: str, seconds: float) -> None:
    registry = Registry(url)
    sr = SchemaRegistryClient({"url": url})
    executors = RuleRegistry()
    executors.register_executor(CelExecutor())
    executors.register_executor(CelFieldExecutor())
    print(f"machine: {platform.machine()} {platform.processor() or ''} cpus={os.cpu_count()} "
          f"python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'rules':<16}{'charter ops/s':>15}{'confluent ops/s':>17}{'ratio':>8}")
    for label, rules in CASES.items():
        topic = f"bench-rules-{uuid.uuid4().hex[:8]}"
        body: dict[str, Any] = {"schema": SCHEMA}
        if rules:
            body["ruleSet"] = {"domainRules": rules}
        httpx.post(f"{url}/subjects/{topic}-value/versions", json=body,
                   timeout=10).raise_for_status()
        ours = Serializer(registry, topic=topic)
        theirs = AvroSerializer(sr, SCHEMA, conf={"auto.register.schemas": False,
                                                  "use.latest.version": True},
                                rule_registry=executors)
        ctx = SerializationContext(topic, MessageField.VALUE)
        charter = ops_per_s(lambda s=ours: s.serialize(VALUE), seconds)
        confluent = ops_per_s(lambda s=theirs, c=ctx: s(dict(VALUE), c), seconds)
        print(f"{label:<16}{charter:>15,.0f}{confluent:>17,.0f}{charter / confluent:>8.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    registry.close()
    sr.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", help="use this registry instead of starting one")
    parser.add_argument("--seconds", type=float, default=1.0, help="budget per measurement")
    args = parser.parse_args()
    if args.registry:
        run(args.registry, args.seconds)
    else:
        with charter_serve() as url:
            run(url, args.seconds)


if __name__ == "__main__":
    main()
