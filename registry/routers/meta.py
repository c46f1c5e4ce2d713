"""`/`, `/v1/metadata/id` and `/health`."""

from __future__ import annotations

import importlib.metadata
from typing import Any

from fastapi import APIRouter, Response
from starlette.concurrency import run_in_threadpool

from registry.http import RegistryDep, RegistryResponse, error_response
from registry.openapi import AUTH, SERVER, answers

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
async def contexts() -> list[str]:
    """Charter keeps one schema context, Confluent's default one."""
    return ["."]


@router.get("/health")
async def health(registry: RegistryDep) -> Response:
    problem = await run_in_threadpool(registry.service.ping)
    if problem is not None:
        return error_response(503, 50001, f"The database does not answer: {problem}")
    return RegistryResponse({"status": "UP"})
