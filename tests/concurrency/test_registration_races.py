"""Concurrent registrations over real HTTP never break the store's rules.

Versions stay dense from 1 with no duplicates, one schema gets one id (in every subject), an
identical schema makes one version, and no request fails with a 5xx: with 64 threads on one
process (SQLite and PostgreSQL), on two processes sharing one PostgreSQL database, and under a
mixed workload of registrations, reads and deletes.
"""

from __future__ import annotations

import json
import random
import secrets
import threading
from collections import defaultdict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.concurrency.conftest import postgres_with_connection_limit
from tests.interop.server import (
    charter_server,
    launch,
    scratch_postgres_database,
    skip_without_postgres,
    stop,
    wait_healthy,
)

THREADS = 64
CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
pytestmark = pytest.mark.timeout(120)


@dataclass(frozen=True)
class Attempt:
    subject: str
    schema: str
    status: int
    body: object


def record_schema(salt: str, variant: int) -> str:
    """Distinct Avro records (compatible only under NONE); `salt` keeps them new to the server."""
    return json.dumps({
        "type": "record",
        "name": "Reading",
        "namespace": f"com.acme.sensors.{salt.replace('-', '_')}",
        "fields": [{"name": f"value_{variant}", "type": "double"}],
    })


def canonical(schema: str) -> str:
    """The registry may re-serialise a schema; compare JSON values, not texts."""
    return json.dumps(json.loads(schema), sort_keys=True)


def register_all(plan: Sequence[tuple[str, str, str]]) -> list[Attempt]:
    """Run every (base_url, subject, schema) registration at once, one thread each."""
    barrier = threading.Barrier(len(plan))
    limits = httpx.Limits(max_connections=len(plan), max_keepalive_connections=len(plan))
    with httpx.Client(timeout=60.0, limits=limits, headers=CONTENT_TYPE) as http:

        def register(step: tuple[str, str, str]) -> Attempt:
            base_url, subject, schema = step
            barrier.wait()
            response = http.post(f"{base_url}/subjects/{subject}/versions",
                                 content=json.dumps({"schema": schema}))
            try:
                body: object = response.json()
            except ValueError:
                body = response.text
            return Attempt(subject, schema, response.status_code, body)

        with ThreadPoolExecutor(max_workers=len(plan)) as pool:
            return list(pool.map(register, plan))


def set_level(base_url: str, subject: str, level: str) -> None:
    response = httpx.put(f"{base_url}/config/{subject}", headers=CONTENT_TYPE,
                         content=json.dumps({"compatibility": level}))
    assert response.status_code == 200, response.text


def stored_versions(base_url: str, subject: str) -> dict[int, tuple[int, str]]:
    """version -> (id, schema) as the registry now reports them."""
    with httpx.Client(timeout=30.0) as http:
        response = http.get(f"{base_url}/subjects/{subject}/versions")
        assert response.status_code == 200, response.text
        versions: list[int] = response.json()
        stored = {}
        for version in versions:
            got = http.get(f"{base_url}/subjects/{subject}/versions/{version}")
            assert got.status_code == 200, got.text
            body = got.json()
            assert body["version"] == version
            stored[version] = (body["id"], body["schema"])
        return stored


def assert_invariants(attempts: list[Attempt], stored: dict[int, tuple[int, str]],
                      distinct_schemas: int) -> None:
    failures = [(a.status, a.body) for a in attempts if a.status != 200]
    assert not failures, f"{len(failures)} registrations failed, e.g. {failures[:3]}"

    ids_by_schema: dict[str, set[int]] = defaultdict(set)
    for attempt in attempts:
        assert isinstance(attempt.body, dict)
        ids_by_schema[canonical(attempt.schema)].add(attempt.body["id"])
    assert all(len(ids) == 1 for ids in ids_by_schema.values()), ids_by_schema
    id_of = {schema: next(iter(ids)) for schema, ids in ids_by_schema.items()}
    assert len(set(id_of.values())) == distinct_schemas, "two schemas share an id"

    assert sorted(stored) == list(range(1, distinct_schemas + 1)), "versions are not dense"
    stored_ids = [schema_id for schema_id, _ in stored.values()]
    assert len(set(stored_ids)) == len(stored_ids), "one schema stored under two versions"
    assert set(stored_ids) == set(id_of.values())
    for schema_id, schema in stored.values():
        assert id_of[canonical(schema)] == schema_id


def test_distinct_schemas_in_one_subject(base_url: str, subject: str) -> None:
    set_level(base_url, subject, "NONE")
    plan = [(base_url, subject, record_schema(subject, i)) for i in range(THREADS)]
    attempts = register_all(plan)
    assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=THREADS)


