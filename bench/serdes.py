"""Serialiser benchmark: Charter's SDK against confluent-kafka's, in one run.

    .venv/bin/python bench/serdes.py [--registry URL] [--seconds S]

Starts `charter serve` on a free port with a temporary SQLite store unless --registry is given
(both clients cache schemas, so the registry is off the hot path). For the `order.placed` event
and a 50-field event with nested arrays it measures, in operations per second:
Avro serialise (Charter with strict validation; confluent-kafka without, its default),
JSON serialise (both validating), Avro deserialise, JSON deserialise (both validating),
and prints Charter's ratio to confluent-kafka's beside issue 4's goal. Rates are per CPU second
of this process (best of five batches), so other load on the machine does not skew the ratios.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka.schema_registry import SchemaRegistryClient  # noqa: E402
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer  # noqa: E402
from confluent_kafka.schema_registry.json_schema import (  # noqa: E402
    JSONDeserializer,
    JSONSerializer,
)
from confluent_kafka.serialization import MessageField, SerializationContext  # noqa: E402

from cli.spawn import spawn_serve  # noqa: E402
from sdk import Deserializer, Registry, Serializer  # noqa: E402

GOALS = {"avro-ser": 1.0, "json-ser": 60.0, "avro-de": 5.0, "json-de": 40.0}


@contextlib.contextmanager
def charter_serve() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as data_dir, spawn_serve(Path(data_dir)) as url:
        yield url


# --- the two events ----------------------------------------------------------------------


def order_case() -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    avro = json.loads((ROOT / "schemas/examples/order.placed.avsc").read_text())
    js = json.loads((ROOT / "schemas/examples/order.placed.schema.json").read_text())
    envelope = {
        "eventType": "order.placed",
        "eventId": "01JDQ3V8X6Y3ZK1B2C3D4E5F6G",
        "timestamp": "2026-11-26T20:15:03.123Z",
        "version": 1,
        "source": "/services/orders",
    }
    items = [("SKU-RED-MUG", 2, "9.50"), ("SKU-TEA-100", 1, "4.25"), ("SKU-SPOON", 4, "1.10")]
    avro_value = {
        **envelope,
        "data": {
            "orderId": "ord-1001",
            "customerId": "cus-42",
            "items": [{"sku": s, "quantity": q, "unitPrice": Decimal(p)} for s, q, p in items],
            "total": Decimal("27.65"),
            "currency": "EUR",
            "placedAt": datetime(2026, 11, 26, 20, 15, 3, 123000, tzinfo=UTC),
        },
    }
    json_value = {
        **envelope,
        "data": {
            "orderId": "ord-1001",
            "customerId": "cus-42",
            "items": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in items],
            "total": "27.65",
            "currency": "EUR",
            "placedAt": "2026-11-26T20:15:03.123Z",
        },
    }
    return avro, js, avro_value, json_value


def wide_case() -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    """50 top-level fields of every common kind, two of them nested arrays of records."""
    avro_fields: list[dict[str, Any]] = []
    props: dict[str, Any] = {}
    value: dict[str, Any] = {}
    kinds = ["string", "int", "long", "double", "boolean", "nullable", "enum", "strings"]
    for i in range(48):
        kind, name = kinds[i % len(kinds)], f"f{i:02d}"
        if kind == "string":
            avro_fields.append({"name": name, "type": "string"})
            props[name] = {"type": "string", "maxLength": 64}
            value[name] = f"value-{i}"
        elif kind == "int":
            avro_fields.append({"name": name, "type": "int"})
            props[name] = {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1}
            value[name] = i * 1000
        elif kind == "long":
            avro_fields.append({"name": name, "type": "long"})
            props[name] = {"type": "integer"}
            value[name] = i * 10**12
        elif kind == "double":
            avro_fields.append({"name": name, "type": "double"})
            props[name] = {"type": "number"}
            value[name] = i * 1.25
        elif kind == "boolean":
            avro_fields.append({"name": name, "type": "boolean"})
            props[name] = {"type": "boolean"}
            value[name] = i % 2 == 0
        elif kind == "nullable":
            avro_fields.append({"name": name, "type": ["null", "string"], "default": None})
            props[name] = {"type": ["null", "string"]}
            value[name] = None if i % 3 else f"maybe-{i}"
        elif kind == "enum":
            avro_fields.append(
                {
                    "name": name,
                    "type": {"type": "enum", "name": f"E{i}", "symbols": ["LOW", "MID", "HIGH"]},
                }
            )
            props[name] = {"enum": ["LOW", "MID", "HIGH"]}
            value[name] = "MID"
        else:
            avro_fields.append({"name": name, "type": {"type": "array", "items": "string"}})
            props[name] = {"type": "array", "items": {"type": "string"}}
            value[name] = ["a", "b", "c"]
    line = {
        "type": "record",
        "name": "Line",
        "fields": [
            {"name": "sku", "type": "string"},
            {"name": "qty", "type": "int"},
            {"name": "marks", "type": {"type": "array", "items": "long"}},
        ],
    }
    avro_fields.append({"name": "lines", "type": {"type": "array", "items": line}})
    avro_fields.append(
        {"name": "matrix", "type": {"type": "array", "items": {"type": "array", "items": "double"}}}
    )
    props["lines"] = {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "qty": {"type": "integer"},
                "marks": {"type": "array", "items": {"type": "integer"}},
            },
            "required": ["sku", "qty", "marks"],
            "additionalProperties": False,
        },
    }
    props["matrix"] = {"type": "array", "items": {"type": "array", "items": {"type": "number"}}}
    value["lines"] = [{"sku": f"S{n}", "qty": n, "marks": [n, n * 2, n * 3]} for n in range(5)]
    value["matrix"] = [[0.5 * r + c for c in range(4)] for r in range(4)]
    avro = {"type": "record", "name": "Wide", "namespace": "bench", "fields": avro_fields}
    js = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "bench.Wide",
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }
    return avro, js, value, value


# --- measuring ---------------------------------------------------------------------------


def ops_per_s(fn: Callable[[], object], seconds: float) -> float:
    """Operations per CPU second of this process, best of five batches.

    CPU time rather than wall time: the machine is shared, and time spent descheduled says
    nothing about either library.
    """
    clock = time.process_time
    fn()
    batch = 1
    while True:  # size a batch to take about a fifth of the budget
        start = clock()
        for _ in range(batch):
            fn()
        if clock() - start > seconds / 5:
            break
        batch *= 2
    best = 0.0
    for _ in range(5):
        start = clock()
        for _ in range(batch):
            fn()
        elapsed = clock() - start
        if elapsed > 0:
            best = max(best, batch / elapsed)
    return best


def run(url: str, seconds: float) -> int:
    registry = Registry(url)
    confluent = SchemaRegistryClient({"url": url})
    rows: list[tuple[str, str, float, float]] = []
    for label, case in (("order.placed", order_case), ("wide-50", wide_case)):
        avro, js, avro_value, json_value = case()
        topic_a, topic_j = f"bench-a-{uuid.uuid4().hex[:8]}", f"bench-j-{uuid.uuid4().hex[:8]}"
        ctx_a = SerializationContext(topic_a, MessageField.VALUE)
        ctx_j = SerializationContext(topic_j, MessageField.VALUE)
        ours_a = Serializer(registry, topic=topic_a, schema=avro, auto_register=True)
        ours_j = Serializer(registry, topic=topic_j, schema=js, auto_register=True)
        theirs_a = AvroSerializer(confluent, json.dumps(avro))
        theirs_j = JSONSerializer(json.dumps(js), confluent)
        reader = Deserializer(registry)
        theirs_ad = AvroDeserializer(confluent)
        theirs_jd = JSONDeserializer(None, schema_registry_client=confluent)
        avro_bytes = ours_a.serialize(avro_value)
        json_bytes = ours_j.serialize(json_value)
        assert theirs_a(avro_value, ctx_a) == avro_bytes
        assert theirs_ad(avro_bytes, ctx_a) == reader.deserialize(avro_bytes) == avro_value
        assert theirs_jd(json_bytes, ctx_j) == reader.deserialize(json_bytes) == json_value
        pairs: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
            (
                "avro-ser",
                lambda s=ours_a, v=avro_value: s.serialize(v),
                lambda s=theirs_a, v=avro_value, c=ctx_a: s(v, c),
            ),
            (
                "json-ser",
                lambda s=ours_j, v=json_value: s.serialize(v),
                lambda s=theirs_j, v=json_value, c=ctx_j: s(v, c),
            ),
            (
                "avro-de",
                lambda d=reader, b=avro_bytes: d.deserialize(b),
                lambda d=theirs_ad, b=avro_bytes, c=ctx_a: d(b, c),
            ),
            (
                "json-de",
                lambda d=reader, b=json_bytes: d.deserialize(b),
                lambda d=theirs_jd, b=json_bytes, c=ctx_j: d(b, c),
            ),
        ]
        for name, ours, theirs in pairs:
            rows.append((label, name, ops_per_s(ours, seconds), ops_per_s(theirs, seconds)))
    registry.close()
    print(
        f"{'event':<14}{'operation':<11}{'charter ops/s':>15}{'confluent ops/s':>17}"
        f"{'ratio':>9}{'goal':>7}  met"
    )
    missed = 0
    for label, name, ours_ops, theirs_ops in rows:
        ratio = ours_ops / theirs_ops
        goal = GOALS[name]
        met = ratio >= goal
        missed += not met
        print(
            f"{label:<14}{name:<11}{ours_ops:>15,.0f}{theirs_ops:>17,.0f}{ratio:>8.1f}x"
            f"{goal:>6.0f}x  {'yes' if met else 'NO'}"
        )
    return missed


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
