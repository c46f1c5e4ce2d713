"""`check --against registry` and `register` against a real `charter serve` subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from cli.report.json_report import SCHEMA
from tests.cli.conftest import ORDER_V3, USER_V1, USER_V3, Repo
from tests.sdk.server import free_port, needs_registry

pytestmark = needs_registry


def _configure(repo: Repo, prefix: str, extra: str = "", new_subjects: str = "allow") -> None:
    repo.write(
        "charter.yaml",
        "defaults:\n  compatibility: BACKWARD\n"
        f"  new_subjects: {new_subjects}\n"
        "contracts:\n"
        f"  - glob: 'schemas/*.avsc'\n    subject: '{prefix}-{{stem}}-value'\n"
        f"  - subject: {prefix}-orders-value\n    file: schemas/order.json\n" + extra,
    )


def _run(repo: Repo, url: str, *args: str) -> tuple[int, dict[str, Any]]:
    result = repo.charter([*args, "--format", "json"], env={"CHARTER_REGISTRY_URL": url})
    assert result.stdout, result.stderr
    return result.code, json.loads(result.stdout)


def _versions(url: str, subject: str) -> list[int]:
    response = httpx.get(f"{url}/subjects/{subject}/versions")
    return list(response.json()) if response.status_code == 200 else []


def test_register_is_idempotent_and_check_uses_the_history(repo: Repo, registry_url: str) -> None:
    _configure(repo, "a")
    code, dry = _run(repo, registry_url, "register", "--dry-run")
    assert code == 0
    assert {c["status"] for c in dry["contracts"]} == {"would-register"}
    assert _versions(registry_url, "a-user-value") == []  # the dry run changed nothing

    code, first = _run(repo, registry_url, "register")
    assert code == 0
    jsonschema.validate(first, SCHEMA)
    registered = {c["subject"]: c for c in first["contracts"]}
    assert {c["status"] for c in registered.values()} == {"registered"}
    assert registered["a-user-value"]["registered_version"] == 1
    user_id = registered["a-user-value"]["id"]
    assert httpx.get(f"{registry_url}/schemas/ids/{user_id}").status_code == 200

    code, again = _run(repo, registry_url, "register")
    assert code == 0
    assert {c["status"] for c in again["contracts"]} == {"unchanged"}
    assert {c["subject"]: c["id"] for c in again["contracts"]} == {
        s: c["id"] for s, c in registered.items()
    }

    code, report = _run(repo, registry_url, "check")  # --against registry is the default
    assert code == 0 and report["against"] == "registry"
    assert {tuple(c["compared_with"]) for c in report["contracts"]} == {("version 1",)}

    repo.write("schemas/user.avsc", USER_V3)
    repo.write("schemas/order.json", ORDER_V3)
    code, report = _run(repo, registry_url, "check", "--against", "registry")
    assert code == 1
    found = {
        (f["subject"], f["rule"], f["line"], f["column"], f["against"])
        for c in report["contracts"]
        for f in c["findings"]
    }
    assert found == {
        ("a-user-value", "TYPE_MISMATCH", 5, 20, "version 1"),
        ("a-orders-value", "TYPE_CHANGED", 5, 5, "version 1"),
    }

    code, refused = _run(repo, registry_url, "register")
    assert code == 1
    user = next(c for c in refused["contracts"] if c["subject"] == "a-user-value")
    assert user["status"] == "breaking" and user["findings"][0]["rule"] == "TYPE_MISMATCH"
    assert _versions(registry_url, "a-user-value") == [1]
    assert _versions(registry_url, "a-orders-value") == [1]


def test_registry_level_transitive_compares_every_version(repo: Repo, registry_url: str) -> None:
    _configure(repo, "b")
    repo.write("schemas/user.avsc", USER_V1)
    assert _run(repo, registry_url, "register")[0] == 0
    repo.write(
        "schemas/user.avsc",
        USER_V1.replace('"int"}', '"int"},\n    {"name": "x", "type": "int", "default": 0}'),
    )
    assert _run(repo, registry_url, "register")[0] == 0
    response = httpx.put(
        f"{registry_url}/config/b-user-value", json={"compatibility": "FORWARD_TRANSITIVE"}
    )
    assert response.status_code == 200
    repo.write(
        "schemas/user.avsc",
        USER_V1.replace('"name": "age", "type": "int"', '"name": "age", "type": "long"'),
    )
    code, report = _run(repo, registry_url, "check", "--subject", "b-user-value")
    assert code == 1
    [contract] = report["contracts"]
    assert contract["level"] == "FORWARD_TRANSITIVE"
    assert contract["compared_with"] == ["version 1", "version 2"]
    assert {f["against"] for f in contract["findings"]} == {"version 1", "version 2"}


def test_references_are_registered_in_order(repo: Repo, registry_url: str) -> None:
    repo.write(
        "refs/invoice.avsc",
        '{"type": "record", "name": "Invoice", "fields": [{"name": "amount", "type": "Money"}]}',
    )
    repo.write(
        "refs/money.avsc",
        '{"type": "record", "name": "Money", "fields": [{"name": "cents", "type": "long"}]}',
    )
    repo.write(
        "charter.yaml",
        "contracts:\n"
        "  - subject: c-invoice\n    file: refs/invoice.avsc\n"
        "    references: [{name: Money, subject: c-money}]\n"
        "  - subject: c-money\n    file: refs/money.avsc\n",
    )
    code, report = _run(repo, registry_url, "register", "--dry-run")
    assert code == 0, report
    assert [c["status"] for c in report["contracts"]] == ["would-register"] * 2
    assert _versions(registry_url, "c-money") == []
    code, report = _run(repo, registry_url, "register")
    assert code == 0, report
    assert [c["subject"] for c in report["contracts"]] == ["c-money", "c-invoice"]
    stored = httpx.get(f"{registry_url}/subjects/c-invoice/versions/1").json()
    assert stored["references"] == [{"name": "Money", "subject": "c-money", "version": 1}]
    code, report = _run(repo, registry_url, "register")
    assert code == 0 and {c["status"] for c in report["contracts"]} == {"unchanged"}


def test_new_subject_deny_against_the_registry(repo: Repo, registry_url: str) -> None:
    _configure(repo, "d", new_subjects="deny")
    code, report = _run(repo, registry_url, "check")
    assert code == 1
    assert {c["status"] for c in report["contracts"]} == {"denied"}
    code, _ = _run(repo, registry_url, "register")
    assert code == 1 and _versions(registry_url, "d-user-value") == []


def test_unreachable_registry_exits_2(repo: Repo, tmp_path: Path) -> None:
    _configure(repo, "e")
    url = f"http://127.0.0.1:{free_port()}"
    result = repo.charter(["check"], env={"CHARTER_REGISTRY_URL": url})
    assert result.code == 2
    assert "cannot reach the registry" in result.stdout + result.stderr


def test_the_registry_level_and_policy_win_over_the_defaults(repo: Repo, registry_url: str) -> None:
    old = {"type": "object", "properties": {"a": {"type": "string"}}}
    new = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}}
    repo.write("open/thing.json", json.dumps(old))
    repo.write(
        "charter.yaml",
        "defaults: {compatibility: NONE, json_policy: LENIENT}\n"
        "contracts:\n  - {subject: f-thing, file: open/thing.json}\n",
    )
    assert _run(repo, registry_url, "register")[0] == 0
    repo.write("open/thing.json", json.dumps(new))

    def configure(body: dict[str, str]) -> None:
        response = httpx.put(f"{registry_url}/config/f-thing", json=body)
        assert response.status_code == 200, response.text

    configure({"compatibility": "FULL", "compatibilityPolicy": "STRICT"})
    code, report = _run(repo, registry_url, "check")
    assert code == 1
    [contract] = report["contracts"]
    assert contract["level"] == "FULL"
    assert {f["rule"] for f in contract["findings"]} == {"PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL"}
    configure({"compatibility": "FULL", "compatibilityPolicy": "LENIENT"})
    code, report = _run(repo, registry_url, "check")
    assert code == 0 and report["contracts"][0]["status"] == "compatible"
