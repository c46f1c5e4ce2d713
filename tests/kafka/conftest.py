"""A real `charter serve` with its Kafka listener on a free port, and the real librdkafka."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from confluent_kafka import Consumer, Message

from broker.client import BrokerClient
from cli.spawn import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_S = 60.0


@dataclass
class Serve:
    url: str
    bootstrap: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    http_port: int
    kafka_port: int

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_serve(data_dir: Path, *, http_port: int = 0, kafka_port: int = 0) -> Serve:
    """`charter serve` as a child process, healthy; the caller stops (or kills) it."""
    http_port = http_port or free_port()
    kafka_port = kafka_port or free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cli.main", "serve", "--port", str(http_port)]
    command += ["--data-dir", str(data_dir), "--log-level", "warning"]
    command += ["--kafka-port", str(kafka_port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHARTER_")}
    log_path = data_dir / "serve.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{http_port}"
    serve = Serve(url, f"127.0.0.1:{kafka_port}", data_dir, process, http_port, kafka_port)
    deadline = time.monotonic() + STARTUP_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"charter serve exited: {log_path.read_text()[-3000:]}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{url}/health", timeout=1.0).status_code == 200:
                return serve
        if time.monotonic() > deadline:
            serve.stop()
            raise RuntimeError(f"charter serve not healthy: {log_path.read_text()[-3000:]}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serve]:
    running = start_serve(tmp_path_factory.mktemp("kafka-serve"))
    try:
        yield running
    finally:
        running.stop()
        log = (running.data_dir / "serve.log").read_text()
        assert "Traceback" not in log, log[-3000:]


class HttpApi:
    """The broker's HTTP API as the tests use it: JSON routes for topics and groups, and
    BrokerClient (its stable calls) for records."""

    def __init__(self, url: str) -> None:
        self._json = httpx.Client(base_url=f"{url}/broker", timeout=30.0)
        self.records = BrokerClient(url)

    def close(self) -> None:
        self._json.close()
        self.records.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._json.request(method, path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def create_topic(self, name: str, **settings: Any) -> dict[str, Any]:
        created: dict[str, Any] = self._call("POST", "/topics", json={"name": name, **settings})
        return created

    def describe_topic(self, name: str) -> dict[str, Any]:
        described: dict[str, Any] = self._call("GET", f"/topics/{name}")
        return described

    def list_topics(self) -> list[str]:
        topics: list[str] = self._call("GET", "/topics")
        return topics

    def lag(self, group: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self._call("GET", f"/groups/{group}/lag")
        return rows

    def offsets(self, topic: str, partition: int) -> tuple[int, int]:
        return self.records.offsets(topic, partition)

    def produce(self, topic: str, records: list[Any], partition: int | None = None) -> Any:
        return self.records.produce(topic, records, partition=partition)

    def fetch(self, topic: str, partition: int, offset: int) -> Any:
        return self.records.fetch(topic, partition, offset)


@pytest.fixture
def http(serve: Serve) -> Iterator[HttpApi]:
    client = HttpApi(serve.url)
    yield client
    client.close()


@pytest.fixture
def topic(http: HttpApi) -> str:
    name = f"k-{uuid.uuid4().hex[:10]}"
    http.create_topic(name, partitions=3)
    return name


def consumer(bootstrap: str, group: str | None = None, **extra: Any) -> Consumer:
    config: dict[str, Any] = {
        "bootstrap.servers": bootstrap,
        "group.id": group or f"g-{uuid.uuid4().hex[:8]}",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 300,
        "fetch.wait.max.ms": 100,
    }
    config.update(extra)
    return Consumer(config)


def drain(c: Consumer, count: int, *, timeout_s: float = 30.0) -> list[Message]:
    """Poll until `count` records arrived (or fail after `timeout_s`)."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < count:
        assert time.monotonic() < deadline, f"{len(got)} of {count} records after {timeout_s}s"
        m = c.poll(0.2)
        if m is None:
            continue
        assert m.error() is None, m.error()
        got.append(m)
    return got
