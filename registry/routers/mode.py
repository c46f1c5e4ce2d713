"/mode: READWRITE, READONLY and IMPORT, global and per subject."

from __future__ import annotations

from fastapi import APIRouter

from registry import errors
from registry.http import RegistryDep, SubjectDep
from registry.routers.bodies import ModeBody
from registry.store import Mode

router = APIRouter(prefix="/mode", tags=["mode"])


def _mode(value: str | None) -> Mode:
    if value is None:
        raise errors.InvalidMode("Invalid mode. Valid values are READWRITE, READONLY, IMPORT")
    return Mode.parse(value)


@router.get("")
def get_global_mode(registry: RegistryDep) -> dict[str, str]:
    return {"mode": registry.store.get_mode(None).value}


@router.put("")
def put_global_mode(body: ModeBody, registry: RegistryDep, force: bool = False) -> dict[str, str]:
    return {"mode": registry.store.set_mode(None, _mode(body.mode), force=force).value}


@router.delete("")
def delete_global_mode(registry: RegistryDep) -> dict[str, str]:
    return {"mode": registry.store.delete_mode(None).value}


@router.get("/{subject}")
def get_subject_mode(
    subject: SubjectDep, registry: RegistryDep, defaultToGlobal: bool = False
) -> dict[str, str]:
    return {"mode": registry.store.get_mode(subject, default_to_global=defaultToGlobal).value}


@router.put("/{subject}")
def put_subject_mode(
    subject: SubjectDep, body: ModeBody, registry: RegistryDep, force: bool = False
) -> dict[str, str]:
    return {"mode": registry.store.set_mode(subject, _mode(body.mode), force=force).value}


@router.delete("/{subject}")
def delete_subject_mode(subject: SubjectDep, registry: RegistryDep) -> dict[str, str]:
    return {"mode": registry.store.delete_mode(subject).value}
