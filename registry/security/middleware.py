"""The ASGI middleware that guards every route of `charter serve`, registry and broker alike.

For each request: find its rule (`routes.rule_for`), authenticate (unless `/health`, or
`--auth none`), refuse writes whose content type a cross-site form could send, read the names
the operation touches (path, JSON body, the subjects of a schema id or GUID, the consumer group,
the subjects a schema body references), `decide`, then run the app; listings are filtered to
what the principal may see (paging applied after filtering), and every write is audited with
its outcome. It wraps the app from outside, so the broker
package imports nothing of the registry's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from registry.errors import RegistryError, RequestTooLarge
from registry.security.audit import AuditEntry, outcome_of
from registry.security.errors import (
    BadBody,
    CheckFailed,
    Unauthenticated,
    UnsupportedMediaType,
)
from registry.security.guard import ANONYMOUS, Guard, decide, parse_authorization
from registry.security.roles import Action, Kind, Principal
from registry.security.routes import PUBLIC_PATHS, Match, rule_for

__all__ = ["SecurityMiddleware", "body_media_type_allowed"]

log = logging.getLogger("charter.security")

ERROR_MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
TRUE_FLAGS = frozenset({"true", "1", "yes", "on"})
BINARY_MEDIA_TYPES = frozenset({"application/vnd.charter.batch", "application/octet-stream"})


def body_media_type_allowed(content_type: str | None) -> bool:
    """JSON (plain or a `+json` vnd type) or the broker's binary batch: types a browser
    sends cross-site only after a CORS preflight, so a foreign page cannot send them."""
    if not content_type:
        return False
    main = content_type.split(";", 1)[0].strip().lower()
    return main == "application/json" or (
        main.startswith("application/") and main.endswith("+json")
    ) or main in BINARY_MEDIA_TYPES


def _headers(scope: Scope) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", ()):
        found.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return found


async def _error(send: Send, exc: RegistryError, challenges: Sequence[str] = ()) -> None:
    body = orjson.dumps({"error_code": exc.error_code, "message": exc.message})
    headers = [
        (b"content-type", ERROR_MEDIA_TYPE.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    headers += [(b"www-authenticate", c.encode()) for c in challenges]
    await send({"type": "http.response.start", "status": exc.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, guard: Guard) -> None:
        self.app = app
        self.guard = guard

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"].upper()
        raw = scope.get("raw_path") or quote(scope["path"]).encode()
        raw_path = raw.decode("latin-1").split("?", 1)[0]
        headers = _headers(scope)
        if raw_path in PUBLIC_PATHS and method in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        match = rule_for(method, raw_path)
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        action = match.rule.action
        if match.rule.admin_flag and query.get(match.rule.admin_flag, "").lower() in TRUE_FLAGS:
            action = Action.ADMIN
        audited = match.rule.audited and (action > Action.READ or method in WRITE_METHODS)
        principal: Principal | None = None
        names: list[str] = []
        try:
            principal = await self._principal(headers)
            kind = match.rule.kind
            if match.name is not None and not kind.names_schema:
                names = [match.name]
            if (
                method in BODY_METHODS
                # The console's playground form checks a schema and stores nothing.
                and not raw_path.startswith("/ui/")
                and self._has_body(headers)
                and not body_media_type_allowed(headers.get("content-type"))
            ):
                raise UnsupportedMediaType(
                    "Unsupported Media Type: a request body must be JSON "
                    "(application/json or application/vnd.schemaregistry.v1+json) or "
                    "application/vnd.charter.batch"
                )
            limited = principal.limits(kind)
            if match.rule.body is not None and (limited or audited):
                # Read up to the registry's own body limit (the routes enforce theirs); a body
                # that names nothing readable is refused here only when the names decide.
                body, receive = await self._read_body(
                    headers, receive, self.guard.registry_body_bytes_max
                )
                names = self._body_names(match, body, strict=limited)
            if kind.names_schema and principal.limits(Kind.SUBJECT):
                names = await run_in_threadpool(
                    self._subjects_of, kind, match.name or "",
                    match.params.get("context_subject") or query.get("subject"),
                )
            decide(principal, action, kind, names)
            if match.rule.group is not None:
                decide(principal, action, Kind.GROUP, [match.params[match.rule.group]])
            if (match.rule.references and principal.limits(Kind.SUBJECT)
                    and self._has_body(headers)):
                body, receive = await self._read_body(
                    headers, receive, self.guard.registry_body_bytes_max
                )
                decide(principal, Action.READ, Kind.SUBJECT, referenced_subjects(body))
        except RegistryError as exc:
            challenges = self.guard.challenges() if isinstance(exc, Unauthenticated) else []
            await _error(send, exc, challenges)
            if audited:
                self._audit(principal, method, raw_path, match, names, exc.status)
            return
        except Exception:  # e.g. the database is down while a key is checked: no traceback out
            log.exception("the security check failed")
            await _error(send, CheckFailed("Error in the backend data store"))
            if audited:
                self._audit(principal, method, raw_path, match, names, 500)
            return
        if principal is not None and principal.via != "anonymous":
            # The request log (registry.observe) names the key from here.
            scope.setdefault("state", {})["charter_key"] = principal.name
        # The console shows only what the principal may see (registry.console.routes).
        scope.setdefault("state", {})["charter_principal"] = principal
        status = await self._run(scope, receive, send, match, principal, query)
        if audited:
            self._audit(principal, method, raw_path, match, names, status)

    # ---- steps -------------------------------------------------------------------------

    async def _principal(self, headers: dict[str, str]) -> Principal:
        if not self.guard.required:
            return ANONYMOUS
        credentials = parse_authorization(headers.get("authorization"))
        cached = self.guard.cached(credentials)
        if cached is not None:
            return cached
        return await run_in_threadpool(self.guard.authenticate, credentials)

    @staticmethod
    def _has_body(headers: dict[str, str]) -> bool:
        length = headers.get("content-length")
        return "transfer-encoding" in headers or (length is not None and length.strip() != "0")

    async def _read_body(
        self, headers: dict[str, str], receive: Receive, limit: int | None = None
    ) -> tuple[bytes, Receive]:
        limit = limit or self.guard.settings.inspected_body_bytes_max
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge.over(limit, int(declared))
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestTooLarge.over(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return body, replay

    @staticmethod
    def _body_names(match: Match, body: bytes, *, strict: bool) -> list[str]:
        """The names a body carries; unreadable ones are 400 when `strict` (the principal's
        prefixes depend on them), else left to the route's own answer."""
        assert match.rule.body is not None
        if not body.strip():
            return []  # the route answers its own 422 for a missing body
        try:
            return match.rule.body(json.loads(body))
        except (ValueError, KeyError, TypeError, IndexError, AttributeError):
            if not strict:
                return []
            raise BadBody(
                "Bad request: the body must be a JSON object naming its topics"
            ) from None

    def _subjects_of(self, kind: Kind, raw: str, subject: str | None) -> list[str]:
        """The subjects holding a schema id (in the context `subject` names, `?subject=`) or a
        GUID."""
        if kind is Kind.SCHEMA_GUID:
            return self.guard.subjects_of_guid(raw)
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
            return []
        return self.guard.subjects_of_id(int(raw), subject)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        match: Match,
        principal: Principal,
        query: dict[str, str],
    ) -> int:
        status = 500
        listing = match.rule.listing
        kind = Kind.SUBJECT if match.rule.kind.names_schema else match.rule.kind
        if listing is None or not principal.limits(kind) or scope["method"] == "HEAD":

            async def watch(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                await send(message)

            await self.app(scope, receive, watch)
            return status
        # A listing to filter: page after filtering, so pages hold only visible names.
        offset, limit = _int(query.get("offset"), 0), _int(query.get("limit"), -1)
        if offset is not None and limit is not None:
            kept = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                    if k not in ("offset", "limit")]
            scope = dict(scope, query_string=urlencode(kept).encode("latin-1"))
        start: Message = {}
        parts: list[bytes] = []

        async def collect(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, collect)
        status = int(start.get("status", 500))
        body = b"".join(parts)
        if status == 200:
            body = _filtered(body, principal, kind, listing, offset or 0,
                             -1 if limit is None else limit)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return status

    def _audit(
        self,
        principal: Principal | None,
        method: str,
        path: str,
        match: Match,
        names: list[str],
        status: int,
    ) -> None:
        if self.guard.audit is None:
            return
        entry = AuditEntry(
            at=datetime.now(UTC),
            who=principal.name if principal else "-",
            via=principal.via if principal else "none",
            method=method,
            path=path[:2048],
            kind=match.rule.kind.value,
            names=tuple(n[:512] for n in names[:64]),
            status=status,
            outcome=outcome_of(status),
        )
        # Refused requests with no identity are only logged: they would let anyone fill
        # the table.
        self.guard.audit.record(entry, store=principal is not None)


def referenced_subjects(body: bytes) -> list[str]:
    """The subjects a schema body's `references` name. A body the registry cannot read (not
    JSON, not an object, references of the wrong shape) names none: the registry refuses it
    with its own 400 or 422, parsing it the same way (orjson, then the `SchemaIn` model)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return []
    references = data.get("references") if isinstance(data, dict) else None
    if not isinstance(references, list):
        return []
    return [r["subject"] for r in references
            if isinstance(r, dict) and isinstance(r.get("subject"), str)]


def _int(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


def _filtered(
    body: bytes, principal: Principal, kind: Kind, listing: Any, offset: int, limit: int
) -> bytes:
    try:
        items = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(items, list):
        return body
    visible = [i for i in items if (n := listing.name_of(i)) is not None
               and principal.may_name(kind, n)]
    start = max(offset, 0)
    visible = visible[start:] if limit < 0 else visible[start : start + limit]
    return orjson.dumps(visible)

