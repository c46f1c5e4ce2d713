"""The Alembic migrations create exactly the tables the models describe, on both databases."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from registry.db import alembic_dir
from tests.registry.conftest import TABLES, Backend

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


def test_alembic_command_line_sees_no_drift(tmp_path: Path) -> None:
    root = alembic_dir().parent
    env = dict(os.environ, CHARTER_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}")
    alembic = [sys.executable, "-m", "alembic", "-c", str(root / "alembic.ini")]
    for args in (["upgrade", "head"], ["check"]):
        done = subprocess.run(
            [*alembic, *args], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
