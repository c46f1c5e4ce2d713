"""Re-registration and lookup answered from memory (`registry.answers`) stay exact.

Each test warms the memory (the same request twice, the second served from it, as the hit
counter shows), changes the data in a way that changes the answer, and checks the next answer
against what the database says (the same request with memory turned off) and against the
answer Confluent's rules give."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry import Settings, create_app
from registry.http import Registry
from tests.registry.conftest import Backend
from tests.registry.helpers import USER_V1, USER_V2, body

WAIT_S = 10.0


def trusted(registry: Registry) -> None:
    """On PostgreSQL memory is used only once the change listener hears notices."""
    if registry.listener is not None:
        assert registry.listener.wait_listening(WAIT_S)
    assert registry.service.trusted


@pytest.fixture
def api(client: TestClient, backend: Backend) -> Iterator[TestClient]:
    trusted(backend.registry)
    yield client


def answers(backend: Backend) -> Any:
    return backend.registry.service.caches.answers


def from_database(client: TestClient, backend: Backend, url: str, data: Any) -> Any:
    """The answer with memory turned off (the service then reads everything from the DB)."""
    caches = backend.registry.service.caches
    caches.trusted = False
    try:
        response = client.post(url, json=data)
    finally:
        caches.trusted = True
    return response.status_code, response.json()


def warm(client: TestClient, backend: Backend, url: str, data: Any) -> Any:
    """The answer, asked until it comes from memory (a registration that writes is not
    kept: the write invalidates; the next one is kept, the one after is a hit)."""
    first = client.post(url, json=data)
    client.post(url, json=data)
    hits = answers(backend).hits
    second = client.post(url, json=data)
    assert second.status_code == first.status_code == 200, second.text
    assert second.json() == first.json()
    assert answers(backend).hits == hits + 1
    return second.json()


def exact(client: TestClient, backend: Backend, url: str, data: Any) -> Any:
    """The served answer, checked against the database's."""
    response = client.post(url, json=data)
    assert (response.status_code, response.json()) == from_database(client, backend, url, data)
    return response.status_code, response.json()


def versions(client: TestClient, subject: str) -> list[int]:
    response = client.get(f"/subjects/{subject}/versions")
    return response.json() if response.status_code == 200 else []


def test_soft_then_permanent_delete_then_register_again(api: TestClient, backend: Backend) -> None:
    register, lookup = "/subjects/s/versions", "/subjects/s"
    schema_id = warm(api, backend, register, body(USER_V1))["id"]
    assert warm(api, backend, lookup, body(USER_V1))["version"] == 1

    assert api.delete("/subjects/s/versions/1").status_code == 200
    assert exact(api, backend, lookup, body(USER_V1))[0] == 404
    # The soft-deleted version does not count: registering again makes version 2.
    again = api.post(register, json=body(USER_V1)).json()
    assert (again["id"], again["version"]) == (schema_id, 2)
    assert versions(api, "s") == [2]
    assert warm(api, backend, lookup, body(USER_V1))["version"] == 2

    assert api.delete("/subjects/s").status_code == 200
    assert api.delete("/subjects/s?permanent=true").status_code == 200
    assert exact(api, backend, lookup, body(USER_V1))[0] == 404
    assert api.post(register, json=body(USER_V1)).status_code == 200
    assert versions(api, "s") == [1]  # the subject starts again
    assert exact(api, backend, lookup, body(USER_V1))[1]["version"] == 1


def test_a_config_default_that_changes_identity_makes_a_new_version(
    api: TestClient, backend: Backend
) -> None:
    register = "/subjects/s/versions"
    first = warm(api, backend, register, body(USER_V1))["id"]
    config = {"defaultMetadata": {"properties": {"owner": "team-a"}}}
    assert api.put("/config/s", json=config).status_code == 200
    # The default metadata is part of what a registration stores: a new version, a new id.
    second = api.post(register, json=body(USER_V1)).json()["id"]
    assert second != first
    assert versions(api, "s") == [1, 2]
    assert warm(api, backend, register, body(USER_V1))["id"] == second
    looked_up = exact(api, backend, "/subjects/s", body(USER_V1))[1]
    assert looked_up["version"] == 2
    assert looked_up["metadata"]["properties"] == {"owner": "team-a"}

    # The same through the registry-wide config.
    override = {"overrideMetadata": {"properties": {"tier": "gold"}}}
    assert api.put("/config", json=override).status_code == 200
    third = api.post(register, json=body(USER_V1)).json()["id"]
    assert third not in (first, second)
    assert versions(api, "s") == [1, 2, 3]


