"""What the service keeps in memory, and the rule that keeps it exact.

`Caches` holds every cache of one service; `View` reads through them within one transaction.
A committed write drops what it changed (`Caches.apply`) and, on PostgreSQL, sends the same
`Change` as a notice that the other processes apply (`registry.coherence`). A value read from
the database is kept only if no invalidation happened since its view was made (see
`registry.cache.Generation`), and nothing is served from memory while the process cannot hear
other processes' notices (`trusted` False).
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from compat import Level, Policy, SchemaSource
from registry import errors
from registry.cache import Generation, Memo, Missing, SchemaCache
from registry.datacontract import Contract
from registry.qualified import parent_scope
from registry.repository import Reader
from registry.schemas import PayloadCheck, Schemas
from registry.values import ConfigValue, EffectiveConfig, Mode, StoredSchema, VersionEntry

__all__ = ["EVERYTHING", "Answers", "Caches", "Change", "View"]

K = TypeVar("K")
V = TypeVar("V")
MIB = 1024 * 1024

NOTICE_BYTES_MAX = 7900  # PostgreSQL's NOTIFY payload limit is 8000 bytes


@dataclass(frozen=True, slots=True)
class Change:
    """What a committed write changed, as the caches see it. `subjects` None means all."""

    subjects: tuple[str, ...] | None = ()
    configs: bool = False
    modes: bool = False
    ids: bool = False  # some id may have lost its last version (a permanent delete)

    def encode(self, origin: str) -> str:
        body = {"o": origin, "s": self.subjects, "c": self.configs, "m": self.modes,
                "i": self.ids}
        text = json.dumps(body, separators=(",", ":"))
        if len(text.encode()) > NOTICE_BYTES_MAX:  # too long to tell: say everything changed
            return json.dumps({"o": origin, "s": None, "c": True, "m": True, "i": True})
        return text

    @classmethod
    def decode(cls, payload: str) -> tuple[str, Change]:
        """The origin and the change of a notice; anything unreadable means everything."""
        try:
            body = json.loads(payload)
            subjects = body["s"]
            return str(body["o"]), cls(
                None if subjects is None else tuple(str(s) for s in subjects),
                bool(body["c"]), bool(body["m"]), bool(body["i"]),
            )
        except (ValueError, KeyError, TypeError):
            return "", cls(None, True, True, True)


EVERYTHING = Change(None, True, True, True)


class View:
    """One transaction's view of the data: memory first when `cached`, else the database.

    The generation token is taken when the view is made, before its first read, so nothing it
    reads from a snapshot older than an invalidation is kept."""

    def __init__(self, caches: Caches, reader: Reader, *, cached: bool) -> None:
        self.caches = caches
        self.reader = reader
        self.cached = cached and caches.trusted
        if self.cached:
            caches.check()
        self.token = caches.generation.token()

    def _memo(self, memo: Memo[K, V], key: K, load: Callable[[], V]) -> V:
        if self.cached:
            found = memo.get(key)
            if not isinstance(found, Missing):
                return found
        value = load()
        if self.cached:
            memo.put(key, value, self.token)
        return value

    def history(self, subject: str) -> tuple[VersionEntry, ...]:
        return self._memo(
            self.caches.histories, subject, lambda: tuple(self.reader.versions(subject))
        )

    def stored(self, key: int) -> StoredSchema:
        """The schema of row `key` (a `VersionEntry.schema_key`)."""
        memo = self.caches.stored_schemas
        found = memo.get(key)
        if isinstance(found, StoredSchema):
            return found
        schema = self.reader.schema(key)
        if schema is None:  # a foreign key makes this impossible; say so rather than crash
            raise errors.StoreError(f"schema row {key} is missing from the store")
        memo.put(key, schema)  # a schema row never changes
        return schema

    def own_config(self, subject: str | None) -> ConfigValue | None:
        return self._memo(
            self.caches.configs, subject, lambda: self.reader.config(subject)
        )

    def own_mode(self, subject: str | None) -> Mode | None:
        return self._memo(
            self.caches.modes, subject, lambda: self.reader.mode(subject)
        )

    def config(self, subject: str | None) -> EffectiveConfig:
        level, policy, normalize = Level.BACKWARD, Policy.STRICT, False
        group: str | None = None
        default, override = Contract(), Contract()
        # A subject inherits its context's config (registry.qualified.parent_scope).
        for scope in (None,) if subject is None else (parent_scope(subject), subject):
            own = self.own_config(scope)
            if own is None:
                continue
            level = own.level or level
            policy = own.policy or policy
            normalize = normalize if own.normalize is None else own.normalize
            group = own.compatibility_group or group
            default = Contract(own.default_contract.metadata or default.metadata,
                               own.default_contract.rule_set or default.rule_set)
            override = Contract(own.override_contract.metadata or override.metadata,
                                own.override_contract.rule_set or override.rule_set)
        return EffectiveConfig(level, policy, normalize, group, default, override)

    def mode(self, subject: str | None) -> Mode:
        """The mode in force, as Confluent looks it up: a registry-wide READONLY_OVERRIDE,
        else the subject's own, else its context's (`parent_scope`), else READWRITE."""
        top = self.own_mode(None)
        if subject is None or top is Mode.READONLY_OVERRIDE:
            return top or Mode.READWRITE
        own = self.own_mode(subject)
        if own is not None:
            return own
        parent = parent_scope(subject)
        if parent is None:
            return top or Mode.READWRITE
        return self.own_mode(parent) or Mode.READWRITE

    # -- `registry.schemas.References` --------------------------------------------------

    def latest_version(self, subject: str, /) -> int | None:
        live = [e for e in self.history(subject) if not e.deleted]
        return live[-1].version if live else None

    def source(self, subject: str, version: int, /) -> SchemaSource | None:
        for entry in self.history(subject):
            if entry.version == version:
                return self.stored(entry.schema_key).source
        return None



AnswerKey = tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole HTTP answer as the app gave it: status, headers and body."""

    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes


