"""Request and response plumbing shared by the routers: media type, bodies, path values."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import unquote

import orjson
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from registry import errors
from registry.coherence import ChangeListener
from registry.db import Database
from registry.qualified import check_subject_name, context_path
from registry.service import RegistryService
from registry.settings import Settings
from registry.values import LATEST

__all__ = [
    "ID_MAX",
    "MEDIA_TYPE",
    "VERSION_MAX",
    "ConfigSubjectDep",
    "ContextPathMiddleware",
    "EncodedSlashMiddleware",
    "Registry",
    "RegistryDep",
    "RegistryResponse",
    "SubjectDep",
    "check_subject",
    "error_response",
    "page",
    "parse_version",
    "read_model",
]

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
VERSION_MAX = 2**31 - 1
ID_MAX = 2**31 - 1  # schema ids are signed 32-bit in Confluent's API and the wire format
# Stands in for an encoded slash (%2F) in a path while routing; see EncodedSlashMiddleware.
SLASH_STAND_IN = "\x1f"
SLASH_FLAG = "charter.encoded_slash"
BROKER_PREFIX = "/broker/"

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        try:
            return orjson.dumps(content)
        except TypeError:  # e.g. an unpaired surrogate quoted in a message: escape it
            return json.dumps(content, ensure_ascii=True).encode()


def error_response(status: int, error_code: int, message: str) -> RegistryResponse:
    return RegistryResponse({"error_code": error_code, "message": message}, status_code=status)


@dataclass(frozen=True, slots=True)
class Registry:
    """What the routers need, built once per app by `build_registry`."""

    settings: Settings
    service: RegistryService
    listener: ChangeListener | None = None  # PostgreSQL: the change notices of other processes

    @property
    def database(self) -> Database:
        return self.service.repository.database

    def close(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self.service.repository.close()


async def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


class EncodedSlashMiddleware:
    """Keep `%2F` inside a path segment from splitting it while routing.

    Clients URL-encode subject names (`a/b` → `a%2Fb`); ASGI servers decode the path before
    routing, which would turn one subject into two path segments.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw: bytes | None = scope.get("raw_path")
            if raw and b"%" in raw:
                # Decode the raw path once, ourselves (some servers and test clients decode
                # twice), keeping encoded slashes apart unless the path already holds the
                # stand-in character (then it is a control character and gets refused).
                # The broker's names cannot hold a slash, so there it splits the path.
                text = raw.decode("latin-1").split("?", 1)[0]
                scope = dict(scope)
                lowered = text.lower()
                if (
                    "%1f" not in lowered
                    and "%2f" in lowered
                    and not text.startswith(BROKER_PREFIX)
                ):
                    text = text.replace("%2F", "%1F").replace("%2f", "%1F")
                    scope[SLASH_FLAG] = True
                try:
                    scope["path"] = unquote(text, encoding="utf-8", errors="strict")
                except UnicodeDecodeError:  # never substitute U+FFFD: two names would collide
                    await error_response(
                        400, 40003, "The request path is not valid UTF-8 once percent-decoded"
                    )(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def check_subject(subject: str, settings: Settings) -> str:
    if not subject:
        raise errors.InvalidSubject("Invalid subject: the subject name is empty")
    if len(subject) > settings.subject_length_max:
        raise errors.InvalidSubject(
            f"Invalid subject: the name is {len(subject)} characters long; "
            f"the limit is {settings.subject_length_max}"
        )
    for char in subject:
        if unicodedata.category(char) in ("Cc", "Cs"):
            raise errors.InvalidSubject(
                f"Invalid subject {subject!r}: control characters are not allowed"
            )
    if subject.strip() != subject or subject == "__GLOBAL":
        raise errors.InvalidSubject(
            f"Invalid subject {subject!r}: reserved name or surrounding whitespace"
        )
    return subject


async def subject_param(subject: str, request: Request, registry: RegistryDep) -> str:
    """A subject path value in its normal qualified form (`registry.qualified`)."""
    if request.scope.get(SLASH_FLAG):
        subject = subject.replace(SLASH_STAND_IN, "/")
    return check_subject_name(check_subject(subject, registry.settings)).name


async def config_subject_param(subject: str, request: Request, registry: RegistryDep) -> str:
    """A config or mode path value: a subject, or `:.ctx:` for a context's own."""
    if request.scope.get(SLASH_FLAG):
        subject = subject.replace(SLASH_STAND_IN, "/")
    check_subject(subject, registry.settings)
    return check_subject_name(subject, config_or_mode=True).name


SubjectDep = Annotated[str, Depends(subject_param)]
ConfigSubjectDep = Annotated[str, Depends(config_subject_param)]


class ContextPathMiddleware:
    """Serve Confluent's `/contexts/{ctx}/...` URL forms as the plain routes they stand for
    (`registry.qualified.context_path`): `/contexts/.a/subjects/s/versions` is
    `/subjects/:.a:s/versions`. Runs inside `EncodedSlashMiddleware`, on the decoded path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "") if scope["type"] == "http" else ""
        if path.startswith("/contexts/"):
            query = scope.get("query_string", b"").decode("latin-1")
            try:
                folded = context_path(path.strip("/").split("/"), query)
            except errors.RegistryError as exc:
                await error_response(exc.status, exc.error_code, exc.message)(
                    scope, receive, send
                )
                return
            if folded is not None:
                scope = dict(scope)
                scope["path"] = "/" + "/".join(folded.segments)
                scope["query_string"] = folded.query.encode("latin-1")
        await self.app(scope, receive, send)


def page(items: list[T], offset: int, limit: int) -> list[T]:
    """Confluent's `offset`/`limit` paging; a negative limit means no limit."""
    start = max(offset, 0)
    return items[start:] if limit < 0 else items[start : start + limit]


def parse_version(value: str) -> int:
    """A version path value: 1…2^31-1, `latest` or -1 (both mean the latest)."""
    if value.lower() == "latest":
        return LATEST
    try:
        number = int(value)
    except ValueError:
        raise errors.InvalidVersion(value) from None
    if number == LATEST or 1 <= number <= VERSION_MAX:
        return number
    raise errors.InvalidVersion(value)


async def read_json(request: Request, limit: int) -> Any:
    """The request body as JSON whatever the content type says, within `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise errors.RequestTooLarge.over(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.RequestTooLarge.over(limit)
        chunks.append(chunk)
    body = b"".join(chunks)
    if not body.strip():
        raise errors.BadRequest("The request body is empty; a JSON object is expected")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise errors.BadRequest(f"Malformed JSON in the request body: {exc}") from None


def validation_message(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error.get("loc", ())) or "body"
        parts.append(f"{where}: {error.get('msg', 'invalid')}")
    return "Invalid request body: " + "; ".join(parts)


async def read_model(request: Request, model: type[M], limit: int) -> M:
    data = await read_json(request, limit)
    if not isinstance(data, dict):
        raise errors.UnprocessableError("Invalid request body: a JSON object is expected")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise errors.UnprocessableError(validation_message(exc)) from None
