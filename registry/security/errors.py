"""Errors of the security layer: part of the registry's one error tree (`registry.errors`).

Each is a `RegistryError`, carrying a Confluent-style `error_code` and a status, so the app's
one handler (and the guard, which answers before the app) turns any of them into the same
`{"error_code": int, "message": str}` body. A body over its limit is the registry's own
`RequestTooLarge` (413, 41301) wherever it is found.

    RegistryError (registry.errors)
    └── SecurityError                    (500, 50001 unless a subclass says otherwise)
        ├── Unauthenticated              401, 40101  no, unknown, revoked or wrong credentials
        ├── Forbidden                    403, 40301  outside the principal's role or prefixes
        ├── UnsupportedMediaType         415, 41501  a write without a non-simple content type
        ├── BadBody                      400, 40001  a body the check must read is not JSON
        ├── CheckFailed                  500, 50001  the check itself failed (e.g. the database)
        └── SecurityConfigError          a bad key, role, prefix, JWKS or setting (CLI exit 2)
"""

from __future__ import annotations

from registry.errors import RegistryError

__all__ = [
    "BadBody",
    "CheckFailed",
    "Forbidden",
    "SecurityConfigError",
    "SecurityError",
    "Unauthenticated",
    "UnsupportedMediaType",
]


class SecurityError(RegistryError):
    pass


class Unauthenticated(SecurityError):
    status = 401
    error_code = 40101


class Forbidden(SecurityError):
    status = 403
    error_code = 40301


class UnsupportedMediaType(SecurityError):
    status = 415
    error_code = 41501


class BadBody(SecurityError):
    status = 400
    error_code = 40001


class CheckFailed(SecurityError):
    status = 500
    error_code = 50001


class SecurityConfigError(SecurityError):
    """Raised while setting up (keys, JWKS, options), never while answering a request."""
