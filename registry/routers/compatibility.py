"""/compatibility: would this schema be accepted, and if not, why."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from compat import Result
from registry.http import RegistryDep, SubjectDep, parse_version
from registry.routers.bodies import SchemaBody

router = APIRouter(prefix="/compatibility", tags=["compatibility"])


def _verdict(result: Result, verbose: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"is_compatible": result.compatible}
    if verbose:
        body["messages"] = result.messages()
    return body


@router.post("/subjects/{subject}/versions/{version}")
def check_one_version(
    subject: SubjectDep,
    version: str,
    body: SchemaBody,
    registry: RegistryDep,
    verbose: bool = False,
    normalize: bool = False,
) -> dict[str, Any]:
    number = parse_version(version)
    source = body.source(registry.settings)
    result = registry.store.check_compatibility(subject, number, source, normalize=normalize)
    return _verdict(result, verbose)


@router.post("/subjects/{subject}/versions")
def check_history(
    subject: SubjectDep,
    body: SchemaBody,
    registry: RegistryDep,
    verbose: bool = False,
    normalize: bool = False,
) -> dict[str, Any]:
    source = body.source(registry.settings)
    result = registry.store.check_compatibility(subject, None, source, normalize=normalize)
    return _verdict(result, verbose)
