"""The registry's SQL: sessions in, frozen values (`registry.values`) out.

`Repository.reading()` and `.writing()` each open one transaction and hand out a `Reader` or
`Writer` bound to it; every query of the registry is a method of those two classes. Writes go
through `Database.writing()`, the registry-wide write lock. A `Writer` can also queue a change
notice (`notify`), which PostgreSQL delivers to every listening process when, and only if, the
transaction commits.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import ColumnElement, delete, func, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from compat import Level, Policy, Reference, SchemaType
from registry.datacontract import NO_CONTRACT, Contract
from registry.db import Database
from registry.models import (
    GLOBAL_SCOPE,
    ConfigRow,
    ContextRow,
    MetaRow,
    ModeRow,
    ReferenceRow,
    SchemaRow,
    SubjectVersionRow,
)
from registry.values import ConfigUpdate, ConfigValue, Mode, StoredSchema, VersionEntry

__all__ = ["NOTIFY_CHANNEL", "Reader", "Repository", "Writer"]

NOTIFY_CHANNEL = "charter_registry"


def _scope(subject: str | None) -> str:
    return GLOBAL_SCOPE if subject is None else subject


def _references_json(refs: Sequence[Reference]) -> str:
    return json.dumps(
        [{"name": r.name, "subject": r.subject, "version": r.version} for r in refs],
        separators=(",", ":"),
    )


def _stored(row: SchemaRow) -> StoredSchema:
    refs = tuple(
        Reference(r["name"], r["subject"], int(r["version"]))
        for r in json.loads(row.references_json)
    )
    return StoredSchema(row.context_id, SchemaType(row.schema_type), row.text, refs, row.guid,
                        Contract(row.metadata_json, row.rule_set_json), row.id, row.context)


def _config(row: ConfigRow) -> ConfigValue:
    return ConfigValue(
        subject=None if row.subject == GLOBAL_SCOPE else row.subject,
        level=Level(row.compatibility) if row.compatibility else None,
        policy=Policy(row.compatibility_policy) if row.compatibility_policy else None,
        normalize=row.normalize,
        compatibility_group=row.compatibility_group,
        alias=row.alias,
        validate_fields=row.validate_fields,
        default_contract=Contract(row.default_metadata, row.default_rule_set),
        override_contract=Contract(row.override_metadata, row.override_rule_set),
    )


_ENTRY_COLUMNS = (
    col(SubjectVersionRow.subject),
    col(SubjectVersionRow.version),
    col(SubjectVersionRow.schema_id),
    col(SubjectVersionRow.deleted),
    col(SchemaRow.fingerprint),
    col(SchemaRow.normalized_fingerprint),
)


class Reader:
    """Queries inside one transaction."""

    def __init__(self, session: Session, *, is_postgres: bool) -> None:
        self.session = session
        self._is_postgres = is_postgres

    def _entries(self, *where: ColumnElement[bool]) -> list[VersionEntry]:
        stmt = (
            sa.select(*_ENTRY_COLUMNS)
            .join(SchemaRow, col(SchemaRow.id) == col(SubjectVersionRow.schema_id))
            .where(*where)
            .order_by(col(SubjectVersionRow.subject), col(SubjectVersionRow.version))
        )
        return [
            VersionEntry(row[0], row[1], row[2], bool(row[3]), row[4], row[5])
            for row in self.session.execute(stmt)
        ]

    def versions(self, subject: str) -> list[VersionEntry]:
        """Every version of `subject`, soft-deleted ones included, oldest first."""
        return self._entries(col(SubjectVersionRow.subject) == subject)

    def all_versions(self) -> list[VersionEntry]:
        """Every version of every subject, by subject then version."""
        return self._entries()

    def versions_of_key(self, key: int) -> list[VersionEntry]:
        """Every version holding the schema row `key`."""
        return self._entries(col(SubjectVersionRow.schema_id) == key)

    def subjects(self) -> list[tuple[str, bool]]:
        """(subject, deleted) for every distinct pair."""
        stmt = select(SubjectVersionRow.subject, SubjectVersionRow.deleted).distinct()
        return [(subject, bool(gone)) for subject, gone in self.session.exec(stmt)]

    def schema(self, key: int) -> StoredSchema | None:
        """The schema of row `key`."""
        row = self.session.get(SchemaRow, key)
        return _stored(row) if row is not None else None

    def schema_in(self, context: str, schema_id: int) -> StoredSchema | None:
        """The schema a client's id names within `context`."""
        stmt = select(SchemaRow).where(SchemaRow.context == context,
                                       SchemaRow.context_id == schema_id)
        found = self.session.exec(stmt).first()
        return _stored(found) if found is not None else None

    def schemas(self, keys: set[int]) -> dict[int, StoredSchema]:
        """Schemas by row key."""
        if not keys:
            return {}
        stmt = select(SchemaRow).where(col(SchemaRow.id).in_(keys))
        return {row.id: _stored(row) for row in self.session.exec(stmt)}

    def schema_with_fingerprint(self, fingerprint: str) -> StoredSchema | None:
        row = self.session.exec(select(SchemaRow).where(SchemaRow.fingerprint == fingerprint))
        found = row.first()
        return _stored(found) if found is not None else None

    def schemas_with_guid(self, guid: str) -> list[StoredSchema]:
        """Every schema with this GUID, one per context at most, oldest row first."""
        stmt = select(SchemaRow).where(SchemaRow.guid == guid).order_by(col(SchemaRow.id))
        return [_stored(row) for row in self.session.exec(stmt)]

    def contexts(self) -> list[str]:
        """The contexts in use besides the default one."""
        return sorted(self.session.exec(select(ContextRow.name)))

    def is_held(self, key: int) -> bool:
        """Whether some version, soft-deleted or not, still holds the id. Rows of the schemas
        table are kept forever (ids are never reused), but once every version holding an id
        is permanently deleted the id answers 'not found', as in Confluent's registry."""
        stmt = select(SubjectVersionRow.id).where(SubjectVersionRow.schema_id == key)
        return self.session.exec(stmt.limit(1)).first() is not None

    def has_live_version(self, subject: str | None) -> bool:
        """Whether `subject` (or, for None, any subject) has a version not soft-deleted."""
        stmt = select(SubjectVersionRow.id).where(col(SubjectVersionRow.deleted).is_(False))
        if subject is not None:
            stmt = stmt.where(SubjectVersionRow.subject == subject)
        return self.session.exec(stmt.limit(1)).first() is not None

    def has_version_under(self, prefix: str, *, deleted: bool) -> bool:
        """Whether a subject starting with `prefix` (a context's `:.ctx:`) has a version;
        `deleted` counts soft-deleted ones too."""
        stmt = select(SubjectVersionRow.id).where(
            col(SubjectVersionRow.subject).startswith(prefix, autoescape=True)
        )
        if not deleted:
            stmt = stmt.where(col(SubjectVersionRow.deleted).is_(False))
        return self.session.exec(stmt.limit(1)).first() is not None

    def referrers(self, subject: str, versions: Sequence[int]) -> list[int]:
        """Ids (as clients see them) of registered schemas that reference any of these
        versions of `subject` (references are stored with qualified subjects)."""
        if not versions:
            return []
        registered = select(SubjectVersionRow.schema_id).distinct()
        stmt = (
            select(SchemaRow.context_id)
            .join(ReferenceRow, col(ReferenceRow.schema_id) == col(SchemaRow.id))
            .where(ReferenceRow.subject == subject)
            .where(col(ReferenceRow.version).in_(list(versions)))
            .where(col(ReferenceRow.schema_id).in_(registered))
            .distinct()
            .order_by(col(SchemaRow.context_id))
        )
        return list(self.session.exec(stmt))

    def config(self, subject: str | None) -> ConfigValue | None:
        row = self.session.get(ConfigRow, _scope(subject))
        return _config(row) if row is not None else None

    def mode(self, subject: str | None) -> Mode | None:
        row = self.session.get(ModeRow, _scope(subject))
        return Mode(row.mode) if row is not None else None

    def cluster_id(self) -> str:
        row = self.session.get(MetaRow, "cluster_id")
        return row.value if row else ""


