"""The DEK registry's SQL: sessions in, frozen `Kek` and `Dek` values out.

Reads and writes go through the registry's `Database`, so DEK writes take the same
registry-wide write lock (and PostgreSQL advisory lock) as schema writes, which makes every
check-then-write of the service atomic across processes. Nothing is cached: every read asks
the database, so several registry processes on one PostgreSQL always agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from registry.db import Database
from registry.dek.models import DekRow, KekRow
from registry.dek.values import Algorithm, Dek, Kek

__all__ = ["DekReader", "DekRepository", "DekWriter"]


def _kek(row: KekRow) -> Kek:
    return Kek(row.name, row.kms_type, row.kms_key_id, json.loads(row.kms_props_json),
               row.doc, bool(row.shared), bool(row.deleted), int(row.ts))


def _dek(row: DekRow) -> Dek:
    return Dek(row.kek_name, row.subject, int(row.version), Algorithm(row.algorithm),
               row.encrypted_key_material, bool(row.deleted), int(row.ts))


class DekReader:
    def __init__(self, session: Session) -> None:
        self.session = session

    def kek(self, name: str) -> Kek | None:
        row = self.session.get(KekRow, name)
        return _kek(row) if row is not None else None

    def keks(self) -> list[Kek]:
        rows = self.session.exec(select(KekRow).order_by(col(KekRow.name)))
        return [_kek(row) for row in rows]

    def deks(
        self, kek_name: str, subject: str | None = None, algorithm: Algorithm | None = None
    ) -> list[Dek]:
        """The DEKs of a KEK (of one subject and algorithm, when given), deleted ones
        included, by subject, algorithm and version."""
        stmt = select(DekRow).where(DekRow.kek_name == kek_name)
        if subject is not None:
            stmt = stmt.where(DekRow.subject == subject)
        if algorithm is not None:
            stmt = stmt.where(DekRow.algorithm == algorithm.value)
        stmt = stmt.order_by(col(DekRow.subject), col(DekRow.algorithm), col(DekRow.version))
        return [_dek(row) for row in self.session.exec(stmt)]

    def dek(self, kek_name: str, subject: str, algorithm: Algorithm, version: int) -> Dek | None:
        row = self._dek_row(kek_name, subject, algorithm, version)
        return _dek(row) if row is not None else None

    def count_keks(self) -> int:
        return int(self.session.exec(select(func.count()).select_from(KekRow)).one())

    def count_deks(self) -> int:
        return int(self.session.exec(select(func.count()).select_from(DekRow)).one())

    def _dek_row(
        self, kek_name: str, subject: str, algorithm: Algorithm, version: int
    ) -> DekRow | None:
        stmt = select(DekRow).where(
            DekRow.kek_name == kek_name,
            DekRow.subject == subject,
            DekRow.algorithm == algorithm.value,
            DekRow.version == version,
        )
        return self.session.exec(stmt).first()


class DekWriter(DekReader):
    def put_kek(self, kek: Kek) -> Kek:
        """Insert or replace the KEK of this name."""
        props = json.dumps(kek.kms_props, sort_keys=True, separators=(",", ":"))
        row = self.session.get(KekRow, kek.name)
        if row is None:
            row = KekRow(name=kek.name, kms_type=kek.kms_type, kms_key_id=kek.kms_key_id,
                         kms_props_json=props, doc=kek.doc, shared=kek.shared,
                         deleted=kek.deleted, ts=kek.ts)
        else:
            row.kms_type, row.kms_key_id, row.kms_props_json = (
                kek.kms_type, kek.kms_key_id, props)
            row.doc, row.shared, row.deleted, row.ts = kek.doc, kek.shared, kek.deleted, kek.ts
        self.session.add(row)
        self.session.flush()
        return _kek(row)

    def remove_kek(self, name: str) -> None:
        self.session.connection().execute(delete(KekRow).where(col(KekRow.name) == name))

    def put_dek(self, dek: Dek) -> Dek:
        """Insert or replace the DEK of this KEK, subject, algorithm and version."""
        row = self._dek_row(dek.kek_name, dek.subject, dek.algorithm, dek.version)
        if row is None:
            row = DekRow(kek_name=dek.kek_name, subject=dek.subject,
                         algorithm=dek.algorithm.value, version=dek.version,
                         encrypted_key_material=dek.encrypted_key_material,
                         deleted=dek.deleted, ts=dek.ts)
        else:
            row.encrypted_key_material, row.deleted, row.ts = (
                dek.encrypted_key_material, dek.deleted, dek.ts)
        self.session.add(row)
        self.session.flush()
        return _dek(row)

    def remove_dek(self, dek: Dek) -> None:
        self.session.connection().execute(
            delete(DekRow).where(
                col(DekRow.kek_name) == dek.kek_name,
                col(DekRow.subject) == dek.subject,
                col(DekRow.algorithm) == dek.algorithm.value,
                col(DekRow.version) == dek.version,
            )
        )


class DekRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def reading(self) -> Iterator[DekReader]:
        with self.database.reading() as session:
            yield DekReader(session)

    @contextmanager
    def writing(self) -> Iterator[DekWriter]:
        with self.database.writing() as session:
            yield DekWriter(session)
