"""data contracts (metadata, rule sets, their config defaults and overrides) and schema GUIDs

Existing schemas keep their rows; each gets a random GUID, and no metadata or rule set.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIG_TEXT = (
    "compatibility_group",
    "alias",
    "default_metadata",
    "override_metadata",
    "default_rule_set",
    "override_rule_set",
)


def upgrade() -> None:
    # Plain ADD COLUMNs: SQLite could only change a column by copying the table, which its
    # foreign keys forbid. The empty default is replaced by a GUID for every row below.
    op.add_column(
        "schemas", sa.Column("guid", sa.String(36), nullable=False, server_default="")
    )
    op.add_column("schemas", sa.Column("metadata_json", sa.Text, nullable=True))
    op.add_column("schemas", sa.Column("rule_set_json", sa.Text, nullable=True))
    schemas = sa.table("schemas", sa.column("id", sa.Integer), sa.column("guid", sa.String))
    bind = op.get_bind()
    for (schema_id,) in bind.execute(sa.select(schemas.c.id)).fetchall():
        bind.execute(
            schemas.update().where(schemas.c.id == schema_id).values(guid=str(uuid.uuid4()))
        )
    op.create_index("uq_schemas_guid", "schemas", ["guid"], unique=True)
    for name in CONFIG_TEXT:
        op.add_column("configs", sa.Column(name, sa.Text, nullable=True))
    op.add_column("configs", sa.Column("validate_fields", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("configs") as batch:
        for name in (*CONFIG_TEXT, "validate_fields"):
            batch.drop_column(name)
    op.drop_index("uq_schemas_guid", "schemas")
    with op.batch_alter_table("schemas") as batch:
        for name in ("guid", "metadata_json", "rule_set_json"):
            batch.drop_column(name)
