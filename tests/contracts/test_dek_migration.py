"""Migration 0004 adds the DEK registry's tables: a database at 0003 with data in it upgrades
in place (SQLite and PostgreSQL), and the tables are exactly what the models describe."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlmodel import SQLModel

from alembic import command
from compat import SchemaSource
from registry import Settings, create_app
from registry.db import alembic_dir
from registry.schemas import Schemas
from tests.registry.conftest import Backend
from tests.registry.helpers import USER_V1
from tests.registry.test_migrations import _NoReferences, _table_of, empty_database_url

__all__ = ["empty_database_url"]

DEK_TABLES = {"dek_keks", "dek_deks"}


def test_dek_tables_match_the_models(backend: Backend) -> None:
    with backend.engine.connect() as conn:
        diffs = list(compare_metadata(MigrationContext.configure(conn), SQLModel.metadata))
    assert [d for d in diffs if _table_of(d) in DEK_TABLES] == []
    with backend.engine.connect() as conn:
        assert set(sa.inspect(conn).get_table_names()) >= DEK_TABLES


def _write_at_0003(url: str) -> dict[str, object]:
    """The tables of the release before the DEK registry (revision 0003), with rows in them."""
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    engine = sa.create_engine(url)
    prepared = Schemas().prepare(SchemaSource(USER_V1), _NoReferences(), normalize=False)
    guid = str(uuid.uuid4())
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        conn.execute(
            sa.text(
                "INSERT INTO schemas (id, schema_type, text, fingerprint, "
                "normalized_fingerprint, references_json, guid) "
                "VALUES (5, 'AVRO', :t, :f, :n, '[]', :g)"
            ),
            {"t": prepared.source.text, "f": prepared.fingerprint,
             "n": prepared.normalized_fingerprint, "g": guid},
        )
        conn.execute(sa.text(
            "INSERT INTO subject_versions (subject, version, schema_id, deleted) "
            "VALUES ('old-value', 1, 5, false)"
        ))
        conn.execute(sa.text("INSERT INTO configs (subject, compatibility) "
                             "VALUES ('old-value', 'FULL')"))
    engine.dispose()
    return {"id": 5, "guid": guid}


def test_a_database_at_0003_upgrades_in_place(empty_database_url: str, tmp_path: Path) -> None:
    old = _write_at_0003(empty_database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=empty_database_url))
    try:
        client = TestClient(app, raise_server_exceptions=False)
        version = client.get("/subjects/old-value/versions/1").json()
        assert (version["id"], version["guid"]) == (old["id"], old["guid"])
        assert client.get("/config/old-value").json()["compatibilityLevel"] == "FULL"
        kek = client.post("/dek-registry/v1/keks",
                          json={"name": "k", "kmsType": "local-kms", "kmsKeyId": "k"})
        assert kek.status_code == 200
        dek = client.post("/dek-registry/v1/keks/k/deks",
                          json={"subject": "old-value", "encryptedKeyMaterial": "AAAA"})
        assert dek.status_code == 200
        assert client.get("/dek-registry/v1/keks/k/deks").json() == ["old-value"]
        assert client.get("/subjects/old-value/versions").json() == [1]
    finally:
        app.state.registry.close()
