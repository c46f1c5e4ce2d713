"""The DEK registry: key encryption keys and data encryption keys

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dek_keks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kms_type", sa.Text, nullable=False),
        sa.Column("kms_key_id", sa.Text, nullable=False),
        sa.Column("kms_props_json", sa.Text, nullable=False),
        sa.Column("doc", sa.Text, nullable=True),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "dek_deks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kek_name", sa.String(64), sa.ForeignKey("dek_keks.name"), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("encrypted_key_material", sa.Text, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("kek_name", "subject", "algorithm", "version", name="uq_dek_version"),
    )


def downgrade() -> None:
    op.drop_table("dek_deks")
    op.drop_table("dek_keks")
