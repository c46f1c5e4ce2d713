"""Confluent's rules over the repository, and every cache of the registry with its invalidation.

Modes, IMPORT, soft and permanent deletes, levels, references and compatibility checks live
here; SQL lives in `registry.repository`, parsing in `registry.schemas`, HTTP in the routers.

Caches (one owner, this class; their values and their exactness rule are in `registry.memory`):
parsed schemas, stored schemas by id (never stale: a schema under an id never changes), the
`GET /schemas/ids/{id}` bodies (dropped on permanent deletes), payload checks, and each
subject's history, configs and modes, which let a producer's start-up re-registration and
`POST /subjects/{s}` be answered from memory. Every change drops what it touches after its
commit; on PostgreSQL it also sends a `Change` notice that the other processes apply
(`registry.coherence`). Until a process hears notices, and while its listener reconnects, it
serves every read from the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import compat
from compat import Level, Policy, Result, Schema, SchemaSource
from registry import errors
from registry.changes import ChangeMark
from registry.datacontract import (
    NO_CONTRACT,
    Contract,
    identity,
    merge_metadata,
    merge_rule_sets,
)
from registry.memory import Caches, Change, View
from registry.qualified import (
    DEFAULT_CONTEXT,
    context_of,
    in_context,
    is_context_key,
    parent_scope,
    parse,
    prefix_filter,
    qualify_reference,
)
from registry.repository import Reader, Repository, Writer
from registry.responses import schema_json
from registry.schemas import PayloadCheck, Prepared
from registry.values import (
    LATEST,
    ConfigUpdate,
    ConfigValue,
    EffectiveConfig,
    Mode,
    Registration,
    StoredSchema,
    SubjectVersion,
    VersionEntry,
)

__all__ = ["RegistryService"]


def _pick(
    subject: str, history: Sequence[VersionEntry], version: int, *, include_deleted: bool
) -> VersionEntry:
    """The version a version spec names, with Confluent's not-found errors."""
    visible = list(history) if include_deleted else [e for e in history if not e.deleted]
    if not visible:
        raise errors.SubjectNotFound(subject)
    if version == LATEST:
        return visible[-1]
    for entry in visible:
        if entry.version == version:
            return entry
    raise errors.VersionNotFound(subject, version)


def _in_context(source: SchemaSource, context: str) -> SchemaSource:
    """`source` with its references' subjects qualified as seen from `context` (a reference
    from a schema of a context names a subject of that context unless it says otherwise)."""
    if context == DEFAULT_CONTEXT or not source.references:
        return source
    refs = tuple(replace(r, subject=qualify_reference(r.subject, context))
                 for r in source.references)
    return replace(source, references=refs)


def _identities(prepared: Prepared, contract: Contract, context: str) -> tuple[str, str]:
    """The (exact, normalised) identities of a schema with this contract in this context."""
    return (in_context(identity(prepared.fingerprint, contract), context),
            in_context(identity(prepared.normalized_fingerprint, contract), context))


def _matches(prefix: str | None, subject: str) -> bool:
    context, start = prefix_filter(prefix)
    qualified = parse(subject)
    if context is not None and qualified.context != context:
        return False
    return qualified.subject.startswith(start)


def _match(
    entries: Sequence[VersionEntry], fingerprint: str, normalized: str, normalize: bool
) -> VersionEntry | None:
    """The newest of `entries` holding this schema (by exact, or normalised, identity)."""
    for entry in reversed(entries):
        if entry.fingerprint == fingerprint or (
            normalize and entry.normalized_fingerprint == normalized
        ):
            return entry
    return None


def _match_text(
    view: View, entries: Sequence[VersionEntry], prepared: Prepared, normalize: bool,
    context: str,
) -> VersionEntry | None:
    """The newest of `entries` holding this schema's text, whatever its contract (a lookup
    that names no metadata or rules finds the version that inherited them)."""
    for entry in reversed(entries):
        exact, normal = _identities(prepared, view.stored(entry.schema_key).contract, context)
        if entry.fingerprint == exact or (normalize and entry.normalized_fingerprint == normal):
            return entry
    return None


