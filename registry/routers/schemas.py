"""/schemas: schemas by id (the consumers' hot path), listings and types."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.routing import Route

from registry import errors
from registry.http import ID_MAX, MEDIA_TYPE, Registry, RegistryDep, error_response, page
from registry.views import schema_bytes, version_body

router = APIRouter(prefix="/schemas", tags=["schemas"])


def _schema_id(value: str) -> int:
    if not (value.isascii() and value.isdigit()) or int(value) > ID_MAX:
        raise errors.SchemaNotFound(f"Schema {value} not found")
    return int(value)


def schema_by_id_route(registry: Registry) -> Route:
    """`GET /schemas/ids/{id}` as a bare Starlette route answered from pre-serialised bytes."""
    cache = registry.cache
    store = registry.store

    async def schema_by_id(request: Request) -> Response:
        raw: str = request.path_params["id"]
        # int() alone would also take "1_0" and " 1"; ids are 32-bit like Confluent's.
        if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > ID_MAX:
            return error_response(404, 40403, f"Schema {raw} not found")
        schema_id = int(raw)
        body = cache.get(schema_id)
        if body is None:
            stored = await run_in_threadpool(store.schema_by_id, schema_id)
            if stored is None:
                return error_response(404, 40403, f"Schema {schema_id} not found")
            body = schema_bytes(stored)
            cache.put(schema_id, body)
        return Response(body, media_type=MEDIA_TYPE)

    return Route("/schemas/ids/{id}", schema_by_id, methods=["GET"], name="schema_by_id")


@router.get("")
def list_schemas(
    registry: RegistryDep,
    subjectPrefix: str = "",
    deleted: bool = False,
    latestOnly: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[dict[str, Any]]:
    views = registry.store.list_schemas(
        prefix=subjectPrefix, deleted=deleted, latest_only=latestOnly
    )
    return [version_body(v) for v in page(views, offset, limit)]


@router.get("/types")
async def schema_types() -> list[str]:
    return ["AVRO", "JSON"]


@router.get("/ids/{schema_id}/schema")
def schema_text(schema_id: str, registry: RegistryDep) -> Response:
    number = _schema_id(schema_id)
    stored = registry.store.schema_by_id(number)
    if stored is None:
        raise errors.SchemaNotFound(f"Schema {number} not found")
    return Response(stored.text, media_type=MEDIA_TYPE)


@router.get("/ids/{schema_id}/subjects")
def schema_subjects(
    schema_id: str, registry: RegistryDep, deleted: bool = False, offset: int = 0, limit: int = -1
) -> list[str]:
    pairs = registry.store.versions_of_id(_schema_id(schema_id), deleted=deleted)
    return page(sorted({subject for subject, _ in pairs}), offset, limit)


@router.get("/ids/{schema_id}/versions")
def schema_versions(
    schema_id: str, registry: RegistryDep, deleted: bool = False, offset: int = 0, limit: int = -1
) -> list[dict[str, Any]]:
    pairs = registry.store.versions_of_id(_schema_id(schema_id), deleted=deleted)
    return [{"subject": s, "version": v} for s, v in page(pairs, offset, limit)]
