"""The parts without a server: the decision function, the key store, `charter keys`, the
start-up refusals of `charter serve`, CORS with an allow-list, and the migration."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from registry import Settings
from registry.db import Database
from registry.security import (
    Action,
    AuthMode,
    KeyStore,
    Kind,
    Principal,
    Role,
    SecuritySettings,
    decide,
)
from registry.security.errors import Forbidden, Unauthenticated
from tests.interop.server import free_port
from tests.security.conftest import charter

WRITER = Principal("w", Role.WRITER, ("team-a.",), ("team-a.",), group_prefixes=("team-a.",))
TOPICS_ONLY = Principal("t", Role.WRITER, topic_prefixes=("team-a.",))
READER = Principal("r", Role.READER)
ADMIN = Principal("a", Role.ADMIN)


@pytest.mark.parametrize(("principal", "action", "kind", "names", "allowed"), [
    (READER, Action.READ, Kind.SUBJECT, ["x"], True),
    (READER, Action.WRITE, Kind.SUBJECT, ["x"], False),
    (WRITER, Action.WRITE, Kind.SUBJECT, ["team-a.x"], True),
    (WRITER, Action.WRITE, Kind.SUBJECT, ["team-b.x"], False),
    (WRITER, Action.READ, Kind.TOPIC, ["team-a.t", "team-b.t"], False),
    (WRITER, Action.ADMIN, Kind.NONE, [], False),
    (WRITER, Action.READ, Kind.SCHEMA_ID, ["team-b.x", "team-a.y"], True),
    (WRITER, Action.READ, Kind.SCHEMA_ID, ["team-b.x"], False),
    (WRITER, Action.READ, Kind.SCHEMA_ID, [], True),  # no subject holds it: the registry 404s
    (ADMIN, Action.ADMIN, Kind.TOPIC, ["anything"], True),
    (WRITER, Action.WRITE, Kind.GROUP, ["team-a.billing"], True),
    (WRITER, Action.WRITE, Kind.GROUP, ["billing"], False),
    (TOPICS_ONLY, Action.WRITE, Kind.GROUP, ["billing"], True),  # no group prefixes: any group
    (WRITER, Action.READ, Kind.SCHEMA_GUID, ["team-b.x"], False),
    (WRITER, Action.READ, Kind.SCHEMA_GUID, ["team-a.x"], True),
])
def test_decide(principal: Principal, action: Action, kind: Kind, names: list[str],
                allowed: bool) -> None:
    if allowed:
        decide(principal, action, kind, names)
    else:
        with pytest.raises(Forbidden):
            decide(principal, action, kind, names)


class CountingHasher(PasswordHasher):
    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        CountingHasher.verified += 1
        return super().verify(hash, password)


def test_key_store_hashes_and_remembers_by_digest(tmp_path: Path) -> None:
    database = Database(Settings(data_dir=tmp_path))
    database.migrate()
    store = KeyStore(database, hasher=CountingHasher())
    created = store.create("svc", Role.WRITER, subject_prefixes=["team-a."])
    info = store.list_keys()[0]
    assert (info.name, info.role, info.subject_prefixes) == ("svc", Role.WRITER, ("team-a.",))
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())  # db and WAL
    assert created.secret.encode() not in raw and b"$argon2id$" in raw
    before = CountingHasher.verified
    for _ in range(5):
        assert store.verify(created.info.key_id, created.secret).name == "svc"
    assert CountingHasher.verified == before + 1  # hashed once, then remembered
    with pytest.raises(Unauthenticated):
        store.verify(created.info.key_id, "wrong")
    store.revoke("svc")
    with pytest.raises(Unauthenticated):
        store.verify(created.info.key_id, created.secret)
    database.dispose()


def test_keys_commands(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    args = ["--data-dir", str(data)]
    done = charter("keys", "create", "ci", "--role", "writer", "--subject-prefix", "team-a.",
                   "--group-prefix", "team-a.", *args)
    assert done.returncode == 0, done.stderr
    assert "group prefixes: team-a." in done.stdout
    key, colon, secret = done.stdout.strip().splitlines()[-1].partition(":")
    assert key.startswith("CK") and colon and len(secret) >= 32
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "registry.db").stat().st_mode) == 0o600
    as_json = charter("keys", "create", "bot", "--role", "reader", "--format", "json", *args)
    body = json.loads(as_json.stdout)
    assert body["role"] == "reader" and body["credential"] == f"{body['key']}:{body['secret']}"
    listed = charter("keys", "list", "--format", "json", *args)
    assert [(k["name"], k["group_prefixes"]) for k in json.loads(listed.stdout)] == [
        ("bot", []), ("ci", ["team-a."])]
    assert secret not in listed.stdout and "argon2" not in listed.stdout
    assert charter("keys", "create", "ci", "--role", "reader", *args).returncode == 1
    assert charter("keys", "create", "x", "--role", "root", *args).returncode == 2
    assert charter("keys", "revoke", "nobody", *args).returncode == 1
    revoked = charter("keys", "revoke", "ci", "--format", "json", *args)
    assert revoked.returncode == 0 and json.loads(revoked.stdout)["revoked_at"]
    assert charter("audit", "--since", "yesterday-ish", *args).returncode == 2


def test_serve_refuses_an_open_port_on_a_network_address(tmp_path: Path) -> None:
    port = str(free_port())
    done = charter("serve", "--host", "0.0.0.0", "--port", port, "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert "--auth required" in done.stderr and "--auth none" in done.stderr
    done = charter("serve", "--port", port, "--data-dir", str(tmp_path), "--auth", "maybe")
    assert done.returncode == 2


def test_cors_only_for_allowed_origins(tmp_path: Path) -> None:
    from registry import create_app
    from registry.app import build_registry
    from registry.security import build_guard, protect

    registry = build_registry(Settings(data_dir=tmp_path))
    guard = build_guard(registry, SecuritySettings(
        auth=AuthMode.NONE, cors_origins=("https://console.example",)))
    app = protect(create_app(Settings(data_dir=tmp_path), registry=registry), guard)
    preflight = {"access-control-request-method": "POST",
                 "access-control-request-headers": "content-type"}
    with TestClient(app) as client:
        ok = client.options("/subjects/s/versions",
                            headers={"origin": "https://console.example", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://console.example"
        other = client.options("/subjects/s/versions",
                               headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in other.headers
        r = client.post("/subjects/s/versions", content=b'{"schema": "\\"string\\""}',
                        headers={"content-type": "text/plain"})
        assert r.status_code == 415
    guard.close()


def test_the_migration_makes_the_security_tables(tmp_path: Path) -> None:
    database = Database(Settings(data_dir=tmp_path))
    database.migrate()
    with database.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    own = [d for d in diffs if "api_keys" in str(d) or "audit_log" in str(d)]
    assert own == []
    with database.engine.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"api_keys", "audit_log", "schemas", "subject_versions"} <= tables
    database.dispose()


@pytest.mark.parametrize(("body", "names"), [
    (b'{"schema": "{}", "references": [{"name": "a", "subject": "s1", "version": 1},'
     b' {"name": "b", "subject": "s2", "version": -1}]}', ["s1", "s2"]),
    (b'{"schema": "{}"}', []),
    (b'{"references": "s1"}', []),  # not a list: the registry answers 422 itself
    (b'[{"subject": "s1"}]', []),  # not an object: 422 from the registry
    (b'{"references": [{"subject": 7}]}', []),  # not a string: 422 from the registry
    (b'not json', []),  # 400 from the registry
])
def test_referenced_subjects(body: bytes, names: list[str]) -> None:
    from registry.security.middleware import referenced_subjects

    assert referenced_subjects(body) == names


def test_group_rules_name_the_group_and_joins_their_topics() -> None:
    from registry.security.routes import rule_for

    join = rule_for("POST", "/broker/groups/team-a.g/members")
    assert (join.rule.kind, join.rule.group, join.params["group"]) == (Kind.TOPIC, "group",
                                                                       "team-a.g")
    lag = rule_for("GET", "/broker/groups/team-a.g/lag")
    assert (lag.rule.kind, lag.name) == (Kind.GROUP, "team-a.g")
    assert rule_for("GET", "/schemas/guids/abc").rule.kind is Kind.SCHEMA_GUID
    assert rule_for("POST", "/subjects/s/versions").rule.references


def test_an_absurd_id_is_not_quoted_back_whole(tmp_path: Path) -> None:
    from registry import create_app

    client = TestClient(create_app(Settings(data_dir=tmp_path)))
    for path in ("/schemas/ids/" + "9" * 5000, "/schemas/ids/" + "9" * 5000 + "/schema"):
        r = client.get(path)
        assert (r.status_code, r.json()["error_code"]) == (404, 40403)
        assert "(5000 characters)" in r.json()["message"] and len(r.text) < 200
