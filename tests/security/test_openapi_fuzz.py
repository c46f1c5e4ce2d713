"""A bounded schemathesis run over the OpenAPI document of the registry and the broker.

The app is put together as `charter serve` does (registry, broker, console, metrics, body
limits, the security guard with `--auth none`) on SQLite in a temporary directory, and
schemathesis calls it in-process through ASGI with cases generated from `/openapi.json`.
Every answer must be below 500, carry a status and a content type the document lists for the
operation, and match the schema documented for that status.

`CHARTER_FUZZ_EXAMPLES` sets the examples per operation (default 5);
`CHARTER_FUZZ_SEED` a seed (default fixed, so a failure reproduces).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from broker import Broker
from broker.config import Limits
from broker.http import KafkaAddress, body_limits, create_router
from broker.record import ProducerRecord
from broker.wire import BATCH_MEDIA_TYPE, encode_produce_body
from registry import Settings, create_app
from registry.app import build_registry
from registry.console import create_console_router
from registry.contracts import RegistryContracts
from registry.limits import BodyLimit
from registry.metrics import Metrics
from registry.observe import install as install_observability
from registry.security import SecuritySettings, build_guard, protect
from sdk.rules import write_conditions

EXAMPLES = int(os.environ.get("CHARTER_FUZZ_EXAMPLES", "5"))
SEED = int(os.environ.get("CHARTER_FUZZ_SEED", "1313"))
# Small enough that a generated long-poll or topic costs little; the shape is what is tested.
LIMITS = Limits(poll_timeout_ms_max=50, partitions_max=4, session_timeout_ms_max=1_000)
# Produce bodies are binary record batches: generated as raw bytes (mostly not a valid batch,
# which must get a 400, not a 500).
schemathesis.serializer.alias(BATCH_MEDIA_TYPE, "application/octet-stream")
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _serve_app(data_dir: Path) -> tuple[Any, Any]:
    """The ASGI app `charter serve --auth none` runs, and a function that closes it."""
    settings = Settings(data_dir=data_dir)
    registry = build_registry(settings)
    broker = Broker(
        data_dir / "broker",
        limits=LIMITS,
        contracts=RegistryContracts(registry.service, rules=write_conditions),
        maintenance_interval_ms=None,
    )
    metrics = Metrics(registry.service, broker)
    broker.observer = metrics
    app = create_app(
        settings,
        registry=registry,
        extra_routers=[
            # the Kafka listener's address as serve hands it over (GET /broker/kafka names it)
            create_router(broker, kafka=KafkaAddress("127.0.0.1", 9092, ("PLAIN",))),
            create_console_router(registry.service, broker),
        ],
        body_limits=[BodyLimit(p, n, "application/json") for p, n in body_limits(broker.limits)],
    )
    install_observability(app, metrics)
    guard = build_guard(registry, SecuritySettings())

    def close() -> None:
        guard.close()
        broker.close()
        registry.close()

    return protect(app, guard), close


def _seed(app: Any) -> dict[str, str]:
    """Something to find: a subject with two versions, a topic with a record, a group with a
    commit. Returns the path values that name them."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    guid = ""
    for fields in ([], [{"name": "a", "type": "int", "default": 0}]):
        schema = {"type": "record", "name": "Order", "fields": fields}
        r = client.post("/subjects/orders-value/versions", json={"schema": json.dumps(schema)})
        assert r.status_code == 200, r.text
        guid = r.json()["guid"]
    assert client.post("/broker/topics", json={"name": "orders"}).status_code == 201
    body = encode_produce_body([ProducerRecord(b"v")], default_timestamp_ms=1)
    r = client.post("/broker/topics/orders/records", content=body,
                    headers={"content-type": BATCH_MEDIA_TYPE})
    assert r.status_code == 200, r.text
    r = client.post("/broker/groups/billing/offsets",
                    json={"offsets": [{"topic": "orders", "partition": 0, "offset": 0}]})
    assert r.status_code == 204, r.text
    return {"subject": "orders-value", "version": "1", "schema_id": "1", "id": "2",
            "guid": guid, "topic": "orders", "partition": "0", "group": "billing"}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    app, close = _serve_app(tmp_path_factory.mktemp("fuzz"))
    try:
        yield app, _seed(app)
    finally:
        close()


