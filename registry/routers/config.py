"""/config: compatibility level, JSON Schema policy and normalisation, global and per subject."""

from __future__ import annotations

from fastapi import APIRouter

import compat
from compat import Level, Policy
from registry import errors
from registry.http import RegistryDep, SubjectDep
from registry.responses import ConfigResponse, ConfigUpdateResponse
from registry.routers.bodies import ConfigBody, ConfigIn

router = APIRouter(prefix="/config", tags=["config"])

LEVELS = ", ".join(level.value for level in Level)


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


@router.get("", response_model_exclude_none=True)
def get_global_config(registry: RegistryDep) -> ConfigResponse:
    return ConfigResponse.of(registry.service.get_config(None))


@router.put("", response_model_exclude_none=True)
def put_global_config(body: ConfigBody, registry: RegistryDep) -> ConfigUpdateResponse:
    level, policy, normalize = _update(body)
    config = registry.service.set_config(None, level=level, policy=policy, normalize=normalize)
    return ConfigUpdateResponse.of(config)


@router.delete("", response_model_exclude_none=True)
def delete_global_config(registry: RegistryDep) -> ConfigResponse:
    return ConfigResponse.of(registry.service.delete_config(None))


@router.get("/{subject}", response_model_exclude_none=True)
def get_subject_config(
    subject: SubjectDep, registry: RegistryDep, defaultToGlobal: bool = False
) -> ConfigResponse:
    config = registry.service.get_config(subject, default_to_global=defaultToGlobal)
    return ConfigResponse.of(config, registry.service.get_config(None))


@router.put("/{subject}", response_model_exclude_none=True)
def put_subject_config(
    subject: SubjectDep, body: ConfigBody, registry: RegistryDep
) -> ConfigUpdateResponse:
    level, policy, normalize = _update(body)
    config = registry.service.set_config(subject, level=level, policy=policy, normalize=normalize)
    return ConfigUpdateResponse.of(config)


@router.delete("/{subject}", response_model_exclude_none=True)
def delete_subject_config(subject: SubjectDep, registry: RegistryDep) -> ConfigResponse:
    config = registry.service.delete_config(subject)
    return ConfigResponse.of(config, registry.service.get_config(None))
