"""Every route of `charter serve` mapped to what it touches: `rule_for(method, path)`.

A `Rule` says which action an operation is (read, write or admin), which kind of name it
touches (subject, topic, consumer group, schema id or GUID, nothing) and where the name is: a
path segment, a field of a JSON body, or, for listings, the names in the answer (filtered to
what the principal may see). A consumer group in the path of a topic operation (joining,
committing) is checked against the group prefixes as well, and the subjects a schema's
`references` name against the subject prefixes (referencing a subject reads it).

Paths are matched on the raw path, each segment percent-decoded once, which is how the
registry's own routing reads them (`%2F` inside a subject stays part of the subject).

A route missing from the table needs READ when its method is GET or HEAD and ADMIN otherwise,
so a route added later without a rule is closed rather than open.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

from registry.errors import RegistryError
from registry.qualified import context_path
from registry.security.roles import Action, Kind

__all__ = ["PUBLIC_PATHS", "Listing", "Match", "Rule", "rule_for"]

R, W, A = Action.READ, Action.WRITE, Action.ADMIN
PUBLIC_PATHS = frozenset({"/health"})

BodyNames = Callable[[Any], list[str]]


class Listing:
    """How to filter a listing's JSON answer: a list of names, or of objects naming one."""

    def __init__(self, key: str | None = None) -> None:
        self.key = key

    def name_of(self, item: Any) -> str | None:
        if self.key is None:
            return item if isinstance(item, str) else None
        value = item.get(self.key) if isinstance(item, dict) else None
        return value if isinstance(value, str) else None


NAMES = Listing()
BY_SUBJECT = Listing("subject")


def _field(name: str) -> BodyNames:
    def names(body: Any) -> list[str]:
        value = body[name]
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
        raise TypeError(name)

    return names


def _each(name: str, inner: str) -> BodyNames:
    def names(body: Any) -> list[str]:
        found = [item[inner] for item in body[name]]
        if not all(isinstance(n, str) for n in found):
            raise TypeError(inner)
        return found

    return names


@dataclass(frozen=True, slots=True)
class Rule:
    method: str
    template: str
    action: Action
    kind: Kind = Kind.NONE
    param: str | None = None  # the path variable holding the subject, topic or id
    body: BodyNames | None = None  # names read from the JSON body
    listing: Listing | None = None  # filter the answer by `kind`
    admin_flag: str | None = None  # a true query flag of this name makes it ADMIN (permanent)
    audited: bool = True  # writes are audited; liveness calls that store nothing are not
    group: str | None = None  # a path variable holding a consumer group, checked besides
    references: bool = False  # the JSON body's references[].subject are read (a schema body)
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(self.template.strip("/").split("/")))

    def bind(self, segments: Sequence[str]) -> dict[str, str] | None:
        if len(segments) != len(self.segments):
            return None
        bound: dict[str, str] = {}
        for want, got in zip(self.segments, segments, strict=True):
            if want.startswith("{"):
                bound[want[1:-1]] = got
            elif want != got:
                return None
        return bound


@dataclass(frozen=True, slots=True)
class Match:
    rule: Rule
    params: dict[str, str]

    @property
    def name(self) -> str | None:
        return self.params.get(self.rule.param) if self.rule.param else None


S, T, G, ID, GUID = Kind.SUBJECT, Kind.TOPIC, Kind.GROUP, Kind.SCHEMA_ID, Kind.SCHEMA_GUID

