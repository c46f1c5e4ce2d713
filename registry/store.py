"""Every read and write of the registry's data; each public method owns one transaction.

Compatibility checks and parsing run inside the write transaction, so a registration sees
exactly the history it is checked against.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import delete, func, update
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

import compat
from compat import Level, Policy, Reference, Schema, SchemaSource, SchemaType
from registry import errors
from registry.db import Database
from registry.models import (
    GLOBAL_SCOPE,
    ConfigRow,
    MetaRow,
    ModeRow,
    ReferenceRow,
    SchemaRow,
    SubjectVersionRow,
)

__all__ = [
    "LATEST",
    "EffectiveConfig",
    "Mode",
    "Registration",
    "Store",
    "StoredSchema",
    "SubjectVersion",
]

log = logging.getLogger("charter.registry")

LATEST = -1  # the version spec "latest" / -1
PARSED_CACHE_MAX = 4096


class Mode(StrEnum):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    IMPORT = "IMPORT"

    @classmethod
    def parse(cls, value: object) -> Mode:
        try:
            return cls(str(value).upper())
        except ValueError:
            raise errors.InvalidMode(
                f"Invalid mode {value!r}. Valid values are READWRITE, READONLY, IMPORT"
            ) from None


@dataclass(frozen=True, slots=True)
class StoredSchema:
    id: int
    schema_type: SchemaType
    text: str
    references: tuple[Reference, ...]

    @property
    def source(self) -> SchemaSource:
        return SchemaSource(self.text, self.schema_type, self.references)


@dataclass(frozen=True, slots=True)
class SubjectVersion:
    subject: str
    version: int
    schema: StoredSchema
    deleted: bool


@dataclass(frozen=True, slots=True)
class EffectiveConfig:
    level: Level
    policy: Policy
    normalize: bool


@dataclass(frozen=True, slots=True)
class Registration:
    """What a new schema registration asks for (id and version only in IMPORT mode)."""

    subject: str
    source: SchemaSource
    normalize: bool = False
    schema_id: int | None = None
    version: int | None = None


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
    return StoredSchema(row.id, SchemaType(row.schema_type), row.text, refs)


class Store:
    def __init__(self, database: Database) -> None:
        self.db = database
        self._parsed: dict[int, Schema] = {}
        self._parsed_lock = threading.Lock()

    # ---- set-up and health ----------------------------------------------------------------

    def ensure_cluster_id(self) -> str:
        with self.db.writing() as session:
            row = session.get(MetaRow, "cluster_id")
            if row is None:
                row = MetaRow(key="cluster_id", value=str(uuid.uuid4()))
                session.add(row)
            return row.value

    def cluster_id(self) -> str:
        with self.db.reading() as session:
            row = session.get(MetaRow, "cluster_id")
            return row.value if row else ""

    # ---- helpers running inside a caller's session -----------------------------------------

    def _rows(self, session: Session, subject: str) -> list[SubjectVersionRow]:
        stmt = (
            select(SubjectVersionRow)
            .where(SubjectVersionRow.subject == subject)
            .order_by(col(SubjectVersionRow.version))
        )
        return list(session.exec(stmt))

    def _schema_row(self, session: Session, schema_id: int) -> SchemaRow:
        row = session.get(SchemaRow, schema_id)
        if row is None:  # a foreign key makes this impossible; say so rather than crash
            raise errors.StoreError(f"schema {schema_id} is missing from the store")
        return row

    def _view(self, session: Session, row: SubjectVersionRow) -> SubjectVersion:
        schema = _stored(self._schema_row(session, row.schema_id))
        return SubjectVersion(row.subject, row.version, schema, row.deleted)

    def _pick(
        self,
        subject: str,
        rows: list[SubjectVersionRow],
        version: int,
        *,
        include_deleted: bool,
    ) -> SubjectVersionRow:
        """The row a version spec names, with Confluent's not-found errors."""
        visible = rows if include_deleted else [r for r in rows if not r.deleted]
        if not visible:
            raise errors.SubjectNotFound(subject)
        if version == LATEST:
            return visible[-1]
        for row in visible:
            if row.version == version:
                return row
        raise errors.VersionNotFound(subject, version)

    def _resolver(self, session: Session) -> compat.Resolver:
        def resolve(reference: Reference, /) -> SchemaSource:
            rows = self._rows(session, reference.subject)
            live = [r for r in rows if not r.deleted]
            if reference.version == LATEST:
                if not live:
                    raise LookupError(f"subject {reference.subject!r} has no live version")
                row = live[-1]
            else:
                found = [r for r in rows if r.version == reference.version]
                if not found:
                    raise LookupError(
                        f"subject {reference.subject!r} has no version {reference.version}"
                    )
                row = found[0]
            return _stored(self._schema_row(session, row.schema_id)).source

        return resolve

    def _concrete_references(
        self, session: Session, refs: Sequence[Reference]
    ) -> tuple[Reference, ...]:
        """References with `latest` (-1) replaced by the version it names now."""
        result = []
        for ref in refs:
            if ref.version == LATEST:
                live = [r for r in self._rows(session, ref.subject) if not r.deleted]
                if not live:
                    raise errors.InvalidSchema(
                        f"Invalid schema: reference {ref.name!r} names subject "
                        f"{ref.subject!r}, which has no version"
                    )
                ref = Reference(ref.name, ref.subject, live[-1].version)
            result.append(ref)
        return tuple(result)

    def _parse(self, session: Session, source: SchemaSource) -> Schema:
        try:
            schema = compat.parse(source, self._resolver(session))
            # JSON escapes can smuggle in unpaired surrogates, which no database can store.
            schema.canonical_text.encode("utf-8")
            schema.normalized_text.encode("utf-8")
            return schema
        except UnicodeEncodeError as exc:
            raise errors.InvalidSchema(
                "Invalid schema: it contains an unpaired surrogate (an escape such as \\ud800); "
                "the text must be valid Unicode"
            ) from exc
        except compat.UnknownSchemaTypeError as exc:
            raise errors.InvalidSchema(f"Invalid schema: {exc.message}") from exc
        except compat.CompatError as exc:
            raise errors.InvalidSchema(f"Invalid schema: {exc.message}") from exc
        except ImportError as exc:
            raise errors.InvalidSchema(
                f"Invalid schema: schema type {source.schema_type} is not available: {exc}"
            ) from exc
        except (errors.RegistryError, SQLAlchemyError):
            raise
        except RecursionError as exc:
            raise errors.InvalidSchema("Invalid schema: it is nested too deeply") from exc
        except Exception as exc:  # a parser failure on odd input is still the input's fault
            log.exception("the %s parser failed", source.schema_type)
            raise errors.InvalidSchema(
                f"Invalid schema: it could not be parsed ({type(exc).__name__})"
            ) from exc

    def _parsed_stored(self, session: Session, stored: StoredSchema) -> Schema:
        """A stored schema parsed once per process: a schema under an id never changes."""
        schema = self._parsed.get(stored.id)
        if schema is None:
            try:
                schema = compat.parse(stored.source, self._resolver(session))
            except (compat.CompatError, ImportError) as exc:
                raise errors.StoreError(
                    f"stored schema {stored.id} can no longer be parsed: {exc}"
                ) from exc
            with self._parsed_lock:
                if len(self._parsed) >= PARSED_CACHE_MAX:
                    self._parsed.clear()
                self._parsed[stored.id] = schema
        return schema

    @staticmethod
    def _check(
        level: Level, schema: Schema, history: Sequence[Schema], policy: Policy
    ) -> compat.Result:
        try:
            return compat.check(level, schema, history, policy=policy)
        except RecursionError as exc:
            raise errors.InvalidSchema(
                "Invalid schema: it is nested too deeply to compare with the subject's history"
            ) from exc

    def _config(self, session: Session, subject: str | None) -> EffectiveConfig:
        level, policy, normalize = Level.BACKWARD, Policy.STRICT, False
        scopes = [GLOBAL_SCOPE] if subject is None else [GLOBAL_SCOPE, subject]
        for scope in scopes:
            row = session.get(ConfigRow, scope)
            if row is None:
                continue
            if row.compatibility:
                level = Level(row.compatibility)
            if row.compatibility_policy:
                policy = Policy(row.compatibility_policy)
            if row.normalize is not None:
                normalize = row.normalize
        return EffectiveConfig(level, policy, normalize)

    def _mode(self, session: Session, subject: str | None) -> Mode:
        if subject is not None:
            row = session.get(ModeRow, subject)
            if row is not None:
                return Mode(row.mode)
        row = session.get(ModeRow, GLOBAL_SCOPE)
        return Mode(row.mode) if row else Mode.READWRITE

    def _require_writable(self, session: Session, subject: str) -> Mode:
        mode = self._mode(session, subject)
        if mode is Mode.READONLY:
            raise errors.OperationNotPermitted(f"Subject '{subject}' is in read-only mode")
        return mode

    def _history(
        self, session: Session, rows: list[SubjectVersionRow], level: Level
    ) -> list[Schema]:
        live = [r for r in rows if not r.deleted]
        if level is Level.NONE or not live:
            return []
        wanted = live if level.transitive else live[-1:]
        return [
            self._parsed_stored(session, _stored(self._schema_row(session, r.schema_id)))
            for r in wanted
        ]

    def _referrers(self, session: Session, subject: str, versions: Sequence[int]) -> list[int]:
        """Ids of registered schemas that reference any of these versions of `subject`."""
        if not versions:
            return []
        registered = select(SubjectVersionRow.schema_id).distinct()
        stmt = (
            select(ReferenceRow.schema_id)
            .where(ReferenceRow.subject == subject)
            .where(col(ReferenceRow.version).in_(list(versions)))
            .where(col(ReferenceRow.schema_id).in_(registered))
            .distinct()
            .order_by(col(ReferenceRow.schema_id))
        )
        return list(session.exec(stmt))

    # ---- subjects and versions ------------------------------------------------------------

    def list_subjects(
        self, *, prefix: str = "", deleted: bool = False, deleted_only: bool = False
    ) -> list[str]:
        """Subjects with a live version; `deleted` adds soft-deleted ones, `deleted_only`
        gives only those whose every version is soft-deleted."""
        with self.db.reading() as session:
            stmt = select(SubjectVersionRow.subject, SubjectVersionRow.deleted).distinct()
            pairs = list(session.exec(stmt))
        live = {subject for subject, gone in pairs if not gone}
        every = {subject for subject, _ in pairs}
        if deleted_only:
            chosen = every - live
        elif deleted:
            chosen = every
        else:
            chosen = live
        return sorted(s for s in chosen if s.startswith(prefix))

    def list_versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        with self.db.reading() as session:
            rows = self._rows(session, subject)
        if not rows or (not deleted and not deleted_only and all(r.deleted for r in rows)):
            raise errors.SubjectNotFound(subject)
        if deleted_only:
            return [r.version for r in rows if r.deleted]
        return [r.version for r in rows if deleted or not r.deleted]

    def get_version(self, subject: str, version: int, *, deleted: bool = False) -> SubjectVersion:
        with self.db.reading() as session:
            rows = self._rows(session, subject)
            if not rows:
                raise errors.SubjectNotFound(subject)
            return self._view(session, self._pick(subject, rows, version, include_deleted=deleted))

    def referenced_by(self, subject: str, version: int) -> list[int]:
        with self.db.reading() as session:
            rows = self._rows(session, subject)
            if not rows:
                raise errors.SubjectNotFound(subject)
            row = self._pick(subject, rows, version, include_deleted=True)
            return self._referrers(session, subject, [row.version])

    def lookup(
        self, subject: str, source: SchemaSource, *, normalize: bool = False, deleted: bool = False
    ) -> SubjectVersion:
        with self.db.reading() as session:
            rows = self._rows(session, subject)
            visible = [r for r in rows if deleted or not r.deleted]
            if not visible:
                raise errors.SubjectNotFound(subject)
            normalize = normalize or self._config(session, subject).normalize
            source = SchemaSource(
                source.text,
                source.schema_type,
                self._concrete_references(session, source.references),
            )
            schema = self._parse(session, source)
            match = self._match(session, visible, schema, normalize)
            if match is None:
                raise errors.SchemaNotFound()
            return self._view(session, match)

    def _match(
        self,
        session: Session,
        rows: Sequence[SubjectVersionRow],
        schema: Schema,
        normalize: bool,
    ) -> SubjectVersionRow | None:
        """The newest of `rows` holding this schema (by exact, or normalised, identity)."""
        by_id = {r.schema_id: r for r in rows}
        if not by_id:
            return None
        exact = schema.fingerprint()
        stmt = select(SchemaRow.id).where(col(SchemaRow.id).in_(list(by_id)))
        if normalize:
            stmt = stmt.where(
                (SchemaRow.fingerprint == exact)
                | (SchemaRow.normalized_fingerprint == schema.fingerprint(normalize=True))
            )
        else:
            stmt = stmt.where(SchemaRow.fingerprint == exact)
        ids = set(session.exec(stmt))
        for row in reversed(rows):
            if row.schema_id in ids:
                return row
        return None

    def register(self, request: Registration) -> int:
        """Register a schema under a subject; the id, existing or new."""
        if request.schema_id is None and request.version is None:
            known = self._registered_id(request)
            if known is not None:
                return known
        with self.db.writing() as session:
            mode = self._require_writable(session, request.subject)
            importing = mode is Mode.IMPORT
            if not importing and (request.schema_id is not None or request.version is not None):
                if request.schema_id is not None and request.version is None:
                    pass  # checked against the schema's id below, as Confluent does
                else:
                    raise errors.OperationNotPermitted(
                        "A version can only be given when the subject is in IMPORT mode"
                    )
            config = self._config(session, request.subject)
            normalize = request.normalize or config.normalize
            source = SchemaSource(
                request.source.text,
                request.source.schema_type,
                self._concrete_references(session, request.source.references),
            )
            schema = self._parse(session, source)
            text = schema.normalized_text if normalize else schema.canonical_text
            fingerprint = schema.fingerprint(normalize=normalize)
            rows = self._rows(session, request.subject)
            live = [r for r in rows if not r.deleted]

            existing = session.exec(
                select(SchemaRow).where(SchemaRow.fingerprint == fingerprint)
            ).first()
            if (
                request.schema_id is not None
                and existing is not None
                and existing.id != request.schema_id
            ):
                raise errors.IdMismatch(
                    f"Schema already registered with id {existing.id} "
                    f"instead of input id {request.schema_id}"
                )
            if not importing and request.schema_id is not None and existing is None:
                raise errors.OperationNotPermitted(
                    f"Overwrite new schema with id {request.schema_id} is not permitted "
                    "outside IMPORT mode"
                )

            if request.version is None:
                match = self._match(session, live, schema, normalize)
                if match is not None:
                    return match.schema_id

            if not importing:
                history = self._history(session, rows, config.level)
                result = self._check(config.level, schema, history, config.policy)
                if not result.compatible:
                    raise errors.IncompatibleSchema(request.subject, result.messages())

            if existing is None:
                existing = self._insert_schema(session, schema, text, fingerprint, request)
            version = self._next_version(session, request, rows, existing.id)
            if version is None:  # IMPORT of a version the subject already holds identically
                return existing.id
            session.add(
                SubjectVersionRow(
                    subject=request.subject,
                    version=version,
                    schema_id=existing.id,
                    deleted=False,
                )
            )
            return existing.id

    def _registered_id(self, request: Registration) -> int | None:
        """The id when the subject already holds this schema: re-registering (what every
        producer does at start-up) then needs no write lock."""
        with self.db.reading() as session:
            if self._mode(session, request.subject) is not Mode.READWRITE:
                return None  # let the write path give READONLY's error and IMPORT's rules
            normalize = request.normalize or self._config(session, request.subject).normalize
            live = [r for r in self._rows(session, request.subject) if not r.deleted]
            if not live:
                return None
            source = SchemaSource(
                request.source.text,
                request.source.schema_type,
                self._concrete_references(session, request.source.references),
            )
            match = self._match(session, live, self._parse(session, source), normalize)
            return match.schema_id if match is not None else None

    def _insert_schema(
        self,
        session: Session,
        schema: Schema,
        text: str,
        fingerprint: str,
        request: Registration,
    ) -> SchemaRow:
        if request.schema_id is not None:
            taken = session.get(SchemaRow, request.schema_id)
            if taken is not None:
                raise errors.IdMismatch(
                    f"Schema id {request.schema_id} is already used by another schema"
                )
            schema_id = request.schema_id
        else:
            top = session.exec(select(func.max(SchemaRow.id))).one()
            schema_id = (top or 0) + 1
        row = SchemaRow(
            id=schema_id,
            schema_type=schema.schema_type.value,
            text=text,
            fingerprint=fingerprint,
            normalized_fingerprint=schema.fingerprint(normalize=True),
            references_json=_references_json(schema.references),
        )
        session.add(row)
        session.flush()  # the reference rows point at it; no relationship() orders the inserts
        for ref in schema.references:
            session.add(
                ReferenceRow(
                    schema_id=schema_id, name=ref.name, subject=ref.subject, version=ref.version
                )
            )
        session.flush()
        return row

    def _next_version(
        self,
        session: Session,
        request: Registration,
        rows: list[SubjectVersionRow],
        schema_id: int,
    ) -> int | None:
        if request.version is None:
            return (rows[-1].version if rows else 0) + 1
        for row in rows:
            if row.version == request.version:
                if row.schema_id == schema_id and not row.deleted:
                    return None
                raise errors.OperationNotPermitted(
                    f"Version {request.version} of subject '{request.subject}' already exists "
                    f"with another schema"
                )
        return request.version

    def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> int:
        with self.db.writing() as session:
            self._require_writable(session, subject)
            rows = self._rows(session, subject)
            if not rows:
                raise errors.SubjectNotFound(subject)
            if version == LATEST and not permanent:
                row = self._pick(subject, rows, version, include_deleted=False)
            else:
                row = self._pick(subject, rows, version, include_deleted=True)
            if permanent and not row.deleted:
                raise errors.VersionNotSoftDeleted(subject, row.version)
            if not permanent and row.deleted:
                raise errors.VersionSoftDeleted(subject, row.version)
            referrers = self._referrers(session, subject, [row.version])
            if referrers:
                raise errors.ReferenceExists(
                    f"One or more references exist to the schema {{subject={subject}, "
                    f"version={row.version}}}: ids {referrers}"
                )
            if permanent:
                session.connection().execute(
                    delete(SubjectVersionRow).where(col(SubjectVersionRow.id) == row.id)
                )
            else:
                session.connection().execute(
                    update(SubjectVersionRow)
                    .where(col(SubjectVersionRow.id) == row.id)
                    .values(deleted=True)
                )
            return row.version

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        with self.db.writing() as session:
            self._require_writable(session, subject)
            rows = self._rows(session, subject)
            if not rows:
                raise errors.SubjectNotFound(subject)
            live = [r for r in rows if not r.deleted]
            if permanent and live:
                raise errors.SubjectNotSoftDeleted(subject)
            if not permanent and not live:
                raise errors.SubjectSoftDeleted(subject)
            targets = rows if permanent else live
            versions = [r.version for r in targets]
            referrers = self._referrers(session, subject, versions)
            if referrers:
                raise errors.ReferenceExists(
                    f"One or more references exist to subject '{subject}': ids {referrers}"
                )
            if permanent:
                session.connection().execute(
                    delete(SubjectVersionRow).where(col(SubjectVersionRow.subject) == subject)
                )
                session.connection().execute(
                    delete(ConfigRow).where(col(ConfigRow.subject) == subject)
                )
                session.connection().execute(delete(ModeRow).where(col(ModeRow.subject) == subject))
            else:
                session.connection().execute(
                    update(SubjectVersionRow)
                    .where(col(SubjectVersionRow.subject) == subject)
                    .values(deleted=True)
                )
            return versions

    # ---- schemas by id --------------------------------------------------------------------

    def _held(self, session: Session, schema_id: int) -> bool:
        """Whether some version, soft-deleted or not, still holds the id. Rows of the schemas
        table are kept forever (ids are never reused), but once every version holding an id
        is permanently deleted the id answers 'not found', as in Confluent's registry."""
        stmt = select(SubjectVersionRow.id).where(SubjectVersionRow.schema_id == schema_id)
        return session.exec(stmt.limit(1)).first() is not None

    def schema_by_id(self, schema_id: int) -> StoredSchema | None:
        with self.db.reading() as session:
            row = session.get(SchemaRow, schema_id)
            return _stored(row) if row and self._held(session, schema_id) else None

    def parsed_schema(self, schema_id: int) -> Schema | None:
        """The schema under `schema_id`, parsed with its references resolved; None if unknown."""
        with self.db.reading() as session:
            row = session.get(SchemaRow, schema_id)
            return None if row is None else self._parse(session, _stored(row).source)

    def is_live_in(self, subject: str, schema_id: int) -> bool:
        """Whether a live (not soft-deleted) version of `subject` holds `schema_id`."""
        with self.db.reading() as session:
            return any(
                r.schema_id == schema_id and not r.deleted for r in self._rows(session, subject)
            )

    def versions_of_id(self, schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
        with self.db.reading() as session:
            if session.get(SchemaRow, schema_id) is None or not self._held(session, schema_id):
                raise errors.SchemaNotFound(f"Schema {schema_id} not found")
            stmt = (
                select(SubjectVersionRow)
                .where(SubjectVersionRow.schema_id == schema_id)
                .order_by(col(SubjectVersionRow.subject), col(SubjectVersionRow.version))
            )
            rows = [r for r in session.exec(stmt) if deleted or not r.deleted]
        return [(r.subject, r.version) for r in rows]

    def list_schemas(
        self, *, prefix: str = "", deleted: bool = False, latest_only: bool = False
    ) -> list[SubjectVersion]:
        with self.db.reading() as session:
            stmt = select(SubjectVersionRow).order_by(
                col(SubjectVersionRow.subject), col(SubjectVersionRow.version)
            )
            rows = [
                r
                for r in session.exec(stmt)
                if (deleted or not r.deleted) and r.subject.startswith(prefix)
            ]
            if latest_only:
                latest: dict[str, SubjectVersionRow] = {}
                for row in rows:
                    latest[row.subject] = row
                rows = list(latest.values())
            schemas = {
                s.id: _stored(s)
                for s in session.exec(
                    select(SchemaRow).where(col(SchemaRow.id).in_({r.schema_id for r in rows}))
                )
            }
        return [SubjectVersion(r.subject, r.version, schemas[r.schema_id], r.deleted) for r in rows]

    # ---- compatibility --------------------------------------------------------------------

    def check_compatibility(
        self,
        subject: str,
        version: int | None,
        source: SchemaSource,
        *,
        normalize: bool = False,
    ) -> compat.Result:
        """Check `source` against one version (`version`) or the history the level asks for."""
        with self.db.reading() as session:
            config = self._config(session, subject)
            rows = self._rows(session, subject)
            source = SchemaSource(
                source.text,
                source.schema_type,
                self._concrete_references(session, source.references),
            )
            schema = self._parse(session, source)
            if version is None:
                history = self._history(session, rows, config.level)
            elif not any(not r.deleted for r in rows):
                # As Confluent: nothing to break for `latest`; a numbered version is missing.
                if version != LATEST:
                    raise errors.VersionNotFound(subject, version)
                history = []
            else:
                row = self._pick(subject, rows, version, include_deleted=False)
                history = [self._parsed_stored(session, self._view(session, row).schema)]
                if config.level is Level.NONE:
                    history = []
            level = config.level
            if version is not None and level.transitive:
                level = Level(level.value.removesuffix("_TRANSITIVE"))
            return self._check(level, schema, history, config.policy)

    # ---- config ---------------------------------------------------------------------------

    def get_config(self, subject: str | None, *, default_to_global: bool = False) -> ConfigRow:
        with self.db.reading() as session:
            if subject is None:
                row = session.get(ConfigRow, GLOBAL_SCOPE)
                return row or ConfigRow(subject=GLOBAL_SCOPE)
            row = session.get(ConfigRow, subject)
            if row is not None:
                return row
            if not default_to_global:
                raise errors.SubjectConfigNotFound(subject)
            return session.get(ConfigRow, GLOBAL_SCOPE) or ConfigRow(subject=GLOBAL_SCOPE)

    def set_config(
        self,
        subject: str | None,
        *,
        level: Level | None,
        policy: Policy | None,
        normalize: bool | None,
    ) -> ConfigRow:
        scope = GLOBAL_SCOPE if subject is None else subject
        with self.db.writing() as session:
            row = session.get(ConfigRow, scope)
            if row is None:
                row = ConfigRow(subject=scope)
            if level is not None:
                row.compatibility = level.value
            if policy is not None:
                row.compatibility_policy = policy.value
            if normalize is not None:
                row.normalize = normalize
            session.add(row)
            return ConfigRow(
                subject=scope,
                compatibility=row.compatibility,
                compatibility_policy=row.compatibility_policy,
                normalize=row.normalize,
            )

    def delete_config(self, subject: str | None) -> ConfigRow:
        """Remove a config; returns the one removed (the global one falls back to defaults)."""
        scope = GLOBAL_SCOPE if subject is None else subject
        with self.db.writing() as session:
            row = session.get(ConfigRow, scope)
            if row is None:
                if subject is not None:
                    raise errors.SubjectNotFound(subject)
                return ConfigRow(subject=GLOBAL_SCOPE)
            old = ConfigRow(
                subject=scope,
                compatibility=row.compatibility,
                compatibility_policy=row.compatibility_policy,
                normalize=row.normalize,
            )
            session.delete(row)
            return old

    # ---- mode -----------------------------------------------------------------------------

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> Mode:
        with self.db.reading() as session:
            if subject is not None:
                row = session.get(ModeRow, subject)
                if row is not None:
                    return Mode(row.mode)
                if not default_to_global:
                    raise errors.SubjectModeNotFound(subject)
            return self._mode(session, None)

    def set_mode(self, subject: str | None, mode: Mode, *, force: bool = False) -> Mode:
        scope = GLOBAL_SCOPE if subject is None else subject
        with self.db.writing() as session:
            if mode is Mode.IMPORT and not force:
                stmt = select(SubjectVersionRow.id).where(col(SubjectVersionRow.deleted).is_(False))
                if subject is not None:
                    stmt = stmt.where(SubjectVersionRow.subject == subject)
                current = self._mode(session, subject)
                if current is not Mode.IMPORT and session.exec(stmt.limit(1)).first() is not None:
                    raise errors.OperationNotPermitted(
                        "Cannot import since found existing subjects; "
                        "set force=true to switch to IMPORT mode anyway"
                    )
            row = session.get(ModeRow, scope) or ModeRow(subject=scope, mode=mode.value)
            row.mode = mode.value
            session.add(row)
            return mode

    def delete_mode(self, subject: str | None) -> Mode:
        scope = GLOBAL_SCOPE if subject is None else subject
        with self.db.writing() as session:
            row = session.get(ModeRow, scope)
            if row is None:
                if subject is not None:
                    raise errors.SubjectNotFound(subject)
                return Mode.READWRITE
            old = Mode(row.mode)
            session.delete(row)
            return old
