"""The security layer's tables: API keys (secrets hashed) and the audit trail.

Alembic migration `0003_keys_and_audit` creates them; revoked keys stay (the audit trail
names them), so a key name is never reused.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["ApiKeyRow", "AuditRow"]


class ApiKeyRow(SQLModel, table=True):
    __tablename__ = "api_keys"

    key_id: str = Field(sa_column=sa.Column(sa.String(32), primary_key=True))
    name: str = Field(sa_column=sa.Column(sa.String(128), nullable=False, unique=True))
    role: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    subject_prefixes: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    topic_prefixes: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    group_prefixes: str = Field(  # JSON list (migration 0006)
        default="[]", sa_column=sa.Column(sa.Text, nullable=False, server_default="[]")
    )
    secret_hash: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # argon2id, PHC form
    created_at: datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: datetime | None = Field(
        default=None, sa_column=sa.Column(sa.DateTime(timezone=True), nullable=True)
    )


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(
        sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False, index=True)
    )
    who: str = Field(sa_column=sa.Column(sa.String(256), nullable=False))
    via: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    method: str = Field(sa_column=sa.Column(sa.String(8), nullable=False))
    path: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    kind: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    names: str = Field(sa_column=sa.Column(sa.Text, nullable=False))  # JSON list
    status: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    outcome: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
