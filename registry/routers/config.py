"""/config: compatibility level, JSON Schema policy and normalisation, global and per subject."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

import compat
from compat import Level, Policy
from registry import errors
from registry.http import RegistryDep, SubjectDep
from registry.models import ConfigRow
from registry.routers.bodies import ConfigBody, ConfigIn

router = APIRouter(prefix="/config", tags=["config"])

LEVELS = ", ".join(level.value for level in Level)


def _config_body(row: ConfigRow, fallback: ConfigRow | None = None) -> dict[str, Any]:
    level = row.compatibility or (fallback.compatibility if fallback else None)
    body: dict[str, Any] = {"compatibilityLevel": level or Level.BACKWARD.value}
    if row.compatibility_policy:
        body["compatibilityPolicy"] = row.compatibility_policy
    if row.normalize is not None:
        body["normalize"] = row.normalize
    return body


def _update(body: ConfigIn) -> tuple[Level | None, Policy | None, bool | None]:
    value = body.compatibility or body.compatibilityLevel
    if value is None and body.compatibilityPolicy is None and body.normalize is None:
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility level. Valid values are {LEVELS}"
        )
    try:
        level = Level.parse(value) if value is not None else None
    except compat.InvalidLevelError:
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility level {value!r}. Valid values are {LEVELS}"
        ) from None
    try:
        policy = Policy.parse(body.compatibilityPolicy) if body.compatibilityPolicy else None
    except compat.InvalidLevelError:
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility policy {body.compatibilityPolicy!r}. "
            "Valid values are STRICT, LENIENT"
        ) from None
    return level, policy, body.normalize


def _put_body(row: ConfigRow) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if row.compatibility:
        body["compatibility"] = row.compatibility
    if row.compatibility_policy:
        body["compatibilityPolicy"] = row.compatibility_policy
    if row.normalize is not None:
        body["normalize"] = row.normalize
    return body


@router.get("")
def get_global_config(registry: RegistryDep) -> dict[str, Any]:
    return _config_body(registry.store.get_config(None))


@router.put("")
def put_global_config(body: ConfigBody, registry: RegistryDep) -> dict[str, Any]:
    level, policy, normalize = _update(body)
    row = registry.store.set_config(None, level=level, policy=policy, normalize=normalize)
    return _put_body(row)


@router.delete("")
def delete_global_config(registry: RegistryDep) -> dict[str, Any]:
    return _config_body(registry.store.delete_config(None))


@router.get("/{subject}")
def get_subject_config(
    subject: SubjectDep, registry: RegistryDep, defaultToGlobal: bool = False
) -> dict[str, Any]:
    row = registry.store.get_config(subject, default_to_global=defaultToGlobal)
    return _config_body(row, registry.store.get_config(None))


@router.put("/{subject}")
def put_subject_config(
    subject: SubjectDep, body: ConfigBody, registry: RegistryDep
) -> dict[str, Any]:
    level, policy, normalize = _update(body)
    row = registry.store.set_config(subject, level=level, policy=policy, normalize=normalize)
    return _put_body(row)


@router.delete("/{subject}")
def delete_subject_config(subject: SubjectDep, registry: RegistryDep) -> dict[str, Any]:
    row = registry.store.delete_config(subject)
    return _config_body(row, registry.store.get_config(None))