@pytest.fixture(scope="module")
def fuzz_schema(served: tuple[Any, dict[str, str]]) -> Any:
    app, known = served
    config = SchemathesisConfig.from_dict({"seed": SEED})
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, config=config)

    @schema.hook
    def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> Any:
        # Random names find nothing stored; half the cases name what _seed stored instead.
        if not path_parameters:
            return st.just(path_parameters)
        named = {k: known.get(k, v) for k, v in path_parameters.items()}
        return st.sampled_from([path_parameters, named])

    return schema


def _has_invalid_inputs(operation: Any) -> bool:
    """Whether some input of the operation can be invalid: a body, or a parameter that is
    required or not a free string (a path segment may be any string)."""
    raw = operation.definition.raw
    if "requestBody" in raw:
        return True
    for parameter in raw.get("parameters", ()):
        if parameter.get("in") == "path":
            continue
        kind = parameter.get("schema", {}).get("type")
        if parameter.get("required") or kind not in (None, "string"):
            return True
    return False


def _failures(operation: Any, mode: GenerationMode) -> list[str]:
    """What the bounded run finds on one operation: empty when every answer holds."""

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.seed(SEED)
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        case.call_and_validate(checks=CHECKS)

    try:
        run()
    except hypothesis.errors.Unsatisfiable:  # nothing invalid to generate for it
        return []
    except (Exception, FailureGroup) as exc:  # the smallest failing case's failures
        return [f"{operation.label} ({mode.value}): {exc}"]
    return []


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda m: m.value)
def test_every_operation_answers_as_documented(fuzz_schema: Any, mode: GenerationMode) -> None:
    operations = [result.ok() for result in fuzz_schema.get_all_operations()]
    assert len(operations) > 50  # the registry's and the broker's routes are all there
    if mode is GenerationMode.NEGATIVE:
        operations = [o for o in operations if _has_invalid_inputs(o)]
    found = [f for operation in operations for f in _failures(operation, mode)]
    assert not found, "\n\n".join(found)


def test_the_document_names_every_body_and_answer(served: tuple[Any, dict[str, str]]) -> None:
    from fastapi.testclient import TestClient

    doc = TestClient(served[0]).get("/openapi.json").json()
    operations = {(m.upper(), p): op for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert ("GET", "/schemas/ids/{id}") in operations
    bodiless = {("POST", "/broker/groups/{group}/members/{member_id}/sync")}
    for (method, path), op in operations.items():
        answers = set(op["responses"])
        assert {"422", "500", "503"} <= answers, (method, path)
        if path != "/health":
            assert {"401", "403"} <= answers, (method, path)
        undelete = path.endswith("/undelete")  # the DEK registry's undeletes take no body
        if method in ("POST", "PUT", "PATCH") and (method, path) not in bodiless and not undelete:
            assert op.get("requestBody", {}).get("content"), (method, path)
            assert {"400", "413", "415"} <= answers, (method, path)
        for status, answer in op["responses"].items():
            if status.startswith(("4", "5")):
                schema = answer["content"]["application/json"]["schema"]
                assert {"error_code", "message"} <= set(schema["properties"]), (method, path)
    registry_writes = {
        ("POST", "/subjects/{subject}"),
        ("POST", "/subjects/{subject}/versions"),
        ("POST", "/compatibility/subjects/{subject}/versions"),
        ("POST", "/compatibility/subjects/{subject}/versions/{version}"),
        ("PUT", "/config"),
        ("PUT", "/config/{subject}"),
        ("PUT", "/mode"),
        ("PUT", "/mode/{subject}"),
    }
    assert registry_writes <= set(operations)  # with their bodies, checked above