def test_modes_are_obeyed(api: TestClient, backend: Backend) -> None:
    register = "/subjects/s/versions"
    warm(api, backend, register, body(USER_V1))
    assert api.put("/mode/s", json={"mode": "READONLY"}).status_code == 200
    status, answer = exact(api, backend, register, body(USER_V1))
    assert (status, answer["error_code"]) == (422, 42205)
    assert api.put("/mode", json={"mode": "READONLY_OVERRIDE"}).status_code == 200
    assert api.delete("/mode/s").status_code == 200
    assert exact(api, backend, register, body(USER_V1))[0] == 422
    assert api.put("/mode", json={"mode": "READWRITE"}).status_code == 200
    assert exact(api, backend, register, body(USER_V1))[0] == 200


def test_a_new_version_changes_the_latest_answer_and_contexts_are_apart(
    api: TestClient, backend: Backend
) -> None:
    assert api.post("/subjects/other/versions", json=body(USER_V2)).status_code == 200
    in_default = warm(api, backend, "/subjects/s/versions", body(USER_V1))["id"]
    in_context = warm(api, backend, "/contexts/.a/subjects/s/versions", body(USER_V1))["id"]
    assert (in_default, in_context) == (2, 1)  # one id space per context
    found = warm(api, backend, "/subjects/:.a:s", body(USER_V1))
    assert (found["subject"], found["id"]) == (":.a:s", 1)
    assert warm(api, backend, "/contexts/.a/subjects/s", body(USER_V1)) == found

    # A change in the context leaves the default context's answers right, and the other way.
    assert api.delete("/subjects/:.a:s/versions/1").status_code == 200
    assert exact(api, backend, "/contexts/.a/subjects/s", body(USER_V1))[0] == 404
    assert exact(api, backend, "/subjects/s", body(USER_V1))[1]["id"] == 2
    assert api.post("/subjects/s/versions", json=body(USER_V2)).status_code == 200
    assert exact(api, backend, "/subjects/s", body(USER_V2))[1]["version"] == 2
    assert exact(api, backend, "/subjects/s", body(USER_V1))[1]["version"] == 1


def test_errors_and_odd_requests_are_not_kept(api: TestClient, backend: Backend) -> None:
    assert exact(api, backend, "/subjects/s", body(USER_V1))[0] == 404
    assert api.post("/subjects/s/versions", json=body(USER_V1)).status_code == 200
    assert exact(api, backend, "/subjects/s", body(USER_V1))[0] == 200
    before = len(answers(backend))
    bad = api.post("/subjects/s/versions", content=b'{"schema": ', headers={
        "Content-Type": "application/json"})
    assert bad.status_code == 400
    assert len(answers(backend)) == before
    # A body sent in chunks (no Content-Length) takes the ordinary way, and is right.
    data = json.dumps(body(USER_V1)).encode()
    hits = answers(backend).hits
    chunked = api.post("/subjects/s", content=iter([data[:10], data[10:]]),
                       headers={"Content-Type": "application/json"})
    assert (chunked.status_code, chunked.json()["version"]) == (200, 1)
    assert answers(backend).hits == hits


@pytest.mark.postgres
def test_another_process_change_reaches_its_answers(postgres_url: str, tmp_path: Path) -> None:
    """Two apps on one database: a change through one drops the other's kept answers."""
    one = create_app(Settings(data_dir=tmp_path / "one", database_url=postgres_url))
    two = create_app(Settings(data_dir=tmp_path / "two", database_url=postgres_url))
    a, b = TestClient(one), TestClient(two)
    registry_b: Registry = two.state.registry
    try:
        trusted(one.state.registry)
        trusted(registry_b)
        subject = f"cross-{time.monotonic_ns()}"
        url = f"/subjects/{subject}/versions"
        assert a.post(url, json=body(USER_V1)).status_code == 200
        for _ in range(2):
            assert b.post(url, json=body(USER_V1)).status_code == 200
        assert len(registry_b.service.caches.answers) >= 1
        assert a.delete(f"/subjects/{subject}/versions/1").status_code == 200
        deadline = time.monotonic() + WAIT_S
        while len(registry_b.service.caches.answers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert b.post(url, json=body(USER_V1)).status_code == 200
        assert b.get(f"/subjects/{subject}/versions").json() == [2]
    finally:
        one.state.registry.close()
        two.state.registry.close()


def test_answers_from_memory_are_counted_under_their_route(tmp_path: Path) -> None:
    from registry.metrics import Metrics
    from registry.observe import install

    app = create_app(Settings(data_dir=tmp_path))
    install(app, Metrics(app.state.registry.service))
    client = TestClient(app)
    try:
        for _ in range(3):
            assert client.post("/subjects/s/versions", json=body(USER_V1)).status_code == 200
            assert client.post("/subjects/s", json=body(USER_V1)).status_code == 200
        assert app.state.registry.service.caches.answers.hits >= 2
        text = client.get("/metrics").text
        assert "charter_registry_registrations_total 3.0" in text
        assert ('charter_http_requests_total{method="POST",route="/subjects/{subject}",'
                'status="200"} 3.0') in text
        assert 'route="unmatched"' not in text
    finally:
        app.state.registry.close()
