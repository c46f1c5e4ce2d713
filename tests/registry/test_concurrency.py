"""Concurrent registrations in one process: dense versions, one id per schema, no 500."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.registry.helpers import body, record

THREADS = 64


def _register(client: TestClient, subject: str, schema: str) -> tuple[int, int]:
    response = client.post(f"/subjects/{subject}/versions", json=body(schema))
    return response.status_code, response.json().get("id", -1)


def test_distinct_schemas_from_64_threads(client: TestClient) -> None:
    client.put("/config/busy", json={"compatibility": "NONE"})
    schemas = [record(f"R{i}", ("a", "int")) for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda s: _register(client, "busy", s), schemas))
    assert [status for status, _ in results] == [200] * THREADS
    ids = [schema_id for _, schema_id in results]
    assert len(set(ids)) == THREADS
    assert client.get("/subjects/busy/versions").json() == list(range(1, THREADS + 1))
    by_version = {
        client.get(f"/subjects/busy/versions/{v}").json()["id"] for v in range(1, THREADS + 1)
    }
    assert by_version == set(ids)


def test_identical_schema_from_64_threads_in_several_subjects(client: TestClient) -> None:
    schema = record("Same", ("a", "int"))
    subjects = [f"s{i % 4}" for i in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(lambda s: _register(client, s, schema), subjects))
    assert {status for status, _ in results} == {200}
    assert len({schema_id for _, schema_id in results}) == 1
    for subject in set(subjects):
        assert client.get(f"/subjects/{subject}/versions").json() == [1]
