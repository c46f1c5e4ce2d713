"""Shared fixtures for the SDK tests: example schemas and valid order.placed events."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sdk import Registry

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"


def load(relative: str) -> Any:
    return json.loads((SCHEMAS / relative).read_text())


@pytest.fixture
def order_avro_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load("examples/order.placed.avsc")
    return schema


@pytest.fixture
def order_json_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load("examples/order.placed.schema.json")
    return schema


def order_avro_event(**data: Any) -> dict[str, Any]:
    body = {
        "orderId": "ord-1001",
        "customerId": "cus-42",
        "items": [
            {"sku": "SKU-RED-MUG", "quantity": 2, "unitPrice": Decimal("9.50")},
            {"sku": "SKU-TEA-100", "quantity": 1, "unitPrice": Decimal("4.25")},
        ],
        "total": Decimal("23.25"),
        "currency": "EUR",
        "placedAt": datetime(2026, 11, 26, 20, 15, 3, 123000, tzinfo=UTC),
    }
    body.update(data)
    return {
        "eventType": "order.placed",
        "eventId": "01JDQ3V8X6Y3ZK1B2C3D4E5F6G",
        "timestamp": "2026-11-26T20:15:03.123Z",
        "version": 1,
        "source": "/services/orders",
        "data": body,
    }


def order_json_event(**data: Any) -> dict[str, Any]:
    body = {
        "orderId": "ord-1001",
        "customerId": "cus-42",
        "items": [
            {"sku": "SKU-RED-MUG", "quantity": 2, "unitPrice": "9.50"},
            {"sku": "SKU-TEA-100", "quantity": 1, "unitPrice": "4.25"},
        ],
        "total": "23.25",
        "currency": "EUR",
        "placedAt": "2026-11-26T20:15:03.123Z",
    }
    body.update(data)
    return {
        "eventType": "order.placed",
        "eventId": "01JDQ3V8X6Y3ZK1B2C3D4E5F6G",
        "timestamp": "2026-11-26T20:15:03.123Z",
        "version": 1,
        "source": "/services/orders",
        "data": body,
    }


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a real `charter serve` shared by the session's integration tests."""
    from tests.sdk.server import charter_serve, registry_available

    if not registry_available():
        pytest.skip("registry not yet available")
    with charter_serve(tmp_path_factory.mktemp("charter-sdk")) as url:
        yield url


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    with Registry(registry_url, retries=2, backoff_s=0.01) as client:
        yield client


@pytest.fixture
def topic() -> str:
    """A topic name no other test uses, so subjects never collide."""
    return f"t{uuid.uuid4().hex[:12]}"
