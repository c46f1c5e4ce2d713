"""/subjects: register, look up, list and delete subject versions."""

from __future__ import annotations

from dataclasses import replace

from fastapi import APIRouter, Request, Response

from compat import SchemaType
from registry import errors
from registry.http import MEDIA_TYPE, RegistryDep, SubjectDep, page, parse_version
from registry.openapi import AUTH, BODY, SERVER, answers
from registry.responses import RegisteredResponse, VersionResponse
from registry.routers.bodies import SCHEMA_DOC, SchemaBody
from registry.values import Registration

router = APIRouter(
    prefix="/subjects", tags=["subjects"], responses=answers(*AUTH, *SERVER, 400, 404)
)

PROPERTIES_MAX = 64  # key=value pairs one metadata query may give


@router.get("")
def list_subjects(
    registry: RegistryDep,
    subjectPrefix: str | None = None,
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


@router.post(
    "/{subject}", response_model_exclude_none=True, responses=answers(*BODY),
    openapi_extra=SCHEMA_DOC,
)
def lookup_schema(
    subject: SubjectDep,
    body: SchemaBody,
    registry: RegistryDep,
    normalize: bool = False,
    deleted: bool = False,
) -> VersionResponse:
    source = body.source(registry.settings)
    view = registry.service.lookup(
        subject, source, normalize=normalize, deleted=deleted, contract=body.contract()
    )
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
    deletedAsNegative: bool = False,
    offset: int = 0,
    limit: int = -1,
) -> list[int]:
    versions = registry.service.list_versions(
        subject, deleted=deleted or deletedAsNegative,
        deleted_only=deletedOnly or deleted_only, as_negative=deletedAsNegative,
    )
    return page(versions, offset, limit)


@router.post(
    "/{subject}/versions", response_model_exclude_none=True, responses=answers(*BODY, 409),
    openapi_extra=SCHEMA_DOC,
)
def register_schema(
    subject: SubjectDep, body: SchemaBody, registry: RegistryDep, normalize: bool = False
) -> RegisteredResponse:
    body.refuse_tags()
    source = body.source(registry.settings)
    view = registry.service.register(
        Registration(
            subject,
            source,
            normalize,
            schema_id=body.explicit_id(),
            version=body.explicit_version(),
            contract=body.contract(),
            guid=body.explicit_guid(),
        )
    )
    # confluent-kafka caches the answer under the id in the form it registered; for Protobuf
    # that may be a base64 descriptor, which its deserialiser later parses as such.
    protobuf = source.schema_type is SchemaType.PROTOBUF
    return RegisteredResponse.of(view, sent=source.text if protobuf else None)


@router.get("/{subject}/metadata", response_model_exclude_none=True)
def latest_with_metadata(
    subject: SubjectDep,
    request: Request,
    registry: RegistryDep,
    deleted: bool = False,
) -> VersionResponse:
    """The newest version whose metadata properties hold every `key`=`value` pair given
    (the n-th `key` goes with the n-th `value`)."""
    keys = request.query_params.getlist("key")
    values = request.query_params.getlist("value")
    if len(keys) != len(values) or len(keys) > PROPERTIES_MAX:
        raise errors.BadRequest(
            f"Give as many values as keys (at most {PROPERTIES_MAX}); "
            f"got {len(keys)} keys and {len(values)} values"
        )
    view = registry.service.latest_with_metadata(
        subject, dict(zip(keys, values, strict=True)), deleted=deleted
    )
    return VersionResponse.of(view)


@router.get("/{subject}/versions/{version}", response_model_exclude_none=True)
def get_version(
    subject: SubjectDep,
    version: str,
    registry: RegistryDep,
    deleted: bool = False,
    format: str = "",
) -> VersionResponse:
    view = registry.service.get_version(subject, parse_version(version), deleted=deleted)
    if format:  # Confluent's output formats: Protobuf's `serialized`, Avro's `resolved`
        view = replace(view, schema=registry.service.formatted(view.schema, format))
    return VersionResponse.of(view)


@router.get("/{subject}/versions/{version}/schema")
def get_version_schema(
    subject: SubjectDep, version: str, registry: RegistryDep, deleted: bool = False,
    format: str = "",
) -> Response:
    view = registry.service.get_version(subject, parse_version(version), deleted=deleted)
    schema = registry.service.formatted(view.schema, format) if format else view.schema
    return Response(schema.text, media_type=MEDIA_TYPE)


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
