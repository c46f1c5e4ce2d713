"""The DEK registry's tables (migration `0004_dek_registry`); `registry.dek.values` has the
frozen values the repository reads from them."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from registry.dek.values import NAME_LENGTH_MAX

__all__ = ["DekRow", "KekRow"]


class KekRow(SQLModel, table=True):
    __tablename__ = "dek_keks"

    name: str = Field(sa_column=sa.Column(sa.String(NAME_LENGTH_MAX), primary_key=True))
    kms_type: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    kms_key_id: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    kms_props_json: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    doc: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    shared: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    deleted: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    ts: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class DekRow(SQLModel, table=True):
    __tablename__ = "dek_deks"
    __table_args__ = (
        sa.UniqueConstraint("kek_name", "subject", "algorithm", "version", name="uq_dek_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kek_name: str = Field(
        sa_column=sa.Column(
            sa.String(NAME_LENGTH_MAX), sa.ForeignKey("dek_keks.name"), nullable=False
        )
    )
    subject: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    algorithm: str = Field(sa_column=sa.Column(sa.String(16), nullable=False))
    version: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    encrypted_key_material: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    deleted: bool = Field(sa_column=sa.Column(sa.Boolean, nullable=False))
    ts: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