class Writer(Reader):
    """Queries and changes inside the one serialised write transaction."""

    def ensure_cluster_id(self) -> str:
        row = self.session.get(MetaRow, "cluster_id")
        if row is None:
            row = MetaRow(key="cluster_id", value=str(uuid.uuid4()))
            self.session.add(row)
        return row.value

    def next_key(self) -> int:
        top = self.session.exec(select(func.max(SchemaRow.id))).one()
        return (top or 0) + 1

    def next_schema_id(self, context: str) -> int:
        """The next id of `context` (ids are never reused: schema rows are kept)."""
        stmt = select(func.max(SchemaRow.context_id)).where(SchemaRow.context == context)
        top = self.session.exec(stmt).one()
        return (top or 0) + 1

    def add_context(self, context: str) -> None:
        if self.session.get(ContextRow, context) is None:
            self.session.add(ContextRow(name=context))

    def delete_context(self, context: str) -> bool:
        row = self.session.get(ContextRow, context)
        if row is None:
            return False
        self.session.delete(row)
        return True

    def insert_schema(
        self,
        key: int,
        context: str,
        schema_id: int,
        schema_type: SchemaType,
        text_: str,
        fingerprint: str,
        normalized_fingerprint: str,
        references: Sequence[Reference],
        contract: Contract = NO_CONTRACT,
        guid: str | None = None,
    ) -> StoredSchema:
        row = SchemaRow(
            id=key,
            context=context,
            context_id=schema_id,
            schema_type=schema_type.value,
            text=text_,
            fingerprint=fingerprint,
            normalized_fingerprint=normalized_fingerprint,
            references_json=_references_json(references),
            guid=guid or str(uuid.uuid4()),
            metadata_json=contract.metadata,
            rule_set_json=contract.rule_set,
        )
        self.session.add(row)
        self.session.flush()  # the reference rows point at it; no relationship() orders them
        for ref in references:
            self.session.add(
                ReferenceRow(
                    schema_id=key, name=ref.name, subject=ref.subject, version=ref.version
                )
            )
        self.session.flush()
        return _stored(row)

    def add_version(self, subject: str, version: int, key: int) -> None:
        self.session.add(
            SubjectVersionRow(subject=subject, version=version, schema_id=key, deleted=False)
        )

    def soft_delete(self, subject: str, version: int | None = None) -> None:
        """Mark one version (or, for None, every version) of `subject` deleted."""
        stmt = update(SubjectVersionRow).where(col(SubjectVersionRow.subject) == subject)
        if version is not None:
            stmt = stmt.where(col(SubjectVersionRow.version) == version)
        self.session.connection().execute(stmt.values(deleted=True))

    def hard_delete(self, subject: str, version: int | None = None) -> None:
        """Remove one version (or, for None, every version and the subject's config and
        mode). The schema rows stay: ids are never reused."""
        stmt = delete(SubjectVersionRow).where(col(SubjectVersionRow.subject) == subject)
        if version is not None:
            stmt = stmt.where(col(SubjectVersionRow.version) == version)
        connection = self.session.connection()
        connection.execute(stmt)
        if version is None:
            connection.execute(delete(ConfigRow).where(col(ConfigRow.subject) == subject))
            connection.execute(delete(ModeRow).where(col(ModeRow.subject) == subject))

    def put_config(self, subject: str | None, update: ConfigUpdate) -> ConfigValue:
        """Set the given fields of a config, keeping the others; returns the result."""
        scope = _scope(subject)
        row = self.session.get(ConfigRow, scope) or ConfigRow(subject=scope)
        if update.level is not None:
            row.compatibility = update.level.value
        if update.policy is not None:
            row.compatibility_policy = update.policy.value
        for field in (
            "normalize", "compatibility_group", "alias", "validate_fields", "default_metadata",
            "override_metadata", "default_rule_set", "override_rule_set",
        ):
            value = getattr(update, field)
            if value is not None:
                setattr(row, field, value)
        self.session.add(row)
        return _config(row)

    def delete_config(self, subject: str | None) -> ConfigValue | None:
        row = self.session.get(ConfigRow, _scope(subject))
        if row is None:
            return None
        old = _config(row)
        self.session.delete(row)
        return old

    def put_mode(self, subject: str | None, mode: Mode) -> None:
        scope = _scope(subject)
        row = self.session.get(ModeRow, scope) or ModeRow(subject=scope, mode=mode.value)
        row.mode = mode.value
        self.session.add(row)

    def delete_mode(self, subject: str | None) -> Mode | None:
        row = self.session.get(ModeRow, _scope(subject))
        if row is None:
            return None
        old = Mode(row.mode)
        self.session.delete(row)
        return old

    def notify(self, payload: str) -> None:
        """Tell the other registry processes what changed, once this transaction commits
        (PostgreSQL only; SQLite serves one process)."""
        if self._is_postgres:
            self.session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": payload},
            )


class Repository:
    """Opens the transactions; the service asks it for a `Reader` or a `Writer`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.is_postgres = not database.is_sqlite

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        with self.database.reading() as session:
            yield Reader(session, is_postgres=self.is_postgres)

    @contextmanager
    def writing(self) -> Iterator[Writer]:
        with self.database.writing() as session:
            yield Writer(session, is_postgres=self.is_postgres)

    def ping(self) -> str | None:
        """None when the database answers, else what went wrong (the exception's type)."""
        try:
            self.database.ping()
        except (SQLAlchemyError, OSError) as exc:
            return type(exc).__name__
        return None

    def ensure_cluster_id(self) -> str:
        with self.writing() as writer:
            return writer.ensure_cluster_id()

    def close(self) -> None:
        self.database.dispose()
