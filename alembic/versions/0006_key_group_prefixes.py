"""Consumer-group prefixes on API keys

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Keys made before limit no group, as they did.
    op.add_column(
        "api_keys", sa.Column("group_prefixes", sa.Text, nullable=False, server_default="[]")
    )


def downgrade() -> None:
    op.drop_column("api_keys", "group_prefixes")