class Answers:
    """The answers of re-registration and lookup requests (`registry.answers`), by subject.

    An answer is a function of its request and of the data: the subject's history, every
    config and mode, and, for a schema with references, the referenced subjects' histories.
    So a subject's answers go when its history changes, all of them when a config, a mode or
    an id changes, and the answers of requests with references (kept under no subject)
    whenever any history changes."""

    def __init__(
        self, generation: Generation, *, entries_max: int = 20_000, bytes_max: int = 64 * MIB
    ) -> None:
        self.generation = generation
        self.entries_max = entries_max
        self.bytes_max = bytes_max
        self._by_subject: dict[str | None, dict[AnswerKey, Answer]] = {}
        self._entries = 0
        self._bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, subject: str | None, key: AnswerKey) -> Answer | None:
        found = self._by_subject.get(subject, {}).get(key)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def put(self, subject: str | None, key: AnswerKey, answer: Answer, token: int) -> None:
        """Keep `answer` unless an invalidation happened since `token` was taken."""
        size = len(answer.body) + sum(map(len, key))
        with self.generation.lock:
            if not self.generation.current(token):
                return
            if self._entries >= self.entries_max or self._bytes + size > self.bytes_max:
                self._by_subject.clear()
                self._entries = self._bytes = 0
            bucket = self._by_subject.setdefault(subject, {})
            if key in bucket:
                return
            bucket[key] = answer
            self._entries += 1
            self._bytes += size

    def drop(self, subjects: tuple[str, ...]) -> None:
        """Forget the answers about these subjects, and those that follow references."""
        with self.generation.lock:
            for subject in (*subjects, None):
                bucket = self._by_subject.pop(subject, {})
                self._entries -= len(bucket)
                self._bytes -= sum(len(a.body) + sum(map(len, k)) for k, a in bucket.items())
        self.generation.bump()

    def clear(self) -> None:
        with self.generation.lock:
            self._by_subject.clear()
            self._entries = self._bytes = 0
        self.generation.bump()

    def __len__(self) -> int:
        return self._entries


class Caches:
    """Every cache of one registry service (the service is their one writer)."""

    def __init__(self, *, trusted: bool) -> None:
        self.schemas = Schemas()
        self.generation = Generation()
        self.bodies = SchemaCache(self.generation)
        self.stored_schemas: Memo[int, StoredSchema] = Memo(
            self.generation, entries_max=20_000, bytes_max=64 * MIB, size=lambda s: len(s.text)
        )
        self.histories: Memo[str, tuple[VersionEntry, ...]] = Memo(
            self.generation, entries_max=20_000
        )
        self.payload_checks: Memo[int, PayloadCheck] = Memo(self.generation, entries_max=4096)
        self.configs: Memo[str | None, ConfigValue | None] = Memo(self.generation)
        self.modes: Memo[str | None, Mode | None] = Memo(self.generation)
        self.answers = Answers(self.generation)
        self.trusted = trusted
        # `GET /schemas/ids/{id}` answered from `bodies`, or not (read by registry.metrics)
        self.id_hits = 0
        self.id_misses = 0
        self.origin = f"{os.getpid()}-{secrets.token_hex(4)}"  # tells our notices apart
        # SQLite: whether any other connection wrote since last asked (registry.changes)
        self.outside: Callable[[], bool] | None = None

    def check(self) -> None:
        """Before memory answers: forget everything if another process (SQLite has no
        notices) may have changed the database since the last check."""
        if self.outside is not None and self.outside():
            self.forget()

    def set_listening(self, listening: bool) -> None:
        """Memory may be used only while notices arrive, and what it held before is dropped
        either way (notices may have been missed)."""
        if not listening:
            self.trusted = False
        self.forget()
        self.trusted = listening

    def apply_notice(self, payload: str) -> None:
        origin, change = Change.decode(payload)
        if origin != self.origin:  # our own changes were applied at commit
            self.apply(change)

    def forget(self) -> None:
        """Drop everything (after a reconnect, or when the tables were changed behind us)."""
        self.apply(EVERYTHING)

    def apply(self, change: Change) -> None:
        if change.subjects is None or change.configs or change.modes or change.ids:
            self.answers.clear()
        elif change.subjects:
            self.answers.drop(change.subjects)
        if change.subjects is None:
            self.histories.clear()
        for subject in change.subjects or ():
            self.histories.drop(subject)
        if change.configs:
            self.configs.clear()
        if change.modes:
            self.modes.clear()
        if change.ids:
            self.bodies.clear()
            self.schemas.clear()
        if change.subjects is None and change.ids:  # the tables were emptied behind us
            self.stored_schemas.clear()
            self.payload_checks.clear()