def _merged(
    config: EffectiveConfig, request: Contract, previous: Contract | None
) -> Contract:
    """The contract a registration stores, as Confluent merges it: the request's own parts
    (or the previous version's, for a part the request leaves out) over the config's
    defaults, then the config's overrides over that."""
    metadata = request.metadata
    rule_set = request.rule_set
    if previous is not None:
        metadata = previous.metadata if metadata is None else metadata
        rule_set = previous.rule_set if rule_set is None else rule_set
    default, override = config.default_contract, config.override_contract
    return Contract(
        merge_metadata(merge_metadata(default.metadata, metadata), override.metadata),
        merge_rule_sets(merge_rule_sets(default.rule_set, rule_set), override.rule_set),
    )


def _check(level: Level, schema: Schema, history: Sequence[Schema], policy: Policy) -> Result:
    try:
        return compat.check(level, schema, history, policy=policy)
    except RecursionError as exc:
        raise errors.InvalidSchema(
            "Invalid schema: it is nested too deeply to compare with the subject's history"
        ) from exc


class RegistryService:
    """The registry's operations, each one transaction of the repository."""

    def __init__(self, repository: Repository) -> None:
        self.repository = repository
        # On PostgreSQL another process may change the data: until a listener reports that
        # it hears their notices, nothing is served from memory.
        self.caches = Caches(trusted=not repository.is_postgres)
        self.schemas = self.caches.schemas
        self.mark: ChangeMark | None = None
        url = repository.database.url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            self.mark = ChangeMark(Path(url.removeprefix("sqlite:///") + "-changes"))
            self.caches.outside = self.mark.changed
            repository.database.committed.append(self.mark.mark)

    # ---- coherence ------------------------------------------------------------------------

    @property
    def trusted(self) -> bool:
        return self.caches.trusted

    def set_listening(self, listening: bool) -> None:
        """Called by the change listener when it starts or stops hearing notices."""
        self.caches.set_listening(listening)

    def apply_notice(self, payload: str) -> None:
        """Called by the change listener with each notice of another process."""
        self.caches.apply_notice(payload)

    def forget(self) -> None:
        """Drop every cache (when the tables were changed behind the service's back)."""
        self.caches.forget()

    def _changed(self, writer: Writer, change: Change) -> Change:
        writer.notify(change.encode(self.caches.origin))
        return change

    # ---- set-up and health ----------------------------------------------------------------

    def ensure_cluster_id(self) -> str:
        return self.repository.ensure_cluster_id()

    def cluster_id(self) -> str:
        with self.repository.reading() as reader:
            return reader.cluster_id()

    def ping(self) -> str | None:
        """None when the database answers, else what went wrong."""
        return self.repository.ping()

    # ---- subjects and versions ------------------------------------------------------------

    def list_subjects(
        self, *, prefix: str | None = None, deleted: bool = False, deleted_only: bool = False
    ) -> list[str]:
        """Subjects with a live version; `deleted` adds soft-deleted ones, `deleted_only`
        gives only those whose every version is soft-deleted. `prefix` as Confluent's
        `subjectPrefix` (`registry.qualified.prefix_filter`): None lists every context."""
        with self.repository.reading() as reader:
            pairs = reader.subjects()
        live = {subject for subject, gone in pairs if not gone}
        every = {subject for subject, _ in pairs}
        if deleted_only:
            chosen = every - live
        elif deleted:
            chosen = every
        else:
            chosen = live
        return sorted(s for s in chosen if _matches(prefix, s))

    def list_versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False,
        as_negative: bool = False,
    ) -> list[int]:
        """`as_negative`: soft-deleted versions listed negated (Confluent's
        `deletedAsNegative`)."""
        with self.repository.reading() as reader:
            history = reader.versions(subject)
        if not history or (not deleted and not deleted_only and all(e.deleted for e in history)):
            raise errors.SubjectNotFound(subject)
        sign = {True: -1 if as_negative else 1, False: 1}
        if deleted_only:
            return [e.version * sign[True] for e in history if e.deleted]
        return [e.version * sign[e.deleted] for e in history if deleted or not e.deleted]

    def get_version(self, subject: str, version: int, *, deleted: bool = False) -> SubjectVersion:
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            entry = _pick(subject, view.history(subject), version, include_deleted=deleted)
            return SubjectVersion(subject, entry.version, view.stored(entry.schema_key),
                                  entry.deleted)

    def referenced_by(self, subject: str, version: int) -> list[int]:
        with self.repository.reading() as reader:
            history = reader.versions(subject)
            entry = _pick(subject, history, version, include_deleted=True)
            return reader.referrers(subject, [entry.version])

    def lookup(
        self,
        subject: str,
        source: SchemaSource,
        *,
        normalize: bool = False,
        deleted: bool = False,
        contract: Contract = NO_CONTRACT,
    ) -> SubjectVersion:
        """The newest version of `subject` holding `source`. Memory answers when it knows
        a match; anything it does not know is asked of the database."""
        if not deleted and self.trusted:
            with self.repository.reading() as reader:
                found = self._lookup(View(self.caches, reader, cached=True), subject, source,
                                     normalize, deleted, contract)
            if isinstance(found, SubjectVersion):
                return found
        with self.repository.reading() as reader:
            found = self._lookup(View(self.caches, reader, cached=False), subject, source,
                                 normalize, deleted, contract)
        if isinstance(found, SubjectVersion):
            return found
        raise found

    def _lookup(
        self, view: View, subject: str, source: SchemaSource,
        normalize: bool, deleted: bool, contract: Contract,
    ) -> SubjectVersion | errors.NotFoundError:
        visible = [e for e in view.history(subject) if deleted or not e.deleted]
        if not visible:
            return errors.SubjectNotFound(subject)
        context = context_of(subject)
        normalize = normalize or view.config(subject).normalize
        prepared = self.schemas.prepare(_in_context(source, context), view, normalize=normalize)
        if contract.empty:
            match = _match_text(view, visible, prepared, normalize, context)
        else:
            match = _match(visible, *_identities(prepared, contract, context), normalize)
        if match is None:
            return errors.SchemaNotFound()
        return SubjectVersion(subject, match.version, view.stored(match.schema_key),
                              match.deleted)

    def register(self, request: Registration) -> SubjectVersion:
        """Register a schema under a subject; the version holding it, existing or new."""
        if request.schema_id is None and request.version is None:
            known = self._registered(request)
            if known is not None:
                return known
        subject = request.subject
        context = context_of(subject)
        with self.repository.writing() as writer:
            view: View = View(self.caches, writer, cached=False)
            mode = self._require_writable(view, subject)
            importing = mode is Mode.IMPORT
            if not importing and (request.schema_id is not None or request.version is not None):
                if request.schema_id is not None and request.version is None:
                    pass  # checked against the schema's id below, as Confluent does
                else:
                    raise errors.OperationNotPermitted(
                        "A version can only be given when the subject is in IMPORT mode"
                    )
            config = view.config(subject)
            normalize = request.normalize or config.normalize
            prepared = self.schemas.prepare(_in_context(request.source, context), view,
                                            normalize=normalize)
            history = view.history(subject)
            live = [e for e in history if not e.deleted]
            # IMPORT copies a registry: the contract is stored as the source had it.
            contract = (request.contract if importing
                        else self._contract(view, config, request, live))
            fingerprint, normalized = _identities(prepared, contract, context)

            existing = writer.schema_with_fingerprint(fingerprint)
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

            if request.guid is not None:
                for holder in writer.schemas_with_guid(request.guid):
                    if holder.context == context and (existing is None
                                                      or holder.key != existing.key):
                        raise errors.IdMismatch(
                            f"Schema guid {request.guid} is already used by schema {holder.id}"
                        )
            if request.version is None:
                match = _match(live, fingerprint, normalized, normalize)
                if match is not None:
                    return SubjectVersion(subject, match.version,
                                          view.stored(match.schema_key), False)

            if not importing:
                old = self._history_schemas(
                    view, self._group(view, config, contract, live), config.level
                )
                result = _check(config.level, prepared.schema, old, config.policy)
                if not result.compatible:
                    raise errors.IncompatibleSchema(subject, result.messages())

            if existing is None:
                if request.schema_id is not None:
                    if writer.schema_in(context, request.schema_id) is not None:
                        raise errors.IdMismatch(
                            f"Schema id {request.schema_id} is already used by another schema"
                        )
                    schema_id = request.schema_id
                else:
                    schema_id = writer.next_schema_id(context)
                if context != DEFAULT_CONTEXT:
                    writer.add_context(context)
                existing = writer.insert_schema(
                    writer.next_key(),
                    context,
                    schema_id,
                    prepared.source.schema_type,
                    prepared.source.text,
                    fingerprint,
                    normalized,
                    prepared.source.references,
                    contract,
                    request.guid,
                )
            version = _next_version(request, history, existing.key)
            if version is None:  # IMPORT of a version the subject already holds identically
                return SubjectVersion(subject, request.version or 0, existing, False)
            writer.add_version(subject, version, existing.key)
            change = self._changed(writer, Change((subject,)))
        self.caches.apply(change)
        return SubjectVersion(subject, version, existing, False)

    def _contract(
        self, view: View, config: EffectiveConfig, request: Registration,
        live: Sequence[VersionEntry],
    ) -> Contract:
        previous = view.stored(live[-1].schema_key).contract if live else None
        return _merged(config, request.contract, previous)

    def _group(
        self, view: View, config: EffectiveConfig, contract: Contract,
        live: Sequence[VersionEntry],
    ) -> list[VersionEntry]:
        """The versions compatibility compares with: with a `compatibilityGroup`, only those
        whose metadata property of that name has the new schema's value."""
        key = config.compatibility_group
        if not key:
            return list(live)
        value = contract.property(key)
        return [e for e in live if view.stored(e.schema_key).contract.property(key) == value]

    def _registered(self, request: Registration) -> SubjectVersion | None:
        """The version when the subject already holds this schema and contract:
        re-registering (what every producer does at start-up) then needs no write lock, and,
        from memory, no query."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=True)
            if view.mode(request.subject) is not Mode.READWRITE:
                return None  # let the write path give READONLY's error and IMPORT's rules
            config = view.config(request.subject)
            normalize = request.normalize or config.normalize
            live = [e for e in view.history(request.subject) if not e.deleted]
            if not live:
                return None
            context = context_of(request.subject)
            prepared = self.schemas.prepare(_in_context(request.source, context), view,
                                            normalize=normalize)
            contract = self._contract(view, config, request, live)
            match = _match(live, *_identities(prepared, contract, context), normalize)
            if match is None:
                return None
            return SubjectVersion(request.subject, match.version,
                                  view.stored(match.schema_key), False)

    def latest_with_metadata(
        self, subject: str, wanted: dict[str, str], *, deleted: bool = False
    ) -> SubjectVersion:
        """The newest version whose metadata holds every one of these properties."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            history = [e for e in view.history(subject) if deleted or not e.deleted]
            if not history:
                raise errors.SubjectNotFound(subject)
            for entry in reversed(history):
                stored = view.stored(entry.schema_key)
                if stored.contract.has_properties(wanted):
                    return SubjectVersion(subject, entry.version, stored, entry.deleted)
        raise errors.SchemaNotFound(
            f"Subject '{subject}' has no version with metadata {wanted}"
        )

    def schemas_by_guid(self, guid: str) -> list[StoredSchema]:
        """The schemas with this GUID (one per context that holds it) while some version
        holds them, oldest first; 40403 when none does."""
        with self.repository.reading() as reader:
            held = [s for s in reader.schemas_with_guid(guid) if reader.is_held(s.key)]
        if not held:
            raise errors.SchemaNotFound(f"Schema with guid {guid} not found")
        return held

    def _require_writable(self, view: View, subject: str) -> Mode:
        mode = view.mode(subject)
        if mode.read_only:
            raise errors.OperationNotPermitted(f"Subject '{subject}' is in read-only mode")
        return mode

    def _history_schemas(
        self, view: View, live: Sequence[VersionEntry], level: Level
    ) -> list[Schema]:
        if level is Level.NONE or not live:
            return []
        wanted = live if level.transitive else live[-1:]
        return [self._parsed(view, e.schema_key) for e in wanted]

    def _parsed(self, view: View, key: int) -> Schema:
        stored = view.stored(key)
        return self.schemas.stored(stored.id, stored.source, view)

    def delete_version(self, subject: str, version: int, *, permanent: bool = False) -> int:
        with self.repository.writing() as writer:
            view: View = View(self.caches, writer, cached=False)
            self._require_writable(view, subject)
            history = view.history(subject)
            if not history:
                raise errors.SubjectNotFound(subject)
            include_deleted = permanent or version != LATEST
            entry = _pick(subject, history, version, include_deleted=include_deleted)
            if permanent and not entry.deleted:
                raise errors.VersionNotSoftDeleted(subject, entry.version)
            if not permanent and entry.deleted:
                raise errors.VersionSoftDeleted(subject, entry.version)
            referrers = writer.referrers(subject, [entry.version])
            if referrers:
                raise errors.ReferenceExists(
                    f"One or more references exist to the schema {{subject={subject}, "
                    f"version={entry.version}}}: ids {referrers}"
                )
            if permanent:
                writer.hard_delete(subject, entry.version)
            else:
                writer.soft_delete(subject, entry.version)
            change = self._changed(writer, Change((subject,), ids=permanent))
        self.caches.apply(change)
        return entry.version

    def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        with self.repository.writing() as writer:
            view: View = View(self.caches, writer, cached=False)
            self._require_writable(view, subject)
            history = view.history(subject)
            if not history:
                raise errors.SubjectNotFound(subject)
            live = [e for e in history if not e.deleted]
            if permanent and live:
                raise errors.SubjectNotSoftDeleted(subject)
            if not permanent and not live:
                raise errors.SubjectSoftDeleted(subject)
            versions = [e.version for e in (history if permanent else live)]
            referrers = writer.referrers(subject, versions)
            if referrers:
                raise errors.ReferenceExists(
                    f"One or more references exist to subject '{subject}': ids {referrers}"
                )
            if permanent:
                writer.hard_delete(subject)  # its config and mode go with it
                change = Change((subject,), configs=True, modes=True, ids=True)
            else:
                writer.soft_delete(subject)
                change = Change((subject,))
            self._changed(writer, change)
        self.caches.apply(change)
        return versions

    # ---- schemas by id --------------------------------------------------------------------

    def _held_in(self, reader: Reader, schema_id: int, context: str) -> StoredSchema | None:
        stored = reader.schema_in(context, schema_id)
        if stored is None or not reader.is_held(stored.key):
            return None
        return stored

    def resolve_id(self, schema_id: int, subject: str | None = None) -> StoredSchema | None:
        """The schema a client's id names while some version holds it, in the context the
        `subject` query value says (Confluent's `?subject=`): a qualified name or `:.ctx:`
        names its context; a plain subject name is looked for in the default context, then
        in each context that has a subject of that name; no subject means the default one."""
        qualified = parse(subject) if subject else None
        with self.repository.reading() as reader:
            if qualified is None or qualified.context != DEFAULT_CONTEXT:
                context = qualified.context if qualified else DEFAULT_CONTEXT
                return self._held_in(reader, schema_id, context)
            found = self._held_in(reader, schema_id, DEFAULT_CONTEXT)
            if found is not None or not qualified.subject:
                return found
            for context in reader.contexts():
                name = f":{context}:{qualified.subject}"
                if not reader.versions(name):
                    continue
                found = self._held_in(reader, schema_id, context)
                if found is not None:
                    return found
            return None

    def schema_by_id(
        self, schema_id: int, *, context: str = DEFAULT_CONTEXT
    ) -> StoredSchema | None:
        """The schema under `schema_id` in `context` while some version holds it."""
        with self.repository.reading() as reader:
            return self._held_in(reader, schema_id, context)

    def cached_schema_json(self, schema_id: int) -> bytes | None:
        """The body of `GET /schemas/ids/{id}` (default context) if memory has it (no I/O:
        the hot path)."""
        found = None
        if self.trusted:
            self.caches.check()
            found = self.caches.bodies.get(schema_id)
        if isinstance(found, bytes):
            self.caches.id_hits += 1
            return found
        self.caches.id_misses += 1
        return None

    def schema_json(self, schema_id: int, subject: str | None = None) -> bytes | None:
        """The body of `GET /schemas/ids/{id}`, None when no version holds the id; bodies of
        the default context are kept in memory."""
        token = self.caches.generation.token()
        stored = self.resolve_id(schema_id, subject)
        if stored is None:
            return None
        body = schema_json(stored)
        if self.trusted and stored.context == DEFAULT_CONTEXT:
            self.caches.bodies.put(schema_id, body, token)
        return body

    def formatted(self, schema: StoredSchema, output: str) -> StoredSchema:
        """`schema` with its text in the output format a client asked for (`?format=`), as is
        when its type has no such format."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            text = self.schemas.formatted(self._parsed(view, schema.key), output)
        return schema if text is None else replace(schema, text=text)

    def payload_check(
        self, schema_id: int, *, context: str = DEFAULT_CONTEXT
    ) -> PayloadCheck | None:
        """A validator for payloads written with `schema_id`; None if the id is unknown."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            stored = reader.schema_in(context, schema_id)
            if stored is None:
                return None
            return self.schemas.payload_check(self._parsed(view, stored.key))

    def parsed_schema(self, schema_id: int) -> Schema | None:
        """The schema under `schema_id`, parsed with its references; None if the id is unknown
        (the broker's rule checks walk values with it)."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            if reader.schema(schema_id) is None:
                return None
            return self._parsed(view, schema_id)

    def is_live_in(self, subject: str, schema_id: int) -> bool:
        """Whether a live (not soft-deleted) version of `subject` holds `schema_id` (an id of
        the subject's context)."""
        with self.repository.reading() as reader:
            stored = reader.schema_in(context_of(subject), schema_id)
            return stored is not None and any(
                e.schema_key == stored.key and not e.deleted for e in reader.versions(subject)
            )

    def versions_of_id(
        self, schema_id: int, *, deleted: bool = False, subject: str | None = None
    ) -> list[tuple[str, int]]:
        """(subject, version) pairs holding the id, in the context `subject` names (as for
        `resolve_id`)."""
        stored = self.resolve_id(schema_id, subject)
        if stored is None:
            raise errors.SchemaNotFound(f"Schema {schema_id} not found")
        with self.repository.reading() as reader:
            entries = reader.versions_of_key(stored.key)
        return [(e.subject, e.version) for e in entries if deleted or not e.deleted]

    def list_schemas(
        self, *, prefix: str | None = None, deleted: bool = False, latest_only: bool = False
    ) -> list[SubjectVersion]:
        with self.repository.reading() as reader:
            entries = [
                e for e in reader.all_versions()
                if (deleted or not e.deleted) and _matches(prefix, e.subject)
            ]
            if latest_only:
                latest: dict[str, VersionEntry] = {}
                for entry in entries:
                    latest[entry.subject] = entry
                entries = list(latest.values())
            schemas = reader.schemas({e.schema_key for e in entries})
        return [SubjectVersion(e.subject, e.version, schemas[e.schema_key], e.deleted)
                for e in entries]

    # ---- contexts -------------------------------------------------------------------------

    def list_contexts(self) -> list[str]:
        """The contexts in use, the default one first (Confluent lists it always)."""
        with self.repository.reading() as reader:
            return [DEFAULT_CONTEXT, *reader.contexts()]

    def delete_context(self, context: str) -> None:
        """Forget a context that holds no subject any more (soft-deleted versions count:
        delete them permanently first), with its own config and mode."""
        if context == DEFAULT_CONTEXT:
            raise errors.OperationNotPermitted("The default context cannot be deleted")
        key = f":{context}:"
        with self.repository.writing() as writer:
            if context not in writer.contexts():
                raise errors.ContextNotFound(context)
            if writer.has_version_under(key, deleted=True):
                raise errors.ContextNotEmpty(context)
            writer.delete_context(context)
            writer.delete_config(key)
            writer.delete_mode(key)
            change = self._changed(writer, Change(configs=True, modes=True))
        self.caches.apply(change)

    # ---- compatibility --------------------------------------------------------------------

    def check_compatibility(
        self,
        subject: str,
        version: int | None,
        source: SchemaSource,
        *,
        normalize: bool = False,
        level: Level | None = None,
    ) -> Result:
        """Check `source` against one version (`version`) or the history the level asks for.

        With `normalize` (or the subject's normalize config) the schema's normalised form is
        checked, as registering it would store and check that form. `level` replaces the
        subject's level for this check only (the console's playground)."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            config = view.config(subject)
            if level is not None:
                config = EffectiveConfig(level, config.policy, config.normalize)
            history = view.history(subject)
            live = [e for e in history if not e.deleted]
            normalize = normalize or config.normalize
            schema = self.schemas.prepare(_in_context(source, context_of(subject)), view,
                                          normalize=normalize).schema
            if version is None:
                old = self._history_schemas(view, live, config.level)
            elif not live:
                # As Confluent: nothing to break for `latest`; a numbered version is missing.
                if version != LATEST:
                    raise errors.VersionNotFound(subject, version)
                old = []
            else:
                entry = _pick(subject, history, version, include_deleted=False)
                old = [] if config.level is Level.NONE else [self._parsed(view, entry.schema_key)]
            level = config.level
            if version is not None and level.transitive:
                level = Level(level.value.removesuffix("_TRANSITIVE"))
            return _check(level, schema, old, config.policy)

    # ---- config ---------------------------------------------------------------------------

    def get_config(self, subject: str | None, *, default_to_global: bool = False) -> ConfigValue:
        """A subject's own config; with `default_to_global`, else the one it inherits (its
        context's, or the registry-wide one: `registry.qualified.parent_scope`)."""
        with self.repository.reading() as reader:
            if subject is not None:
                own = reader.config(subject)
                if own is not None:
                    return own
                if not default_to_global:
                    raise errors.SubjectConfigNotFound(subject)
                parent = parent_scope(subject)
                if parent is not None:
                    return reader.config(parent) or ConfigValue(parent)
            return reader.config(None) or ConfigValue(None)

    def set_config(self, subject: str | None, update: ConfigUpdate) -> ConfigValue:
        with self.repository.writing() as writer:
            config = writer.put_config(subject, update)
            change = self._changed(writer, Change(configs=True))
        self.caches.apply(change)
        return config

    def delete_config(self, subject: str | None) -> ConfigValue:
        """Remove a config; returns the one removed (the global one falls back to defaults)."""
        with self.repository.writing() as writer:
            old = writer.delete_config(subject)
            if old is None:
                if subject is not None:
                    raise errors.SubjectNotFound(subject)
                return ConfigValue(None)
            change = self._changed(writer, Change(configs=True))
        self.caches.apply(change)
        return old

    # ---- mode -----------------------------------------------------------------------------

    def get_mode(self, subject: str | None, *, default_to_global: bool = False) -> Mode:
        """A subject's own mode (40409 when it has none) or, with `default_to_global`, the
        mode in force (`View.mode`); a registry-wide READONLY_OVERRIDE answers for every
        subject either way, as in Confluent's registry."""
        with self.repository.reading() as reader:
            view: View = View(self.caches, reader, cached=False)
            if subject is None or default_to_global:
                return view.mode(subject)
            top = reader.mode(None)
            if top is Mode.READONLY_OVERRIDE:
                return top
            own = reader.mode(subject)
            if own is None:
                raise errors.SubjectModeNotFound(subject)
            return own

    def set_mode(self, subject: str | None, mode: Mode, *, force: bool = False) -> Mode:
        with self.repository.writing() as writer:
            if mode is Mode.IMPORT and not force:
                view: View = View(self.caches, writer, cached=False)
                current = view.mode(subject)
                if subject is not None and is_context_key(subject):
                    taken = writer.has_version_under(subject, deleted=False)
                else:
                    taken = writer.has_live_version(subject)
                if current is not Mode.IMPORT and taken:
                    raise errors.OperationNotPermitted(
                        "Cannot import since found existing subjects; "
                        "set force=true to switch to IMPORT mode anyway"
                    )
            writer.put_mode(subject, mode)
            change = self._changed(writer, Change(modes=True))
        self.caches.apply(change)
        return mode

    def delete_mode(self, subject: str | None) -> Mode:
        with self.repository.writing() as writer:
            old = writer.delete_mode(subject)
            if old is None:
                if subject is not None:
                    raise errors.SubjectNotFound(subject)
                return Mode.READWRITE
            change = self._changed(writer, Change(modes=True))
        self.caches.apply(change)
        return old


def _next_version(
    request: Registration, history: Sequence[VersionEntry], key: int
) -> int | None:
    if request.version is None:
        return (history[-1].version if history else 0) + 1
    for entry in history:
        if entry.version == request.version:
            if entry.schema_key == key and not entry.deleted:
                return None
            raise errors.OperationNotPermitted(
                f"Version {request.version} of subject '{request.subject}' already exists "
                f"with another schema"
            )
    return request.version
