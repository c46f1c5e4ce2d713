"""schema contexts: one id space per context, and the contexts in use

Every schema row gets a context and the id clients see within it (`context_id`, equal to the
row's key for the rows already stored). Rows stored before contexts are in the default
context `.`, except a row that only subjects spelled `:.ctx:name` hold: the previous releases
took such names as plain, so their schemas move to that context, keeping their ids.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT = "."


def _context_of(subject: str) -> str:
    # registry.qualified.parse, kept here as it was when this migration was written
    if not subject.startswith(":."):
        return DEFAULT
    end = subject.find(":", 2)
    return subject[1:] if end < 0 else subject[1:end]


def _in_context(fingerprint: str, context: str) -> str:
    # registry.qualified.in_context, as written then
    digest = hashlib.sha256()
    for part in ("context", context, fingerprint):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def upgrade() -> None:
    # Plain ADD COLUMNs (SQLite's foreign keys forbid copying the table); the placeholder ids
    # are replaced below before the unique index is made.
    op.add_column(
        "schemas", sa.Column("context", sa.Text, nullable=False, server_default=DEFAULT)
    )
    op.add_column(
        "schemas", sa.Column("context_id", sa.Integer, nullable=False, server_default="0")
    )
    op.create_table("contexts", sa.Column("name", sa.Text, primary_key=True))
    schemas = sa.table(
        "schemas",
        sa.column("id", sa.Integer),
        sa.column("context", sa.Text),
        sa.column("context_id", sa.Integer),
        sa.column("fingerprint", sa.String),
        sa.column("normalized_fingerprint", sa.String),
    )
    versions = sa.table(
        "subject_versions", sa.column("subject", sa.Text), sa.column("schema_id", sa.Integer)
    )
    bind = op.get_bind()
    bind.execute(schemas.update().values(context_id=schemas.c.id))
    holders: dict[int, set[str]] = {}
    for subject, schema_id in bind.execute(sa.select(versions.c.subject, versions.c.schema_id)):
        holders.setdefault(schema_id, set()).add(_context_of(subject))
    moved: set[str] = set()
    for schema_id, contexts in holders.items():
        if len(contexts) != 1 or DEFAULT in contexts:
            continue  # held in the default context (or shared): it stays there
        (context,) = contexts
        row = bind.execute(
            sa.select(schemas.c.fingerprint, schemas.c.normalized_fingerprint)
            .where(schemas.c.id == schema_id)
        ).one()
        bind.execute(
            schemas.update().where(schemas.c.id == schema_id).values(
                context=context,
                fingerprint=_in_context(row[0], context),
                normalized_fingerprint=_in_context(row[1], context),
            )
        )
        moved.add(context)
    contexts_table = sa.table("contexts", sa.column("name", sa.Text))
    for context in sorted(moved):
        bind.execute(contexts_table.insert().values(name=context))
    op.create_index("uq_schemas_context_id", "schemas", ["context", "context_id"], unique=True)
    # READONLY_OVERRIDE is 17 characters (the modes table has no foreign keys to copy).
    with op.batch_alter_table("modes") as batch:
        batch.alter_column("mode", type_=sa.String(32), existing_type=sa.String(16),
                           existing_nullable=False)
    # A GUID names a schema's content: the same schema in two contexts may share it.
    op.drop_index("uq_schemas_guid", "schemas")
    op.create_index("ix_schemas_guid", "schemas", ["guid"])


def downgrade() -> None:
    with op.batch_alter_table("modes") as batch:
        batch.alter_column("mode", type_=sa.String(16), existing_type=sa.String(32),
                           existing_nullable=False)
    op.drop_index("ix_schemas_guid", "schemas")
    op.create_index("uq_schemas_guid", "schemas", ["guid"], unique=True)
    op.drop_index("uq_schemas_context_id", "schemas")
    op.drop_table("contexts")
    with op.batch_alter_table("schemas") as batch:
        batch.drop_column("context_id")
        batch.drop_column("context")
