"""initial registry tables

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schemas",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("schema_type", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        sa.Column("normalized_fingerprint", sa.String(64), nullable=False),
        sa.Column("references_json", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_schemas_normalized_fingerprint", "schemas", ["normalized_fingerprint"]
    )
    op.create_table(
        "subject_versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.UniqueConstraint("subject", "version", name="uq_subject_version"),
    )
    op.create_index("ix_subject_versions_subject", "subject_versions", ["subject"])
    op.create_index("ix_subject_versions_schema_id", "subject_versions", ["schema_id"])
    op.create_table(
        "schema_references",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("schema_id", sa.Integer, sa.ForeignKey("schemas.id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_schema_references_schema_id", "schema_references", ["schema_id"])
    op.create_index("ix_schema_references_target", "schema_references", ["subject", "version"])
    op.create_table(
        "configs",
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("compatibility", sa.String(32)),
        sa.Column("compatibility_policy", sa.String(16)),
        sa.Column("normalize", sa.Boolean),
    )
    op.create_table(
        "modes",
        sa.Column("subject", sa.Text, primary_key=True),
        sa.Column("mode", sa.String(16), nullable=False),
    )
    op.create_table(
        "registry_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("registry_meta")
    op.drop_table("modes")
    op.drop_table("configs")
    op.drop_table("schema_references")
    op.drop_table("subject_versions")
    op.drop_table("schemas")
