"""How `charter serve` authenticates and whom browsers may call it from: one frozen value."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["AuthMode", "OidcSettings", "SecuritySettings"]


class AuthMode(enum.Enum):
    REQUIRED = "required"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class OidcSettings:
    jwks: str  # a file path, or an http(s) URL
    issuer: str
    audience: str
    name_claim: str = "sub"
    role_claim: str = "charter_role"
    subject_prefixes_claim: str = "charter_subject_prefixes"
    topic_prefixes_claim: str = "charter_topic_prefixes"
    group_prefixes_claim: str = "charter_group_prefixes"
    jwks_timeout_s: float = 5.0
    jwks_bytes_max: int = 1024 * 1024
    jwks_refresh_s: float = 3600.0
    jwks_refetch_min_s: float = 60.0  # an unknown `kid` refetches at most this often
    token_bytes_max: int = 16 * 1024
    leeway_s: int = 30


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    auth: AuthMode = AuthMode.NONE
    oidc: OidcSettings | None = None
    cors_origins: tuple[str, ...] = ()
    key_recheck_s: float = 5.0
    inspected_body_bytes_max: int = 1024 * 1024  # JSON bodies whose names the check reads
