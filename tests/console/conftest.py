"""A real `charter serve` with Avro and JSON subjects of several versions, a topic with
records (one of them failing the topic's contract) and a lagging consumer group."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import fastavro
import httpx
import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient, header_schema_id_serializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from broker import ProducerRecord
from broker.client import BrokerClient
from cli.spawn import spawn_serve
from tests.protoc import generated

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
TIMED_TOPIC = "timed"
TIMED_BASE_MS = 1_700_000_000_000  # 2023-11-14T22:13:20Z; records one second apart
SAMPLE_S = 0.3  # the console's sampling interval in these tests
PROTO_TOPIC = "shipments"
PROTO_V1 = """\
syntax = "proto3";
package charter.console.v1;

import "google/protobuf/timestamp.proto";

message Shipment {
  string id = 1;
  google.protobuf.Timestamp shipped_at = 2;
  repeated Parcel parcels = 3;

  message Parcel {
    string tracking = 1;
    double weight_kg = 2;
  }
}

message Refund {
  string shipment_id = 1;
  int64 cents = 2;
}
"""
# v2 changes the type of Shipment.id: Confluent's FIELD_SCALAR_KIND_CHANGED
PROTO_V2 = PROTO_V1.replace("  string id = 1;", "  int64 id = 1;")


@dataclass(frozen=True)
class Seeded:
    url: str
    order_ids: tuple[int, ...]
    proto_id: int


def protobuf_records(url: str, tmp: Path) -> tuple[int, list[ProducerRecord]]:
    """Shipment and Refund values framed by confluent-kafka's ProtobufSerializer (which
    registers the file under `shipments-value`): message indexes [0] and [1]."""
    pb2 = generated(tmp, PROTO_V1, "charter_console_shipment")
    client = SchemaRegistryClient({"url": url})
    ctx = SerializationContext(PROTO_TOPIC, MessageField.VALUE)
    shipment = pb2.Shipment(id="s-1")
    shipment.shipped_at.seconds = 1_700_000_000
    shipment.parcels.add(tracking="T1", weight_kg=1.25)
    refund = pb2.Refund(shipment_id="s-1", cents=250)
    values = [ProtobufSerializer(cls, client, {"use.deprecated.format": False})(msg, ctx)
              for cls, msg in ((pb2.Shipment, shipment), (pb2.Refund, refund))]
    schema_id = int.from_bytes(values[0][1:5], "big")
    records = [ProducerRecord(v, key=f"p-{i}".encode()) for i, v in enumerate(values)]
    # Confluent 8's header framing: the schema's GUID in `__value_schema_id`, indexes in front
    headers: list[tuple[str, bytes]] = []
    in_header = ProtobufSerializer(pb2.Refund, client, {
        "use.deprecated.format": False, "schema.id.serializer": header_schema_id_serializer,
    })(pb2.Refund(shipment_id="s-2", cents=99), SerializationContext(
        PROTO_TOPIC, MessageField.VALUE, headers))
    records.append(ProducerRecord(in_header, key=b"p-2", headers=tuple(headers)))
    return schema_id, records


def register(client: httpx.Client, subject: str, schema: dict | str,
             schema_type: str = "AVRO") -> int:
    body: dict = {"schema": schema if isinstance(schema, str) else json.dumps(schema)}
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
    with spawn_serve(tmp_path_factory.mktemp("console"),
                     extra_args=["--console-sample-s", str(SAMPLE_S)]) as url, \
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
        broker.create_topic(TIMED_TOPIC)
        broker.produce(TIMED_TOPIC, [
            ProducerRecord(f"t{i}".encode(), timestamp_ms=TIMED_BASE_MS + 1000 * i)
            for i in range(5)
        ])
        proto_id, records = protobuf_records(url, tmp_path_factory.mktemp("proto"))
        broker.create_topic(PROTO_TOPIC)
        broker.produce(PROTO_TOPIC, records)
        put = client.put(f"/config/{PROTO_TOPIC}-value", json={"compatibility": "NONE"})
        assert put.status_code == 200
        register(client, f"{PROTO_TOPIC}-value", PROTO_V2, "PROTOBUF")
        put = client.put(f"/config/{PROTO_TOPIC}-value", json={"compatibility": "BACKWARD"})
        assert put.status_code == 200
        broker.close()
        yield Seeded(url, tuple(ids), proto_id)


@dataclass(frozen=True)
class Keyed:
    """A `charter serve --auth required` whose reader key sees `team-a.` names only."""

    url: str
    admin: tuple[str, str]
    reader: tuple[str, str]
    hidden_id: int  # a schema under team-b., which the reader may not read


def create_key(data_dir: Path, name: str, *args: str) -> tuple[str, str]:
    """`charter keys create`, run in this process (a child per key costs seconds here)."""
    from typer.testing import CliRunner

    from cli.main import app

    done = CliRunner().invoke(app, ["keys", "create", name, *args, "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    key, _, secret = done.stdout.strip().splitlines()[-1].partition(":")
    return key, secret


@pytest.fixture(scope="package")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Keyed]:
    data_dir = tmp_path_factory.mktemp("console-keyed")
    admin = create_key(data_dir, "console-admin", "--role", "admin")
    reader = create_key(data_dir, "console-reader", "--role", "reader",
                        "--subject-prefix", "team-a.", "--topic-prefix", "team-a.")
    with spawn_serve(data_dir, extra_args=["--auth", "required",
                                           "--console-sample-s", str(SAMPLE_S)]) as url, \
            httpx.Client(base_url=url, timeout=30, auth=admin) as client:
        shown_id = register(client, "team-a.orders-value", ORDER_V1)
        hidden_id = register(client, "team-b.secret-value", {**ORDER_V1, "name": "Secret"})
        for name in ("team-a.orders", "team-b.secret"):
            assert client.post("/broker/topics", json={"name": name}).status_code == 201
        broker = BrokerClient(url, client=client)
        broker.produce("team-a.orders", [
            ProducerRecord(avro_value(shown_id, ORDER_V1, {"id": 7, "amount": 1.5})),
            # written with the other team's schema: the reader sees it undecoded
            ProducerRecord(avro_value(hidden_id, ORDER_V1, {"id": 8, "amount": 2.5})),
        ])
        broker.groups.commit("shared", {("team-a.orders", 0): 1, ("team-b.secret", 0): 0})
        yield Keyed(url, admin, reader, hidden_id)
