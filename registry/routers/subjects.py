"""/subjects: register, look up, list and delete subject versions."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Response

from registry.http import MEDIA_TYPE, RegistryDep, SubjectDep, page, parse_version
from registry.responses import RegisteredResponse, VersionResponse
from registry.routers.bodies import SchemaBody
from registry.values import Registration

router = APIRouter(prefix="/subjects", tags=["subjects"])


@router.get("")
def list_subjects(
    registry: RegistryDep,
    subjectPrefix: str = "",
    deleted: bool = False,
    deletedOnly: bool = False,
    deleted_only: bool = False,  # the spelling confluent-kafka-python sends
    offset: int = 0,
    limit: int = -1,
) -> list[str]:
    subjects = registry.service.list_subjects(
        prefix=subjectPrefix, deleted=deleted, deleted_only=deletedOnly or deleted_only
    )
    return page(subjects, offset, limit)


@router.post("/{subject}", response_model_exclude_none=True)
def lookup_schema(
    subject: SubjectDep,
    body: SchemaBody,
    registry: RegistryDep,
    normalize: bool = False,
    deleted: bool = False,
) -> VersionResponse:
    source = body.source(registry.settings)
    view = registry.service.lookup(subject, source, normalize=normalize, deleted=deleted)
    return VersionResponse.of(view)


@router.delete("/{subject}")
def delete_subject(
    subject: SubjectDep, registry: RegistryDep, permanent: bool = False
) -> list[int]:
    return registry.service.delete_subject(subject, permanent=permanent)


@router.get("/{subject}/versions")
def list_versions(
    subject: SubjectDep,
    registry: RegistryDep,
    deleted: bool = False,
    deletedOnly: bool = False,
    deleted_only: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[int]:
    versions = registry.service.list_versions(
        subject, deleted=deleted, deleted_only=deletedOnly or deleted_only
    )
    return page(versions, offset, limit)


@router.post("/{subject}/versions")
def register_schema(
    subject: SubjectDep, body: SchemaBody, registry: RegistryDep, normalize: bool = False
) -> RegisteredResponse:
    source = body.source(registry.settings)
    schema_id = registry.service.register(
        Registration(
            subject,
            source,
            normalize,
            schema_id=body.explicit_id(),
            version=body.explicit_version(),
        )
    )
    return RegisteredResponse(id=schema_id)


@router.get("/{subject}/versions/{version}", response_model_exclude_none=True)
def get_version(
    subject: SubjectDep,
    version: str,
    registry: RegistryDep,
    deleted: bool = False,
    format: str = "",
) -> VersionResponse:
    view = registry.service.get_version(subject, parse_version(version), deleted=deleted)
    if format:  # Confluent's output formats, such as Protobuf's `serialized`
        view = replace(view, schema=registry.service.formatted(view.schema, format))
    return VersionResponse.of(view)


@router.get("/{subject}/versions/{version}/schema")
def get_version_schema(
    subject: SubjectDep, version: str, registry: RegistryDep, deleted: bool = False
) -> Response:
    view = registry.service.get_version(subject, parse_version(version), deleted=deleted)
    return Response(view.schema.text, media_type=MEDIA_TYPE)


@router.get("/{subject}/versions/{version}/referencedby")
def referenced_by(
    subject: SubjectDep, version: str, registry: RegistryDep, offset: int = 0, limit: int = -1
) -> list[int]:
    return page(registry.service.referenced_by(subject, parse_version(version)), offset, limit)


@router.delete("/{subject}/versions/{version}")
def delete_version(
    subject: SubjectDep, version: str, registry: RegistryDep, permanent: bool = False
) -> int:
    return registry.service.delete_version(subject, parse_version(version), permanent=permanent)
