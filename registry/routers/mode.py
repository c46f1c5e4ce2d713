"/mode: READWRITE, READONLY, READONLY_OVERRIDE and IMPORT, global, per context and per subject."

from __future__ import annotations

from fastapi import APIRouter

from registry import errors
from registry.http import ConfigSubjectDep, RegistryDep
from registry.openapi import AUTH, BODY, SERVER, answers
from registry.responses import ModeResponse
from registry.routers.bodies import MODE_DOC, ModeBody
from registry.values import Mode

router = APIRouter(
    prefix="/mode", tags=["mode"], responses=answers(*AUTH, *SERVER, 400, 404)
)


def _mode(value: str | None) -> Mode:
    if value is None:
        raise errors.InvalidMode(
            "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE, IMPORT"
        )
    return Mode.parse(value)


@router.get("")
def get_global_mode(registry: RegistryDep) -> ModeResponse:
    return ModeResponse.of(registry.service.get_mode(None))


@router.put("", responses=answers(*BODY), openapi_extra=MODE_DOC)
def put_global_mode(body: ModeBody, registry: RegistryDep, force: bool = False) -> ModeResponse:
    return ModeResponse.of(registry.service.set_mode(None, _mode(body.mode), force=force))


@router.delete("")
def delete_global_mode(registry: RegistryDep) -> ModeResponse:
    return ModeResponse.of(registry.service.delete_mode(None))


@router.get("/{subject}")
def get_subject_mode(
    subject: ConfigSubjectDep, registry: RegistryDep, defaultToGlobal: bool = False
) -> ModeResponse:
    return ModeResponse.of(
        registry.service.get_mode(subject, default_to_global=defaultToGlobal)
    )


@router.put("/{subject}", responses=answers(*BODY), openapi_extra=MODE_DOC)
def put_subject_mode(
    subject: ConfigSubjectDep, body: ModeBody, registry: RegistryDep, force: bool = False
) -> ModeResponse:
    return ModeResponse.of(registry.service.set_mode(subject, _mode(body.mode), force=force))


@router.delete("/{subject}")
def delete_subject_mode(subject: ConfigSubjectDep, registry: RegistryDep) -> ModeResponse:
    return ModeResponse.of(registry.service.delete_mode(subject))
