"""Consumers on a newer schema read events written with older versions, through the broker."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sdk import Consumer, Event, Producer, Registry, Serializer
from tests.flow.conftest import load_schema
from tests.flow.test_transports import drain


def _v2(v1: dict[str, Any]) -> dict[str, Any]:
    v2 = copy.deepcopy(v1)
    data = next(f for f in v2["fields"] if f["name"] == "data")
    data["type"]["fields"].append({"name": "channel", "type": "string", "default": "web"})
    return v2


def test_a_v2_reader_reads_v1_and_v2_events_and_seek_to_time_finds_them(
    registry: Registry, topic: str
) -> None:
    v1 = load_schema("examples/order.placed.avsc")
    v2 = _v2(v1)
    body: dict[str, Any] = {
        "orderId": "ord-1",
        "customerId": "cus-1",
        "items": [{"sku": "MUG", "quantity": 1, "unitPrice": Decimal("9.50")}],
        "total": Decimal("9.50"),
        "currency": "EUR",
        "placedAt": datetime(2026, 11, 26, 20, 15, 3, tzinfo=UTC),
    }
    url = "memory://resolution"
    first = Serializer(registry, topic=topic, schema=json.dumps(v1), auto_register=True)
    second = Serializer(registry, topic=topic, schema=json.dumps(v2), auto_register=True)
    with Producer(url, registry=registry, serializers={topic: first}) as producer:
        producer.publish(topic, Event("order.placed", "/services/orders", body))
    with Producer(url, registry=registry, serializers={topic: second}) as producer:
        producer.publish(
            topic, Event("order.placed", "/services/orders", {**body, "channel": "app"}, version=2)
        )
    with Consumer(url, registry=registry, group=None, topics=[topic], reader_schema=v2) as c:
        got = drain(c, 2)
        assert [m.value["data"]["channel"] for m in got] == ["web", "app"]
        assert got[0].schema_id != got[1].schema_id
        c.seek_to_time(got[1].timestamp)
        again = drain(c, 1, polls_max=2)
        assert again and again[-1].offset == 1
        assert all(m.timestamp >= got[1].timestamp for m in again if m.offset == 1)


def test_a_json_event_reads_back_as_written(registry: Registry, topic: str) -> None:
    schema = load_schema("examples/order.placed.schema.json")
    registry.register(f"{topic}-value", json.dumps(schema), "JSON")
    url = "memory://resolution"
    body = {
        "orderId": "ord-1",
        "customerId": "cus-1",
        "items": [{"sku": "MUG", "quantity": 1, "unitPrice": "9.50"}],
        "total": "9.50",
        "currency": "EUR",
        "placedAt": "2026-11-26T20:15:03Z",
    }
    with Producer(url, registry=registry) as producer:
        producer.publish(topic, Event("order.placed", "/services/orders", body))
    with Consumer(url, registry=registry, group=None, topics=[topic], reader_schema=None) as c:
        assert [m.value["data"] for m in drain(c, 1)] == [body]