RULES: tuple[Rule, ...] = (
    # -- registry: metadata
    Rule("GET", "/", R),
    Rule("GET", "/v1/metadata/id", R),
    Rule("GET", "/v1/metadata/version", R),
    Rule("GET", "/contexts", R),
    Rule("DELETE", "/contexts/{context}", A),
    Rule("GET", "/schemas/types", R),
    # -- subjects and versions
    Rule("GET", "/subjects", R, S, listing=NAMES),
    Rule("POST", "/subjects/{subject}", R, S, "subject", references=True),  # a read with a body
    Rule("DELETE", "/subjects/{subject}", W, S, "subject", admin_flag="permanent"),
    Rule("GET", "/subjects/{subject}/versions", R, S, "subject"),
    Rule("GET", "/subjects/{subject}/metadata", R, S, "subject"),
    Rule("POST", "/subjects/{subject}/versions", W, S, "subject", references=True),
    Rule("GET", "/subjects/{subject}/versions/{version}", R, S, "subject"),
    Rule("GET", "/subjects/{subject}/versions/{version}/schema", R, S, "subject"),
    Rule("GET", "/subjects/{subject}/versions/{version}/referencedby", R, S, "subject"),
    Rule("DELETE", "/subjects/{subject}/versions/{version}", W, S, "subject",
         admin_flag="permanent"),
    # -- schemas by id or GUID: allowed when a subject the principal may read holds it
    Rule("GET", "/schemas", R, S, listing=BY_SUBJECT),
    Rule("GET", "/schemas/ids/{id}", R, ID, "id"),
    Rule("GET", "/schemas/guids/{guid}", R, GUID, "guid"),
    Rule("GET", "/schemas/guids/{guid}/ids", R, GUID, "guid"),
    Rule("GET", "/schemas/ids/{id}/schema", R, ID, "id"),
    Rule("GET", "/schemas/ids/{id}/subjects", R, ID, "id", listing=NAMES),
    Rule("GET", "/schemas/ids/{id}/versions", R, ID, "id", listing=BY_SUBJECT),
    # -- config and mode
    Rule("GET", "/config", R),
    Rule("PUT", "/config", A),
    Rule("DELETE", "/config", A),
    Rule("GET", "/config/{subject}", R, S, "subject"),
    Rule("PUT", "/config/{subject}", W, S, "subject"),
    Rule("DELETE", "/config/{subject}", W, S, "subject"),
    Rule("GET", "/mode", R),
    Rule("PUT", "/mode", A),
    Rule("DELETE", "/mode", A),
    Rule("GET", "/mode/{subject}", R, S, "subject"),
    Rule("PUT", "/mode/{subject}", A, S, "subject"),
    Rule("DELETE", "/mode/{subject}", A, S, "subject"),
    # -- compatibility checks
    Rule("POST", "/compatibility/subjects/{subject}/versions", W, S, "subject",
         references=True),
    Rule("POST", "/compatibility/subjects/{subject}/versions/{version}", W, S, "subject",
         references=True),
    # -- DEK registry: KEKs are not prefix-limited; a DEK's subject is
    Rule("GET", "/dek-registry/v1/keks", R),
    Rule("POST", "/dek-registry/v1/keks", W),
    Rule("GET", "/dek-registry/v1/keks/{name}", R),
    Rule("PUT", "/dek-registry/v1/keks/{name}", W),
    Rule("DELETE", "/dek-registry/v1/keks/{name}", W, admin_flag="permanent"),
    Rule("POST", "/dek-registry/v1/keks/{name}/undelete", W),
    Rule("GET", "/dek-registry/v1/keks/{name}/deks", R, S, listing=NAMES),
    Rule("POST", "/dek-registry/v1/keks/{name}/deks", W, S, body=_field("subject")),
    Rule("POST", "/dek-registry/v1/keks/{name}/deks/{subject}", W, S, "subject"),
    Rule("GET", "/dek-registry/v1/keks/{name}/deks/{subject}", R, S, "subject"),
    Rule("DELETE", "/dek-registry/v1/keks/{name}/deks/{subject}", W, S, "subject",
         admin_flag="permanent"),
    Rule("POST", "/dek-registry/v1/keks/{name}/deks/{subject}/undelete", W, S, "subject"),
    Rule("GET", "/dek-registry/v1/keks/{name}/deks/{subject}/versions", R, S, "subject"),
    Rule("GET", "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}", R, S,
         "subject"),
    Rule("DELETE", "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}", W, S,
         "subject", admin_flag="permanent"),
    Rule("POST", "/dek-registry/v1/keks/{name}/deks/{subject}/versions/{version}/undelete",
         W, S, "subject"),
    # -- broker: where its Kafka listener is (the SDK's charter:// asks before it connects)
    Rule("GET", "/broker/kafka", R),
    # -- broker: topics and records
    Rule("GET", "/broker/topics", R, T, listing=NAMES),
    Rule("POST", "/broker/topics", W, T, body=_field("name")),
    Rule("GET", "/broker/topics/{topic}", R, T, "topic"),
    Rule("PATCH", "/broker/topics/{topic}", A, T, "topic"),
    Rule("DELETE", "/broker/topics/{topic}", A, T, "topic"),
    Rule("POST", "/broker/topics/{topic}/records", W, T, "topic"),
    Rule("GET", "/broker/topics/{topic}/partitions/{partition}/records", R, T, "topic"),
    Rule("GET", "/broker/topics/{topic}/partitions/{partition}/offsets", R, T, "topic"),
    Rule("POST", "/broker/fetch", R, T, body=_each("positions", "topic"), audited=False),
    # -- broker: consumer groups (group prefixes; joining and committing name topics too)
    Rule("GET", "/broker/groups", R, G, listing=NAMES),
    Rule("GET", "/broker/groups/{group}", R, G, "group"),
    Rule("GET", "/broker/groups/{group}/lag", R, G, "group"),
    Rule("POST", "/broker/groups/{group}/members", W, T, body=_field("topics"), group="group"),
    Rule("POST", "/broker/groups/{group}/members/{member}/heartbeat", W, G, "group",
         audited=False),
    Rule("POST", "/broker/groups/{group}/members/{member}/sync", W, G, "group", audited=False),
    Rule("DELETE", "/broker/groups/{group}/members/{member}", W, G, "group"),
    Rule("DELETE", "/broker/groups/{group}", A, G, "group"),
    Rule("POST", "/broker/groups/{group}/offsets", W, T, body=_each("offsets", "topic"),
         group="group"),
    # -- console pages: what a subject's or topic's page shows is that subject's or topic's
    Rule("GET", "/ui/subjects/{subject}", R, S, "subject"),
    Rule("GET", "/ui/subjects/{subject}/diff", R, S, "subject"),
    # The playground checks a pasted schema and stores nothing: a read, with a form body.
    Rule("POST", "/ui/subjects/{subject}/playground", R, S, "subject", audited=False),
    Rule("GET", "/ui/topics/{topic}", R, T, "topic"),
    Rule("GET", "/ui/topics/{topic}/lag.json", R, T, "topic"),
    Rule("GET", "/ui/topics/{topic}/charts.json", R, T, "topic"),
)


def split_path(raw_path: str) -> list[str]:
    """The path's segments, each percent-decoded once."""
    path = raw_path.split("?", 1)[0]
    return [unquote(s, encoding="utf-8", errors="replace") for s in path.strip("/").split("/")]


def _fallback(method: str, template: str) -> Rule:
    return Rule(method, template, R if method in ("GET", "HEAD") else A)


def rule_for(method: str, raw_path: str) -> Match:
    """The rule of a request (a closed fallback for a route the table does not know)."""
    want = "GET" if method == "HEAD" else method
    segments = split_path(raw_path)
    context_subject: str | None = None
    try:  # `/contexts/{ctx}/...` is checked as the route it stands for, names qualified
        folded = context_path(segments)
    except RegistryError:
        folded = None  # the registry answers the malformed context itself
    if folded is not None:
        segments = list(folded.segments)
        context_subject = dict(parse_qsl(folded.query)).get("subject")
    for rule in RULES:
        if rule.method != want:
            continue
        params = rule.bind(segments)
        if params is not None:
            if context_subject is not None and rule.kind is ID:
                params["context_subject"] = context_subject  # the id's context
            return Match(rule, params)
    return Match(_fallback(want, raw_path), {})
