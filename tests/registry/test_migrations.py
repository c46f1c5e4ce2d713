"""The Alembic migrations create exactly the tables the models describe, on both databases."""

from __future__ import annotations

import os
import secrets
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import SQLModel

from alembic import command
from compat import SchemaSource
from registry import Settings, create_app
from registry.db import Database, alembic_dir
from registry.schemas import Schemas
from tests.registry.conftest import PG_HOST, PG_PORT, TABLES, Backend, _pg_admin
from tests.registry.helpers import USER_V1, USER_V2

OWN_TABLES = {*TABLES, "registry_meta"}


def test_models_match_the_migrations(backend: Backend) -> None:
    with backend.registry.database.engine.connect() as conn:
        context = MigrationContext.configure(conn)
        diffs = [
            d for d in compare_metadata(context, SQLModel.metadata) if _table_of(d) in OWN_TABLES
        ]
    assert diffs == []


def test_database_is_at_head(backend: Backend) -> None:
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    head = ScriptDirectory.from_config(config).get_current_head()
    with backend.registry.database.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head


def test_migrating_again_is_harmless(backend: Backend) -> None:
    backend.registry.database.migrate()


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(part, str):
            return part
        if name is not None:
            return str(name)
    return None


def test_processes_starting_together_on_one_sqlite_file(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from registry import Settings, build_registry; "
        "build_registry(Settings(data_dir=Path(sys.argv[1])))"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    failures = [p.stderr.read().decode() for p in procs if p.wait(timeout=120) != 0 and p.stderr]
    assert failures == []
    with sqlite3.connect(tmp_path / "registry.db") as conn:
        assert conn.execute("SELECT count(*) FROM registry_meta").fetchone() == (1,)


def test_a_process_starting_between_two_revisions_waits_for_the_last(tmp_path: Path) -> None:
    """Alembic ends a transaction after each revision on SQLite. A second process whose turn
    came there (the first one descheduled, as under load) ran the remaining revisions, and the
    first then ran them again and failed: the write lock must span the whole upgrade. Here the
    first pauses before each transaction it begins after its first one, until the second
    process has migrated and exited."""
    code = (
        "import sys; from pathlib import Path; from registry import Settings; "
        "from registry.db import Database; Database(Settings(data_dir=Path(sys.argv[1]))).migrate()"
    )
    second: list[subprocess.CompletedProcess[str]] = []

    def migrate_second() -> None:
        second.append(subprocess.run([sys.executable, "-c", code, str(tmp_path)],
                                     capture_output=True, text=True, timeout=120))

    first = Database(Settings(data_dir=tmp_path))
    begun = 0

    @event.listens_for(first.engine, "before_cursor_execute")
    def _pause(*args: object) -> None:
        nonlocal begun
        if args[2] == "BEGIN IMMEDIATE":  # the statement, about to be sent
            begun += 1
            if begun == 2:
                migrate_second()

    try:
        first.migrate()
    finally:
        first.dispose()
    if not second:  # the first never began a second transaction: the second starts after it
        migrate_second()
    assert second[0].returncode == 0, second[0].stderr[-3000:]
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    with sqlite3.connect(tmp_path / "registry.db") as conn:
        [(version,)] = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert version == ScriptDirectory.from_config(config).get_current_head()


def test_alembic_command_line_sees_no_drift(tmp_path: Path) -> None:
    root = alembic_dir().parent
    env = dict(os.environ, CHARTER_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    alembic = [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini")]
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [*alembic, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched yet (PostgreSQL: a fresh one, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin = _pg_admin()
    if admin is None:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"charter_migrate_{secrets.token_hex(6)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{admin.info.user}@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _write_as_release_0001(url: str, schema: str) -> None:
    """What the release before data contracts wrote: its tables (revision 0001) and rows."""
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    engine = sa.create_engine(url)
    prepared = Schemas().prepare(SchemaSource(schema), _NoReferences(), normalize=False)
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(
            sa.text(
                "INSERT INTO schemas (id, schema_type, text, fingerprint, "
                "normalized_fingerprint, references_json) VALUES (7, 'AVRO', :t, :f, :n, '[]')"
            ),
            {"t": prepared.source.text, "f": prepared.fingerprint,
             "n": prepared.normalized_fingerprint},
        )
        conn.execute(sa.text(
            "INSERT INTO subject_versions (subject, version, schema_id, deleted) "
            "VALUES ('old-value', 1, 7, false)"
        ))
        conn.execute(sa.text(
            "INSERT INTO configs (subject, compatibility) VALUES ('old-value', 'FULL')"
        ))
    engine.dispose()


class _NoReferences:
    def latest_version(self, subject: str, /) -> int | None:
        return None

    def source(self, subject: str, version: int, /) -> SchemaSource | None:
        return None


def test_a_database_of_the_previous_release_upgrades_in_place(
    empty_database_url: str, tmp_path: Path
) -> None:
    _write_as_release_0001(empty_database_url, USER_V1)
    app = create_app(Settings(data_dir=tmp_path, database_url=empty_database_url))
    try:
        client = TestClient(app, raise_server_exceptions=False)
        old = client.get("/subjects/old-value/versions/1").json()
        assert (old["id"], old["version"]) == (7, 1)
        assert str(uuid.UUID(old["guid"])) == old["guid"]
        assert "metadata" not in old and "ruleSet" not in old
        assert client.get("/config/old-value").json()["compatibilityLevel"] == "FULL"
        # The old row keeps its identity: the same text is the same version, same id...
        again = client.post("/subjects/old-value/versions", json={"schema": USER_V1}).json()
        assert (again["id"], again["version"], again["guid"]) == (7, 1, old["guid"])
        assert client.get(f"/schemas/guids/{old['guid']}").json()["schema"] == old["schema"]
        # ...and new contract features work on the upgraded tables.
        tagged = client.post("/subjects/old-value/versions", json={
            "schema": USER_V1, "metadata": {"properties": {"owner": "team-a"}}}).json()
        assert (tagged["id"], tagged["version"]) == (8, 2)
    finally:
        app.state.registry.close()


def _write_as_release_0003(url: str) -> None:
    """What the release before contexts wrote (revision 0003): one id counter for all, and a
    subject spelled `:.tenant-a:orders` taken as a plain name."""
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    engine = sa.create_engine(url)
    rows = [(3, USER_V1, "users"), (5, USER_V2, ":.tenant-a:orders")]
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0003")
        for schema_id, schema, subject in rows:
            prepared = Schemas().prepare(SchemaSource(schema), _NoReferences(), normalize=False)
            conn.execute(
                sa.text(
                    "INSERT INTO schemas (id, schema_type, text, fingerprint, "
                    "normalized_fingerprint, references_json, guid) "
                    "VALUES (:i, 'AVRO', :t, :f, :n, '[]', :g)"
                ),
                {"i": schema_id, "t": prepared.source.text, "f": prepared.fingerprint,
                 "n": prepared.normalized_fingerprint, "g": str(uuid.uuid4())},
            )
            conn.execute(
                sa.text("INSERT INTO subject_versions (subject, version, schema_id, deleted) "
                        "VALUES (:s, 1, :i, false)"),
                {"s": subject, "i": schema_id},
            )
        conn.execute(sa.text("INSERT INTO modes (subject, mode) VALUES ('users', 'READONLY')"))
    engine.dispose()


def test_a_database_of_the_release_before_contexts_upgrades_in_place(
    empty_database_url: str, tmp_path: Path
) -> None:
    _write_as_release_0003(empty_database_url)
    app = create_app(Settings(data_dir=tmp_path, database_url=empty_database_url))
    try:
        client = TestClient(app, raise_server_exceptions=False)
        users = client.get("/subjects/users/versions/1").json()
        assert (users["id"], users["version"]) == (3, 1)
        assert client.get("/schemas/ids/3").json()["schema"] == users["schema"]
        assert client.get("/mode/users").json() == {"mode": "READONLY"}
        # The qualified name now means what it says: its schema moved to its context with
        # its id, and the default context no longer answers that id.
        assert client.get("/contexts").json() == [".", ".tenant-a"]
        orders = client.get("/contexts/.tenant-a/subjects/orders/versions/1").json()
        assert (orders["id"], orders["subject"]) == (5, ":.tenant-a:orders")
        assert client.get("/schemas/ids/5").status_code == 404
        assert client.get("/schemas/ids/5?subject=:.tenant-a:").json()["schema"] == \
            orders["schema"]
        again = client.post("/subjects/:.tenant-a:orders/versions", json={"schema": USER_V2})
        assert (again.json()["id"], again.json()["version"]) == (5, 1)
        # New ids continue each context's own count.
        new = client.post("/subjects/other/versions", json={"schema": USER_V2}).json()
        assert new["id"] == 4
        fresh = client.post("/subjects/:.tenant-a:more/versions", json={"schema": USER_V1})
        assert fresh.json()["id"] == 6
        assert client.put("/mode", json={"mode": "READONLY_OVERRIDE"}).status_code == 200
        assert client.get("/mode").json() == {"mode": "READONLY_OVERRIDE"}
    finally:
        app.state.registry.close()
