"""/compatibility: would this schema be accepted, and if not, why."""

from __future__ import annotations

from fastapi import APIRouter

from registry.http import RegistryDep, SubjectDep, parse_version
from registry.openapi import AUTH, BODY, SERVER, answers
from registry.responses import CompatibilityResponse
from registry.routers.bodies import SCHEMA_DOC, SchemaBody

router = APIRouter(
    prefix="/compatibility",
    tags=["compatibility"],
    responses=answers(*AUTH, *SERVER, *BODY, 404),
)


@router.post(
    "/subjects/{subject}/versions/{version}", response_model_exclude_none=True,
    openapi_extra=SCHEMA_DOC,
)
def check_one_version(
    subject: SubjectDep,
    version: str,
    body: SchemaBody,
    registry: RegistryDep,
    verbose: bool = False,
    normalize: bool = False,
) -> CompatibilityResponse:
    number = parse_version(version)
    source = body.source(registry.settings)
    result = registry.service.check_compatibility(subject, number, source, normalize=normalize)
    return CompatibilityResponse.of(result, verbose=verbose)


@router.post(
    "/subjects/{subject}/versions", response_model_exclude_none=True, openapi_extra=SCHEMA_DOC
)
def check_history(
    subject: SubjectDep,
    body: SchemaBody,
    registry: RegistryDep,
    verbose: bool = False,
    normalize: bool = False,
) -> CompatibilityResponse:
    source = body.source(registry.settings)
    result = registry.service.check_compatibility(subject, None, source, normalize=normalize)
    return CompatibilityResponse.of(result, verbose=verbose)
