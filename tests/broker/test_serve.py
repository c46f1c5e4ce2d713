"""`charter serve` exposes the broker beside the registry, with contracts from the registry."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator

import httpx
import pytest

from broker.client import BrokerClient
from broker.config import TopicConfig
from broker.errors import ContractViolationError
from broker.record import ProducerRecord
from tests.sdk.server import charter_serve

ORDER = {
    "type": "record",
    "name": "Order",
    "fields": [{"name": "id", "type": "long"}, {"name": "sku", "type": "string"}],
}
REGISTRY_JSON = {"content-type": "application/vnd.schemaregistry.v1+json"}


def frame(schema_id: int, payload: bytes) -> bytes:
    return b"\0" + struct.pack(">I", schema_id) + payload


def avro_order(order_id: int, sku: str) -> bytes:
    zigzag = (order_id << 1) ^ (order_id >> 63)
    out = bytearray()
    while zigzag > 0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    encoded = sku.encode()
    return bytes(out) + bytes([len(encoded) << 1]) + encoded


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with charter_serve(tmp_path_factory.mktemp("serve")) as url:
        yield url


def register(url: str, subject: str, schema: dict[str, object]) -> int:
    r = httpx.post(
        f"{url}/subjects/{subject}/versions",
        content=json.dumps({"schema": json.dumps(schema)}),
        headers=REGISTRY_JSON,
    )
    assert r.status_code == 200, r.text
    schema_id: int = r.json()["id"]
    return schema_id


def test_produce_and_fetch_through_charter_serve(server: str) -> None:
    with BrokerClient(server) as client:
        client.create_topic("plain", TopicConfig(partitions=2))
        assert "plain" in client.list_topics()
        offsets = client.produce("plain", [ProducerRecord(key=b"k", value=b"v1")])
        partition, offset = offsets[0]
        fetched = client.fetch("plain", partition, offset)
        assert [r.value for r in fetched.records] == [b"v1"]
    assert httpx.get(f"{server}/openapi.json").json()["paths"].get("/broker/topics")


def test_contract_id_rejects_an_unregistered_schema_id(server: str) -> None:
    schema_id = register(server, "orders-value", ORDER)
    other_id = register(server, "other-value", {"type": "string"})
    with BrokerClient(server) as client:
        client.create_topic("orders", TopicConfig(contract="id"))
        good = ProducerRecord(key=None, value=frame(schema_id, avro_order(7, "A-1")))
        assert client.produce("orders", [good])
        for value, reason in [
            (frame(other_id, b"\x02a"), "not registered under subject 'orders-value'"),
            (b"plain text", "magic byte"),
            (b"\0\0", "shorter than the 5-byte"),
        ]:
            with pytest.raises(ContractViolationError) as caught:
                client.produce("orders", [good, ProducerRecord(key=None, value=value)])
            assert reason in str(caught.value)
            assert "1" in str(caught.value)  # the index of the offending record
        assert client.offsets("orders", 0)[1] == 1  # rejected batches appended nothing


def test_contract_validate_checks_the_payload(server: str) -> None:
    schema_id = register(server, "checked-value", ORDER)
    with BrokerClient(server) as client:
        client.create_topic("checked", TopicConfig(contract="validate"))
        assert client.produce(
            "checked", [ProducerRecord(key=None, value=frame(schema_id, avro_order(1, "B")))]
        )
        for payload in (b"\x02", avro_order(1, "B") + b"extra"):
            with pytest.raises(ContractViolationError) as caught:
                client.produce(
                    "checked", [ProducerRecord(key=None, value=frame(schema_id, payload))]
                )
            assert f"does not match schema id {schema_id}" in str(caught.value)
        assert client.offsets("checked", 0)[1] == 1


def test_contract_validate_checks_json_payloads(server: str) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    r = httpx.post(
        f"{server}/subjects/events-value/versions",
        content=json.dumps({"schema": json.dumps(schema), "schemaType": "JSON"}),
        headers=REGISTRY_JSON,
    )
    schema_id = r.json()["id"]
    with BrokerClient(server) as client:
        client.create_topic("events", TopicConfig(contract="validate"))
        client.produce("events", [ProducerRecord(key=None, value=frame(schema_id, b'{"n": 1}'))])
        with pytest.raises(ContractViolationError) as caught:
            client.produce(
                "events", [ProducerRecord(key=None, value=frame(schema_id, b'{"n": "x"}'))]
            )
        assert "at /n" in str(caught.value)
