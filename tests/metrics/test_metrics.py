"""`GET /metrics` of a real `charter serve`, read with Prometheus' own text parser."""

from __future__ import annotations

import json

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from broker import ProducerRecord
from broker.client import BrokerClient
from tests.kafka.conftest import Serve

AVRO_V1 = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "long"}]}
AVRO_BAD = {"type": "record", "name": "User", "fields": [{"name": "id", "type": "string"}]}


@pytest.fixture
def url(served: Serve) -> str:
    return served.url


def scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def register(url: str, subject: str, schema: dict) -> httpx.Response:
    return httpx.post(f"{url}/subjects/{subject}/versions",
                      json={"schema": json.dumps(schema)}, timeout=10)


def test_request_counters_move_by_exactly_the_requests_made(url: str) -> None:
    route = "/subjects/{subject}/versions"
    before = scrape(url)
    for n in range(3):
        assert httpx.get(f"{url}/subjects/s-{n}/versions", timeout=10).status_code == 404
    assert register(url, "metrics-user", AVRO_V1).status_code == 200
    assert register(url, "metrics-user", AVRO_BAD).status_code == 409
    schema_id = httpx.get(f"{url}/subjects/metrics-user/versions/1", timeout=10).json()["id"]
    for _ in range(2):
        assert httpx.get(f"{url}/schemas/ids/{schema_id}", timeout=10).status_code == 200
    after = scrape(url)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("charter_http_requests_total", route=route, method="GET", status="404") == 3
    assert moved("charter_http_requests_total", route=route, method="POST", status="200") == 1
    assert moved("charter_http_requests_total", route=route, method="POST", status="409") == 1
    assert moved("charter_http_requests_total", route="/schemas/ids/{id}", method="GET",
                 status="200") == 2
    assert moved("charter_http_request_duration_seconds_count", route=route, method="GET") == 3
    # raw paths never become labels
    assert not any("s-0" in dict(labels).get("route", "") for _, labels in after)
    assert moved("charter_registry_registrations_total") == 1
    assert moved("charter_registry_compatibility_refusals_total") == 1
    assert moved("charter_registry_id_cache_hits_total") + moved(
        "charter_registry_id_cache_misses_total") == 2
    assert moved("charter_registry_id_cache_hits_total") >= 1  # the second one is in memory
    assert value(after, "charter_registry_schemas", format="AVRO") >= 1
    assert value(after, "charter_registry_subjects", format="AVRO") >= 1


def test_broker_counters_and_the_lag_gauge_equal_the_api(url: str) -> None:
    broker = BrokerClient(url)
    broker.create_topic("metered")
    before = scrape(url)
    values = [b"one", b"two", b"three"]
    broker.produce("metered", [ProducerRecord(v) for v in values])
    fetched = broker.fetch("metered", 0, 1)
    assert [r.value for r in fetched.records] == [b"two", b"three"]
    broker.groups.commit("lagging", {("metered", 0): 1})
    after = scrape(url)
    assert value(after, "charter_broker_produced_records_total", topic="metered") - value(
        before, "charter_broker_produced_records_total", topic="metered") == 3
    assert value(after, "charter_broker_fetched_records_total", topic="metered") - value(
        before, "charter_broker_fetched_records_total", topic="metered") == 2
    # bytes as the log stores the batch: a 38-byte header and 18 bytes + the value per record
    assert value(after, "charter_broker_produced_bytes_total", topic="metered") - value(
        before, "charter_broker_produced_bytes_total", topic="metered") == 38 + sum(
        18 + len(v) for v in values)
    assert value(after, "charter_broker_log_end_offset", topic="metered", partition="0") == 3
    assert value(after, "charter_broker_open_segment_files", topic="metered", partition="0") >= 1
    (lag,) = broker.lag("lagging")
    assert lag.lag == 2
    assert value(after, "charter_broker_consumer_group_lag", group="lagging", topic="metered",
                 partition="0") == lag.lag
    assert value(after, "charter_broker_long_polls_waiting") == 0


def test_every_metric_is_prefixed(url: str) -> None:
    text = httpx.get(f"{url}/metrics", timeout=10).text
    names = {f.name for f in text_string_to_metric_families(text)}
    assert names and all(n.startswith("charter_") for n in names), names
