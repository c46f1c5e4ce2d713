"""/schemas: schemas by id (the consumers' hot path), listings and types."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from registry import errors
from registry.http import (
    ID_MAX,
    MEDIA_TYPE,
    Registry,
    RegistryDep,
    RegistryResponse,
    check_subject,
    error_response,
    page,
)
from registry.openapi import AUTH, SERVER, answers
from registry.qualified import DEFAULT_CONTEXT, check_subject_name, context_of
from registry.responses import (
    SchemaResponse,
    SubjectVersionResponse,
    VersionResponse,
    schema_json,
)
from registry.routers.bodies import parse_guid
from registry.schemas import FORMATS
from registry.service import RegistryService

router = APIRouter(
    prefix="/schemas", tags=["schemas"], responses=answers(*AUTH, *SERVER, 400, 404)
)


def _quoted(value: str) -> str:
    """A path value as an error message may quote it: a 5,000-digit "id" is not echoed whole."""
    return value if len(value) <= 32 else f"{value[:32]}... ({len(value)} characters)"


def _schema_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > ID_MAX:
        raise errors.SchemaNotFound(f"Schema {_quoted(value)} not found")
    return int(value)


class _DirectRoute(APIRoute):
    """An API route whose endpoint is called straight with its path and query values: it is
    documented from the endpoint's signature like any other, but skips FastAPI's dependency
    solving and response validation (the endpoint returns finished responses)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        names = [p.name for p in self.dependant.query_params]

        async def handler(request: Request) -> Response:
            query = {n: request.query_params[n] for n in names if n in request.query_params}
            response: Response = await endpoint(**request.path_params, **query)
            return response

        return handler


def schema_by_id_route(registry: Registry) -> APIRoute:
    """`GET /schemas/ids/{id}`, answered from pre-serialised bytes (the consumers' hot path)."""
    service = registry.service

    async def schema_by_id(id: str, format: str = "", subject: str = "") -> Response:
        """The schema with this id, whatever subjects hold it; `format` asks for another
        output format, such as Protobuf's `serialized`; `subject` names the id's context."""
        # int() alone would also take "1_0" and " 1"; ids are 32-bit like Confluent's.
        if not (id.isascii() and id.isdigit()) or len(id) > 10 or int(id) > ID_MAX:
            return error_response(404, 40403, f"Schema {_quoted(id)} not found")
        schema_id = int(id)
        context_subject = _context_subject(subject, registry)
        if format:  # another output format (Protobuf's `serialized`): off the cached path
            return await run_in_threadpool(
                _formatted_body, service, schema_id, format, context_subject
            )
        # A plain `?subject=` (what deserialisers send) is answered from the default context
        # first, so its cached bodies serve it too.
        default = context_subject is None or context_of(context_subject) == DEFAULT_CONTEXT
        body = service.cached_schema_json(schema_id) if default else None
        if body is None:
            body = await run_in_threadpool(service.schema_json, schema_id, context_subject)
            if body is None:
                return error_response(404, 40403, f"Schema {schema_id} not found")
        return Response(body, media_type=MEDIA_TYPE)

    return _DirectRoute(
        "/schemas/ids/{id}",
        schema_by_id,
        methods=["GET"],
        name="schema_by_id",
        tags=["schemas"],
        response_class=RegistryResponse,
        response_model=SchemaResponse,
        response_model_exclude_none=True,
        responses=answers(*AUTH, *SERVER, 400, 404),
    )


def _context_subject(value: str | None, registry: Registry) -> str | None:
    """The `?subject=` of the schema-id routes (it names the id's context), checked; a
    malformed one is 42208, as a malformed subject anywhere."""
    if not value:
        return None
    check_subject(value, registry.settings)
    return check_subject_name(value, config_or_mode=True).name or None


def _formatted_body(
    service: RegistryService, schema_id: int, output: str, subject: str | None
) -> Response:
    stored = service.resolve_id(schema_id, subject)
    if stored is None:
        return error_response(404, 40403, f"Schema {schema_id} not found")
    return Response(schema_json(service.formatted(stored, output)), media_type=MEDIA_TYPE)


@router.get("", response_model_exclude_none=True)
def list_schemas(
    registry: RegistryDep,
    subjectPrefix: str | None = None,
    deleted: bool = False,
    latestOnly: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[VersionResponse]:
    views = registry.service.list_schemas(
        prefix=subjectPrefix, deleted=deleted, latest_only=latestOnly
    )
    return [VersionResponse.of(v) for v in page(views, offset, limit)]


@router.get("/types")
async def schema_types() -> list[str]:
    return [schema_type.value for schema_type in FORMATS]


@router.get("/ids/{schema_id}/schema")
def schema_text(
    schema_id: str, registry: RegistryDep, subject: str | None = None, format: str = ""
) -> Response:
    number = _schema_id(schema_id)
    stored = registry.service.resolve_id(number, _context_subject(subject, registry))
    if stored is None:
        raise errors.SchemaNotFound(f"Schema {number} not found")
    if format:
        stored = registry.service.formatted(stored, format)
    return Response(stored.text, media_type=MEDIA_TYPE)


@router.get("/ids/{schema_id}/subjects")
def schema_subjects(
    schema_id: str, registry: RegistryDep, deleted: bool = False, offset: int = 0,
    limit: int = -1, subject: str | None = None,
) -> list[str]:
    pairs = registry.service.versions_of_id(
        _schema_id(schema_id), deleted=deleted, subject=_context_subject(subject, registry)
    )
    return page(sorted({s for s, _ in pairs}), offset, limit)


@router.get("/ids/{schema_id}/versions")
def schema_versions(
    schema_id: str, registry: RegistryDep, deleted: bool = False, offset: int = 0,
    limit: int = -1, subject: str | None = None,
) -> list[SubjectVersionResponse]:
    pairs = registry.service.versions_of_id(
        _schema_id(schema_id), deleted=deleted, subject=_context_subject(subject, registry)
    )
    return [SubjectVersionResponse(subject=s, version=v) for s, v in page(pairs, offset, limit)]


def _guid(value: str) -> str:
    # A GUID that is not a UUID names no schema: 404 with Confluent's "schema not found" code.
    return parse_guid(value, errors.SchemaNotFound)


@router.get("/guids/{guid}", response_model_exclude_none=True)
def schema_by_guid(guid: str, registry: RegistryDep, format: str = "") -> SchemaResponse:
    stored = registry.service.schemas_by_guid(_guid(guid))[0]
    if format:
        stored = registry.service.formatted(stored, format)
    return SchemaResponse.of(stored)


@router.get("/guids/{guid}/ids")
def ids_of_guid(guid: str, registry: RegistryDep) -> list[int]:
    """The ids the schema with this GUID has: one per context that holds it."""
    return sorted({s.id for s in registry.service.schemas_by_guid(_guid(guid))})
