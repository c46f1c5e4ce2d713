"""Roles, actions and principals: who may do what to which subject, topic or consumer group.

A `Principal` is whoever a request authenticated as (an API key or an OIDC token). Its role
grants a set of actions; its prefixes, when there are any, narrow every subject, topic or
consumer-group operation to names starting with one of them. No prefixes of a kind means every
name of that kind. Group prefixes are their own, as Kafka's GROUP resource ACLs are apart from
its TOPIC ones: a consumer needs its topics' prefix and its group's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Action", "Kind", "Principal", "Role"]


class Action(enum.IntEnum):
    """What an operation does; a role grants every action up to its own rank."""

    READ = 1  # read subjects, schemas, config, mode; fetch; read groups, offsets and lag
    WRITE = 2  # register, check compatibility, soft-delete, subject config, topics, produce, groups
    ADMIN = 3  # global config, every mode change (IMPORT), permanent deletes, topic deletion


class Role(enum.Enum):
    READER = "reader"
    WRITER = "writer"
    ADMIN = "admin"

    @property
    def rank(self) -> Action:
        return {Role.READER: Action.READ, Role.WRITER: Action.WRITE, Role.ADMIN: Action.ADMIN}[
            self
        ]

    @classmethod
    def parse(cls, value: str) -> Role:
        try:
            return cls(value.strip().lower())
        except ValueError:
            names = ", ".join(r.value for r in cls)
            raise ValueError(f"unknown role {value!r}; expected one of {names}") from None


class Kind(enum.Enum):
    """The kind of name an operation touches."""

    NONE = "none"  # registry-wide: metadata, global config and mode, listings
    SUBJECT = "subject"
    TOPIC = "topic"
    SCHEMA_ID = "schema_id"  # allowed when the id belongs to a subject the principal may read
    SCHEMA_GUID = "schema_guid"  # as SCHEMA_ID, for the schema with this GUID
    GROUP = "group"  # a consumer group, limited by group prefixes

    @property
    def names_schema(self) -> bool:
        """A schema id or GUID: checked through the subjects that hold the schema."""
        return self in (Kind.SCHEMA_ID, Kind.SCHEMA_GUID)


DEFAULT_CONTEXT_QUALIFIER = ":.:"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str  # the key's name or the token's subject: what the audit trail records
    role: Role
    subject_prefixes: tuple[str, ...] = ()
    topic_prefixes: tuple[str, ...] = ()
    via: str = "key"  # "key" or "token"
    group_prefixes: tuple[str, ...] = ()

    def grants(self, action: Action) -> bool:
        return action <= self.role.rank

    def may_name(self, kind: Kind, name: str) -> bool:
        """Whether `name`, a subject, topic or group, is inside this principal's prefixes."""
        prefixes = self._prefixes(kind)
        if kind is Kind.SUBJECT and name.startswith(DEFAULT_CONTEXT_QUALIFIER):
            name = name[len(DEFAULT_CONTEXT_QUALIFIER):]  # `:.:s` is the default context's `s`
        return not prefixes or name.startswith(prefixes)

    def limits(self, kind: Kind) -> bool:
        """Whether names of this kind are narrowed at all (listings need filtering)."""
        return bool(self._prefixes(kind))

    def visible(self, kind: Kind, names: Iterable[str]) -> list[str]:
        return [n for n in names if self.may_name(kind, n)]

    def _prefixes(self, kind: Kind) -> tuple[str, ...]:
        if kind is Kind.SUBJECT:
            return self.subject_prefixes
        if kind is Kind.TOPIC:
            return self.topic_prefixes
        if kind is Kind.GROUP:
            return self.group_prefixes
        return ()
