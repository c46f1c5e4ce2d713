from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import pytest

from sdk import ENVELOPE_AVRO_SCHEMA, ENVELOPE_JSON_SCHEMA, Event, ValidationError, event_schema
from sdk.avro_check import AvroValidator
from sdk.codecs import avro_schema
from sdk.json_check import JsonValidator
from sdk.ulid import is_ulid, new_ulid, ulid_time_ms
from tests.sdk.conftest import SCHEMAS, load


def test_new_event_gets_ulid_and_utc_timestamp() -> None:
    event = Event("order.placed", "/services/orders", {"orderId": "1"})
    assert is_ulid(event.event_id)
    assert event.timestamp.endswith("Z")
    parsed = datetime.fromisoformat(event.timestamp)
    assert abs(parsed.timestamp() - time.time()) < 60
    assert event.version == 1


def test_event_ids_are_unique_and_sorted_by_creation() -> None:
    ids = [new_ulid() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_ulid_carries_its_time() -> None:
    assert ulid_time_ms(new_ulid(now_ms=1_700_000_000_123)) == 1_700_000_000_123
    assert not is_ulid("not-a-ulid")


def test_to_dict_matches_the_json_envelope() -> None:
    event = Event("order.placed", "/services/orders", {"orderId": "1"}, version=2)
    value = event.to_dict()
    assert list(value) == ["eventType", "eventId", "timestamp", "version", "source", "data"]
    assert JsonValidator(ENVELOPE_JSON_SCHEMA).violations(value) == []
    assert Event.from_dict(value) == event


def test_envelope_rejects_local_time_and_impossible_dates() -> None:
    value = Event("order.placed", "/o", {}).to_dict()
    validator = JsonValidator(ENVELOPE_JSON_SCHEMA)
    assert [
        v.path for v in validator.violations({**value, "timestamp": "2026-02-30T00:00:00Z"})
    ] == ["/timestamp"]
    assert [
        v.path for v in validator.violations({**value, "timestamp": "2026-01-01T00:00:00+02:00"})
    ] == ["/timestamp"]


def test_from_dict_names_every_missing_field() -> None:
    with pytest.raises(ValidationError) as info:
        Event.from_dict({"eventType": "x", "data": {}})
    assert [v.path for v in info.value.violations] == [
        "/eventId",
        "/timestamp",
        "/version",
        "/source",
    ]


def test_cloudevents_mapping_round_trips() -> None:
    event = Event("order.placed", "/services/orders", {"orderId": "1"}, version=3)
    ce = event.to_cloudevent(data_schema="http://registry:8081/schemas/ids/7")
    assert ce["specversion"] == "1.0"
    assert (ce["id"], ce["type"], ce["source"], ce["time"]) == (
        event.event_id,
        "order.placed",
        "/services/orders",
        event.timestamp,
    )
    assert ce["dataversion"] == 3
    assert ce["dataschema"].endswith("/7")
    assert Event.from_cloudevent(ce) == event


def test_schema_files_match_the_sdk() -> None:
    assert load("envelope/event.schema.json") == ENVELOPE_JSON_SCHEMA
    assert load("envelope/event.avsc") == ENVELOPE_AVRO_SCHEMA


@pytest.mark.parametrize("kind,suffix", [("AVRO", "avsc"), ("JSON", "schema.json")])
def test_order_placed_is_the_envelope_around_its_data(kind: str, suffix: str) -> None:
    full: dict[str, Any] = load(f"examples/order.placed.{suffix}")
    data_schema = (
        next(f["type"] for f in full["fields"] if f["name"] == "data")
        if kind == "AVRO"
        else full["properties"]["data"]
    )
    rebuilt = event_schema(
        data_schema,
        schema_type=kind,
        name="charter.examples.orders.OrderPlaced",
        event_type="order.placed",
    )
    assert rebuilt == full


def test_every_schema_file_parses() -> None:
    import fastavro
    import jsonschema

    files = sorted(SCHEMAS.rglob("*.avsc")) + sorted(SCHEMAS.rglob("*.json"))
    assert len(files) >= 4
    for path in files:
        schema = json.loads(path.read_text())
        if path.suffix == ".avsc":
            fastavro.parse_schema(schema)
            AvroValidator(avro_schema(schema).root)
        else:
            jsonschema.validators.validator_for(schema).check_schema(schema)
