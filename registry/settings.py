"""Registry configuration: one immutable value built by the caller, never at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

__all__ = ["Settings"]

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8081
    data_dir: Path = field(default_factory=lambda: Path("./charter-data"))
    database_url: str | None = None  # None: SQLite at <data_dir>/registry.db
    log_level: str = "info"
    schema_bytes_max: int = 1 * MIB
    request_bytes_max: int = 8 * MIB
    subject_length_max: int = 255
    sqlite_busy_timeout_ms: int = 30_000

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            # The psycopg (3) driver is the one installed; plain PostgreSQL URLs mean it.
            for prefix in ("postgresql://", "postgres://"):
                if self.database_url.startswith(prefix):
                    return "postgresql+psycopg://" + self.database_url.removeprefix(prefix)
            return self.database_url
        return f"sqlite:///{self.data_dir / 'registry.db'}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        """Defaults overridden by the CHARTER_… environment variables that are set."""
        env = os.environ if environ is None else environ
        settings = cls()
        if env.get("CHARTER_HOST"):
            settings = replace(settings, host=env["CHARTER_HOST"])
        if env.get("CHARTER_PORT"):
            settings = replace(settings, port=int(env["CHARTER_PORT"]))
        if env.get("CHARTER_DATA_DIR"):
            settings = replace(settings, data_dir=Path(env["CHARTER_DATA_DIR"]))
        if env.get("CHARTER_DATABASE_URL"):
            settings = replace(settings, database_url=env["CHARTER_DATABASE_URL"])
        if env.get("CHARTER_LOG_LEVEL"):
            settings = replace(settings, log_level=env["CHARTER_LOG_LEVEL"])
        return settings
