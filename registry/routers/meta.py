"""`/`, `/v1/metadata/id` and `/health`."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from registry.http import RegistryDep, RegistryResponse, error_response, page
from registry.openapi import AUTH, SERVER, answers
from registry.qualified import normalize_context

router = APIRouter(tags=["meta"], responses=answers(*AUTH, *SERVER))


@router.get("/")
async def root() -> dict[str, Any]:
    return {}


@router.get("/v1/metadata/id")
def metadata_id(registry: RegistryDep) -> dict[str, Any]:
    cluster = registry.service.cluster_id()
    return {
        "scope": {
            "path": [],
            "clusters": {"kafka-cluster": cluster, "schema-registry-cluster": "charter"},
        }
    }


@router.get("/v1/metadata/version")
async def metadata_version() -> dict[str, str]:
    try:
        version = importlib.metadata.version("charter")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return {"version": version, "commitId": ""}


@router.get("/contexts")
def contexts(registry: RegistryDep, offset: int = 0, limit: int = -1) -> list[str]:
    """The contexts in use: `.` (the default one) and every one a registration made."""
    return page(registry.service.list_contexts(), offset, limit)


@router.delete("/contexts/{context}", status_code=204, responses=answers(*AUTH, *SERVER, 400, 404))
def delete_context(context: str, registry: RegistryDep) -> Response:
    """Forget a context that holds no subject (42211 while one, even soft-deleted, is left)."""
    registry.service.delete_context(normalize_context(context))
    return Response(status_code=204)


@router.get("/health")
async def health(registry: RegistryDep) -> Response:
    problem = await run_in_threadpool(registry.service.ping)
    if problem is not None:
        return error_response(503, 50001, f"The database does not answer: {problem}")
    return RegistryResponse({"status": "UP"})
