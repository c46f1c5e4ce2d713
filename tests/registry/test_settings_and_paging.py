"""Settings from the environment, database URLs, and list paging/filters."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from registry import Settings
from tests.registry.helpers import assert_error, body, record


def test_defaults() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.log_level) == ("127.0.0.1", 8081, "info")
    assert settings.data_dir == Path("./charter-data")
    assert settings.resolved_database_url == "sqlite:///charter-data/registry.db"
    assert settings.schema_bytes_max == 1024 * 1024


def test_from_env() -> None:
    settings = Settings.from_env(
        {
            "CHARTER_HOST": "0.0.0.0",
            "CHARTER_PORT": "9000",
            "CHARTER_DATA_DIR": "/srv/charter",
            "CHARTER_DATABASE_URL": "postgresql+psycopg://u@db/charter",
            "CHARTER_LOG_LEVEL": "debug",
        }
    )
    assert settings.host == "0.0.0.0"
    assert settings.port == 9000
    assert settings.data_dir == Path("/srv/charter")
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/charter"
    assert settings.log_level == "debug"
    assert Settings.from_env({}) == Settings()


def test_plain_postgres_urls_use_psycopg() -> None:
    for url in ("postgresql://u@h/db", "postgres://u@h/db"):
        assert Settings(database_url=url).resolved_database_url == "postgresql+psycopg://u@h/db"
    assert not Settings(database_url="postgres://u@h/db").is_sqlite
    assert Settings().is_sqlite


def test_paging_and_deleted_only(client: TestClient) -> None:
    for name in ("a", "b", "c", "d"):
        assert client.post(f"/subjects/{name}/versions", json=body(record(name.upper()))).is_success
    client.delete("/subjects/b")
    assert client.get("/subjects").json() == ["a", "c", "d"]
    assert client.get("/subjects?offset=1&limit=1").json() == ["c"]
    assert client.get("/subjects?limit=-1&offset=2").json() == ["d"]
    assert client.get("/subjects?deletedOnly=true").json() == ["b"]
    assert client.get("/subjects?deleted_only=True").json() == ["b"]
    assert client.get("/subjects?deleted=true&limit=2").json() == ["a", "b"]
    assert client.get("/subjects/b/versions?deletedOnly=true").json() == [1]
    assert client.get("/schemas?limit=2").json()[1]["subject"] == "c"
    assert_error(client.get("/subjects?limit=many"), 422, 422)
