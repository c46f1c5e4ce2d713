"""Keys and their subject prefixes hold for the DEK registry as for subjects: DEK subjects
outside a key's prefixes are refused or filtered out of listings, writes need a writer and
permanent deletes an admin (in-process app behind the guard, SQLite and PostgreSQL)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from registry.security import AuthMode, KeyStore, Role, SecuritySettings, build_guard, protect
from tests.registry.conftest import Backend

KEKS = "/dek-registry/v1/keks"


@pytest.fixture
def clients(backend: Backend) -> Iterator[dict[str, TestClient]]:
    guard = build_guard(backend.registry, SecuritySettings(auth=AuthMode.REQUIRED))
    app = protect(backend.app, guard)
    store = KeyStore(backend.registry.database)
    tag = secrets.token_hex(4)
    made = {
        "admin": store.create(f"dek-admin-{tag}", Role.ADMIN),
        "writer": store.create(f"dek-writer-{tag}", Role.WRITER, subject_prefixes=["team-a."]),
        "reader": store.create(f"dek-reader-{tag}", Role.READER),
    }
    try:
        clients = {}
        for who, key in made.items():
            client = TestClient(app, raise_server_exceptions=False)
            client.auth = (key.info.key_id, key.secret)
            clients[who] = client
        yield clients
    finally:
        guard.close()


def test_dek_subjects_follow_the_keys_prefixes(clients: dict[str, TestClient]) -> None:
    admin, writer, reader = clients["admin"], clients["writer"], clients["reader"]
    kek = f"k_{secrets.token_hex(4)}"
    assert admin.post(KEKS, json={"name": kek, "kmsType": "local-kms",
                                  "kmsKeyId": "k"}).status_code == 200
    for subject in ("team-a.orders", "team-b.orders"):
        made = admin.post(f"{KEKS}/{kek}/deks",
                          json={"subject": subject, "encryptedKeyMaterial": "AAAA"})
        assert made.status_code == 200, made.text
    assert admin.get(f"{KEKS}/{kek}/deks").json() == ["team-a.orders", "team-b.orders"]
    assert writer.get(f"{KEKS}/{kek}/deks").json() == ["team-a.orders"]
    assert writer.get(f"{KEKS}/{kek}/deks/team-a.orders").status_code == 200
    assert writer.get(f"{KEKS}/{kek}/deks/team-b.orders").status_code == 403
    body = {"subject": "team-b.payments", "encryptedKeyMaterial": "AAAA"}
    assert writer.post(f"{KEKS}/{kek}/deks", json=body).status_code == 403
    assert writer.post(f"{KEKS}/{kek}/deks/team-b.payments",
                       json={"encryptedKeyMaterial": "AAAA"}).status_code == 403
    assert writer.post(f"{KEKS}/{kek}/deks", json={
        "subject": "team-a.payments", "encryptedKeyMaterial": "AAAA"}).status_code == 200
    # Readers read keys and DEKs; they write nothing.
    assert reader.get(f"{KEKS}/{kek}/deks/team-b.orders").status_code == 200
    assert reader.post(f"{KEKS}/{kek}/deks", json={
        "subject": "team-a.x", "encryptedKeyMaterial": "AAAA"}).status_code == 403
    # A soft delete is a writer's, a permanent one an admin's.
    assert writer.delete(f"{KEKS}/{kek}/deks/team-a.orders").status_code == 204
    gone = f"{KEKS}/{kek}/deks/team-a.orders?permanent=true"
    assert writer.delete(gone).status_code == 403
    assert admin.delete(gone).status_code == 204