def test_identical_schema_in_one_subject(base_url: str, subject: str) -> None:
    plan = [(base_url, subject, record_schema(subject, 0))] * THREADS
    attempts = register_all(plan)
    assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=1)
    assert {a.body["id"] for a in attempts if isinstance(a.body, dict)} == {
        stored_versions(base_url, subject)[1][0]
    }


def test_a_few_schemas_each_raced_by_many_threads(base_url: str, subject: str) -> None:
    set_level(base_url, subject, "NONE")
    plan = [(base_url, subject, record_schema(subject, i % 8)) for i in range(THREADS)]
    attempts = register_all(plan)
    assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=8)


def race_one_schema_into_many_subjects(base_urls: list[str], subject: str) -> None:
    subjects = [f"{subject}-{n}" for n in range(8)]
    schema = record_schema(subject, 99)
    plan = [(base_urls[i % len(base_urls)], subjects[i % 8], schema) for i in range(THREADS)]
    attempts = register_all(plan)

    assert [a for a in attempts if a.status != 200] == []
    ids = {a.body["id"] for a in attempts if isinstance(a.body, dict)}
    assert len(ids) == 1
    (schema_id,) = ids
    for base_url in base_urls:
        for name in subjects:
            stored = stored_versions(base_url, name)
            assert list(stored) == [1]
            assert stored[1][0] == schema_id
            assert canonical(stored[1][1]) == canonical(schema)


def test_one_schema_raced_into_many_subjects_gets_one_id(base_url: str, subject: str) -> None:
    race_one_schema_into_many_subjects([base_url], subject)


@pytest.mark.postgres
def test_two_processes_distinct_schemas(two_servers_one_postgres: list[str], subject: str) -> None:
    first = two_servers_one_postgres[0]
    set_level(first, subject, "NONE")
    plan = [(two_servers_one_postgres[i % 2], subject, record_schema(subject, i))
            for i in range(THREADS)]
    attempts = register_all(plan)
    for base_url in two_servers_one_postgres:
        assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=THREADS)


@pytest.mark.postgres
def test_two_processes_identical_schema(two_servers_one_postgres: list[str],
                                        subject: str) -> None:
    plan = [(two_servers_one_postgres[i % 2], subject, record_schema(subject, 0))
            for i in range(THREADS)]
    attempts = register_all(plan)
    for base_url in two_servers_one_postgres:
        assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=1)


@pytest.mark.postgres
def test_two_processes_one_schema_into_many_subjects(two_servers_one_postgres: list[str],
                                                     subject: str) -> None:
    race_one_schema_into_many_subjects(two_servers_one_postgres, subject)


@pytest.mark.postgres
def test_two_processes_overlapping_schemas(two_servers_one_postgres: list[str],
                                           subject: str) -> None:
    set_level(two_servers_one_postgres[1], subject, "NONE")
    plan = [(two_servers_one_postgres[i % 2], subject, record_schema(subject, i % 8))
            for i in range(THREADS)]
    attempts = register_all(plan)
    for base_url in two_servers_one_postgres:
        assert_invariants(attempts, stored_versions(base_url, subject), distinct_schemas=8)


@pytest.mark.postgres
def test_two_processes_started_together_on_a_fresh_database(tmp_path: Path) -> None:
    """Both run the migrations at start-up at the same moment; both must come up and agree."""
    skip_without_postgres()
    with scratch_postgres_database("charter_concurrency") as url:
        servers = [launch(tmp_path / name, url) for name in ("a", "b")]
        try:
            for server in servers:
                wait_healthy(server.base_url, server.process, server.log_path)
            subject = f"race-{secrets.token_hex(4)}"
            plan = [(servers[i % 2].base_url, subject, record_schema(subject, i % 4))
                    for i in range(16)]
            set_level(servers[0].base_url, subject, "NONE")
            attempts = register_all(plan)
            for server in servers:
                assert_invariants(attempts, stored_versions(server.base_url, subject),
                                  distinct_schemas=4)
        finally:
            for server in servers:
                stop(server.process)


