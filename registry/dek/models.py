"""The DEK registry's tables and the frozen values read from them.

A KEK is named and points at a key in a KMS; a DEK is one version of a key for one subject
and algorithm, stored only wrapped (encrypted) by its KEK. Both are soft-deleted first
(`deleted`), then removed for good. `ts` is the time of the last write, in milliseconds since
the epoch, as Confluent answers it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

__all__ = ["Algorithm", "Dek", "DekRow", "Kek", "KekRow"]

NAME_LENGTH_MAX = 64  # Confluent's limit on KEK names


class Algorithm(StrEnum):
    """The DEK algorithms of Confluent's field-level encryption (Tink key types)."""

    AES128_GCM = "AES128_GCM"
    AES256_GCM = "AES256_GCM"
    AES256_SIV = "AES256_SIV"


DEFAULT_ALGORITHM = Algorithm.AES256_GCM


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


@dataclass(frozen=True, slots=True)
class Kek:
    name: str
    kms_type: str
    kms_key_id: str
    kms_props: dict[str, str] = field(default_factory=dict)
    doc: str | None = None
    shared: bool = False
    deleted: bool = False
    ts: int = 0

    def equivalent(self, other: Kek) -> bool:
        """The same key whatever its deletion state and time (Confluent's `isEquivalent`)."""
        return (self.name, self.kms_type, self.kms_key_id, self.kms_props, self.doc,
                self.shared) == (other.name, other.kms_type, other.kms_key_id,
                                 other.kms_props, other.doc, other.shared)

    @classmethod
    def of(cls, row: KekRow) -> Kek:
        return cls(row.name, row.kms_type, row.kms_key_id, json.loads(row.kms_props_json),
                   row.doc, bool(row.shared), bool(row.deleted), int(row.ts))


@dataclass(frozen=True, slots=True)
class Dek:
    kek_name: str
    subject: str
    version: int
    algorithm: Algorithm
    encrypted_key_material: str  # base64, as stored
    deleted: bool = False
    ts: int = 0
    key_material: str | None = None  # base64; never stored, filled in for shared KEKs

    def equivalent(self, other: Dek) -> bool:
        return (self.kek_name, self.subject, self.version, self.algorithm,
                self.encrypted_key_material) == (other.kek_name, other.subject, other.version,
                                                 other.algorithm, other.encrypted_key_material)

    @classmethod
    def of(cls, row: DekRow) -> Dek:
        return cls(row.kek_name, row.subject, int(row.version), Algorithm(row.algorithm),
                   row.encrypted_key_material, bool(row.deleted), int(row.ts))
