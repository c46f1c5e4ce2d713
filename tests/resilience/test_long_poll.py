"""200 concurrent 60 s long-polls hold no worker thread: other routes keep answering quickly,
and the polls wake as soon as a record arrives. Beyond `--long-polls-max`, a clear 503."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx

from broker.client import BrokerClient
from broker.record import ProducerRecord
from tests.resilience.server import serve

REGISTRY_JSON = {"content-type": "application/vnd.schemaregistry.v1+json"}
POLLS = 200
GENEROUS_P99_S = 2.0  # the goal is 100 ms; only a generous bound is asserted


def _register(url: str, n: int) -> list[int]:
    ids = []
    for i in range(n):
        schema = {"type": "record", "name": f"R{i}", "fields": [{"name": "a", "type": "long"}]}
        r = httpx.post(
            f"{url}/subjects/stall-{i}/versions",
            content=json.dumps({"schema": json.dumps(schema)}),
            headers=REGISTRY_JSON,
        )
        assert r.status_code == 200, r.text
        ids.append(r.json()["id"])
    return ids


async def _poll(client: httpx.AsyncClient, offset: int) -> httpx.Response:
    body = {
        "positions": [{"topic": "quiet", "partition": 0, "offset": offset}],
        "max_wait_ms": 60_000,
    }
    return await client.post("/broker/fetch", json=body, timeout=90)


async def _stall(url: str, ids: list[int]) -> tuple[list[float], list[httpx.Response], float]:
    limits = httpx.Limits(max_connections=POLLS + 10, max_keepalive_connections=POLLS + 10)
    async with (
        httpx.AsyncClient(base_url=url, limits=limits) as polls,
        httpx.AsyncClient(base_url=url) as probe,
    ):
        tasks = [asyncio.create_task(_poll(polls, 0)) for _ in range(POLLS)]
        await asyncio.sleep(3)  # let every poll reach the server and start waiting
        assert not any(t.done() for t in tasks)
        latencies: list[float] = []
        routes = ["/health", "/subjects", "/broker/topics"]
        for schema_id in ids:
            for path in [*routes, f"/schemas/ids/{schema_id}"]:
                began = time.perf_counter()
                r = await probe.get(path, timeout=30)
                latencies.append(time.perf_counter() - began)
                assert r.status_code == 200, (path, r.text)
        assert not any(t.done() for t in tasks)
        began = time.perf_counter()
        await asyncio.to_thread(_produce_one, url)
        answers = await asyncio.gather(*tasks)
        woke_s = time.perf_counter() - began
    return latencies, answers, woke_s


def _produce_one(url: str) -> None:
    with BrokerClient(url) as client:
        client.produce("quiet", [ProducerRecord(value=b"wake")])


def test_200_long_polls_leave_other_routes_answering(tmp_path: Path) -> None:
    with serve(tmp_path / "d") as served:
        ids = _register(served.url, 50)
        with BrokerClient(served.url) as client:
            client.create_topic("quiet")
        latencies, answers, woke_s = asyncio.run(_stall(served.url, ids))
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(
        f"\nstall: {POLLS} long-polls; {len(latencies)} probes p50 "
        f"{statistics.median(latencies) * 1000:.1f} ms p99 {p99 * 1000:.1f} ms; "
        f"all polls answered {woke_s * 1000:.0f} ms after the produce"
    )
    assert p99 < GENEROUS_P99_S
    assert all(a.status_code == 200 and a.content for a in answers)
    assert woke_s < 30  # far below the polls' 60 s: they woke on the append


async def _over_cap(url: str) -> tuple[list[asyncio.Task[httpx.Response]], httpx.Response]:
    client = httpx.AsyncClient(base_url=url)
    tasks = [asyncio.create_task(_poll(client, 0)) for _ in range(3)]
    await asyncio.sleep(2)
    refused = await _poll(client, 0)
    await asyncio.to_thread(_produce_one, url)
    await asyncio.gather(*tasks)
    await client.aclose()
    return tasks, refused


def test_long_polls_beyond_the_cap_get_503(tmp_path: Path) -> None:
    with serve(tmp_path / "d", ["--long-polls-max", "3"]) as served:
        with BrokerClient(served.url) as client:
            client.create_topic("quiet")
        tasks, refused = asyncio.run(_over_cap(served.url))
        assert refused.status_code == 503
        assert refused.json()["error_code"] == 50303
        assert refused.headers["retry-after"] == "1"
        assert all(t.result().status_code == 200 for t in tasks)
        # the cap counts waiting polls only: once they answered, polls are accepted again
        r = httpx.post(
            f"{served.url}/broker/fetch",
            json={
                "positions": [{"topic": "quiet", "partition": 0, "offset": 0}],
                "max_wait_ms": 100,
            },
        )
        assert r.status_code == 200
