"""Prometheus metrics of one `charter serve` process, all named `charter_*`.

`Metrics` owns a private `CollectorRegistry` (no process-global state, so tests can build
many apps). Events are counted where they happen: HTTP requests (by route *template*, method
and status, in `registry.observe`), registrations and compatibility refusals (derived from
the registration route's status), records and bytes produced and fetched and the fetches
waiting for records (`Metrics` is the broker's `BrokerObserver`, which the broker core calls
once per append, served fetch and wait, whichever path asked: the HTTP API, the Kafka
listener or an in-process caller; sizes are record-batch bytes as the log stores them).
Gauges are read at scrape
time through public APIs: the registry service (schemas and subjects by format, id-cache
hits and misses) and `broker.api.BrokerAPI` (log offsets, segment files, consumer-group lag).
Label cardinality is bounded: topics and groups beyond `names_max` share the label `_other`
(counters) or are left out (gauges).
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from broker.api import BrokerAPI
from registry.service import RegistryService

__all__ = ["CONTENT_TYPE", "NAMES_MAX", "Metrics"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NAMES_MAX = 200
OTHER = "_other"
REGISTER_ROUTE = "/subjects/{subject}/versions"
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                     10.0, 30.0)


class _Names:
    """The first `names_max` names seen keep their own label; later ones share `_other`."""

    def __init__(self, names_max: int) -> None:
        self.names_max = names_max
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def label(self, name: str) -> str:
        with self._lock:
            if name in self._seen:
                return name
            if len(self._seen) < self.names_max:
                self._seen.add(name)
                return name
        return OTHER


class Metrics:
    """Every metric of one process; `render()` is the body of `GET /metrics`."""

    def __init__(
        self,
        service: RegistryService | None = None,
        broker: BrokerAPI | None = None,
        *,
        names_max: int = NAMES_MAX,
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.topics = _Names(names_max)
        self.names_max = names_max
        self.requests = Counter(
            "charter_http_requests", "HTTP requests answered, by route template, method, status",
            ["route", "method", "status"], registry=r,
        )
        self.latency = Histogram(
            "charter_http_request_duration_seconds", "Time to answer an HTTP request",
            ["route", "method"], buckets=LATENCY_BUCKETS_S, registry=r,
        )
        self.registrations = Counter(
            "charter_registry_registrations", "Schema registrations accepted (new or known)",
            registry=r,
        )
        self.refusals = Counter(
            "charter_registry_compatibility_refusals",
            "Schema registrations refused as incompatible (HTTP 409)", registry=r,
        )
        self.produced_records = Counter(
            "charter_broker_produced_records", "Records appended, per topic", ["topic"],
            registry=r,
        )
        self.produced_bytes = Counter(
            "charter_broker_produced_bytes",
            "Bytes of record batches appended, as the log stores them, per topic", ["topic"],
            registry=r,
        )
        self.fetched_records = Counter(
            "charter_broker_fetched_records", "Records served by fetches, per topic", ["topic"],
            registry=r,
        )
        self.fetched_bytes = Counter(
            "charter_broker_fetched_bytes",
            "Bytes of record batches served by fetches, as the log stores them, per topic",
            ["topic"], registry=r,
        )
        self.long_polls = Gauge(
            "charter_broker_long_polls_waiting", "Fetches waiting for records now", registry=r,
        )
        if service is not None:
            r.register(RegistryCollector(service))
        if broker is not None:
            r.register(BrokerCollector(broker, names_max=names_max))

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)
        if route == REGISTER_ROUTE and method == "POST":
            if status == 200:
                self.registrations.inc()
            elif status == 409:
                self.refusals.inc()

    def produced(self, topic: str, records: int, size_bytes: int) -> None:
        label = self.topics.label(topic)
        self.produced_records.labels(label).inc(records)
        self.produced_bytes.labels(label).inc(size_bytes)

    def fetched(self, topic: str, records: int, size_bytes: int) -> None:
        if records == 0 and size_bytes == 0:
            return
        label = self.topics.label(topic)
        self.fetched_records.labels(label).inc(records)
        self.fetched_bytes.labels(label).inc(size_bytes)

    def waiting(self, change: int) -> None:
        self.long_polls.inc(change)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RegistryCollector(Collector):
    """Schemas and subjects by format, and the id-lookup cache's hits and misses."""

    def __init__(self, service: RegistryService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        schemas = GaugeMetricFamily(
            "charter_registry_schemas", "Distinct live schemas (ids), by format", labels=["format"]
        )
        subjects = GaugeMetricFamily(
            "charter_registry_subjects", "Subjects with a live version, by the latest's format",
            labels=["format"],
        )
        live = self.service.list_schemas()
        ids = {v.schema.id: v.schema.schema_type for v in live}
        latest = {v.subject: v.schema.schema_type for v in live}  # versions come in order
        for fmt, count in sorted(Tally(str(t) for t in ids.values()).items()):
            schemas.add_metric([fmt], count)
        for fmt, count in sorted(Tally(str(t) for t in latest.values()).items()):
            subjects.add_metric([fmt], count)
        yield schemas
        yield subjects
        caches = self.service.caches
        hits = CounterMetricFamily(
            "charter_registry_id_cache_hits", "GET /schemas/ids/{id} answered from memory"
        )
        hits.add_metric([], caches.id_hits)
        misses = CounterMetricFamily(
            "charter_registry_id_cache_misses", "GET /schemas/ids/{id} that read the database"
        )
        misses.add_metric([], caches.id_misses)
        yield hits
        yield misses


class BrokerCollector(Collector):
    """Log offsets, segment files and consumer-group lag, read through `BrokerAPI`."""

    def __init__(self, broker: BrokerAPI, *, names_max: int) -> None:
        self.broker = broker
        self.names_max = names_max

    def collect(self) -> Iterator[Metric]:
        start = GaugeMetricFamily(
            "charter_broker_log_start_offset", "First offset kept", labels=["topic", "partition"]
        )
        end = GaugeMetricFamily(
            "charter_broker_log_end_offset", "Next offset to be written",
            labels=["topic", "partition"],
        )
        segments = GaugeMetricFamily(
            "charter_broker_open_segment_files",
            "Segment and index files of a partition's log held open now",
            labels=["topic", "partition"],
        )
        for name in self.broker.list_topics()[: self.names_max]:
            try:
                topic = self.broker.describe_topic(name)
            except Exception:  # deleted between list and describe
                continue
            for p in topic.partitions:
                labels = [name, str(p.partition)]
                start.add_metric(labels, p.log_start_offset)
                end.add_metric(labels, p.log_end_offset)
                segments.add_metric(labels, p.open_files)
        lag = GaugeMetricFamily(
            "charter_broker_consumer_group_lag", "Log end offset minus the committed offset",
            labels=["group", "topic", "partition"],
        )
        for group in self.broker.groups.list_groups()[: self.names_max]:
            for row in self.broker.lag(group):
                lag.add_metric([group, row.topic, str(row.partition)], row.lag)
        yield from (start, end, segments, lag)
