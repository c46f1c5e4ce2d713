"""/config: compatibility level, JSON Schema policy, normalisation and the data-contract
settings (defaults and overrides of metadata and rules, compatibility group), global and per
subject."""

from __future__ import annotations

from fastapi import APIRouter

import compat
from compat import Level, Policy
from registry import errors
from registry.datacontract import canonical_metadata, canonical_rule_set
from registry.http import ConfigSubjectDep, RegistryDep
from registry.openapi import AUTH, BODY, SERVER, answers
from registry.qualified import parent_scope
from registry.responses import ConfigResponse, ConfigUpdateResponse
from registry.routers.bodies import CONFIG_DOC, ConfigBody, ConfigIn
from registry.values import ConfigUpdate, ConfigValue

router = APIRouter(
    prefix="/config", tags=["config"], responses=answers(*AUTH, *SERVER, 400, 404)
)

LEVELS = ", ".join(level.value for level in Level)


def _update(body: ConfigIn) -> ConfigUpdate:
    value = body.compatibility or body.compatibilityLevel
    given = body.model_dump(exclude_none=True)
    if not given:
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
            f"Valid values are {', '.join(Policy)}"
        ) from None
    return ConfigUpdate(
        level=level,
        policy=policy,
        normalize=body.normalize,
        compatibility_group=body.compatibilityGroup,
        alias=body.alias,
        validate_fields=body.validateFields,
        default_metadata=canonical_metadata(body.defaultMetadata),
        override_metadata=canonical_metadata(body.overrideMetadata),
        default_rule_set=canonical_rule_set(body.defaultRuleSet),
        override_rule_set=canonical_rule_set(body.overrideRuleSet),
    )


def _inherited(registry: RegistryDep, subject: str) -> ConfigValue:
    """What a subject's config falls back to: its context's, or the registry-wide one."""
    parent = parent_scope(subject)
    if parent is None:
        return registry.service.get_config(None)
    return registry.service.get_config(parent, default_to_global=True)


@router.get("", response_model_exclude_none=True)
def get_global_config(registry: RegistryDep) -> ConfigResponse:
    return ConfigResponse.of(registry.service.get_config(None))


@router.put(
    "", response_model_exclude_none=True, responses=answers(*BODY), openapi_extra=CONFIG_DOC
)
def put_global_config(body: ConfigBody, registry: RegistryDep) -> ConfigUpdateResponse:
    config = registry.service.set_config(None, _update(body))
    return ConfigUpdateResponse.of(config)


@router.delete("", response_model_exclude_none=True)
def delete_global_config(registry: RegistryDep) -> ConfigResponse:
    return ConfigResponse.of(registry.service.delete_config(None))


@router.get("/{subject}", response_model_exclude_none=True)
def get_subject_config(
    subject: ConfigSubjectDep, registry: RegistryDep, defaultToGlobal: bool = False
) -> ConfigResponse:
    config = registry.service.get_config(subject, default_to_global=defaultToGlobal)
    return ConfigResponse.of(config, _inherited(registry, subject))


@router.put(
    "/{subject}", response_model_exclude_none=True, responses=answers(*BODY),
    openapi_extra=CONFIG_DOC,
)
def put_subject_config(
    subject: ConfigSubjectDep, body: ConfigBody, registry: RegistryDep
) -> ConfigUpdateResponse:
    config = registry.service.set_config(subject, _update(body))
    return ConfigUpdateResponse.of(config)


@router.delete("/{subject}", response_model_exclude_none=True)
def delete_subject_config(subject: ConfigSubjectDep, registry: RegistryDep) -> ConfigResponse:
    config = registry.service.delete_config(subject)
    return ConfigResponse.of(config, _inherited(registry, subject))
