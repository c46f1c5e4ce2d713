"""Prometheus metrics of one `charter serve` process, all named `charter_*`.

`Metrics` owns a private `CollectorRegistry` (no process-global state, so tests can build
many apps). Events are counted where they happen: HTTP requests (by route *template*, method
and status, in `registry.observe`), registrations and compatibility refusals (derived from
the registration route's status), records and bytes produced and fetched (`MeteredBroker`,
a wrapper over the broker, which itself imports nothing of ours). Gauges are read at scrape
time through public APIs: the registry service (schemas and subjects by format, id-cache
hits and misses) and `broker.api.BrokerAPI` (log offsets, segment files, consumer-group lag).
Label cardinality is bounded: topics and groups beyond `names_max` share the label `_other`
(counters) or are left out (gauges).
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from broker.api import BrokerAPI, FetchedRecords, TopicPartition
from broker.log import RawBatches
from broker.record import ProducerRecord, read_header, record_bytes
from registry.service import RegistryService

__all__ = ["CONTENT_TYPE", "NAMES_MAX", "MeteredBroker", "Metrics"]

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
            "charter_broker_produced_bytes", "Bytes of records appended, per topic", ["topic"],
            registry=r,
        )
        self.fetched_records = Counter(
            "charter_broker_fetched_records", "Records served by fetches, per topic", ["topic"],
            registry=r,
        )
        self.fetched_bytes = Counter(
            "charter_broker_fetched_bytes", "Bytes of batches served by fetches, per topic",
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


def _records_from(raw: RawBatches, offset: int) -> int:
    count = 0
    for batch in raw.batches:
        header = read_header(batch, "fetched batch", length_max=len(batch))
        count += max(0, header.next_offset - max(offset, header.base_offset))
    return count


class MeteredBroker:
    """The broker, with produce and fetch counted and waiting long-polls gauged.

    Everything else is the wrapped broker's own (attribute access falls through), so it can
    be handed wherever the broker is (`broker.http.create_router`)."""

    def __init__(self, broker: Any, metrics: Metrics) -> None:
        self._broker = broker
        self._metrics = metrics

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)

    def produce(
        self, topic: str, records: Sequence[ProducerRecord], *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        placed: list[tuple[int, int]] = self._broker.produce(topic, records, partition=partition)
        self._metrics.produced(topic, len(placed), sum(record_bytes(r) for r in records))
        return placed

    def produce_encoded(
        self, topic: str, batch: bytes, *, partition: int | None = None
    ) -> list[tuple[int, int]]:
        placed: list[tuple[int, int]] = self._broker.produce_encoded(
            topic, batch, partition=partition
        )
        self._metrics.produced(topic, len(placed), len(batch))
        return placed

    def _waiting(self, wait_ms: int) -> _LongPoll:
        return _LongPoll(self._metrics.long_polls if wait_ms > 0 else None)

    def fetch(self, topic: str, partition: int, offset: int, **limits: Any) -> FetchedRecords:
        return self.fetch_many({(topic, partition): offset}, **limits)[(topic, partition)]

    def fetch_many(
        self, positions: Mapping[TopicPartition, int], **limits: Any
    ) -> dict[TopicPartition, FetchedRecords]:
        with self._waiting(int(limits.get("wait_ms", 0))):
            got: dict[TopicPartition, FetchedRecords] = self._broker.fetch_many(
                positions, **limits
            )
        for (topic, _), fetched in got.items():
            self._metrics.fetched(topic, len(fetched.records), fetched.bytes_read)
        return got

    def fetch_many_batches(
        self, positions: Mapping[TopicPartition, int], **limits: Any
    ) -> dict[TopicPartition, RawBatches]:
        with self._waiting(int(limits.get("wait_ms", 0))):
            got: dict[TopicPartition, RawBatches] = self._broker.fetch_many_batches(
                positions, **limits
            )
        for (topic, partition), raw in got.items():
            self._metrics.fetched(
                topic, _records_from(raw, positions[(topic, partition)]), raw.bytes_read
            )
        return got


class _LongPoll:
    def __init__(self, gauge: Gauge | None) -> None:
        self.gauge = gauge

    def __enter__(self) -> None:
        if self.gauge is not None:
            self.gauge.inc()

    def __exit__(self, *exc: object) -> None:
        if self.gauge is not None:
            self.gauge.dec()

