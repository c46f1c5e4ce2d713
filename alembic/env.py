"""Alembic environment for the registry's tables.

The registry runs migrations programmatically (`registry.db.migrate`) and passes an open
connection in `config.attributes["connection"]`; the command line works too, with
`sqlalchemy.url` set in the config or CHARTER_DATABASE_URL.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from sqlalchemy import create_engine
from sqlmodel import SQLModel

import registry.dek.models  # the DEK registry's keys
import registry.models
import registry.security.models  # noqa: F401  (keys and the audit trail)
from alembic import context

config = context.config
target_metadata = SQLModel.metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("CHARTER_DATABASE_URL")
    if not url:
        raise RuntimeError("set sqlalchemy.url or CHARTER_DATABASE_URL to run migrations")
    return url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(_url())
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
