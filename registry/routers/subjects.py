"""/subjects: register, look up, list and delete subject versions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from registry.http import MEDIA_TYPE, RegistryDep, SubjectDep, page, parse_version
from registry.routers.bodies import SchemaBody
from registry.store import Registration
from registry.views import version_body

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
    subjects = registry.store.list_subjects(
        prefix=subjectPrefix, deleted=deleted, deleted_only=deletedOnly or deleted_only
    )
    return page(subjects, offset, limit)


@router.post("/{subject}")
def lookup_schema(
    subject: SubjectDep,
    body: SchemaBody,
    registry: RegistryDep,
    normalize: bool = False,
    deleted: bool = False,
) -> dict[str, Any]:
    source = body.source(registry.settings)
    view = registry.store.lookup(subject, source, normalize=normalize, deleted=deleted)
    return version_body(view)


@router.delete("/{subject}")
def delete_subject(
    subject: SubjectDep, registry: RegistryDep, permanent: bool = False
) -> list[int]:
    deleted = registry.store.delete_subject(subject, permanent=permanent)
    if permanent:  # ids held by nothing else now answer 40403; rare enough to drop them all
        registry.cache.clear()
    return deleted


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
    versions = registry.store.list_versions(
        subject, deleted=deleted, deleted_only=deletedOnly or deleted_only
    )
    return page(versions, offset, limit)


@router.post("/{subject}/versions")
def register_schema(
    subject: SubjectDep, body: SchemaBody, registry: RegistryDep, normalize: bool = False
) -> dict[str, Any]:
    source = body.source(registry.settings)
    schema_id = registry.store.register(
        Registration(
            subject,
            source,
            normalize,
            schema_id=body.explicit_id(),
            version=body.explicit_version(),
        )
    )
    return {"id": schema_id}


@router.get("/{subject}/versions/{version}")
def get_version(
    subject: SubjectDep, version: str, registry: RegistryDep, deleted: bool = False
) -> dict[str, Any]:
    view = registry.store.get_version(subject, parse_version(version), deleted=deleted)
    return version_body(view)


@router.get("/{subject}/versions/{version}/schema")
def get_version_schema(
    subject: SubjectDep, version: str, registry: RegistryDep, deleted: bool = False
) -> Response:
    view = registry.store.get_version(subject, parse_version(version), deleted=deleted)
    return Response(view.schema.text, media_type=MEDIA_TYPE)


@router.get("/{subject}/versions/{version}/referencedby")
def referenced_by(
    subject: SubjectDep, version: str, registry: RegistryDep, offset: int = 0, limit: int = -1
) -> list[int]:
    return page(registry.store.referenced_by(subject, parse_version(version)), offset, limit)


@router.delete("/{subject}/versions/{version}")
def delete_version(
    subject: SubjectDep, version: str, registry: RegistryDep, permanent: bool = False
) -> int:
    deleted = registry.store.delete_version(subject, parse_version(version), permanent=permanent)
    if permanent:
        registry.cache.clear()
    return deleted
