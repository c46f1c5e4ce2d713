"""/schemas: schemas by id (the consumers' hot path), listings and types."""

from __future__ import annotations

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from registry import errors
from registry.http import (
    ID_MAX,
    MEDIA_TYPE,
    Registry,
    RegistryDep,
    check_subject,
    error_response,
    page,
)
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

router = APIRouter(prefix="/schemas", tags=["schemas"])


def _schema_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or len(value) > 10 or int(value) > ID_MAX:
        raise errors.SchemaNotFound(f"Schema {value} not found")
    return int(value)


def schema_by_id_route(registry: Registry) -> Route:
    """`GET /schemas/ids/{id}` as a bare Starlette route answered from pre-serialised bytes."""
    service = registry.service

    async def schema_by_id(request: Request) -> Response:
        raw: str = request.path_params["id"]
        # int() alone would also take "1_0" and " 1"; ids are 32-bit like Confluent's.
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > ID_MAX:
            return error_response(404, 40403, f"Schema {raw} not found")
        schema_id = int(raw)
        output = request.query_params.get("format", "")
        subject = _context_subject(request.query_params.get("subject"), registry)
        if output:  # another output format (Protobuf's `serialized`): off the cached path
            return await run_in_threadpool(_formatted_body, service, schema_id, output, subject)
        # A plain `?subject=` (what deserialisers send) is answered from the default context
        # first, so its cached bodies serve it too.
        default = subject is None or context_of(subject) == DEFAULT_CONTEXT
        body = service.cached_schema_json(schema_id) if default else None
        if body is None:
            body = await run_in_threadpool(service.schema_json, schema_id, subject)
            if body is None:
                return error_response(404, 40403, f"Schema {schema_id} not found")
        return Response(body, media_type=MEDIA_TYPE)

    return Route("/schemas/ids/{id}", schema_by_id, methods=["GET"], name="schema_by_id")


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
