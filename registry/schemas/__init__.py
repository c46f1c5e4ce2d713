"""Schemas as the registry handles them: one `SchemaFormat` per type, references resolved into
a concrete `SchemaSource`, the normalised form, and a cache of parsed schemas.

Adding a format is adding a module here with a `FORMAT` (see `base.SchemaFormat`) and listing
it in `FORMATS`. This package reads the registry's data only through `References`; it holds no
SQL and no HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from compat import Reference, Schema, SchemaSource, SchemaType
from registry import errors
from registry.schemas import avro, json_schema, protobuf
from registry.schemas.base import PayloadCheck, SchemaFormat
from registry.values import LATEST

__all__ = [
    "FORMATS",
    "PayloadCheck",
    "Prepared",
    "References",
    "SchemaFormat",
    "Schemas",
    "format_for",
    "schema_type_named",
]

FORMATS: Mapping[SchemaType, SchemaFormat] = {
    f.schema_type: f for f in (avro.FORMAT, json_schema.FORMAT, protobuf.FORMAT)
}
REFERENCES_MAX = 1000  # schema versions one schema may reach through its references
MIB = 1024 * 1024


def format_for(schema_type: SchemaType) -> SchemaFormat:
    try:
        return FORMATS[schema_type]
    except KeyError:
        raise errors.InvalidSchema(
            f"Invalid schema: schema type {schema_type} is not served"
        ) from None


def schema_type_named(name: str | None) -> SchemaType:
    """The schema type a request names (AVRO when it names none), as Confluent spells it."""
    spelled = (name or "AVRO").upper()
    for schema_type in FORMATS:
        if schema_type.value == spelled:
            return schema_type
    served = " and ".join(t.value for t in FORMATS)
    raise errors.InvalidSchema(f"Invalid schema type {name!r}; this registry supports {served}")


class References(Protocol):
    """What resolving references reads from the registry's data (one transaction's view)."""

    def latest_version(self, subject: str, /) -> int | None:
        """The newest live version of `subject`, None when it has none."""
        ...

    def source(self, subject: str, version: int, /) -> SchemaSource | None:
        """The stored source of a version (soft-deleted ones too), None when it is missing."""
        ...


@dataclass(frozen=True, slots=True)
class Prepared:
    """A schema from a request, ready to be matched, checked and stored."""

    source: SchemaSource  # as it would be stored: canonical or normalised text, pinned refs
    schema: Schema  # `source` parsed: what compatibility is checked on
    fingerprint: str  # identity of `source`
    normalized_fingerprint: str  # identity of its normalised form


def _source(text: str, schema_type: SchemaType, references: Sequence[Reference]) -> SchemaSource:
    return SchemaSource(text, schema_type, tuple(references))


class _ParseCache:
    """Parsed schemas by source, bounded by entries and text bytes (emptied whole at a bound:
    the sources in use come back within moments). Failures are never kept."""

    def __init__(self, entries_max: int, bytes_max: int) -> None:
        self.entries_max = entries_max
        self.bytes_max = bytes_max
        self._schemas: dict[SchemaSource, Schema] = {}
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, source: SchemaSource) -> Schema | None:
        return self._schemas.get(source)

    def put(self, source: SchemaSource, schema: Schema) -> None:
        with self._lock:
            size = len(source.text)
            if len(self._schemas) >= self.entries_max or self._bytes + size > self.bytes_max:
                self._schemas.clear()
                self._bytes = 0
            if source not in self._schemas:
                self._schemas[source] = schema
                self._bytes += size

    def clear(self) -> None:
        with self._lock:
            self._schemas.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._schemas)


class Schemas:
    """Parses schemas of every served format with their references resolved.

    A parsed schema depends on its text and on the versions its references pin; those change
    only when a version is permanently deleted and its number used again, so the owner of this
    object (the service) calls `clear()` after permanent deletes.
    """

    def __init__(self, *, entries_max: int = 4096, bytes_max: int = 64 * MIB) -> None:
        self._cache = _ParseCache(entries_max, bytes_max)

    def clear(self) -> None:
        self._cache.clear()

    def __len__(self) -> int:
        return len(self._cache)

    def prepare(self, source: SchemaSource, refs: References, *, normalize: bool) -> Prepared:
        """Pin `latest` references, parse, and derive the canonical and normalised forms;
        `normalize` picks the normalised one as the form to store and check."""
        fmt = format_for(source.schema_type)
        pinned = self._pinned(source, refs)
        parsed = self._parse(fmt, pinned, refs)
        normal_source = _source(
            fmt.normalized_text(parsed),
            source.schema_type,
            sorted(set(pinned.references), key=lambda r: (r.name, r.subject, r.version)),
        )
        normal = self._parse(fmt, normal_source, refs)
        if normalize:
            return Prepared(normal_source, normal, normal.fingerprint(), normal.fingerprint())
        canonical = _source(parsed.canonical_text, source.schema_type, pinned.references)
        return Prepared(canonical, parsed, parsed.fingerprint(), normal.fingerprint())

    def stored(self, schema_id: int, source: SchemaSource, refs: References) -> Schema:
        """A stored schema parsed; one that no longer parses is the store's fault."""
        try:
            return self._parse(format_for(source.schema_type), source, refs)
        except errors.InvalidSchema as exc:
            raise errors.StoreError(
                f"stored schema {schema_id} can no longer be parsed: "
                f"{exc.message.removeprefix('Invalid schema: ')}"
            ) from exc

    def payload_check(self, schema: Schema) -> PayloadCheck:
        return format_for(schema.schema_type).payload_check(schema)

    def formatted(self, schema: Schema, output: str) -> str | None:
        """`schema`'s text in the output format a client asked for; None: the stored text."""
        return format_for(schema.schema_type).formatted(schema, output)

    def _pinned(self, source: SchemaSource, refs: References) -> SchemaSource:
        if all(ref.version != LATEST for ref in source.references):
            return source
        pinned = []
        for ref in source.references:
            if ref.version == LATEST:
                latest = refs.latest_version(ref.subject)
                if latest is None:
                    raise errors.InvalidSchema(
                        f"Invalid schema: reference {ref.name!r} names subject "
                        f"{ref.subject!r}, which has no version"
                    )
                ref = Reference(ref.name, ref.subject, latest)
            pinned.append(ref)
        return _source(source.text, source.schema_type, pinned)

    def _parse(self, fmt: SchemaFormat, source: SchemaSource, refs: References) -> Schema:
        schema = self._cache.get(source)
        if schema is None:
            schema = fmt.parse(source, _gather(source.references, refs))
            self._cache.put(source, schema)
        return schema


