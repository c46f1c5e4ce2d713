"""Two `charter serve` processes on one PostgreSQL database: a change made through one is seen
through the other within 1 s, although each answers what it can from memory."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx
import pytest

CONTENT_TYPE = {"Content-Type": "application/vnd.schemaregistry.v1+json"}
DEADLINE_S = 1.0  # the bound issue 10 sets; the poll stops at the first right answer


def schema(subject: str, *fields: str) -> str:
    return json.dumps({
        "type": "record", "name": "Event", "namespace": f"coherence.{subject.replace('-', '_')}",
        "fields": [{"name": name, "type": "string", "default": ""} for name in ("id", *fields)],
    })


def post(base_url: str, path: str, data: object) -> httpx.Response:
    return httpx.post(f"{base_url}{path}", json=data, headers=CONTENT_TYPE, timeout=10.0)


def register(base_url: str, subject: str, text: str) -> int:
    response = post(base_url, f"/subjects/{subject}/versions", {"schema": text})
    assert response.status_code == 200, response.text
    return int(response.json()["id"])


def within_deadline(ask: Callable[[], httpx.Response],
                    done: Callable[[httpx.Response], bool]) -> httpx.Response:
    """Ask until `done` holds or the deadline passes; the last answer either way."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        response = ask()
        if done(response) or time.monotonic() > deadline:
            return response
        time.sleep(0.02)


def error_code(response: httpx.Response) -> int | None:
    return response.json().get("error_code") if response.status_code >= 400 else None


@pytest.mark.postgres
def test_permanent_delete_reaches_the_other_process(two_servers_one_postgres: list[str],
                                                    subject: str) -> None:
    first, second = two_servers_one_postgres
    schema_id = register(first, subject, schema(subject))
    by_id = f"{second}/schemas/ids/{schema_id}"
    for _ in range(3):  # the second process now holds the answer in memory
        assert httpx.get(by_id, timeout=10.0).status_code == 200
    assert httpx.delete(f"{first}/subjects/{subject}", timeout=10.0).status_code == 200
    gone = httpx.delete(f"{first}/subjects/{subject}?permanent=true", timeout=10.0)
    assert gone.status_code == 200, gone.text
    answer = within_deadline(lambda: httpx.get(by_id, timeout=10.0),
                             lambda r: error_code(r) == 40403)
    assert error_code(answer) == 40403, answer.text


@pytest.mark.postgres
def test_soft_delete_reaches_the_other_process(two_servers_one_postgres: list[str],
                                               subject: str) -> None:
    first, second = two_servers_one_postgres
    text = schema(subject)
    register(first, subject, text)
    for _ in range(3):  # the lookup is answered from the second process's memory
        assert post(second, f"/subjects/{subject}", {"schema": text}).status_code == 200
    assert httpx.delete(f"{first}/subjects/{subject}/versions/1", timeout=10.0).status_code == 200
    answer = within_deadline(lambda: post(second, f"/subjects/{subject}", {"schema": text}),
                             lambda r: error_code(r) == 40401)
    assert error_code(answer) == 40401, answer.text


@pytest.mark.postgres
def test_mode_change_reaches_the_other_process(two_servers_one_postgres: list[str],
                                               subject: str) -> None:
    first, second = two_servers_one_postgres
    text = schema(subject)
    register(first, subject, text)
    for _ in range(3):  # re-registration is answered from the second process's memory
        assert post(second, f"/subjects/{subject}/versions", {"schema": text}).status_code == 200
    mode = httpx.put(f"{first}/mode/{subject}", json={"mode": "READONLY"}, timeout=10.0)
    assert mode.status_code == 200, mode.text
    answer = within_deadline(
        lambda: post(second, f"/subjects/{subject}/versions", {"schema": text}),
        lambda r: error_code(r) == 42205,
    )
    assert error_code(answer) == 42205, answer.text


@pytest.mark.postgres
def test_config_change_reaches_the_other_process(two_servers_one_postgres: list[str],
                                                 subject: str) -> None:
    first, second = two_servers_one_postgres
    text = schema(subject)
    register(first, subject, text)
    assert httpx.put(f"{first}/config/{subject}", json={"normalize": True},
                     timeout=10.0).status_code == 200
    reordered = json.dumps(dict(reversed(json.loads(text).items())))  # same schema, other form
    matched = within_deadline(lambda: post(second, f"/subjects/{subject}", {"schema": reordered}),
                              lambda r: r.status_code == 200)
    assert matched.status_code == 200, matched.text
    for _ in range(3):  # now answered from memory, normalize included
        assert post(second, f"/subjects/{subject}", {"schema": reordered}).status_code == 200
    assert httpx.put(f"{first}/config/{subject}", json={"normalize": False},
                     timeout=10.0).status_code == 200
    answer = within_deadline(lambda: post(second, f"/subjects/{subject}", {"schema": reordered}),
                             lambda r: error_code(r) == 40403)
    assert error_code(answer) == 40403, answer.text
