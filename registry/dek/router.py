"""/dek-registry/v1/keks: Confluent's DEK registry API (HTTP only; the rules are the service's).

Answers have Confluent's JSON shapes: a KEK is `{name, kmsType, kmsKeyId, kmsProps, doc?,
shared, ts, deleted}`, a DEK `{kekName, subject, version, algorithm, encryptedKeyMaterial,
keyMaterial?, ts, deleted}`; deletes and undeletes answer 204 with no body.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict

from registry import errors
from registry.dek.service import DekService, parse_algorithm
from registry.dek.values import Dek, Kek
from registry.http import SLASH_FLAG, SLASH_STAND_IN, parse_version, read_model
from registry.openapi import json_body

__all__ = ["BODY_BYTES_MAX", "router"]

BODY_BYTES_MAX = 64 * 1024  # a KEK or DEK request is a few hundred bytes

router = APIRouter(prefix="/dek-registry/v1/keks", tags=["dek-registry"])


async def _service(request: Request) -> DekService:
    service: DekService = request.app.state.dek
    return service


ServiceDep = Annotated[DekService, Depends(_service)]


async def _subject(subject: str, request: Request) -> str:
    if request.scope.get(SLASH_FLAG):
        subject = subject.replace(SLASH_STAND_IN, "/")
    return subject


SubjectDep = Annotated[str, Depends(_subject)]


class CreateKekBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str | None = None
    kmsType: str | None = None
    kmsKeyId: str | None = None
    kmsProps: dict[str, str] | None = None
    doc: str | None = None
    shared: bool = False
    deleted: bool = False


class UpdateKekBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kmsProps: dict[str, str] | None = None
    doc: str | None = None
    shared: bool | None = None


class CreateDekBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    subject: str | None = None
    version: int | None = None
    algorithm: str | None = None
    encryptedKeyMaterial: str | None = None
    deleted: bool = False


async def _create_kek_body(request: Request) -> CreateKekBody:
    return await read_model(request, CreateKekBody, BODY_BYTES_MAX)


async def _update_kek_body(request: Request) -> UpdateKekBody:
    return await read_model(request, UpdateKekBody, BODY_BYTES_MAX)


async def _create_dek_body(request: Request) -> CreateDekBody:
    return await read_model(request, CreateDekBody, BODY_BYTES_MAX)


# Bodies are read by async dependencies so that the routes, which wait on the database,
# run in the thread pool.
CreateKekDep = Annotated[CreateKekBody, Depends(_create_kek_body)]
UpdateKekDep = Annotated[UpdateKekBody, Depends(_update_kek_body)]
CreateDekDep = Annotated[CreateDekBody, Depends(_create_dek_body)]


class KekOut(BaseModel):
    name: str
    kmsType: str
    kmsKeyId: str
    kmsProps: dict[str, str]
    doc: str | None = None
    shared: bool
    ts: int
    deleted: bool

    @classmethod
    def of(cls, kek: Kek) -> KekOut:
        return cls(name=kek.name, kmsType=kek.kms_type, kmsKeyId=kek.kms_key_id,
                   kmsProps=dict(kek.kms_props), doc=kek.doc, shared=kek.shared, ts=kek.ts,
                   deleted=kek.deleted)


class DekOut(BaseModel):
    kekName: str
    subject: str
    version: int
    algorithm: str
    encryptedKeyMaterial: str
    keyMaterial: str | None = None
    ts: int
    deleted: bool

    @classmethod
    def of(cls, dek: Dek) -> DekOut:
        return cls(kekName=dek.kek_name, subject=dek.subject, version=dek.version,
                   algorithm=dek.algorithm.value, encryptedKeyMaterial=dek.encrypted_key_material,
                   keyMaterial=dek.key_material, ts=dek.ts, deleted=dek.deleted)


def _no_content() -> Response:
    return Response(status_code=204)


# ---- KEKs ---------------------------------------------------------------------------------


@router.get("")
def list_keks(service: ServiceDep, deleted: bool = False) -> list[str]:
    return service.kek_names(deleted=deleted)


@router.post("", response_model_exclude_none=True, openapi_extra=json_body(CreateKekBody))
def create_kek(body: CreateKekDep, service: ServiceDep, context: str | None = None) -> KekOut:
    # `context` (sent for subjects qualified with one) is accepted and, as in Confluent's
    # registry, not used: KEK names are registry-wide.
    kek = service.create_kek(
        body.name, body.kmsType, body.kmsKeyId, kms_props=body.kmsProps, doc=body.doc,
        shared=body.shared, deleted=body.deleted,
    )
    return KekOut.of(kek)


@router.get("/{name}", response_model_exclude_none=True)
def get_kek(
    name: str, service: ServiceDep, deleted: bool = False, context: str | None = None
) -> KekOut:
    return KekOut.of(service.get_kek(name, deleted=deleted))


@router.put("/{name}", response_model_exclude_none=True, openapi_extra=json_body(UpdateKekBody))
def update_kek(name: str, body: UpdateKekDep, service: ServiceDep) -> KekOut:
    kek = service.update_kek(name, kms_props=body.kmsProps, doc=body.doc, shared=body.shared)
    return KekOut.of(kek)


@router.delete("/{name}", status_code=204)
def delete_kek(name: str, service: ServiceDep, permanent: bool = False) -> Response:
    service.delete_kek(name, permanent=permanent)
    return _no_content()


@router.post("/{name}/undelete", status_code=204)
def undelete_kek(name: str, service: ServiceDep) -> Response:
    service.undelete_kek(name)
    return _no_content()


# ---- DEKs ---------------------------------------------------------------------------------


@router.get("/{name}/deks")
def list_dek_subjects(name: str, service: ServiceDep, deleted: bool = False) -> list[str]:
    return service.dek_subjects(name, deleted=deleted)


def _create_dek(
    name: str, body: CreateDekBody, service: DekService, path_subject: str | None
) -> DekOut:
    subject = body.subject
    if path_subject is not None:
        if subject is not None and subject != path_subject:
            raise errors.InvalidKey(
                f"Invalid or missing key info: subject: the body names {subject!r}, "
                f"the path {path_subject!r}"
            )
        subject = path_subject
    dek = service.create_dek(
        name, subject, algorithm=parse_algorithm(body.algorithm), version=body.version,
        encrypted_key_material=body.encryptedKeyMaterial, deleted=body.deleted,
    )
    return DekOut.of(dek)


@router.post(
    "/{name}/deks", response_model_exclude_none=True, openapi_extra=json_body(CreateDekBody)
)
def create_dek(name: str, body: CreateDekDep, service: ServiceDep) -> DekOut:
    return _create_dek(name, body, service, None)


@router.post(
    "/{name}/deks/{subject}",
    response_model_exclude_none=True,
    openapi_extra=json_body(CreateDekBody),
)
def create_dek_of_subject(
    name: str, subject: SubjectDep, body: CreateDekDep, service: ServiceDep
) -> DekOut:
    return _create_dek(name, body, service, subject)


@router.get("/{name}/deks/{subject}", response_model_exclude_none=True)
def get_dek(
    name: str,
    subject: SubjectDep,
    service: ServiceDep,
    algorithm: str | None = None,
    deleted: bool = False,
) -> DekOut:
    return DekOut.of(service.get_dek(name, subject, parse_algorithm(algorithm), 1,
                                     deleted=deleted))


@router.delete("/{name}/deks/{subject}", status_code=204)
def delete_dek(
    name: str,
    subject: SubjectDep,
    service: ServiceDep,
    algorithm: str | None = None,
    permanent: bool = False,
) -> Response:
    service.delete_dek(name, subject, parse_algorithm(algorithm), permanent=permanent)
    return _no_content()


@router.post("/{name}/deks/{subject}/undelete", status_code=204)
def undelete_dek(
    name: str, subject: SubjectDep, service: ServiceDep, algorithm: str | None = None
) -> Response:
    service.undelete_dek(name, subject, parse_algorithm(algorithm))
    return _no_content()


@router.get("/{name}/deks/{subject}/versions")
def list_dek_versions(
    name: str,
    subject: SubjectDep,
    service: ServiceDep,
    algorithm: str | None = None,
    deleted: bool = False,
) -> list[int]:
    return service.dek_versions(name, subject, parse_algorithm(algorithm), deleted=deleted)


@router.get("/{name}/deks/{subject}/versions/{version}", response_model_exclude_none=True)
def get_dek_version(
    name: str,
    subject: SubjectDep,
    version: str,
    service: ServiceDep,
    algorithm: str | None = None,
    deleted: bool = False,
) -> DekOut:
    dek = service.get_dek(name, subject, parse_algorithm(algorithm), parse_version(version),
                          deleted=deleted)
    return DekOut.of(dek)


@router.delete("/{name}/deks/{subject}/versions/{version}", status_code=204)
def delete_dek_version(
    name: str,
    subject: SubjectDep,
    version: str,
    service: ServiceDep,
    algorithm: str | None = None,
    permanent: bool = False,
) -> Response:
    service.delete_dek_version(name, subject, parse_algorithm(algorithm),
                               parse_version(version), permanent=permanent)
    return _no_content()


@router.post("/{name}/deks/{subject}/versions/{version}/undelete", status_code=204)
def undelete_dek_version(
    name: str,
    subject: SubjectDep,
    version: str,
    service: ServiceDep,
    algorithm: str | None = None,
) -> Response:
    service.undelete_dek_version(name, subject, parse_algorithm(algorithm),
                                 parse_version(version))
    return _no_content()
