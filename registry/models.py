"""The registry's tables. Every change here ships an Alembic migration in `alembic/versions/`.

Schema rows are never deleted, so a schema id is never reused: a permanently deleted subject
version only loses its `subject_versions` row. A schema row belongs to one context
(`registry.qualified`): `context_id` is the id clients see, unique within the context; `id`
is the row's key, which the other tables point at (it equals `context_id` for every row
stored before contexts existed).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = [
    "GLOBAL_SCOPE",
    "ConfigRow",
    "ContextRow",
    "MetaRow",
    "ModeRow",
    "ReferenceRow",
    "SchemaRow",
    "SubjectVersionRow",
]

# The subject key of registry-wide config and mode rows; an empty subject name is invalid.
GLOBAL_SCOPE = ""


class SchemaRow(SQLModel, table=True):
    __tablename__ = "schemas"
    __table_args__ = (
        sa.Index("ix_schemas_guid", "guid"),
        sa.Index("uq_schemas_context_id", "context", "context_id", unique=True),
    )

    id: int = Field(sa_column=sa.Column(sa.Integer, primary_key=True, autoincrement=False))
    context: str = Field(
        default=".", sa_column=sa.Column(sa.Text, nullable=False, server_default=".")
    )
    context_id: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    schema_type: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    text: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    fingerprint: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    normalized_fingerprint: str = Field(
        sa_column=sa.Column(sa.String(64), nullable=False, index=True)
    )
    references_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False, default="[]"))
    guid: str = Field(sa_column=sa.Column(sa.String(36), nullable=False))
    # Canonical JSON (registry.datacontract), part of the schema's identity; None when absent.
    metadata_json: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    rule_set_json: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class SubjectVersionRow(SQLModel, table=True):
    __tablename__ = "subject_versions"
    __table_args__ = (sa.UniqueConstraint("subject", "version", name="uq_subject_version"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(sa_column=sa.Column(sa.Text, nullable=False, index=True))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    schema_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("schemas.id"), nullable=False, index=True)
    )
    deleted: bool = Field(
        default=False, sa_column=sa.Column(sa.Boolean, nullable=False, default=False)
    )


class ReferenceRow(SQLModel, table=True):
    """One reference of a schema to a subject version, for `referencedby` and 42206."""

    __tablename__ = "schema_references"
    __table_args__ = (sa.Index("ix_schema_references_target", "subject", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    schema_id: int = Field(
        sa_column=sa.Column(sa.Integer, sa.ForeignKey("schemas.id"), nullable=False, index=True)
    )
    name: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    subject: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))


class ConfigRow(SQLModel, table=True):
    __tablename__ = "configs"

    subject: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    compatibility: str | None = Field(default=None, sa_column=sa.Column(sa.String(32)))
    compatibility_policy: str | None = Field(default=None, sa_column=sa.Column(sa.String(16)))
    normalize: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean))
    compatibility_group: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    alias: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    validate_fields: bool | None = Field(default=None, sa_column=sa.Column(sa.Boolean))
    default_metadata: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    override_metadata: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    default_rule_set: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    override_rule_set: str | None = Field(default=None, sa_column=sa.Column(sa.Text))


class ContextRow(SQLModel, table=True):
    """A context in use: made by its first registration, gone only by `DELETE /contexts`
    (the default context `.` is always in use and has no row)."""

    __tablename__ = "contexts"

    name: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))


class ModeRow(SQLModel, table=True):
    __tablename__ = "modes"

    subject: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    mode: str = Field(sa_column=sa.Column(sa.String(32), nullable=False))


class MetaRow(SQLModel, table=True):
    __tablename__ = "registry_meta"

    key: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    value: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