@pytest.mark.postgres
def test_two_processes_on_a_database_that_refuses_connections_at_its_limit(
    tmp_path: Path, subject: str
) -> None:
    """A burst asks for more connections than PostgreSQL gives (its limit is shared with other
    clients): a refused connection is retried, so no registration answers 500."""
    skip_without_postgres()
    # 14: one listening connection per process and 12 for the 64 requests, which ask for up
    # to 2 x 32 at once; enough that a process keeping its pool's idle connections (up to
    # 10) leaves the other some.
    with (
        postgres_with_connection_limit(14) as url,
        charter_server(tmp_path / "a", url) as first,
        charter_server(tmp_path / "b", url) as second,
    ):
        base_urls = [first.base_url, second.base_url]
        set_level(first.base_url, subject, "NONE")
        plan = [(base_urls[i % 2], subject, record_schema(subject, i)) for i in range(THREADS)]
        attempts = register_all(plan)
        for base_url in base_urls:
            assert_invariants(attempts, stored_versions(base_url, subject),
                              distinct_schemas=THREADS)


def mixed_workload(base_urls: list[str], subject: str) -> list[tuple[str, int, str]]:
    """64 threads x 10 seeded random registrations, lookups, reads and soft and hard deletes."""
    subjects = [f"{subject}-{n}" for n in range(4)]
    for name in subjects:
        set_level(base_urls[0], name, "NONE")
    barrier = threading.Barrier(THREADS)
    limits = httpx.Limits(max_connections=THREADS, max_keepalive_connections=THREADS)
    with httpx.Client(timeout=60.0, limits=limits, headers=CONTENT_TYPE) as http:

        def worker(seed: int) -> list[tuple[str, int, str]]:
            rng = random.Random(seed)
            base_url = base_urls[seed % len(base_urls)]
            seen = []
            barrier.wait()
            for _ in range(10):
                name = rng.choice(subjects)
                body = json.dumps({"schema": record_schema(subject, rng.randrange(16))})
                path = f"{base_url}/subjects/{name}"
                kind = rng.choice(["register", "register", "lookup", "latest", "by-id",
                                   "soft-delete", "hard-delete"])
                if kind == "register":
                    response = http.post(f"{path}/versions", content=body)
                elif kind == "lookup":
                    response = http.post(path, content=body)
                elif kind == "latest":
                    response = http.get(f"{path}/versions/latest")
                elif kind == "by-id":
                    response = http.get(f"{base_url}/schemas/ids/{rng.randrange(1, 64)}")
                elif kind == "soft-delete":
                    response = http.delete(f"{path}/versions/latest")
                else:
                    response = http.delete(f"{path}/versions/{rng.randrange(1, 12)}",
                                           params={"permanent": "true"})
                seen.append((kind, response.status_code, response.text[:300]))
            return seen

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            return [step for steps in pool.map(worker, range(THREADS)) for step in steps]


def assert_store_consistent(base_url: str, subject: str) -> None:
    """Dense-or-growing versions, one id per schema everywhere, no schema live twice."""
    id_of: dict[str, int] = {}
    schema_of: dict[int, str] = {}
    with httpx.Client(timeout=30.0) as http:
        for name in [f"{subject}-{n}" for n in range(4)]:
            listed = http.get(f"{base_url}/subjects/{name}/versions", params={"deleted": "true"})
            if listed.status_code == 404:
                continue  # every version was hard-deleted
            versions = listed.json()
            assert versions == sorted(set(versions)), f"{name}: {versions}"
            live = http.get(f"{base_url}/subjects/{name}/versions").json()
            live = live if isinstance(live, list) else []
            live_schemas = []
            for version in versions:
                got = http.get(f"{base_url}/subjects/{name}/versions/{version}",
                               params={"deleted": "true"})
                assert got.status_code == 200, got.text
                body = got.json()
                key = canonical(body["schema"])
                assert id_of.setdefault(key, body["id"]) == body["id"], "one schema, two ids"
                assert schema_of.setdefault(body["id"], key) == key, "one id, two schemas"
                if version in live:
                    live_schemas.append(key)
            assert len(live_schemas) == len(set(live_schemas)), f"{name}: a schema live twice"


def test_mixed_reads_writes_and_deletes(base_url: str, subject: str) -> None:
    steps = mixed_workload([base_url], subject)
    assert [s for s in steps if s[1] >= 500] == []
    assert {status for _, status, _ in steps} <= {200, 404}
    assert_store_consistent(base_url, subject)


@pytest.mark.postgres
def test_two_processes_mixed_reads_writes_and_deletes(two_servers_one_postgres: list[str],
                                                      subject: str) -> None:
    steps = mixed_workload(two_servers_one_postgres, subject)
    assert [s for s in steps if s[1] >= 500] == []
    assert {status for _, status, _ in steps} <= {200, 404}
    for base_url in two_servers_one_postgres:
        assert_store_consistent(base_url, subject)