class _Resolved:
    """Every source a schema's references reach, read up front so that parsing (and its
    error translation) never touches the database."""

    def __init__(self) -> None:
        self.sources: dict[tuple[str, int], SchemaSource] = {}
        self.latest: dict[str, int | None] = {}

    def __call__(self, reference: Reference, /) -> SchemaSource:
        version = reference.version
        if version == LATEST:
            latest = self.latest.get(reference.subject)
            if latest is None:
                raise LookupError(f"subject {reference.subject!r} has no live version")
            version = latest
        found = self.sources.get((reference.subject, version))
        if found is None:
            raise LookupError(f"subject {reference.subject!r} has no version {version}")
        return found


def _gather(references: Sequence[Reference], refs: References) -> _Resolved:
    resolved = _Resolved()
    pending = list(references)
    seen: set[tuple[str, int]] = set()
    while pending:
        ref = pending.pop()
        version = ref.version
        if version == LATEST:
            if ref.subject not in resolved.latest:
                resolved.latest[ref.subject] = refs.latest_version(ref.subject)
            latest = resolved.latest[ref.subject]
            if latest is None:
                continue
            version = latest
        key = (ref.subject, version)
        if key in seen:
            continue
        seen.add(key)
        if len(seen) > REFERENCES_MAX:
            raise errors.InvalidSchema(
                f"Invalid schema: its references reach more than {REFERENCES_MAX} schemas"
            )
        found = refs.source(ref.subject, version)
        if found is not None:
            resolved.sources[key] = found
            pending.extend(found.references)
    return resolved
