"""Authorisation of each Kafka request, as the HTTP routes authorise theirs.

reader: Fetch, ListOffsets, Metadata, OffsetFetch, FindCoordinator, DescribeGroups,
ListGroups, DescribeConfigs; writer also Produce, InitProducerId, the group membership APIs,
OffsetCommit, CreateTopics; admin DeleteTopics. Every topic a request names must be inside the
principal's topic prefixes and every group inside its group prefixes. A refused topic is
taken out of the request before its handler runs and answered with TOPIC_AUTHORIZATION_FAILED
beside the handler's answers for the others; listings (Metadata for all topics, ListGroups,
OffsetFetch for all topics) show only what the principal may see. `restrict` returns the
request to run (None: none of it) and `finish`, which completes the handler's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from broker.kafka.auth import Access, Authenticator, Resource
from broker.kafka.errors import ErrorCode
from broker.kafka.messages import RequestFrame

__all__ = ["Gate", "restrict"]

Tree = dict[str, Any]


@dataclasses.dataclass(frozen=True, slots=True)
class _Topics:
    """Where a request lists its topics and its answer lists them back."""

    field: str
    name: str
    parts: str | None  # the topic's partitions in the request (None: a topic-level answer)
    answer: str
    answer_name: str
    answer_parts: str | None
    entry: Tree  # the refused partition's (or topic's) answer, error code added
    base: Tree  # the answer's other fields when no topic is left to run
    index: Callable[[Any], int] = lambda p: int(p)


_PRODUCE = _Topics(
    "topic_data", "name", "partition_data", "responses", "name", "partition_responses",
    {"base_offset": -1, "log_start_offset": -1, "record_errors": [],
     "error_message": "Topic authorization failed"},
    {}, lambda p: int(p.index),
)
_FETCH = _Topics(
    "topics", "topic", "partitions", "responses", "topic", "partitions",
    {"high_watermark": -1, "last_stable_offset": -1, "log_start_offset": -1,
     "aborted_transactions": None, "preferred_read_replica": -1, "records": None},
    {"error_code": ErrorCode.none, "session_id": 0}, lambda p: int(p.partition),
)
_LIST_OFFSETS = _Topics(
    "topics", "name", "partitions", "topics", "name", "partitions",
    {"timestamp": -1, "offset": -1, "leader_epoch": -1}, {},
    lambda p: int(p.partition_index),
)
_OFFSET_COMMIT = _Topics(
    "topics", "name", "partitions", "topics", "name", "partitions", {}, {},
    lambda p: int(p.partition_index),
)
_OFFSET_FETCH = _Topics(
    "topics", "name", "partition_indexes", "topics", "name", "partitions",
    {"committed_offset": -1, "committed_leader_epoch": -1, "metadata": None}, {},
)
_CREATE_TOPICS = _Topics(
    "topics", "name", None, "topics", "name", None,
    {"topic_id": None, "error_message": "Topic authorization failed", "configs": None}, {},
)
_DELETE_TOPICS = _Topics(
    "topic_names", "", None, "responses", "name", None,
    {"error_message": "Topic authorization failed"}, {},
)

# (access, the request's topics or None) per API; group APIs and special cases below
_TOPIC_APIS: dict[str, tuple[Access, _Topics]] = {
    "produce": (Access.WRITE, _PRODUCE),
    "fetch": (Access.READ, _FETCH),
    "list_offsets": (Access.READ, _LIST_OFFSETS),
    "create_topics": (Access.WRITE, _CREATE_TOPICS),
    "delete_topics": (Access.ADMIN, _DELETE_TOPICS),
}
_GROUP_MEMBERSHIP = {"join_group", "sync_group", "heartbeat", "leave_group"}
# writes recorded in the audit trail (heartbeats and syncs are not, as over HTTP)
AUDITED = {"produce", "create_topics", "delete_topics", "offset_commit", "join_group",
           "leave_group"}


@dataclasses.dataclass(slots=True)
class Gate:
    request: RequestFrame | None  # what the handler runs; None: answered by `finish` alone
    finish: Callable[[Tree | None], Tree | None]
    resource: Resource = Resource.TOPIC
    names: tuple[str, ...] = ()
    refused: bool = False


def _topic_name(spec: _Topics, item: Any) -> str:
    return item if not spec.name else str(getattr(item, spec.name))


def _refusal(spec: _Topics, item: Any, code: ErrorCode) -> Tree:
    entry: Tree = {spec.answer_name: _topic_name(spec, item)}
    if spec.parts is None or spec.answer_parts is None:
        return entry | spec.entry | {"error_code": code}
    parts = getattr(item, spec.parts) or ()
    entry[spec.answer_parts] = [
        {"partition_index" if spec.answer_parts != "partition_responses" else "index":
         spec.index(p), "error_code": code} | spec.entry
        for p in parts
    ]
    return entry


def _split(
    request: RequestFrame,
    spec: _Topics,
    allowed: Callable[[str], bool],
    code: ErrorCode = ErrorCode.topic_authorization_failed,
    *,
    extra: Tree | None = None,
) -> Gate:
    items = getattr(request.body, spec.field) or ()
    kept = tuple(i for i in items if allowed(_topic_name(spec, i)))
    refused = [_refusal(spec, i, code) for i in items if not allowed(_topic_name(spec, i))]
    names = tuple(dict.fromkeys(_topic_name(spec, i) for i in items))
    if not refused:
        return Gate(request, lambda tree: tree, names=names)
    base = spec.base | (extra or {})

    def finish(tree: Tree | None) -> Tree | None:
        if tree is None:  # acks=0: no answer at all
            return None
        out = dict(tree)
        out[spec.answer] = list(out.get(spec.answer) or ()) + refused
        return out

    if not kept:
        if request.api_key == 0 and request.body.acks == 0:
            return Gate(None, lambda _tree: None, names=names, refused=True)
        return Gate(None, lambda _tree: finish(base), names=names, refused=True)
    body = dataclasses.replace(request.body, **{spec.field: kept})
    return Gate(dataclasses.replace(request, body=body), finish, names=names, refused=True)


def _group_refusal(name: str) -> Tree:
    code = ErrorCode.group_authorization_failed
    table: dict[str, Tree] = {
        "join_group": {"error_code": code, "generation_id": -1, "protocol_name": "",
                       "leader": "", "member_id": "", "members": []},
        "sync_group": {"error_code": code, "assignment": b""},
        "heartbeat": {"error_code": code},
        "leave_group": {"error_code": code, "members": []},
        "find_coordinator": {"error_code": code, "error_message": "Group authorization failed",
                             "node_id": -1, "host": "", "port": -1},
    }
    return table[name]


def restrict(name: str, request: RequestFrame, auth: Authenticator, principal: object) -> Gate:
    """The part of `request` this principal may run, and how to answer the rest."""

    def may(access: Access, resource: Resource, names: Sequence[str]) -> bool:
        return auth.authorize(principal, access, resource, names)

    if name in _TOPIC_APIS:
        access, spec = _TOPIC_APIS[name]
        if not may(access, Resource.CLUSTER, ()):
            return _split(request, spec, lambda _n: False)
        return _split(request, spec, lambda n: may(access, Resource.TOPIC, [n]))
    body = request.body
    if name == "metadata":
        return _metadata(request, lambda n: may(Access.READ, Resource.TOPIC, [n]))
    if name in _GROUP_MEMBERSHIP or name == "find_coordinator":
        if name == "find_coordinator":
            if getattr(body, "key_type", 0) != 0:
                return Gate(request, lambda tree: tree)
            group, access = body.key, Access.READ
        else:
            group, access = body.group_id, Access.WRITE
        if may(access, Resource.GROUP, [group]):
            return Gate(request, lambda tree: tree, Resource.GROUP, (group,))
        refusal = _group_refusal(name)
        return Gate(None, lambda _t: refusal, Resource.GROUP, (group,), refused=True)
    if name in ("offset_commit", "offset_fetch"):
        access = Access.WRITE if name == "offset_commit" else Access.READ
        spec = _OFFSET_COMMIT if name == "offset_commit" else _OFFSET_FETCH
        group = body.group_id
        if not may(access, Resource.GROUP, [group]):
            return _whole_group(request, spec, group, name)
        if name == "offset_fetch" and body.topics is None:
            return _listing(request, spec, lambda n: may(access, Resource.TOPIC, [n]))
        return _split(request, spec, lambda n: may(access, Resource.TOPIC, [n]))
    if name == "describe_groups":
        return _describe_groups(request, lambda g: may(Access.READ, Resource.GROUP, [g]))
    if name == "list_groups":
        visible = lambda g: may(Access.READ, Resource.GROUP, [g])  # noqa: E731
        return Gate(request, lambda tree: _filter(tree, "groups", "group_id", visible),
                    Resource.GROUP)
    if name == "init_producer_id":
        if may(Access.WRITE, Resource.CLUSTER, ()):
            return Gate(request, lambda tree: tree, Resource.CLUSTER)
        refusal = {"error_code": ErrorCode.cluster_authorization_failed, "producer_id": -1,
                   "producer_epoch": -1}
        return Gate(None, lambda _t: refusal, Resource.CLUSTER, refused=True)
    if name == "describe_configs":
        return _describe_configs(request, lambda n: may(Access.READ, Resource.TOPIC, [n]),
                                 may(Access.READ, Resource.CLUSTER, ()))
    return Gate(request, lambda tree: tree, Resource.CLUSTER)  # api_versions


def _filter(tree: Tree | None, field: str, key: str, visible: Callable[[str], bool]) -> Tree | None:
    if tree is None:
        return None
    return tree | {field: [e for e in tree.get(field) or () if visible(str(e[key]))]}


def _metadata(request: RequestFrame, visible: Callable[[str], bool]) -> Gate:
    topics = request.body.topics
    if topics is None or (request.version == 0 and not topics):
        return Gate(request, lambda tree: _filter(tree, "topics", "name", visible))

    def finish(tree: Tree | None) -> Tree | None:
        if tree is None:
            return None
        out = []
        for entry in tree.get("topics") or ():
            if visible(str(entry["name"])):
                out.append(entry)
            else:
                out.append({"error_code": ErrorCode.topic_authorization_failed,
                            "name": entry["name"], "is_internal": False, "partitions": []})
        return tree | {"topics": out}

    return Gate(request, finish, names=tuple(t.name for t in topics))


def _listing(request: RequestFrame, spec: _Topics, visible: Callable[[str], bool]) -> Gate:
    return Gate(request, lambda tree: _filter(tree, spec.answer, spec.answer_name, visible))


def _whole_group(request: RequestFrame, spec: _Topics, group: str, name: str) -> Gate:
    code = ErrorCode.group_authorization_failed
    items = getattr(request.body, spec.field) or ()
    answer: Tree = {spec.answer: [_refusal(spec, i, code) for i in items]}
    if name == "offset_fetch":
        answer["error_code"] = code
    return Gate(None, lambda _t: answer, Resource.GROUP, (group,), refused=True)


def _describe_groups(request: RequestFrame, visible: Callable[[str], bool]) -> Gate:
    groups = tuple(request.body.groups)
    refused = [g for g in groups if not visible(g)]
    if not refused:
        return Gate(request, lambda tree: tree, Resource.GROUP, groups)
    kept = tuple(g for g in groups if visible(g))
    answers = [
        {"error_code": ErrorCode.group_authorization_failed, "group_id": g, "group_state": "",
         "protocol_type": "", "protocol_data": "", "members": [],
         "authorized_operations": -(2**31)}
        for g in refused
    ]

    def finish(tree: Tree | None) -> Tree | None:
        base = tree or {}
        return base | {"groups": list(base.get("groups") or ()) + answers}

    if not kept:
        return Gate(None, finish, Resource.GROUP, groups, refused=True)
    body = dataclasses.replace(request.body, groups=kept)
    return Gate(dataclasses.replace(request, body=body), finish, Resource.GROUP, groups,
                refused=True)


_TOPIC_RESOURCE = 2


def _describe_configs(
    request: RequestFrame, visible: Callable[[str], bool], cluster: bool
) -> Gate:
    resources = tuple(request.body.resources)

    def allowed(r: Any) -> bool:
        return visible(r.resource_name) if r.resource_type == _TOPIC_RESOURCE else cluster

    refused = [r for r in resources if not allowed(r)]
    if not refused:
        return Gate(request, lambda tree: tree)
    answers = [
        {"error_code": ErrorCode.topic_authorization_failed if r.resource_type ==
         _TOPIC_RESOURCE else ErrorCode.cluster_authorization_failed,
         "error_message": "Authorization failed", "resource_type": r.resource_type,
         "resource_name": r.resource_name, "configs": []}
        for r in refused
    ]
    kept = tuple(r for r in resources if allowed(r))

    def finish(tree: Tree | None) -> Tree | None:
        base = tree or {}
        return base | {"results": list(base.get("results") or ()) + answers}

    if not kept:
        return Gate(None, finish, refused=True)
    body = dataclasses.replace(request.body, resources=kept)
    return Gate(dataclasses.replace(request, body=body), finish, refused=True)


def outcome(gate: Gate, tree: Tree | None) -> str:
    """ok, denied or failed: what the audit trail records for one request."""
    if gate.refused:
        return "denied"
    return "failed" if tree is not None and _has_error(tree) else "ok"


def _has_error(value: Any) -> bool:
    if isinstance(value, dict):
        code = value.get("error_code")
        if code is not None and int(code) != 0:
            return True
        return any(_has_error(v) for v in value.values() if isinstance(v, dict | list))
    if isinstance(value, list):
        return any(_has_error(v) for v in value)
    return False
