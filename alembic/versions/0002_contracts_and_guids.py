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
    with op.batch_alter_table("schemas") as batch:
        batch.add_column(sa.Column("guid", sa.String(36), nullable=True))
        batch.add_column(sa.Column("metadata_json", sa.Text, nullable=True))
        batch.add_column(sa.Column("rule_set_json", sa.Text, nullable=True))
    schemas = sa.table("schemas", sa.column("id", sa.Integer), sa.column("guid", sa.String))
    bind = op.get_bind()
    for (schema_id,) in bind.execute(sa.select(schemas.c.id)).fetchall():
        bind.execute(
            schemas.update().where(schemas.c.id == schema_id).values(guid=str(uuid.uuid4()))
        )
    with op.batch_alter_table("schemas") as batch:
        batch.alter_column("guid", existing_type=sa.String(36), nullable=False)
        batch.create_unique_constraint("uq_schemas_guid", ["guid"])
    with op.batch_alter_table("configs") as batch:
        for name in CONFIG_TEXT:
            batch.add_column(sa.Column(name, sa.Text, nullable=True))
        batch.add_column(sa.Column("validate_fields", sa.Boolean, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("configs") as batch:
        for name in (*CONFIG_TEXT, "validate_fields"):
            batch.drop_column(name)
    with op.batch_alter_table("schemas") as batch:
        batch.drop_constraint("uq_schemas_guid", type_="unique")
        for name in ("guid", "metadata_json", "rule_set_json"):
            batch.drop_column(name)
