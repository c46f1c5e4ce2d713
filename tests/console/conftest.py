"""A real `charter serve` with Avro and JSON subjects of several versions, a topic with
records (one of them failing the topic's contract) and a lagging consumer group."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import fastavro
import httpx
import pytest

from broker import ProducerRecord
from broker.client import BrokerClient
from cli.spawn import spawn_serve

ORDER_V1 = {"type": "record", "name": "Order", "doc": "</pre><script>window.__xss=1</script>",
            "fields": [{"name": "id", "type": "long"}, {"name": "amount", "type": "double"}]}
ORDER_V2 = {**ORDER_V1, "fields": [*ORDER_V1["fields"],
                                   {"name": "note", "type": ["null", "string"], "default": None}]}
# v3 adds a field without a default: new readers cannot read v2 data (BACKWARD breaks)
ORDER_V3 = {**ORDER_V2, "fields": [*ORDER_V2["fields"], {"name": "region", "type": "string"}]}
CUSTOMER_V1 = {"type": "object", "properties": {"name": {"type": "string"}},
               "additionalProperties": False}
CUSTOMER_V2 = {"type": "object", "additionalProperties": False,
               "properties": {"name": {"type": "string"}, "email": {"type": "string"}}}
HOSTILE_SUBJECT = "<img src=x onerror=alert(1)>"
TOPIC = "orders"
GROUP = "billing"


@dataclass(frozen=True)
class Seeded:
    url: str
    order_ids: tuple[int, ...]


def register(client: httpx.Client, subject: str, schema: dict, schema_type: str = "AVRO") -> int:
    body: dict = {"schema": json.dumps(schema)}
    if schema_type != "AVRO":
        body["schemaType"] = schema_type
    response = client.post(f"/subjects/{quote(subject, safe='')}/versions", json=body)
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def avro_value(schema_id: int, schema: dict, value: dict) -> bytes:
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(schema), value)
    return b"\x00" + schema_id.to_bytes(4, "big") + out.getvalue()


@pytest.fixture(scope="package")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with spawn_serve(tmp_path_factory.mktemp("console")) as url, \
            httpx.Client(base_url=url, timeout=30) as client:
        ids = [register(client, "orders-value", schema) for schema in (ORDER_V1, ORDER_V2)]
        assert client.put("/config/orders-value", json={"compatibility": "NONE"}).status_code == 200
        ids.append(register(client, "orders-value", ORDER_V3))
        assert client.put("/config/orders-value",
                          json={"compatibility": "BACKWARD"}).status_code == 200
        register(client, "customer-json", CUSTOMER_V1, "JSON")
        register(client, "customer-json", CUSTOMER_V2, "JSON")
        register(client, HOSTILE_SUBJECT, {"type": "string"})
        broker = BrokerClient(url)
        broker.create_topic(TOPIC)
        broker.produce(TOPIC, [
            ProducerRecord(avro_value(ids[0], ORDER_V1, {"id": 1, "amount": 9.5}), key=b"o-1"),
            ProducerRecord(avro_value(ids[1], ORDER_V2, {"id": 2, "amount": 20.0,
                                                         "note": "gift <b>wrap</b>"}),
                           key=b"o-2", headers=(("source", b"web"),)),
            ProducerRecord(b"not the wire format", key=b"o-3"),
        ])
        broker.alter_topic(TOPIC, contract="id")
        broker.groups.commit(GROUP, {(TOPIC, 0): 1})
        broker.close()
        yield Seeded(url, tuple(ids))
